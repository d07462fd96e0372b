"""Each step of the latent-class Gibbs sweep draws from its exact conditional.

A Gibbs sampler is correct when every step samples its full conditional;
these tests fix the rest of the state, repeat one step many times and compare
what it draws with the conditional's law (goodness of fit at p > 1e-4 on
fixed seeds; see test_random.py for the reasoning).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from undercount.estimators import _lcmcr_sampler as S
from undercount.estimators._random import seed_state

P_MIN = 1e-4
REPS = 20_000


def rng(seed):
    return seed_state(np.random.SeedSequence(seed))


def params():
    """Three lists, three classes: one catchable, one hard to catch, one rare."""
    lam = np.array([[0.7, 0.1, 0.4], [0.6, 0.05, 0.9], [0.5, 0.2, 0.3]])
    pi = np.array([0.3, 0.65, 0.05])
    return lam, 1.0 - lam, np.log(pi), pi


def class_weights(lam, pi, pattern):
    x = np.array(pattern)[:, None]
    return pi * np.prod(np.where(x == 1, lam, 1 - lam), axis=0)


@pytest.mark.parametrize("count", [1, 5, 9, 60, 5000])
def test_observed_people_are_multinomial_over_classes(count):
    # 5 and 9 straddle the switch from binomial chains to categorical draws
    lam, lam1m, logpi, pi = params()
    J, K = lam.shape
    pattern = (1, 0, 1)
    bits = np.array([1 + 4], dtype=np.int64)
    y = np.array([count], dtype=np.int64)
    work = dict(
        table=np.empty((1 << J, K)),
        order=np.empty(K, dtype=np.int64),
        w=np.empty(K),
        tail=np.empty(K),
        cell=np.empty(K, dtype=np.int64),
        nk=np.empty(K, dtype=np.int64),
        m=np.empty((J, K), dtype=np.int64),
    )
    s = rng(count)
    draws = np.empty((REPS, K), dtype=np.int64)
    for r in range(REPS):
        S.step_observed(s, bits, y, lam, lam1m, logpi, pi, **work)
        draws[r] = work["nk"]
        # people on a list are counted there, people off it are not
        assert (work["m"][0] == work["nk"]).all() and (work["m"][1] == 0).all()
    assert (draws.sum(axis=1) == count).all()
    p = class_weights(lam, pi, pattern)
    p /= p.sum()
    for k in range(K):
        dist = stats.binom(count, p[k])
        support = np.arange(int(dist.ppf(1e-6)), int(dist.ppf(1 - 1e-6)) + 1)
        observed = np.array([(draws[:, k] == v).sum() for v in support], dtype=float)
        expected = REPS * dist.pmf(support)
        keep = expected >= 5
        if keep.sum() < 2:
            assert (draws[:, k] == support[np.argmax(expected)]).mean() > 0.99
            continue
        observed, expected = observed[keep], expected[keep]
        assert stats.chisquare(observed, expected * observed.sum() / expected.sum()).pvalue > P_MIN


def unobserved_inputs():
    """What step_unobserved reads: the pattern-by-class table and the classes by weight."""
    lam, lam1m, logpi, pi = params()
    J, K = lam.shape
    table = np.empty((1 << J, K))
    S._pattern_probabilities(lam, lam1m, pi, table)
    order = np.empty(K, dtype=np.int64)
    S._sorted_classes(pi, order)
    return table, order


def test_unobserved_count_is_negative_binomial_and_its_classes_multinomial():
    table, order = unobserved_inputs()
    K = table.shape[1]
    n = 300
    p0 = table[0].sum()
    z0, n0, hits = np.zeros(K, dtype=np.int64), np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64)
    w, tail = np.empty(K), np.empty(K)
    s = rng(2)
    n0s = np.empty(REPS, dtype=np.int64)
    z0s = np.empty((REPS, K), dtype=np.int64)
    for r in range(REPS):
        S.step_unobserved(s, n, np.int64(10**12), table, order, w, tail, z0, n0, hits)
        n0s[r], z0s[r] = n0[0], z0
    assert hits[0] == 0
    assert (z0s.sum(axis=1) == n0s).all()
    # failures before the n-th success, success probability 1 - p0
    dist = stats.nbinom(n, 1 - p0)
    edges = np.unique(dist.ppf(np.linspace(0.02, 0.98, 25)).astype(int))  # bins (e_i, e_i+1]
    expected = np.diff(np.r_[0.0, dist.cdf(edges), 1.0]) * REPS
    observed = np.bincount(np.searchsorted(edges, n0s, side="left"), minlength=len(edges) + 1)
    assert stats.chisquare(observed, expected).pvalue > P_MIN
    share = z0s.sum(axis=0) / n0s.sum()
    expected = table[0] / p0
    assert np.abs(share - expected).max() < 4 * np.sqrt(expected * (1 - expected) / n0s.sum()).max() + 1e-4


def test_unobserved_count_respects_the_cap_and_counts_hits():
    table, order = unobserved_inputs()
    K = table.shape[1]
    z0, n0, hits = np.zeros(K, dtype=np.int64), np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64)
    s = rng(3)
    n, cap = 300, 100  # the mean unobserved count is far above 100
    for _ in range(200):
        S.step_unobserved(s, n, np.int64(cap), table, order, np.empty(K), np.empty(K), z0, n0, hits)
        assert n0[0] <= cap and z0.sum() == n0[0]
    assert hits[0] > 0


def test_capture_probabilities_are_beta():
    J, K = 2, 3
    nk = np.array([40, 0, 7], dtype=np.int64)
    z0 = np.array([100, 0, 3], dtype=np.int64)
    m = np.array([[30, 0, 7], [4, 0, 0]], dtype=np.int64)
    lam, lam1m = np.empty((J, K)), np.empty((J, K))
    s = rng(4)
    draws = np.empty((REPS, J, K))
    for r in range(REPS):
        S.step_lambda(s, nk, z0, m, lam, lam1m)
        assert np.allclose(lam + lam1m, 1.0)
        draws[r] = lam
    for j in range(J):
        for k in range(K):
            a = 1 + m[j, k]
            b = 1 + nk[k] + z0[k] - m[j, k]
            assert stats.kstest(draws[:, j, k], stats.beta(a, b).cdf).pvalue > P_MIN


def test_stick_breaking_weights_are_beta_and_sum_to_one():
    K = 4
    nk = np.array([50, 0, 3, 0], dtype=np.int64)
    z0 = np.array([20, 0, 0, 0], dtype=np.int64)
    alpha = np.array([0.7])
    logpi, pi = np.empty(K), np.empty(K)
    s = rng(5)
    v0, v1, v2 = (np.empty(REPS) for _ in range(3))
    for r in range(REPS):
        S.step_weights(s, nk, z0, alpha, logpi, pi)
        assert pi.sum() == pytest.approx(1.0)
        v0[r] = pi[0]
        v1[r] = pi[1] / (1 - pi[0])
        v2[r] = pi[2] / (1 - pi[0] - pi[1])
    # V_k ~ Beta(1 + n_k, alpha + people in later classes); class 1 is empty
    assert stats.kstest(v0, stats.beta(1 + 70, 0.7 + 3).cdf).pvalue > P_MIN
    assert stats.kstest(v1, stats.beta(1, 0.7 + 3).cdf).pvalue > P_MIN
    assert stats.kstest(v2, stats.beta(1 + 3, 0.7).cdf).pvalue > P_MIN


def test_tiny_concentration_keeps_weights_finite_on_the_log_scale():
    K = 5
    nk = np.array([100, 0, 0, 0, 0], dtype=np.int64)
    alpha = np.array([1e-4])
    logpi, pi = np.empty(K), np.empty(K)
    S.step_weights(rng(6), nk, np.zeros(K, dtype=np.int64), alpha, logpi, pi)
    assert np.isfinite(logpi).all()
    assert pi[-1] == 0.0 or logpi[-1] < -700  # far below the smallest double, yet finite


def test_concentration_is_gamma():
    a, b, K = 0.25, 0.25, 10
    logpi = np.log(np.r_[np.full(K - 1, 0.1), 0.1])
    alpha = np.empty(1)
    s = rng(7)
    draws = np.empty(REPS)
    for r in range(REPS):
        S.step_alpha(s, a, b, logpi, alpha)
        draws[r] = alpha[0]
    rate = b - logpi[-1]
    assert stats.kstest(draws, stats.gamma(a + K - 1, scale=1 / rate).cdf).pvalue > P_MIN
