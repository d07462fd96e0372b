# Linkage settings, their checks (before any job runs) and the input functions of link.smk.
from undercount.linkage import CAVEATS, read_truth
from undercount.linkage.core import read_reference_frequencies
from undercount.linkage.labels import read_labels
from undercount.records import read_source
from undercount.estimators import REGISTRY

LINKAGE = CONFIG["linkage"]
FITTED = LINKAGE["method"] != "deterministic"
THRESHOLDS = sorted(set(LINKAGE["thresholds"]) | {LINKAGE["threshold"]})
TRUTH = LINKAGE["truth"]
LABELS = LINKAGE["labels"]
CAVEAT = CAVEATS[LINKAGE["method"]]
REVIEW = os.path.join(PRIVATE, "review", "{event}", "{population}.html")
# the settings a fit depends on (a change re-runs exactly the linkage jobs)
LINKAGE_FIT = {
    key: LINKAGE[key]
    for key in (
        "method",
        "backend",
        "blocking_rules",
        "max_pairs",
        "reference_frequencies",
        "conflicts",
    )
}
if TRUTH:
    try:
        read_truth(TRUTH)
    except UndercountError as exc:
        raise WorkflowError(f"undercount: config linkage.truth: {exc}") from None
if LINKAGE["reference_frequencies"]:
    try:
        read_reference_frequencies(LINKAGE["reference_frequencies"])
    except UndercountError as exc:
        raise WorkflowError(
            f"undercount: config linkage.reference_frequencies: {exc}"
        ) from None
for _event in LABELS:
    if _event not in CONFIG["events"]:
        raise WorkflowError(
            f"undercount: config linkage.labels: {_event!r} is not an event "
            f"({', '.join(CONFIG['events'])})"
        )
    _known = {
        spec.id: [str(x) for x in read_source(spec)["record_id"]]
        for spec in uc.sources(CONFIG, _event)
        if spec.kind != "linked"
    }
    for _path in LABELS[_event]:
        try:
            read_labels(_path, _known)
        except UndercountError as exc:
            raise WorkflowError(
                f"undercount: config linkage.labels.{_event}: {exc}"
            ) from None


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
    # a linked person table is never linked, whatever the matcher of the other tables
    if (wildcards.event, wildcards.population) in LINKED_TABLES:
        return {"table": population_records(wildcards)[0]}
    if FITTED:
        return {
            "linked": f"results/{wildcards.event}/{wildcards.population}/linkage/thresholds.csv"
        }
    return {"records": population_records(wildcards)}


# One fit per event and record kind, shared by the populations whose records are of that kind.
# Ids and numbers only; the model is kept exactly (model.json), each population's model.csv rounds it.
FIT = {
    "linked": "results/{event}/linkage/{kind}/thresholds.csv",
    "model": "results/{event}/linkage/{kind}/model.json",
    "pairs": "results/{event}/linkage/{kind}/pairs.csv",
    "label_accuracy": "results/{event}/linkage/{kind}/label_accuracy.csv",
}


def kind_records(wildcards):
    return [
        RECORDS.format(event=wildcards.event, source=s.id)
        for s in uc.sources(CONFIG, wildcards.event, wildcards.kind)
    ]


def kind_source_ids(wildcards):
    return [s.id for s in uc.sources(CONFIG, wildcards.event, wildcards.kind)]


def kind_other_source_ids(wildcards):
    return [
        s.id for s in uc.sources(CONFIG, wildcards.event) if s.kind != wildcards.kind
    ]


def population_kind(wildcards):
    return uc.POPULATIONS[wildcards.population][0]


def population_fit(wildcards):
    """The fit a population's linkage comes from: its kind's (link_fit)."""
    kind = population_kind(wildcards)
    return {
        f"fit_{name}": path.format(event=wildcards.event, kind=kind)
        for name, path in FIT.items()
    }


def flagged_population_records(wildcards):
    """A population defined by a flag needs its records (the flag); the others only the fit."""
    if uc.POPULATIONS[wildcards.population][1] is None:
        return []
    return population_records(wildcards)


def event_labels(wildcards):
    return LABELS.get(wildcards.event, [])


def other_source_ids(wildcards):
    mine = set(population_source_ids(wildcards))
    return [s.id for s in uc.sources(CONFIG, wildcards.event) if s.id not in mine]


def sensitivity_seeds(wildcards):
    return {
        f"{t:g}|{m['label']}": uc.job_seed(
            CONFIG, wildcards.event, wildcards.population, f"linkage:{t:g}", m["label"]
        )
        for t in THRESHOLDS
        for m in SENSITIVITY_METHODS
    }


def linkage_outputs():
    """Linkage's own outputs, for the tables undercount links (never a linked table's)."""
    if not FITTED or not RECORD_TABLES:
        return []
    out = [f"results/{e}/{p}/linkage_sensitivity.csv" for e, p in RECORD_TABLES]
    out.append("results/figures/linkage_sensitivity.png")
    out += [f"results/{e}/{p}/linkage/match_weights.png" for e, p in RECORD_TABLES]
    if TRUTH or LABELS:
        out += ["results/linkage/accuracy.csv", "results/figures/linkage_accuracy.png"]
    if LINKAGE["review"] is not None:
        out += [REVIEW.format(event=e, population=p) for e, p in RECORD_TABLES]
    return out
