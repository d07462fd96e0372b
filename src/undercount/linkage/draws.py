"""Plausible linkages: draws of the partition of records into persons, and estimates pooled over them.

One clustering at one threshold hides the uncertainty of the linkage. This
module draws ``R`` partitions of the records from a posterior over
partitions built from the pairs' match probabilities, checks that the draws
are calibrated against known truth, and pools the population estimates of
every draw by mixing their draws of N (Sadinle 2018).

The model (a Fellegi-Sunter partition model, after Sadinle 2014)
----------------------------------------------------------------
A partition ``C`` of the records into persons has posterior weight::

    P(C | comparisons)  ∝  θ ^ (records - persons)  ×  prod over persons of E(person)

``θ = λ / (1 - λ)`` is the prior odds of a match the linkage model used
(Splink's ``probability_two_random_records_match`` after EM over the
candidate pairs), so the partition prior puts odds θ on each merge.
``E(person)`` is the evidence that the person's records are one person,
from the pairs' likelihood ratios (Bayes factors) ``BF = odds(p) / θ``:

``evidence="pairs"`` (the default)
    the product of BF over every pair of the person (Sadinle 2014: comparison
    vectors independent given the partition). It counts again, for every
    member, evidence that partly repeats itself (a person's records are
    written alike), so it can be overconfident for persons of three records
    or more;
``evidence="tree"``
    the product of BF along the maximum spanning tree of the person's records:
    each merge carries the evidence of its best link only (as :func:`cluster`
    weighs an initials-only record by its best record of each candidate
    person); it throws evidence away and is underconfident.

docs/linkage.md (section 13) gives the calibration of both on simulated lists.

Either way a pair alone in its component is one person in a share ``p`` of
the draws, its model probability; in larger components the partition
reconciles the pairs (transitivity) instead of closing chains.

Constraints, in every draw: labelled matches (must-link) are one block that
moves together; labelled non-matches (cannot-link) and the conflict rules of
:func:`~undercount.linkage.core.cluster` give a partition weight zero: another
sex, ages or dates of death far apart, a model probability below the conflict
floor (0.01), and two records of one list whose own probability is below the
threshold, unless written identically. The rule for initials-only records
(join only a clearly best candidate) is a rule for one decision; in the draws
such a record joins each candidate person with its posterior probability.

Records fall into connected components of the graph of pairs that may be
co-clustered (model probability at or above the conflict floor and no hard
conflict, plus labelled matches); a partition factorises over components. A
component of at most ``exact_max`` blocks is sampled exactly (every set
partition enumerated, independent draws); a larger one by a Gibbs sampler
that moves one block at a time between the persons of its component (or to
a person of its own), with probability proportional to the posterior weight
of the partition it makes, starting from every block alone, with
``burn_in`` sweeps discarded and one draw kept every ``thin`` sweeps.

Pairs inside a component that blocking never proposed are scored by the
linkage's model (as :func:`cluster` does); a linkage read from its pairs table
has no model, and such pairs then count as non-matches (the table keeps
every pair at probability 0.001 and above).

References
----------
Sadinle, M. (2014). Detecting duplicates in a homicide registry using a
Bayesian partitioning approach. *Annals of Applied Statistics* 8, 2404-2434.
Sadinle, M. (2018). Bayesian propagation of record linkage uncertainty into
population size estimation of human rights violations. *Annals of Applied
Statistics* 12, 1013-1038.
Buckland, S. T. and Garthwaite, P. H. (1991). Quantifying precision of
mark-recapture estimates using the bootstrap and related methods.
*Biometrics* 47, 255-268.
Platt, J. (1999). Probabilistic outputs for support vector machines.
"""

from __future__ import annotations

import hashlib
import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from ..errors import MethodError
from .core import DEFAULT_THRESHOLD, Linkage, _persons_frame, _UnionFind
from .labels import BANDS

#: Components with at most this many blocks are sampled exactly (Bell(6) = 203 partitions).
EXACT_MAX = 6
BURN_IN = 200
THIN = 10
#: How a person's evidence is counted: ``tree`` (its merges' best links) or ``pairs`` (every pair).
EVIDENCE = ("tree", "pairs")
#: Probabilities are kept inside [EPS, 1 - EPS] before taking odds.
EPS = 1e-9


