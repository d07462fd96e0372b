"""Split-R-hat and effective sample size on chains whose answer is known.

Tolerances: for iid draws the ESS estimator itself has a relative standard
deviation of a few per cent at these sizes (Vehtari et al. 2021, fig. 2), so
15% is several of its standard deviations; for AR(1) chains the
autocorrelation sum converges more slowly, so 20%. R-hat of chains drawn
from one distribution stays within 1 +- 0.005 at these sizes; the threshold
it is used against is 1.01. (Cross-checked once against ArviZ 0.23.4, whose
values agreed to the last reported digit on iid, AR(1), Cauchy, shifted and
rescaled chains; ArviZ is not a test dependency.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from undercount.estimators import diagnostics as d


def ar1(rng, phi: float, chains: int, n: int) -> np.ndarray:
    """Stationary Gaussian AR(1) chains: x_t = phi x_{t-1} + e_t."""
    x = np.empty((chains, n))
    x[:, 0] = rng.normal(size=chains) / math.sqrt(1 - phi**2)
    e = rng.normal(size=(chains, n))
    for t in range(1, n):
        x[:, t] = phi * x[:, t - 1] + e[:, t]
    return x


@pytest.mark.parametrize("seed", range(5))
def test_iid_draws(seed):
    x = np.random.default_rng(seed).normal(size=(4, 1000))
    assert abs(d.rhat(x) - 1) < 0.005
    assert d.ess_bulk(x) == pytest.approx(4000, rel=0.15)
    assert d.ess_tail(x) == pytest.approx(4000, rel=0.15)
    assert d.ess(x) == pytest.approx(4000, rel=0.15)


@pytest.mark.parametrize("phi", [0.5, 0.8, 0.95])
def test_ar1_ess_matches_its_integrated_autocorrelation_time(phi):
    # tau = (1 + phi) / (1 - phi) for a Gaussian AR(1)
    x = ar1(np.random.default_rng(int(phi * 100)), phi, 4, 5000)
    expected = x.size * (1 - phi) / (1 + phi)
    assert d.ess(x) == pytest.approx(expected, rel=0.2)
    assert d.ess_bulk(x) == pytest.approx(expected, rel=0.2)
    assert abs(d.rhat(x) - 1) < 0.01


def test_antithetic_chains_have_ess_above_the_number_of_draws():
    x = ar1(np.random.default_rng(4), -0.5, 4, 2000)
    # tau = 1/3: ESS about three times the draws, capped at S log10(S)
    assert d.ess(x) == pytest.approx(3 * x.size, rel=0.2)
    assert d.ess(x) <= x.size * math.log10(x.size)


def test_heavy_tails_need_the_ranks():
    # Cauchy draws have no variance; the rank-normalised diagnostics still work
    x = np.random.default_rng(5).standard_cauchy(size=(4, 1000))
    assert abs(d.rhat(x) - 1) < 0.005
    assert d.ess_bulk(x) == pytest.approx(4000, rel=0.15)


def test_a_shifted_chain_is_detected():
    x = np.random.default_rng(6).normal(size=(4, 1000))
    x[3] += 1.0
    assert d.rhat(x) > 1.05
    assert d.ess_bulk(x) < 400


def test_a_chain_with_another_spread_is_detected_by_folding():
    x = np.random.default_rng(7).normal(size=(4, 1000))
    x[3] *= 3.0
    split = d.split_chains(x)
    location_only = d._rhat_basic(d.rank_normalize(split))
    assert location_only < 1.01  # the bulk R-hat alone would miss it
    assert d.rhat(x) > 1.05


def test_a_drifting_single_chain_is_detected_by_splitting():
    x = np.random.default_rng(8).normal(size=(1, 2000)) + np.linspace(0, 2, 2000)
    assert d.rhat(x) > 1.05


def test_split_chains_drops_the_middle_draw_of_odd_chains():
    x = np.arange(10.0).reshape(2, 5)
    assert d.split_chains(x).tolist() == [[0, 1], [5, 6], [3, 4], [8, 9]]


def test_rank_normalize_gives_normal_scores_with_ties_averaged():
    z = d.rank_normalize(np.array([[3.0, 1.0, 2.0, 2.0]]))
    assert z[0, 2] == z[0, 3]
    assert z[0, 1] < z[0, 2] < z[0, 0]
    assert z.sum() == pytest.approx(0.0, abs=1e-12)


def test_constant_draws_have_no_diagnostics():
    x = np.full((4, 100), 7.0)
    assert math.isnan(d.rhat(x))
    assert math.isnan(d.ess_bulk(x))


def test_mcse_of_the_median_of_iid_normal_draws():
    # sqrt(p (1 - p) / S) / phi(0) for the median of S iid normal draws
    x = np.random.default_rng(9).normal(size=(4, 1000))
    expected = math.sqrt(0.25 / 4000) / (1 / math.sqrt(2 * math.pi))
    assert d.mcse_quantile(x, 0.5) == pytest.approx(expected, rel=0.25)
