"""Rule sources_table: one row per source list, what reading it found (results/sources.csv)."""

import json

from undercount.config import sources_table
from undercount.logs import script_logger

log = script_logger(snakemake.log[0], "sources_table")
summaries = []
for path in snakemake.input.summaries:
    with open(path, encoding="utf-8") as fh:
        summaries.append(json.load(fh))
table = sources_table(summaries)
table.to_csv(snakemake.output[0], index=False, lineterminator="\n")
log.info("%d source lists, %d with warnings", len(table), int((table["warnings"] != "").sum()))
