"""The random variates of the compiled sampler, checked against their exact laws.

Each check draws from a fixed seed, so it is deterministic; the thresholds
are goodness-of-fit p-values of 1e-4 (a correct generator fails one check in
10,000 seeds) on 20,000 to 50,000 draws, enough to see a wrong shape, a
shifted mean or a misplaced tail of a few per cent.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from undercount.estimators._random import draw_many, next_u64, seed_state

P_MIN = 1e-4
UNIFORM, NORMAL, GAMMA, LOG_GAMMA, BINOMIAL, POISSON = range(6)


def state(seed: int) -> np.ndarray:
    return seed_state(np.random.SeedSequence(seed))


def _xoshiro_reference(words: list[int], count: int) -> list[int]:
    """xoshiro256** in plain Python integers (Blackman & Vigna's definition)."""
    mask = (1 << 64) - 1
    s = list(words)

    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & mask

    out = []
    for _ in range(count):
        out.append((rotl((s[1] * 5) & mask, 7) * 9) & mask)
        t = (s[1] << 17) & mask
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
    return out


def test_bits_are_xoshiro256starstar():
    s = state(7)
    expected = _xoshiro_reference([int(w) for w in s], 20)
    assert [int(next_u64(s)) for _ in range(20)] == expected


def test_seed_sequences_give_distinct_streams():
    a, b = (seed_state(s) for s in np.random.SeedSequence(1).spawn(2))
    assert not np.array_equal(a, b)
    assert draw_many(a, UNIFORM, 5, 0.0, 0.0).tolist() != draw_many(b, UNIFORM, 5, 0.0, 0.0).tolist()


def test_uniform_open_interval_and_law():
    x = draw_many(state(1), UNIFORM, 50_000, 0.0, 0.0)
    assert 0.0 < x.min() and x.max() < 1.0
    assert stats.kstest(x, "uniform").pvalue > P_MIN


def test_normal_law():
    x = draw_many(state(2), NORMAL, 50_000, 0.0, 0.0)
    assert stats.kstest(x, "norm").pvalue > P_MIN


@pytest.mark.parametrize("shape", [0.02, 0.3, 0.999, 1.0, 2.0, 3.0, 3.5, 8.0, 9.0, 57.0, 1e4])
def test_gamma_law(shape):
    # covers the three algorithms: boosted shape < 1, sums of exponentials for
    # whole shapes up to 8, Marsaglia-Tsang otherwise
    x = draw_many(state(int(shape * 1000) + 3), GAMMA, 20_000, shape, 0.0)
    assert (x >= 0).all()
    assert stats.kstest(x, stats.gamma(shape).cdf).pvalue > P_MIN


@pytest.mark.parametrize("shape", [1e-4, 0.01, 0.4, 2.5, 300.0])
def test_log_gamma_law_even_when_the_draw_underflows(shape):
    x = draw_many(state(int(shape * 1e4) + 11), LOG_GAMMA, 20_000, shape, 0.0)
    assert np.isfinite(x).all()
    if shape <= 0.01:
        # most of these draws are below the smallest double: only the log survives
        assert (x < -745).mean() > 0.5 if shape == 1e-4 else True
    assert stats.kstest(x, stats.loggamma(shape).cdf).pvalue > P_MIN


def _chi_square_discrete(x: np.ndarray, pmf, support: np.ndarray) -> float:
    """Pearson chi-square p-value, pooling the tails so every expected count is >= 5."""
    n = len(x)
    probs = pmf(support)
    lo, hi = support[0], support[-1]
    expected = n * probs
    observed = np.array([(x == v).sum() for v in support], dtype=float)
    # fold outside mass into the end bins
    observed[0] += (x < lo).sum()
    observed[-1] += (x > hi).sum()
    keep_lo = np.flatnonzero(np.cumsum(expected) >= 5)[0]
    keep_hi = len(expected) - 1 - np.flatnonzero(np.cumsum(expected[::-1]) >= 5)[0]
    exp_bins = np.concatenate(
        [[expected[: keep_lo + 1].sum()], expected[keep_lo + 1 : keep_hi], [expected[keep_hi:].sum()]]
    )
    obs_bins = np.concatenate(
        [[observed[: keep_lo + 1].sum()], observed[keep_lo + 1 : keep_hi], [observed[keep_hi:].sum()]]
    )
    exp_bins *= obs_bins.sum() / exp_bins.sum()
    return stats.chisquare(obs_bins, exp_bins).pvalue


@pytest.mark.parametrize(
    "n, p",
    [
        (1, 0.3),
        (7, 0.5),
        (40, 0.1),
        (60, 0.2),
        (500, 0.02),
        (500, 0.3),
        (2_000, 0.97),
        (10**6, 0.4),
        (10**9, 1e-7),
    ],
)
def test_binomial_law(n, p):
    # inversion (n p < 10), BTRS (n p >= 10) and the p > 1/2 reflection
    x = draw_many(state(n % 1000 + int(p * 100)), BINOMIAL, 30_000, float(n), p)
    assert x.min() >= 0 and x.max() <= n
    dist = stats.binom(n, p)
    support = np.arange(max(0, int(dist.ppf(1e-7))), int(dist.ppf(1 - 1e-7)) + 1)
    assert _chi_square_discrete(x, dist.pmf, support) > P_MIN


def test_binomial_edges():
    s = state(3)
    assert draw_many(s, BINOMIAL, 10, 0.0, 0.4).tolist() == [0.0] * 10
    assert draw_many(s, BINOMIAL, 10, 12.0, 0.0).tolist() == [0.0] * 10
    assert draw_many(s, BINOMIAL, 10, 12.0, 1.0).tolist() == [12.0] * 10


@pytest.mark.parametrize("lam", [0.3, 4.0, 9.99, 10.0, 75.0, 5_000.0])
def test_poisson_law(lam):
    x = draw_many(state(int(lam * 10) + 5), POISSON, 30_000, lam, 0.0)
    dist = stats.poisson(lam)
    support = np.arange(max(0, int(dist.ppf(1e-7))), int(dist.ppf(1 - 1e-7)) + 1)
    assert _chi_square_discrete(x, dist.pmf, support) > P_MIN


def test_poisson_huge_mean():
    # the unobserved count can be drawn with means of 1e9 and beyond: mean and
    # spread must still be right (4 standard errors)
    lam = 1e9
    x = draw_many(state(9), POISSON, 20_000, lam, 0.0)
    assert abs(x.mean() - lam) < 4 * np.sqrt(lam / len(x))
    assert abs(x.std() / np.sqrt(lam) - 1) < 4 / np.sqrt(2 * len(x))
