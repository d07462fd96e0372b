# Estimate every table (overall and per stratum) with every configured method,
# add strata together draw by draw, then gather one tidy table.


# One job per table runs every configured method of the table (scripts/estimate.py): a job per
# table and method would pay Python's start-up, the imports and numba's cache loads once per
# method. Each method keeps its own seed, settings and cache key, so the files are those a job per
# method wrote; a changed method setting reruns the table's job, and the estimate cache answers
# the methods that did not change.
rule estimate:
    input:
        unpack(table_covariate_inputs),
        table="results/{event}/{population}/histories.csv",
        meta="results/{event}/{population}/histories.json",
    output:
        estimates=expand(
            "results/{{event}}/{{population}}/estimates/{label}.json", label=METHODS
        ),
        draws=expand(
            "results/{{event}}/{{population}}/estimates/{label}.draws.csv",
            label=METHODS,
        ),
    log:
        "logs/estimate/{event}/{population}.log",
    params:
        code=CODE,
        methods=table_methods,
        level=CONFIG["level"],
    script:
        "../../scripts/estimate.py"


# One job per stratum, every method (as rule estimate); imputed schemes: estimate_stratum_imputed.
rule estimate_stratum:
    input:
        unpack(table_covariate_inputs),
        table=stratum_table,
        meta=stratum_meta,
    output:
        estimates=expand(
            "results/{{event}}/{{population}}/strata/{{scheme}}/estimates/{{stratum}}/{label}.json",
            label=METHODS,
        ),
        draws=expand(
            "results/{{event}}/{{population}}/strata/{{scheme}}/estimates/{{stratum}}/{label}.draws.csv",
            label=METHODS,
        ),
    log:
        "logs/estimate/{event}/{population}/{scheme}/{stratum}.log",
    params:
        code=CODE,
        methods=stratum_methods,
        level=CONFIG["level"],
    script:
        "../../scripts/estimate.py"


rule stratified_total:
    input:
        estimates=strata_estimates,
    output:
        total="results/{event}/{population}/strata/{scheme}/total/{label}.json",
    log:
        "logs/stratified_total/{event}/{population}/{scheme}/{label}.log",
    params:
        code=CODE,
        strata=strata_names,
        seed=total_seed,
        level=CONFIG["level"],
    script:
        "../../scripts/stratified_total.py"


# Multiple imputation (config impute): one job per stratum and method runs all m completed
# data sets and pools them. m jobs of a second each would spend more on starting Python
# than on estimating, and the pool needs all m at once; strata and methods still run in parallel.
rule estimate_stratum_imputed:
    input:
        strata=strata_dir,
    output:
        estimate="results/{event}/{population}/strata/{scheme}/estimates/{stratum}/{label}.json",
        draws="results/{event}/{population}/strata/{scheme}/estimates/{stratum}/{label}.draws.csv",
        imputations=directory(
            "results/{event}/{population}/strata/{scheme}/estimates/{stratum}/{label}.imputations"
        ),
    log:
        "logs/estimate/{event}/{population}/{scheme}/{stratum}/{label}.log",
    wildcard_constraints:
        scheme=IMPUTED_REGEX,
    params:
        code=CODE,
        method=method_entry,
        seed=stratum_seed,
        level=CONFIG["level"],
    script:
        "../../scripts/estimate_imputed.py"


# The total of an imputed scheme: strata added draw by draw within each imputation, then pooled.
rule stratified_total_imputed:
    input:
        strata=strata_dir,
        imputations=strata_imputations,
    output:
        total="results/{event}/{population}/strata/{scheme}/total/{label}.json",
        table="results/{event}/{population}/strata/{scheme}/total/{label}.imputations.tsv",
    log:
        "logs/stratified_total/{event}/{population}/{scheme}/{label}.log",
    wildcard_constraints:
        scheme=IMPUTED_REGEX,
    params:
        code=CODE,
        strata=strata_names,
        seed=total_seed,
        level=CONFIG["level"],
    script:
        "../../scripts/stratified_total_imputed.py"


ruleorder: estimate_stratum_imputed > estimate_stratum
ruleorder: stratified_total_imputed > stratified_total


rule gather_estimates:
    input:
        estimates=estimate_files,
        strata=strata_tables,
        # linkage.draws: the kinds of pairs the draws disagree on, for the linkage warning (draws.smk)
        uncertain=uncertain_files,
    output:
        report(
            "results/estimates.csv",
            caption="../report/estimates.rst",
            category="Estimates",
        ),
    log:
        "logs/gather_estimates.log",
    params:
        code=CODE,
        # event, population, stratum and label of every input, in order: never read off a path
        entries=estimate_entries,
        uncertain_tables=[f"{e}/{p}" for e, p in DRAW_TABLES],
    script:
        "../../scripts/gather_estimates.py"
