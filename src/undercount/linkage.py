"""Record linkage: which records, within and across sources, are the same person.

Everything downstream sees only the output of :func:`link`: one row per record
with ``source, record_id, person_id`` and ``match_probability``. Names go in,
hashed person identifiers come out.

Two matchers sit behind :func:`link`:

``probabilistic`` (the default)
    Fellegi–Sunter matching (:mod:`undercount.fellegi_sunter`): candidate
    pairs from blocking on name stems, a comparison vector per pair (name,
    patronymic, sex, age within 2 years, date within 3 days, place), m and u
    probabilities estimated by EM from the lists themselves, and a match
    probability per pair. Pairs at or above the threshold are clustered into
    persons by :func:`cluster`, which never puts two records into one person
    when their own match probability is below :data:`CONFLICT` (so a chain
    A~B~C cannot join an A and a C that clearly differ), and leaves a record
    that gives only initials on its own when it fits more than one person.
``deterministic`` (version 0)
    Links two records when their folded names are compatible (the same set of
    word stems in any order, or initials that fit), their dates agree
    exactly, and sex and age (within :data:`AGE_TOLERANCE` years) do not
    conflict; then takes the transitive closure. It misses every link whose
    date differs by a day; kept for comparison.

:func:`pairwise_accuracy` measures a linkage against known truth (the demo
generator's ``truth.csv``): pairwise precision, recall and F1.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError
from .names import ParsedName, parse_name, surname_stem

AGE_TOLERANCE = 2
METHODS = ("probabilistic", "deterministic")
#: Match probability from which a pair is linked, unless the config says otherwise.
DEFAULT_THRESHOLD = 0.5
#: Two records whose own match probability is below this never end up in one person.
CONFLICT = 0.01
#: Decimals of probabilities written to files (byte-identical reruns).
DECIMALS = 4

#: What each matcher's output cannot be trusted for; travels with every estimate.
CAVEATS = {
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
        items.append(
            {
                "name": parse_name(row.full_name),
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


@dataclass
class Linkage:
    """A fitted probabilistic linkage of n records, ready to cluster at any threshold.

    Attributes
    ----------
    keys
        ``source\x1frecord_id`` of every record, in input order.
    i, j, probability
        Candidate pairs (record positions) and their match probabilities.
    model
        The estimated :class:`~undercount.fellegi_sunter.FSModel`.
    """

    keys: list[str]
    sources: list[str]
    record_ids: list[str]
    features: object
    i: np.ndarray
    j: np.ndarray
    probability: np.ndarray
    model: object

    @property
    def n(self) -> int:
        return len(self.keys)

    def pair_probability(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Match probabilities of any pairs, compared afresh (also those blocking skipped)."""
        from .fellegi_sunter import compare

        if len(a) == 0:
            return np.zeros(0)
        return self.model.probability(compare(self.features, a, b))

    def best_probability(self) -> np.ndarray:
        """Each record's highest match probability with any other record (0 if never compared)."""
        best = np.zeros(self.n)
        np.maximum.at(best, self.i, self.probability)
        np.maximum.at(best, self.j, self.probability)
        return best

    def labels(self, threshold: float, conflict: float = CONFLICT) -> np.ndarray:
        return cluster(self, threshold, conflict=conflict)

    def persons(self, threshold: float, conflict: float = CONFLICT) -> pd.DataFrame:
        """``source, record_id, person_id, match_probability`` at one threshold."""
        return _persons_frame(
            self.sources,
            self.record_ids,
            self.keys,
            self.labels(threshold, conflict),
            self.best_probability(),
        )


def fit_linkage(
    records: pd.DataFrame, *, date_column: str, place: str | None = None, progress: bool = False
) -> Linkage:
    """Compare every candidate pair of ``records`` and estimate the Fellegi–Sunter model.

    ``records`` are canonical records (with ``source``) of one kind from all
    sources of one event. The returned :class:`Linkage` clusters at any
    threshold without comparing again. ``progress`` shows a progress bar on
    standard error while pairs are compared (for large lists).
    """
    from .fellegi_sunter import (
        background_pairs,
        background_weights,
        candidate_pairs,
        compare,
        fit_em,
        prepare,
    )

    place = place if place is not None else place_column(date_column)
    sources = [str(x) for x in records["source"]]
    record_ids = [str(x) for x in records["record_id"]]
    keys = [f"{s}\x1f{r}" for s, r in zip(sources, record_ids)]
    if len(set(keys)) != len(keys):
        raise ValueError("record ids repeat within a source")
    features = prepare(records, date_column=date_column, place_column=place)
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
    return Linkage(keys, sources, record_ids, features, i, j, probability, model)


