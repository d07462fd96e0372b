"""The covariate-adjusted log-linear model: its fit against statsmodels, its checks, search and averaging."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from undercount.errors import MethodError, TableError
from undercount.estimators import estimate
from undercount.estimators.loglinear_cov import (
    CovariateTable,
    Model,
    candidate_models,
    design,
    dominance_warning,
    expand,
    fit_model,
    run_search,
)
from undercount.histories import CaptureTable


def simulate(seed: int, N: int = 6000, k: int = 3) -> tuple[CovariateTable, int]:
    """Lists whose catchability depends on sex and age: men and the young are found more by A and B."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["f", "m"], N)
    age = rng.choice(["0-17", "18-44", "45+"], N, p=[0.3, 0.4, 0.3])
    region = rng.choice(["north", "south"], N)
    base = np.array([-1.0, -1.2, -0.9, -1.1][:k])
    effect = (sex == "m")[:, None] * np.array([1.3, 1.2, 0.0, 0.2][:k]) + (age == "45+")[:, None] * np.array(
        [-0.8, -0.9, 0.3, 0.0][:k]
    )
    p = 1.0 / (1.0 + np.exp(-(base + effect)))
    cap = (rng.random((N, k)) < p).astype(int)
    seen = cap.any(axis=1)
    lists = ["A", "B", "C", "D"][:k]
    table = CovariateTable.from_people(
        lists,
        cap[seen],
        {"sex": list(sex[seen]), "age_band": list(age[seen]), "region": list(region[seen])},
    )
    return table, N


def statsmodels_fit(ex, model: Model):
    """The same model as a statsmodels GLM with a patsy formula: an independent design and fitter."""
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    rows = ex.row_patterns
    cells = ex.row_cells
    # list columns are renamed: a list called C would shadow patsy's C()
    frame = pd.DataFrame({f"L{name}": rows[:, j] for j, name in enumerate(ex.lists)})
    for j, v in enumerate(ex.covariates):
        frame[v] = [ex.levels[j][c] for c in cells[:, j]]
    frame["cell"] = [",".join(str(c) for c in row) for row in cells]
    frame["count"] = ex.counts
    terms = ["0", "C(cell)"] + [f"L{name}" for name in ex.lists]
    terms += [":".join(f"L{ex.lists[j]}" for j in t) for t in model.terms]
    terms += [f"L{name}:C({v})" for v in model.covariates for name in ex.lists]
    formula = "count ~ " + " + ".join(terms)
    glm = smf.glm(formula, frame, family=sm.families.Poisson())
    fitted = glm.fit(tol=1e-13, maxiter=200)
    zero = frame.drop_duplicates("cell").copy()
    for name in ex.lists:
        zero[f"L{name}"] = 0
    return glm, fitted, zero


@pytest.mark.parametrize(
    "model",
    [
        Model((), ("sex",)),
        Model(((0, 1),), ("sex", "age_band")),
        Model(((0, 1), (0, 2), (1, 2)), ("age_band", "region")),
    ],
    ids=lambda m: "+".join(map(str, m.terms)) + "|" + ",".join(m.covariates),
)
def test_fit_matches_statsmodels(model):
    """Deviance, coefficients and fitted unobserved counts agree with statsmodels' GLM.

    Tolerance: both fitters converge to the unique maximum of a strictly concave likelihood. Ours
    stops when the Newton decrement d'Id is below 1e-10, so the remaining step is below 1e-5 in the
    information norm: every coefficient within 1e-5 of its standard error, the deviance within 1e-10;
    statsmodels' IRLS runs to a relative deviance change of 1e-13. We allow 1e-4 standard errors
    (ten times the bound) and 1e-6 in deviance.
    """
    table, _ = simulate(3)
    ex = expand(table.with_covariates(["sex", "age_band", "region"]))
    ours = fit_model(ex, model, cov=True)
    assert ours.ok, ours.reason
    glm, ref, zero = statsmodels_fit(ex, model)
    X, names = design(ex, model)
    assert glm.exog.shape[1] == X.shape[1] == np.linalg.matrix_rank(glm.exog)
    assert abs(ours.deviance - ref.deviance) < 1e-6
    np.testing.assert_allclose(ours.mu, ref.fittedvalues.to_numpy(), rtol=1e-6)
    se = np.sqrt(np.diag(ours.cov))
    by_name = dict(zip(names, zip(ours.beta, se)))
    checked = 0
    for name in list(ex.lists) + [":".join(ex.lists[j] for j in t) for t in model.terms]:
        beta, s = by_name[name]
        ref_name = ":".join(f"L{part}" for part in name.split(":"))
        assert abs(beta - ref.params[ref_name]) < 1e-4 * s, name
        assert abs(s - ref.bse[ref_name]) < 1e-4 * s, name
        checked += 1
    for v in model.covariates:
        j = ex.covariates.index(v)
        for name in ex.lists:
            for level in ex.levels[j][1:]:
                beta, s = by_name[f"{name}:{v}[{level}]"]
                ref_name = f"L{name}:C({v})[T.{level}]"
                assert abs(beta - ref.params[ref_name]) < 1e-4 * s, ref_name
                checked += 1
    assert checked == len(names) - ex.n_cells
    # the unobserved cell of every covariate cell: exp(alpha_c), against statsmodels' prediction at x = 0
    predicted = ref.predict(zero).to_numpy()
    cell_se = se[: ex.n_cells]
    assert np.all(np.abs(np.log(ours.dark) - np.log(predicted)) < 1e-4 * cell_se)
    assert abs(ours.dark_total - predicted.sum()) < 1e-4 * math.sqrt(np.sum(ours.dark**2 * cell_se**2))


