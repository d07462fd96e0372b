"""Rule summary: one line per event and population for the report."""

import json
from collections.abc import Mapping, Sequence

import pandas as pd

from undercount.logs import script_logger
from undercount.results import summary_table


def main(
    *,
    estimates: str,
    histories: Sequence[str],
    tables: Sequence[str],
    official: Mapping[str, str],
    output: str,
    log: str,
) -> pd.DataFrame:
    """``tables[i]`` (``event/population``) names the table summary ``histories[i]``."""
    logger = script_logger(log, "summary")
    frame = pd.read_csv(estimates)
    summaries = {}
    for key, path in zip(tables, histories, strict=True):
        with open(path, encoding="utf-8") as fh:
            summaries[key] = json.load(fh)
    table = summary_table(frame, summaries, official)
    table.to_csv(output, index=False, lineterminator="\n")
    logger.info("%d rows", len(table))
    return table


if "snakemake" in globals():
    main(
        estimates=snakemake.input.estimates,
        histories=snakemake.input.histories,
        tables=snakemake.params.tables,
        official=snakemake.params.official,
        output=snakemake.output[0],
        log=snakemake.log[0],
    )
