"""Record linkage: which records, within and across sources, are the same person.

Everything downstream sees only the output of :func:`link`: one row per record
with ``source, record_id, person_id`` and ``match_probability``. Names go in,
hashed person identifiers come out.

Three matchers sit behind :func:`link`:

``splink`` (the default)
    Fellegi-Sunter matching on Splink (:mod:`.engine`, DuckDB embedded or Spark)
    over the compared columns our name logic makes (:mod:`.features`): folded
    surname and given name (in any order, diminutives resolved, initials against
    full names), patronymic, sex, age, date, place and region; term-frequency
    adjusted on surname and given name. Pairs at or above the threshold are
    clustered into persons by :func:`cluster`, which never puts two records
    into one person when they clearly differ (:class:`Conflicts`: another sex,
    ages or dates of death far apart, or a match probability below 0.01), so a
    chain A~B~C cannot join an A and a C that differ, and which leaves a record
    that gives only initials on its own when it fits more than one person.
    Labelled pairs from clerical review are must-link and cannot-link constraints.
``probabilistic``
    The earlier numpy Fellegi-Sunter engine (:mod:`undercount.fellegi_sunter`),
    clustered the same way; kept for comparison (docs/linkage.md says where it
    still does better).
``deterministic`` (version 0)
    Links two records when their folded names are compatible (the same set of
    word stems in any order, or initials that fit), their dates agree
    exactly, and sex and age (within :data:`AGE_TOLERANCE` years) do not
    conflict; then takes the transitive closure. It misses every link whose
    date differs by a day; kept for comparison.

Placeholder names for unidentified people ("Неизвестный мужчина №1", белгісіз,
"N.N.", a bare number) never match on name (:func:`undercount.names.is_placeholder`).

:func:`pairwise_accuracy` measures a linkage against known truth (the demo
generator's ``truth.csv``): pairwise precision, recall and F1.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..names import ParsedName, is_placeholder, parse_name, surname_stem

if TYPE_CHECKING:
    from .engine import Backend

AGE_TOLERANCE = 2
METHODS = ("splink", "probabilistic", "deterministic")
#: Match probability from which a pair is linked, unless the config says otherwise.
DEFAULT_THRESHOLD = 0.5
#: Two records whose own match probability is below this never end up in one person.
CONFLICT = 0.01
#: Decimals of probabilities written to files (byte-identical reruns).
DECIMALS = 4

#: What each matcher's output cannot be trusted for; travels with every estimate.
CAVEATS = {
    "splink": (
        "persons were linked by probabilistic (Fellegi-Sunter) matching on Splink with parameters "
        "estimated from these lists; a missed link splits one person into two and inflates the "
        "estimate, a false link merges two people and deflates it (see the linkage sensitivity "
        "results for how the estimate moves with the match threshold)"
    ),
    "probabilistic": (
        "persons were linked by probabilistic (Fellegi-Sunter) matching with parameters "
        "estimated from these lists; a missed link splits one person into two and inflates the "
        "estimate, a false link merges two people and deflates it (see the linkage sensitivity "
        "results for how the estimate moves with the match threshold)"
    ),
    "deterministic": (
        "persons were linked by the deterministic version-0 matcher, which misses links when "
        "a date differs by a day or a spelling falls outside its rules; missed links split one "
        "person into two and inflate the estimate"
    ),
}
PERSON_COLUMNS = ["source", "record_id", "person_id", "match_probability"]


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def names_compatible(a: ParsedName, b: ParsedName) -> bool:
    """Could these two written names belong to one person?"""
    if a.words and b.words and not a.initials and not b.initials:
        return a.stems == b.stems
    short, full = (a, b) if a.initials else (b, a)
    if not short.words:
        return False
    if full.initials and not full.words:
        return False
    surname = surname_stem(short.words[0])
    if surname not in full.stems:
        return False
    others = [w for w in full.words if surname_stem(w) != surname] + list(full.initials)
    return any(o[:1] == short.initials[0][:1] for o in others) if short.initials else False


def _known(value):
    """None for every spelling of a missing value (None, NaN, pandas NA)."""
    return None if value is None or pd.isna(value) else value


def _compatible(x: dict, y: dict) -> bool:
    if x["date"] is not None and y["date"] is not None and x["date"] != y["date"]:
        return False
    if x["sex"] is not None and y["sex"] is not None and x["sex"] != y["sex"]:
        return False
    if x["age"] is not None and y["age"] is not None and abs(x["age"] - y["age"]) > AGE_TOLERANCE:
        return False
    return names_compatible(x["name"], y["name"])


def link_deterministic(records: pd.DataFrame, date_column: str) -> list[int]:
    """Cluster labels for each record by the version-0 rules.

    Records with full names are linked first. A record that gives initials only
    ("Жагипаров Е.Б.") then joins a person only when exactly one person is
    compatible with it; with several candidates (namesakes on the same day)
    it stays on its own rather than merge two people.
    """
    items = []
    for row in records.itertuples(index=False):
        age = _known(row.age)
        name = _known(row.full_name)
        items.append(
            {
                # a placeholder ("Неизвестный мужчина №1") has no name to be compatible with
                "name": ParsedName((), (), None) if is_placeholder(name) else parse_name(str(name)),
                "date": _known(getattr(row, date_column)),
                "sex": _known(row.sex),
                "age": None if age is None else int(age),
            }
        )
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        for stem in item["name"].stems:
            blocks[stem].append(i)
    uf = _UnionFind(len(items))
    full = [not item["name"].initials and item["date"] is not None for item in items]
    for members in blocks.values():
        named = [i for i in members if full[i]]
        for pos, i in enumerate(named):
            for j in named[pos + 1 :]:
                if uf.find(i) != uf.find(j) and _compatible(items[i], items[j]):
                    uf.union(i, j)
    attached: dict[int, int] = {}
    for i, item in enumerate(items):
        if full[i]:
            continue
        candidates = {
            uf.find(j)
            for stem in item["name"].stems
            for j in blocks[stem]
            if full[j] and _compatible(item, items[j])
        }
        if len(candidates) == 1:
            attached[i] = candidates.pop()
    for i, root in attached.items():
        uf.union(i, root)
    # weak records that found no one: link identical ones (duplicates)
    for members in blocks.values():
        loose = [i for i in members if not full[i] and i not in attached]
        for pos, i in enumerate(loose):
            for j in loose[pos + 1 :]:
                if items[i]["name"] == items[j]["name"] and _compatible(items[i], items[j]):
                    uf.union(i, j)
    return [uf.find(i) for i in range(len(items))]


# ------------------------------------------------------------ probabilistic
def place_column(kind_or_date_column: str) -> str:
    """The place column of a kind (or of the kind whose date column is given)."""
    return {
        "casualty": "place",
        "date_of_death": "place",
        "detention": "place_detained",
        "date_detained": "place_detained",
    }[kind_or_date_column]


@dataclass(frozen=True)
class Conflicts:
    """Two records that clearly differ: never one person, even through a chain of matches.

    Sex differs (both known); ages more than ``age_years`` apart; dates of death
    more than ``death_days`` apart (detention dates may differ: one person can be
    detained twice). A pair whose match probability is below ``probability`` also
    counts as a clash (the model itself says they differ).
    """

    age_years: int = 10
    death_days: int = 3
    probability: float = 0.01


@dataclass
class RecordFacts:
    """What the clustering needs to know of each record, in the linkage's order."""

    weak: np.ndarray  # initials only
    source: np.ndarray  # list code
    sex: np.ndarray  # 0 unknown, 1 M, 2 F
    age: np.ndarray  # float, nan unknown
    death_day: np.ndarray  # day number of a date of death, nan unknown or not a death

    @classmethod
    def from_columns(cls, table: pd.DataFrame, *, deaths: bool) -> RecordFacts:
        n = len(table)
        sex = np.array([{"M": 1, "F": 2}.get(x, 0) if isinstance(x, str) else 0 for x in table["sex"]])
        age = table["age"].astype("float64").to_numpy() if "age" in table else np.full(n, np.nan)
        day = table["day"].astype("float64").to_numpy() if deaths else np.full(n, np.nan)
        return cls(
            np.asarray(table["weak"], dtype=bool),
            pd.factorize(table["source"].astype(str))[0].astype(np.int32),
            sex.astype(np.int8),
            age,
            day,
        )


