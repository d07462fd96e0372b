import numpy as np
import statsmodels.api as sm
from conftest import benchmark_table

from undercount.estimators.glm import fit_poisson, mle_exists
from undercount.estimators.loglinear import design_matrix, main_effects


def _hiv_two_way():
    table = benchmark_table("HIV")
    patterns, counts = table.cells()
    terms = main_effects(4) + ((0, 1), (0, 2), (1, 3))
    return design_matrix(patterns, terms), counts


def test_matches_statsmodels_glm():
    X, y = _hiv_two_way()
    ours = fit_poisson(X, y)
    ref = sm.GLM(y, X, family=sm.families.Poisson()).fit(tol=1e-12)
    assert ours.converged
    # both solve the same concave problem; they agree to the optimiser tolerance
    np.testing.assert_allclose(ours.beta, ref.params, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ours.deviance, ref.deviance, rtol=1e-9)
    np.testing.assert_allclose(ours.loglik, ref.llf, rtol=1e-10)
    np.testing.assert_allclose(ours.cov, ref.cov_params(), rtol=1e-6)


def test_warm_start_reaches_same_fit():
    X, y = _hiv_two_way()
    cold = fit_poisson(X, y)
    warm = fit_poisson(X, y, beta0=cold.beta + 0.3)
    np.testing.assert_allclose(warm.beta, cold.beta, rtol=1e-8, atol=1e-10)


def test_existence_artificial_3():
    # Chan, Silverman & Vincent (2021), Table 2: every model with A:B has no MLE.
    table = benchmark_table("Artificial_3")
    patterns, counts = table.cells()
    assert mle_exists(design_matrix(patterns, main_effects(3)), counts)
    assert not mle_exists(design_matrix(patterns, main_effects(3) + ((0, 1),)), counts)
    # A and C, and B and C, share no one: their interaction terms have a zero
    # margin, which by itself puts the sufficient statistics on the boundary.
    assert not mle_exists(design_matrix(patterns, main_effects(3) + ((1, 2),)), counts)
    # a table with every cell positive has an MLE under any model
    assert mle_exists(design_matrix(patterns, main_effects(3) + ((0, 1), (1, 2))), counts + 1)


def test_rank_reported():
    X, y = _hiv_two_way()
    X2 = np.column_stack([X, X[:, 1]])
    assert fit_poisson(X2, y).rank == X.shape[1]