def test_catchability_intervals_match_statsmodels():
    """Each catchability share and its interval, recomputed from an independent statsmodels GLM.

    statsmodels fits the same model with its own design (patsy, no cell dummies of ours) and IRLS; the
    share is computed from its fitted and predicted counts, and the delta-method standard error of
    its logit from ``cov_params()`` with a gradient by central differences (step 1e-6 on each
    coefficient, an error of order 1e-12, far below the tolerance), so neither our design nor our
    analytic gradient is reused. The share and the standard error are functions of the fitted
    means, invariant to the parametrisation. Tolerance as in :func:`test_fit_matches_statsmodels`:
    both fits are within 1e-5 standard errors of the maximum, so the logit of every share and of
    every interval end agrees within 1e-4 of the logit's standard error.
    """
    from scipy.special import logit
    from scipy.stats import norm

    from undercount.estimators.loglinear_cov import catchability

    table, _ = simulate(3)
    ex = expand(table.with_covariates(["sex", "age_band", "region"]))
    model = Model(((0, 1),), ("sex", "age_band"))
    ours = catchability(ex, fit_model(ex, model, cov=True), level=0.9)
    glm, ref, zero = statsmodels_fit(ex, model)
    # the all-zero pattern of every covariate cell: every column with a list in it is 0 there, which
    # leaves the cell's own indicator of statsmodels' design
    exog_zero = np.array([[float(n == f"C(cell)[{c}]") for n in glm.exog_names] for c in zero["cell"]])
    assert (exog_zero.sum(axis=1) == 1).all()
    frame = glm.data.frame
    z = norm.ppf(0.95)
    assert len(ours) == 3 * (2 + 3 + 2)  # lists x levels of the three covariates
    for row in ours:
        level_rows = (frame[row["covariate"]] == row["level"]).to_numpy()
        level_zero = (zero[row["covariate"]] == row["level"]).to_numpy()
        on_rows = level_rows & (frame[f"L{row['list']}"] == 1).to_numpy()

        def logit_share(params, level_rows=level_rows, level_zero=level_zero, on_rows=on_rows):
            mu = np.exp(glm.exog @ params)
            dark = np.exp(exog_zero @ params)
            on = mu[on_rows].sum()
            return math.log(on) - math.log(mu[level_rows].sum() + dark[level_zero].sum() - on)

        params = ref.params.to_numpy()
        centre = logit_share(params)
        grad = np.zeros(len(params))
        for i in range(len(params)):
            step = np.zeros(len(params))
            step[i] = 1e-6
            grad[i] = (logit_share(params + step) - logit_share(params - step)) / 2e-6
        se = math.sqrt(grad @ ref.cov_params().to_numpy() @ grad)
        tol = 1e-4 * se
        assert abs(logit(row["share_documented"]) - centre) < tol, row
        assert abs(row["se_logit"] - se) < tol, row
        assert abs(logit(row["ci_low"]) - (centre - z * se)) < tol, row
        assert abs(logit(row["ci_high"]) - (centre + z * se)) < tol, row
        assert row["ci_level"] == 0.9 and "Wald" in row["ci_method"]


def test_covariates_remove_the_bias_that_mt_keeps():
    """Catchability of A and B rises together with sex and age: Mt, blind to it, is biased downwards.

    Over 12 datasets of N = 20,000 the averaged covariate model's mean is within 3 Monte Carlo
    standard errors of N, and Mt's is below N by more than 10 of its own.
    """
    from undercount.estimators.loglinear_cov import combined_dark

    cov, mt = [], []
    for seed in range(12):
        table, N = simulate(100 + seed, N=20000)
        ex = expand(table.with_covariates(["sex", "age_band"]))
        cov.append(table.n_observed + combined_dark(run_search(ex), ex))
        mt.append(estimate(table, "mt").n_hat)
    cov_a, mt_a = np.array(cov), np.array(mt)
    assert abs(cov_a.mean() - N) < 3 * cov_a.std(ddof=1) / math.sqrt(len(cov))
    assert N - mt_a.mean() > 10 * mt_a.std(ddof=1) / math.sqrt(len(mt))