def hard_conflict(facts: RecordFacts, a: np.ndarray, b: np.ndarray, rules: Conflicts) -> np.ndarray:
    """Pairs (a, b) that :class:`Conflicts` forbids to be one person."""
    sa, sb = facts.sex[a], facts.sex[b]
    out = (sa > 0) & (sb > 0) & (sa != sb)
    with np.errstate(invalid="ignore"):
        out |= np.abs(facts.age[a] - facts.age[b]) > rules.age_years
        out |= np.abs(facts.death_day[a] - facts.death_day[b]) > rules.death_days
    return out


@dataclass
class Linkage:
    """A fitted linkage of n records, ready to cluster at any threshold.

    Attributes
    ----------
    keys
        ``source\x1frecord_id`` of every record, in the linkage's order (sorted by key).
    i, j, probability
        Candidate pairs (record positions) and their match probabilities.
    model
        The trained engine model (:class:`~undercount.linkage.engine.Model` for
        Splink, :class:`~undercount.fellegi_sunter.FSModel` for the numpy engine),
        or None when no pair could be proposed.
    order
        Position in the linkage of each input row (so results come back in input order).
    """

    keys: list[str]
    sources: list[str]
    record_ids: list[str]
    #: the compared fields: :class:`_Facts` (Splink) or ``fellegi_sunter.Features`` (numpy engine)
    features: Any
    i: np.ndarray
    j: np.ndarray
    probability: np.ndarray
    #: ``engine.Model`` (Splink), ``fellegi_sunter.FSModel`` (numpy engine), or None
    model: Any
    order: np.ndarray | None = None
    pairs: pd.DataFrame | None = None
    method: str = "splink"
    conflicts: Conflicts = field(default_factory=Conflicts)
    must_link: list[tuple[int, int]] = field(default_factory=list)
    cannot_link: list[tuple[int, int]] = field(default_factory=list)
    scorer: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None

    @property
    def n(self) -> int:
        return len(self.keys)

    def pair_probability(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Match probabilities of any pairs, compared afresh (also those blocking skipped)."""
        if len(a) == 0:
            return np.zeros(0)
        if self.scorer is not None:
            return self.scorer(np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64))
        from ..fellegi_sunter import compare

        return self.model.probability(compare(self.features, a, b))

    def same_entry(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Pairs written identically (a list entering one person twice): every compared
        field known on both sides agrees, and both give a name and a date."""
        codes = getattr(self.features, "codes", None)
        if codes is None or len(a) == 0:
            return np.zeros(len(a), dtype=bool)
        ca, cb = codes[np.asarray(a)], codes[np.asarray(b)]
        given = (ca[:, :2] >= 0).all(axis=1) & (cb[:, :2] >= 0).all(axis=1)  # name and day
        agree = (ca < 0) | (cb < 0) | (ca == cb)
        return given & agree.all(axis=1)

    def placed(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Both records give a place (or a region)."""
        codes = getattr(self.features, "codes", None)
        if codes is None:
            return np.zeros(len(a), dtype=bool)
        where = (codes[:, -2] >= 0) | (codes[:, -1] >= 0)
        return where[np.asarray(a)] & where[np.asarray(b)]

    def conflict(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        facts = getattr(self.features, "facts", None)
        if facts is None:
            return np.zeros(len(a), dtype=bool)
        return hard_conflict(facts, np.asarray(a), np.asarray(b), self.conflicts)

    def best_probability(self) -> np.ndarray:
        """Each record's highest match probability with any other record (0 if never compared)."""
        best = np.zeros(self.n)
        np.maximum.at(best, self.i, self.probability)
        np.maximum.at(best, self.j, self.probability)
        return best

    def labels(self, threshold: float, conflict: float | None = None) -> np.ndarray:
        return cluster(self, threshold, conflict=conflict)

    def persons(self, threshold: float, conflict: float | None = None) -> pd.DataFrame:
        """``source, record_id, person_id, match_probability`` at one threshold, in input order."""
        frame = _persons_frame(
            self.sources,
            self.record_ids,
            self.keys,
            self.labels(threshold, conflict),
            self.best_probability(),
        )
        if self.order is not None:
            frame = frame.iloc[self.order].reset_index(drop=True)
        return frame

    def with_constraints(self, must: Sequence[tuple[str, str]], cannot: Sequence[tuple[str, str]]) -> Linkage:
        """The same fit with labelled pairs (record keys) as must-link and cannot-link constraints."""
        where = {k: p for p, k in enumerate(self.keys)}
        self.must_link = [(min(where[a], where[b]), max(where[a], where[b])) for a, b in must]
        self.cannot_link = [(min(where[a], where[b]), max(where[a], where[b])) for a, b in cannot]
        return self


class _Facts:
    """Features of the Splink path: the compared columns and the clustering's facts."""

    #: Columns compared to tell a record entered twice (name key and day first).
    ENTRY = (
        "name_key",
        "day",
        "surname",
        "given",
        "given_initial",
        "patronymic",
        "sex",
        "age",
        "place",
        "region",
    )

    def __init__(self, table: pd.DataFrame, facts: RecordFacts) -> None:
        self.table = table
        self.facts = facts
        self.weak = facts.weak
        self.source = facts.source
        # each column as integer codes (-1 unknown), for fast field-by-field comparisons
        self.codes = np.stack(
            [pd.factorize(table[c].astype(object), use_na_sentinel=True)[0] for c in self.ENTRY], axis=1
        )


def sorted_records(records: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """Records sorted by ``source\x1frecord_id`` (so fits do not depend on row order)."""
    sources = records["source"].astype(str).tolist()
    record_ids = records["record_id"].astype(str).tolist()
    keys = [f"{s}\x1f{r}" for s, r in zip(sources, record_ids)]
    if len(set(keys)) != len(keys):
        raise ValueError("record ids repeat within a source")
    by_key = np.argsort(np.asarray(keys, dtype=object), kind="stable")
    order = np.empty(len(keys), dtype=np.int64)
    order[by_key] = np.arange(len(keys))
    return records.iloc[by_key].reset_index(drop=True), order, [keys[k] for k in by_key]


def dates_as_iso(records: pd.DataFrame, date_column: str) -> pd.DataFrame:
    """``records`` with ``date_column`` as ISO dates (``2022-01-05``) or None, whatever pandas type it had.

    Canonical records hold dates as ISO text; a notebook user's frame often holds
    a pandas datetime column instead (``datetime64``, time-zone aware or not, with
    ``NaT`` for unknown), or Python ``date``/``datetime`` objects. Each becomes
    its calendar date, in the column's own time zone when it has one (a death at
    01:00 on 5 January in Almaty is on 5 January), and ``NaT`` becomes unknown.
    Text is left as it is. The input frame is not changed.

    Raises
    ------
    ValueError
        A value of the column is neither a date, a datetime, text nor missing
        (the message names the column and the row).
    """
    import datetime as dt

    if date_column not in records.columns:
        return records
    column = records[date_column]
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        iso = [d if known else None for d, known in zip(column.dt.strftime("%Y-%m-%d"), column.notna())]
        return records.assign(**{date_column: pd.Series(iso, index=column.index, dtype=object)})
    if not (pd.api.types.is_object_dtype(column.dtype) or pd.api.types.is_string_dtype(column.dtype)):
        if column.isna().all():
            return records.assign(
                **{date_column: pd.Series([None] * len(column), index=column.index, dtype=object)}
            )
        raise ValueError(
            f"column {date_column!r}: dates must be ISO text (2022-01-05) or a pandas datetime column, "
            f"not {column.dtype}"
        )
    values: list[str | None] = []
    for row, value in enumerate(column.tolist()):
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            values.append(None)
        elif isinstance(value, pd.Timestamp | dt.datetime):
            values.append(value.strftime("%Y-%m-%d"))
        elif isinstance(value, dt.date):
            values.append(value.isoformat())
        elif isinstance(value, str):
            values.append(value)
        else:
            raise ValueError(
                f"column {date_column!r}, row {row + 1}: not a date ({type(value).__name__}); "
                "give ISO text (2022-01-05) or a pandas datetime column"
            )
    if all(a is b or a == b for a, b in zip(values, column.tolist())):
        return records
    return records.assign(**{date_column: pd.Series(values, index=column.index, dtype=object)})


def fit_linkage(
    records: pd.DataFrame,
    *,
    date_column: str,
    place: str | None = None,
    method: str = "splink",
    progress: bool = False,
    backend: str | Backend | None = None,
    blocking: Sequence[Sequence[str]] | None = None,
    max_pairs: int | None = None,
    reference_frequencies: Mapping[str, Mapping[str, float]] | None = None,
    conflicts: Conflicts | None = None,
    min_probability: float = 0.001,
) -> Linkage:
    """Compare the candidate pairs of ``records`` and train the model (Splink by default).

    ``records`` are canonical records (with ``source``) of one kind from all
    sources of one event. The returned :class:`Linkage` clusters at any
    threshold without comparing again. ``method`` is ``splink`` (the default)
    or ``probabilistic`` (the numpy Fellegi-Sunter engine). With fewer than two
    records, or no candidate pair, there is no model and every record is its own
    person.
    """
    records = dates_as_iso(records, date_column)
    place = place if place is not None else place_column(date_column)
    conflicts = conflicts or Conflicts()
    if method == "probabilistic":
        fitted = _fit_numpy(records, date_column=date_column, place=place, progress=progress)
        fitted.conflicts = conflicts
        return fitted
    from . import engine
    from .features import compared_columns

    ordered, order, keys = sorted_records(records)
    table = compared_columns(ordered, date_column=date_column, place_column=place)
    facts = RecordFacts.from_columns(table, deaths=date_column == "date_of_death")
    sources = ordered["source"].astype(str).tolist()
    record_ids = ordered["record_id"].astype(str).tolist()
    empty = np.zeros(0, dtype=np.int64)
    blocking = tuple(tuple(r) for r in (blocking or engine.DEFAULT_BLOCKING))
    counts = engine.rule_pairs(table, blocking)
    engine.check_rules(counts, max_pairs or engine.DEFAULT_MAX_PAIRS)
    linkage = Linkage(
        keys,
        sources,
        record_ids,
        _Facts(table, facts),
        empty,
        empty,
        np.zeros(0),
        None,
        order,
        method="splink",
        conflicts=conflicts,
    )
    linkage.pair_counts = counts  # type: ignore[attr-defined]
    if len(table) < 2 or sum(counts.values()) == 0:
        return linkage
    if not isinstance(backend, engine.Backend):
        backend = engine.Backend(backend or "duckdb")
    model = engine.fit(
        table,
        blocking=blocking,
        backend=backend,
        max_pairs=max_pairs or engine.DEFAULT_MAX_PAIRS,
        reference_frequencies=reference_frequencies,
    )
    pairs = engine.predictions(model, min_probability)
    linkage.model = model
    linkage.pairs = pairs
    linkage.i = pairs["i"].to_numpy(dtype=np.int64)
    linkage.j = pairs["j"].to_numpy(dtype=np.int64)
    linkage.probability = pairs["probability"].to_numpy(dtype=float)
    linkage.scorer = lambda a, b: _score(model, a, b)
    return linkage


def _score(model, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    from . import engine

    scored = engine.score_pairs(model, a, b)
    lookup = dict(zip(zip(scored["i"].tolist(), scored["j"].tolist()), scored["probability"].tolist()))
    return np.array([lookup[(min(x, y), max(x, y))] for x, y in zip(a.tolist(), b.tolist())])


def _fit_numpy(records: pd.DataFrame, *, date_column: str, place: str, progress: bool) -> Linkage:
    from ..fellegi_sunter import (
        background_pairs,
        background_weights,
        candidate_pairs,
        compare,
        fit_em,
        prepare,
    )

    ordered, order, keys = sorted_records(records)
    sources = ordered["source"].astype(str).tolist()
    record_ids = ordered["record_id"].astype(str).tolist()
    features = prepare(ordered, date_column=date_column, place_column=place)
    i, j = candidate_pairs(features)
    gamma = compare(features, i, j, progress=progress)
    if len(gamma) == 0:
        model = None
        probability = np.zeros(0)
    else:
        bi, bj = background_pairs(keys, (i, j))
        weights = background_weights(features, (i, j), (bi, bj))
        model = fit_em(gamma, compare(features, bi, bj), weights)
        probability = model.probability(gamma)
    return Linkage(
        keys, sources, record_ids, features, i, j, probability, model, order, method="probabilistic"
    )


class LabelConflictError(InputError):
    """Labelled matches and non-matches that contradict each other."""


def cluster(linkage: Linkage, threshold: float, *, conflict: float | None = None) -> np.ndarray:
    """Person labels (the smallest record position of each person) at a match threshold.

    0. Labelled matches (``linkage.must_link``) are merged first; labelled
       non-matches (``linkage.cannot_link``) are never merged, whatever the
       probabilities (a chain of labelled matches joining a labelled non-match
       is an error).
    1. Pairs with probability >= ``threshold`` form a graph; its connected
       components are the candidates for persons.
    2. Records with full names are merged greedily along those pairs, from
       the most probable down, but two groups merge only if no record of one
       clashes with a record of the other: another sex, ages or dates of death
       far apart (:class:`Conflicts`), a match probability below
       ``conflict``, or two records of the same source whose own probability
       is below ``threshold`` (a list names a person once, bar duplicates that
       match in their own right or are written identically, field by field). Every pair inside a group is compared
       for this, including pairs blocking never proposed.
    3. Records that give only initials ("Жагипаров Е.Б.") join last. The
       persons such a record could be exclude each other, so its probability
       of being person c is odds_c / (1 + sum of the odds of every candidate
       person, above the threshold or not); it joins the best candidate only
       if that is at least the threshold. Between two namesakes that share
       the initial it stays on its own. Initials-only records that fit no
       one join each other (duplicates) on the same terms as full names.
    4. Before step 3, two records of one list written identically (every
       compared field known on both sides agrees; both give name, date and
       place) join even below the threshold, unless they clash: a list
       that enters a person twice copies the entry.

    Ties are broken by the records' source and id, so the result does not
    depend on the order of the input rows.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if conflict is None:
        conflict = linkage.conflicts.probability
    n = linkage.n
    keys = np.asarray(linkage.keys, dtype=object)
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(keys, kind="stable")] = np.arange(n)
    weak = np.asarray(linkage.features.weak, dtype=bool)
    src = np.asarray(linkage.features.source)
    uf = _UnionFind(n)
    members: dict[int, list[int]] = {}
    known: dict[tuple[int, int], float] = {
        (int(a), int(b)): float(p) for a, b, p in zip(linkage.i, linkage.j, linkage.probability)
    }
    forbidden: set[tuple[int, int]] = set()
    for pq in linkage.cannot_link:
        forbidden.add(pq)
    for pq in linkage.must_link:
        known[pq] = 1.0

    def lookup(pairs: list[tuple[int, int]]) -> list[float]:
        missing = [pq for pq in dict.fromkeys(pairs) if pq not in known]
        if missing:
            a = np.array([x for x, _ in missing], dtype=np.int64)
            b = np.array([y for _, y in missing], dtype=np.int64)
            for pq, p in zip(missing, linkage.pair_probability(a, b)):
                known[pq] = float(p)
        return [known[pq] for pq in pairs]

    hard: dict[tuple[int, int], bool] = {}
    twin: dict[tuple[int, int], bool] = {}

    def hard_of(pairs: list[tuple[int, int]]) -> list[bool]:
        missing = [pq for pq in pairs if pq not in hard]
        if missing:
            a = np.array([x for x, _ in missing], dtype=np.int64)
            b = np.array([y for _, y in missing], dtype=np.int64)
            for pq, h, t in zip(missing, linkage.conflict(a, b), linkage.same_entry(a, b)):
                hard[pq] = bool(h)
                twin[pq] = bool(t)
        return [hard[pq] for pq in pairs]

    def clash(pq: tuple[int, int], p: float, h: bool) -> bool:
        if pq in forbidden:
            return True
        if p >= 1.0 and pq in must:
            return False
        x, y = pq
        # two records of one list are one person only if they match in their own right, or
        # were written identically (the list entered the person twice)
        same_list = src[x] == src[y] and p < threshold and not twin.get(pq, False)
        return h or p < conflict or same_list

    must = set(linkage.must_link)

    def merge(a: int, b: int, forced: bool = False) -> bool:
        ra, rb = uf.find(a), uf.find(b)
        if ra == rb:
            return False
        ga, gb = members.get(ra, [ra]), members.get(rb, [rb])
        cross = [(min(x, y), max(x, y)) for x in ga for y in gb]
        if forced:
            if any(pq in forbidden for pq in cross):
                raise LabelConflictError(
                    "the labels contradict each other: labelled matches join two records labelled "
                    "as not a match"
                )
        elif any(clash(pq, p, h) for pq, p, h in zip(cross, lookup(cross), hard_of(cross))):
            return False
        uf.union(ra, rb)
        root = uf.find(ra)
        members[root] = ga + gb
        members.pop(rb if root == ra else ra, None)
        return True

    for a, b in sorted(must, key=lambda pq: (rank[pq[0]], rank[pq[1]])):
        merge(a, b, forced=True)
    sel = linkage.probability >= threshold
    ei, ej, ep = linkage.i[sel], linkage.j[sel], linkage.probability[sel]
    if len(ei) == 0 and not must:
        return np.arange(n)
    graph = coo_matrix((np.ones(len(ei)), (ei, ej)), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    # compare every pair inside each component at once (cheaper than one by one)
    by_comp: dict[int, list[int]] = defaultdict(list)
    for r in np.unique(np.r_[ei, ej]):
        by_comp[int(comp[r])].append(int(r))
    aa, bb = [], []
    for group in by_comp.values():
        if len(group) >= 3:
            g = np.asarray(group)
            x, y = np.triu_indices(len(g), k=1)
            aa.append(np.minimum(g[x], g[y]))
            bb.append(np.maximum(g[x], g[y]))
    if aa:
        lookup(list(zip(np.concatenate(aa).tolist(), np.concatenate(bb).tolist())))
    lo = np.where(rank[ei] < rank[ej], ei, ej)
    hi = np.where(rank[ei] < rank[ej], ej, ei)
    order = np.lexsort((rank[hi], rank[lo], -ep))
    edges = [(int(lo[k]), int(hi[k]), float(ep[k])) for k in order]
    for a, b, _ in edges:  # full names first
        if not weak[a] and not weak[b]:
            merge(a, b)
    # a list that entered one person twice wrote the same fields: such pairs join even below
    # the threshold (unless they clash), provided both give a name, a date and a place
    wi, wj, wp = linkage.i, linkage.j, linkage.probability
    pool = (src[wi] == src[wj]) & ~weak[wi] & ~weak[wj] & (wp >= conflict) & (wp < threshold)
    if pool.any():
        ti, tj, tp = wi[pool], wj[pool], wp[pool]
        placed = linkage.placed(ti, tj)
        twins = linkage.same_entry(ti, tj) & placed
        for k in np.lexsort((rank[tj], rank[ti], -tp)):
            if twins[k]:
                merge(int(ti[k]), int(tj[k]))
    # initials-only records: every candidate person, whatever its probability
    candidates: dict[int, list[tuple[int, float]]] = defaultdict(list)
    wi, wj, wp = linkage.i, linkage.j, linkage.probability
    involve = (weak[wi] | weak[wj]) & (wp >= conflict)
    for a, b, p in zip(wi[involve], wj[involve], wp[involve]):
        a, b, p = int(a), int(b), float(p)
        if weak[a] and not weak[b]:
            candidates[a].append((b, p))
        if weak[b] and not weak[a]:
            candidates[b].append((a, p))
    # every pair between an initials-only record and the persons it could join, at once
    need = []
    for w, cands in candidates.items():
        for other, _ in cands:
            for member in members.get(uf.find(other), [uf.find(other)]):
                need.append((min(w, member), max(w, member)))
    if need:
        lookup(need)
    attached = set()
    for w in sorted(candidates, key=lambda r: rank[r]):
        if uf.find(w) != w or w in members:
            continue  # already placed by a labelled match
        best: dict[int, float] = {}
        for other, p in candidates[w]:
            root = uf.find(other)
            best[root] = max(best.get(root, 0.0), p)
        odds = {c: p / (1.0 - p) if p < 1 else 1e12 for c, p in best.items()}
        c, top = min(odds.items(), key=lambda kv: (-kv[1], rank[kv[0]]))
        if best[c] >= threshold and top / (1.0 + sum(odds.values())) >= threshold and merge(w, c):
            attached.add(w)
    for a, b, _ in edges:  # initials-only records that fit no full name: their duplicates
        if weak[a] and weak[b] and a not in attached and b not in attached:
            merge(a, b)
    return np.asarray([uf.find(r) for r in range(n)])


def _persons_frame(sources, record_ids, keys, labels, probability) -> pd.DataFrame:
    first_key: dict[int, str] = {}
    for label, key in zip(labels, keys):
        label = int(label)
        if label not in first_key or key < first_key[label]:
            first_key[label] = key
    person_ids = [_person_id(first_key[int(label)]) for label in labels]
    prob: list[float] | np.ndarray
    if probability is None:
        prob = [math.nan] * len(keys)
    else:
        prob = np.round(np.asarray(probability, dtype=float), DECIMALS)
    return pd.DataFrame(
        {
            "source": list(sources),
            "record_id": list(record_ids),
            "person_id": person_ids,
            "match_probability": prob,
        },
        columns=PERSON_COLUMNS,
    )


def link(
    records: pd.DataFrame,
    *,
    date_column: str,
    method: str = "splink",
    threshold: float = DEFAULT_THRESHOLD,
    **options,
) -> pd.DataFrame:
    """Link canonical records (with a ``source`` column) into persons.

    Parameters
    ----------
    records
        Canonical records of one kind from all sources of one event, with
        ``source``, ``record_id``, ``full_name``, ``sex``, ``age``, the date
        column and (if present) the place column.
    date_column
        ``date_of_death`` or ``date_detained``: ISO text (``2022-01-05``) or a
        pandas datetime column, time-zone aware or not, ``NaT`` for unknown
        (:func:`dates_as_iso`).
    method
        ``splink`` (the default), ``probabilistic`` (the numpy Fellegi-Sunter
        engine) or ``deterministic`` (v0).
    threshold
        Match probability from which two records are the same person
        (not for the deterministic matcher).
    options
        Passed to :func:`fit_linkage` (backend, blocking, max_pairs, ...).

    Returns
    -------
    pandas.DataFrame
        ``source, record_id, person_id, match_probability`` in the input's
        order. Person ids are hashes of the smallest record key of each person,
        stable across runs, and carry no names. ``match_probability`` is the
        record's highest match probability with any other record (blank for
        the deterministic matcher): a record alone with a high value, or in a
        person with a low one, is the one to review.
    """
    if method not in METHODS:
        raise ValueError(f"unknown linkage method {method!r}; known: {METHODS}")
    if not 0 < threshold < 1:
        raise ValueError(f"the match threshold must be between 0 and 1, got {threshold}")
    records = dates_as_iso(records, date_column)
    sources = records["source"].astype(str).tolist()
    record_ids = records["record_id"].astype(str).tolist()
    keys = [f"{s}\x1f{r}" for s, r in zip(sources, record_ids)]
    if method == "deterministic":
        return _persons_frame(sources, record_ids, keys, link_deterministic(records, date_column), None)
    return fit_linkage(records, date_column=date_column, method=method, **options).persons(threshold)


def _population_records(records_by_source: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    frames = [frame.assign(source=sid) for sid, frame in records_by_source.items()]
    return pd.concat(frames, ignore_index=True)


def _flag_mask(records: pd.DataFrame, flag: str | None) -> np.ndarray:
    if flag is None:
        return np.ones(len(records), dtype=bool)
    return (records[flag] == True).fillna(False).to_numpy(dtype=bool)  # noqa: E712 (nullable)


def link_population(
    records_by_source: dict[str, pd.DataFrame],
    *,
    kind: str,
    flag: str | None,
    method: str = "splink",
    threshold: float = DEFAULT_THRESHOLD,
    **options,
) -> pd.DataFrame:
    """Persons of one population from the canonical records of all its sources.

    All records of the kind are linked together (so a detainee's records are
    matched using every detention record, not only those alleging torture);
    when the population is defined by a flag (``torture_alleged``), only the
    records carrying that flag are kept afterwards.
    """
    from ..records import date_column

    records = _population_records(records_by_source)
    persons = link(records, date_column=date_column(kind), method=method, threshold=threshold, **options)
    return persons[_flag_mask(records, flag)].reset_index(drop=True)


def link_population_thresholds(
    records_by_source: dict[str, pd.DataFrame],
    *,
    kind: str,
    flag: str | None,
    thresholds: Sequence[float],
    method: str = "splink",
    must: Sequence[tuple[str, str]] = (),
    cannot: Sequence[tuple[str, str]] = (),
    **options,
) -> tuple[pd.DataFrame, Linkage]:
    """One fit, clustered at every threshold: the long table and the fit.

    Returns ``threshold, source, record_id, person_id, match_probability``
    (one block of rows per threshold, ascending) for the records of the
    population, and the :class:`Linkage` (for its model and pair counts).
    Labelled pairs (record keys ``source\x1frecord_id``) in ``must`` and
    ``cannot`` are constraints at every threshold.
    """
    from ..records import date_column

    records = _population_records(records_by_source)
    fitted = fit_linkage(records, date_column=date_column(kind), method=method, **options)
    fitted.with_constraints(must, cannot)
    frames = []
    for t in sorted(set(float(x) for x in thresholds)):
        persons = fitted.persons(t)
        persons.insert(0, "threshold", t)
        frames.append(persons)
    linked = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=THRESHOLD_COLUMNS)
    return population_rows(linked, records_by_source, flag), fitted


#: Columns of the long table of persons at every threshold (``linkage/thresholds.csv``).
THRESHOLD_COLUMNS = ["threshold", *PERSON_COLUMNS]


def population_rows(
    linked: pd.DataFrame, records_by_source: Mapping[str, pd.DataFrame], flag: str | None
) -> pd.DataFrame:
    """The rows of a linkage of all records of a kind that belong to one population.

    ``linked`` has ``source`` and ``record_id`` (and any other columns: the
    long table at every threshold, or persons at one); ``records_by_source`` are
    the canonical records it linked. A population defined by a flag
    (``torture_alleged``) keeps the rows of the records carrying it, in their
    order; with ``flag`` None every row is kept. So the populations that share
    a kind's records share its fit and clustering, and differ only here.
    """
    if flag is None:
        return linked.reset_index(drop=True)
    records = _population_records(records_by_source)
    mask = _flag_mask(records, flag)
    flagged = set(zip(records["source"].astype(str)[mask], records["record_id"].astype(str)[mask]))
    keep = [key in flagged for key in zip(linked["source"].astype(str), linked["record_id"].astype(str))]
    return linked[np.asarray(keep, dtype=bool)].reset_index(drop=True)


# ------------------------------------------------------------- accuracy
TRUTH_COLUMNS = ["event", "kind", "source", "record_id", "person"]
ACCURACY_COLUMNS = [
    "event",
    "population",
    "threshold",
    "records",
    "precision",
    "recall",
    "f1",
    "persons_found",
    "true_persons",
]


def read_truth(path: str | Path) -> pd.DataFrame:
    """The true person behind each record (``event, kind, source, record_id, person``).

    Raises
    ------
    InputError
        The file is missing, lacks a column, has a blank cell or repeats a record.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("truth file not found", file=str(path))
    truth = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in TRUTH_COLUMNS if c not in truth.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)} (needs {', '.join(TRUTH_COLUMNS)})",
            file=str(path),
            row=1,
            column=missing[0],
        )
    for column in TRUTH_COLUMNS:
        blank = truth[column].str.strip() == ""
        if blank.any():
            raise InputError(
                "a value is required here but the cell is blank",
                file=str(path),
                row=int(np.flatnonzero(blank)[0]) + 2,
                column=column,
            )
    dup = truth.duplicated(["event", "kind", "source", "record_id"])
    if dup.any():
        raise InputError(
            "this record appears twice in the truth file",
            file=str(path),
            row=int(np.flatnonzero(dup)[0]) + 2,
            column="record_id",
        )
    return truth[TRUTH_COLUMNS]


