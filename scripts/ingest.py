"""Rule ingest: validate one source list, write its canonical records (private) and what was found."""

import json

from undercount.config import source_report
from undercount.logs import script_logger
from undercount.records import SourceSpec, describe, read_source, write_records


def main(job) -> None:
    """Run the rule for ``job``: Snakemake's job object, or any object with its
    ``input``, ``output``, ``params``, ``wildcards`` and ``log`` attributes."""
    log = script_logger(job.log[0], "ingest")
    spec = SourceSpec.from_config(job.wildcards.source, job.params.source)
    records = read_source(spec)
    if spec.kind == "linked":
        from undercount.linked import describe_linked, ignored_text, write_linked

        write_linked(records, job.output.records)
    else:
        write_records(records, job.output.records)
    event = {"start_date": job.params.start, "date_window": job.params.window}
    found = source_report(job.wildcards.event, event, spec, records)
    with open(job.output.summary, "w", encoding="utf-8") as fh:
        json.dump(found.to_dict(), fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    if spec.kind == "linked":
        summary = describe_linked(records, spec.lists)
        summary["records"] = summary["persons"]
        summary["blank_per_column"] = summary["blank_per_field"]
        log.info(
            "linked table %s (%s) from %s: %d persons",
            spec.id,
            spec.population,
            spec.path,
            summary["persons"],
        )
        for name, count in summary["people_per_list"].items():
            log.info("  list %-12s %6d persons", name, count)
        if ignored_text(records, headers=False):
            log.info("  %s", ignored_text(records, headers=False))
    else:
        summary = describe(records, spec.kind)
        log.info("source %s (%s) from %s: %d records", spec.id, spec.kind, spec.path, summary["records"])
    if found.encoding is not None:
        log.info(
            "  read as %s text, delimiter %r, header on row %d",
            found.encoding,
            found.delimiter,
            found.header_row,
        )
    else:
        log.info("  worksheet %s, header on row %d", spec.sheet or "(the first)", found.header_row)
    if found.blank_rows:
        log.info("  %d blank rows skipped", found.blank_rows)
    log.info("  dates, %s", found.dates.range_text())
    for column, blanks in summary["blank_per_column"].items():
        log.info("  %-16s blank in %d records", column, blanks)
    for warning in found.warnings:
        log.warning(warning)


if "snakemake" in globals():
    main(snakemake)
