"""combine.add (strata) and combine.mix (replicates): draws, never interval ends."""

import math

import numpy as np
import pytest
from scipy import stats

from undercount.errors import MethodError
from undercount.results import Draws, EstimateResult, combine, not_estimable


def posterior(values, n_observed=80, warnings=(), method="lcmcr", lists=("a", "b", "c")) -> EstimateResult:
    d = Draws.posterior(values)
    low, mid, high = np.quantile(d.pooled, [0.025, 0.5, 0.975])
    return EstimateResult(method, lists, n_observed, mid, low, high, warnings=tuple(warnings), draws=d)


def test_adding_draws_adds_distributions_not_interval_ends():
    rng = np.random.default_rng(1)
    a = np.sort(rng.normal(100, 10, 20_000))  # sorted on purpose: must not be added comonotonically
    b = np.sort(rng.normal(200, 10, 20_000))
    total = combine.add(
        {"a": posterior(a, 80), "b": posterior(b, 150)}, rng=np.random.default_rng(2), level=0.95
    )
    assert total.n_observed == 230
    # independent strata: sd of the sum is sqrt(10^2 + 10^2) = 14.1, not 20;
    # with 20,000 draws the sample sd is within about 1% of it
    assert np.std(total.draws.pooled) == pytest.approx(np.sqrt(200), rel=0.03)
    assert total.ci_high - total.ci_low == pytest.approx(2 * 1.96 * np.sqrt(200), rel=0.05)
    assert total.ci_high < np.quantile(a, 0.975) + np.quantile(b, 0.975)
    assert total.details.how == "sum" and [p.name for p in total.details.parts] == ["a", "b"]
    assert total.draws.kind == "posterior" and total.draws.values.shape == (1, 20_000)


def test_stratum_without_estimate_is_added_as_documented_with_a_warning():
    none = not_estimable("lcmcr", ("a", "b", "c"), 5, "stratum not estimable: too few")
    total = combine.add({"a": posterior([20.0, 22.0], 10), "b": none}, rng=np.random.default_rng(0))
    assert total.draws.pooled.min() >= 25
    assert "stratum b has no estimate: its 5 documented people are added" in total.warnings[-1]
    assert "stratum b: stratum not estimable: too few" in total.warnings  # its own reason, with its origin


def test_every_inputs_warnings_travel_with_their_origin():
    a = posterior([20.0, 22.0], 10, warnings=("linkage caveat", "only three lists"))
    b = posterior([30.0, 31.0], 12, warnings=("linkage caveat", "R-hat 1.2"))
    total = combine.add({"north": a, "south": b}, rng=np.random.default_rng(0))
    assert total.warnings == (
        "every stratum: linkage caveat",
        "stratum north: only three lists",
        "stratum south: R-hat 1.2",
    )
    pooled = combine.mix({"imputation 1": a, "imputation 2": b}, rng=np.random.default_rng(0))
    assert "replicate imputation 2: R-hat 1.2" in pooled.warnings


def test_total_refuses_interval_ends():
    mt = EstimateResult("mt", ("a", "b"), 10, 12.0, 10.0, 15.0)
    out = combine.add({"x": mt, "y": mt}, rng=np.random.default_rng(0))
    assert not out.estimable and "adding interval ends across strata is never done" in out.warnings[-1]
    assert math.isnan(out.ci_low) and out.draws is None


def test_total_refuses_draws_of_two_kinds_unless_told():
    boot = EstimateResult("x", ("a", "b"), 10, 12.0, 10.0, 15.0, draws=Draws.bootstrap([11.0, 12.0, 13.0]))
    post = EstimateResult("x", ("a", "b"), 10, 12.0, 10.0, 15.0, draws=Draws.posterior([12.0, 12.0]))
    out = combine.add({"x": boot, "y": post}, rng=np.random.default_rng(0))
    assert not out.estimable
    assert "different kinds (bootstrap for x; posterior for y)" in out.warnings[-1]
    told = combine.add({"x": boot, "y": post}, rng=np.random.default_rng(0), kinds="bootstrap")
    assert told.estimable and told.draws.kind == "bootstrap" and 23 <= told.n_hat <= 25


