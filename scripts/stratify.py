"""Checkpoint stratify: persons of one table -> one capture-history table per stratum."""

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from undercount.config import POPULATIONS
from undercount.linkage import CAVEATS
from undercount.logs import script_logger
from undercount.records import read_records
from undercount.strata import Scheme, person_attributes, stratify, usable


def main(
    *,
    persons: str,
    records: Sequence[str],
    output: str,
    log: str,
    population: str,
    scheme_name: str,
    sources: Sequence[str],
    scheme: Mapping[str, Any],
    start_date: str,
    usable_rule: Mapping[str, int],
    linkage: str,
) -> None:
    logger = script_logger(log, "stratify")
    kind, _flag = POPULATIONS[population]
    linked = pd.read_csv(persons, dtype=str)
    by_source = {s: read_records(p, kind) for s, p in zip(sources, records, strict=True)}
    attributes = person_attributes(linked, by_source, kind)
    chosen = Scheme.from_config(scheme_name, scheme, start_date)
    tables = stratify(linked, attributes, chosen, sources, [CAVEATS[linkage]])
    out = Path(output)
    summary = []
    for stratum, (table, meta) in tables.items():
        ok, reason = usable(meta["people_per_list"], usable_rule["min_sources"], usable_rule["min_records"])
        meta["usable"] = ok
        meta["unusable_reason"] = reason or None
        folder = out / stratum
        folder.mkdir(parents=True, exist_ok=True)
        table.to_frame().to_csv(folder / "histories.csv", index=False, lineterminator="\n")
        with open(folder / "histories.json", "w", encoding="utf-8") as fh:
            json.dump(meta, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
        summary.append({"stratum": stratum, "n_observed": meta["n_observed"], "usable": ok})
        logger.info("%-40s %6d people; usable: %s", stratum, meta["n_observed"], ok)
    pd.DataFrame(summary).to_csv(out / "strata.csv", index=False, lineterminator="\n")
    logger.info(
        "%d persons; %d with conflicting attributes across records",
        len(attributes),
        int((attributes["conflicts"] > 0).sum()),
    )


if "snakemake" in globals():
    main(
        persons=snakemake.input.persons,
        records=snakemake.input.records,
        output=snakemake.output[0],
        log=snakemake.log[0],
        population=snakemake.wildcards.population,
        scheme_name=snakemake.wildcards.scheme,
        sources=snakemake.params.sources,
        scheme=snakemake.params.scheme,
        start_date=snakemake.params.start_date,
        usable_rule=snakemake.params.usable,
        linkage=snakemake.params.linkage,
    )