# ------------------------------------------------------------------ recalibration
@dataclass(frozen=True)
class Recalibration:
    """Logistic recalibration of match probabilities: ``logit p' = a + b logit p``.

    Fitted on clerically labelled pairs by :func:`fit_recalibration`.
    """

    intercept: float = 0.0
    slope: float = 1.0
    labelled: int = 0
    matches: int = 0

    def __call__(self, probability: Any) -> np.ndarray:
        p = np.clip(np.asarray(probability, dtype=float), EPS, 1 - EPS)
        z = self.intercept + self.slope * np.log(p / (1 - p))
        return 1.0 / (1.0 + np.exp(-z))

    def to_dict(self) -> dict[str, float | int]:
        return {
            "intercept": self.intercept,
            "slope": self.slope,
            "labelled": self.labelled,
            "matches": self.matches,
        }


def fit_recalibration(probability: Any, is_match: Any, *, prior_sd: float = 2.0) -> Recalibration:
    """Fit ``logit P(match) = a + b logit p`` on labelled pairs (Platt scaling).

    The fit is the posterior mode under independent normal priors on ``a`` and
    ``b - 1`` with standard deviation ``prior_sd``, centred on "the model is
    calibrated" (``a = 0, b = 1``): a handful of labels that separate matches
    from non-matches perfectly (common: the model mostly ranks pairs right)
    then give a finite fit instead of an infinite slope. Only labelled pairs
    are used; the truth of any other pair is never needed.

    Raises
    ------
    MethodError
        No labels, or labels and probabilities of different lengths.
    """
    p = np.clip(np.asarray(probability, dtype=float), EPS, 1 - EPS)
    y = np.asarray(is_match, dtype=float)
    if p.shape != y.shape or p.ndim != 1:
        raise MethodError("give one label per labelled pair's probability")
    if not len(p):
        raise MethodError("recalibration needs labelled pairs; none were given")
    x = np.column_stack([np.ones_like(p), np.log(p / (1 - p))])
    centre = np.array([0.0, 1.0])
    beta = centre.copy()
    precision = np.eye(2) / prior_sd**2
    for _ in range(100):
        eta = x @ beta
        mu = 1.0 / (1.0 + np.exp(-eta))
        grad = x.T @ (y - mu) - precision @ (beta - centre)
        hess = (x * (mu * (1 - mu))[:, None]).T @ x + precision
        step = np.linalg.solve(hess, grad)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return Recalibration(float(beta[0]), float(beta[1]), int(len(y)), int(y.sum()))


def review_sample(
    probability: Any,
    *,
    near: int = 20,
    per_band: int = 5,
    threshold: float = DEFAULT_THRESHOLD,
    seed: int = 0,
) -> np.ndarray:
    """Positions of the candidate pairs an analyst would label: ``near`` nearest the
    threshold, then ``per_band`` at random from each band of :data:`~undercount.linkage.labels.BANDS`.

    Chosen from the probabilities alone (never from truth), reproducibly from ``seed``.
    """
    p = np.asarray(probability, dtype=float)
    rng = np.random.default_rng(seed)
    order = np.lexsort((np.arange(len(p)), np.abs(p - threshold)))
    chosen = list(order[:near])
    taken = set(chosen)
    band = np.digitize(p, BANDS[1:-1])
    for b in range(len(BANDS) - 1):
        pool = [k for k in np.flatnonzero(band == b) if k not in taken]
        pick: list[int] = [int(k) for k in rng.permutation(pool)[:per_band]] if pool else []
        chosen += pick
        taken.update(int(k) for k in pick)
    return np.asarray(sorted(int(k) for k in chosen), dtype=np.int64)


