"""The workflow configuration: loading, validation, and the questions rules ask of it."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from copy import deepcopy
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .errors import ConfigError, InputError, UndercountError
from .records import DATE_WINDOW, DateSummary, SourceSpec, check_date_format, check_encoding

#: Folders the workflow writes for others to read (results, logs, the report's captions and
#: Snakemake's own records): the private folder of records with names is never inside one.
SHARED_DIRS = ("results", "logs", "workflow/report", ".snakemake")

#: Which kind of list documents each population, and the record flag that
#: selects its members (None: every record).
POPULATIONS: dict[str, tuple[str, str | None]] = {
    "deaths": ("casualty", None),
    "detentions": ("detention", None),
    "torture": ("detention", "torture_alleged"),
    "deaths_in_custody": ("detention", "died_in_custody"),
}

#: How titles, captions and tables name each population (never the raw id "deaths_in_custody").
POPULATION_LABELS: dict[str, str] = {
    "deaths": "Deaths",
    "detentions": "Detentions",
    "torture": "Detainees alleging torture",
    "deaths_in_custody": "Deaths in custody",
}


def population_label(population: str) -> str:
    """The readable name of ``population`` (:data:`POPULATION_LABELS`), for titles and tables."""
    return POPULATION_LABELS.get(population, population.replace("_", " ").capitalize())


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
        raise ConfigError(f"config {where}: {_unknown_key(err) or err.message}")
    config.setdefault("impute", None)  # absent: no imputation (the schema gives it no default)
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
    for name, settings in config["linkage"]["draws_settings"].items():
        try:
            get_method(name).resolve(settings)
        except UndercountError as exc:
            raise ConfigError(f"config linkage.draws_settings.{name}: {exc}") from None
    headline = config["headline"]
    if headline != "auto":
        from .headline import members

        for label in members(headline) or [headline]:
            if label not in config["methods"]:
                raise ConfigError(
                    f"config headline: {label!r} is neither auto nor a label under methods "
                    f"({', '.join(config['methods'])}); a span of several is written label|label"
                )
    config["headline_method"] = _figure_headline(config)
    _mark_synthetic(config)
    for event, entry in config["events"].items():
        official = entry.get("official_source")
        if official is not None and official not in entry["sources"]:
            raise ConfigError(
                f"config events.{event}.official_source: {official!r} is not one of its sources "
                f"({', '.join(entry['sources'])})"
            )
        first, last = entry["date_window"]
        if first > last:
            raise ConfigError(
                f"config events.{event}.date_window: the first day ({first}) comes after the last ({last})"
            )
        _check_source_entries(event, entry["sources"])
    return config


def _check_source_entries(event: str, entries: Mapping[str, Any]) -> None:
    """What the schema cannot say about an event's sources: formats, encodings, distinct labels."""
    labels: dict[str, str] = {}
    for source_id, source in entries.items():
        where = f"config events.{event}.sources.{source_id}"
        for key, check in (("date_format", check_date_format), ("encoding", check_encoding)):
            if source.get(key) is not None:
                try:
                    check(source[key])
                except ValueError as exc:
                    raise ConfigError(f"{where}.{key}: {exc}") from None
        label = str(source.get("label") or source_id)
        key = " ".join(label.split()).casefold()
        if key in labels:
            raise ConfigError(
                f"config events.{event}.sources: sources {labels[key]!r} and {source_id!r} have the same label "
                f"{label!r}; figures and tables name sources by their labels, so each needs its own"
            )
        labels[key] = source_id
        linked = source["kind"] == "linked"
        if linked and not source.get("lists"):
            raise ConfigError(f"{where}: a source of kind linked names its 0/1 list columns under 'lists'")
        for key in ("lists", "population"):
            if not linked and key in source:
                raise ConfigError(f"{where}.{key}: only a source of kind linked takes {key!r}")
    for population, (kind, _flag) in POPULATIONS.items():
        linked_ids = [
            s
            for s, e in entries.items()
            if e["kind"] == "linked" and e.get("population", "deaths") == population
        ]
        records = [s for s, e in entries.items() if e["kind"] == kind]
        if len(linked_ids) > 1 or (linked_ids and records):
            raise ConfigError(
                f"config events.{event}.sources: the {population} of one event come from one linked table or "
                f"from record lists, not both or several ({', '.join(linked_ids + records)}); put the "
                "others in another event"
            )


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


