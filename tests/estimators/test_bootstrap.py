"""BCa bootstrap: agreement with SparseMSE within Monte Carlo error, reproducibility.

How the comparison with SparseMSE's ``estimatepopulation`` (1,000 replicates,
its own random numbers) is judged. A BCa end is the empirical quantile, at a
level set by ``z0`` and the acceleration ``a``, of B replicates. With the same
procedure, SparseMSE's end and ours differ only by Monte Carlo error:

* ``a`` comes from a jackknife and is deterministic: it must agree exactly;
* ``z0 = Phi^-1(s)``, ``s`` the share of replicates below N-hat, is binomial:
  on our replicates, ``s`` and its standard error for B = 1000 give a range of
  levels ``q(z0 +- 3 se)`` that SparseMSE's level lies in;
* at a level q SparseMSE's end is the order statistic of rank about ``q B`` of
  its 1000 replicates. If F is the bootstrap distribution function, the
  number of SparseMSE replicates below its reported value x is
  ``Binomial(1000, F(x))``. We estimate F(x) from our own replicates (with a
  99.8% Clopper-Pearson interval for the finite number of them) and require
  that the ranks this binomial makes plausible (central 99.8%) meet the ranks
  the plausible levels ask for.

This is the binomial order-statistic argument; it also covers ends that sit
at the most extreme replicate (Ned, Ned_5, NewOrl_5), where a standard error
would mislead. A test that this check rejects the plain percentile interval
shows it has power.
"""

import math

import numpy as np
import pytest
from conftest import DATASETS, benchmark_table, reference
from scipy import stats
from scipy.special import ndtri

from undercount.estimators import estimate
from undercount.estimators.bootstrap import bca_bootstrap, bca_levels
from undercount.estimators.stepwise import stepwise_n_hat

ROWS = reference("sparsemse").set_index("dataset")
B_R = 1000  # SparseMSE's nboot
ALPHA = 0.002  # two-sided error rate of each check (22 checks: about 4% for the whole file)


def plausible_ranks(ours: np.ndarray, x: float) -> tuple[int, int]:
    """Ranks (1-based) that x could have among 1000 replicates of the same bootstrap."""
    finite = ours[np.isfinite(ours)]
    below = int(np.sum(finite < x))
    lo_p, hi_p = stats.binomtest(below, len(finite)).proportion_ci(1 - ALPHA, method="exact")
    lo = int(stats.binom.ppf(ALPHA / 2, B_R, lo_p))
    hi = int(stats.binom.ppf(1 - ALPHA / 2, B_R, hi_p))
    return lo + 1, hi + 1


def plausible_levels(ours: np.ndarray, n_hat: float, a: float, end: int) -> tuple[float, float]:
    finite = ours[np.isfinite(ours)]
    s = float(np.mean(finite < n_hat))
    se = math.sqrt(s * (1 - s) * (1 / B_R + 1 / len(finite)))
    z = float(ndtri(0.5 - ALPHA / 2))  # about -3.1
    s_lo, s_hi = max(s + z * se, 0.5 / B_R), min(s - z * se, 1 - 0.5 / B_R)
    levels = [bca_levels(float(ndtri(v)), a, 0.95)[end] for v in (s_lo, s_hi)]
    return min(levels), max(levels)


def consistent(ours: np.ndarray, n_hat: float, a: float, end: int, x: float) -> bool:
    q_lo, q_hi = plausible_levels(ours, n_hat, a, end)
    # type-8 quantile at level q sits at rank q (B + 1/3) + 1/3
    need = (math.floor(q_lo * (B_R + 1 / 3) + 1 / 3), math.ceil(q_hi * (B_R + 1 / 3) + 1 / 3))
    need = (max(need[0], 1), min(need[1], B_R))
    have = plausible_ranks(ours, x)
    return have[0] <= need[1] and need[0] <= have[1]


@pytest.fixture(scope="module")
def bca_runs():
    """Our stepwise-bca on every table, 1000 replicates, one seed, both cores."""
    out = {}
    for name in DATASETS:
        out[name] = estimate(
            benchmark_table(name), "stepwise-bca", seed=20260101, settings={"progress": False}
        )
    return out


@pytest.mark.parametrize("dataset", DATASETS)
def test_bca_agrees_with_sparsemse_within_monte_carlo_error(bca_runs, dataset):
    row = ROWS.loc[dataset]
    result = bca_runs[dataset]
    assert result.n_hat == pytest.approx(float(row["n_hat"]), rel=5e-5)
    boot = result.details["bootstrap"]
    assert result.draws.size == 1000 and result.draws.kind == "bootstrap"
    if dataset == "Artificial_3":
        # the only overlap is 6 people on A and B: a replicate misses all of them with
        # probability (90/96)^96 = 0.2%, and then no model has an MLE (N is unbounded).
        # SparseMSE keeps glm's exploding boundary fit; we leave such replicates out
        # (NaN in draws) and say so. About 2 are expected; 10 would be a 1e-4 event.
        assert 0 <= boot["replicates_without_estimate"] <= 10
        assert any("no estimable model" in w for w in result.warnings)
    else:
        assert boot["replicates_without_estimate"] == 0
    for end, column in ((0, "ci_low"), (1, "ci_high")):
        x = float(row[column])
        assert consistent(result.draws.pooled, result.n_hat, boot["acceleration"], end, x), (
            f"{column}: SparseMSE {x} is not a plausible {B_R}-replicate BCa end given ours "
            f"({result.ci_low:.1f}, {result.ci_high:.1f}); plausible levels "
            f"{plausible_levels(result.draws.pooled, result.n_hat, boot['acceleration'], end)}"
        )


