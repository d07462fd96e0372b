# Estimate every table with every configured method, then gather one tidy table.


rule estimate:
    input:
        table="results/{event}/{population}/histories.csv",
        meta="results/{event}/{population}/histories.json",
    output:
        estimate="results/{event}/{population}/estimates/{label}.json",
    log:
        "logs/estimate/{event}/{population}/{label}.log",
    params:
        method=method_entry,
        seed=estimate_seed,
        level=CONFIG["level"],
    script:
        "../../scripts/estimate.py"


rule gather_estimates:
    input:
        estimate_files(),
    output:
        report(
            "results/estimates.csv",
            caption="../report/estimates.rst",
            category="Estimates",
        ),
    log:
        "logs/gather_estimates.log",
    params:
        stratum=STRATUM,
    script:
        "../../scripts/gather_estimates.py"