# ------------------------------------------------------------------ the draws
@dataclass(frozen=True, eq=False)
class PartitionDraws:
    """``R`` plausible partitions of a linkage's records.

    Attributes
    ----------
    labels
        ``(R, n)`` integer array: in draw ``r``, record ``k`` (the linkage's
        order) belongs to the person labelled by the smallest record position
        of that person, as :func:`~undercount.linkage.core.cluster` labels.
    keys, sources, record_ids, order
        The linkage's records (``order``: position in the linkage of each input row).
    settings
        How the draws were made (seed, burn-in, thinning, prior, recalibration...).
    components
        Number of components sampled exactly and by Gibbs, and the largest's size.
    """

    labels: np.ndarray
    keys: list[str]
    sources: list[str]
    record_ids: list[str]
    order: np.ndarray | None
    best_probability: np.ndarray
    settings: dict[str, Any] = field(default_factory=dict)
    components: dict[str, int] = field(default_factory=dict)

    @property
    def R(self) -> int:  # noqa: N802 (the issue's name for the number of draws)
        return int(self.labels.shape[0])

    def persons(self, r: int) -> pd.DataFrame:
        """Draw ``r`` as ``source, record_id, person_id, match_probability``, in input order."""
        frame = _persons_frame(
            self.sources, self.record_ids, self.keys, self.labels[r], self.best_probability
        )
        if self.order is not None:
            frame = frame.iloc[self.order].reset_index(drop=True)
        return frame

    def co_clustered(self, i: Any, j: Any) -> np.ndarray:
        """Share of the draws in which each pair (record positions) is one person."""
        i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
        if not len(i):
            return np.zeros(0)
        return (self.labels[:, i] == self.labels[:, j]).mean(axis=0)

    def persons_per_draw(self) -> np.ndarray:
        return np.array([len(np.unique(row)) for row in self.labels])


def linkage_prior(linkage: Linkage) -> float:
    """The prior match probability ``λ`` the linkage model used."""
    model = linkage.model
    prior = getattr(model, "prior", None)
    if isinstance(prior, tuple):  # numpy engine: (two lists, one list); merges across lists dominate
        prior = prior[0]
    if prior is not None:
        return float(prior)
    pairs = linkage.pairs
    if pairs is not None and len(pairs) and "weight" in pairs:
        fields = [c for c in pairs.columns if c.startswith("mw_")]
        if fields:
            # Splink's match weight is log2 of the prior odds plus the fields' log2 Bayes factors
            log2_odds = float(np.median(pairs["weight"] - pairs[fields].sum(axis=1)))
            return 2.0**log2_odds / (1.0 + 2.0**log2_odds)
    raise MethodError(
        "the linkage carries no prior match probability (no model, no pairs table with per-field "
        "weights): give prior= to draw_partitions"
    )


def _set_partitions(k: int) -> list[list[int]]:
    """Every partition of k items as a restricted growth string."""
    out: list[list[int]] = []

    def grow(prefix: list[int], top: int) -> None:
        if len(prefix) == k:
            out.append(prefix.copy())
            return
        for c in range(top + 2):
            prefix.append(c)
            grow(prefix, max(top, c))
            prefix.pop()

    grow([], -1)
    return out


def _softmax_choice(logw: np.ndarray, rng: np.random.Generator) -> int:
    w = np.exp(logw - logw.max())
    u = rng.random() * w.sum()
    return int(min(np.searchsorted(np.cumsum(w), u, side="right"), len(w) - 1))


