"""Strata: split each population into groups estimated separately, and add them back up.

A stratification scheme (config ``strata``) names person attributes to split by:
``region``, ``place``, ``period`` (date windows), ``victim_group``, ``sex``,
``age_band``, or any combination. Each person's attributes are consolidated
from all of their records; a person whose attribute no record gives falls in
the stratum ``unknown``, which is kept and reported like any other, never
dropped.

HRDAG's rule for a usable stratum: at least ``min_sources`` lists (3) each
documenting at least ``min_records`` people in it. A stratum that fails is
reported as not estimable with the reason.

Totals over strata add posterior draws or bootstrap replicates draw by draw
(:func:`add_draws`); interval endpoints are never added.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from .names import fold

ATTRIBUTES = ("region", "place", "period", "victim_group", "sex", "age_band")
UNKNOWN = "unknown"
OTHER = "other"
ALL = "all"


# ----------------------------------------------------- person attributes
def _mode(values: Iterable[Any]) -> tuple[Any, int]:
    """Most frequent known value (first seen wins ties) and the number of distinct known values."""
    known = [v for v in values if _known(v) is not None]
    if not known:
        return None, 0
    counts = Counter(known)
    best = max(counts.values())
    for v in known:
        if counts[v] == best:
            return v, len(counts)
    raise AssertionError  # pragma: no cover


def person_attributes(
    persons: pd.DataFrame, records_by_source: Mapping[str, pd.DataFrame], kind: str
) -> pd.DataFrame:
    """One row per person: sex, age, date, place, region and victim group.

    Each value is the most frequent known value among the person's records
    (ties: the earlier source in config order, then record order). ``conflicts``
    counts the attributes on which the person's records disagree. No names.
    """
    from .records import date_column

    date_col = date_column(kind)
    place_col = "place" if kind == "casualty" else "place_detained"
    frames = []
    for order, (source, frame) in enumerate(records_by_source.items()):
        f = frame.assign(source=source, _order=order)
        frames.append(f)
    records = pd.concat(frames, ignore_index=True)
    merged = persons.merge(records, on=["source", "record_id"], how="left", validate="one_to_one")
    merged = merged.sort_values(["_order", "_row"], kind="stable")
    rows = []
    for person_id, group in merged.groupby("person_id", sort=True):
        out: dict[str, Any] = {"person_id": person_id, "records": len(group)}
        conflicts = 0
        for name, column in (
            ("sex", "sex"),
            ("age", "age"),
            ("date", date_col),
            ("place", place_col),
            ("region", "region"),
            ("victim_group", "victim_group"),
        ):
            if column in group:
                value, distinct = _mode(group[column].tolist())
            else:
                value, distinct = None, 0
            out[name] = value
            conflicts += distinct > 1
        out["conflicts"] = conflicts
        rows.append(out)
    frame = pd.DataFrame(
        rows,
        columns=[
            "person_id",
            "records",
            "sex",
            "age",
            "date",
            "place",
            "region",
            "victim_group",
            "conflicts",
        ],
    )
    frame["age"] = pd.array(frame["age"], dtype="Int64")
    return frame


# ----------------------------------------------------------- schemes
def slug(text: str) -> str:
    """A path- and wildcard-safe name: folded to ASCII, lower case, [a-z0-9-]."""
    ascii_text = fold(text) if re.search(r"[^\x00-\x7f]", text) else text
    ascii_text = unicodedata.normalize("NFKD", ascii_text).encode("ascii", "ignore").decode()
    out = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return out or "x"


@dataclass(frozen=True)
class Scheme:
    """One stratification scheme from the config, for one event.

    ``region`` falls back to the place when a person's records give no region
    (and ``place`` to the region): lists differ in which of the two they
    record, and a person should not land in ``unknown`` only because the list
    that documents them writes the city instead of the region.
    """

    name: str
    by: tuple[str, ...]
    start: date
    periods: Mapping[str, tuple[int, int]]
    age_bands: tuple[int, ...]
    groups: Mapping[str, Mapping[str, Sequence[str]]]  # attribute -> stratum -> spellings

    @classmethod
    def from_config(cls, name: str, entry: Mapping[str, Any], start_date: str) -> Scheme:
        return cls(
            name=name,
            by=tuple(entry["by"]),
            start=date.fromisoformat(str(start_date)),
            periods={k: (int(v[0]), int(v[1])) for k, v in (entry.get("periods") or {}).items()},
            age_bands=tuple(int(x) for x in (entry.get("age_bands") or (0, 18, 30, 45, 60, 121))),
            groups={attr: dict(m) for attr, m in (entry.get("groups") or {}).items()},
        )

    def value(self, attribute: str, person: Mapping[str, Any]) -> str:
        """The stratum value of one attribute for one person."""
        if attribute == "period":
            return self._period(person.get("date"))
        if attribute == "age_band":
            return self._age_band(person.get("age"))
        raw = _known(person.get(attribute))
        if raw is None and attribute in ("region", "place"):
            raw = _known(person.get("place" if attribute == "region" else "region"))
        if raw is None:
            return UNKNOWN
        if attribute in self.groups:
            key = fold(str(raw))
            for stratum, spellings in self.groups[attribute].items():
                if key == fold(stratum) or any(key == fold(s) for s in spellings):
                    return slug(stratum)
            return OTHER
        return slug(str(raw))

    def _period(self, value: Any) -> str:
        if _known(value) is None:
            return UNKNOWN
        day = (date.fromisoformat(str(value)) - self.start).days
        for name, (first, last) in self.periods.items():
            if first <= day <= last:
                return slug(name)
        return OTHER

    def _age_band(self, value: Any) -> str:
        if _known(value) is None:
            return UNKNOWN
        edges = self.age_bands
        for lo, hi in zip(edges[:-1], edges[1:]):
            if lo <= int(value) < hi:
                return f"{lo}-{hi - 1}"
        return OTHER

    def stratum(self, person: Mapping[str, Any]) -> str:
        """``region-almaty`` or ``sex-m_age-band-18-29``: one token per attribute."""
        return "_".join(f"{slug(a)}-{self.value(a, person)}" for a in self.by)


def _known(value: Any) -> Any:
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def assign_strata(attributes: pd.DataFrame, scheme: Scheme) -> pd.Series:
    """Stratum of every person (indexed like ``attributes``)."""
    return pd.Series([scheme.stratum(row) for row in attributes.to_dict("records")], index=attributes.index)


# -------------------------------------------------------- usable strata
def usable(people_per_list: Mapping[str, int], min_sources: int, min_records: int) -> tuple[bool, str]:
    """HRDAG's rule: at least ``min_sources`` lists with ``min_records`` people each."""
    strong = [name for name, n in people_per_list.items() if n >= min_records]
    if len(strong) >= min_sources:
        return True, ""
    detail = ", ".join(f"{name} {n}" for name, n in people_per_list.items()) or "no lists"
    return False, (
        f"stratum not estimable: only {len(strong)} list(s) document at least {min_records} people in it "
        f"({detail}); at least {min_sources} are needed (HRDAG's rule for a usable stratum)"
    )


