import math

import numpy as np
import pytest
from conftest import benchmark_table

from undercount.errors import MethodError
from undercount.estimators import estimate
from undercount.estimators.coverage import coverage_statistics
from undercount.histories import CaptureTable, observable_patterns

# Hepatitis A outbreak, Taiwan 1995 (Chao et al. 2001), the example data of CARE1:
# lists P (135 cases), Q (122), E (126); 271 people.
HAV = CaptureTable.from_arrays(
    ["P", "Q", "E"],
    [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]],
    [69, 55, 63, 21, 17, 18, 28],
)


def test_hav_by_hand():
    """Every quantity of Chao & Tsay (1998) computed by hand for the HAV table."""
    s = {k: float(v[0]) for k, v in coverage_statistics(*HAV.cells()).items()}
    assert s["D"] == pytest.approx(271 - (69 + 55 + 63) / 3)
    C = 1 - (69 / 135 + 55 / 122 + 63 / 126) / 3
    assert s["C"] == pytest.approx(C)
    assert s["independence"] == pytest.approx(s["D"] / C)
    # A_ij: on no list but i or j, those on both counted twice; B_ij: the overlap of i and j
    A = {"PQ": 69 + 55 + 2 * 21, "PE": 69 + 63 + 2 * 17, "QE": 55 + 63 + 2 * 18}
    B = {"PQ": 21 + 28, "PE": 17 + 28, "QE": 18 + 28}
    n = {"P": 135, "Q": 122, "E": 126}
    ratio = {p: B[p] / (n[p[0]] * n[p[1]]) for p in A}
    high = (3 * s["D"] - sum(A.values())) / (3 * C - sum(A[p] * ratio[p] for p in A))
    assert s["high-coverage"] == pytest.approx(high)

    def step(N):
        return s["D"] / C + sum(A[p] * (N * ratio[p] - 1) for p in A) / (3 * C)

    assert s["low-coverage"] == pytest.approx(step(step(s["D"] / C)))
    assert (round(s["independence"]), round(s["high-coverage"]), round(s["low-coverage"])) == (407, 971, 508)


def test_two_lists_independence_is_lincoln_petersen():
    # with two lists the independence estimator is n1 n2 / m, and the
    # high-coverage numerator vanishes (two lists cannot show their dependence)
    s = coverage_statistics(observable_patterns(2), np.array([30, 20, 10]))
    assert float(s["independence"][0]) == pytest.approx(40 * 30 / 10)
    assert float(s["numerator"][0]) == 0


def test_low_coverage_warning_and_estimators():
    high = estimate(HAV, "sample-coverage", seed=1)
    assert high.details["coverage"] == pytest.approx(0.5127, abs=1e-4)
    assert "unstable" in high.warnings[0] and "low-coverage" in high.warnings[0]
    low = estimate(HAV, "sample-coverage", seed=1, settings={"estimator": "low-coverage"})
    assert low.n_hat == pytest.approx(high.details["estimates"]["low-coverage"])
    assert low.model == "sample coverage, low-coverage" and "little" in low.warnings[0]
    quiet = estimate(benchmark_table("spina_bifida"), "sample-coverage", seed=1)
    assert quiet.details["coverage"] > 0.55 and quiet.warnings == ()


def test_bootstrap_interval_is_lognormal_with_bootstrap_se():
    result = estimate(HAV, "sample-coverage", seed=7, settings={"estimator": "low-coverage", "nboot": 500})
    assert result.draws.kind == "bootstrap" and result.draws.size == 500
    se = np.std(result.draws.pooled, ddof=1)
    assert result.details["bootstrap_se"] == pytest.approx(se)
    f0 = result.n_hat - 271
    c = math.exp(1.959963984540054 * math.sqrt(math.log(1 + se**2 / f0**2)))
    assert (result.ci_low, result.ci_high) == pytest.approx((271 + f0 / c, 271 + f0 * c))
    again = estimate(HAV, "sample-coverage", seed=7, settings={"estimator": "low-coverage", "nboot": 500})
    np.testing.assert_array_equal(result.draws.pooled, again.draws.pooled)


def test_collapse_to_observed_is_flagged():
    # NewOrl_5: coverage 0.14, the high-coverage denominator is negative
    result = estimate(benchmark_table("NewOrl_5"), "sample-coverage", seed=1)
    assert result.n_hat == 185
    assert any("reported as the number observed" in w for w in result.warnings)


def test_needs_three_lists_and_a_seed():
    two = CaptureTable.from_arrays(["A", "B"], [[1, 0], [0, 1], [1, 1]], [30, 20, 10])
    with pytest.raises(MethodError, match="at least 3 lists"):
        estimate(two, "sample-coverage", seed=1)
    with pytest.raises(MethodError, match="--seed"):
        estimate(HAV, "sample-coverage")


def test_statistics_invariant_to_list_order():
    patterns, counts = benchmark_table("dga_MY5").cells()
    base = coverage_statistics(patterns, counts)
    rng = np.random.default_rng(0)
    for _ in range(5):
        order = rng.permutation(5)
        permuted = CaptureTable.from_arrays([f"L{j}" for j in order], patterns[:, order], counts)
        other = coverage_statistics(*permuted.cells())
        for key in ("C", "independence", "high-coverage", "low-coverage"):
            assert float(other[key][0]) == pytest.approx(float(base[key][0]), rel=1e-12)
