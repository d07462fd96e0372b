"""The plain-Python kernels give the compiled kernels' doubles (beta, mu, log-likelihood), bit for bit.

A small fixed model is fitted by :mod:`undercount.estimators._kernels_py` so that a whole
``estimate`` process needs neither numba nor scipy; a search fits thousands of models with the
compiled :mod:`undercount.estimators._kernels`. Both must give one answer for one model, so the
iteration's numbers are compared with ``==``, not a tolerance: the same operations in the same
order on IEEE doubles give the same bits (numba does not fuse or reorder without fastmath). The
one exception is the inverse of the information (NumPy's LAPACK against numba's), compared to a
tolerance from its conditioning.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import DATASETS, benchmark_table
from hypothesis import given, settings
from hypothesis import strategies as st

from undercount.estimators import _kernels as K
from undercount.estimators import _kernels_py as KP
from undercount.estimators import loglinear as L
from undercount.histories import observable_patterns


def _designs(name):
    table = benchmark_table(name)
    patterns, counts = table.cells()
    k = table.k
    models = [
        L.main_effects(k),
        L.main_effects(k) + ((0, 1),),
        L.main_effects(k) + tuple(itertools.combinations(range(k), 2))[: k + 1],
    ]
    for terms in models:
        X = L.design_matrix(patterns, terms)
        if K.matrix_rank(X) == X.shape[1]:
            yield np.ascontiguousarray(X), counts.astype(float)


def _same_fit(X, y, beta0, use):
    a = K.newton_poisson(X, y, beta0, use, L.FIT_TOL, L.FIT_MAX_ITER)
    b = KP.newton_poisson(X, y, beta0, use, L.FIT_TOL, L.FIT_MAX_ITER)
    assert a[0].tobytes() == b[0].tobytes()
    assert a[1].tobytes() == b[1].tobytes()
    assert (a[2], bool(a[3]), a[4]) == (b[2], b[3], b[4])
    return a


@pytest.mark.parametrize("name", DATASETS)
def test_newton_is_bit_for_bit_the_compiled_one_on_every_benchmark_table(name):
    for X, y in _designs(name):
        p = X.shape[1]
        cold = _same_fit(X, y, np.zeros(p), 0)
        _same_fit(X, y, cold[0] + 0.01, 1)  # warm start that is worse or better than least squares
        _same_fit(X, y, cold[0] * 0.9, 2)  # trusted warm start
        # the profile likelihood's refits: the all-zero cell appended with a trial count
        Xz = np.ascontiguousarray(np.vstack([X, np.eye(1, p)]))
        for n0 in (0.0, 3.5, 1e3, 1e7):
            _same_fit(Xz, np.append(y, n0), cold[0], 1)


@settings(max_examples=60, deadline=None)
@given(
    k=st.integers(3, 5),
    seed=st.integers(0, 2**32 - 1),
    n_pairs=st.integers(0, 4),
    scale=st.sampled_from([0.3, 3.0, 40.0, 2000.0]),
)
def test_newton_is_bit_for_bit_the_compiled_one_on_random_tables(k, seed, n_pairs, scale):
    rng = np.random.default_rng(seed)
    patterns = observable_patterns(k)
    pairs = list(itertools.combinations(range(k), 2))[:n_pairs]
    X = np.ascontiguousarray(L.design_matrix(patterns, L.main_effects(k) + tuple(pairs)))
    y = rng.poisson(scale * rng.uniform(0.2, 1.5, len(patterns))).astype(float)
    if K.matrix_rank(X) < X.shape[1]:
        return
    _same_fit(X, y, np.zeros(X.shape[1]), 0)


@pytest.mark.parametrize("name", DATASETS)
def test_the_rest_agrees_with_the_compiled_kernels(name):
    for X, y in _designs(name):
        beta, mu, *_ = K.newton_poisson(X, y, np.zeros(X.shape[1]), 0, L.FIT_TOL, L.FIT_MAX_ITER)
        assert KP.matrix_rank(X) == K.matrix_rank(X)
        a, b = K.inverse_information(X, mu), KP.inverse_information(X, mu)
        # two LAPACK inverses of one symmetric matrix: they agree to its condition number x eps
        cond = np.linalg.cond(np.linalg.inv(a))
        np.testing.assert_allclose(b, a, rtol=0, atol=20 * cond * 2.2e-16 * np.abs(a).max())
        for have in (False, True):
            plain = KP.existence_precheck(X, y, mu, have)
            if plain != KP.UNDECIDED:  # what the plain pre-check decides, it decides as the compiled one
                assert plain == K.existence_precheck(X, y, mu, have)


def test_the_constants_are_the_compiled_modules():
    assert (KP.ETA_LIMIT, KP.EXISTS, KP.DOES_NOT_EXIST, KP.UNDECIDED) == (
        K.ETA_LIMIT,
        K.EXISTS,
        K.DOES_NOT_EXIST,
        K.UNDECIDED,
    )


def test_the_switch_is_by_size():
    # mt on up to 7 lists (127 cells, 8 parameters) in plain Python; a 7-list model with all
    # two-list terms (29 parameters) and a search's designs go to numba
    assert KP.use_plain(127, 8)
    assert not KP.use_plain(127, 29)
    assert L.kernels(7, 4) is KP
    assert L.kernels(127, 29) is K


@pytest.mark.parametrize("name", ["spina_bifida", "UKdat_5", "Ned", "hare"])
def test_a_fit_and_its_profile_interval_are_the_same_either_way(monkeypatch, name):
    """The same table and model through the plain kernels and, forced, through the compiled ones."""
    table = benchmark_table(name)
    patterns, counts = table.cells()
    spec = L.terms_spec(patterns, counts, L.main_effects(table.k), table.lists)

    def run():
        fit = L.fit_spec(counts, spec)
        prof = L.profile_interval(spec.X, counts, fit.n, fit.n_hat)
        return fit, prof

    plain_fit, plain_prof = run()
    monkeypatch.setattr(KP, "PLAIN_SIZE", -1)
    compiled_fit, compiled_prof = run()
    assert plain_fit.beta.tobytes() == compiled_fit.beta.tobytes()
    assert plain_fit.mu.tobytes() == compiled_fit.mu.tobytes()
    assert (plain_fit.deviance, plain_fit.loglik) == (compiled_fit.deviance, compiled_fit.loglik)
    assert plain_prof == compiled_prof
    np.testing.assert_allclose(plain_fit.cov, compiled_fit.cov, rtol=1e-12)
