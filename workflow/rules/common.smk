# Config validation, checks on every input before any job runs, and input functions.
import os
from pathlib import Path
from types import SimpleNamespace

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger
from snakemake.utils import validate

import undercount
from undercount import config as uc
from undercount.errors import UndercountError
from undercount.estimators import get_method
from undercount.provenance import tree_digest
from undercount.report_safe import report_safe

try:  # Snakemake's YAML loader keeps the last of two equal keys: re-read with a strict one
    uc.check_config_files(workflow.configfiles)
except UndercountError as exc:
    raise WorkflowError(f"undercount: {exc}") from None

try:  # our own validation first: one line naming the key (Snakemake's prints the whole schema)
    CONFIG = uc.validate_config(config)
except UndercountError as exc:
    raise WorkflowError(f"undercount: {exc}") from None

validate(config, schema="../schemas/config.schema.yaml")

try:
    CHECKS = uc.check_inputs(CONFIG)
except UndercountError as exc:
    raise WorkflowError(f"undercount: {exc}") from None
# warnings (dates far from the event's start, events without reported tolls) are shown here,
# before any job runs, and again in logs/ingest/ and results/sources.csv (in the report)
for _warning in CHECKS.warnings:
    logger.warning(f"undercount: warning: {_warning}")
SOURCE_COUNTS = {(r.event, r.source): r.records for r in CHECKS.sources}
# events with reported death tolls to draw (none: no figure of reported tolls)
REPORTED_EVENTS = CHECKS.reported_events

# A digest of the library's code is a parameter of every rule: results computed by
# an older version of undercount are recomputed, not silently kept.
_LIB = Path(undercount.__file__).parent
CODE = tree_digest(
    [p for p in _LIB.rglob("*") if p.is_file() and p.suffix in (".py", ".yaml")], _LIB
)[:16]
PRIVATE = CONFIG["private_dir"]
# the cited public figures, when the config names a file (null: none, and no figure of them)
REPORTED = CONFIG["reported_figures"] or []
RECORDS = os.path.join(PRIVATE, "{event}", "records", "{source}.csv")
TABLES = uc.tables(CONFIG)
EVENTS = list(CONFIG["events"])
METHODS = list(CONFIG["methods"])
STRATUM = "all"


def _schemes(event, population):
    return [
        name
        for name, entry in CONFIG["strata"].items()
        if (not entry.get("events") or event in entry["events"])
        and (not entry.get("populations") or population in entry["populations"])
    ]


SCHEMES = {(e, p): _schemes(e, p) for e in EVENTS for p in CONFIG["populations"]}
EVENT_LABELS = report_safe({e: CONFIG["events"][e]["label"] for e in EVENTS})
EVENT_STARTS = report_safe(
    {
        e: [CONFIG["events"][e]["label"], CONFIG["events"][e]["start_date"]]
        for e in EVENTS
    }
)


wildcard_constraints:
    event="|".join(EVENTS),
    # longest first, so deaths_in_custody is never read as deaths followed by a scheme
    population="|".join(sorted(uc.POPULATIONS, key=len, reverse=True)),
    kind="|".join(sorted({kind for kind, _flag in uc.POPULATIONS.values()})),
    source="[A-Za-z][A-Za-z0-9_]*",
    label="|".join(METHODS),
    scheme="[a-z][a-z0-9_]*",
    stratum="[a-z0-9][a-z0-9_.-]*",


# Which results rest on synthetic lists follows the sources (undercount.synthetic), not a switch.
SYNTHETIC = uc.is_synthetic(CONFIG)
SYNTHETIC_TABLES = {f"{e}/{p}": uc.is_synthetic(CONFIG, e, p) for e, p in TABLES}
# the report's captions read the config: there, "synthetic" means "rests on a synthetic list"
config["synthetic"] = SYNTHETIC
config["synthetic_tables"] = [
    t for t, synthetic in SYNTHETIC_TABLES.items() if synthetic
]


def table_synthetic(wildcards):
    return SYNTHETIC_TABLES[f"{wildcards.event}/{wildcards.population}"]


