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
(:func:`undercount.results.combine.add`); interval endpoints are never added.
"""

from __future__ import annotations

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
        return self._text(attribute, raw)

    def _text(self, attribute: str, raw: Any) -> str:
        """The stratum value of a known value of a text attribute (region, place, sex, victim group)."""
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


def _column(attributes: pd.DataFrame, name: str) -> pd.Series:
    if name in attributes:
        return attributes[name].astype(object)
    return pd.Series([None] * len(attributes), index=attributes.index, dtype=object)


def _values(attributes: pd.DataFrame, scheme: Scheme, attribute: str) -> np.ndarray:
    """:meth:`Scheme.value` of one attribute for every person, computed once per distinct value.

    The values are factorised (blanks apart), each distinct one goes through the
    scheme's own rule (the same code as :meth:`Scheme.value`), and the answers are
    spread back by code. Text attributes and dates are factorised on ``str(value)``,
    which is what the rule reads, so two values that compare equal but print
    differently (1 and 1.0) cannot share an answer they would not get one by one.
    """
    if attribute == "period":
        raw, rule, as_text = _column(attributes, "date"), scheme._period, True
    elif attribute == "age_band":
        raw, rule, as_text = _column(attributes, "age"), scheme._age_band, False
    else:
        raw = _column(attributes, attribute)
        if attribute in ("region", "place"):
            other = _column(attributes, "place" if attribute == "region" else "region")
            raw = raw.where(raw.notna(), other)

        def rule(value: Any) -> str:
            return scheme._text(attribute, value)

        as_text = True
    known = raw.notna().to_numpy()
    out = np.full(len(raw), UNKNOWN, dtype=object)
    if known.any():
        present = raw[known]
        if as_text:
            present = present.map(str)
        codes, uniques = pd.factorize(present, use_na_sentinel=True)
        answers = np.array([rule(v) for v in uniques], dtype=object)
        out[known] = answers[codes]
    return out


def assign_strata(attributes: pd.DataFrame, scheme: Scheme) -> pd.Series:
    """Stratum of every person (indexed like ``attributes``), as :meth:`Scheme.stratum` gives it.

    Computed per attribute over the distinct values rather than person by person
    (30,000 persons in a few milliseconds, not seconds: multiple imputation
    stratifies every completed data set); the answers are the same, which
    ``tests/test_strata.py`` checks against :meth:`Scheme.stratum` on random tables.
    """
    if not len(attributes):
        return pd.Series([], index=attributes.index, dtype=object)
    labels = np.full(len(attributes), "", dtype=object)
    for i, attribute in enumerate(scheme.by):
        part = f"{slug(attribute)}-" + _values(attributes, scheme, attribute).astype(object)
        labels = part if i == 0 else labels + "_" + part
    return pd.Series(labels, index=attributes.index, dtype=object)


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


def stratify(
    persons: pd.DataFrame,
    attributes: pd.DataFrame,
    scheme: Scheme,
    lists: Sequence[str],
    caveats: Sequence[str] = (),
    labels_of_attributes: pd.Series | None = None,
) -> dict[str, tuple[Any, dict]]:
    """Capture-history tables per stratum: ``{stratum: (CaptureTable, meta)}``.

    Every person falls in exactly one stratum; the union of the strata is the
    unstratified table. ``meta`` is :func:`~undercount.histories.build_histories`'s
    summary plus ``stratum`` and ``scheme``. ``labels_of_attributes``: the
    strata of ``attributes``' rows when the caller has them already
    (:func:`assign_strata`'s answer), so they are not computed twice.
    """
    from .histories import build_histories

    strata = assign_strata(attributes, scheme) if labels_of_attributes is None else labels_of_attributes
    person_stratum = dict(zip(attributes["person_id"], strata))
    labels = persons["person_id"].map(person_stratum)
    out = {}
    for stratum in sorted(set(strata)):
        table, meta = build_histories(persons[labels == stratum], lists, caveats)
        meta = {"scheme": scheme.name, "stratum": stratum, "by": list(scheme.by), **meta}
        out[stratum] = (table, meta)
    return out
