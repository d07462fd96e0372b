# Figures: each PNG with the .tsv of the data behind it.


rule figure_reported_tolls:
    input:
        reported=CONFIG["reported_figures"],
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
        events={
            e: [CONFIG["events"][e]["label"], CONFIG["events"][e]["start_date"]]
            for e in EVENTS
        },
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
        title=overlap_title,
        labels=event_source_labels,
        synthetic=CONFIG["synthetic"],
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
        event_labels={e: CONFIG["events"][e]["label"] for e in EVENTS},
        source_labels={e: source_labels(e) for e in EVENTS},
        stratum=STRATUM,
        level=CONFIG["level"],
        synthetic=CONFIG["synthetic"],
    script:
        "../../scripts/figure_documented_vs_estimated.py"