def table_synthetic_sources(wildcards):
    return uc.synthetic_sources(CONFIG, wildcards.event, wildcards.population)


def population_synthetic(wildcards):
    return uc.is_synthetic(CONFIG, None, wildcards.population)


def source_entry(wildcards):
    return CONFIG["events"][wildcards.event]["sources"][wildcards.source]


def source_file(wildcards):
    return source_entry(wildcards)["path"]


def population_records(wildcards):
    specs = uc.population_sources(CONFIG, wildcards.event, wildcards.population)
    return [RECORDS.format(event=wildcards.event, source=s.id) for s in specs]


def population_source_ids(wildcards):
    """The table's lists: its record lists' ids, or a linked table's list columns."""
    return uc.table_lists(CONFIG, wildcards.event, wildcards.population)


# Tables read from a linked person table (kind: linked) skip linkage; the others are linked here.
LINKED_TABLES = [(e, p) for e, p in TABLES if uc.linked_source(CONFIG, e, p)]
RECORD_TABLES = [t for t in TABLES if t not in LINKED_TABLES]


def table_linkage(wildcards):
    """How the table's persons were made: 'linked' (a linked table) or the linkage method."""
    if (wildcards.event, wildcards.population) in LINKED_TABLES:
        return "linked"
    return CONFIG["linkage"]["method"]


# Multiple imputation (config impute): the schemes it applies to, and its settings.
IMPUTE = CONFIG["impute"]
IMPUTED_SCHEMES = uc.imputed_schemes(CONFIG)


def scheme_impute(wildcards):
    return IMPUTE if wildcards.scheme in IMPUTED_SCHEMES else None


def impute_seed(wildcards):
    """One seed per table: every scheme of the table stratifies the same completed data sets."""
    if wildcards.scheme not in IMPUTED_SCHEMES:
        return None
    return job_seed(
        wildcards.event, wildcards.population, "impute", "chained-equations"
    )


# a regex no scheme name matches, when no scheme is imputed
IMPUTED_REGEX = "|".join(IMPUTED_SCHEMES) or "(?!x)x"


# Config text in params is wrapped by report_safe: the HTML report shows params inside a
# <script> block, where a label "</script>..." would otherwise run as code.
def source_labels(event):
    return report_safe({s.id: s.label for s in uc.sources(CONFIG, event)})


def event_source_labels(wildcards):
    return source_labels(wildcards.event)


def overlap_title(wildcards):
    return report_safe(
        f"{CONFIG['events'][wildcards.event]['label']}: "
        f"{uc.population_label(wildcards.population).lower()}"
    )


def match_weights_title(wildcards):
    return report_safe(
        f"Match weights: {CONFIG['events'][wildcards.event]['label']}, "
        f"{uc.population_label(wildcards.population).lower()}"
    )


def job_seed(event, population, stratum, label):
    """The seed of one estimation job: the one place the workflow derives it."""
    return uc.job_seed(CONFIG, event, population, stratum, label)


def estimate_seed(wildcards):
    return job_seed(wildcards.event, wildcards.population, STRATUM, wildcards.label)


def histories_of_population(wildcards):
    return population_histories(wildcards.population)


def method_entry(wildcards):
    return CONFIG["methods"][wildcards.label]


def covariate_inputs(wildcards):
    """A covariate model (loglinear-cov) reads the table's persons and their records too."""
    if CONFIG["methods"][wildcards.label]["method"] != "loglinear-cov":
        return {}
    return {
        "persons": f"results/{wildcards.event}/{wildcards.population}/persons.csv",
        "records": population_records(wildcards),
    }


def covariate_params(wildcards):
    """What a covariate model needs to know of the table: its lists, linkage and population,
    and the impute entry with the table's imputation seed (missing covariates are imputed
    where impute.fields covers their fields)."""
    if CONFIG["methods"][wildcards.label]["method"] != "loglinear-cov":
        return {}
    return {
        "sources": population_source_ids(wildcards),
        "linkage": table_linkage(wildcards),
        "population": wildcards.population,
        "impute": IMPUTE,
        "impute_seed": job_seed(
            wildcards.event, wildcards.population, "impute", "chained-equations"
        ),
    }


