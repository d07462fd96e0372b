"""Fellegi–Sunter record comparison: blocking, comparison vectors, EM, match probabilities.

The model
---------
Every candidate pair of records (i, j) is summarised by a comparison vector
gamma: one *level* per field (name, patronymic, sex, age, date, place), see
:data:`COMPARISONS`. Level 0 means "cannot compare" (a value is missing) and
carries no evidence. Given the pair's true status (the same person, M, or
not, U) the fields are assumed independent:

    P(gamma | M) = prod_c m_c[gamma_c],    P(gamma | U) = prod_c u_c[gamma_c],

and the probability that the pair is a match is

    P(M | gamma) = lambda prod m / (lambda prod m + (1 - lambda) prod u),

with lambda the share of matches among candidate pairs (Fellegi and Sunter
1969). lambda, m and u are estimated from the lists themselves by EM over
the candidate pairs (Winkler 1988; Jaro 1989), with a weak Dirichlet prior
that keeps small lists (40 records) from degenerate estimates. Candidate
pairs are those that share a blocking key (:func:`candidate_pairs`); pairs
never compared are taken as non-matches.

The name comparison is built for Kazakh and Russian lists: names are split by
:func:`undercount.names.parse_name` into folded word stems (any order, any
script), initials and a patronymic, so "Жагипаров Е.Б.", "Yerlan Zhagiparov"
and "Жагипаров Ерлан Бауыржанович" are compared word by word.

References
----------
Fellegi, I. P. and Sunter, A. B. (1969). A theory for record linkage. JASA 64, 1183-1210.
Winkler, W. E. (1988). Using the EM algorithm for weight computation in the
Fellegi-Sunter model of record linkage. Proc. Section on Survey Research Methods, ASA.
Enamorado, T., Fifield, B. and Imai, K. (2019). Using a probabilistic model to assist
merging of large-scale administrative records. APSR 113, 353-371.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache

import numpy as np
import pandas as pd

from .names import (
    initial_of,
    is_placeholder,
    parse_name,
    patronymic_stem,
    place_in_text,
    place_key,
    region_key,
    surname_stem,
)

#: Words per name kept for comparison (surname, given name and one more).
MAX_WORDS = 3
#: Jaro-Winkler similarity from which two different stems count as a spelling variant.
FUZZY = 0.9


@dataclass(frozen=True)
class Comparison:
    """One field's comparison levels, worst first; level 0 (not listed) is "cannot compare"."""

    name: str
    levels: tuple[str, ...]

    def label(self, level: int) -> str:
        return "missing" if level == 0 else self.levels[level - 1]


COMPARISONS: tuple[Comparison, ...] = (
    Comparison(
        "name",
        (
            "no word agrees",
            "one word agrees, another differs",
            "initials fit, surname without its ending",
            "initials fit, surname as written",
            "every word agrees up to spelling",
            "every word agrees",
        ),
    ),
    Comparison("patronymic", ("differs", "initial agrees", "agrees")),
    Comparison("sex", ("differs", "agrees")),
    Comparison("age", ("differs by more than 2 years", "within 2 years", "same")),
    Comparison("date", ("differs by more than 3 days", "within 3 days", "within 1 day", "same day")),
    Comparison("place", ("differs", "same region, place unknown on one side", "same place")),
)


# --------------------------------------------------------------- features
@dataclass
class Features:
    """Comparison-friendly columns of n records (no raw names are kept).

    Word ids index :attr:`vocab`, each entry the tuple of folded readings of
    one written word (see :func:`undercount.names.fold_variants`).
    """

    words: np.ndarray  # (n, MAX_WORDS) int32 word ids, -1 = none
    first: np.ndarray  # (n, MAX_WORDS) int32 code of each word's first letter
    initial: np.ndarray  # (n,) first initial of an initials-only name, -1
    weak: np.ndarray  # (n,) bool: at most one full word plus initials
    patronymic: np.ndarray  # (n,) int32 id in vocab, -1
    pat_initial: np.ndarray  # (n,) first letter of the patronymic or the second initial, -1
    sex: np.ndarray  # (n,) int8: 0 unknown, 1 M, 2 F
    age: np.ndarray  # (n,) float, nan unknown
    day: np.ndarray  # (n,) float day number, nan unknown
    place: np.ndarray  # (n,) int32 place id, -1 unknown
    region: np.ndarray  # (n,) int32 region id (given, or of a known place), -1 unknown
    source: np.ndarray  # (n,) int32 source code
    vocab: list[tuple[str, ...]] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.weak)


