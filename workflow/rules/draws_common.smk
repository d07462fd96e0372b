# linkage.draws: its settings, checks and the input functions of draws.smk.
DRAWS = int(LINKAGE["draws"] or 0)
DRAWS_RECALIBRATE = bool(LINKAGE["draws_recalibrate"])
DRAW_TABLES = RECORD_TABLES if DRAWS else []
# a covariate model (loglinear-cov) needs each person's covariates, which a drawn table of
# counts does not carry: it keeps its single-linkage estimate only
DRAW_LABELS = [
    label for label in METHODS if CONFIG["methods"][label]["method"] != "loglinear-cov"
]
if DRAWS and not FITTED:
    raise WorkflowError(
        "undercount: config linkage.draws needs a linkage that scores pairs (method splink or "
        "probabilistic); the deterministic matcher gives no match probabilities to draw from"
    )


# Strata under the draws: every scheme of a drawn table except the imputed ones (multiple
# imputation over linkage draws is not built: those schemes keep their single-linkage rows).
DRAW_SCHEMES = {
    (e, p): [s for s in SCHEMES[(e, p)] if s not in IMPUTED_SCHEMES]
    for e, p in DRAW_TABLES
}
if DRAWS and any(s in IMPUTED_SCHEMES for e, p in DRAW_TABLES for s in SCHEMES[(e, p)]):
    logger.warning(
        "undercount: warning: linkage.draws: imputed schemes ("
        + ", ".join(sorted(IMPUTED_SCHEMES))
        + ") get no linkage-averaged strata (not with impute); their rows rest on the single linkage"
    )


def draw_overrides(wildcards):
    """linkage.draws_settings of the job's method only: changing another method's entry reruns
    none of its jobs."""
    name = CONFIG["methods"][wildcards.label]["method"]
    return {name: LINKAGE["draws_settings"].get(name, {})}


def averaged_strata_seeds(wildcards):
    """Per stratum: the seed of its estimates over the draws and of their pool."""
    return {
        s: [
            job_seed(
                wildcards.event,
                wildcards.population,
                f"{wildcards.scheme}:{s}:linkage-draws",
                label,
            )
            for label in (wildcards.label, f"{wildcards.label}:pool")
        ]
        for s in strata_names(wildcards)
    }


def averaged_total_seeds(wildcards):
    """The seeds of the total's sums within each draw and of their pool."""
    return [
        job_seed(
            wildcards.event,
            wildcards.population,
            f"{wildcards.scheme}:total:linkage-draws",
            label,
        )
        for label in (wildcards.label, f"{wildcards.label}:pool")
    ]


def averaged_strata_entries():
    """(path, event, population, stratum, label, member) of every averaged stratum and total:
    a stratum's result is a file (member) inside its job's folder (path)."""
    out = []
    for e, p in DRAW_TABLES:
        for scheme in DRAW_SCHEMES[(e, p)]:
            base = f"results/{e}/{p}/strata/{scheme}"
            for s in _strata(e, p, scheme):
                for label in DRAW_LABELS:
                    out.append(
                        (
                            f"{base}/averaged/{label}",
                            e,
                            p,
                            f"{scheme}:{s}",
                            label,
                            f"{s}.json",
                        )
                    )
            for label in DRAW_LABELS:
                out.append(
                    (
                        f"{base}/averaged_total/{label}.json",
                        e,
                        p,
                        f"{scheme}:total",
                        label,
                        None,
                    )
                )
    return out


def draws_seed(wildcards):
    return job_seed(
        wildcards.event, wildcards.population, "linkage-draws", "partitions"
    )


def averaged_seed(wildcards):
    return job_seed(
        wildcards.event, wildcards.population, "all:linkage-draws", wildcards.label
    )


def averaged_pool_seed(wildcards):
    return job_seed(
        wildcards.event,
        wildcards.population,
        "all:linkage-draws",
        f"{wildcards.label}:pool",
    )


def draws_title(wildcards):
    return report_safe(
        f"{CONFIG['events'][wildcards.event]['label']}: "
        f"{uc.population_label(wildcards.population).lower()}, over {DRAWS} plausible linkages"
    )


def averaged_files(wildcards):
    return [
        f"results/{wildcards.event}/{wildcards.population}/averaged/{label}.json"
        for label in DRAW_LABELS
    ]


def single_files(wildcards):
    return [
        f"results/{wildcards.event}/{wildcards.population}/estimates/{label}.json"
        for label in DRAW_LABELS
    ]


def per_draw_files(wildcards):
    return [
        f"results/{wildcards.event}/{wildcards.population}/averaged/{label}.per_draw.csv"
        for label in DRAW_LABELS
    ]


def uncertain_files(wildcards=None):
    return [
        f"results/{e}/{p}/linkage/draws/uncertain_pairs.csv" for e, p in DRAW_TABLES
    ]


def draws_outputs():
    """The figures of the linkage draws (their rules pull every averaged estimate)."""
    return [f"results/figures/linkage_draws_{e}_{p}.png" for e, p in DRAW_TABLES]
