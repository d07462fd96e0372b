"""Rule figure_reported_vs_estimated: reported death tolls over time beside the estimate."""

from collections.abc import Mapping, Sequence

import pandas as pd

from undercount.figures import save_figure
from undercount.figures.comparison import reported_vs_estimated_figure
from undercount.logs import script_logger
from undercount.results import headline_rows


def main(
    *,
    reported: str,
    estimates: str,
    png: str,
    log: str,
    events: Mapping[str, Sequence[str]],
    method: str,
    level: float,
    synthetic: bool,
) -> None:
    logger = script_logger(log, "figure_reported_vs_estimated")
    tolls = pd.read_csv(reported, dtype={"value": float})
    frame = headline_rows(pd.read_csv(estimates))  # linkage-averaged rows where linkage.draws is set
    plot, data = reported_vs_estimated_figure(
        tolls, frame, {e: tuple(v) for e, v in events.items()}, method, level, synthetic
    )
    save_figure(plot, data, png, width=8, height=7.5)
    logger.info("%d rows drawn", len(data))


if "snakemake" in globals():
    main(
        reported=snakemake.input.reported,
        estimates=snakemake.input.estimates,
        png=snakemake.output.png,
        log=snakemake.log[0],
        events=snakemake.params.events,
        method=snakemake.params.method,
        level=snakemake.params.level,
        synthetic=snakemake.params.synthetic,
    )