def draw_partitions(
    linkage: Linkage,
    R: int,  # noqa: N803 (the issue's name)
    seed: int | np.random.SeedSequence,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    prior: float | None = None,
    recalibration: Recalibration | None = None,
    burn_in: int = BURN_IN,
    thin: int = THIN,
    exact_max: int = EXACT_MAX,
    evidence: str = "pairs",
) -> PartitionDraws:
    """``R`` plausible partitions of the records of ``linkage`` (module docstring: the model).

    Parameters
    ----------
    linkage
        A fitted :class:`~undercount.linkage.core.Linkage` (with its labelled
        constraints, :meth:`~undercount.linkage.core.Linkage.with_constraints`).
    R
        Number of partitions to draw.
    seed
        Seed of the one :class:`numpy.random.Generator` all draws come from:
        the same seed gives identical partitions.
    threshold
        The clustering threshold; used only by the conflict rule for two
        records of one list (as in :func:`cluster`).
    prior
        The prior match probability ``λ``; default: the linkage model's (:func:`linkage_prior`).
    recalibration
        Maps model probabilities to calibrated ones (:func:`fit_recalibration`)
        before they weigh partitions; the conflict rules keep the model's own.
    burn_in, thin
        Gibbs sweeps discarded before the first draw, and sweeps between draws.
    exact_max
        Components of at most this many blocks are sampled exactly.
    """
    if evidence not in EVIDENCE:
        raise MethodError(f"evidence must be one of {list(EVIDENCE)}, got {evidence!r}")
    if R < 1:
        raise MethodError(f"the number of linkage draws must be at least 1, got {R}")
    if burn_in < 0 or thin < 1:
        raise MethodError("burn_in must be >= 0 and thin >= 1")
    rng = np.random.default_rng(seed)
    lam = linkage_prior(linkage) if prior is None else float(prior)
    if not 0 < lam < 1:
        raise MethodError(f"the prior match probability must be between 0 and 1, got {lam}")
    log_theta = math.log(lam / (1 - lam))
    cal = recalibration or Recalibration()
    n = linkage.n
    floor = linkage.conflicts.probability
    src = np.asarray(linkage.features.source)
    raw: dict[tuple[int, int], float] = {
        (int(a), int(b)): float(p) for a, b, p in zip(linkage.i, linkage.j, linkage.probability)
    }
    must = {(min(a, b), max(a, b)) for a, b in linkage.must_link}
    cannot = {(min(a, b), max(a, b)) for a, b in linkage.cannot_link}

    # blocks: records joined by labelled matches move together
    uf = _UnionFind(n)
    for a, b in sorted(must):
        uf.union(a, b)
    block_of = np.array([uf.find(r) for r in range(n)])  # the smallest record of each block

    # components of the graph of pairs that may be one person
    ci = np.asarray(linkage.i, dtype=np.int64)
    cj = np.asarray(linkage.j, dtype=np.int64)
    cp = np.asarray(linkage.probability, dtype=float)
    ok = cp >= floor
    if ok.any():
        ok[ok] = ~linkage.conflict(ci[ok], cj[ok])
    graph = _UnionFind(n)
    for a, b in zip(ci[ok].tolist(), cj[ok].tolist()):
        graph.union(a, b)
    for a, b in must:
        graph.union(a, b)
    comp_of = np.array([graph.find(r) for r in range(n)])
    groups: dict[int, list[int]] = {}
    for r in range(n):
        groups.setdefault(int(comp_of[r]), []).append(r)
    components = [g for g in groups.values() if len({int(block_of[r]) for r in g}) > 1]

    # every pair inside a component: model probability (scored afresh where blocking skipped it)
    missing = [
        (x, y)
        for g in components
        for k, x in enumerate(g)
        for y in g[k + 1 :]
        if (x, y) not in raw and block_of[x] != block_of[y]
    ]
    if missing:
        ma = np.array([x for x, _ in missing], dtype=np.int64)
        mb = np.array([y for _, y in missing], dtype=np.int64)
        try:
            scored = linkage.pair_probability(ma, mb)
        except ValueError:  # a linkage read from its pairs table has no model to score with
            scored = np.zeros(len(missing))
        raw.update({pq: float(p) for pq, p in zip(missing, scored)})

    # a record outside every sampled component is its block (labelled matches), in every draw
    labels = np.tile(block_of.astype(np.int64), (R, 1))
    exact = gibbs = largest = 0
    for g in sorted(components):
        largest = max(largest, len(g))
        rows, was_exact = _sample_component(
            g,
            block_of,
            raw,
            cannot,
            src,
            linkage,
            cal,
            floor,
            threshold,
            log_theta,
            R,
            rng,
            burn_in,
            thin,
            exact_max,
            evidence,
        )
        labels[:, g] = rows
        exact += int(was_exact)
        gibbs += int(not was_exact)
    settings = {
        "R": int(R),
        "seed": int(seed) if isinstance(seed, int | np.integer) else str(seed),
        "prior": lam,
        "threshold": float(threshold),
        "burn_in": int(burn_in),
        "thin": int(thin),
        "exact_max": int(exact_max),
        "evidence": evidence,
        "recalibration": cal.to_dict(),
        "method": "Fellegi-Sunter partition posterior (Sadinle 2014), exact or Gibbs per component",
    }
    return PartitionDraws(
        labels=labels,
        keys=list(linkage.keys),
        sources=list(linkage.sources),
        record_ids=list(linkage.record_ids),
        order=linkage.order,
        best_probability=linkage.best_probability(),
        settings=settings,
        components={"exact": exact, "gibbs": gibbs, "largest": largest},
    )


def _tree_weight(W: np.ndarray) -> float:
    """Weight of the maximum spanning tree of a small complete graph (Prim's algorithm)."""
    m = len(W)
    if m < 2:
        return 0.0
    inside = np.zeros(m, dtype=bool)
    inside[0] = True
    best = W[0].copy()
    total = 0.0
    for _ in range(m - 1):
        cand = np.where(inside, -np.inf, best)
        v = int(np.argmax(cand))
        total += float(cand[v])
        inside[v] = True
        best = np.maximum(best, W[v])
    return total