def pairwise_accuracy(predicted: Sequence, true: Sequence) -> dict[str, float]:
    """Pairwise precision, recall and F1 of a clustering against the truth.

    A pair of records is predicted linked when both carry the same predicted
    person, truly linked when both carry the same true person; precision is
    the share of predicted pairs that are true, recall the share of true pairs
    found. With no predicted (true) pairs, precision (recall) is 1.
    """
    frame = pd.DataFrame({"p": list(predicted), "t": list(true)})

    def pairs(counts: pd.Series) -> int:
        c = counts.to_numpy(dtype=np.int64)
        return int((c * (c - 1) // 2).sum())

    both = pairs(frame.groupby(["p", "t"]).size())
    pred = pairs(frame.groupby("p").size())
    real = pairs(frame.groupby("t").size())
    precision = both / pred if pred else 1.0
    recall = both / real if real else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "records": len(frame),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "persons_found": int(frame["p"].nunique()),
        "true_persons": int(frame["t"].nunique()),
    }


def accuracy_table(
    linked: pd.DataFrame,
    truth: pd.DataFrame,
    *,
    event: str,
    population: str,
    kind: str,
    thresholds: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Accuracy at every threshold of a :func:`link_population_thresholds` table.

    ``thresholds`` (default: those in ``linked``) each get a row, also when the
    population has no records (a row of zeros, precision and recall 1: no pair
    to get wrong). Records without a truth entry make the comparison
    meaningless, so they raise :class:`~undercount.errors.InputError`.
    """
    t = truth[(truth["event"] == event) & (truth["kind"] == kind)]
    lookup = dict(zip(zip(t["source"], t["record_id"]), t["person"]))
    if thresholds is None:
        thresholds = linked["threshold"].unique()
    rows = []
    for threshold in sorted(set(float(x) for x in thresholds)):
        block = linked[linked["threshold"].astype(float) == threshold]
        true = [
            lookup.get((s, r)) for s, r in zip(block["source"].astype(str), block["record_id"].astype(str))
        ]
        if any(x is None for x in true):
            where = next(
                f"{s}/{r}" for (s, r), x in zip(zip(block["source"], block["record_id"]), true) if x is None
            )
            raise InputError(f"the truth file has no entry for record {where} of {event} {kind} lists")
        acc = pairwise_accuracy(block["person_id"], true)
        rows.append({"event": event, "population": population, "threshold": float(threshold), **acc})
    types = {
        "threshold": float,
        "records": int,
        "precision": float,
        "recall": float,
        "f1": float,
        "persons_found": int,
        "true_persons": int,
    }
    return pd.DataFrame(rows, columns=ACCURACY_COLUMNS).astype(types)


def _person_id(key: str) -> str:
    return "P" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def memberships(persons: pd.DataFrame, lists: Iterable[str]) -> dict[str, set[str]]:
    """For each person, the set of lists (among ``lists``) that document them."""
    wanted = set(lists)
    out: dict[str, set[str]] = defaultdict(set)
    for source, person in zip(persons["source"], persons["person_id"]):
        if source in wanted:
            out[person].add(source)
    return dict(out)


# ------------------------------------------------------------ config and outputs
MODEL_COLUMNS = ["comparison", "level", "label", "m", "u", "weight", "tf_adjusted"]


def fit_options(linkage_config: Mapping) -> dict:
    """Keyword arguments of :func:`fit_linkage` from the config's ``linkage`` section."""
    conflicts = linkage_config.get("conflicts") or {}
    ref = linkage_config.get("reference_frequencies")
    return {
        "method": linkage_config.get("method", "splink"),
        "backend": linkage_config.get("backend", "duckdb"),
        "blocking": [tuple(r) for r in linkage_config.get("blocking_rules") or []] or None,
        "max_pairs": linkage_config.get("max_pairs"),
        "reference_frequencies": read_reference_frequencies(ref) if ref else None,
        "conflicts": Conflicts(
            age_years=int(conflicts.get("age_years", 10)), death_days=int(conflicts.get("death_days", 3))
        ),
    }


def read_reference_frequencies(path: str | Path) -> dict[str, dict[str, float]]:
    """Reference name frequencies: ``part, name, frequency`` -> per part, folded key -> share.

    Names are folded as the lists' names are (surname stem; given-name key with
    diminutives resolved), frequencies of names that fold alike are added, and
    each part is scaled to sum to one.
    """
    from ..names import fold, given_key, surname_stem

    path = Path(path)
    if not path.is_file():
        raise InputError("reference frequencies file not found", file=str(path))
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in ("part", "name", "frequency"):
        if column not in frame.columns:
            raise InputError(
                f"missing column {column} (needs part, name, frequency)", file=str(path), row=1, column=column
            )
    out: dict[str, dict[str, float]] = {"surname": {}, "given": {}}
    for k, row in enumerate(frame.itertuples(index=False), start=2):
        if row.part not in out:
            raise InputError("part must be surname or given", file=str(path), row=k, column="part")
        try:
            value = float(row.frequency)
        except ValueError:
            raise InputError(
                "frequency must be a number", file=str(path), row=k, column="frequency"
            ) from None
        if not value >= 0:
            raise InputError("frequency cannot be negative", file=str(path), row=k, column="frequency")
        stem = surname_stem(fold(row.name))
        key = given_key(stem) if row.part == "given" else stem
        out[row.part][key] = out[row.part].get(key, 0.0) + value
    for part, table in out.items():
        total = sum(table.values())
        if total > 0:
            out[part] = {k: v / total for k, v in table.items()}
    return out


def write_model_exact(model: pd.DataFrame, path: str | Path) -> None:
    """A :func:`model_table` as JSON with every float as Python writes it (read back bit for bit).

    ``model.csv`` rounds to six digits; the shared fit of a kind's records keeps
    the model exactly, so that each population's ``model.csv`` and match-weight
    chart are made from the numbers the fit gave (:func:`read_model_exact`).
    """
    import json

    columns = {c: model[c].tolist() for c in MODEL_COLUMNS} if len(model) else {c: [] for c in MODEL_COLUMNS}
    Path(path).write_text(json.dumps({"columns": MODEL_COLUMNS, "data": columns}) + "\n", encoding="utf-8")


def read_model_exact(path: str | Path) -> pd.DataFrame:
    """The model table :func:`write_model_exact` wrote, with the same values and types."""
    import json

    data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    if not data[MODEL_COLUMNS[0]]:
        return pd.DataFrame(columns=MODEL_COLUMNS)
    return pd.DataFrame({c: data[c] for c in MODEL_COLUMNS})


def read_exact(path: str | Path, *, floats: Sequence[str] = (), ints: Sequence[str] = ()) -> pd.DataFrame:
    """A table written by :func:`undercount.tabular.write_csv` without a float format, read back exactly.

    Python's ``float`` parses every number as it was written (pandas' own parser
    may not, by version); ``floats`` and ``ints`` name the number columns, an
    empty cell is NaN; the other columns are text, with the formula guard of
    the writer undone.
    """
    from .. import tabular

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in frame.columns:
        if column in floats:
            frame[column] = [float(v) if v != "" else math.nan for v in frame[column]]
            frame[column] = frame[column].astype("float64")
        elif column in ints:
            frame[column] = frame[column].astype("int64")
        else:
            frame[column] = frame[column].map(tabular.restore)
    return frame


def read_thresholds_exact(path: str | Path) -> pd.DataFrame:
    """A long table of persons at every threshold written at full precision (ids as text)."""
    return read_exact(path, floats=("threshold", "match_probability"))


def model_table(fitted: Linkage) -> pd.DataFrame:
    """m, u and match weight of every comparison level (empty when nothing could be fitted)."""
    if fitted.model is None:
        return pd.DataFrame(columns=MODEL_COLUMNS)
    if fitted.method == "probabilistic":
        table = fitted.model.table()
        table["tf_adjusted"] = False
        return table[MODEL_COLUMNS]
    return fitted.model.parameters()[MODEL_COLUMNS]


PAIR_COLUMNS = ["source_a", "record_id_a", "source_b", "record_id_b", "match_probability", "match_weight"]


def pairs_table(fitted: Linkage) -> pd.DataFrame:
    """Candidate pairs with probabilities and per-field match weights (ids only, no names)."""
    from .engine import COMPARISONS

    weights = [f"mw_{c}" for c in COMPARISONS]
    if fitted.pairs is None or fitted.pairs.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS + weights)
    p = fitted.pairs
    i, j = p["i"].to_numpy(), p["j"].to_numpy()
    src, rid = np.asarray(fitted.sources, dtype=object), np.asarray(fitted.record_ids, dtype=object)
    out = pd.DataFrame(
        {
            "source_a": src[i],
            "record_id_a": rid[i],
            "source_b": src[j],
            "record_id_b": rid[j],
            "match_probability": p["probability"].round(6),
            "match_weight": p["weight"].round(4),
        }
    )
    for w in weights:
        out[w] = p[w].round(4)
    return out


def read_pairs(path: str | Path) -> pd.DataFrame:
    """A pairs table written by :func:`pairs_table` (ids as text).

    Raises
    ------
    InputError
        The file is missing or lacks a column.
    """
    from .engine import COMPARISONS

    path = Path(path)
    if not path.is_file():
        raise InputError("pairs file not found", file=str(path))
    ids = {c: str for c in ("source_a", "record_id_a", "source_b", "record_id_b")}
    frame = pd.read_csv(path, dtype=ids, keep_default_na=False)
    needed = PAIR_COLUMNS + [f"mw_{c}" for c in COMPARISONS]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}; write it with undercount link --pairs",
            file=str(path),
            row=1,
            column=missing[0],
        )
    return frame


