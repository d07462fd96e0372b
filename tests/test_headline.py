"""The headline estimate, the envelope of the families, and the number undocumented."""

from __future__ import annotations

import math

import numpy as np
import pytest

from undercount import headline
from undercount.results import Draws, EstimateResult, not_estimable


def result(
    method: str, n_hat: float, low: float, high: float, *, n: int = 100, k: int = 4, **kw
) -> EstimateResult:
    lists = tuple(f"L{i}" for i in range(k))
    return EstimateResult(method, lists, n, n_hat, low, high, **kw)


def test_auto_prefers_latent_classes_with_four_lists_and_never_mt():
    results = {"mt": result("mt", 120, 110, 130), "lcmcr": result("lcmcr", 160, 130, 220)}
    chosen = headline.choose(results, n_lists=4)
    assert chosen.label == "lcmcr" and chosen.result is results["lcmcr"]
    assert "4 lists" in chosen.reason and "headline: auto" in chosen.reason
    only_mt = headline.choose({"mt": results["mt"]}, n_lists=4)
    assert only_mt.label is None and only_mt.result is None and "No headline" in only_mt.reason


def test_auto_with_three_lists_follows_the_rule_and_never_takes_chapman():
    results = {
        "chapman-largest": result("chapman", 150, 130, 180, k=3),
        "mt": result("mt", 140, 130, 150, k=3),
        "sc": result("sample-coverage", 170, 140, 230, k=3),
        "sel": result("loglinear-bic", 160, 140, 200, k=3),
    }
    chosen = headline.choose(results, n_lists=3)
    assert chosen.label == "sc"  # the row for 3 lists: lcmcr (not configured), then sample-coverage
    assert headline.choose({"c": results["chapman-largest"]}, n_lists=3).label is None
    assert headline.choose({"c": result("chapman", 150, 130, 180, k=2)}, n_lists=2).label == "c"


def test_auto_skips_a_preferred_method_that_gave_no_estimate():
    results = {
        "lcmcr": not_estimable("lcmcr", ("a", "b", "c", "d"), 100, "not estimable: chains did not mix"),
        "dga": result("dga", 150, 120, 190),
    }
    assert headline.choose(results, n_lists=4).label == "dga"


def test_a_configured_label_is_the_headline_even_without_an_estimate():
    broken = not_estimable("lcmcr", ("a", "b", "c"), 100, "not estimable: x")
    chosen = headline.choose({"lc": broken, "sel": result("stepwise-bca", 1, 1, 1)}, n_lists=3, headline="lc")
    assert chosen.label == "lc" and not chosen.estimable
    assert "configuration chooses it" in chosen.reason and "no estimate" in chosen.reason
    with pytest.raises(KeyError, match="'nope' is not a configured method"):
        headline.choose({"lc": broken}, n_lists=3, headline="nope")


def test_the_rule_is_data_that_a_caller_can_replace():
    results = {"mt": result("mt", 120, 110, 130), "lcmcr": result("lcmcr", 160, 130, 220)}
    assert headline.choose(results, n_lists=4, rule=((2, ("mt",)),)).label == "mt"
    assert headline.preferred(1) == ()
    assert headline.preferred(9) == headline.AUTO_RULE[0][1]


def test_envelope_spans_the_families_and_warns_when_they_do_not_overlap():
    agree = {
        "mt": result("mt", 120, 110, 130),
        "sel": result("stepwise-bca", 125, 105, 150),
        "lcmcr": result("lcmcr", 140, 115, 200),
    }
    env = headline.envelope(agree)
    assert (env.low, env.high) == (105, 200) and env.overlap and env.warning is None
    assert env.families["log-linear"] == (105, 150, ("mt", "sel"))
    apart = dict(agree, lcmcr=result("lcmcr", 400, 300, 600))
    env = headline.envelope(apart)
    assert not env.overlap and (env.low, env.high) == (105, 600)
    assert "do not overlap" in env.warning and "latent classes (LCMCR): 300 to 600" in env.warning
    empty = headline.envelope({"x": not_estimable("mt", ("a", "b"), 5, "no")})
    assert math.isnan(empty.low) and empty.overlap


