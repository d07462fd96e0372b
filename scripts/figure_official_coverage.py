"""Rule figure_official_coverage: share of the estimated death toll on the official list."""

import json
from collections.abc import Mapping, Sequence

import pandas as pd

from undercount.figures import save_figure
from undercount.figures.comparison import coverage_data, coverage_figure
from undercount.logs import script_logger
from undercount.results import headline_rows


def main(
    *,
    estimates: str,
    histories: Sequence[str],
    events: Sequence[str],
    png: str,
    log: str,
    official: Mapping[str, str],
    event_labels: Mapping[str, str],
    level: float,
    synthetic: bool,
) -> None:
    """``events[i]`` is the event of the deaths table summary ``histories[i]``."""
    logger = script_logger(log, "figure_official_coverage")
    frame = headline_rows(pd.read_csv(estimates))  # linkage-averaged rows where linkage.draws is set
    summaries = {}
    for event, path in zip(events, histories, strict=True):
        with open(path, encoding="utf-8") as fh:
            summaries[event] = json.load(fh)
    data = coverage_data(frame, summaries, official, event_labels)
    plot, data = coverage_figure(data, level, synthetic)
    save_figure(plot, data, png, width=8, height=4.5)
    logger.info("%d shares drawn", len(data))


if "snakemake" in globals():
    main(
        estimates=snakemake.input.estimates,
        histories=snakemake.input.histories,
        events=snakemake.params.events,
        png=snakemake.output.png,
        log=snakemake.log[0],
        official=snakemake.params.official,
        event_labels=snakemake.params.event_labels,
        level=snakemake.params.level,
        synthetic=snakemake.params.synthetic,
    )
