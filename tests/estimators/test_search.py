import itertools
import math

import numpy as np
import pytest
from conftest import DATASETS, assert_sig, benchmark_table, reference
from hypothesis import given, settings
from hypothesis import strategies as st

from undercount.estimators import estimate
from undercount.estimators.loglinear import fit_spec, main_effects, terms_spec
from undercount.estimators.search import hierarchical_models, model_average, select_model

BEST = reference("rcapture-best")


@pytest.mark.parametrize("k, count", [(2, 1), (3, 8), (4, 113), (5, 6893)])
def test_number_of_hierarchical_models(k, count):
    models = hierarchical_models(k)
    assert len(models) == count == len(set(frozenset(m) for m in models))
    for m in models[:: max(1, count // 200)]:
        terms = set(m)
        assert tuple(range(k)) not in terms
        for t in terms:  # hierarchical: every sub-term of size >= 2 is present
            for r in range(2, len(t)):
                assert all(s in terms for s in itertools.combinations(t, r))


def test_reference_covers_every_table():
    assert sorted(BEST["dataset"]) == DATASETS


@pytest.mark.parametrize(
    "row",
    [r for r in BEST.to_dict("records") if r["dataset"] != "Artificial_3"],
    ids=[d for d in BEST["dataset"] if d != "Artificial_3"],
)
def test_rcapture_best_bic(row):
    """Rcapture closedp.t's minimum-BIC model and its profile interval, 4 digits."""
    # Rcapture's interval is the selected model's own: selection_interval=conditional
    result = estimate(
        benchmark_table(row["dataset"]),
        "loglinear-bic",
        settings={"candidates": "rcapture", "selection_interval": "conditional"},
    )
    assert_sig(result.n_hat, float(row["n_hat"]), what="n_hat")
    assert_sig(result.ci_low, float(row["ci_low"]), what="ci_low")
    assert_sig(result.ci_high, float(row["ci_high"]), what="ci_high")
    assert result.details["models_compared"] >= 8


def test_spina_bifida_tie_is_reported():
    """With three lists, Mth Poisson2, Darroch and Gamma3.5 span the same design.

    They fit identically (same BIC) but extrapolate to 675, 649 and 637:
    Rcapture takes the first in its table, so do we, and we say so.
    """
    result = estimate(benchmark_table("spina_bifida"), "loglinear-bic", settings={"candidates": "rcapture"})
    assert result.model == "Mth Poisson2"
    top = result.details["top_models"][:3]
    assert [m["model"] for m in top] == ["Mth Poisson2", "Mth Darroch", "Mth Gamma3.5"]
    assert top[0]["bic"] == pytest.approx(top[2]["bic"], abs=1e-6)
    assert any("exactly equally well" in w and "649.1" in w for w in result.warnings)


def test_artificial_3_rcapture_choice_is_a_boundary_fit():
    """Rcapture's BIC choice on Artificial_3 is N = n = 96, unflagged.

    The Poisson, Darroch and Gamma heterogeneity models have no MLE here:
    their fits run to the boundary, where the unobserved cell is empty (N =
    96). Rcapture compares their boundary likelihoods with everyone else's
    and picks one. (Our boundary BICs are 50.7 for Mth, above Mt's 46.4; R's
    glm drops a numerically aliased column at the boundary, one parameter
    less, which is consistent with it preferring an Mth model at 46.2.) We
    leave models without an MLE out: the choice is Mt, 539.1, Rcapture's own
    Mt estimate, and the warning names the boundary models.
    """
    row = BEST.set_index("dataset").loc["Artificial_3"]
    table = benchmark_table("Artificial_3")
    assert float(row["n_hat"]) == table.n_observed
    result = estimate(table, "loglinear-bic", settings={"candidates": "rcapture"})
    assert result.model == "Mt"
    mt_row = reference("rcapture-mt").set_index("dataset").loc["Artificial_3"]
    assert_sig(result.n_hat, float(mt_row["n_hat"]))
    assert result.details["excluded"]["no_mle"] == 6
    patterns, counts = table.cells()
    sel = select_model(patterns, counts, table.lists, candidates="rcapture")
    boundary = [c for c in sel.candidates if not c.exists]
    assert {c.label for c in boundary} == {
        f"{b} {h}" for b in ("Mh", "Mth") for h in ("Poisson2", "Darroch", "Gamma3.5")
    }
    assert all(c.n_hat == pytest.approx(96, abs=0.01) for c in boundary)
    flagged = [w for w in result.warnings if "6 of Rcapture's 10 models" in w]
    assert flagged and "N = n = 96" in flagged[0] and "Mth Darroch" in flagged[0]


def test_boundary_winner_is_flagged():
    """When a model without MLE would have won, the warning says what another package may print.

    Only A and C overlap: Mth Poisson2 runs to the boundary (nobody unobserved,
    N = n = 193) with a smaller AIC on its supremum than Mt has at its MLE.
    """
    from undercount.histories import CaptureTable, observable_patterns

    table = CaptureTable.from_arrays(["A", "B", "C"], observable_patterns(3), [56, 51, 57, 0, 29, 0, 0])
    result = estimate(table, "loglinear-aic", settings={"candidates": "rcapture"})
    assert result.model == "Mt"
    assert any(
        "no maximum-likelihood estimate" in w
        and "Mth Poisson2" in w
        and "N = n = 193" in w
        and "smallest AIC on its boundary fit" in w
        for w in result.warnings
    )
    assert result.details["boundary_fits"]
    # the same flag for a hierarchical search, where excluded models are only named when one would win
    hier = estimate(table, "loglinear-aic")
    assert all("Rcapture's 10 models" not in w for w in hier.warnings)


def test_exhaustive_search_is_exhaustive(hiv):
    """On four lists every one of the 113 models is compared; check them one by one."""
    patterns, counts = hiv.cells()
    sel = select_model(patterns, counts, hiv.lists, criterion="aic")
    assert sel.search == "exhaustive" and len(sel.candidates) == 113
    best = None
    for m in hierarchical_models(4):
        fit = fit_spec(counts, terms_spec(patterns, counts, main_effects(4) + m, hiv.lists))
        if fit.ok and (best is None or fit.aic < best.aic - 1e-9):
            best = fit
    assert sel.best.label == best.spec.label
    assert sel.best.n_hat == pytest.approx(best.n_hat, rel=1e-8)
    assert sel.best.criterion("aic", hiv.n_observed) == pytest.approx(best.aic, rel=1e-10)


def test_model_average_and_top_models():
    result = estimate(benchmark_table("dga_MY5"), "loglinear-bic")
    d = result.details
    assert d["search"] == "exhaustive" and d["models_compared"] + sum(d["excluded"].values()) == 6893
    top = d["top_models"]
    assert len(top) == 10 and top[0]["model"] == result.model and top[0]["delta"] == 0
    assert all(a["bic"] <= b["bic"] for a, b in zip(top, top[1:]))
    avg = d["model_average"]
    assert 0 < avg["weight_of_selected"] <= 1 and avg["criterion"] == "bic"
    assert min(m["n_hat"] for m in top) * 0.5 < avg["n_hat"] < max(m["n_hat"] for m in top) * 1.5
    patterns, counts = benchmark_table("dga_MY5").cells()
    sel = select_model(patterns, counts, benchmark_table("dga_MY5").lists)
    w = model_average(sel)["weights"]
    assert w.sum() == pytest.approx(1.0) and w[0] == w.max()
    assert avg["n_hat"] == pytest.approx(sum(wi * c.n_hat for wi, (_, c) in zip(w, sel.ranked())))


def test_models_with_empty_overlaps_are_excluded():
    table = benchmark_table("NewOrl_5")  # A:H, C:H and D:H share no one
    patterns, counts = table.cells()
    sel = select_model(patterns, counts, table.lists)
    for c in sel.candidates:
        if c.ok:
            assert not {(0, 4), (2, 4), (3, 4)} & set(c.terms)
    minus = select_model(patterns, counts, table.lists, empty_overlaps="minus-infinity")
    assert any(c.minus_infinity for _, c in minus.ranked())


def test_greedy_search_ends_in_a_local_optimum():
    table = benchmark_table("UKdat")  # six lists: greedy by default
    patterns, counts = table.cells()
    sel = select_model(patterns, counts, table.lists, criterion="bic")
    assert sel.search == "greedy"
    n = table.n_observed
    best_value = sel.best.criterion("bic", n)
    current = set(sel.best.terms)
    inter = [t for r in (2, 3, 4, 5) for t in itertools.combinations(range(6), r)]
    for t in inter:  # no single hierarchical move improves
        if t in current:
            if any(set(t) < set(u) for u in current):
                continue
            move = current - {t}
        else:
            if any(s not in current for s in itertools.combinations(t, len(t) - 1) if len(s) >= 2):
                continue
            move = current | {t}
        fit = fit_spec(counts, terms_spec(patterns, counts, main_effects(6) + tuple(move), table.lists))
        if fit.ok:
            assert fit.bic >= best_value - 1e-6


def test_search_settings_checked(hiv):
    from undercount.errors import MethodError

    with pytest.raises(MethodError, match="one of"):
        estimate(hiv, "loglinear-bic", settings={"candidates": "all"})
    result = estimate(hiv, "loglinear-aic", settings={"search": "greedy", "interval": "lognormal"})
    assert result.details["search"] == "greedy" and math.isfinite(result.ci_high)


def test_artificial_3_documented_answers():
    """Chan, Silverman & Vincent (2021), Table 2, as the benchmark notes document it.

    Every model with A:B has no MLE (under either convention for the empty
    pairs A:C and B:C); with all three two-list terms and the empty ones at
    minus infinity, the parameters are not identifiable. None is ever reported.
    """
    table = benchmark_table("Artificial_3")
    patterns, counts = table.cells()
    for convention in ("fail", "minus-infinity"):
        for m in hierarchical_models(3):
            fit = fit_spec(counts, terms_spec(patterns, counts, main_effects(3) + m, table.lists, convention))
            if (0, 1) in m:
                assert not fit.ok
                if len(m) < 3:
                    assert fit.identifiable and not fit.exists
        everything = fit_spec(
            counts,
            terms_spec(
                patterns, counts, main_effects(3) + ((0, 1), (0, 2), (1, 2)), table.lists, "minus-infinity"
            ),
        )
        assert not everything.identifiable
    for method in ("loglinear-aic", "loglinear-bic"):
        assert estimate(table, method).model == "A + B + C"


@settings(max_examples=25, deadline=None)
@given(
    counts=st.lists(st.integers(min_value=0, max_value=50), min_size=7, max_size=7),
    order=st.permutations([0, 1, 2]),
)
def test_selection_invariant_to_list_order(counts, order):
    from undercount.histories import CaptureTable

    pats = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]])
    if sum(counts[3:]) == 0 or sum(counts) == 0:
        return
    table = CaptureTable.from_arrays(["A", "B", "C"], pats, counts)
    if table.k < 3:
        return
    permuted = CaptureTable.from_arrays([table.lists[j] for j in order], pats[:, order], counts)
    a = estimate(table, "loglinear-bic", settings={"interval": "lognormal"})
    b = estimate(permuted, "loglinear-bic", settings={"interval": "lognormal"})
    assert a.estimable == b.estimable
    if a.estimable:
        assert a.n_hat >= table.n_observed
        if "exactly equally well" not in " ".join(a.warnings):
            assert b.n_hat == pytest.approx(a.n_hat, rel=1e-6)
