# Link the records of one population into persons; only ids leave this step.


rule link:
    input:
        records=population_records,
    output:
        persons="results/{event}/{population}/persons.csv",
    log:
        "logs/link/{event}/{population}.log",
    params:
        code=CODE,
        sources=population_source_ids,
        method=CONFIG["linkage"]["method"],
    script:
        "../../scripts/link.py"
