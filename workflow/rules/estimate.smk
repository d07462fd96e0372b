# Estimate every table (overall and per stratum) with every configured method,
# add strata together draw by draw, then gather one tidy table.


rule estimate:
    input:
        unpack(covariate_inputs),
        table="results/{event}/{population}/histories.csv",
        meta="results/{event}/{population}/histories.json",
    output:
        estimate="results/{event}/{population}/estimates/{label}.json",
        draws="results/{event}/{population}/estimates/{label}.draws.csv",
    log:
        "logs/estimate/{event}/{population}/{label}.log",
    params:
        code=CODE,
        method=method_entry,
        seed=estimate_seed,
        level=CONFIG["level"],
        covariates=covariate_params,
    script:
        "../../scripts/estimate.py"


rule estimate_stratum:
    input:
        unpack(stratum_covariate_inputs),
        table=stratum_table,
        meta=stratum_meta,
    output:
        estimate="results/{event}/{population}/strata/{scheme}/estimates/{stratum}/{label}.json",
        draws="results/{event}/{population}/strata/{scheme}/estimates/{stratum}/{label}.draws.csv",
    log:
        "logs/estimate/{event}/{population}/{scheme}/{stratum}/{label}.log",
    params:
        code=CODE,
        method=method_entry,
        seed=stratum_seed,
        level=CONFIG["level"],
        covariates=stratum_covariate_params,
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