def cluster(linkage: Linkage, threshold: float, *, conflict: float = CONFLICT) -> np.ndarray:
    """Person labels (the smallest record position of each person) at a match threshold.

    1. Pairs with probability >= ``threshold`` form a graph; its connected
       components are the candidates for persons.
    2. Records with full names are merged greedily along those pairs, from
       the most probable down, but two groups merge only if no record of one
       has a match probability below ``conflict`` with a record of the other,
       nor two records of the same source whose own probability is below
       ``threshold`` (a list names a person once, bar duplicates that must
       match in their own right). Every pair inside a group is compared for
       this, including pairs blocking never proposed.
    3. Records that give only initials ("Жагипаров Е.Б.") join last. The
       persons such a record could be exclude each other, so its probability
       of being person c is odds_c / (1 + sum of the odds of every candidate
       person, above the threshold or not); it joins the best candidate only
       if that is at least the threshold. Between two namesakes that share
       the initial it stays on its own. Initials-only records that fit no
       one join each other (duplicates) on the same terms as full names.

    Ties are broken by the records' source and id, so the result does not
    depend on the order of the input rows.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

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

    def lookup(pairs: list[tuple[int, int]]) -> list[float]:
        missing = [pq for pq in pairs if pq not in known]
        if missing:
            a = np.array([x for x, _ in missing], dtype=np.int64)
            b = np.array([y for _, y in missing], dtype=np.int64)
            for pq, p in zip(missing, linkage.pair_probability(a, b)):
                known[pq] = float(p)
        return [known[pq] for pq in pairs]

    def clash(x: int, y: int, p: float) -> bool:
        return p < conflict or (src[x] == src[y] and p < threshold)

    def merge(a: int, b: int) -> bool:
        ra, rb = uf.find(a), uf.find(b)
        if ra == rb:
            return False
        ga, gb = members.get(ra, [ra]), members.get(rb, [rb])
        cross = [(min(x, y), max(x, y)) for x in ga for y in gb]
        if any(clash(x, y, p) for (x, y), p in zip(cross, lookup(cross))):
            return False
        uf.union(ra, rb)
        root = uf.find(ra)
        members[root] = ga + gb
        members.pop(rb if root == ra else ra, None)
        return True

    sel = linkage.probability >= threshold
    ei, ej, ep = linkage.i[sel], linkage.j[sel], linkage.probability[sel]
    if len(ei) == 0:
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
    attached = set()
    for w in sorted(candidates, key=lambda r: rank[r]):
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
    method: str = "probabilistic",
    threshold: float = DEFAULT_THRESHOLD,
) -> pd.DataFrame:
    """Link canonical records (with a ``source`` column) into persons.

    Parameters
    ----------
    records
        Canonical records of one kind from all sources of one event, with
        ``source``, ``record_id``, ``full_name``, ``sex``, ``age``, the date
        column and (if present) the place column.
    date_column
        ``date_of_death`` or ``date_detained``.
    method
        ``probabilistic`` (Fellegi–Sunter, the default) or ``deterministic`` (v0).
    threshold
        Match probability from which two records are the same person
        (probabilistic only).

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
    sources = records["source"].astype(str).tolist()
    record_ids = records["record_id"].astype(str).tolist()
    keys = [f"{s}\x1f{r}" for s, r in zip(sources, record_ids)]
    if method == "deterministic":
        return _persons_frame(sources, record_ids, keys, link_deterministic(records, date_column), None)
    return fit_linkage(records, date_column=date_column).persons(threshold)


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
    method: str = "probabilistic",
    threshold: float = DEFAULT_THRESHOLD,
) -> pd.DataFrame:
    """Persons of one population from the canonical records of all its sources.

    All records of the kind are linked together (so a detainee's records are
    matched using every detention record, not only those alleging torture);
    when the population is defined by a flag (``torture_alleged``), only the
    records carrying that flag are kept afterwards.
    """
    from .records import date_column

    records = _population_records(records_by_source)
    persons = link(records, date_column=date_column(kind), method=method, threshold=threshold)
    return persons[_flag_mask(records, flag)].reset_index(drop=True)


def link_population_thresholds(
    records_by_source: dict[str, pd.DataFrame],
    *,
    kind: str,
    flag: str | None,
    thresholds: Sequence[float],
) -> tuple[pd.DataFrame, Linkage]:
    """One probabilistic fit, clustered at every threshold: the long table and the fit.

    Returns ``threshold, source, record_id, person_id, match_probability``
    (one block of rows per threshold, ascending) for the records of the
    population, and the :class:`Linkage` (for its model and pair counts).
    """
    from .records import date_column

    records = _population_records(records_by_source)
    fitted = fit_linkage(records, date_column=date_column(kind))
    keep = _flag_mask(records, flag)
    frames = []
    for t in sorted(set(float(x) for x in thresholds)):
        persons = fitted.persons(t)[keep].reset_index(drop=True)
        persons.insert(0, "threshold", t)
        frames.append(persons)
    return pd.concat(frames, ignore_index=True), fitted


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
