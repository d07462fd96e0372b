"""The log-linear kernels of :mod:`._kernels` as plain Python, for one small fit in a fresh process.

:mod:`._kernels` compiles the Newton iteration with numba, which pays off when a
process fits thousands of models (a search, a bootstrap) but costs a whole mt
process about 0.6 CPU seconds before its first number: numba's import, its
cache load, and scipy's BLAS look-up. A fixed model on a small table needs
none of that: this module runs the same iteration on Python floats, with the
same operations in the same order (every sum accumulated left to right from
0.0, ``math.exp`` and ``math.log`` where numba calls the C library's
``exp`` and ``log``), so ``beta``, ``mu`` and the log-likelihood are the same
doubles as the compiled kernels give. ``tests/estimators/test_kernels_py.py``
checks that, bit for bit, on every benchmark table and on random designs.

The linear algebra is not re-written: the least-squares start and the
inverse of the information go to NumPy's LAPACK (numba calls the same
routines through scipy's copy of it). The start has given the same doubles
on every table tried; the inverse can differ in its last bit (numba's
``inv`` factorises and inverts, NumPy's solves against the identity), so the
standard errors of a small fit may move by about 1e-16 relative.

:func:`use_plain` is the switch, by problem size, that
:func:`undercount.estimators.loglinear.fit_spec` and the profile likelihood
share: the command line and the workflow call the same functions, so one
model on one table is fitted the same way however it is called.
"""

from __future__ import annotations

import math

import numpy as np

#: Linear predictors are clipped to this range so that exp() never overflows.
ETA_LIMIT = 700.0

#: Result codes of :func:`existence_precheck`.
EXISTS = 1
DOES_NOT_EXIST = 0
UNDECIDED = -1

#: A design of at most this many ``cells * parameters**2`` is fitted in plain Python: one Newton
#: iteration costs about 0.1 microseconds per unit of it here (mt on 7 lists, 127 cells and 8
#: parameters, is 8,128: 0.7 ms an iteration). A whole mt estimate with its profile interval took
#: 12 ms on spina_bifida, 32 ms on UKdat_5 and 63 ms on Ned (6 lists), against 0.6 s for numba's
#: import and cache load before the first compiled fit. Larger designs go to the compiled kernels.
PLAIN_SIZE = 10_000


def use_plain(m: int, p: int) -> bool:
    """Fit an ``m``-cell, ``p``-parameter design in plain Python (else with numba's kernels)."""
    return m * p * p <= PLAIN_SIZE


def _rows(X) -> list[list[float]]:
    return X.tolist() if isinstance(X, np.ndarray) else X


def _eta_mu(X: list[list[float]], beta: list[float]) -> tuple[list[float], list[float]]:
    eta = []
    mu = []
    for row in X:
        s = 0.0
        for x, b in zip(row, beta):
            s += x * b
        if s > ETA_LIMIT:
            s = ETA_LIMIT
        elif s < -ETA_LIMIT:
            s = -ETA_LIMIT
        eta.append(s)
        mu.append(math.exp(s))
    return eta, mu


def _core_loglik(y: list[float], eta: list[float], mu: list[float]) -> float:
    s = 0.0
    for yi, ei, mi in zip(y, eta, mu):
        s += yi * ei - mi
    return s


def _cholesky_solve(A: list[list[float]], b: list[float]) -> tuple[list[float], bool]:
    """Solve A x = b for symmetric positive (semi)definite A (as the compiled kernel does)."""
    p = len(A)
    L = [[0.0] * p for _ in range(p)]
    ok = True
    scale = 0.0
    for i in range(p):
        if A[i][i] > scale:
            scale = A[i][i]
    tiny = 1e-13 * scale if scale > 0 else 1e-300
    for j in range(p):
        s = A[j][j]
        Lj = L[j]
        for k in range(j):
            s -= Lj[k] * Lj[k]
        if s <= tiny:
            ok = False
            Lj[j] = math.inf
            for i in range(j + 1, p):
                L[i][j] = 0.0
            continue
        d = math.sqrt(s)
        Lj[j] = d
        for i in range(j + 1, p):
            Li = L[i]
            t = A[i][j]
            for k in range(j):
                t -= Li[k] * Lj[k]
            Li[j] = t / d
    z = [0.0] * p
    for i in range(p):
        Li = L[i]
        t = b[i]
        for k in range(i):
            t -= Li[k] * z[k]
        z[i] = t / Li[i]
    x = [0.0] * p
    for i in range(p - 1, -1, -1):
        t = z[i]
        for k in range(i + 1, p):
            t -= L[k][i] * x[k]
        x[i] = t / L[i][i]
    return x, ok


