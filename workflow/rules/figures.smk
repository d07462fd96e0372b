# Figures: each PNG with the .tsv of the data behind it.


rule figure_reported_tolls:
    input:
        reported=REPORTED,
    output:
        png=report(
            "results/figures/reported_tolls.png",
            caption="../report/reported_tolls.rst",
            category="Reported figures",
        ),
        tsv="results/figures/reported_tolls.tsv",
    log:
        "logs/figures/reported_tolls.log",
    params:
        code=CODE,
        events=EVENT_STARTS,
    script:
        "../../scripts/figure_reported_tolls.py"


rule figure_overlap:
    input:
        table="results/{event}/{population}/histories.csv",
        meta="results/{event}/{population}/histories.json",
    output:
        png=report(
            "results/figures/overlap_{event}_{population}.png",
            caption="../report/overlap.rst",
            category="Source overlap",
            subcategory="{event}",
        ),
        tsv="results/figures/overlap_{event}_{population}.tsv",
    log:
        "logs/figures/overlap_{event}_{population}.log",
    params:
        code=CODE,
        title=overlap_title,
        labels=event_source_labels,
        synthetic=table_synthetic,
    script:
        "../../scripts/figure_overlap.py"


rule figure_documented_vs_estimated:
    input:
        estimates="results/estimates.csv",
        histories=histories_of_population,
    output:
        png=report(
            "results/figures/{population}_documented_vs_estimated.png",
            caption="../report/documented_vs_estimated.rst",
            category="Estimates",
        ),
        tsv="results/figures/{population}_documented_vs_estimated.tsv",
    log:
        "logs/figures/{population}_documented_vs_estimated.log",
    params:
        code=CODE,
        events=events_of_population,
        event_labels=EVENT_LABELS,
        source_labels={e: source_labels(e) for e in EVENTS},
        stratum=STRATUM,
        level=CONFIG["level"],
        synthetic=population_synthetic,
    script:
        "../../scripts/figure_documented_vs_estimated.py"


rule figure_forest:
    input:
        estimates="results/estimates.csv",
    output:
        png=report(
            "results/figures/forest_{population}.png",
            caption="../report/forest.rst",
            category="Estimates",
        ),
        tsv="results/figures/forest_{population}.tsv",
    log:
        "logs/figures/forest_{population}.log",
    params:
        code=CODE,
        event_labels=EVENT_LABELS,
        level=CONFIG["level"],
        synthetic=population_synthetic,
    script:
        "../../scripts/figure_forest.py"


rule figure_official_coverage:
    input:
        estimates="results/estimates.csv",
        histories=population_histories("deaths"),
    output:
        png=report(
            "results/figures/official_coverage.png",
            caption="../report/official_coverage.rst",
            category="2022 versus 2011",
        ),
        tsv="results/figures/official_coverage.tsv",
    log:
        "logs/figures/official_coverage.log",
    params:
        code=CODE,
        events=population_events("deaths"),
        official=OFFICIAL,
        event_labels=EVENT_LABELS,
        level=CONFIG["level"],
        synthetic=SYNTHETIC,
    script:
        "../../scripts/figure_official_coverage.py"


rule figure_strata:
    input:
        estimates="results/estimates.csv",
        strata=strata_dir,
    output:
        png=report(
            "results/figures/strata_{event}_{population}_{scheme}.png",
            caption="../report/strata.rst",
            category="Strata",
            subcategory="{event}",
        ),
        tsv="results/figures/strata_{event}_{population}_{scheme}.tsv",
    log:
        "logs/figures/strata_{event}_{population}_{scheme}.log",
    params:
        code=CODE,
        official=official_of_event,
        title=strata_title,
        level=CONFIG["level"],
        synthetic=table_synthetic,
    script:
        "../../scripts/figure_strata.py"


rule figure_reported_vs_estimated:
    input:
        reported=REPORTED,
        estimates="results/estimates.csv",
    output:
        png=report(
            "results/figures/reported_vs_estimated.png",
            caption="../report/reported_vs_estimated.rst",
            category="2022 versus 2011",
        ),
        tsv="results/figures/reported_vs_estimated.tsv",
    log:
        "logs/figures/reported_vs_estimated.log",
    params:
        code=CODE,
        events=EVENT_STARTS,
        method=CONFIG["headline_method"],
        level=CONFIG["level"],
        synthetic=SYNTHETIC,
    script:
        "../../scripts/figure_reported_vs_estimated.py"


rule figure_list_sizes:
    input:
        reported=REPORTED,
    output:
        png=report(
            "results/figures/list_sizes_{event}.png",
            caption="../report/list_sizes.rst",
            category="Reported figures",
        ),
        tsv="results/figures/list_sizes_{event}.tsv",
    log:
        "logs/figures/list_sizes_{event}.log",
    params:
        code=CODE,
        label=event_label,
        level=CONFIG["level"],
    script:
        "../../scripts/figure_list_sizes.py"


# Per-table model figures go into one directory per method under residuals/, lcmcr/ and dga/:
# an image for every table the method estimated (never a placeholder for one it could not), and
# index.tsv naming every table with its file or the reason it has none (the report's first page
# lists them too). One job draws every method's figures: a figure job's start-up (Python, pandas,
# matplotlib, plotnine) costs more than most of its drawing (README, "Figure jobs"). The report
# reads each figure's method from its folder ({label}), so the captions name it as before.
rule figures_models:
    input:
        estimates=MODEL_FIGURE_ESTIMATES,
    output:
        **model_figure_outputs(),
    log:
        "logs/figures/models.log",
    params:
        code=CODE,
        methods=MODEL_FIGURE_METHODS,
        tables=[f"{e}/{p}" for e, p in TABLES],
        event_labels=EVENT_LABELS,
        source_labels={e: source_labels(e) for e in EVENTS},
        synthetic=SYNTHETIC_TABLES,
    script:
        "../../scripts/figures_models.py"


# Multiple imputation: each imputation's estimate next to the pooled one, per stratum and total.
rule figure_imputations:
    input:
        strata=strata_dir,
        tables=imputation_tables,
    output:
        png=report(
            "results/figures/imputations_{event}_{population}_{scheme}.png",
            caption="../report/imputations.rst",
            category="Strata",
            subcategory="{event}",
        ),
        tsv="results/figures/imputations_{event}_{population}_{scheme}.tsv",
    log:
        "logs/figures/imputations_{event}_{population}_{scheme}.log",
    wildcard_constraints:
        scheme=IMPUTED_REGEX,
    params:
        code=CODE,
        labels=METHODS,
        strata=strata_names,
        title=strata_title,
        level=CONFIG["level"],
        synthetic=table_synthetic,
    script:
        "../../scripts/figure_imputations.py"
