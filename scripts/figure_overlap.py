"""Rule figure_overlap: UpSet-style overlap of the sources of one table."""

import json
from collections.abc import Mapping

from undercount.figures import save_figure
from undercount.figures.overlap import overlap_figure
from undercount.histories import read_histories
from undercount.logs import script_logger


def main(
    *, table: str, meta: str, png: str, log: str, title: str, labels: Mapping[str, str], synthetic: bool
) -> None:
    logger = script_logger(log, "figure_overlap")
    with open(meta, encoding="utf-8") as fh:
        summary = json.load(fh)
    capture = read_histories(table, summary)
    plot, data = overlap_figure(capture, title, labels, synthetic)
    save_figure(plot, data, png, width=8, height=6)
    logger.info("%d capture patterns over %d lists", len(capture.counts), capture.k)


if "snakemake" in globals():
    main(
        table=snakemake.input.table,
        meta=snakemake.input.meta,
        png=snakemake.output.png,
        log=snakemake.log[0],
        title=snakemake.params.title,
        labels=snakemake.params.labels,
        synthetic=snakemake.params.synthetic,
    )
