# The identifying assumption made visible: the total as a function of it, per log-linear estimate;
# and the covariate models' figures (which people each list misses, the models' weights).


rule sensitivity:
    input:
        estimate="results/{event}/{population}/estimates/{label}.json",
    output:
        csv="results/{event}/{population}/sensitivity/{label}.csv",
        figure=report(
            directory("results/figures/sensitivity/{label}/{event}_{population}"),
            patterns=["{name}.png"],
            caption="../report/sensitivity.rst",
            category="Identifying assumption",
            subcategory="{label}",
        ),
    log:
        "logs/sensitivity/{event}/{population}/{label}.log",
    params:
        code=CODE,
        title=table_title,
        synthetic=table_synthetic,
    script:
        "../../scripts/sensitivity.py"


rule figure_covariates:
    input:
        estimate="results/{event}/{population}/estimates/{label}.json",
    output:
        figure=report(
            directory("results/figures/covariates/{label}/{event}_{population}"),
            patterns=["{name}.png"],
            caption="../report/covariates.rst",
            category="Covariate model",
            subcategory="{label}",
        ),
    log:
        "logs/figures/covariates/{event}/{population}/{label}.log",
    params:
        code=CODE,
        title=table_title,
        synthetic=table_synthetic,
    script:
        "../../scripts/figure_covariates.py"
