"""Compiled inner loops of the log-linear estimators (numba).

Capture-recapture fits are tiny (at most 63 cells and a few dozen
parameters) but are repeated hundreds of thousands of times: inside profile
likelihoods, exhaustive model searches (6,893 models for five lists) and
bootstraps that repeat a whole model selection per replicate. At that size a
NumPy call costs more in interpreter overhead than in arithmetic, so the
Newton iteration and the existence pre-check are compiled here, whole.

Nothing in this module knows about tables, models or formulas: it sees a
design matrix ``X`` (one row per cell, intercept first), counts ``y`` and
returns numbers. ``tests/estimators/test_kernels.py`` checks it against the
NumPy fitter in :mod:`undercount.estimators.glm` and against scipy's LP.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Linear predictors are clipped to this range so that exp() never overflows.
ETA_LIMIT = 700.0

#: Result codes of :func:`existence_precheck`.
EXISTS = 1
DOES_NOT_EXIST = 0
UNDECIDED = -1


@njit(cache=True)
def _eta_mu(X, beta):
    m, p = X.shape
    eta = np.empty(m)
    mu = np.empty(m)
    for i in range(m):
        s = 0.0
        for j in range(p):
            s += X[i, j] * beta[j]
        if s > ETA_LIMIT:
            s = ETA_LIMIT
        elif s < -ETA_LIMIT:
            s = -ETA_LIMIT
        eta[i] = s
        mu[i] = np.exp(s)
    return eta, mu


@njit(cache=True)
def _core_loglik(y, eta, mu):
    # sum(y * eta - mu): the Poisson log-likelihood without the log(y!) constant
    s = 0.0
    for i in range(len(y)):
        s += y[i] * eta[i] - mu[i]
    return s


@njit(cache=True)
def _cholesky_solve(A, b):
    """Solve A x = b for symmetric positive (semi)definite A.

    Returns (x, ok). A pivot that vanishes (relative to the diagonal) means A
    is singular in some direction; that direction is left out of the step
    (its pivot is treated as infinite), which is what a Newton step should do
    when the information matrix is numerically singular near a boundary.
    """
    p = A.shape[0]
    L = np.zeros((p, p))
    ok = True
    scale = 0.0
    for i in range(p):
        if A[i, i] > scale:
            scale = A[i, i]
    tiny = 1e-13 * scale if scale > 0 else 1e-300
    for j in range(p):
        s = A[j, j]
        for k in range(j):
            s -= L[j, k] * L[j, k]
        if s <= tiny:
            ok = False
            L[j, j] = np.inf
            for i in range(j + 1, p):
                L[i, j] = 0.0
            continue
        d = np.sqrt(s)
        L[j, j] = d
        for i in range(j + 1, p):
            t = A[i, j]
            for k in range(j):
                t -= L[i, k] * L[j, k]
            L[i, j] = t / d
    z = np.empty(p)
    for i in range(p):
        t = b[i]
        for k in range(i):
            t -= L[i, k] * z[k]
        z[i] = t / L[i, i]
    x = np.empty(p)
    for i in range(p - 1, -1, -1):
        t = z[i]
        for k in range(i + 1, p):
            t -= L[k, i] * x[k]
        x[i] = t / L[i, i]
    return x, ok


@njit(cache=True)
def _information(X, mu):
    m, p = X.shape
    info = np.zeros((p, p))
    for i in range(m):
        w = mu[i]
        for a in range(p):
            xa = X[i, a] * w
            if xa != 0.0:
                for b in range(a, p):
                    info[a, b] += xa * X[i, b]
    for a in range(p):
        for b in range(a):
            info[a, b] = info[b, a]
    return info


@njit(cache=True)
def start_values(X, y):
    """Least-squares fit of ``log(y + 0.5)`` on X: a start inside the domain."""
    z = np.log(y + 0.5)
    return np.linalg.lstsq(X, z)[0]


@njit(cache=True)
def newton_poisson(X, y, beta0, use_beta0, tol, max_iter):
    """Poisson log-linear maximum likelihood by Newton-Raphson with step halving.

    Parameters
    ----------
    X : (m, p) float64, C-contiguous, full column rank
    y : (m,) float64 counts
    beta0 : (p,) warm start, used when ``use_beta0`` is 1 and it is at least
        as good as the least-squares start, or always when ``use_beta0`` is 2
    tol : stop when the Newton decrement ``score' I^-1 score`` is below tol
    max_iter : iteration limit

    Returns
    -------
    beta, mu, loglik_core, converged, iterations
        ``loglik_core`` is ``sum(y eta - mu)`` (no ``log y!`` term). When the
        MLE does not exist the log-likelihood still converges to its supremum
        while some coefficients drift off; ``converged`` then usually stays
        False and the caller's existence check decides.
    """
    if use_beta0 == 2:  # trusted warm start (a nested model's MLE): no least-squares start
        beta = beta0.copy()
        eta, mu = _eta_mu(X, beta)
        ll = _core_loglik(y, eta, mu)
    else:
        beta = start_values(X, y)
        eta, mu = _eta_mu(X, beta)
        ll = _core_loglik(y, eta, mu)
        if use_beta0:
            eta_w, mu_w = _eta_mu(X, beta0)
            ll_w = _core_loglik(y, eta_w, mu_w)
            if ll_w >= ll:
                beta = beta0.copy()
                eta, mu, ll = eta_w, mu_w, ll_w
    m, p = X.shape
    converged = False
    it = 0
    score = np.empty(p)
    while it < max_iter:
        it += 1
        for a in range(p):
            s = 0.0
            for i in range(m):
                s += X[i, a] * (y[i] - mu[i])
            score[a] = s
        info = _information(X, mu)
        step, _ = _cholesky_solve(info, score)
        decrement = 0.0
        for a in range(p):
            decrement += score[a] * step[a]
        t = 1.0
        while True:
            new_beta = beta + t * step
            new_eta, new_mu = _eta_mu(X, new_beta)
            new_ll = _core_loglik(y, new_eta, new_mu)
            if new_ll >= ll - 1e-12 * (1.0 + abs(ll)) or t < 1e-10:
                break
            t *= 0.5
        beta, eta, mu, ll = new_beta, new_eta, new_mu, new_ll
        if decrement < tol:
            converged = True
            break
        if t < 1e-10:
            converged = decrement < 1e-6
            break
    return beta, mu, ll, converged, it


@njit(cache=True)
def inverse_information(X, mu):
    """``(X' diag(mu) X)^-1``: the asymptotic covariance of the coefficients."""
    return np.linalg.inv(_information(X, mu))


@njit(cache=True)
def matrix_rank(X):
    """Numerical rank (singular values above ``max(m, p) * eps * s_max``)."""
    if X.shape[0] == 0 or X.shape[1] == 0:
        return 0
    s = np.linalg.svd(X, False)[1]
    tol = s[0] * max(X.shape[0], X.shape[1]) * 2.220446049250313e-16 * 10.0
    r = 0
    for v in s:
        if v > tol:
            r += 1
    return r


@njit(cache=True)
def _positive_definite(G):
    """Cholesky succeeds with every pivot above 1e-10 of the largest diagonal entry."""
    p = G.shape[0]
    L = np.zeros((p, p))
    scale = 0.0
    for i in range(p):
        if G[i, i] > scale:
            scale = G[i, i]
    tiny = 1e-10 * scale
    for j in range(p):
        s = G[j, j]
        for k in range(j):
            s -= L[j, k] * L[j, k]
        if s <= tiny:
            return False
        d = np.sqrt(s)
        L[j, j] = d
        for i in range(j + 1, p):
            t = G[i, j]
            for k in range(j):
                t -= L[i, k] * L[j, k]
            L[i, j] = t / d
    return True


@njit(cache=True)
def existence_precheck(X, y, mu, have_mu):
    """Cheap exact cases of the Fienberg-Rinaldo existence question.

    The MLE fails to exist iff some non-zero ``d = X b`` is ``>= 0`` on every
    cell and ``0`` on every cell with a positive count (a direction in which
    the likelihood keeps rising). Such ``b`` lie in the null space of the
    rows of positive cells, ``X_P``; with ``Nb`` a basis of it and
    ``V = X_Z Nb`` (zero cells):

    * no zero cells, or ``X_P`` of full column rank: the MLE exists;
    * a one-dimensional null space: it fails iff ``V`` has one sign;
    * otherwise, a fitted mean vector ``mu`` (from a converged fit) gives a
      certificate: if its zero-cell part, projected onto the null space of
      ``V'``, stays strictly positive, a strictly positive vector with the
      same sufficient statistics exists (Stiemke's lemma), so the MLE exists.

    Anything else is left to the linear programme (``UNDECIDED``). ``X`` must
    have full column rank.
    """
    m, p = X.shape
    n_pos = 0
    for i in range(m):
        if y[i] > 0:
            n_pos += 1
    if n_pos == m:
        return EXISTS
    XP = np.empty((n_pos, p))
    XZ = np.empty((m - n_pos, p))
    zi = np.empty(m - n_pos, dtype=np.int64)
    a = 0
    b = 0
    for i in range(m):
        if y[i] > 0:
            XP[a, :] = X[i, :]
            a += 1
        else:
            XZ[b, :] = X[i, :]
            zi[b] = i
            b += 1
    if n_pos == 0:
        return DOES_NOT_EXIST
    # X_P of full column rank (the common case): a Cholesky factorisation of
    # X_P' X_P is far cheaper than the SVD below
    G = XP.T @ XP
    if _positive_definite(G):
        return EXISTS
    u, s, vt = np.linalg.svd(XP, True)  # full V': its last rows span the null space
    tol = s[0] * max(n_pos, p) * 2.220446049250313e-16 * 10.0
    r = 0
    for v in s:
        if v > tol:
            r += 1
    null_dim = p - r
    if null_dim == 0:
        return EXISTS
    Nb = vt[r:, :].T.copy()  # p x null_dim, orthonormal columns
    V = XZ @ Nb
    vmax = 0.0
    for i in range(V.shape[0]):
        for j in range(V.shape[1]):
            if abs(V[i, j]) > vmax:
                vmax = abs(V[i, j])
    vtol = 1e-9 * vmax
    if null_dim == 1:
        all_nonneg = True
        all_nonpos = True
        for i in range(V.shape[0]):
            if V[i, 0] < -vtol:
                all_nonneg = False
            if V[i, 0] > vtol:
                all_nonpos = False
        if all_nonneg or all_nonpos:
            return DOES_NOT_EXIST
        return EXISTS
    if not have_mu:
        return UNDECIDED
    w = np.empty(V.shape[0])
    wmax = 0.0
    for i in range(V.shape[0]):
        w[i] = mu[zi[i]]
        if w[i] > wmax:
            wmax = w[i]
    if wmax <= 0:
        return UNDECIDED
    coef = np.linalg.lstsq(V, w)[0]
    proj = w - V @ coef
    for i in range(len(proj)):
        if proj[i] <= 1e-7 * wmax:
            return UNDECIDED
    return EXISTS