def _known(value):
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def prepare(
    records: pd.DataFrame,
    *,
    date_column: str,
    place_column: str | None = None,
    region_columns: Sequence[str] = ("region", "facility"),
) -> Features:
    """Parse names, sexes, ages, dates, places and regions of canonical records once.

    The region is the one given (``region`` of casualty lists), else that of
    the place, else that of a place named in the facility ("ИВС г. Тараз").
    """
    n = len(records)
    words = np.full((n, MAX_WORDS), -1, dtype=np.int32)
    first = np.full((n, MAX_WORDS), -1, dtype=np.int32)
    initial = np.full(n, -1, dtype=np.int32)
    weak = np.zeros(n, dtype=bool)
    pat = np.full(n, -1, dtype=np.int32)
    pat_initial = np.full(n, -1, dtype=np.int32)
    sex = np.zeros(n, dtype=np.int8)
    age = np.full(n, np.nan)
    day = np.full(n, np.nan)
    place = np.full(n, -1, dtype=np.int32)
    region = np.full(n, -1, dtype=np.int32)
    vocab: dict[tuple[str, ...], int] = {}
    places: dict[str, int] = {}

    def word_id(stems: tuple[str, ...]) -> int:
        return vocab.setdefault(stems, len(vocab))

    names = records["full_name"].tolist()
    sexes = records["sex"].tolist() if "sex" in records else [None] * n
    ages = records["age"].tolist() if "age" in records else [None] * n
    dates = records[date_column].tolist() if date_column in records else [None] * n
    where = records[place_column].tolist() if place_column and place_column in records else [None] * n
    hints = [records[c].tolist() for c in region_columns if c in records]
    region_ids: dict[str, int] = {}
    for r in range(n):
        raw = _known(names[r])
        parsed = parse_name("" if is_placeholder(raw) else str(raw))
        readings = parsed.variants or tuple((w,) for w in parsed.words)
        for k, vs in enumerate(readings[:MAX_WORDS]):
            words[r, k] = word_id(tuple(vs))
            first[r, k] = _code(initial_of(vs[0]))
        weak[r] = parsed.is_initials_only
        if parsed.initials:
            if weak[r]:
                initial[r] = _code(parsed.initials[0])
            if len(parsed.initials) > 1:
                pat_initial[r] = _code(parsed.initials[1])
        if parsed.patronymic is not None:
            stem = patronymic_stem(parsed.patronymic)
            pat[r] = word_id(("=" + stem,))  # compared by stem only
            pat_initial[r] = _code(initial_of(stem))
        s = _known(sexes[r]) or parsed.sex
        sex[r] = {"M": 1, "F": 2}.get(s or "", 0)
        a = _known(ages[r])
        if a is not None:
            age[r] = float(a)
        d = _known(dates[r])
        if d is not None:
            day[r] = float(date.fromisoformat(str(d)).toordinal())
        p = place_key(_known(where[r]))
        if p is not None:
            place[r] = places.setdefault(p, len(places))
        g = region_key(_known(where[r]))
        for hint in hints:
            g = g or region_key(_known(hint[r])) or region_key(place_in_text(_known(hint[r])))
        if g is not None:
            region[r] = region_ids.setdefault(g, len(region_ids))
    inverse: list[tuple[str, ...]] = [()] * len(vocab)  # every entry is set below
    for stems, i in vocab.items():
        inverse[i] = stems
    if "source" in records:
        source = pd.factorize(records["source"].astype(str))[0].astype(np.int32)
    else:
        source = np.zeros(n, dtype=np.int32)
    return Features(
        words, first, initial, weak, pat, pat_initial, sex, age, day, place, region, source, inverse
    )


def _code(initial: str) -> int:
    """An initial (one letter, or ``sh``/``ch``) as a number."""
    return sum(ord(ch) << (8 * k) for k, ch in enumerate(initial))


