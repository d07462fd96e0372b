"""Rule histories: persons.csv -> capture-history table and its summary."""

import json

import pandas as pd

from undercount.histories import build_histories
from undercount.linkage import CAVEATS
from undercount.logs import script_logger

log = script_logger(snakemake.log[0], "histories")
persons = pd.read_csv(snakemake.input.persons, dtype=str)
table, meta = build_histories(persons, snakemake.params.sources, [CAVEATS[snakemake.params.linkage]])
# Which lists are synthetic travels with the table, so every result built from it can say so.
meta["synthetic_sources"] = list(snakemake.params.synthetic_sources)
table.to_frame().to_csv(snakemake.output.table, index=False, lineterminator="\n")
with open(snakemake.output.meta, "w", encoding="utf-8") as fh:
    json.dump(meta, fh, indent=2, ensure_ascii=False)
    fh.write("\n")
log.info("lists: %s; people observed: %d", ", ".join(meta["lists"]) or "none", meta["n_observed"])
if meta["synthetic_sources"]:
    log.info("synthetic lists: %s", ", ".join(meta["synthetic_sources"]))
for note in meta["notes"]:
    log.warning(note)
