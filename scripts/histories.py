"""Rule histories: persons.csv -> capture-history table and its summary."""

import json
from collections.abc import Sequence

import pandas as pd

from undercount import tabular
from undercount.histories import build_histories
from undercount.linked import caveat
from undercount.logs import script_logger


def main(
    *,
    persons: str,
    table: str,
    meta: str,
    log: str,
    sources: Sequence[str],
    linkage: str,
    synthetic_sources: Sequence[str],
) -> dict:
    logger = script_logger(log, "histories")
    linked = pd.read_csv(persons, dtype=str)
    capture, summary = build_histories(linked, sources, [caveat(linkage)])
    # Which lists are synthetic travels with the table, so every result built from it can say so.
    summary["synthetic_sources"] = list(synthetic_sources)
    tabular.write_csv(capture.to_frame(), table, index=False, lineterminator="\n")
    with open(meta, "w", encoding="utf-8") as fh:
        json.dump(summary, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    logger.info(
        "lists: %s; people observed: %d", ", ".join(summary["lists"]) or "none", summary["n_observed"]
    )
    if summary["synthetic_sources"]:
        logger.info("synthetic lists: %s", ", ".join(summary["synthetic_sources"]))
    for note in summary["notes"]:
        logger.warning(note)
    return summary


if "snakemake" in globals():
    main(
        persons=snakemake.input.persons,
        table=snakemake.output.table,
        meta=snakemake.output.meta,
        log=snakemake.log[0],
        sources=snakemake.params.sources,
        linkage=snakemake.params.linkage,
        synthetic_sources=snakemake.params.synthetic_sources,
    )
