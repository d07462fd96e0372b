# Link the records of one population into persons; only ids leave this step.
# The matcher (Splink by default) is fitted once per event and record kind (link_fit): the
# populations that share the kind's records (detentions, torture, deaths in custody) share its
# fit and clustering at every threshold, and each keeps its records' rows (link_thresholds).
# persons.csv takes the main threshold, linkage_sensitivity estimates at all.


include: "link_common.smk"


rule link_fit:
    input:
        records=kind_records,
        labels=event_labels,
    output:
        linked=FIT["linked"],
        # exact, so each population's model.csv and chart come from the fit's numbers; its last
        # digits differ between runs (Splink on DuckDB, about 1e-14), so it leaves results/ once read
        model=temp(FIT["model"]),
        pairs=FIT["pairs"],
        label_accuracy=FIT["label_accuracy"],
    log:
        "logs/link_fit/{event}/{kind}.log",
    params:
        code=CODE,
        sources=kind_source_ids,
        other_sources=kind_other_source_ids,
        thresholds=THRESHOLDS,
        linkage=LINKAGE_FIT,
    script:
        "../../scripts/link_fit.py"


rule link_thresholds:
    input:
        unpack(population_fit),
        # a population defined by a flag (torture_alleged) reads it from its records
        records=flagged_population_records,
    output:
        linked="results/{event}/{population}/linkage/thresholds.csv",
        model="results/{event}/{population}/linkage/model.csv",
        pairs="results/{event}/{population}/linkage/pairs.csv",
        label_accuracy="results/{event}/{population}/linkage/label_accuracy.csv",
        chart=report(
            "results/{event}/{population}/linkage/match_weights.png",
            caption="../report/match_weights.rst",
            category="Record linkage",
        ),
    log:
        "logs/link_thresholds/{event}/{population}.log",
    params:
        code=CODE,
        sources=population_source_ids,
        # the label follows the lists (undercount.synthetic), never the config's top-level flag
        synthetic=table_synthetic,
        title=match_weights_title,
    script:
        "../../scripts/link_thresholds.py"


rule link:
    input:
        unpack(link_inputs),
    output:
        persons="results/{event}/{population}/persons.csv",
    log:
        "logs/link/{event}/{population}.log",
    params:
        code=CODE,
        sources=population_source_ids,
        method=LINKAGE["method"],
        threshold=LINKAGE["threshold"],
    script:
        "../../scripts/link.py"


# The page shows the pairs the linkage scored (pairs.csv): one fit, so review and linkage agree.
rule review:
    input:
        records=population_records,
        pairs="results/{event}/{population}/linkage/pairs.csv",
    output:
        page=REVIEW,
    log:
        "logs/review/{event}/{population}.log",
    params:
        code=CODE,
        sources=population_source_ids,
        threshold=LINKAGE["threshold"],
        review=LINKAGE["review"] or {},
    script:
        "../../scripts/link_review.py"


rule linkage_sensitivity:
    input:
        linked="results/{event}/{population}/linkage/thresholds.csv",
    output:
        sensitivity="results/{event}/{population}/linkage_sensitivity.csv",
    log:
        "logs/linkage_sensitivity/{event}/{population}.log",
    params:
        code=CODE,
        sources=population_source_ids,
        methods=SENSITIVITY_METHODS,
        thresholds=THRESHOLDS,
        seeds=sensitivity_seeds,
        level=CONFIG["level"],
        caveat=CAVEAT,
    script:
        "../../scripts/linkage_sensitivity.py"


rule figure_linkage_sensitivity:
    input:
        sensitivity=[
            f"results/{e}/{p}/linkage_sensitivity.csv" for e, p in RECORD_TABLES
        ],
    output:
        png=report(
            "results/figures/linkage_sensitivity.png",
            caption="../report/linkage_sensitivity.rst",
            category="Record linkage",
        ),
        tsv="results/figures/linkage_sensitivity.tsv",
    log:
        "logs/figures/linkage_sensitivity.log",
    params:
        code=CODE,
        threshold=LINKAGE["threshold"],
        level=CONFIG["level"],
        synthetic=SYNTHETIC,
        event_labels=EVENT_LABELS,
    script:
        "../../scripts/figure_linkage_sensitivity.py"


rule linkage_accuracy:
    input:
        linked=[f"results/{e}/{p}/linkage/thresholds.csv" for e, p in RECORD_TABLES],
        from_labels=[
            f"results/{e}/{p}/linkage/label_accuracy.csv" for e, p in RECORD_TABLES
        ],
        truth=TRUTH or [],
    output:
        table=report(
            "results/linkage/accuracy.csv",
            caption="../report/linkage_accuracy_table.rst",
            category="Record linkage",
        ),
        png=report(
            "results/figures/linkage_accuracy.png",
            caption="../report/linkage_accuracy.rst",
            category="Record linkage",
        ),
        tsv="results/figures/linkage_accuracy.tsv",
    log:
        "logs/linkage_accuracy.log",
    params:
        code=CODE,
        tables=[f"{e}/{p}" for e, p in RECORD_TABLES],
        thresholds=THRESHOLDS,
        threshold=LINKAGE["threshold"],
        synthetic=SYNTHETIC,
        event_labels=EVENT_LABELS,
    script:
        "../../scripts/linkage_accuracy.py"