def stratum_covariate_params(wildcards):
    """A covariate model in a stratum also needs the scheme, to pick the stratum's people."""
    params = covariate_params(wildcards)
    if not params:
        return {}
    return {
        **params,
        "scheme": wildcards.scheme,
        "scheme_entry": CONFIG["strata"][wildcards.scheme],
        "start_date": CONFIG["events"][wildcards.event]["start_date"],
        "stratum": wildcards.stratum,
    }


def _with_label(wildcards, label):
    """A table job's wildcards with one method's label, for the per-method input functions."""
    return SimpleNamespace(**dict(wildcards.items()), label=label)


def table_covariate_inputs(wildcards):
    """The persons and records of the table, when a configured method is a covariate model."""
    if not COVARIATE_LABELS:  # COVARIATE_LABELS: below, with the figures' labels
        return {}
    return covariate_inputs(_with_label(wildcards, COVARIATE_LABELS[0]))


def table_methods(wildcards):
    """Every configured method of one table, in METHODS order, for one estimate job: its config
    entry, its seed, and what a covariate model needs to know of the table."""
    methods = {}
    for label in METHODS:
        one = _with_label(wildcards, label)
        methods[label] = {
            "method": method_entry(one),
            "seed": estimate_seed(one),
            "covariates": covariate_params(one),
        }
    return methods


def stratum_methods(wildcards):
    """Every configured method of one stratum, for one estimate_stratum job (as table_methods)."""
    methods = {}
    for label in METHODS:
        one = _with_label(wildcards, label)
        methods[label] = {
            "method": method_entry(one),
            "seed": stratum_seed(one),
            "covariates": stratum_covariate_params(one),
        }
    return methods


def event_start(wildcards):
    return CONFIG["events"][wildcards.event]["start_date"]


def scheme_entry(wildcards):
    return CONFIG["strata"][wildcards.scheme]


def strata_dir(wildcards):
    return _strata_dir(wildcards.event, wildcards.population, wildcards.scheme)


def _strata_dir(event, population, scheme):
    return checkpoints.stratify.get(
        event=event, population=population, scheme=scheme
    ).output[0]


def _strata(event, population, scheme):
    folder = Path(_strata_dir(event, population, scheme))
    return sorted(p.name for p in folder.iterdir() if p.is_dir())


def stratum_table(wildcards):
    return os.path.join(strata_dir(wildcards), wildcards.stratum, "histories.csv")


def stratum_meta(wildcards):
    return os.path.join(strata_dir(wildcards), wildcards.stratum, "histories.json")


def strata_names(wildcards):
    return _strata(wildcards.event, wildcards.population, wildcards.scheme)


def strata_imputations(wildcards):
    """Every stratum's per-imputation results of one imputed scheme and method."""
    return _strata_files(wildcards, ".imputations")


def imputation_tables(wildcards):
    """Every method's per-imputation table of one imputed scheme."""
    base = f"results/{wildcards.event}/{wildcards.population}/strata/{wildcards.scheme}/total"
    return [f"{base}/{label}.imputations.tsv" for label in METHODS]


def _strata_files(wildcards, suffix):
    base = f"results/{wildcards.event}/{wildcards.population}/strata/{wildcards.scheme}/estimates"
    return [f"{base}/{s}/{wildcards.label}{suffix}" for s in strata_names(wildcards)]


def strata_estimates(wildcards):
    return _strata_files(wildcards, ".json")


def stratum_seed(wildcards):
    return job_seed(
        wildcards.event,
        wildcards.population,
        f"{wildcards.scheme}:{wildcards.stratum}",
        wildcards.label,
    )


def total_seed(wildcards):
    return job_seed(
        wildcards.event,
        wildcards.population,
        f"{wildcards.scheme}:total",
        wildcards.label,
    )