def _information(X: list[list[float]], mu: list[float]) -> list[list[float]]:
    p = len(X[0])
    info = [[0.0] * p for _ in range(p)]
    for row, w in zip(X, mu):
        for a in range(p):
            xa = row[a] * w
            if xa != 0.0:
                ia = info[a]
                for b in range(a, p):
                    ia[b] += xa * row[b]
    for a in range(p):
        for b in range(a):
            info[a][b] = info[b][a]
    return info


def start_values(X, y) -> list[float]:
    """Least-squares fit of ``log(y + 0.5)`` on X: a start inside the domain."""
    z = np.array([math.log(v + 0.5) for v in y])
    return np.linalg.lstsq(np.asarray(X, dtype=float), z)[0].tolist()


def newton_poisson(X, y, beta0, use_beta0: int, tol: float, max_iter: int):
    """:func:`undercount.estimators._kernels.newton_poisson`, the same iteration on Python floats.

    Takes and returns NumPy arrays, as the compiled kernel does.
    """
    Xr = _rows(X)
    yr = y.tolist() if isinstance(y, np.ndarray) else list(y)
    if use_beta0 == 2:
        beta = [float(b) for b in beta0]
        eta, mu = _eta_mu(Xr, beta)
        ll = _core_loglik(yr, eta, mu)
    else:
        beta = start_values(X, yr)
        eta, mu = _eta_mu(Xr, beta)
        ll = _core_loglik(yr, eta, mu)
        if use_beta0:
            b0 = [float(b) for b in beta0]
            eta_w, mu_w = _eta_mu(Xr, b0)
            ll_w = _core_loglik(yr, eta_w, mu_w)
            if ll_w >= ll:
                beta = b0
                eta, mu, ll = eta_w, mu_w, ll_w
    p = len(Xr[0])
    converged = False
    it = 0
    while it < max_iter:
        it += 1
        resid = [yi - mi for yi, mi in zip(yr, mu)]
        score = []
        for a in range(p):
            s = 0.0
            for row, r in zip(Xr, resid):
                s += row[a] * r
            score.append(s)
        step, _ = _cholesky_solve(_information(Xr, mu), score)
        decrement = 0.0
        for a in range(p):
            decrement += score[a] * step[a]
        t = 1.0
        while True:
            new_beta = [b + t * st for b, st in zip(beta, step)]
            new_eta, new_mu = _eta_mu(Xr, new_beta)
            new_ll = _core_loglik(yr, new_eta, new_mu)
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
    return np.array(beta), np.array(mu), ll, converged, it


def inverse_information(X, mu) -> np.ndarray:
    """``(X' diag(mu) X)^-1`` (NumPy's LAPACK; may differ from the compiled kernel's in the last bit)."""
    return np.linalg.inv(np.array(_information(_rows(X), list(mu))))


def matrix_rank(X) -> int:
    """Numerical rank, with the compiled kernel's threshold."""
    X = np.asarray(X, dtype=float)
    if X.shape[0] == 0 or X.shape[1] == 0:
        return 0
    s = np.linalg.svd(X, compute_uv=False)
    tol = s[0] * max(X.shape[0], X.shape[1]) * 2.220446049250313e-16 * 10.0
    return int(np.sum(s > tol))


def _positive_definite(G: list[list[float]]) -> bool:
    """Cholesky succeeds with every pivot above 1e-10 of the largest diagonal entry."""
    p = len(G)
    L = [[0.0] * p for _ in range(p)]
    scale = max((G[i][i] for i in range(p)), default=0.0)
    scale = max(scale, 0.0)
    tiny = 1e-10 * scale
    for j in range(p):
        s = G[j][j]
        for k in range(j):
            s -= L[j][k] * L[j][k]
        if s <= tiny:
            return False
        d = math.sqrt(s)
        L[j][j] = d
        for i in range(j + 1, p):
            t = G[i][j]
            for k in range(j):
                t -= L[i][k] * L[j][k]
            L[i][j] = t / d
    return True


def existence_precheck(X, y, mu, have_mu) -> int:
    """The two cheapest exact cases of :func:`undercount.estimators._kernels.existence_precheck`.

    No zero cell, or the positive cells' design of full column rank: the MLE
    exists. Everything else is ``UNDECIDED`` (the caller runs the linear
    programme, which decides every case the compiled pre-check decides, and
    the others).
    """
    Xr = _rows(X)
    positive = [row for row, v in zip(Xr, y) if v > 0]
    if len(positive) == len(Xr):
        return EXISTS
    if not positive:
        return DOES_NOT_EXIST
    p = len(Xr[0])
    G = [[0.0] * p for _ in range(p)]
    for row in positive:
        for a in range(p):
            for b in range(p):
                G[a][b] += row[a] * row[b]
    return EXISTS if _positive_definite(G) else UNDECIDED
