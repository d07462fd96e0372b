"""Rule link: records of one population -> persons.csv (source, record_id, person_id, match_probability).

With a fitted matcher (splink, probabilistic) the persons at the main
threshold are taken from link_thresholds' output (one fit serves every
threshold); the deterministic matcher links the records here.
"""

import pandas as pd

from undercount import tabular
from undercount.config import POPULATIONS
from undercount.linkage import PERSON_COLUMNS, link_population
from undercount.logs import script_logger
from undercount.records import read_records

log = script_logger(snakemake.log[0], "link")
method = snakemake.params.method
if "table" in snakemake.input.keys():  # a linked person table (kind: linked): no linkage
    from undercount.linked import linked_persons, read_linked_records

    lists = list(snakemake.params.sources)
    persons = linked_persons(read_linked_records(snakemake.input.table, lists), lists)
    log.info(
        "a linked table (kind: linked): its rows are the persons, its list columns the lists; not linked"
    )
elif method != "deterministic":
    linked = pd.read_csv(snakemake.input.linked, dtype={"source": str, "record_id": str})
    threshold = float(snakemake.params.threshold)
    persons = linked[linked["threshold"] == threshold][PERSON_COLUMNS].reset_index(drop=True)
    if persons.empty and not linked.empty:
        raise ValueError(f"threshold {threshold} missing from {snakemake.input.linked}")
    log.info("linkage method: %s, threshold %g", method, threshold)
else:
    kind, flag = POPULATIONS[snakemake.wildcards.population]
    records = {
        source: read_records(path, kind)
        for source, path in zip(snakemake.params.sources, snakemake.input.records)
    }
    persons = link_population(records, kind=kind, flag=flag, method=method)
    log.info("linkage method: %s; records in: %d", method, sum(len(r) for r in records.values()))
tabular.write_csv(persons, snakemake.output.persons, index=False, lineterminator="\n")
log.info("records kept for %s: %d", snakemake.wildcards.population, len(persons))
log.info("persons: %d", persons["person_id"].nunique())
for source, group in persons.groupby("source", sort=False):
    log.info("  %-12s %5d records -> %5d persons", source, len(group), group["person_id"].nunique())