def _estimate_entries():
    """Every result file gathered into estimates.csv, with the table and method it holds."""
    entries = []

    def entry(path, event, population, stratum, label, linkage="single", member=None):
        synthetic = SYNTHETIC_TABLES[f"{event}/{population}"]
        entries.append(
            {
                "path": path,
                "event": event,
                "population": population,
                "stratum": stratum,
                "label": label,
                "synthetic": synthetic,
                "linkage": linkage,
                **({"member": member} if member else {}),
            }
        )

    for event, population in TABLES:
        for label in METHODS:
            path = f"results/{event}/{population}/estimates/{label}.json"
            entry(path, event, population, STRATUM, label)
    # linkage.draws: the estimates pooled over plausible linkages (rules in draws.smk)
    for event, population in DRAW_TABLES:
        for label in DRAW_LABELS:
            path = f"results/{event}/{population}/averaged/{label}.json"
            entry(path, event, population, STRATUM, label, "averaged")
    for event, population in TABLES:
        for scheme in SCHEMES[(event, population)]:
            base = f"results/{event}/{population}/strata/{scheme}"
            for s in _strata(event, population, scheme):
                for label in METHODS:
                    path = f"{base}/estimates/{s}/{label}.json"
                    entry(path, event, population, f"{scheme}:{s}", label)
            for label in METHODS:
                path = f"{base}/total/{label}.json"
                entry(path, event, population, f"{scheme}:total", label)
    # linkage.draws: strata and totals pooled over plausible linkages (draws_common.smk)
    for path, event, population, stratum, label, member in averaged_strata_entries():
        entry(path, event, population, stratum, label, "averaged", member)
    return entries


def estimate_files(wildcards=None):
    return [e["path"] for e in _estimate_entries()]


def estimate_entries(wildcards=None):
    return [{k: v for k, v in e.items() if k != "path"} for e in _estimate_entries()]


def strata_tables(wildcards=None):
    """The stratify checkpoints' folders (inputs of rules whose params depend on them)."""
    return [_strata_dir(e, p, scheme) for e, p in TABLES for scheme in SCHEMES[(e, p)]]


def job_seeds(wildcards=None):
    """The seed of every estimation job gathered in estimates.csv, by event/population/stratum/label."""
    return {
        f"{e['event']}/{e['population']}/{e['stratum']}/{e['label']}": job_seed(
            e["event"], e["population"], e["stratum"], e["label"]
        )
        for e in _estimate_entries()
        if e["linkage"] == "single"
    }


OFFICIAL = {
    e: CONFIG["events"][e]["official_source"]
    for e in EVENTS
    if CONFIG["events"][e].get("official_source")
}


def event_label(wildcards):
    return report_safe(CONFIG["events"][wildcards.event]["label"])


def official_of_event(wildcards):
    return OFFICIAL.get(wildcards.event)


def strata_title(wildcards):
    return report_safe(
        f"{CONFIG['events'][wildcards.event]['label']}: "
        f"{uc.population_label(wildcards.population).lower()} by {wildcards.scheme.replace('_', ' ')}"
    )


def events_with_list_sizes():
    if not CONFIG["reported_figures"]:
        return []
    import pandas as pd

    reported = pd.read_csv(CONFIG["reported_figures"])
    named = reported[reported["quantity"] == "named_list_size"]
    return [e for e in EVENTS if (named["event"] == e).sum() >= 2]


def all_histories():
    return [f"results/{e}/{p}/histories.json" for e, p in TABLES]


def all_source_ids():
    return [f"{e}/{s.id}" for e in EVENTS for s in uc.sources(CONFIG, e)]


def all_source_files():
    return [s.path for e in EVENTS for s in uc.sources(CONFIG, e)]


def population_histories(population):
    return [
        f"results/{event}/{population}/histories.json"
        for event, pop in TABLES
        if pop == population
    ]


def population_events(population):
    return [event for event, pop in TABLES if pop == population]


def events_of_population(wildcards):
    return population_events(wildcards.population)


# What a method's results can be drawn as is the registry's answer, never a module's name.
def _produces(label):
    return get_method(CONFIG["methods"][label]["method"])


RESIDUAL_LABELS = [label for label in METHODS if _produces(label).has_cells]