def linkage_from_pairs(
    records: pd.DataFrame,
    pairs: pd.DataFrame,
    *,
    date_column: str,
    place: str | None = None,
    file: str | None = None,
) -> Linkage:
    """The fit that a written pairs table (:func:`pairs_table`) describes, without fitting again.

    ``records`` are the records the pairs were scored on (with ``source``);
    ``pairs`` holds their ids, match probabilities and per-field weights, as
    the linkage wrote them. The result carries the same record order, compared
    columns and candidate pairs as the fit did, so a review page built from it
    shows exactly the linkage's numbers. It cannot be clustered: pairs blocking
    never proposed have no probability without the model.

    Raises
    ------
    InputError
        A pair names a record that is not among ``records``.
    """
    from .engine import COMPARISONS
    from .features import compared_columns

    place = place if place is not None else place_column(date_column)
    ordered, order, keys = sorted_records(records)
    table = compared_columns(ordered, date_column=date_column, place_column=place)
    facts = RecordFacts.from_columns(table, deaths=date_column == "date_of_death")
    where = {k: p for p, k in enumerate(keys)}
    ends = []
    for side in ("a", "b"):
        found = [
            where.get(f"{s}\x1f{r}")
            for s, r in zip(pairs[f"source_{side}"].astype(str), pairs[f"record_id_{side}"].astype(str))
        ]
        if any(f is None for f in found):
            row = next(k for k, f in enumerate(found) if f is None)
            raise InputError(
                "this pair names a record that is not in the lists",
                file=file,
                row=row + 2,
                column=f"record_id_{side}",
            )
        ends.append(np.asarray(found, dtype=np.int64))
    a, b = ends
    frame = pd.DataFrame(
        {
            "i": np.minimum(a, b),
            "j": np.maximum(a, b),
            "probability": pairs["match_probability"].to_numpy(dtype=float),
            "weight": pairs["match_weight"].to_numpy(dtype=float),
        }
    )
    for comp in COMPARISONS:
        frame[f"mw_{comp}"] = pairs[f"mw_{comp}"].to_numpy(dtype=float)
    frame = frame.sort_values(["i", "j"], kind="stable").reset_index(drop=True)

    def unscored(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        raise ValueError("a linkage read from its pairs table cannot score other pairs (it has no model)")

    return Linkage(
        keys,
        ordered["source"].astype(str).tolist(),
        ordered["record_id"].astype(str).tolist(),
        _Facts(table, facts),
        frame["i"].to_numpy(),
        frame["j"].to_numpy(),
        frame["probability"].to_numpy(),
        None,
        order,
        pairs=frame,
        method="splink",
        scorer=unscored,
    )


def known_records(records_by_source: Mapping[str, pd.DataFrame]) -> dict[str, list[str]]:
    return {s: [str(x) for x in f["record_id"]] for s, f in records_by_source.items()}


def blocking_report(fitted: Linkage) -> list[str]:
    """Lines for the log: pairs per blocking rule (alone, and new after the rules before it)."""
    counts = getattr(fitted, "pair_counts", None) or {}
    lines = [f"blocking rule {rule}: {count:,} pairs on its own" for rule, count in counts.items()]
    model = fitted.model
    if model is not None and hasattr(model, "linker"):
        records = model.linker.blocking_analysis.count_comparisons_from_blocking_rules(
            record_sample_proportion=1.0
        )
        for rec in records:
            lines.append(
                f"Splink blocking analysis: {rec['blocking_rule']}: {rec['marginal_comparison_count']:,} new "
                f"pairs, {rec['cumulative_comparison_count']:,} cumulative of "
                f"{rec['total_possible_comparison_count']:,} possible"
            )
    return lines
