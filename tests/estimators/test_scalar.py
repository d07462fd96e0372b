"""The standard-library special functions and Brent's methods of ``_scalar`` against scipy's.

xlogy and the two Brent iterations must be scipy's doubles exactly (the same formula on the
same libm, the same rules on the same function values); lgamma, the normal quantile and the
chi-square survival function are other algorithms, so they are held to rounding: tolerances
in units of the double's spacing, sized by the largest difference measured on this machine.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import DATASETS, benchmark_table
from scipy import optimize, special, stats

from undercount.estimators import _scalar as S
from undercount.estimators import loglinear as L

EPS = 2.220446049250313e-16


def test_xlogy_is_scipys():
    rng = np.random.default_rng(3)
    x = np.concatenate([[0.0, 1.0, 2.0], rng.uniform(0, 1e4, 2000), rng.integers(0, 500, 500)])
    y = np.concatenate([[0.0, 1.0, 3.0], rng.uniform(1e-300, 1e4, 2000), rng.uniform(0.5, 800, 500)])
    assert np.array_equal(special.xlogy(x, y), [S.xlogy(a, b) for a, b in zip(x, y)])
    assert S.xlogy(0.0, 0.0) == 0.0


def test_lgamma_is_gammaln_to_rounding():
    rng = np.random.default_rng(4)
    x = np.concatenate([np.arange(1.0, 20001.0), rng.uniform(0.5, 1e7, 20000)])
    ours = np.array([S.lgamma(v) for v in x])
    # glibc and Cephes differ by a few units in the last place of max(1, |lgamma|): the absolute
    # error near lgamma's zeros at 1 and 2 is that of a value of order 1
    assert np.all(np.abs(ours - special.gammaln(x)) <= 8 * EPS * np.maximum(1.0, np.abs(ours)))


def test_normal_quantile_is_ndtri_to_rounding():
    rng = np.random.default_rng(5)
    p = np.concatenate(
        [
            rng.uniform(0, 1, 20000),
            np.geomspace(1e-300, 0.5, 2000),
            1 - np.geomspace(1e-16, 0.5, 2000),
            0.5 + np.geomspace(1e-16, 0.2, 2000),
        ]
    )
    p = p[(p > 0) & (p < 1)]
    ours = np.array([S.normal_quantile(v) for v in p])
    ref = special.ndtri(p)
    assert np.all(np.abs(ours - ref) <= 8 * EPS * np.abs(ref))  # measured: at most 4 units
    assert S.normal_quantile(0.5) == 0.0
    assert S.normal_quantile(1.0 - 0.8) == -S.normal_quantile(0.8)  # 1 - 0.8 is exact, 0.2 is not it
    with pytest.raises(ValueError, match="0 < p < 1"):
        S.normal_quantile(1.0)


@pytest.mark.parametrize("df", [1, 2, 3, 4, 7, 26, 57, 64, 119, 120])
def test_chi2_sf_is_scipy_stats_to_rounding(df):
    x = np.concatenate([[0.0, 1e-12, 0.5], np.geomspace(1e-3, 2e3, 400)])
    ref = stats.chi2.sf(x, df)
    ours = np.array([S.chi2_sf(df, v) for v in x])
    keep = ref > 1e-300
    # each term is exp(a) with |a| up to about x/2: an error of |a| units in the last place, so
    # the tolerance grows with x (measured: at most 2 EPS max(10, x) for df >= 2, e.g. 2.1e-13
    # relative at x = 1,550, p = 1e-282; 14 EPS max(10, x) for df = 1 at x = 2.1, p = 0.14, where
    # ours is libm's erfc(sqrt(x / 2)) and scipy's Cephes igamc(1/2, x/2))
    tol = 20 * EPS * np.maximum(10.0, x[keep])
    assert np.all(np.abs(ours[keep] - ref[keep]) <= tol * ref[keep])
    assert np.all(ours[~keep] < 1e-290)


def test_chi2_sf_refuses_fractional_degrees_of_freedom():
    with pytest.raises(ValueError, match="whole degrees of freedom"):
        S.chi2_sf(2.5, 1.0)
    assert S.chi2_sf(3, 0.0) == 1.0 and S.chi2_sf(3, math.inf) == 0.0


SMOOTH = [
    (lambda x: (x - 2.0) ** 2 + 0.1 * math.sin(5 * x), 0.0, 5.0, 1e-6),
    (lambda x: math.cosh(x - 0.3), -4.0, 9.0, 1e-9),
    (lambda x: -x * math.exp(-x), 0.0, 30.0, 1e-5),
    (lambda x: abs(x - 1.0) ** 1.5, -3.0, 2.0, 1e-8),
    (lambda x: x, 0.0, 1.0, 1e-6),  # minimum at the left end
]


@pytest.mark.parametrize("f, a, b, xatol", SMOOTH)
def test_minimize_bounded_is_scipys_bounded_minimiser(f, a, b, xatol):
    ref = optimize.minimize_scalar(f, bounds=(a, b), method="bounded", options={"xatol": xatol})
    x, fx = S.minimize_bounded(f, a, b, xatol)
    assert (x, fx) == (float(ref.x), float(ref.fun))


ROOTS = [
    (lambda x: x**3 - 2.0 * x - 5.0, 2.0, 3.0),
    (lambda x: math.exp(x) - 10.0, -5.0, 10.0),
    (lambda x: math.atan(x - 0.7), -50.0, 3.0),
    (lambda x: math.tanh(4.0 * (x - 1.3)) + 0.1, 0.0, 4.0),
    (lambda x: x, 0.0, 1.0),  # a root at an end
]


@pytest.mark.parametrize("f, a, b", ROOTS)
@pytest.mark.parametrize("xtol, rtol", [(1e-12, 1e-12), (1e-3, 1e-10), (2e-12, 8.9e-16)])
def test_find_root_is_brentq(f, a, b, xtol, rtol):
    assert S.find_root(f, a, b, xtol, rtol) == optimize.brentq(f, a, b, xtol=xtol, rtol=rtol)


def test_find_root_needs_a_sign_change():
    with pytest.raises(ValueError, match="sign change"):
        S.find_root(lambda x: x * x + 1.0, -1.0, 1.0, 1e-12, 1e-12)


@pytest.mark.parametrize("name", DATASETS)
def test_on_the_profile_likelihood_both_give_scipys_numbers(name):
    """Fed the same profile likelihood (a fresh one each time: its warm start remembers), both
    iterations land on scipy's doubles, so the interval moves only with the function's values."""
    table = benchmark_table(name)
    patterns, counts = table.cells()
    spec = L.terms_spec(patterns, counts, L.main_effects(table.k), table.lists)
    fit = L.fit_spec(counts, spec)
    hi = max(1.5 * fit.n_hat, fit.n + 1.0)

    def neg():
        prof = L.ProfileLikelihood(spec.X, counts, fit.n)
        return lambda N: -prof(N)

    ref = optimize.minimize_scalar(
        neg(), bounds=(fit.n, hi), method="bounded", options={"xatol": 1e-6 * fit.n_hat}
    )
    x, fx = S.minimize_bounded(neg(), fit.n, hi, 1e-6 * fit.n_hat)
    assert (x, fx) == (float(ref.x), float(ref.fun))
    prof = L.ProfileLikelihood(spec.X, counts, fit.n)
    top = 3.0 * fit.n_hat
    while prof(top) > -fx - 1.92:
        top *= 3.0

    def g():
        p = L.ProfileLikelihood(spec.X, counts, fit.n)
        return lambda N: p(N) + fx + 1.92

    assert S.find_root(g(), x, top, 1e-8 * x, 1e-12) == optimize.brentq(
        g(), x, top, xtol=1e-8 * x, rtol=1e-12
    )