def duplicate_keys(text: str) -> list[tuple[str, str, int, int]]:
    """Keys given twice in one YAML mapping: (where, key, first line, second line).

    YAML parsers keep the last of two equal keys and drop the first without a
    word; a source id given twice would silently lose one list. ``where`` is the
    dotted path of the mapping (empty at the top level). Merge keys (``<<``)
    may be overridden, as YAML intends.
    """
    found: list[tuple[str, str, int, int]] = []
    visited: set[int] = set()

    def walk(node: yaml.Node, path: list[str]) -> None:
        if id(node) in visited:
            return
        visited.add(id(node))
        if isinstance(node, yaml.MappingNode):
            lines: dict[tuple[str, str], int] = {}
            for key, value in node.value:
                if key.tag == "tag:yaml.org,2002:merge":
                    continue
                name = key.value if isinstance(key, yaml.ScalarNode) else str(key.start_mark)
                line = key.start_mark.line + 1
                if (key.tag, name) in lines:
                    found.append((".".join(path), str(name), lines[(key.tag, name)], line))
                else:
                    lines[(key.tag, name)] = line
                walk(value, [*path, str(name)])
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, [*path, str(i)])

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is not None:
        walk(root, [])
    return found


def _json_duplicate_keys(text: str) -> list[tuple[str, str, int, int]]:
    found: list[tuple[str, str, int, int]] = []

    def pairs(items: list[tuple[str, Any]]) -> dict:
        seen: set[str] = set()
        for key, _ in items:
            if key in seen:
                found.append(("", key, 0, 0))
            seen.add(key)
        return dict(items)

    json.loads(text, object_pairs_hook=pairs)
    return found


