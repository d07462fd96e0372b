# Linkage settings, their checks (before any job runs) and the input functions of link.smk.
from undercount.linkage import read_truth
from undercount.estimators import REGISTRY

LINKAGE = CONFIG["linkage"]
PROBABILISTIC = LINKAGE["method"] == "probabilistic"
THRESHOLDS = sorted(set(LINKAGE["thresholds"]) | {LINKAGE["threshold"]})
TRUTH = LINKAGE["truth"]
if TRUTH:
    try:
        read_truth(TRUTH)
    except UndercountError as exc:
        raise WorkflowError(f"undercount: config linkage.truth: {exc}") from None


def sensitivity_method(name):
    if name in CONFIG["methods"]:
        entry = CONFIG["methods"][name]
        return {
            "label": name,
            "method": entry["method"],
            "model": entry.get("model"),
            "settings": entry.get("settings") or {},
        }
    if name in REGISTRY:
        return {"label": name, "method": name, "model": None, "settings": {}}
    raise WorkflowError(
        f"undercount: config linkage.sensitivity_methods: {name!r} is neither a label under "
        f"methods ({', '.join(CONFIG['methods'])}) nor an estimator ({', '.join(sorted(REGISTRY))})"
    )


SENSITIVITY_METHODS = [sensitivity_method(m) for m in LINKAGE["sensitivity_methods"]]


def link_inputs(wildcards):
    if PROBABILISTIC:
        return {
            "linked": f"results/{wildcards.event}/{wildcards.population}/linkage/thresholds.csv"
        }
    return {"records": population_records(wildcards)}


def sensitivity_seeds(wildcards):
    return {
        f"{t:g}|{m['label']}": uc.job_seed(
            CONFIG, wildcards.event, wildcards.population, f"linkage:{t:g}", m["label"]
        )
        for t in THRESHOLDS
        for m in SENSITIVITY_METHODS
    }


def linkage_outputs():
    if not PROBABILISTIC:
        return []
    out = [f"results/{e}/{p}/linkage_sensitivity.csv" for e, p in TABLES]
    out.append("results/figures/linkage_sensitivity.png")
    if TRUTH:
        out += ["results/linkage/accuracy.csv", "results/figures/linkage_accuracy.png"]
    return out
