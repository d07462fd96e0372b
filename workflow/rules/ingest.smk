# Validate one source list and write its canonical records (with names) to the private folder;
# what reading it found (counts, date range, warnings: no names) goes to results/ and the report.


include: "ingest_common.smk"


rule ingest:
    input:
        source_file,
    output:
        records=RECORDS,
        summary="results/{event}/sources/{source}.json",
    log:
        "logs/ingest/{event}/{source}.log",
    params:
        code=CODE,
        source=source_entry,
        start=event_start,
        window=event_date_window,
    script:
        "../../scripts/ingest.py"


rule sources_table:
    input:
        summaries=all_source_summaries(),
    output:
        report(
            "results/sources.csv",
            caption="../report/sources.rst",
            category="Source lists",
        ),
    log:
        "logs/sources_table.log",
    params:
        code=CODE,
    script:
        "../../scripts/sources_table.py"
