# What a reviewer needs beside the figures: a summary table and the provenance of everything.


rule summary:
    input:
        estimates="results/estimates.csv",
        histories=all_histories(),
    output:
        report(
            "results/summary.csv",
            caption="../report/summary.rst",
            category="Summary",
        ),
    log:
        "logs/summary.log",
    params:
        code=CODE,
        official=OFFICIAL,
        tables=[f"{e}/{p}" for e, p in TABLES],
    script:
        "../../scripts/summary.py"


rule provenance:
    input:
        estimates="results/estimates.csv",
        strata=strata_tables,
        sources=all_source_files(),
        reported=REPORTED,
    output:
        report(
            "results/provenance.tsv",
            caption="../report/provenance.rst",
            category="Provenance",
        ),
    log:
        "logs/provenance.log",
    params:
        code=CODE,
        source_ids=all_source_ids(),
        config_files=workflow.configfiles,
        # the seeds the estimation jobs were given, by job (computed once, in common.smk)
        seeds=job_seeds,
        master_seed=CONFIG["seed"],
    script:
        "../../scripts/provenance.py"