# ----------------------------------------------------- totals over strata
@dataclass(frozen=True)
class StratifiedTotal:
    n_observed: int
    n_hat: float
    ci_low: float
    ci_high: float
    draws: np.ndarray | None
    warnings: tuple[str, ...]


def add_draws(
    strata: Mapping[str, Mapping[str, Any]], level: float, rng: np.random.Generator
) -> StratifiedTotal:
    """Total over strata by adding draws, never interval endpoints.

    ``strata`` maps a stratum name to ``{"n_observed": int, "draws": array or
    None}``; ``draws`` of None means the stratum has no estimate. The draws of
    different strata come from independent analyses, so each stratum's draws
    are put in random order before being added (draws that happen to be sorted,
    or that share a seed, would otherwise be added as if perfectly correlated);
    strata with fewer draws are resampled to the longest length.

    A stratum without an estimate is added at its documented count, a lower
    bound for it, and the total says so in its warnings.
    """
    warnings: list[str] = []
    usable_draws = {}
    for k, v in strata.items():
        if v.get("draws") is None or not len(v["draws"]):
            continue
        d = np.asarray(v["draws"], dtype=float)
        finite = d[np.isfinite(d)]
        if len(finite) < len(d):
            warnings.append(
                f"stratum {k}: {len(d) - len(finite)} of {len(d)} draws had no estimate and are left out "
                "of the sum"
            )
        if len(finite):
            usable_draws[k] = finite
    n_observed = int(sum(int(v["n_observed"]) for v in strata.values()))
    if not usable_draws:
        nan = float("nan")
        return StratifiedTotal(n_observed, nan, nan, nan, None, ("no stratum has draws to add",))
    size = max(len(d) for d in usable_draws.values())
    total = np.zeros(size)
    for name in sorted(usable_draws):
        d = usable_draws[name]
        total += rng.permutation(d) if len(d) == size else rng.choice(d, size=size, replace=True)
    for name in sorted(set(strata) - set(usable_draws)):
        n = int(strata[name]["n_observed"])
        total += n
        warnings.append(
            f"stratum {name} has no estimate: its {n} documented people are added as they are, "
            "so the total is a lower bound for that stratum"
        )
    alpha = (1 - level) / 2
    low, mid, high = np.quantile(total, [alpha, 0.5, 1 - alpha])
    return StratifiedTotal(n_observed, float(mid), float(low), float(high), total, tuple(warnings))


