import math

import numpy as np
import pytest
from conftest import DATASETS, assert_sig, benchmark_table, reference, reference_number, sig_tolerance
from hypothesis import given, settings
from hypothesis import strategies as st
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
    assert set(d.pearson_residuals) == {"".join(map(str, p)) for p in hiv.cells()[0]}
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


# ------------------------------------------------------------- loglinear --model
from undercount.errors import MethodError  # noqa: E402
from undercount.estimators.loglinear import fit_spec, terms_spec  # noqa: E402

CI2_ROWS = reference("rcapture-ci[~(.)^2]")


def empty_pairs(table):
    patterns, counts = table.cells()
    out = []
    for i in range(table.k):
        for j in range(i + 1, table.k):
            if counts[(patterns[:, i] == 1) & (patterns[:, j] == 1)].sum() == 0:
                out.append(f"{table.lists[i]}:{table.lists[j]}")
    return out


@pytest.mark.parametrize(
    "row",
    [r for r in CI2_ROWS.to_dict("records") if r["dataset"] != "Artificial_3"],
    ids=[d for d in CI2_ROWS["dataset"] if d != "Artificial_3"],
)
def test_all_two_list_interactions_match_rcapture(row):
    """Rcapture closedpCI.t(mX=~(.)^2), 4 significant digits.

    Where two lists share no one, the model's MLE does not exist: by default
    we refuse, naming the pairs. Rcapture's glm runs into the boundary and
    prints the limit of its iterations, which is the fit with those
    interactions at minus infinity; empty_overlaps=minus-infinity computes that
    limit exactly, and it agrees with R.
    """
    table = benchmark_table(row["dataset"])
    default = estimate(table, "loglinear", model="(.)^2")
    empty = empty_pairs(table)
    if empty:
        assert not default.estimable
        assert "does not exist" in default.warnings[-1]
        for pair in empty:
            assert f"({pair})" in default.warnings[-1]
        result = estimate(table, "loglinear", model="(.)^2", settings={"empty_overlaps": "minus-infinity"})
        assert list(result.details["minus_infinity_terms"]) == empty
        assert "minus infinity" in result.warnings[0]
    else:
        result = default
        assert result.warnings == ()
    assert_sig(result.n_hat, float(row["n_hat"]), what="n_hat")
    if row["dataset"] != "hare":  # see test_rcapture_cormack_switches_to_stirling
        assert_sig(result.ci_low, reference_number(row["ci_low"]), what="ci_low")
    high = reference_number(row["ci_high"])
    if high is None:
        # Rcapture gave up at 3 x N-hat and printed '>x': our bound lies beyond x
        assert result.ci_high > float(row["ci_high"][1:])
    else:
        assert_sig(result.ci_high, high, what="ci_high")


def test_rcapture_cormack_switches_to_stirling():
    """Rcapture uses Stirling's form of Cormack's correction once N > 100.

    ``n0 - N - log(n0/N)/2`` drops the ``1/(12N) - 1/(12 n0)`` terms, which
    matter when few people are unobserved: on the hare table the lower bound
    of the (.)^2 model moves by 0.006 (R 77.5233, exact 77.517), one unit too
    many in the 4th digit. With R's approximation we reproduce R's bounds to
    every printed digit; we keep the exact correction.
    """
    from scipy.special import gammaln, xlogy

    def rcapture_correction(n0, n):
        N = n + n0
        if N > 100:
            return n0 - N - 0.5 * math.log(n0 / N) if n0 > 0 else float(gammaln(N + 1) - xlogy(N, N))
        return cormack_correction(n0, n)

    row = CI2_ROWS.set_index("dataset").loc["hare"]
    table = benchmark_table("hare")
    patterns, counts = table.cells()
    from undercount.estimators.formula import parse_formula

    fit = fit_spec(counts, terms_spec(patterns, counts, parse_formula("(.)^2", table.lists), table.lists))
    exact = profile_interval(fit.spec.X, counts, table.n_observed, fit.n_hat)
    as_r = profile_interval(fit.spec.X, counts, table.n_observed, fit.n_hat, correction=rcapture_correction)
    assert as_r.low == pytest.approx(float(row["ci_low"]), abs=5e-5)
    assert as_r.high == pytest.approx(float(row["ci_high"]), abs=5e-4)
    assert abs(exact.low - float(row["ci_low"])) > sig_tolerance(float(row["ci_low"]))
    assert exact.low == pytest.approx(float(row["ci_low"]), rel=1e-4)