def _sample_component(
    g: list[int],
    block_of: np.ndarray,
    raw: Mapping[tuple[int, int], float],
    cannot: set[tuple[int, int]],
    src: np.ndarray,
    linkage: Linkage,
    cal: Recalibration,
    floor: float,
    threshold: float,
    log_theta: float,
    R: int,  # noqa: N803
    rng: np.random.Generator,
    burn_in: int,
    thin: int,
    exact_max: int,
    evidence: str,
) -> tuple[np.ndarray, bool]:
    """Draws of one component: ``(R, len(g))`` labels, and whether they were sampled exactly."""
    roots = sorted({int(block_of[r]) for r in g})
    index = {b: k for k, b in enumerate(roots)}
    k = len(roots)
    members: list[list[int]] = [[] for _ in range(k)]
    for r in g:
        members[index[int(block_of[r])]].append(r)
    # record-level facts of every cross-block pair
    pairs = [(x, y) for p, x in enumerate(g) for y in g[p + 1 :] if block_of[x] != block_of[y]]
    a = np.array([x for x, _ in pairs], dtype=np.int64)
    b = np.array([y for _, y in pairs], dtype=np.int64)
    p_raw = np.array([raw.get(pq, 0.0) for pq in pairs])
    hard = linkage.conflict(a, b)
    twin = linkage.same_entry(a, b)
    clash = hard | (p_raw < floor) | ((src[a] == src[b]) & (p_raw < threshold) & ~twin)
    clash |= np.array([pq in cannot for pq in pairs], dtype=bool)
    p_cal = np.clip(cal(p_raw), EPS, 1 - EPS)
    log_bf = np.log(p_cal / (1 - p_cal)) - log_theta
    tree = evidence == "tree"
    W = np.full((k, k), -np.inf) if tree else np.zeros((k, k))
    C = np.zeros((k, k), dtype=bool)
    for (x, y), w, c in zip(pairs, log_bf, clash):
        u, v = index[int(block_of[x])], index[int(block_of[y])]
        if tree:  # the best link between two blocks
            W[u, v] = W[v, u] = max(W[u, v], w)
        else:  # every pair's evidence
            W[u, v] += w
            W[v, u] += w
        C[u, v] |= c
        C[v, u] |= c
    scores: dict[int, float] = {}

    def score(mask: int) -> float:
        """log of a person's weight: theta per merge, times its evidence (-inf on a clash)."""
        if mask not in scores:
            idx = [u for u in range(k) if mask >> u & 1]
            sub = np.ix_(idx, idx)
            if C[sub].any():
                scores[mask] = -np.inf
            elif tree:
                scores[mask] = (len(idx) - 1) * log_theta + _tree_weight(W[sub])
            else:
                scores[mask] = (len(idx) - 1) * log_theta + float(np.triu(W[sub], 1).sum())
        return scores[mask]

    z_draws = np.empty((R, k), dtype=np.int64)
    if k <= exact_max:
        parts = np.asarray(_set_partitions(k))
        logw = np.zeros(len(parts))
        for q, z in enumerate(parts):
            for c in range(int(z.max()) + 1):
                logw[q] += score(int(sum(1 << u for u in np.flatnonzero(z == c))))
        w = np.exp(logw - logw.max())
        z_draws[:] = parts[rng.choice(len(parts), size=R, p=w / w.sum())]
        flag = True
    else:
        z = np.arange(k)
        masks = {u: 1 << u for u in range(k)}  # person label -> its blocks
        kept = sweep = 0
        while kept < R:
            for u in rng.permutation(k):
                bit = 1 << int(u)
                masks[int(z[u])] &= ~bit
                if not masks[int(z[u])]:
                    del masks[int(z[u])]
                ids = sorted(masks)
                logw = np.array([score(masks[c] | bit) - score(masks[c]) for c in ids] + [0.0])
                choice = _softmax_choice(logw, rng)
                if choice == len(ids):  # a person of its own
                    label = int(min(set(range(k)) - set(ids)))
                    masks[label] = bit
                else:
                    label = ids[choice]
                    masks[label] |= bit
                z[u] = label
            sweep += 1
            if sweep > burn_in and (sweep - burn_in) % thin == 0:
                z_draws[kept] = z
                kept += 1
        flag = False
    smallest = np.array([min(m) for m in members])
    out = np.empty((R, len(g)), dtype=np.int64)
    pos = {r: q for q, r in enumerate(g)}
    for r in range(R):
        zr = z_draws[r]
        label_of: dict[int, int] = {}
        for u in range(k):
            label_of[int(zr[u])] = min(label_of.get(int(zr[u]), int(smallest[u])), int(smallest[u]))
        for u in range(k):
            for rec in members[u]:
                out[r, pos[rec]] = label_of[int(zr[u])]
    return out, flag


