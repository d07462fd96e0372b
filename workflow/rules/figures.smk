# Figures: each PNG with the .tsv of the data behind it.


# The cited public numbers alone: reported tolls over time, and what the published list sizes
# imply. One job draws them all (README, "Figure jobs"); each output only when the reported
# figures have what it draws.
if REPORTED_FIGURES:

    rule figures_reported:
        input:
            reported=REPORTED,
        output:
            **REPORTED_FIGURES,
        log:
            "logs/figures/reported.log",
        params:
            code=CODE,
            events=EVENT_STARTS,
            list_events=LIST_SIZE_EVENTS,
            event_labels=EVENT_LABELS,
            level=CONFIG["level"],
        script:
            "../../scripts/figures_reported.py"


# The estimates against the official list and against the reported tolls: one job draws both,
# each only when the config has what it draws.
if COMPARISON_FIGURES:

    rule figures_comparisons:
        input:
            estimates="results/estimates.csv",
            histories=(
                population_histories("deaths")
                if "coverage" in COMPARISON_FIGURES
                else []
            ),
            reported=REPORTED if "reported" in COMPARISON_FIGURES else [],
        output:
            **COMPARISON_FIGURES,
        log:
            "logs/figures/comparisons.log",
        params:
            code=CODE,
            deaths_events=population_events("deaths"),
            official=OFFICIAL,
            events=EVENT_STARTS,
            event_labels=EVENT_LABELS,
            method=CONFIG["headline_method"],
            level=CONFIG["level"],
            synthetic=SYNTHETIC,
        script:
            "../../scripts/figures_comparisons.py"


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


# One job per population draws its two figures of estimates: every method on every table
# (forest), and per event the documented counts beside the estimates. One Python start-up
# instead of two (README, "Figure jobs"); both read results/estimates.csv, so neither reruns
# more often than before.
rule figures_population:
    input:
        estimates="results/estimates.csv",
        histories=histories_of_population,
    output:
        forest=report(
            "results/figures/forest_{population}.png",
            caption="../report/forest.rst",
            category="Estimates",
        ),
        forest_tsv="results/figures/forest_{population}.tsv",
        documented=report(
            "results/figures/{population}_documented_vs_estimated.png",
            caption="../report/documented_vs_estimated.rst",
            category="Estimates",
        ),
        documented_tsv="results/figures/{population}_documented_vs_estimated.tsv",
    log:
        "logs/figures/population_{population}.log",
    params:
        code=CODE,
        events=events_of_population,
        event_labels=EVENT_LABELS,
        source_labels={e: source_labels(e) for e in EVENTS},
        stratum=STRATUM,
        level=CONFIG["level"],
        synthetic=population_synthetic,
    script:
        "../../scripts/figures_population.py"


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


# Per-table model figures go into one directory per method under residuals/, lcmcr/ and dga/:
# an image for every table the method estimated (never a placeholder for one it could not), and
# index.tsv naming every table with its file or the reason it has none (the report's first page
# lists them too). One job draws every method's figures: a figure job's start-up (Python, pandas,
# matplotlib, plotnine) costs more than most of its drawing (README, "Figure jobs"). The report
# reads each figure's method from its folder ({label}), so the captions name it as before.
if MODEL_FIGURE_METHODS:

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