# --------------------------------------------------------------- blocking
def blocking_keys(features: Features) -> tuple[np.ndarray, np.ndarray]:
    """(record, key) rows: records sharing a key become candidate pairs.

    Two rules, their union compared:

    * a word stem (any reading) and the first letter of another word or the
      first initial: surname + initial, in any name order and script;
    * a word stem and the date (exact day): catches a misspelt other word.
    """
    rec: list[int] = []
    key: list[str] = []
    vocab = features.vocab
    for r in range(features.n):
        ids = [w for w in features.words[r] if w >= 0]
        letters = [int(c) for c in features.first[r] if c >= 0]
        if features.initial[r] >= 0:
            letters.append(int(features.initial[r]))
        d = features.day[r]
        for k, w in enumerate(ids):
            others = (
                set(letters[:k] + letters[k + 1 :]) if features.initial[r] < 0 else {int(features.initial[r])}
            )
            for stem in dict.fromkeys(surname_stem(v) for v in vocab[w]):
                for letter in others:
                    rec.append(r)
                    key.append(f"{stem}|{letter}")
                if not np.isnan(d):
                    rec.append(r)
                    key.append(f"{stem}|d{int(d)}")
    return np.asarray(rec, dtype=np.int64), np.asarray(key, dtype=object)


def candidate_pairs(features: Features, max_block: int = 5000) -> tuple[np.ndarray, np.ndarray]:
    """All pairs (i < j) of records that share a blocking key, sorted, without repeats.

    Keys held by more than ``max_block`` records are skipped (they would
    compare nearly everyone with everyone); none comes close on the demo.
    """
    rec, key = blocking_keys(features)
    if len(rec) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    codes, _ = pd.factorize(key)
    order = np.lexsort((rec, codes))
    codes, rec = codes[order], rec[order]
    # drop repeated (key, record) rows
    keep = np.ones(len(rec), dtype=bool)
    keep[1:] = (codes[1:] != codes[:-1]) | (rec[1:] != rec[:-1])
    codes, rec = codes[keep], rec[keep]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    sizes = np.diff(np.r_[starts, len(codes)])
    ok = (sizes >= 2) & (sizes <= max_block)
    pos_group_end = np.repeat(starts + sizes, sizes)
    group_ok = np.repeat(ok, sizes)
    pos = np.arange(len(rec))
    count = np.where(group_ok, pos_group_end - pos - 1, 0)
    total = int(count.sum())
    left = np.repeat(pos, count)
    offset = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    right = left + 1 + offset
    a, b = rec[left], rec[right]
    i, j = np.minimum(a, b), np.maximum(a, b)
    n = features.n
    pair = np.unique(i * n + j)
    pair = pair[(pair // n) != (pair % n)]
    return pair // n, pair % n


# ------------------------------------------------------------- comparison
def jaro_winkler(a: str, b: str) -> float:
    """Jaro-Winkler similarity (prefix scale 0.1, at most 4 letters), by RapidFuzz."""
    from rapidfuzz.distance import JaroWinkler

    return float(JaroWinkler.similarity(a, b))


class _WordSimilarity:
    """How alike two words are: 3 a reading in common, 2 a stem in common (Жагипаров,
    Жагипар), 1 close stems (Jaro-Winkler >= FUZZY), else 0."""

    def __init__(self, vocab: Sequence[tuple[str, ...]]) -> None:
        from rapidfuzz.distance import JaroWinkler

        self.vocab = [frozenset(r) for r in vocab]
        self.stems = [frozenset(surname_stem(v) for v in r) for r in vocab]
        self.v = max(len(vocab), 1)
        self.jw = JaroWinkler.similarity

    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = np.zeros(a.shape, dtype=np.int8)
        valid = (a >= 0) & (b >= 0)
        if not valid.any():
            return out
        codes = a[valid].astype(np.int64) * self.v + b[valid]
        uniq, inverse = np.unique(codes, return_inverse=True)
        values = np.fromiter(
            (self._level(int(c // self.v), int(c % self.v)) for c in uniq), np.int8, len(uniq)
        )
        out[valid] = values[inverse]
        return out

    @cache  # noqa: B019 (one comparer per linkage run, freed with it)
    def _level(self, x: int, y: int) -> int:
        if x == y or not self.vocab[x].isdisjoint(self.vocab[y]):
            return 3
        sx, sy = self.stems[x], self.stems[y]
        if not sx.isdisjoint(sy):
            return 2
        jw = self.jw
        return 1 if any(jw(p, q, score_cutoff=FUZZY) for p in sx for q in sy) else 0


def compare(
    features: Features, i: np.ndarray, j: np.ndarray, chunk: int = 400_000, progress: bool = False
) -> np.ndarray:
    """Comparison vectors for the pairs (i, j): (len(i), len(COMPARISONS) + 1) int8.

    The last column is not a comparison but the pair's kind: 1 when both
    records come from the same source, 0 otherwise. It selects the prior
    (a source lists a person twice far less often than two sources share one).
    """
    sim = _WordSimilarity(features.vocab)
    out = np.zeros((len(i), len(COMPARISONS) + 1), dtype=np.int8)
    starts = range(0, len(i), chunk)
    if progress and len(starts) > 1:
        from tqdm import tqdm

        starts = tqdm(starts, desc="comparing pairs", unit="chunk", file=sys.stderr)
    for start in starts:
        sl = slice(start, start + chunk)
        out[sl] = _compare_chunk(features, i[sl], j[sl], sim)
    return out


def _compare_chunk(f: Features, i: np.ndarray, j: np.ndarray, sim: _WordSimilarity) -> np.ndarray:
    P, K = len(i), MAX_WORDS
    A, B = f.words[i], f.words[j]
    S = sim(np.repeat(A[:, :, None], K, axis=2), np.repeat(B[:, None, :], K, axis=1))  # (P, K, K)
    nA, nB = (A >= 0).sum(1), (B >= 0).sum(1)
    exact = S >= 2
    written = S == 3
    close = S >= 1
    ex = np.minimum(exact.any(2).sum(1), exact.any(1).sum(1))
    cl = np.minimum(close.any(2).sum(1), close.any(1).sum(1))
    shorter = np.minimum(nA, nB)
    full = (nA >= 2) & (nB >= 2)
    name = np.where((nA > 0) & (nB > 0), 1, 0).astype(np.int8)
    name[ex >= 1] = 2
    # initials: the weak side's word agrees and its initial starts another word of the other side
    wa, wb = f.weak[i], f.weak[j]
    fit = np.zeros(P, dtype=bool)
    fit_written = np.zeros(P, dtype=bool)
    for weak_side, word_match_other, as_written, other_first, other_initial, ini in (
        (wa & (nA == 1), exact[:, 0, :], written[:, 0, :], f.first[j], f.initial[j], f.initial[i]),
        (wb & (nB == 1), exact[:, :, 0], written[:, :, 0], f.first[i], f.initial[i], f.initial[j]),
    ):
        starts = ((other_first == ini[:, None]) & ~word_match_other & (other_first >= 0)).any(1)
        starts |= (other_initial == ini) & (ini >= 0)
        fit |= weak_side & word_match_other.any(1) & starts
        fit_written |= weak_side & as_written.any(1) & starts
    name[fit] = 3
    name[fit_written] = 4
    name[full & (cl == shorter)] = 5
    name[full & (nA == nB) & (ex == nA)] = 6

    pat = np.zeros(P, dtype=np.int8)
    pa, pb = f.patronymic[i], f.patronymic[j]
    both = (pa >= 0) & (pb >= 0)
    pat_sim = sim(pa, pb)
    pat[both] = np.where(pat_sim[both] >= 1, 3, 1)
    qa, qb = f.pat_initial[i], f.pat_initial[j]
    letters = ~both & (qa >= 0) & (qb >= 0)
    pat[letters] = np.where(qa[letters] == qb[letters], 2, 1)

    sa, sb = f.sex[i], f.sex[j]
    sex = np.where((sa > 0) & (sb > 0), np.where(sa == sb, 2, 1), 0).astype(np.int8)

    da = np.abs(f.age[i] - f.age[j])
    age = np.select([np.isnan(da), da == 0, da <= 2], [0, 3, 2], 1).astype(np.int8)

    dd = np.abs(f.day[i] - f.day[j])
    day = np.select([np.isnan(dd), dd == 0, dd <= 1, dd <= 3], [0, 4, 3, 2], 1).astype(np.int8)

    la, lb = f.place[i], f.place[j]
    ra, rb = f.region[i], f.region[j]
    place = np.where((ra >= 0) & (rb >= 0), np.where(ra == rb, 2, 1), 0).astype(np.int8)
    both = (la >= 0) & (lb >= 0)
    place[both] = np.where(la[both] == lb[both], 3, 1)
    same = (f.source[i] == f.source[j]).astype(np.int8)
    return np.stack([name, pat, sex, age, day, place, same], axis=1)


# -------------------------------------------------------------------- EM
@dataclass(frozen=True)
class FSModel:
    """Estimated Fellegi–Sunter parameters.

    ``m[c]`` and ``u[c]`` are arrays over the levels 1..L of comparison c
    (index 0 unused, "cannot compare" carries no evidence); ``prior`` the
    probability that two records drawn at random are one person, for pairs
    from two sources and from one source.
    """

    prior: tuple[float, float]  # P(match) of two random records from different / the same source
    m: tuple[np.ndarray, ...]
    u: tuple[np.ndarray, ...]
    iterations: int
    converged: bool
    pairs: int

    def log2_bayes_factor(self, gamma: np.ndarray) -> np.ndarray:
        w = np.zeros(len(gamma))
        for c in range(len(COMPARISONS)):
            ratio = np.zeros(len(self.m[c]))
            ratio[1:] = np.log2(self.m[c][1:] / self.u[c][1:])
            w += ratio[gamma[:, c]]
        return w

    def probability(self, gamma: np.ndarray) -> np.ndarray:
        """P(same person | comparison vector) for each row of ``gamma``."""
        prior = np.asarray(self.prior)[gamma[:, -1]]
        logit = np.log2(prior / (1 - prior)) + self.log2_bayes_factor(gamma)
        return 1.0 / (1.0 + np.exp2(-np.clip(logit, -60, 60)))

    def table(self) -> pd.DataFrame:
        """One row per comparison level: m, u and the match weight log2(m/u)."""
        rows = []
        for c, comp in enumerate(COMPARISONS):
            for level in range(1, len(comp.levels) + 1):
                m, u = float(self.m[c][level]), float(self.u[c][level])
                rows.append(
                    {
                        "comparison": comp.name,
                        "level": level,
                        "label": comp.label(level),
                        "m": m,
                        "u": u,
                        "weight": float(np.log2(m / u)),
                    }
                )
        return pd.DataFrame(rows)


#: Prior guess of m (levels 1..L) per comparison: the centre of the Dirichlet prior
#: and the start of EM. Matches mostly agree; the data move these on any real list.
M_PRIOR: tuple[tuple[float, ...], ...] = (
    (0.01, 0.04, 0.05, 0.1, 0.1, 0.7),
    (0.05, 0.15, 0.8),
    (0.02, 0.98),
    (0.05, 0.25, 0.7),
    (0.05, 0.1, 0.2, 0.65),
    (0.05, 0.15, 0.8),
)


def background_pairs(
    keys: Sequence[str], candidates: tuple[np.ndarray, np.ndarray], size: int = 200_000, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs outside the candidate set that stand for all pairs blocking did not propose.

    Every such pair when there are at most ``size`` of them, else a simple
    random sample of ``size`` pairs drawn with a fixed seed on the records'
    sorted keys (so the sample does not depend on the order of the input
    rows). Returns (i, j); :func:`background_weights` says how many uncompared
    pairs each stands for.
    """
    n = len(keys)
    total = n * (n - 1) // 2
    ci, cj = candidates
    cand = set((ci * n + cj).tolist())
    outside = total - len(cand)
    if outside <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    by_rank = np.argsort(np.asarray(keys, dtype=object), kind="stable")
    if outside <= size:
        x, y = np.triu_indices(n, k=1)
        a, b = by_rank[x], by_rank[y]
    else:
        rng = np.random.default_rng(seed)
        x = rng.integers(0, n, size=int(size * 1.2) + 10)
        y = rng.integers(0, n, size=len(x))
        ok = x != y
        a, b = by_rank[x[ok]], by_rank[y[ok]]
    i, j = np.minimum(a, b), np.maximum(a, b)
    keep = ~np.isin(i * n + j, np.fromiter(cand, np.int64, len(cand)))
    return i[keep][:size], j[keep][:size]


def background_weights(
    features: Features, candidates: tuple[np.ndarray, np.ndarray], background: tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    """How many uncompared pairs of its kind (same source or not) each background pair stands for."""
    n = features.n
    per_source = np.bincount(features.source)
    same_total = int((per_source * (per_source - 1) // 2).sum())
    totals = np.array([n * (n - 1) // 2 - same_total, same_total], dtype=float)
    ci, cj = candidates
    cand = np.bincount((features.source[ci] == features.source[cj]).astype(int), minlength=2)
    bi, bj = background
    kind = (features.source[bi] == features.source[bj]).astype(int)
    sampled = np.bincount(kind, minlength=2)
    per_pair = (totals - cand) / np.maximum(sampled, 1)
    return per_pair[kind]


def _distinct_rows(rows: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a small-integer matrix (sorted) with their counts or summed weights."""
    rows = np.asarray(rows, dtype=np.int64)
    base = int(rows.max()) + 1 if rows.size else 1
    code = np.zeros(len(rows), dtype=np.int64)
    for c in range(rows.shape[1]):
        code = code * base + rows[:, c]
    uniq, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    totals = np.bincount(inverse.ravel(), weights=weights, minlength=len(uniq))
    return rows[first].astype(np.int8), totals


def fit_em(
    gamma: np.ndarray,
    background: np.ndarray | None = None,
    background_weights: np.ndarray | None = None,
    *,
    max_iter: int = 500,
    tol: float = 1e-8,
    prior_pairs: float = 5.0,
) -> FSModel:
    """Estimate the priors, m and u by EM over all pairs of records.

    ``gamma`` are the candidate pairs' comparison vectors (from
    :func:`compare`, last column the pair kind), whose status is unknown;
    ``background`` those of pairs blocking did not propose (all of them, or a
    sample, each standing for ``background_weights`` pairs), known
    non-matches. Their union stands for every pair of records, so each prior
    is the probability that two records drawn at random are the same person
    and u describes random pairs, whatever the blocking.

    The E and M steps run on distinct comparison vectors with their counts:
    the fit costs the same for a thousand or ten million pairs and is
    deterministic. A Dirichlet prior worth ``prior_pairs`` pairs centred on
    :data:`M_PRIOR` (and one pair spread evenly for u) keeps small lists (40
    records, 20 matches) from degenerate estimates (MAP-EM); on the January
    2022 lists the data outweigh it by a hundred to one.
    """
    C = len(COMPARISONS)
    if len(gamma) == 0:
        raise ValueError("no candidate pairs to estimate the model from")
    patterns, counts = _distinct_rows(gamma)
    counts = counts.astype(float)
    if background is not None and len(background):
        weights = (
            np.ones(len(background)) if background_weights is None else np.asarray(background_weights, float)
        )
        bpat, bcounts = _distinct_rows(background, weights)
    else:
        bpat, bcounts = np.zeros((0, C + 1), dtype=gamma.dtype), np.zeros(0)
    sizes = [len(c.levels) + 1 for c in COMPARISONS]
    kind = patterns[:, C].astype(int)
    totals = np.bincount(kind, weights=counts, minlength=2) + np.bincount(
        bpat[:, C].astype(int), weights=bcounts, minlength=2
    )
    # start: candidate pairs whose names fit (every word, or initials) and whose dates
    # are not days apart; a start that leaves the initials-only list out can trap EM
    # in a solution where that list matches no one
    post = np.where((patterns[:, 0] >= 3) & ~np.isin(patterns[:, 4], (1, 2)), 0.9, 0.01)
    prior: np.ndarray | None = None
    m: list[np.ndarray] = []
    u: list[np.ndarray] = []
    converged = False
    it = 0
    for it in range(0, max_iter + 1):
        if it > 0:  # E step
            assert prior is not None  # set by the first iteration
            lm = np.log(prior[kind])
            lu = np.log1p(-prior[kind])
            for c in range(C):
                level = patterns[:, c]
                lm = lm + np.where(level > 0, np.log(m[c][level]), 0.0)
                lu = lu + np.where(level > 0, np.log(u[c][level]), 0.0)
            post = 1.0 / (1.0 + np.exp(np.clip(lu - lm, -700, 700)))
        wm = counts * post
        wu = counts * (1 - post)
        new_prior = (np.bincount(kind, weights=wm, minlength=2) + 1.0) / (totals + 2.0)
        new_m, new_u = [], []
        for c in range(C):
            L = sizes[c]
            cm = np.bincount(patterns[:, c], weights=wm, minlength=L)[1:] + prior_pairs * np.asarray(
                M_PRIOR[c]
            )
            cu = (
                np.bincount(patterns[:, c], weights=wu, minlength=L)[1:]
                + np.bincount(bpat[:, c], weights=bcounts, minlength=L)[1:]
                + 1.0 / (L - 1)
            )
            new_m.append(np.r_[1.0, cm / cm.sum()])
            new_u.append(np.r_[1.0, cu / cu.sum()])
        if prior is not None:
            change = max(
                float(np.max(np.abs(new_prior - prior) / prior)),
                *(float(np.abs(a - b).max()) for a, b in zip(new_m + new_u, m + u)),
            )
        else:
            change = np.inf
        prior, m, u = new_prior, new_m, new_u
        if change < tol:
            converged = True
            break
    assert prior is not None  # the loop runs at least once
    return FSModel(
        (float(prior[0]), float(prior[1])), tuple(m), tuple(u), it, converged, int(round(totals.sum()))
    )