def test_draws_without_estimate_are_left_out_and_said():
    a = EstimateResult("x", ("a", "b"), 10, 21.0, 20.0, 22.0, draws=Draws.bootstrap([20.0, np.nan, 22.0]))
    b = EstimateResult("x", ("a", "b"), 5, 6.5, 6.0, 7.0, draws=Draws.bootstrap([6.0, 7.0]))
    total = combine.add({"a": a, "b": b}, rng=np.random.default_rng(0))
    assert np.isfinite(total.draws.pooled).all() and total.draws.size == 2
    assert "stratum a: 1 of 3 draws had no estimate and are left out of the sum" in total.warnings


def test_mix_pools_replicates_and_splits_the_variance():
    """Two replicates N(100, 10) and N(140, 10): within variance 100, between 400."""
    rng = np.random.default_rng(3)
    a, b = rng.normal(100, 10, (4, 5000)), rng.normal(140, 10, (4, 5000))
    pooled = combine.mix([posterior(a), posterior(b)])
    d = pooled.details
    assert d.how == "mixture" and pooled.draws.values.shape == (
        8,
        5000,
    )  # chains kept when pooled as they are
    assert d.within_variance == pytest.approx(100, rel=0.03)  # sampling error of a variance: ~0.7% here
    assert d.between_variance == pytest.approx(400, rel=0.03)
    assert np.var(pooled.draws.pooled) == pytest.approx(d.within_variance + d.between_variance, rel=1e-3)
    # the interval of the mixture is far wider than either replicate's, and most of its width is between
    assert d.width_share_between > 0.4 and d.width_share_within + d.width_share_between == pytest.approx(1)
    alpha = (1 - 0.95) / 2  # as the interval level gives it
    low, high = np.quantile(np.concatenate([a.ravel(), b.ravel()]), [alpha, 1 - alpha])
    assert (pooled.ci_low, pooled.ci_high) == (low, high)


def test_mix_weights_give_shares_of_the_pooled_draws():
    a, b = posterior(np.full(1000, 100.0)), posterior(np.full(1000, 200.0))
    with pytest.raises(MethodError, match="give rng"):
        combine.mix([a, b], weights=[3, 1])
    pooled = combine.mix([a, b], weights=[3, 1], rng=np.random.default_rng(0))
    assert np.mean(pooled.draws.pooled == 100.0) == 0.75
    assert [p.weight for p in pooled.details.parts] == [0.75, 0.25]
    with pytest.raises(MethodError, match="one weight per replicate"):
        combine.mix([a, b], weights=[1])


def test_mix_refuses_without_draws_and_points_to_rubin():
    mt = EstimateResult("mt", ("a", "b"), 10, 12.0, 10.5, 15.0)
    out = combine.mix([mt, mt])
    assert (
        not out.estimable
        and "how='rubin'" in out.warnings[-1]
        and "never by averaging interval ends" in out.warnings[-1]
    )
    none = not_estimable("mt", ("a", "b"), 10, "no MLE")
    assert not combine.mix([mt, none], how="rubin").estimable
    with pytest.raises(MethodError, match="one method"):
        combine.mix([mt, posterior([1.0, 2.0])])


def test_rubin_on_the_log_of_the_undocumented_number():
    """By hand: q = log(N - n), W = mean u, B = var q, T = W + (1 + 1/m) B, Student t."""
    z = stats.norm.ppf(0.975)
    rows = [(100, 150.0, 0.2), (100, 170.0, 0.25), (100, 160.0, 0.22)]
    results = []
    for n, n_hat, se in rows:  # log-normal intervals with a known se on log(N - n)
        dark = n_hat - n
        results.append(
            EstimateResult(
                "x", ("a", "b"), n, n_hat, n + dark * math.exp(-z * se), n + dark * math.exp(z * se)
            )
        )
    out = combine.mix(results, how="rubin")
    q = np.log([r[1] - r[0] for r in rows])
    u = np.array([r[2] for r in rows]) ** 2
    W, B, m = u.mean(), q.var(ddof=1), 3
    T = W + (1 + 1 / m) * B
    df = (m - 1) * (1 + W / ((1 + 1 / m) * B)) ** 2
    t = stats.t.ppf(0.975, df)
    assert out.n_hat == pytest.approx(100 + math.exp(q.mean()), rel=1e-12)
    assert out.ci_low == pytest.approx(100 + math.exp(q.mean() - t * math.sqrt(T)), rel=1e-12)
    assert out.ci_high == pytest.approx(100 + math.exp(q.mean() + t * math.sqrt(T)), rel=1e-12)
    assert out.details.within_variance == pytest.approx(W, rel=1e-9) and out.details.how == "rubin"
    with pytest.raises(MethodError, match="no weights"):
        combine.mix(results, weights=[1, 1, 1], how="rubin")


