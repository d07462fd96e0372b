"""The total as a function of the identifying assumption (Aleshin-Guendel, Sadinle and Wakefield 2024)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from undercount.errors import MethodError
from undercount.estimators import estimate
from undercount.estimators.loglinear import fit_loglinear, main_effects
from undercount.estimators.sensitivity import doubling_ratio, sensitivity_curve, xi_grid
from undercount.histories import CaptureTable

TABLE = CaptureTable.from_arrays(
    ["A", "B", "C"],
    [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]],
    [120, 90, 150, 40, 55, 35, 18],
)


def test_the_curve_is_the_unobserved_cell_under_a_fixed_k_way_interaction():
    """For the model with every two-list interaction the observed cells are fitted exactly, so the
    three-list interaction is what the unobserved cell alone decides: the log cross-ratio of the
    eight cells. Putting the interaction at xi (rather than 0) multiplies the unobserved cell by
    exp(xi) for three lists (odd k: the unobserved cell enters the cross-ratio with the sign of the
    all-ones cell's opposite)."""
    result = estimate(TABLE, "loglinear", model="(.)^2")
    curve = sensitivity_curve(result, [-0.5, 0.0, 0.7])
    patterns, counts = TABLE.cells()
    fit = fit_loglinear(TABLE, main_effects(3) + ((0, 1), (0, 2), (1, 2)))
    assert np.allclose(fit.mu, counts)  # saturated but for the three-list term: every observed cell fitted
    mu = fit.mu
    for xi, n_hat in zip(curve["xi"], curve["n_hat"]):
        m0 = n_hat - TABLE.n_observed
        # the generalised log odds ratio of the 2^3 table with m0 in the unobserved cell
        sign = {tuple(int(v) for v in p): (-1) ** (3 - int(sum(p))) for p in patterns}
        log_cross = sum(sign[tuple(int(v) for v in p)] * math.log(m) for p, m in zip(patterns, mu))
        log_cross += (-1) ** 3 * math.log(m0)
        assert log_cross == pytest.approx(-xi, abs=1e-8)


def test_curve_columns_and_the_point_where_the_assumption_holds():
    result = estimate(TABLE, "mt")
    curve = sensitivity_curve(result)
    assert curve["assumption_holds"].sum() == 1
    at0 = curve[curve["assumption_holds"]].iloc[0]
    assert (at0["n_hat"], at0["ci_low"], at0["ci_high"]) == pytest.approx(
        (result.n_hat, result.ci_low, result.ci_high), rel=1e-12
    )
    assert curve["ratio"].iloc[0] == pytest.approx(0.25) and curve["ratio"].iloc[-1] == pytest.approx(4.0)
    assert np.any(np.isclose(curve["ratio"], 2.0)) and np.any(np.isclose(curve["ratio"], 0.5))
    assert (np.diff(curve["n_hat"]) > 0).all() and (curve["ci_low"] >= TABLE.n_observed).all()
    dark = result.n_hat - result.n_observed
    assert doubling_ratio(result) == pytest.approx((2 * result.n_hat - result.n_observed) / dark)


def test_no_estimate_no_curve_and_a_range_without_zero_refused():
    from undercount.results import not_estimable

    with pytest.raises(MethodError, match="no total to move"):
        sensitivity_curve(not_estimable("mt", ("A", "B"), 10, "reason"))
    with pytest.raises(MethodError, match="must contain 0"):
        xi_grid(0.1, 1.0)


def test_lcmcr_curve_moves_every_posterior_draw():
    """lcmcr: each draw N_d becomes n + exp(xi) (N_d - n); the curve is the moved draws' median and
    equal-tailed interval. At xi = 0 that is the result itself; since the map is increasing and affine,
    at every xi it is the result's median and ends moved the same way (to rounding)."""
    from undercount.estimators.sensitivity import supports

    result = estimate(
        TABLE,
        "lcmcr",
        settings={"burnin": 300, "samples": 300, "thinning": 2, "chains": 2, "workers": 1, "progress": False},
        seed=4,
    )
    assert result.estimable and result.draws is not None and result.draws.kind == "posterior"
    curve = sensitivity_curve(result)
    at0 = curve[curve["assumption_holds"]].iloc[0]
    assert (at0["n_hat"], at0["ci_low"], at0["ci_high"]) == pytest.approx(
        (result.n_hat, result.ci_low, result.ci_high), rel=1e-12
    )
    n = result.n_observed
    draws = np.sort(result.draws.values.ravel())
    for _, row in curve.iterrows():
        scale = math.exp(row["xi"])
        for column, value in (
            ("n_hat", result.n_hat),
            ("ci_low", result.ci_low),
            ("ci_high", result.ci_high),
        ):
            assert row[column] == pytest.approx(n + scale * (value - n), rel=1e-10), (row["xi"], column)
        # the share of moved draws at or below the moved upper end is the upper tail's level
        moved = n + scale * (draws - n)
        assert np.mean(moved <= row["ci_high"] * (1 + 1e-12)) >= 0.975
    assert (np.diff(curve["n_hat"]) >= 0).all() and curve["n_hat"].iloc[-1] > curve["n_hat"].iloc[0]
    assert supports("lcmcr", False) and supports("mt", True) and not supports("chapman", False)
    from dataclasses import replace

    with pytest.raises(MethodError, match="no posterior draws"):
        sensitivity_curve(replace(result, draws=None))
