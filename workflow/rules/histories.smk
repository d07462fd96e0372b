# Count linked persons by the combination of lists that document them, overall and per stratum.


rule histories:
    input:
        persons="results/{event}/{population}/persons.csv",
    output:
        table="results/{event}/{population}/histories.csv",
        meta="results/{event}/{population}/histories.json",
    log:
        "logs/histories/{event}/{population}.log",
    params:
        code=CODE,
        sources=population_source_ids,
        linkage=table_linkage,
        synthetic_sources=table_synthetic_sources,
    script:
        "../../scripts/histories.py"


checkpoint stratify:
    input:
        persons="results/{event}/{population}/persons.csv",
        records=population_records,
    output:
        directory("results/{event}/{population}/strata/{scheme}/tables"),
    log:
        "logs/stratify/{event}/{population}/{scheme}.log",
    params:
        code=CODE,
        sources=population_source_ids,
        scheme=scheme_entry,
        start_date=event_start,
        usable=CONFIG["usable_stratum"],
        linkage=table_linkage,
        impute=scheme_impute,
        impute_seed=impute_seed,
    script:
        "../../scripts/stratify.py"