def test_the_result_carries_weights_candidates_draws_and_catchability():
    table, N = simulate(11, N=20000)
    cov = estimate(
        table,
        "loglinear-cov",
        settings={"covariates": "sex,age_band", "nboot": 40, "progress": False, "workers": 1},
        seed=5,
    )
    assert cov.estimable and table.n_observed <= cov.ci_low < cov.n_hat < cov.ci_high
    extra = cov.details.extra
    assert extra["candidates_fitted"] == 8 * 4
    assert "every hierarchical list-interaction structure on 3 lists (8, " in extra["candidates"]
    weights = [m["weight"] for m in extra["top_models"]]
    assert weights == sorted(weights, reverse=True) and 0 < sum(weights) <= 1 + 1e-12
    averaged = sum(m["weight"] * m["n_hat"] for m in extra["top_models"])
    assert averaged == pytest.approx(cov.n_hat, rel=1e-3)  # the top 10 carry nearly all the weight here
    assert "[lists]:sex" in extra["selected_model"]
    assert cov.draws is not None and cov.draws.values.shape == (1, 40)
    assert cov.details.bootstrap.nboot == 40
    # catchability: A finds men more often than women, and the old less often than the young
    share = {(r["covariate"], r["level"], r["list"]): r["share_documented"] for r in extra["catchability"]}
    assert share[("sex", "m", "A")] > share[("sex", "f", "A")]
    assert share[("age_band", "45+", "A")] < share[("age_band", "0-17", "A")]
    # the same seed gives the same numbers
    again = estimate(
        table,
        "loglinear-cov",
        settings={"covariates": "sex,age_band", "nboot": 40, "progress": False, "workers": 2},
        seed=5,
    )
    assert (again.n_hat, again.ci_low, again.ci_high) == (cov.n_hat, cov.ci_low, cov.ci_high)


def test_an_empty_margin_is_a_reason_not_a_number():
    """No one of one age band on list B: candidates with B x age_band are refused with that reason."""
    table, _ = simulate(5, N=3000)
    ex = expand(table.with_covariates(["age_band"]))
    keep = np.ones(len(ex.counts), dtype=bool)
    rows = ex.row_patterns
    band = ex.levels[0].index("45+")
    keep &= ~((ex.row_cells[:, 0] == band) & (rows[:, 1] == 1))
    from dataclasses import replace

    emptied = replace(ex, counts=np.where(keep, ex.counts, 0))
    fit = fit_model(emptied, Model((), ("age_band",)))
    assert not fit.ok
    assert "no one with age_band 45+ is on list B" in fit.reason
    # without the covariate term the model is fine
    assert fit_model(emptied, Model((), ())).ok
    fits = run_search(emptied)
    assert {f.ok for f in fits} == {True, False}


def test_a_capture_table_without_covariates_is_refused_with_the_reason():
    table = CaptureTable.from_arrays(
        ["A", "B", "C"], [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1]], [5] * 5
    )
    with pytest.raises(MethodError, match="person-level table"):
        estimate(table, "loglinear-cov", settings={"covariates": "sex"}, seed=1)


def test_missing_covariate_values_are_an_error_that_names_the_way_out():
    with pytest.raises(TableError, match=r"covariate sex is missing for 1 of 3 people: impute it"):
        CovariateTable.from_people(["A", "B"], [[1, 0], [0, 1], [1, 1]], {"sex": ["f", None, "m"]})


def test_unknown_covariate_named():
    table, _ = simulate(2, N=2000)
    with pytest.raises(MethodError, match="the table has no covariate"):
        table.with_covariates(["month"])
    with pytest.raises(MethodError, match="unknown covariate colour; the covariates are sex"):
        estimate(table, "loglinear-cov", settings={"covariates": "colour"}, seed=1)


def test_greedy_search_finds_the_exhaustive_best_here():
    table, _ = simulate(7, N=8000)
    ex = expand(table.with_covariates(["sex", "age_band", "region"]))
    assert len(candidate_models(ex)) == 64
    full = [f for f in run_search(ex) if f.ok]
    best = min(full, key=lambda f: f.criterion("aic", int(ex.counts.sum())))
    from dataclasses import replace

    greedy = [f for f in run_search(replace(ex, search="greedy")) if f.ok]
    assert len(greedy) < 64
    assert min(greedy, key=lambda f: f.criterion("aic", int(ex.counts.sum()))).label == best.label


def test_dominance_warning_names_the_models():
    class Fake:
        def __init__(self, label, dark):
            self.label, self.dark_total = label, dark

    ok = [Fake("small", 100.0), Fake("huge", 100000.0)]
    text, names = dominance_warning(ok, np.array([0.6, 0.4]), 1000, 5.0)
    assert names == ["huge"] and text is not None and "huge (weight 0.400, 100,000 undocumented)" in text
    text, names = dominance_warning(ok, np.array([0.9999, 0.0001]), 1000, 5.0)
    assert text is None and names == ["huge"]


def test_without_covariates_it_averages_list_structures_with_the_warning():
    table, _ = simulate(4, N=3000)
    pooled = CaptureTable.from_arrays(table.lists, table.patterns, table.counts)
    result = estimate(
        pooled, "loglinear-cov", settings={"nboot": 20, "workers": 1, "progress": False}, seed=2
    )
    assert result.estimable and result.details.extra["candidates_fitted"] == 8
    assert any("no covariates given" in w for w in result.warnings)
    assert result.details.extra["covariate_cells"] == 1
