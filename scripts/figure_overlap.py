"""Rule figure_overlap: UpSet-style overlap of the sources of one table."""

import json

from undercount.figures import save_figure
from undercount.figures.overlap import overlap_figure
from undercount.histories import read_histories
from undercount.logs import script_logger

log = script_logger(snakemake.log[0], "figure_overlap")
with open(snakemake.input.meta, encoding="utf-8") as fh:
    meta = json.load(fh)
table = read_histories(snakemake.input.table, meta)
plot, data = overlap_figure(
    table, snakemake.params.title, snakemake.params.labels, snakemake.params.synthetic
)
save_figure(plot, data, snakemake.output.png, width=8, height=6)
log.info("%d capture patterns over %d lists", len(table.counts), table.k)