def test_undocumented_comes_from_the_draws_where_there_are_draws():
    rng = np.random.default_rng(1)
    values = rng.normal(200, 20, size=(2, 500))
    low, high = np.quantile(values.reshape(-1), [0.025, 0.975])
    r = result("lcmcr", float(np.median(values)), float(low), float(high), draws=Draws.posterior(values))
    u = headline.undocumented(r, documented=110)
    assert u.source == "draws"
    assert u.point == pytest.approx(r.n_hat - 110)
    # N - documented is a shift: the quantiles of the shifted draws are the shifted quantiles
    assert (u.low, u.high) == pytest.approx((low - 110, high - 110), abs=1e-9)
    plain = headline.undocumented(result("chapman", 150, 130, 180, k=2), documented=120)
    assert (plain.source, plain.point, plain.low, plain.high) == ("interval", 30, 10, 60)


def test_undocumented_is_never_negative_and_says_so():
    u = headline.undocumented(result("mt", 105, 95, 130), documented=100)
    assert (u.point, u.low, u.high) == (5, 0, 30) and "cannot be negative" in u.note
    none = headline.undocumented(not_estimable("mt", ("a", "b"), 5, "no"), documented=5)
    assert math.isnan(none.point) and none.source == "none"


def test_the_standing_caveat_says_every_method_is_biased_downwards_without_showing():
    text = headline.STANDING_CAVEAT
    assert "too low" in text and "no interval shows it" in text
    assert "not thereby confirmed" in headline.AGREEMENT_CAVEAT


def test_auto_with_four_lists_leads_with_the_span_of_lcmcr_and_mth_gamma():
    results = {
        "lc": result("lcmcr", 160, 130, 220),
        "mg": result("mth-gamma", 200, 150, 300, warnings=("the model does not fit the table",)),
        "dga": result("dga", 150, 120, 190),
    }
    chosen = headline.choose(results, n_lists=5)
    assert chosen.label == "span(lc, mg)" and chosen.is_span and list(chosen.members) == ["lc", "mg"]
    r = chosen.result
    assert (r.n_hat, r.ci_low, r.ci_high) == (160, 130, 300)
    assert r.warnings == ("model mg: the model does not fit the table",)
    assert "93%" in chosen.reason and "lc's estimate" in chosen.reason
    u = headline.undocumented(r, 100)
    assert (u.point, u.low, u.high, u.source) == (60, 30, 200, "interval")
    # with three lists the rule has no span: lcmcr alone
    three = {k: result(v.method, v.n_hat, v.ci_low, v.ci_high, k=3) for k, v in results.items()}
    assert headline.choose(three, n_lists=3).label == "lc"


def test_a_span_that_cannot_be_formed_gives_its_first_member_and_says_why():
    lc = result("lcmcr", 160, 130, 220)
    alone = headline.choose({"lc": lc, "mt": result("mt", 120, 110, 130)}, n_lists=4)
    assert alone.label == "lc" and not alone.is_span and alone.reason.startswith("lc is the headline")
    assert "could not be formed: mth-gamma (not configured)" in alone.reason
    broken = not_estimable("mth-gamma", lc.lists, 100, "not estimable: no MLE")
    chosen = headline.choose({"lc": lc, "mg": broken}, n_lists=4)
    assert chosen.label == "lc" and "mth-gamma (gave no estimate)" in chosen.reason


def test_a_configured_span_of_labels_is_the_headline():
    results = {"lc": result("lcmcr", 160, 130, 220), "sel": result("loglinear-bic", 140, 125, 170)}
    chosen = headline.choose(results, n_lists=4, headline="sel|lc")
    assert chosen.label == "span(sel, lc)" and chosen.result.n_hat == 140 and chosen.result.ci_high == 220
    assert "configuration chooses it" in chosen.reason
    with pytest.raises(KeyError, match="'nope' is not a configured method"):
        headline.choose(results, n_lists=4, headline="lc|nope")
