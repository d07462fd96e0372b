# Plausible linkages (linkage.draws: R > 0; docs/linkage.md section 13): R partitions drawn from
# the pairs one linkage scored, every draw's table estimated (each distinct table once, through
# the estimate cache), and the draws of N mixed into a linkage-averaged estimate per method.
# One job per table draws all R partitions, and one job per table and method estimates all R
# tables: R x methods x tables small jobs would each pay Python's start-up.


include: "draws_common.smk"


rule link_draws:
    input:
        records=population_records,
        labels=event_labels,
        pairs="results/{event}/{population}/linkage/pairs.csv",
        meta="results/{event}/{population}/histories.json",
    output:
        histories="results/{event}/{population}/linkage/draws/histories.csv",
        summary="results/{event}/{population}/linkage/draws/summary.json",
        persons="results/{event}/{population}/linkage/draws/persons.csv",
        uncertain=report(
            "results/{event}/{population}/linkage/draws/uncertain_pairs.csv",
            caption="../report/uncertain_pairs.rst",
            category="Record linkage",
            subcategory="Plausible linkages",
        ),
    log:
        "logs/link_draws/{event}/{population}.log",
    params:
        code=CODE,
        sources=population_source_ids,
        other_sources=other_source_ids,
        linkage=LINKAGE_FIT,
        threshold=LINKAGE["threshold"],
        draws=DRAWS,
        recalibrate=DRAWS_RECALIBRATE,
        seed=draws_seed,
    script:
        "../../scripts/link_draws.py"


rule estimate_averaged:
    input:
        histories="results/{event}/{population}/linkage/draws/histories.csv",
        meta="results/{event}/{population}/histories.json",
    output:
        estimate="results/{event}/{population}/averaged/{label}.json",
        draws="results/{event}/{population}/averaged/{label}.draws.csv",
        per_draw="results/{event}/{population}/averaged/{label}.per_draw.csv",
    log:
        "logs/estimate_averaged/{event}/{population}/{label}.log",
    params:
        code=CODE,
        method=method_entry,
        draw_settings=draw_overrides,
        seed=averaged_seed,
        pool_seed=averaged_pool_seed,
        level=CONFIG["level"],
    script:
        "../../scripts/estimate_averaged.py"


# Strata under the draws: one job per table and scheme builds every draw's stratum tables, and one
# job per table, scheme and method loops over strata and draws (strata x draws jobs would each pay
# Python's start-up). Imputed schemes are left out (draws_common.smk).
rule stratify_draws:
    input:
        persons="results/{event}/{population}/linkage/draws/persons.csv",
        records=population_records,
        meta="results/{event}/{population}/histories.json",
        strata=strata_dir,
    output:
        histories="results/{event}/{population}/linkage/draws/strata/{scheme}/histories.csv",
        outside="results/{event}/{population}/linkage/draws/strata/{scheme}/outside.csv",
    log:
        "logs/stratify_draws/{event}/{population}/{scheme}.log",
    params:
        code=CODE,
        sources=population_source_ids,
        scheme=scheme_entry,
        start_date=event_start,
        strata=strata_names,
    script:
        "../../scripts/stratify_draws.py"


rule estimate_averaged_strata:
    input:
        histories="results/{event}/{population}/linkage/draws/strata/{scheme}/histories.csv",
        outside="results/{event}/{population}/linkage/draws/strata/{scheme}/outside.csv",
        meta="results/{event}/{population}/histories.json",
        strata=strata_dir,
    output:
        strata=directory(
            "results/{event}/{population}/strata/{scheme}/averaged/{label}"
        ),
        total="results/{event}/{population}/strata/{scheme}/averaged_total/{label}.json",
        total_draws="results/{event}/{population}/strata/{scheme}/averaged_total/{label}.draws.csv",
        total_per_draw="results/{event}/{population}/strata/{scheme}/averaged_total/{label}.per_draw.csv",
    log:
        "logs/estimate_averaged_strata/{event}/{population}/{scheme}/{label}.log",
    params:
        code=CODE,
        method=method_entry,
        draw_settings=draw_overrides,
        strata=strata_names,
        seeds=averaged_strata_seeds,
        total_seeds=averaged_total_seeds,
        draws=DRAWS,
        usable=CONFIG["usable_stratum"],
        level=CONFIG["level"],
    script:
        "../../scripts/estimate_averaged_strata.py"


rule figure_linkage_draws:
    input:
        single=single_files,
        averaged=averaged_files,
        per_draw=per_draw_files,
    output:
        png=report(
            "results/figures/linkage_draws_{event}_{population}.png",
            caption="../report/linkage_draws.rst",
            category="Record linkage",
            subcategory="Plausible linkages",
        ),
        tsv="results/figures/linkage_draws_{event}_{population}.tsv",
    log:
        "logs/figures/linkage_draws_{event}_{population}.log",
    params:
        code=CODE,
        labels=DRAW_LABELS,
        title=draws_title,
        level=CONFIG["level"],
        synthetic=table_synthetic,
    script:
        "../../scripts/figure_linkage_draws.py"
