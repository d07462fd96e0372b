import numpy as np
from conftest import benchmark_table
from hypothesis import given, settings
from hypothesis import strategies as st

from undercount.estimators import _kernels as K
from undercount.estimators.glm import fit_poisson, mle_exists
from undercount.estimators.loglinear import design_matrix, main_effects
from undercount.histories import observable_patterns


def test_newton_matches_numpy_fitter():
    table = benchmark_table("HIV")
    patterns, counts = table.cells()
    X = design_matrix(patterns, main_effects(4) + ((0, 1), (0, 2), (1, 3)))
    y = counts.astype(float)
    beta, mu, ll_core, converged, _ = K.newton_poisson(X, y, np.zeros(X.shape[1]), 0, 1e-12, 100)
    ref = fit_poisson(X, y)
    assert converged
    # the same concave problem solved to a Newton decrement of 1e-12 on both sides
    np.testing.assert_allclose(beta, ref.beta, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(mu, ref.mu, rtol=1e-9)
    np.testing.assert_allclose(K.inverse_information(X, mu), ref.cov, rtol=1e-7)
    assert K.matrix_rank(X) == X.shape[1]


def test_warm_start_used_only_when_better():
    table = benchmark_table("HIV")
    patterns, counts = table.cells()
    X = design_matrix(patterns, main_effects(4))
    y = counts.astype(float)
    cold = K.newton_poisson(X, y, np.zeros(5), 0, 1e-12, 100)
    terrible = np.full(5, 30.0)  # exp(150): far worse than the least-squares start
    warm = K.newton_poisson(X, y, terrible, 1, 1e-12, 100)
    np.testing.assert_allclose(warm[0], cold[0], rtol=1e-9)


def _random_case(draw_counts, k, pairs_mask):
    import itertools

    patterns = observable_patterns(k)
    pairs = list(itertools.combinations(range(k), 2))
    terms = main_effects(k) + tuple(p for i, p in enumerate(pairs) if pairs_mask >> i & 1)
    X = design_matrix(patterns, terms)
    return X, np.asarray(draw_counts[: len(patterns)], dtype=float)


@settings(max_examples=150, deadline=None)
@given(
    k=st.sampled_from([3, 4]),
    counts=st.lists(st.sampled_from([0, 0, 0, 1, 2, 5]), min_size=15, max_size=15),
    pairs_mask=st.integers(min_value=0, max_value=63),
)
def test_existence_precheck_agrees_with_linear_programme(k, counts, pairs_mask):
    """The cheap exact cases never contradict the Fienberg-Rinaldo LP."""
    X, y = _random_case(counts, k, pairs_mask)
    if y.sum() == 0:
        return
    beta, mu, _, converged, _ = K.newton_poisson(X, y, np.zeros(X.shape[1]), 0, 1e-10, 100)
    lp = mle_exists(X, y)
    for have_mu in (False, True):
        code = K.existence_precheck(X, y, mu, have_mu and converged)
        if code != K.UNDECIDED:
            assert (code == K.EXISTS) == lp


def test_existence_precheck_decides_the_common_cases():
    patterns = observable_patterns(3)
    X = design_matrix(patterns, main_effects(3) + ((0, 1),))
    # no zero cell
    assert K.existence_precheck(X, np.arange(1.0, 8.0), np.zeros(7), False) == K.EXISTS
    # Artificial_3: zero cells 101, 011, 111; A:B's direction is unbounded (one-dimensional null space)
    y = np.array([40, 30, 20, 6, 0, 0, 0], dtype=float)
    assert K.existence_precheck(X, y, np.zeros(7), False) == K.DOES_NOT_EXIST
    assert not mle_exists(X, y)
