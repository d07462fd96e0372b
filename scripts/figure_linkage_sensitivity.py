"""Rule figure_linkage_sensitivity: every table's estimates against the match threshold."""

from collections.abc import Mapping, Sequence

import pandas as pd

from undercount.figures import save_figure
from undercount.figures.linkage import linkage_sensitivity_figure
from undercount.logs import script_logger


def main(
    *,
    sensitivity: Sequence[str],
    png: str,
    log: str,
    threshold: float,
    level: float,
    synthetic: bool,
    event_labels: Mapping[str, str] | None = None,
) -> None:
    logger = script_logger(log, "figure_linkage_sensitivity")
    frame = pd.concat([pd.read_csv(p) for p in sensitivity], ignore_index=True)
    plot, data = linkage_sensitivity_figure(
        frame, threshold=threshold, level=level, synthetic=synthetic, event_labels=event_labels
    )
    panels = data["table"].nunique()
    save_figure(plot, data, png, width=9, height=2.2 + 2.3 * ((panels + 2) // 3))
    logger.info("%d tables, %d points drawn", panels, len(data))


if "snakemake" in globals():
    main(
        sensitivity=snakemake.input.sensitivity,
        png=snakemake.output.png,
        log=snakemake.log[0],
        threshold=snakemake.params.threshold,
        level=snakemake.params.level,
        synthetic=snakemake.params.synthetic,
        event_labels=snakemake.params.event_labels,
    )
