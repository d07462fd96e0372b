"""The workflow configuration: loading, validation, and the questions rules ask of it."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from copy import deepcopy
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .errors import ConfigError, UndercountError
from .records import SourceSpec

#: Which kind of list documents each population, and the record flag that
#: selects its members (None: every record).
POPULATIONS: dict[str, tuple[str, str | None]] = {
    "deaths": ("casualty", None),
    "detentions": ("detention", None),
    "torture": ("detention", "torture_alleged"),
    "deaths_in_custody": ("detention", "died_in_custody"),
}


@cache
def config_schema() -> dict:
    text = resources.files("undercount").joinpath("schemas", "config.schema.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def _validator_with_defaults():
    base = jsonschema.Draft202012Validator
    validate_properties = base.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    instance[name] = deepcopy(sub["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(base, {"properties": set_defaults})


def validate_config(config: Mapping[str, Any]) -> dict:
    """Validate against ``config.schema.yaml``, fill defaults, check what a schema cannot.

    Raises
    ------
    ConfigError
        With the path of the offending entry, e.g. ``events.jan2022.sources.x.kind``.
    """
    config = deepcopy(dict(config))
    validator = _validator_with_defaults()(
        config_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        where = ".".join(str(p) for p in err.absolute_path) or "(top level)"
        raise ConfigError(f"config {where}: {err.message}")
    from .estimators import get_method

    for label, entry in config["methods"].items():
        entry.setdefault("settings", {})
        name = entry.get("method") or label
        entry["method"] = name
        try:
            spec = get_method(name)
            spec.resolve(entry["settings"])
        except UndercountError as exc:
            raise ConfigError(f"config methods.{label}: {exc}") from None
    if config["headline_method"] is None:
        config["headline_method"] = next(iter(config["methods"]))
    elif config["headline_method"] not in config["methods"]:
        raise ConfigError(
            f"config headline_method: {config['headline_method']!r} is not a label under methods "
            f"({', '.join(config['methods'])})"
        )
    _mark_synthetic(config)
    for event, entry in config["events"].items():
        official = entry.get("official_source")
        if official is not None and official not in entry["sources"]:
            raise ConfigError(
                f"config events.{event}.official_source: {official!r} is not one of its sources "
                f"({', '.join(entry['sources'])})"
            )
    return config


def _mark_synthetic(config: dict) -> None:
    """Set every source's ``synthetic`` from its file (and the config's own ``true``).

    A list written by ``undercount simulate`` is synthetic whatever the config
    says (:mod:`undercount.synthetic`); ``synthetic: true``, on a source or at the
    top level, can only add the label, never remove it.
    """
    from .synthetic import is_synthetic_file

    for entry in config["events"].values():
        for source in entry["sources"].values():
            source["synthetic"] = bool(
                config["synthetic"] or source.get("synthetic") or is_synthetic_file(source["path"])
            )


def synthetic_sources(config: Mapping[str, Any], event: str, population: str | None = None) -> list[str]:
    """Ids of the event's synthetic sources (those that can document ``population``)."""
    specs = sources(config, event) if population is None else population_sources(config, event, population)
    return [s.id for s in specs if config["events"][event]["sources"][s.id].get("synthetic")]


def is_synthetic(config: Mapping[str, Any], event: str | None = None, population: str | None = None) -> bool:
    """True when a list behind the table is synthetic.

    ``event`` None means any event; ``population`` None means any population.
    """
    events = list(config["events"]) if event is None else [event]
    return any(synthetic_sources(config, e, population) for e in events)


def load_config(path: str | Path) -> dict:
    """Read a YAML config file and validate it."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config must be a mapping of settings")
    return validate_config(data)


def sources(config: Mapping[str, Any], event: str, kind: str | None = None) -> list[SourceSpec]:
    """The event's sources (of one kind), in config order."""
    entries = config["events"][event]["sources"]
    specs = [SourceSpec.from_config(sid, entry) for sid, entry in entries.items()]
    return [s for s in specs if kind is None or s.kind == kind]


def source(config: Mapping[str, Any], event: str, source_id: str) -> SourceSpec:
    return SourceSpec.from_config(source_id, config["events"][event]["sources"][source_id])


def population_sources(config: Mapping[str, Any], event: str, population: str) -> list[SourceSpec]:
    """Sources whose records can document members of ``population``."""
    kind, _flag = POPULATIONS[population]
    return sources(config, event, kind)


def tables(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every (event, population) with at least one source of the right kind."""
    out = []
    for event in config["events"]:
        for population in config["populations"]:
            if population_sources(config, event, population):
                out.append((event, population))
    return out


def job_seed(config: Mapping[str, Any], *parts: str) -> int:
    """A seed for one job, derived from the master seed and the job's identity.

    Independent of job order and of which other jobs exist, so adding an event or
    a method never changes the numbers of the others.
    """
    text = "|".join([str(config["seed"]), *parts])
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:4], "big")


def check_sources(config: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """Read and validate every source list of every event; return record counts.

    Called before any job runs, so that bad input stops the workflow before it
    writes anything. Raises :class:`~undercount.errors.InputError` prefixed
    with the config entry of the failing source.
    """
    from .errors import InputError
    from .records import read_source

    counts: dict[str, dict[str, int]] = {}
    for event in config["events"]:
        counts[event] = {}
        for spec in sources(config, event):
            try:
                counts[event][spec.id] = len(read_source(spec))
            except InputError as exc:
                exc.message = f"{exc.message} (config: events.{event}.sources.{spec.id})"
                raise
    return counts
