"""Checkpoint stratify: persons of one table -> one capture-history table per stratum."""

import json
from pathlib import Path

import pandas as pd

from undercount.config import POPULATIONS
from undercount.linkage import CAVEATS
from undercount.logs import script_logger
from undercount.records import read_records
from undercount.strata import Scheme, person_attributes, stratify, usable

log = script_logger(snakemake.log[0], "stratify")
kind, _flag = POPULATIONS[snakemake.wildcards.population]
persons = pd.read_csv(snakemake.input.persons, dtype=str)
records = {s: read_records(p, kind) for s, p in zip(snakemake.params.sources, snakemake.input.records)}
attributes = person_attributes(persons, records, kind)
scheme = Scheme.from_config(snakemake.wildcards.scheme, snakemake.params.scheme, snakemake.params.start_date)
tables = stratify(persons, attributes, scheme, snakemake.params.sources, [CAVEATS[snakemake.params.linkage]])
out = Path(snakemake.output[0])
rule = snakemake.params.usable
summary = []
for stratum, (table, meta) in tables.items():
    ok, reason = usable(meta["people_per_list"], rule["min_sources"], rule["min_records"])
    meta["usable"] = ok
    meta["unusable_reason"] = reason or None
    folder = out / stratum
    folder.mkdir(parents=True, exist_ok=True)
    table.to_frame().to_csv(folder / "histories.csv", index=False, lineterminator="\n")
    with open(folder / "histories.json", "w", encoding="utf-8") as fh:
        json.dump(meta, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    summary.append({"stratum": stratum, "n_observed": meta["n_observed"], "usable": ok})
    log.info("%-40s %6d people; usable: %s", stratum, meta["n_observed"], ok)
pd.DataFrame(summary).to_csv(out / "strata.csv", index=False, lineterminator="\n")
log.info(
    "%d persons; %d with conflicting attributes across records",
    len(attributes),
    int((attributes["conflicts"] > 0).sum()),
)