def stratify(
    persons: pd.DataFrame,
    attributes: pd.DataFrame,
    scheme: Scheme,
    lists: Sequence[str],
    caveats: Sequence[str] = (),
) -> dict[str, tuple[Any, dict]]:
    """Capture-history tables per stratum: ``{stratum: (CaptureTable, meta)}``.

    Every person falls in exactly one stratum; the union of the strata is the
    unstratified table. ``meta`` is :func:`~undercount.histories.build_histories`'s
    summary plus ``stratum`` and ``scheme``.
    """
    from .histories import build_histories

    strata = assign_strata(attributes, scheme)
    person_stratum = dict(zip(attributes["person_id"], strata))
    labels = persons["person_id"].map(person_stratum)
    out = {}
    for stratum in sorted(set(strata)):
        table, meta = build_histories(persons[labels == stratum], lists, caveats)
        meta = {"scheme": scheme.name, "stratum": stratum, "by": list(scheme.by), **meta}
        out[stratum] = (table, meta)
    return out


def total_over_strata(
    results: Mapping[str, tuple[Mapping[str, Any], np.ndarray | None]],
    level: float,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """The stratified total of one method as a result dictionary (the JSON form of an estimate).

    ``results`` maps each stratum to (its estimate's dictionary, its draws or
    None). Estimable strata without draws cannot be added honestly (that would
    mean adding interval ends), so then the total is not estimable and says why.
    """
    first = next(iter(results.values()))[0]
    lists = sorted({name for r, _ in results.values() for name in r["lists"]})
    estimable_without_draws = [s for s, (r, d) in results.items() if r["n_hat"] is not None and d is None]
    warnings: list[str] = []
    flagged = [s for s, (r, _) in results.items() if r["n_hat"] is not None and r["warnings"]]
    if flagged:
        warnings.append(
            f"{len(flagged)} of {len(results)} strata carry warnings of their own; read their rows"
        )
    details = {
        "strata": {
            s: {
                "n_observed": r["n_observed"],
                "n_hat": r["n_hat"],
                "ci_low": r["ci_low"],
                "ci_high": r["ci_high"],
                "draws": None if d is None else int(len(d)),
            }
            for s, (r, d) in results.items()
        },
        "combination": "sum of draws, each stratum's draws in random order",
    }
    base = {
        "method": first["method"],
        "lists": lists,
        "ci_level": level,
        "model": first.get("model"),
        "settings": first.get("settings", {}),
        "details": details,
    }
    n_observed = int(sum(r["n_observed"] for r, _ in results.values()))
    if all(r["n_hat"] is None for r, _ in results.values()):
        return base | {
            "n_observed": n_observed,
            "n_hat": None,
            "ci_low": None,
            "ci_high": None,
            "warnings": warnings + ["not estimable as a total: no stratum has an estimate"],
        }
    if estimable_without_draws:
        return base | {
            "n_observed": n_observed,
            "n_hat": None,
            "ci_low": None,
            "ci_high": None,
            "warnings": warnings
            + [
                f"not estimable as a total: {first['method']} gives no draws or bootstrap "
                "replicates, and adding interval ends across strata is never done"
            ],
        }
    total = add_draws(
        {s: {"n_observed": r["n_observed"], "draws": d} for s, (r, d) in results.items()}, level, rng
    )
    return base | {
        "n_observed": n_observed,
        "n_hat": _json_number(total.n_hat),
        "ci_low": _json_number(total.ci_low),
        "ci_high": _json_number(total.ci_high),
        "warnings": warnings + list(total.warnings),
    }


def _json_number(x: float) -> float | None:
    return None if math.isnan(x) else float(x)
