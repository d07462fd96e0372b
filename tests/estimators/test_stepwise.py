import math

import pytest
from conftest import DATASETS, assert_sig, benchmark_table, reference
from hypothesis import given, settings
from hypothesis import strategies as st

from undercount.estimators import estimate
from undercount.estimators.stepwise import stepwise_n_hat
from undercount.histories import CaptureTable

ROWS = reference("sparsemse-0")


def test_reference_covers_every_table():
    assert sorted(ROWS["dataset"]) == DATASETS


@pytest.mark.parametrize("row", ROWS.to_dict("records"), ids=list(ROWS["dataset"]))
def test_matches_sparsemse(row):
    """SparseMSE estimatepopulation.0: stepwise selection, log-normal interval, 4 digits.

    On Ned_5 and Ned SparseMSE sets the empty pairs (K:R; I:K and K:R) to minus
    infinity; so do we, by default, and the estimate agrees. The warning says
    what that assumed and what the selection gives without it.
    """
    result = estimate(benchmark_table(row["dataset"]), "stepwise")
    assert_sig(result.n_hat, float(row["n_hat"]), what="n_hat")
    assert_sig(result.ci_low, float(row["ci_low"]), what="ci_low")
    assert_sig(result.ci_high, float(row["ci_high"]), what="ci_high")


@pytest.mark.parametrize("dataset, published", [("NewOrl_5", 1034), ("Western", 2483), ("UKdat_5", 11313)])
def test_published_targets(dataset, published):
    """Chan, Silverman & Vincent (2021) report these totals for their stepwise method."""
    assert round(estimate(benchmark_table(dataset), "stepwise").n_hat) == published


def test_minus_infinity_warning_on_ned_5():
    table = benchmark_table("Ned_5")
    result = estimate(table, "stepwise")
    assert result.details["minus_infinity_terms"] == ("K:R",)
    warning = result.warnings[0]
    assert "K:R" in warning and "nobody can be on those lists together" in warning
    alt = result.details["without_minus_infinity"]
    never = estimate(table, "stepwise", settings={"empty_overlaps": "fail"})
    # the alternative the warning quotes is the selection that never adds empty pairs
    assert alt["n_hat"] == pytest.approx(never.n_hat)
    assert f"{never.n_hat:,.0f}" in warning
    assert "K:R" not in never.model and never.details["minus_infinity_terms"] == ()
    # the benchmark notes say the minus-infinity term "doubles the estimate": it is the
    # selected interactions that do; without K:R the estimate is higher still
    assert never.n_hat > result.n_hat > 2 * estimate(table, "mt").n_hat


def test_selection_is_recorded():
    result = estimate(benchmark_table("Western"), "stepwise")
    steps = result.details["selection"]
    assert [s["added"] for s in steps] == ["A:E", None]
    first = steps[0]["candidates"]
    assert first["A:E"]["observed"] == 6  # 5 on A and E only, 1 on A, C and E
    assert first["A:E"]["p"] < 0.02
    assert min(c["p"] for c in steps[1]["candidates"].values()) >= 0.02


def test_threshold_zero_is_independence(hiv):
    patterns, counts = hiv.cells()
    assert stepwise_n_hat(patterns, counts, hiv.lists, pthresh=0.0) == pytest.approx(
        estimate(hiv, "mt").n_hat
    )


def test_profile_interval_available():
    result = estimate(benchmark_table("spina_bifida"), "stepwise", settings={"interval": "profile"})
    same_model = estimate(benchmark_table("spina_bifida"), "loglinear", model=result.model)
    assert (result.ci_low, result.ci_high) == (same_model.ci_low, same_model.ci_high)


def test_pair_without_mle_is_refused():
    """SparseMSE's checkident: a pair whose model has no MLE gets p = 1.

    A and C (and B and C) share no one although independence expects about
    ten people on each pair (p < 0.001). With empty_overlaps=fail such a pair
    has no MLE and is refused; by default it becomes a minus-infinity term.
    """
    table = CaptureTable.from_arrays(
        ["A", "B", "C"], [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]], [40, 30, 20, 60]
    )
    refused = estimate(table, "stepwise", settings={"empty_overlaps": "fail"})
    first = refused.details["selection"][0]
    assert first["candidates"]["A:C"]["p"] < 0.001 and first["candidates"]["B:C"]["p"] < 0.001
    assert "refused" in first["candidates"]["A:C"] and "refused" in first["candidates"]["B:C"]
    assert first["added"] is None and refused.model == "A + B + C"
    default = estimate(table, "stepwise")
    assert default.details["minus_infinity_terms"] == ("A:C", "B:C")
    # the four remaining cells fit exactly; the unobserved cell is A-only x B-only / AB
    assert default.n_hat == pytest.approx(150 + 40 * 30 / 60, rel=1e-6)


tables4 = st.lists(st.integers(min_value=0, max_value=40), min_size=15, max_size=15).filter(
    lambda c: sum(c[4:]) >= 4 and min(sum(c[j] for j in range(15)) for _ in [0]) > 0
)


@settings(max_examples=25, deadline=None)
@given(counts=tables4)
def test_never_below_observed(counts):
    from undercount.histories import observable_patterns

    table = CaptureTable.from_arrays(["A", "B", "C", "D"], observable_patterns(4), counts)
    if table.k < 4 or any(v == 0 for v in table.list_sizes().values()):
        return
    result = estimate(table, "stepwise")
    if result.estimable:
        assert result.n_hat >= table.n_observed
        assert table.n_observed <= result.ci_low <= result.n_hat <= result.ci_high
    else:
        assert math.isnan(result.n_hat) and result.warnings
