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