def _sensitivity_labels():
    """Labels under sensitivity.methods: configured, and of a method that fits a log-linear model
    or latent classes (undercount.estimators.sensitivity.supports)."""
    labels = list(CONFIG.get("sensitivity", {}).get("methods", []))
    if not labels:
        return labels
    from undercount.estimators.sensitivity import (
        supports,
    )  # pandas: only when asked for

    for label in labels:
        if label not in CONFIG["methods"]:
            raise WorkflowError(
                f"sensitivity.methods names {label!r}, which is not a label under methods "
                f"({', '.join(METHODS)})"
            )
        method = _produces(label)
        if not supports(method.name, method.has_cells):
            raise WorkflowError(
                f"sensitivity.methods: {label!r} ({CONFIG['methods'][label]['method']}) does not fit "
                "a log-linear model; the sensitivity curve is for log-linear fits and lcmcr"
            )
    return labels


SENSITIVITY_LABELS = _sensitivity_labels()
COVARIATE_LABELS = [
    label for label in METHODS if CONFIG["methods"][label]["method"] == "loglinear-cov"
]


def sensitivity_outputs():
    """The sensitivity curves and figure directories, and the covariate models' figure directories."""
    out = [
        f"results/{e}/{p}/sensitivity/{label}.csv"
        for label in SENSITIVITY_LABELS
        for e, p in TABLES
    ]
    out += [
        f"results/figures/sensitivity/{label}/{e}_{p}"
        for label in SENSITIVITY_LABELS
        for e, p in TABLES
    ]
    out += [
        f"results/figures/covariates/{label}/{e}_{p}"
        for label in COVARIATE_LABELS
        for e, p in TABLES
    ]
    return out


def table_title(wildcards):
    return (
        f"{EVENT_LABELS[wildcards.event]}: "
        f"{uc.population_label(wildcards.population).lower()}, {wildcards.label}"
    )


def label_estimates(wildcards):
    return [f"results/{e}/{p}/estimates/{wildcards.label}.json" for e, p in TABLES]


def label_posterior_figures(wildcards):
    """The per-table posterior figures of a configured method, as the registry states them."""
    return list(_produces(wildcards.label).posterior_figures)


LCMCR_LABELS = [
    label
    for label in METHODS
    if _produces(label).posterior_figures == ("trace", "density")
]
DGA_LABELS = [
    label for label in METHODS if _produces(label).posterior_figures == ("posterior",)
]
TABLE_NAMES = [f"{e}_{p}" for e, p in TABLES]


# The per-table model figures that figures_models draws, by method label in config order;
# log-linear methods get residuals, latent-class and dga methods their posterior figures.
MODEL_FIGURE_METHODS = {
    label: (
        {"kind": "residuals", "figures": ["residuals"]}
        if label in RESIDUAL_LABELS
        else {
            "kind": "lcmcr" if label in LCMCR_LABELS else "dga",
            "figures": list(_produces(label).posterior_figures),
        }
    )
    for label in METHODS
    if label in RESIDUAL_LABELS or label in LCMCR_LABELS or label in DGA_LABELS
}
# every table's result of each of those methods, method by method (the script's order)
MODEL_FIGURE_ESTIMATES = [
    f"results/{e}/{p}/estimates/{label}.json"
    for label in MODEL_FIGURE_METHODS
    for e, p in TABLES
]
_MODEL_FIGURE_REPORT = {
    "residuals": ("../report/residuals.rst", "Model fit"),
    "lcmcr": ("../report/lcmcr.rst", "Bayesian diagnostics"),
    "dga": ("../report/dga.rst", "Bayesian diagnostics"),
}


def model_figure_outputs():
    """One folder per kind of model figure that a configured method has: ``<kind>/<label>/``.

    Each image is in the report with its method's caption; the pattern gives it its ``label``.
    """
    kinds = {m["kind"] for m in MODEL_FIGURE_METHODS.values()}
    return {
        kind: report(
            directory(f"results/figures/{kind}"),
            patterns=["{label}/{name}.png"],
            caption=caption,
            category=category,
            subcategory="{label}",
        )
        for kind, (caption, category) in _MODEL_FIGURE_REPORT.items()
        if kind in kinds
    }