def test_grouped_warnings_name_their_replicates_once():
    """Fifty linkage draws would repeat one warning fifty times; grouped, it is one line that names them."""
    rhat, spread = "chains disagree (R-hat 1.2)", "a class at its bound"
    results = {
        str(r): posterior(
            [100.0 + r, 102.0 + r], warnings=[rhat] if r in (1, 2, 3, 7) else [spread] if r == 5 else []
        )
        for r in range(1, 9)
    }
    grouped = combine.mix(results, rng=np.random.default_rng(0), what="linkage draw", grouped=True)
    assert f"linkage draws 1-3, 7 (4 of 8): {rhat}" in grouped.warnings
    assert f"linkage draw 5: {spread}" in grouped.warnings
    assert sum(rhat in w for w in grouped.warnings) == 1
    # ungrouped (strata, imputations), every holder keeps its own line, as before
    plain = combine.mix(results, rng=np.random.default_rng(0), what="linkage draw")
    assert [w for w in plain.warnings if rhat in w] == [f"linkage draw {r}: {rhat}" for r in (1, 2, 3, 7)]
    # the numbers are the same either way
    assert (grouped.n_hat, grouped.ci_low, grouped.ci_high) == (plain.n_hat, plain.ci_low, plain.ci_high)


def test_grouped_refusal_shortens_the_draws_it_names():
    none = not_estimable("lcmcr", ("a", "b", "c"), 80, "not estimable: no list overlaps")
    results = {str(r): none for r in range(1, 51)}
    refused = combine.mix(results, rng=np.random.default_rng(0), what="linkage draw", grouped=True)
    assert not refused.estimable
    assert "linkage draw 1-50 has no estimate" in refused.warnings[-1]
    assert "linkage draw 2" not in refused.warnings[-1]


def test_name_list_shortens_runs_of_whole_numbers_only():
    assert combine.name_list(["1", "2", "3", "5", "7", "8"]) == "1-3, 5, 7-8"
    assert combine.name_list(["a", "b"]) == "a, b"
    assert combine.name_list(["2", "1", "01", "b", "3"]) == "2, 1, 01, b, 3"


def test_span_joins_the_models_intervals_and_keeps_the_first_models_point():
    lc = EstimateResult("lcmcr", ("a", "b", "c", "d"), 80, 120.0, 100.0, 150.0, warnings=("R-hat 1.2",))
    mg = EstimateResult(
        "mth-gamma",
        ("a", "b", "c", "d"),
        80,
        140.0,
        110.0,
        400.0,
        warnings=("misfit",),
        upper_uninformative=True,
    )
    s = combine.span({"lc": lc, "mg": mg})
    assert (s.method, s.n_hat, s.ci_low, s.ci_high) == ("span", 120.0, 100.0, 400.0)
    assert s.warnings == ("model lc: R-hat 1.2", "model mg: misfit")
    assert s.upper_uninformative  # the span's upper end is mg's, which says only "large"
    assert s.details.how == "span" and [p.name for p in s.details.parts] == ["lc", "mg"]
    assert s.settings == {"members": ["lc", "mg"]} and s.draws is None
    # the span's upper end is lc's: mg's uninformative end is not the span's
    narrow = EstimateResult("mth-gamma", lc.lists, 80, 110.0, 105.0, 130.0, upper_uninformative=True)
    assert not combine.span({"lc": lc, "mg": narrow}).upper_uninformative


def test_span_refuses_without_every_model_and_across_tables():
    lc = EstimateResult("lcmcr", ("a", "b", "c"), 80, 120.0, 100.0, 150.0)
    none = not_estimable("mth-gamma", ("a", "b", "c"), 80, "not estimable: no MLE")
    s = combine.span({"lc": lc, "mg": none})
    assert not s.estimable and "not estimable as a span: mg gave no estimate" in s.warnings[-1]
    with pytest.raises(MethodError, match="at least two models"):
        combine.span({"lc": lc})
    other = EstimateResult("mth-gamma", ("a", "b", "c"), 81, 120.0, 100.0, 150.0)
    with pytest.raises(MethodError, match="one table at one level"):
        combine.span({"lc": lc, "mg": other})
