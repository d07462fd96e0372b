"""Rule sources_table: one row per source list, what reading it found (results/sources.csv)."""

import json

from undercount.config import sources_table
from undercount.logs import script_logger


def main(*, summaries: list[str], output: str, log: str) -> None:
    logger = script_logger(log, "sources_table")
    found = []
    for path in summaries:
        with open(path, encoding="utf-8") as fh:
            found.append(json.load(fh))
    table = sources_table(found)
    table.to_csv(output, index=False, lineterminator="\n")
    logger.info("%d source lists, %d with warnings", len(table), int((table["warnings"] != "").sum()))


if "snakemake" in globals():
    main(summaries=list(snakemake.input.summaries), output=snakemake.output[0], log=snakemake.log[0])