# The figures of the cited public numbers (drawn by figures_reported) and of the estimates against
# them and the official lists (figures_comparisons), by output name; each figure only when
# the config has what it draws.
LIST_SIZE_EVENTS = events_with_list_sizes()
REPORTED_FIGURES = {}
if REPORTED_EVENTS:
    REPORTED_FIGURES["tolls"] = report(
        "results/figures/reported_tolls.png",
        caption="../report/reported_tolls.rst",
        category="Reported figures",
    )
    REPORTED_FIGURES["tolls_tsv"] = "results/figures/reported_tolls.tsv"
for _event in LIST_SIZE_EVENTS:
    REPORTED_FIGURES[f"list_sizes_{_event}"] = report(
        f"results/figures/list_sizes_{_event}.png",
        caption="../report/list_sizes.rst",
        category="Reported figures",
    )
    REPORTED_FIGURES[f"list_sizes_{_event}_tsv"] = (
        f"results/figures/list_sizes_{_event}.tsv"
    )
COMPARISON_FIGURES = {}
if OFFICIAL and population_histories("deaths"):
    COMPARISON_FIGURES["coverage"] = report(
        "results/figures/official_coverage.png",
        caption="../report/official_coverage.rst",
        category="2022 versus 2011",
    )
    COMPARISON_FIGURES["coverage_tsv"] = "results/figures/official_coverage.tsv"
if REPORTED_EVENTS:
    COMPARISON_FIGURES["reported"] = report(
        "results/figures/reported_vs_estimated.png",
        caption="../report/reported_vs_estimated.rst",
        category="2022 versus 2011",
    )
    COMPARISON_FIGURES["reported_tsv"] = "results/figures/reported_vs_estimated.tsv"


def all_outputs():
    out = [
        "results/estimates.csv",
        "results/summary.csv",
        "results/provenance.tsv",
    ]
    if REPORTED_EVENTS:
        out.append("results/figures/reported_tolls.png")
    out += [f"results/figures/forest_{p}.png" for p in CONFIG["populations"]]
    out += [f"results/figures/list_sizes_{e}.png" for e in events_with_list_sizes()]
    out += [
        f"results/figures/strata_{e}_{p}_{s}.png"
        for e, p in TABLES
        for s in SCHEMES[(e, p)]
    ]
    out += [
        f"results/figures/imputations_{e}_{p}_{s}.png"
        for e, p in TABLES
        for s in SCHEMES[(e, p)]
        if s in IMPUTED_SCHEMES
    ]
    out += [str(folder) for folder in model_figure_outputs().values()]
    if REPORTED_EVENTS:
        out.append("results/figures/reported_vs_estimated.png")
    if OFFICIAL and population_histories("deaths"):
        out.append("results/figures/official_coverage.png")
    out += [f"results/figures/overlap_{e}_{p}.png" for e, p in TABLES]
    out += [
        f"results/figures/{p}_documented_vs_estimated.png"
        for p in CONFIG["populations"]
        if population_histories(p)
    ]
    out += linkage_outputs()
    out.append("results/sources.csv")
    out += ["results/landing.rst", "results/answer.tsv", "results/estimates.xlsx"]
    out.append("results/figures/events_compared.png")
    out += sensitivity_outputs()
    out += draws_outputs()
    return out


# The report's landing page, written by the answer rule. Every table with its labels, and every result.
def answer_tables(wildcards=None):
    return report_safe(
        [
            {
                "event": e,
                "population": p,
                "event_label": CONFIG["events"][e]["label"],
                "official_source": OFFICIAL.get(e),
                "synthetic": SYNTHETIC_TABLES[f"{e}/{p}"],
            }
            for e, p in TABLES
        ]
    )


def answer_results():
    """The headline's results: linkage-averaged where linkage.draws is set (draws.smk), else single."""
    return [
        (
            f"results/{e}/{p}/averaged/{label}.json"
            if (e, p) in DRAW_TABLES and label in DRAW_LABELS
            else f"results/{e}/{p}/estimates/{label}.json"
        )
        for e, p in TABLES
        for label in METHODS
    ]
