"""Plausible linkages (undercount.linkage.draws): the sampler against the model's exact
distribution, constraints and conflict rules in every draw, reproducibility, recalibration,
calibration on a simulated case, and pooling over draws."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from undercount.errors import MethodError
from undercount.linkage import Linkage, draw_partitions, fit_recalibration
from undercount.linkage.core import RecordFacts
from undercount.linkage.draws import (
    calibration_table,
    draw_tables,
    estimate_draw_tables,
    linkage_prior,
    pool_over_linkages,
    pooled_estimate,
    review_sample,
    table_key,
)

PRIOR = 0.01


class _Fixed(Linkage):
    """A linkage whose pair probabilities are set by hand (every other pair: 0.001)."""

    def __init__(self, keys, pairs, sources=None, sex=None, must=(), cannot=()):
        sources = sources or [k[0] for k in keys]

        class F:
            pass

        f = F()
        n = len(keys)
        f.weak = np.zeros(n, dtype=bool)
        f.source = pd.factorize(pd.Series(sources))[0]
        f.facts = RecordFacts(
            f.weak, f.source, np.array(sex or [0] * n, dtype=np.int8), np.full(n, np.nan), np.full(n, np.nan)
        )
        self.table = {}
        for (a, b), p in pairs.items():
            x, y = sorted((keys.index(a), keys.index(b)))
            self.table[(x, y)] = p
        i = np.array([x for x, _ in self.table], dtype=np.int64)
        j = np.array([y for _, y in self.table], dtype=np.int64)
        prob = np.array(list(self.table.values()))
        super().__init__(list(keys), list(sources), list(keys), f, i, j, prob, None)
        self.with_constraints(list(must), list(cannot))

    def pair_probability(self, a, b):
        return np.array([self.table.get((min(x, y), max(x, y)), 0.001) for x, y in zip(a, b)])


def together(draws, a, b, keys):
    return draws.co_clustered([keys.index(a)], [keys.index(b)])[0]


# ------------------------------------------------------------ the model, from its definition
def exact_marginals(probabilities: dict, n: int, prior: float, evidence: str) -> dict:
    """P(i and j are one person) under the partition model, by enumerating every partition."""
    theta = prior / (1 - prior)

    def log_bf(x, y):
        p = probabilities.get((x, y), 0.001)
        return math.log(p / (1 - p)) - math.log(theta)

    def partitions(items):
        if not items:
            yield []
            return
        first, rest = items[0], items[1:]
        for part in partitions(rest):
            for k in range(len(part)):
                yield part[:k] + [[first] + part[k]] + part[k + 1 :]
            yield [[first]] + part

    def person_weight(c):
        pairs = list(itertools.combinations(sorted(c), 2))
        if any(probabilities.get(pq, 0.001) < 0.01 for pq in pairs):
            return 0.0
        if evidence == "pairs":
            ev = sum(log_bf(*pq) for pq in pairs)
        else:  # best spanning tree, by brute force over edge sets
            ev = 0.0
            if len(c) > 1:
                best = -math.inf
                for edges in itertools.combinations(pairs, len(c) - 1):
                    seen = {c[0]}
                    grown = True
                    while grown:
                        grown = False
                        for x, y in edges:
                            if (x in seen) != (y in seen):
                                seen |= {x, y}
                                grown = True
                    if len(seen) == len(c):
                        best = max(best, sum(log_bf(*pq) for pq in edges))
                ev = best
        return theta ** (len(c) - 1) * math.exp(ev)

    total = 0.0
    joint: dict = {pq: 0.0 for pq in itertools.combinations(range(n), 2)}
    for part in partitions(list(range(n))):
        w = math.prod(person_weight(c) for c in part)
        total += w
        for c in part:
            for pq in itertools.combinations(sorted(c), 2):
                joint[pq] += w
    return {pq: v / total for pq, v in joint.items()}


KEYS = ["a1", "b1", "c1", "d1", "e1"]
# a person seen three times (a1, b1, c1), a doubtful fourth record, and a namesake
PAIRS = {
    ("a1", "b1"): 0.95,
    ("a1", "c1"): 0.8,
    ("b1", "c1"): 0.6,
    ("a1", "d1"): 0.4,
    ("c1", "d1"): 0.3,
    ("d1", "e1"): 0.7,
    ("b1", "e1"): 0.05,
}


def _by_position(pairs, keys):
    return {tuple(sorted((keys.index(a), keys.index(b)))): p for (a, b), p in pairs.items()}


@pytest.mark.parametrize("evidence", ["tree", "pairs"])
def test_exact_sampler_draws_the_model_distribution(evidence):
    fixed = _Fixed(KEYS, PAIRS)
    R = 4000
    draws = draw_partitions(fixed, R, 7, prior=PRIOR, evidence=evidence)
    assert draws.components == {"exact": 1, "gibbs": 0, "largest": 5}
    exact = exact_marginals(_by_position(PAIRS, KEYS), 5, PRIOR, evidence)
    for (x, y), q in exact.items():
        got = draws.co_clustered([x], [y])[0]
        se = math.sqrt(q * (1 - q) / R)  # independent draws
        assert abs(got - q) <= 4 * se + 1e-12, (x, y, got, q)


@pytest.mark.parametrize("evidence", ["tree", "pairs"])
def test_gibbs_sampler_agrees_with_the_exact_distribution(evidence):
    fixed = _Fixed(KEYS, PAIRS)
    R = 4000
    draws = draw_partitions(fixed, R, 11, prior=PRIOR, evidence=evidence, exact_max=0, burn_in=50, thin=2)
    assert draws.components["gibbs"] == 1
    exact = exact_marginals(_by_position(PAIRS, KEYS), 5, PRIOR, evidence)
    for (x, y), q in exact.items():
        hits = (draws.labels[:, x] == draws.labels[:, y]).astype(float)
        # Monte Carlo s.e. of a Markov chain's mean by batch means (40 batches of 100 draws)
        batches = hits.reshape(40, -1).mean(axis=1)
        se = batches.std(ddof=1) / math.sqrt(len(batches))
        assert abs(hits.mean() - q) <= 4 * se + 0.01, (x, y, hits.mean(), q, se)


def test_a_pair_alone_is_co_clustered_with_its_probability():
    fixed = _Fixed(["a1", "b1"], {("a1", "b1"): 0.7})
    R = 3000
    q = together(draw_partitions(fixed, R, 3, prior=PRIOR), "a1", "b1", fixed.keys)
    assert abs(q - 0.7) <= 4 * math.sqrt(0.21 / R)


def test_the_same_seed_gives_identical_partitions_and_another_seed_others():
    fixed = _Fixed(KEYS, PAIRS)
    for exact_max in (6, 0):
        one = draw_partitions(fixed, 50, 123, prior=PRIOR, exact_max=exact_max)
        two = draw_partitions(fixed, 50, 123, prior=PRIOR, exact_max=exact_max)
        other = draw_partitions(fixed, 50, 124, prior=PRIOR, exact_max=exact_max)
        assert np.array_equal(one.labels, two.labels)
        assert not np.array_equal(one.labels, other.labels)
        assert one.persons(3).equals(two.persons(3))


def test_labels_stay_fixed_in_every_draw():
    # b1-c1 is labelled a match although its probability is low; a1-b1 a non-match although high
    fixed = _Fixed(KEYS, PAIRS, must=[("b1", "c1")], cannot=[("a1", "b1")])
    draws = draw_partitions(fixed, 300, 5, prior=PRIOR)
    assert together(draws, "b1", "c1", fixed.keys) == 1.0
    assert together(draws, "a1", "b1", fixed.keys) == 0.0
    # a1 may still join c1, but then never b1: a1 and c1 together never happens with b1 apart from c1
    assert together(draws, "a1", "c1", fixed.keys) == 0.0
    # a labelled match alone in its component stays one person too
    alone = _Fixed(["a1", "b1"], {("a1", "b1"): 0.02}, must=[("a1", "b1")])
    assert together(draw_partitions(alone, 20, 1, prior=PRIOR), "a1", "b1", alone.keys) == 1.0


def test_conflict_rules_of_the_clustering_hold_in_every_draw():
    keys = ["a1", "b1", "c1", "a2"]
    pairs = {("a1", "b1"): 0.97, ("b1", "c1"): 0.95, ("a1", "c1"): 0.5, ("a2", "b1"): 0.9, ("a1", "a2"): 0.3}
    # another sex: a1 (M) and c1 (F) never one person, even through b1
    fixed = _Fixed(keys, pairs, sex=[1, 0, 2, 0])
    for exact_max in (6, 0):
        draws = draw_partitions(fixed, 400, 2, prior=PRIOR, exact_max=exact_max)
        assert together(draws, "a1", "c1", keys) == 0.0
        # a1 and a2 come from one list and their own probability is below the threshold
        assert together(draws, "a1", "a2", keys) == 0.0
        assert together(draws, "a1", "b1", keys) > 0.5
    # a probability below the conflict floor (0.01): never one person
    low = _Fixed(["a1", "b1", "c1"], {("a1", "b1"): 0.99, ("b1", "c1"): 0.99, ("a1", "c1"): 0.005})
    assert together(draw_partitions(low, 400, 2, prior=PRIOR), "a1", "c1", low.keys) == 0.0


def test_settings_are_checked():
    fixed = _Fixed(KEYS, PAIRS)
    with pytest.raises(MethodError, match="at least 1"):
        draw_partitions(fixed, 0, 1, prior=PRIOR)
    with pytest.raises(MethodError, match="evidence"):
        draw_partitions(fixed, 5, 1, prior=PRIOR, evidence="magic")
    with pytest.raises(MethodError, match="prior"):
        draw_partitions(fixed, 5, 1)  # no model and no pairs table: the prior must be given


# ------------------------------------------------------------ recalibration
def test_recalibration_recovers_a_known_miscalibration():
    rng = np.random.default_rng(1)
    p = rng.uniform(0.01, 0.99, 4000)
    z = 0.5 + 2.0 * np.log(p / (1 - p))
    y = rng.random(4000) < 1 / (1 + np.exp(-z))
    cal = fit_recalibration(p, y)
    # large-sample s.e. of the two coefficients here is about 0.05; the weak prior barely moves them
    assert abs(cal.intercept - 0.5) < 0.2 and abs(cal.slope - 2.0) < 0.2
    assert cal.labelled == 4000 and cal.matches == int(y.sum())


def test_recalibration_of_perfectly_separated_labels_is_finite():
    cal = fit_recalibration([0.2, 0.3, 0.7, 0.9], [False, False, True, True])
    assert math.isfinite(cal.intercept) and math.isfinite(cal.slope) and cal.slope > 1
    with pytest.raises(MethodError):
        fit_recalibration([], [])


def test_review_sample_uses_probabilities_only_and_is_reproducible():
    p = np.linspace(0.0, 1.0, 501)
    one = review_sample(p, near=10, per_band=3, seed=4)
    assert np.array_equal(one, review_sample(p, near=10, per_band=3, seed=4))
    assert len(set(one.tolist())) == len(one) == 10 + 3 * 8
    nearest = np.sort(np.abs(p - 0.5))[:10]
    assert set(np.abs(p[one] - 0.5)).issuperset(set(nearest))


def test_calibration_table_counts_and_standard_errors():
    p = np.array([0.05, 0.05, 0.95, 0.95, 0.95, 0.95])
    q = np.array([0.0, 0.1, 1.0, 0.9, 1.0, 1.0])
    t = np.array([0, 0, 1, 1, 1, 0], dtype=bool)
    table = calibration_table(p, q, t, R=10, bins=(0.0, 0.5, 1.0))
    assert table["pairs"].tolist() == [2, 4]
    high = table.iloc[1]
    assert high["true_share"] == 0.75
    assert high["se"] == pytest.approx(math.sqrt(4 * 0.95 * 0.05) / 4)
    assert high["drawn_links"] == 39
    assert high["true_among_drawn"] == pytest.approx(2.9 / 3.9)


# ------------------------------------------------------------ pooling
def _three_lists():
    """Twelve people on lists x, y, z; the uncertain pairs decide three of them."""
    keys, sources, pairs = [], [], {}
    for person in range(12):
        on = [s for k, s in enumerate("xyz") if (person + k) % 3 != 0 or person < 3]
        for s in on:
            keys.append(f"{s}{person:02d}")
            sources.append(s)
        for a, b in itertools.combinations(on, 2):
            pairs[(f"{a}{person:02d}", f"{b}{person:02d}")] = 0.6 if person in (4, 7, 10) else 0.99
    return _Fixed(keys, pairs, sources=sources)


def test_identical_tables_are_estimated_once_and_pooled_by_mixing_draws():
    fixed = _three_lists()
    draws = draw_partitions(fixed, 12, 9, prior=PRIOR)
    tables = draw_tables(draws, ["x", "y", "z"])
    distinct = {table_key(t) for t in tables}
    assert 1 < len(distinct) < 12
    cache: dict = {}
    results = estimate_draw_tables(tables, "mt", seed=1, nboot=30, cache=cache)
    assert len(cache) == len(distinct)
    assert all(r.draws is not None and r.draws.kind == "bootstrap" and r.draws.size == 30 for r in results)
    pooled = pool_over_linkages(results, seed=1)
    # the pool is a mixture of the draws' replicates (resampled to equal shares where a replicate failed)
    mixed = pooled.draws.finite
    assert set(mixed.tolist()) <= set(np.concatenate([r.draws.finite for r in results]).tolist())
    assert len(mixed) == 12 * 30
    assert pooled.n_hat == pytest.approx(np.quantile(mixed, 0.5))
    assert pooled.ci_low == pytest.approx(np.quantile(mixed, 0.025))
    assert pooled.details["between_variance"] > 0
    assert 0 < pooled.details["width_share_between"] < 1
    assert any("12 plausible linkages" in w for w in pooled.warnings)
    # the same call again gives the same numbers (seeds come from the tables, not the order)
    again = pooled_estimate(draws, ["x", "y", "z"], "mt", seed=1, nboot=30)
    assert again.n_hat == pooled.n_hat and again.ci_high == pooled.ci_high


def test_linkage_prior_from_a_pairs_table():
    fixed = _Fixed(["a1", "b1"], {("a1", "b1"): 0.7})
    lam = 0.002
    log2_bf = np.log2(0.7 / 0.3) - np.log2(lam / (1 - lam))
    fixed.pairs = pd.DataFrame({"weight": [np.log2(0.7 / 0.3)], "mw_name": [log2_bf]})
    assert linkage_prior(fixed) == pytest.approx(lam)


# ------------------------------------------------------------ calibration on simulated lists
def test_draws_are_calibrated_on_simulated_lists_after_recalibration():
    """Among pairs that the draws co-cluster in a share q of draws, about q are true matches.

    One simulated January 2022 deaths dataset at the low noise level (benchmarks/linkage_draws.py),
    linked by Splink, 60 pairs labelled by a simulated analyst, recalibrated, R = 30 draws.
    Unlabelled pairs only. Tolerance per bin: 3 binomial standard errors of the bin's count of
    true matches under calibration (sqrt(sum q(1-q))), plus one pair for discreteness (a bin
    whose q are all 0 or 1 has s.e. 0); with 8 bins the chance of a false alarm is about 2%.
    """
    import sys

    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import linkage_draws

    got = linkage_draws.link_and_draw(np.random.SeedSequence(99, spawn_key=(0, 100)), "low", 30)
    pairs = got["pairs"]
    assert len(pairs) > 300 and pairs["true"].sum() > 100
    table = calibration_table(pairs["recalibrated"], pairs["co_after"], pairs["true"], R=30, by="draws")
    assert table["pairs"].sum() == len(pairs)
    bad = table[~table["within_tolerance"]]
    assert bad.empty, bad.to_string()
    # the recalibration is fitted on the labelled pairs only: as many as the analyst labelled
    assert got["recalibration"].labelled == len(got["chosen"])


_POINT_ONLY = [
    "mt",
    "m0",
    "mth-chao",
    "mh-poisson",
    "mth-gamma",
    "loglinear",
    "loglinear-bic",
    "loglinear-aic",
    "stepwise",
]


@pytest.mark.parametrize("method", _POINT_ONLY)
@pytest.mark.parametrize("name", ["spina_bifida", "HIV"])
def test_bootstrap_replicates_need_no_profile_interval(method, name):
    """A replicate keeps N-hat only: with the log-normal interval in the replicates (point_only,
    the default) every replicate is the same number as with the method's own interval."""
    from conftest import benchmark_table

    from undercount.linkage.draws import bootstrap_replicates, replicate_settings

    table = benchmark_table(name)
    assert replicate_settings(method, {"interval": "profile"})["interval"] == "lognormal"
    # a fixed model with one interaction, in the model's own notation (first two lists)
    first, second = table.lists[:2]
    model = " + ".join([*table.lists, f"{first}:{second}"]) if method == "loglinear" else None
    n_hat = 1.4 * table.n_observed
    both = [
        bootstrap_replicates(
            table, method, n_hat, nboot=8, rng=np.random.default_rng(5), model=model, point_only=point_only
        )
        for point_only in (True, False)
    ]
    assert np.isfinite(both[1]).sum() >= 4
    np.testing.assert_array_equal(both[0], both[1])


def test_replicates_keep_the_settings_of_a_method_without_a_log_normal_interval():
    from undercount.linkage.draws import replicate_settings

    assert replicate_settings("chapman", {"pair": "largest"}) == {"pair": "largest"}
    assert replicate_settings("dga", None) == {}
