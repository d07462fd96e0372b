# Config validation, checks on every input before any job runs, and input functions.
import os

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from undercount import config as uc
from undercount.errors import UndercountError

validate(config, schema="../schemas/config.schema.yaml")

try:
    CONFIG = uc.validate_config(config)
    SOURCE_COUNTS = uc.check_sources(CONFIG)
except UndercountError as exc:
    raise WorkflowError(f"undercount: {exc}") from None

PRIVATE = CONFIG["private_dir"]
RECORDS = os.path.join(PRIVATE, "{event}", "records", "{source}.csv")
TABLES = uc.tables(CONFIG)
EVENTS = list(CONFIG["events"])
METHODS = list(CONFIG["methods"])
STRATUM = "all"


wildcard_constraints:
    event="|".join(EVENTS),
    population="|".join(uc.POPULATIONS),
    source="[A-Za-z][A-Za-z0-9_]*",
    label="|".join(METHODS),


def source_entry(wildcards):
    return CONFIG["events"][wildcards.event]["sources"][wildcards.source]


def source_file(wildcards):
    return source_entry(wildcards)["path"]


def population_records(wildcards):
    specs = uc.population_sources(CONFIG, wildcards.event, wildcards.population)
    return [RECORDS.format(event=wildcards.event, source=s.id) for s in specs]


def population_source_ids(wildcards):
    return [
        s.id
        for s in uc.population_sources(CONFIG, wildcards.event, wildcards.population)
    ]


def source_labels(event):
    return {s.id: s.label for s in uc.sources(CONFIG, event)}


def event_source_labels(wildcards):
    return source_labels(wildcards.event)


def overlap_title(wildcards):
    return f"{CONFIG['events'][wildcards.event]['label']}: {wildcards.population}"


def estimate_seed(wildcards):
    return uc.job_seed(
        CONFIG, wildcards.event, wildcards.population, STRATUM, wildcards.label
    )


def histories_of_population(wildcards):
    return population_histories(wildcards.population)


def method_entry(wildcards):
    return CONFIG["methods"][wildcards.label]


def estimate_files():
    return [
        f"results/{event}/{population}/estimates/{label}.json"
        for event, population in TABLES
        for label in METHODS
    ]


def population_histories(population):
    return [
        f"results/{event}/{population}/histories.json"
        for event, pop in TABLES
        if pop == population
    ]


def all_outputs():
    out = ["results/estimates.csv", "results/figures/reported_tolls.png"]
    out += [f"results/figures/overlap_{e}_{p}.png" for e, p in TABLES]
    out += [
        f"results/figures/{p}_documented_vs_estimated.png"
        for p in CONFIG["populations"]
        if population_histories(p)
    ]
    return out