# ------------------------------------------------------------------ calibration
CALIBRATION_COLUMNS = [
    "binned_by",
    "bin_low",
    "bin_high",
    "pairs",
    "mean_probability",
    "co_clustered",
    "true_share",
    "true_among_drawn",
    "drawn_links",
    "se",
    "z",
    "within_tolerance",
]


def calibration_table(
    probability: Any,
    co_clustered: Any,
    true_match: Any,
    *,
    R: int,  # noqa: N803
    by: str = "model",
    bins: Sequence[float] = BANDS,
    sigmas: float = 3.0,
) -> pd.DataFrame:
    """Calibration of pair probabilities and of the draws against known truth.

    Pairs are binned by ``by``: ``model`` (the probability the draws used) or
    ``draws`` (the share of draws in which the pair is one person). Per bin:
    the number of pairs, the mean model probability, the mean share of
    draws co-clustering the pair (``co_clustered``), the share of pairs that
    are true matches (``true_share``), and the share of drawn links (pair x
    draw) that are true (``true_among_drawn``, from ``drawn_links`` links).

    ``se`` is the binomial standard error of ``true_share`` if the binning
    probability ``x`` were calibrated: the true matches of a bin are then a
    sum of independent Bernoulli(x_i), so ``se = sqrt(sum x_i (1 - x_i)) /
    pairs``, and ``z = (true_share - mean x) / se``. Pairs sharing a record
    are not quite independent; the s.e. ignores that. ``within_tolerance``
    says whether the bin's count of true matches is within ``sigmas``
    standard errors of its expected count, plus one pair (a discreteness
    allowance: a bin whose probabilities are all 0 or 1 has s.e. 0).
    """
    p = np.asarray(probability, dtype=float)
    q = np.asarray(co_clustered, dtype=float)
    t = np.asarray(true_match, dtype=float)
    if by not in ("model", "draws"):
        raise MethodError(f"bin by 'model' or 'draws', not {by!r}")
    x = p if by == "model" else q
    edges = np.asarray(bins, dtype=float)
    band = np.clip(np.digitize(x, edges[1:-1]), 0, len(edges) - 2)
    rows = []
    for b in range(len(edges) - 2 + 1):
        m = band == b
        count = int(m.sum())
        if not count:
            continue
        var = float(np.sum(x[m] * (1 - x[m])))
        se = math.sqrt(var) / count
        drawn = float(q[m].sum())
        true_share = float(t[m].mean())
        rows.append(
            {
                "binned_by": by,
                "bin_low": float(edges[b]),
                "bin_high": float(min(edges[b + 1], 1.0)),
                "pairs": count,
                "mean_probability": float(p[m].mean()),
                "co_clustered": float(q[m].mean()),
                "true_share": true_share,
                "true_among_drawn": float((q[m] * t[m]).sum() / drawn) if drawn > 0 else math.nan,
                "drawn_links": int(round(drawn * R)),
                "se": se,
                "z": (true_share - float(x[m].mean())) / se if se > 0 else math.nan,
                "within_tolerance": bool(
                    abs(float(t[m].sum()) - float(x[m].sum())) <= sigmas * math.sqrt(var) + 1.0
                ),
            }
        )
    return pd.DataFrame(rows, columns=CALIBRATION_COLUMNS)


# ------------------------------------------------------------------ pooling
def draw_tables(draws: PartitionDraws, lists: Sequence[str], keep: Any = None) -> list[Any]:
    """The capture-history table of every draw over ``lists``.

    ``keep`` (boolean, input order) selects the records of the population
    (a flag such as ``torture_alleged``), as :func:`link_population` does.
    """
    from ..histories import table_from_memberships
    from .core import memberships

    out = []
    for r in range(draws.R):
        persons = draws.persons(r)
        if keep is not None:
            persons = persons[np.asarray(keep, dtype=bool)]
        members = memberships(persons, lists)
        out.append(table_from_memberships(list(lists), members.values()))
    return out