def read_config_file(path: str | Path) -> Any:
    """Parse a YAML (or JSON) config file, refusing a key given twice in one mapping."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc})") from None
    try:
        try:
            duplicates = duplicate_keys(text)
        except yaml.YAMLError:
            if path.suffix.lower() != ".json":
                raise
            duplicates = _json_duplicate_keys(text)
        data = yaml.safe_load(text) if path.suffix.lower() != ".json" else json.loads(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if duplicates:
        where, key, first, second = duplicates[0]
        lines = f"lines {first} and {second}" if first else "twice"
        inside = f" in {where}" if where else " at the top level"
        more = f" ({len(duplicates) - 1} more key(s) are given twice)" if len(duplicates) > 1 else ""
        raise ConfigError(
            f"{path}: the key {key!r} is given twice{inside}, at {lines}: YAML would keep only the last "
            f"and drop the other without a word; merge the two or rename one{more}"
        )
    return data


def check_config_files(paths: Iterable[str | Path]) -> None:
    """Re-read config files that another loader (Snakemake's) has parsed, refusing duplicate keys."""
    for path in paths:
        read_config_file(path)


def load_config(path: str | Path) -> dict:
    """Read a YAML config file and validate it."""
    path = Path(path)
    data = read_config_file(path)
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
    """Sources whose records can document members of ``population`` (or its linked table)."""
    kind, _flag = POPULATIONS[population]
    linked = [s for s in sources(config, event, "linked") if s.population == population]
    return linked or sources(config, event, kind)


def linked_source(config: Mapping[str, Any], event: str, population: str) -> SourceSpec | None:
    """The linked person table of the event's ``population``, or None (its lists are linked here)."""
    specs = population_sources(config, event, population)
    return specs[0] if specs and specs[0].kind == "linked" else None


def table_lists(config: Mapping[str, Any], event: str, population: str) -> list[str]:
    """The lists of one table: a linked table's list columns, or the ids of its record lists."""
    spec = linked_source(config, event, population)
    if spec is not None:
        return list(spec.lists)
    return [s.id for s in population_sources(config, event, population)]


def imputed_schemes(config: Mapping[str, Any]) -> list[str]:
    """Schemes under ``strata`` estimated by multiple imputation: those made from an imputed field."""
    from .impute import scheme_fields

    entry = config.get("impute")
    if not entry:
        return []
    fields = set(entry["fields"])
    return [name for name, scheme in config["strata"].items() if scheme_fields(scheme["by"]) & fields]


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


def check_private_dir(config: Mapping[str, Any], root: str | Path | None = None) -> Path:
    """The private folder, resolved; refused inside a folder others read (results, logs, report).

    Symbolic links and ``..`` are resolved first, so ``private_dir: x`` with ``x`` a link
    into ``results/`` is refused as well. ``root`` is the folder the workflow runs in
    (default: the current one), against which relative paths are read.
    """
    root = Path(root if root is not None else os.getcwd()).resolve()
    given = str(config["private_dir"])
    private = (root / given).resolve()
    for name in SHARED_DIRS:
        shared = (root / name).resolve()
        if private == shared or shared in private.parents:
            raise ConfigError(
                f"config private_dir: {given!r} is inside {name}/ (it resolves to {private}); the validated "
                f"records hold names and must never be written where results, logs or the report are read: "
                f"choose a folder outside {', '.join(d + '/' for d in SHARED_DIRS)}"
            )
    return private


#: Columns of ``reported_figures`` that the workflow reads.
REPORTED_COLUMNS = ("event", "as_of", "quantity", "scope", "value", "value_is_lower_bound")


def check_reported_figures(config: Mapping[str, Any]) -> tuple[dict[str, int], list[str]]:
    """Death tolls per configured event in ``reported_figures``, and a warning for each event with none.

    An event without reported tolls is left out of the figure of reported tolls
    (and said so); with none for any event, there is no such figure.

    Raises
    ------
    InputError
        The file is missing or malformed (naming row and column).
    """
    path = config.get("reported_figures")
    if not path:
        return {}, []
    import pandas as pd

    if Path(path).is_dir():
        raise InputError("this is a folder, not a file (config: reported_figures)", file=str(path))
    try:
        table = pd.read_csv(
            path, dtype=str, keep_default_na=False, skip_blank_lines=False
        )  # rows as numbered
    except FileNotFoundError:
        raise InputError("file not found (config: reported_figures)", file=str(path)) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(
            f"not a readable CSV table ({type(exc).__name__}) (config: reported_figures)", file=str(path)
        ) from None
    missing = [c for c in REPORTED_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)} (config: reported_figures)",
            file=str(path),
            row=1,
            column=missing[0],
        )
    from datetime import date

    for i, record in enumerate(table.itertuples(index=False), start=2):
        if record.quantity != "deaths":
            continue
        try:
            date.fromisoformat(record.as_of)
        except ValueError:
            raise InputError(
                "not an ISO date (YYYY-MM-DD) (config: reported_figures)",
                file=str(path),
                row=i,
                column="as_of",
            ) from None
        try:
            value = float(record.value)
        except ValueError:
            value = float("nan")
        if not value >= 0 or value == float("inf"):
            raise InputError(
                "not a number of people (config: reported_figures)", file=str(path), row=i, column="value"
            )
    from .figures.reported import reported_tolls_data

    events = {e: (entry["label"], entry["start_date"]) for e, entry in config["events"].items()}
    deaths = table[table["quantity"] == "deaths"]
    drawn = reported_tolls_data(deaths.astype({"value": float}), events)
    counts = {e: int((drawn["event"] == e).sum()) for e in events}
    known = sorted(set(table.loc[table["quantity"] == "deaths", "event"]))
    warnings = [
        f"reported_figures ({path}) has no death tolls for event {e!r} (it has: {', '.join(known) or 'none'}): "
        + (
            "the figure of reported tolls leaves it out"
            if any(counts.values())
            else "no configured event has any, so there is no figure of reported tolls"
        )
        for e, n in counts.items()
        if n == 0
    ]
    return counts, warnings


@dataclass(frozen=True)
class SourceReport:
    """What reading one source list found: how it was read, its records, its dates, its warnings."""

    event: str
    source: str
    label: str
    kind: str
    records: int
    encoding: str | None
    delimiter: str | None
    header_row: int
    blank_rows: int
    dates: DateSummary

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.dates.warnings

    def to_dict(self) -> dict[str, Any]:
        """A summary without names or paths, for results and logs."""
        return {
            "event": self.event,
            "source": self.source,
            "label": self.label,
            "kind": self.kind,
            "records": self.records,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "header_row": self.header_row,
            "blank_rows_skipped": self.blank_rows,
            "date_column": self.dates.header,
            "dated": self.dates.dated,
            "undated": self.dates.blank,
            "first_date": self.dates.first,
            "last_date": self.dates.last,
            "warnings": list(self.warnings),
        }