def test_artificial_3_all_pairs_has_no_estimate():
    """Rcapture prints N = 5.3e13 (interval 96 to >1.6e14) for (.)^2 on Artificial_3.

    A and C, and B and C, share no one and 101, 011, 111 are empty: the MLE
    does not exist, and the number R prints is wherever glm stopped (our own
    boundary fit stops elsewhere, also above 1e10). With the two empty pairs
    at minus infinity four cells are left for five parameters: not
    identifiable either. There is no honest estimate.
    """
    row = CI2_ROWS.set_index("dataset").loc["Artificial_3"]
    assert float(row["n_hat"]) > 1e13
    table = benchmark_table("Artificial_3")
    result = estimate(table, "loglinear", model="(.)^2")
    assert not result.estimable
    assert "(A:C)" in result.warnings[-1] and "(B:C)" in result.warnings[-1]
    assert result.details["boundary_fit_n_hat"] > 1e10
    minus = estimate(table, "loglinear", model="(.)^2", settings={"empty_overlaps": "minus-infinity"})
    assert not minus.estimable
    assert "not identifiable" in minus.warnings[-1]


def test_loglinear_needs_a_model(hiv):
    with pytest.raises(MethodError, match="needs --model"):
        estimate(hiv, "loglinear")


def test_loglinear_of_main_effects_is_mt(hiv):
    a = estimate(hiv, "loglinear", model="c1 + c2 + c3 + c4")
    b = estimate(hiv, "mt")
    assert a.n_hat == b.n_hat and a.ci_low == b.ci_low
    assert a.details["df"] == 10 and a.details["formula"] == "c1 + c2 + c3 + c4"


SPARSE0 = reference("sparsemse-0").set_index("dataset")


@pytest.mark.parametrize("dataset", ["HIV", "NewOrl_5", "hare", "Artificial_3"])
def test_lognormal_interval_matches_sparsemse(dataset):
    """SparseMSE's estimatepopulation.0 selects main effects only on these tables.

    Its interval is log-normal on the dark figure: n + exp(b0 -+ 1.96 se(b0)).
    """
    row = SPARSE0.loc[dataset]
    result = estimate(benchmark_table(dataset), "mt", settings={"interval": "lognormal"})
    assert_sig(result.ci_low, float(row["ci_low"]), what="ci_low")
    assert_sig(result.ci_high, float(row["ci_high"]), what="ci_high")
    b0, se = math.log(result.n_hat - result.n_observed), result.details["log_dark_se"]
    assert result.ci_high == pytest.approx(result.n_observed + math.exp(b0 + 1.959963984540054 * se))


def test_details_carry_cells_for_the_residual_figure(hiv):
    d = estimate(hiv, "loglinear", model="c1*c2 + c3 + c4").details
    cells = d["cells"]
    assert len(cells) == 15
    fitted = sum(c["fitted"] for c in cells)
    assert fitted == pytest.approx(hiv.n_observed, rel=1e-8)  # the intercept's score equation
    for c in cells:
        if c["fitted"] > 0:
            assert c["pearson"] == pytest.approx((c["observed"] - c["fitted"]) / math.sqrt(c["fitted"]))
    assert d.pearson_residuals["1100"] == cells[4]["pearson"]


def test_minus_infinity_cells_are_structural_zeros():
    table = benchmark_table("Ned_5")
    result = estimate(table, "loglinear", model="(.)^2", settings={"empty_overlaps": "minus-infinity"})
    deleted = [c for c in result.details["cells"] if c["deleted"]]
    # K and R share no one: every pattern with both K and R is deleted
    assert {c["pattern"] for c in deleted} == {
        "".join(map(str, p)) for p in table.cells()[0] if p[1] == 1 and p[3] == 1
    }
    assert all(c["fitted"] == 0 and math.isnan(c["pearson"]) for c in deleted)  # no residual
    assert result.details["n_params"] == 16  # 15 fitted coefficients + K:R at minus infinity


@settings(max_examples=30, deadline=None)
@given(counts=tables, order=st.permutations([0, 1, 2]))
def test_two_list_interaction_model_invariant_to_list_order(counts, order):
    pats = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]])
    table = CaptureTable.from_arrays(["A", "B", "C"], pats, counts)
    names = [table.lists[j] for j in order]
    permuted = CaptureTable.from_arrays(names, pats[:, order], counts)
    a = estimate(table, "loglinear", model="A*B + A*C", settings={"interval": "lognormal"})
    b = estimate(permuted, "loglinear", model="A*B + A*C", settings={"interval": "lognormal"})
    assert a.estimable == b.estimable
    if a.estimable:
        assert a.n_hat >= table.n_observed
        assert b.n_hat == pytest.approx(a.n_hat, rel=1e-6)
