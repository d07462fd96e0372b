"""Rule ingest: validate one source list, write its canonical records (private)."""

from undercount.logs import script_logger
from undercount.records import SourceSpec, describe, read_source, write_records

log = script_logger(snakemake.log[0], "ingest")
spec = SourceSpec.from_config(snakemake.wildcards.source, snakemake.params.source)
records = read_source(spec)
write_records(records, snakemake.output.records)
summary = describe(records, spec.kind)
log.info("source %s (%s) from %s: %d records", spec.id, spec.kind, spec.path, summary["records"])
for column, blanks in summary["blank_per_column"].items():
    log.info("  %-16s blank in %d records", column, blanks)