def source_report(event: str, entry: Mapping[str, Any], spec: SourceSpec, records: Any) -> SourceReport:
    """The report on one source's records (``entry``: its event's config entry)."""
    from .records import check_dates

    return SourceReport(
        event=event,
        source=spec.id,
        label=spec.label,
        kind=spec.kind,
        records=int(len(records)),
        encoding=records.attrs.get("encoding"),
        delimiter=records.attrs.get("delimiter"),
        header_row=int(records.attrs.get("header_row", spec.header_row)),
        blank_rows=int(records.attrs.get("blank_rows", 0)),
        dates=check_dates(records, spec, entry["start_date"], entry.get("date_window", DATE_WINDOW)),
    )


@dataclass(frozen=True)
class InputChecks:
    """Every input checked before any job runs."""

    sources: list[SourceReport] = field(default_factory=list)
    reported: dict[str, int] = field(default_factory=dict)
    reported_warnings: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        out = [f"{w} (config: events.{r.event}.sources.{r.source})" for r in self.sources for w in r.warnings]
        return out + self.reported_warnings

    @property
    def reported_events(self) -> list[str]:
        """Events with at least one reported death toll to draw."""
        return [e for e, n in self.reported.items() if n > 0]


def check_inputs(config: Mapping[str, Any], root: str | Path | None = None) -> InputChecks:
    """Check every input before any job runs: the private folder, every source list, reported figures.

    Raises :class:`~undercount.errors.ConfigError` or
    :class:`~undercount.errors.InputError` (the latter naming file, row and
    column, suffixed with the config entry of the failing source). Warnings
    (dates far from the event's start, an event without reported figures) are
    returned, for the caller to show.
    """
    from .records import read_source

    check_private_dir(config, root)
    reports = []
    for event, entry in config["events"].items():
        for spec in sources(config, event):
            try:
                records = read_source(spec)
            except InputError as exc:
                exc.message = f"{exc.message} (config: events.{event}.sources.{spec.id})"
                raise
            reports.append(source_report(event, entry, spec, records))
    reported, reported_warnings = check_reported_figures(config)
    return InputChecks(reports, reported, reported_warnings)


def check_sources(config: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """Read and validate every input (see :func:`check_inputs`); return record counts per source."""
    counts: dict[str, dict[str, int]] = {event: {} for event in config["events"]}
    for report in check_inputs(config).sources:
        counts[report.event][report.source] = report.records
    return counts


#: Columns of results/sources.csv, in order.
SOURCES_TABLE_COLUMNS = [
    "event",
    "source",
    "label",
    "kind",
    "records",
    "encoding",
    "delimiter",
    "header_row",
    "blank_rows_skipped",
    "date_column",
    "dated",
    "undated",
    "first_date",
    "last_date",
    "warnings",
]


def sources_table(summaries: Iterable[Mapping[str, Any]]) -> Any:
    """One row per source (from :meth:`SourceReport.to_dict`), warnings joined by ' | '."""
    import pandas as pd

    rows = [{**s, "warnings": " | ".join(s.get("warnings") or [])} for s in summaries]
    return pd.DataFrame(rows, columns=SOURCES_TABLE_COLUMNS)


def _figure_headline(config: dict) -> str:
    """The method label drawn beside the reported tolls over time (labels ``a|b``: their span).

    A configured headline is it; with ``headline: auto``, the first entry of the
    automatic rule (rows with more lists first) whose estimators are all
    configured, as their labels, else the first configured method.
    """
    if config["headline"] != "auto":
        return str(config["headline"])
    from .headline import AUTO_RULE, SPAN, members

    labels = {entry["method"]: label for label, entry in reversed(list(config["methods"].items()))}
    for _, entries in AUTO_RULE:
        for entry in entries:
            wanted = members(entry)
            if all(estimator in labels for estimator in wanted):
                return SPAN.join(labels[estimator] for estimator in wanted)
    return next(iter(config["methods"]))


def _unknown_key(err: jsonschema.ValidationError) -> str | None:
    """One line for a key the schema does not know: the key and the closest valid one."""
    import difflib

    if err.validator != "additionalProperties" or not isinstance(err.instance, dict):
        return None
    allowed = list(err.schema.get("properties", {}))
    extra = [k for k in err.instance if k not in allowed]
    if not extra:
        return None
    key = str(extra[0])
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}?" if close else f"valid keys: {', '.join(allowed)}"
    return f"unknown key {key!r}; {hint}"