def table_key(table: Any) -> tuple:
    """A key equal for tables with equal cells (lists and every pattern's count)."""
    _, counts = table.cells()
    return (tuple(table.lists), tuple(int(c) for c in counts))


def _seed_for(seed: int, key: tuple, method: str) -> np.random.SeedSequence:
    digest = hashlib.sha256(repr(key).encode("utf-8")).digest()
    return np.random.SeedSequence(
        [int(seed), int.from_bytes(digest[:8], "little"), zlib.crc32(method.encode())]
    )


#: The settings a bootstrap replicate runs with where the method has them: replicates keep N-hat only.
REPLICATE_SETTINGS = {"interval": "lognormal"}


def replicate_settings(method: str, settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """``settings`` with :data:`REPLICATE_SETTINGS` where ``method`` has such a setting and allows the value."""
    from ..estimators import get_method

    out = dict(settings or {})
    offered = {s.name: s for s in get_method(method).settings}
    for name, value in REPLICATE_SETTINGS.items():
        setting = offered.get(name)
        if setting is not None and (setting.choices is None or value in setting.choices):
            out[name] = value
    return out


def bootstrap_replicates(
    table: Any,
    method: str,
    n_hat: float,
    *,
    nboot: int,
    rng: np.random.Generator,
    model: str | None = None,
    settings: Mapping[str, Any] | None = None,
    point_only: bool = True,
) -> np.ndarray:
    """Replicates of N-hat under Buckland and Garthwaite's (1991) bootstrap.

    Each replicate draws ``round(N-hat)`` people over the observed patterns
    and the unobserved one, with probabilities ``y_j / N-hat`` and
    ``(N-hat - n) / N-hat``, drops the unobserved, and estimates again with
    the same method and model: so the number observed varies as it would
    between surveys. A replicate without an estimate is NaN.

    A replicate needs N-hat only. With ``point_only`` (the default), a method
    that offers the closed-form log-normal interval (``interval: lognormal``:
    mt, a fixed log-linear model, the closed-population models) computes that
    one in the replicates instead of its profile-likelihood interval
    (:func:`replicate_settings`): N-hat is the same number, and a replicate of
    mt on January 2022's detentions costs 0.9 ms instead of 11 ms. The tests
    compare the replicates both ways.
    """
    from ..estimators import estimate
    from ..histories import CaptureTable

    if point_only:
        settings = replicate_settings(method, settings)

    patterns, counts = table.cells()
    total = max(int(round(n_hat)), int(counts.sum()))
    probs = np.append(counts, total - counts.sum()).astype(float) / total
    out = np.full(nboot, np.nan)
    for b in range(nboot):
        y = rng.multinomial(total, probs)[:-1]
        keep = y > 0
        rep = CaptureTable.from_arrays(table.lists, patterns[keep], y[keep])
        try:
            r = estimate(rep, method, model=model, settings=settings)
        except MethodError:
            continue
        if r.estimable:
            out[b] = r.n_hat
    return out


def with_bootstrap_draws(
    result: Any,
    table: Any,
    method: str,
    *,
    nboot: int,
    seed: np.random.SeedSequence,
    model: str | None = None,
    settings: Mapping[str, Any] | None = None,
) -> Any:
    """``result`` with ``nboot`` bootstrap replicates of N (:func:`bootstrap_replicates`) as its draws.

    The replicates come from the first child spawned from ``seed``, the table's own seed
    sequence, whose state seeds the estimate itself: so both streams follow from the table.
    """
    from ..results.draws import Draws

    reps = bootstrap_replicates(
        table,
        method,
        result.n_hat,
        nboot=nboot,
        rng=np.random.default_rng(seed.spawn(1)[0]),
        model=model,
        settings=settings,
    )
    return replace(result, draws=Draws.bootstrap(reps))


def estimate_draw_tables(
    tables: Sequence[Any],
    method: str,
    *,
    seed: int,
    model: str | None = None,
    settings: Mapping[str, Any] | None = None,
    nboot: int = 200,
    level: float = 0.95,
    cache: dict | None = None,
) -> list[Any]:
    """An estimate with draws of N for every draw's table; identical tables are estimated once.

    Methods that give posterior draws keep them; the others get bootstrap
    replicates (:func:`bootstrap_replicates`). Each distinct table is
    estimated with a seed derived from ``seed``, its cells and the method,
    so a table's estimate does not depend on which draw met it first.
    ``cache`` (a dict, keyed by table cells, method, model and settings) may
    be shared between calls.
    """
    from ..estimators import estimate, get_method

    spec = get_method(method)
    cache = {} if cache is None else cache
    out = []
    for table in tables:
        key = (table_key(table), method, model, tuple(sorted((settings or {}).items())), seed, nboot, level)
        if key not in cache:
            ss = _seed_for(seed, key[0], method)
            run_seed = int(ss.generate_state(1)[0]) if spec.stochastic else None
            result = estimate(table, method, model=model, settings=settings, seed=run_seed, level=level)
            if result.estimable and result.draws is None:
                result = with_bootstrap_draws(
                    result, table, method, nboot=nboot, seed=ss, model=model, settings=settings
                )
            cache[key] = result
        out.append(cache[key])
    return out


def pool_over_linkages(results: Sequence[Any], *, seed: int, level: float | None = None) -> Any:
    """One estimate from the estimates of every linkage draw: their draws of N mixed.

    The draws of N of the R linkage draws are pooled into one mixture with
    equal weights (:func:`undercount.results.combine.mix`); the details give
    the within- and between-linkage variance and the share of the interval's
    width due to linkage (``width_share_between``).
    """
    from ..results.combine import mix

    named = {f"{r + 1}": res for r, res in enumerate(results)}
    pooled = mix(named, rng=np.random.default_rng(seed), level=level, what="linkage draw", grouped=True)
    distinct = len({id(r) for r in results})
    note = (
        f"pooled over {len(results)} plausible linkages ({distinct} distinct capture-history tables): "
        "the interval carries the linkage uncertainty"
    )
    ess = pooled_ess(results)
    if ess is not None:
        from ..estimators import diagnostics

        note += f"; effective sample size of the pooled draws of N about {ess:,.0f}"
        if ess < diagnostics.ESS_THRESHOLD:
            note += (
                f", below {diagnostics.ESS_THRESHOLD}: the pooled interval is imprecise; run the "
                "chains longer (linkage.draws_settings)"
            )
    return replace(pooled, warnings=(*pooled.warnings, note))


def pooled_ess(results: Sequence[Any]) -> float | None:
    """Effective sample size of N in the equal-weight mixture of the draws' chains.

    A draw whose table another draw shares reuses the same chains, so each
    distinct table ``t``, met by ``c_t`` of the ``R`` draws with bulk ESS
    ``E_t``, enters with weight ``c_t / R``; the mixture's mean then has
    variance ``sum_t (c_t / R)^2 s^2 / E_t`` (``s^2`` a common within-draw
    variance), the variance of a mean of ``1 / sum_t (c_t / R)^2 / E_t``
    independent draws. None unless every draw's estimate has chains with a
    finite ESS.
    """
    counts: dict[int, int] = {}
    ess: dict[int, float] = {}
    for r in results:
        value = getattr(getattr(r, "details", None), "ess_bulk", None)
        if value is None or not math.isfinite(float(value)) or float(value) <= 0:
            return None
        counts[id(r)] = counts.get(id(r), 0) + 1
        ess[id(r)] = float(value)
    if not counts:
        return None
    total = len(results)
    return 1.0 / sum((c / total) ** 2 / ess[k] for k, c in counts.items())


def pooled_estimate(
    draws: PartitionDraws,
    lists: Sequence[str],
    method: str,
    *,
    seed: int,
    model: str | None = None,
    settings: Mapping[str, Any] | None = None,
    nboot: int = 200,
    level: float = 0.95,
    keep: Any = None,
    cache: dict | None = None,
) -> Any:
    """The linkage-averaged estimate: every draw's table estimated, their draws of N mixed."""
    tables = draw_tables(draws, lists, keep)
    results = estimate_draw_tables(
        tables, method, seed=seed, model=model, settings=settings, nboot=nboot, level=level, cache=cache
    )
    return pool_over_linkages(results, seed=seed, level=level)