def test_check_rejects_the_percentile_interval(bca_runs):
    """Power: the plain 2.5%-97.5% percentile ends of our replicates are not SparseMSE's BCa ends."""
    rejected = 0
    for dataset in ("NewOrl_5", "Western", "HIV", "UKdat_5"):
        result = bca_runs[dataset]
        a = result.details["bootstrap"]["acceleration"]
        row = ROWS.loc[dataset]
        pct = np.quantile(result.draws.pooled, [0.025, 0.975], method="median_unbiased")
        # pretend SparseMSE had reported the percentile interval
        for end in (0, 1):
            if not consistent(result.draws.pooled, result.n_hat, a, end, float(pct[end])):
                rejected += 1
        assert consistent(result.draws.pooled, result.n_hat, a, 0, float(row["ci_low"]))
    assert rejected >= 4


def test_published_bca_intervals(bca_runs):
    """NewOrl_5 (589, 1,703) and Western (1,293, 3,670): the values of Chan et al. (2021)."""
    for dataset, (low, high) in {"NewOrl_5": (589, 1703), "Western": (1293, 3670)}.items():
        result = bca_runs[dataset]
        a = result.details["bootstrap"]["acceleration"]
        assert consistent(result.draws.pooled, result.n_hat, a, 0, low)
        assert consistent(result.draws.pooled, result.n_hat, a, 1, high)


def test_same_seed_same_result_whatever_the_number_of_workers():
    table = benchmark_table("NewOrl_5")
    one = estimate(table, "stepwise-bca", seed=5, settings={"nboot": 60, "workers": 1, "progress": False})
    two = estimate(table, "stepwise-bca", seed=5, settings={"nboot": 60, "workers": 2, "progress": False})
    np.testing.assert_array_equal(one.draws.pooled, two.draws.pooled)
    assert (one.ci_low, one.ci_high) == (two.ci_low, two.ci_high)
    other = estimate(table, "stepwise-bca", seed=6, settings={"nboot": 60, "workers": 1, "progress": False})
    assert not np.array_equal(one.draws.pooled, other.draws.pooled)


def test_bca_of_a_proportion_matches_theory():
    """A smooth statistic with a known answer: 100 x the share of one cell.

    Its bootstrap distribution is Binomial(n, p)/n; BCa, percentile and the
    Wald interval p +- 1.96 sqrt(p(1-p)/n) agree to O(1/n). With 4000
    replicates the ends carry a Monte Carlo error near 0.1 (points of
    percentage): we allow 0.5.
    """
    patterns = np.array([[1, 0], [0, 1], [1, 1]])
    counts = np.array([300, 500, 200])

    result = bca_bootstrap(
        _share_of_first,
        patterns,
        counts,
        ("A", "B"),
        estimate=30.0,
        rng=np.random.default_rng(3),
        nboot=4000,
        workers=1,
        progress=False,
    )
    half = 1.959963984540054 * math.sqrt(0.3 * 0.7 / 1000) * 100
    assert result.low == pytest.approx(30 - half, abs=0.5)
    assert result.high == pytest.approx(30 + half, abs=0.5)
    # the jackknife of a linear statistic has no skewness to speak of
    assert abs(result.acceleration) < 0.01
    assert result.monte_carlo_se[0] < 0.5


def _share_of_first(patterns, counts, lists):
    return 100.0 * counts[0] / counts.sum()


def test_replicates_without_estimate_are_reported():
    patterns = np.array([[1, 0], [0, 1], [1, 1]])
    result = bca_bootstrap(
        _nan_when_small,
        patterns,
        np.array([30, 30, 2]),
        ("A", "B"),
        estimate=50.0,
        rng=np.random.default_rng(1),
        nboot=200,
        workers=1,
        progress=False,
    )
    assert result.failed > 0
    assert np.isnan(result.replicates).sum() == result.failed
    assert "had no estimable model" in result.warnings[0]


def _nan_when_small(patterns, counts, lists):
    return math.nan if counts[2] < 2 else float(counts.sum() + counts[0])


def test_progress_bar_goes_to_stderr(capsys):
    table = benchmark_table("spina_bifida")
    patterns, counts = table.cells()
    bca_bootstrap(
        stepwise_n_hat,
        patterns,
        counts,
        table.lists,
        estimate=730.9,
        rng=np.random.default_rng(0),
        nboot=40,
        workers=1,
        progress=True,
        desc="stepwise-bca",
    )
    captured = capsys.readouterr()
    assert "stepwise-bca" in captured.err and captured.out == ""
