"""Rule link: records of one population -> persons.csv (source, record_id, person_id)."""

from undercount.config import POPULATIONS
from undercount.linkage import link_population
from undercount.logs import script_logger
from undercount.records import read_records

log = script_logger(snakemake.log[0], "link")
kind, flag = POPULATIONS[snakemake.wildcards.population]
records = {
    source: read_records(path, kind)
    for source, path in zip(snakemake.params.sources, snakemake.input.records)
}
persons = link_population(records, kind=kind, flag=flag, method=snakemake.params.method)
persons.to_csv(snakemake.output.persons, index=False, lineterminator="\n")
log.info("linkage method: %s", snakemake.params.method)
log.info("records in: %d; kept for %s: %d", sum(len(r) for r in records.values()),
         snakemake.wildcards.population, len(persons))
log.info("persons: %d", persons["person_id"].nunique())
for source, group in persons.groupby("source", sort=False):
    log.info("  %-12s %5d records -> %5d persons", source, len(group), group["person_id"].nunique())
