# Validate one source list and write its canonical records (with names) to the private folder.


rule ingest:
    input:
        source_file,
    output:
        records=RECORDS,
    log:
        "logs/ingest/{event}/{source}.log",
    params:
        code=CODE,
        source=source_entry,
    script:
        "../../scripts/ingest.py"
