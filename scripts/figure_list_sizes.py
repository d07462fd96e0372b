"""Rule figure_list_sizes: two-list estimates implied by the published list sizes (real numbers only)."""

import pandas as pd

from undercount.figures import save_figure
from undercount.figures.list_sizes import list_sizes_figure
from undercount.logs import script_logger


def main(*, reported: str, png: str, log: str, event: str, label: str, level: float) -> None:
    logger = script_logger(log, "figure_list_sizes")
    plot, data = list_sizes_figure(pd.read_csv(reported), event, label, level)
    save_figure(plot, data, png, width=10, height=4.8)
    logger.info("%d pairs x overlaps", len(data))


if "snakemake" in globals():
    main(
        reported=snakemake.input.reported,
        png=snakemake.output.png,
        log=snakemake.log[0],
        event=snakemake.wildcards.event,
        label=snakemake.params.label,
        level=snakemake.params.level,
    )
