import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from scipy import stats

from undercount.estimators import estimate
from undercount.estimators.loglinear import (
    ProfileLikelihood,
    cormack_correction,
    design_matrix,
    main_effects,
    profile_interval,
)
from undercount.histories import CaptureTable

from conftest import DATASETS, assert_sig, benchmark_table, reference, reference_number

MT_ROWS = reference("rcapture-mt")


def test_reference_covers_every_table():
    assert sorted(MT_ROWS["dataset"]) == DATASETS


@pytest.mark.parametrize("row", MT_ROWS.to_dict("records"), ids=list(MT_ROWS["dataset"]))
def test_mt_matches_rcapture(row):
    """Rcapture closedpCI.t(m="Mt"): point estimate and profile interval, 4 digits."""
    result = estimate(benchmark_table(row["dataset"]), "mt")
    assert result.model == " + ".join(benchmark_table(row["dataset"]).lists)
    assert_sig(result.n_hat, float(row["n_hat"]), what="n_hat")
    assert_sig(result.ci_low, reference_number(row["ci_low"]), what="ci_low")
    assert_sig(result.ci_high, reference_number(row["ci_high"]), what="ci_high")
    assert result.ci_low <= result.n_hat <= result.ci_high
    assert result.warnings == ()


def test_mt_details_carry_fit_statistics(hiv):
    result = estimate(hiv, "mt")
    d = result.details
    assert d["df"] == 15 - 5
    assert d["aic"] < d["bic"]
    assert set(d["pearson_residuals"]) == {"".join(map(str, p)) for p in hiv.cells()[0]}
    # the multinomial profile maximum sits just below the Poisson estimate
    assert hiv.n_observed < d["n_hat_profile"] < result.n_hat


def test_two_lists_without_overlap_has_no_estimate():
    table = CaptureTable.from_arrays(["A", "B"], [[1, 0], [0, 1]], [10, 12])
    result = estimate(table, "mt")
    assert not result.estimable
    assert math.isnan(result.ci_low)
    assert "does not exist" in result.warnings[-1]


def test_two_lists_mt_is_lincoln_petersen():
    table = CaptureTable.from_arrays(["A", "B"], [[1, 0], [0, 1], [1, 1]], [30, 20, 10])
    result = estimate(table, "mt")
    # Poisson MLE on three cells: N = n1 * n2 / m
    assert result.n_hat == pytest.approx(40 * 30 / 10, rel=1e-9)


def test_upper_bound_searched_beyond_three_times_the_estimate():
    # one shared person: the profile falls off slowly; Rcapture stops at 3 N-hat
    # and prints '>x', we follow the likelihood to its cut-off.
    table = CaptureTable.from_arrays(["A", "B"], [[1, 0], [0, 1], [1, 1]], [40, 40, 1])
    result = estimate(table, "mt")
    assert result.ci_high > 3 * result.n_hat
    X = design_matrix(table.cells()[0], main_effects(2))
    prof = ProfileLikelihood(X, table.cells()[1], table.n_observed)
    drop = prof(result.details["n_hat_profile"]) - prof(result.ci_high)
    assert drop == pytest.approx(stats.chi2.ppf(0.95, 1) / 2, rel=1e-6)


def test_flat_profile_gives_unbounded_upper_end():
    # saturated design over the full 2x2 table: the deviance is 0 for every N and
    # the profile falls by only about 2.6 from its maximum to its limit at
    # infinity, less than the 99% cut-off of 3.3
    table = CaptureTable.from_arrays(["A", "B"], [[1, 0], [0, 1], [1, 1]], [40, 40, 1])
    patterns, counts = table.cells()
    X = design_matrix(patterns, main_effects(2) + ((0, 1),))
    interval = profile_interval(X, counts, table.n_observed, n_hat=200.0, level=0.99)
    assert interval.high == math.inf
    assert "unbounded" in interval.warnings[0]


def test_cormack_correction_continuous_across_series_switch():
    below = cormack_correction(1e5 - 1e-6, 500)
    above = cormack_correction(1e5, 500)
    assert above == pytest.approx(below, abs=1e-7)
    assert cormack_correction(0.0, 500) == pytest.approx(math.lgamma(501) - 500 * math.log(500))


tables = st.lists(st.integers(min_value=0, max_value=60), min_size=7, max_size=7).filter(
    lambda c: sum(c[3:]) >= 3 and all(c[j] + sum(c[3:]) > 0 for j in range(3))
)


@settings(max_examples=40, deadline=None)
@given(counts=tables, order=st.permutations([0, 1, 2]))
def test_mt_invariant_to_list_order_and_never_below_n(counts, order):
    pats = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]])
    table = CaptureTable.from_arrays(["A", "B", "C"], pats, counts)
    names = [table.lists[j] for j in order]
    permuted = CaptureTable.from_arrays(names, pats[:, order], counts)
    a, b = estimate(table, "mt"), estimate(permuted, "mt")
    assert a.estimable == b.estimable
    if a.estimable:
        assert a.n_hat >= table.n_observed
        assert b.n_hat == pytest.approx(a.n_hat, rel=1e-7)
        assert b.ci_low == pytest.approx(a.ci_low, rel=1e-6)
        assert a.ci_low >= table.n_observed - 1e-9
