"""Record linkage: which records, within and across sources, are the same person.

Everything downstream sees only the output of :func:`link`: one row per record
with ``source, record_id, person_id``. Names go in, hashed person identifiers
come out. The matcher behind :func:`link` is replaceable; this module's
``deterministic`` matcher (version 0) links two records when

* their folded names are compatible: the same set of full-word stems in any
  order (patronymics ignored, surnames compared without -ов/-ова/-ин endings),
  or, when one side gives initials only, its surname stem appears on the other
  side and its first initial starts another of the other's words;
* their dates agree when both are known;
* their sexes agree when both are known, and their ages differ by at most
  :data:`AGE_TOLERANCE` years when both are known;

and then takes the transitive closure (union-find). Exact date agreement
makes it miss people whose date differs by a day between sources; missed
links inflate estimates, so treat v0 results as an upper-side check only.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Iterable

import pandas as pd

from .names import ParsedName, parse_name, surname_stem

AGE_TOLERANCE = 2

#: What each matcher's output cannot be trusted for; travels with every estimate.
CAVEATS = {
    "deterministic": (
        "persons were linked by the deterministic version-0 matcher, which misses links when "
        "a date differs by a day or a spelling falls outside its rules; missed links split one "
        "person into two and inflate the estimate"
    ),
}
PERSON_COLUMNS = ["source", "record_id", "person_id"]


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
        age = _known(getattr(row, "age"))
        items.append(
            {
                "name": parse_name(getattr(row, "full_name")),
                "date": _known(getattr(row, date_column)),
                "sex": _known(getattr(row, "sex")),
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


def link(records: pd.DataFrame, *, date_column: str, method: str = "deterministic") -> pd.DataFrame:
    """Link canonical records (with a ``source`` column) into persons.

    Parameters
    ----------
    records
        Canonical records of one kind from all sources of one event, with
        ``source``, ``record_id``, ``full_name``, ``sex``, ``age`` and the date column.
    date_column
        ``date_of_death`` or ``date_detained``.
    method
        The matcher; only ``deterministic`` exists so far.

    Returns
    -------
    pandas.DataFrame
        ``source, record_id, person_id`` in the input's order; person ids are
        hashes of the records they group, stable across runs, and carry no names.
    """
    if method != "deterministic":
        raise ValueError(f"unknown linkage method {method!r}")
    labels = link_deterministic(records, date_column)
    keys = [f"{s}\x1f{r}" for s, r in zip(records["source"], records["record_id"])]
    first_key: dict[int, str] = {}
    for label, key in zip(labels, keys):
        if label not in first_key or key < first_key[label]:
            first_key[label] = key
    person_ids = [_person_id(first_key[label]) for label in labels]
    return pd.DataFrame(
        {"source": records["source"].tolist(), "record_id": records["record_id"].tolist(), "person_id": person_ids},
        columns=PERSON_COLUMNS,
    )


def link_population(
    records_by_source: dict[str, pd.DataFrame], *, kind: str, flag: str | None, method: str = "deterministic"
) -> pd.DataFrame:
    """Persons of one population from the canonical records of all its sources.

    All records of the kind are linked together (so a detainee's records are
    matched using every detention record, not only those alleging torture);
    when the population is defined by a flag (``torture_alleged``), only the
    records carrying that flag are kept afterwards.
    """
    from .records import date_column

    frames = [frame.assign(source=sid) for sid, frame in records_by_source.items()]
    records = pd.concat(frames, ignore_index=True)
    persons = link(records, date_column=date_column(kind), method=method)
    if flag is not None:
        keep = (records[flag] == True).fillna(False).to_numpy(dtype=bool)  # noqa: E712 (nullable)
        persons = persons[keep].reset_index(drop=True)
    return persons


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
