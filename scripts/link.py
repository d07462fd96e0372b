"""Rule link: records of one population -> persons.csv (source, record_id, person_id, match_probability).

With a fitted matcher (splink, probabilistic) the persons at the main
threshold are taken from link_thresholds' output (one fit, link_fit's, serves every
threshold); the deterministic matcher links the records here.
"""

import pandas as pd

from undercount import tabular
from undercount.config import POPULATIONS
from undercount.linkage import PERSON_COLUMNS, link_population
from undercount.logs import script_logger
from undercount.records import read_records


def main(job) -> None:
    """Run the rule for ``job``: Snakemake's job object, or any object with its
    ``input``, ``output``, ``params``, ``wildcards`` and ``log`` attributes."""
    log = script_logger(job.log[0], "link")
    method = job.params.method
    if "table" in job.input.keys():  # a linked person table (kind: linked): no linkage
        from undercount.linked import linked_persons, read_linked_records

        lists = list(job.params.sources)
        persons = linked_persons(read_linked_records(job.input.table, lists), lists)
        log.info(
            "a linked table (kind: linked): its rows are the persons, its list columns the lists; not linked"
        )
    elif method != "deterministic":
        linked = pd.read_csv(job.input.linked, dtype={"source": str, "record_id": str})
        threshold = float(job.params.threshold)
        persons = linked[linked["threshold"] == threshold][PERSON_COLUMNS].reset_index(drop=True)
        if persons.empty and not linked.empty:
            raise ValueError(f"threshold {threshold} missing from {job.input.linked}")
        log.info("linkage method: %s, threshold %g", method, threshold)
    else:
        kind, flag = POPULATIONS[job.wildcards.population]
        records = {
            source: read_records(path, kind) for source, path in zip(job.params.sources, job.input.records)
        }
        persons = link_population(records, kind=kind, flag=flag, method=method)
        log.info("linkage method: %s; records in: %d", method, sum(len(r) for r in records.values()))
    tabular.write_csv(persons, job.output.persons, index=False, lineterminator="\n")
    log.info("records kept for %s: %d", job.wildcards.population, len(persons))
    log.info("persons: %d", persons["person_id"].nunique())
    for source, group in persons.groupby("source", sort=False):
        log.info("  %-12s %5d records -> %5d persons", source, len(group), group["person_id"].nunique())


if "snakemake" in globals():
    main(snakemake)
