"""A small, fast Poisson log-linear fitter for capture-history tables.

Capture-recapture fits are tiny (at most a few hundred cells) but are repeated
thousands of times inside profile likelihoods, model searches and bootstraps,
where a general GLM package's per-call overhead dominates. This module fits
``log E[y] = X beta + offset`` by Newton-Raphson on the Poisson
log-likelihood with step halving. ``tests/estimators/test_glm.py`` checks it
against statsmodels' GLM.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, xlogy


@dataclass(frozen=True, eq=False)
class PoissonFit:
    """Result of :func:`fit_poisson`."""

    beta: np.ndarray
    mu: np.ndarray
    deviance: float
    loglik: float
    cov: np.ndarray
    converged: bool
    iterations: int
    rank: int

    @property
    def n_params(self) -> int:
        return len(self.beta)


def poisson_deviance(y: np.ndarray, mu: np.ndarray) -> float:
    """``2 * sum(y log(y/mu) - (y - mu))`` with ``0 log 0 = 0``."""
    return float(2.0 * np.sum(xlogy(y, y) - xlogy(y, mu) - (y - mu)))


def poisson_loglik(y: np.ndarray, mu: np.ndarray) -> float:
    """Poisson log-likelihood including the ``log y!`` constant."""
    return float(np.sum(xlogy(y, mu) - mu - gammaln(y + 1.0)))


def fit_poisson(
    X: np.ndarray,
    y: np.ndarray,
    offset: np.ndarray | None = None,
    beta0: np.ndarray | None = None,
    tol: float = 1e-12,
    max_iter: int = 200,
) -> PoissonFit:
    """Maximum-likelihood Poisson log-linear fit.

    Parameters
    ----------
    X
        ``(m, p)`` design matrix (include the intercept column yourself).
    y
        ``(m,)`` non-negative counts (need not be integers).
    offset
        Optional fixed part of the linear predictor.
    beta0
        Starting values (a warm start from a nearby fit saves iterations).
    tol
        Convergence: the Newton decrement ``score' I^-1 score`` (twice the
        log-likelihood still to gain, to second order) falls below ``tol``.

    Returns
    -------
    PoissonFit
        ``converged`` is False when the iteration limit was reached. When the
        MLE does not exist (some fitted means tend to zero) the fit converges
        in log-likelihood while some coefficients grow without bound; callers
        check existence separately.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    off = np.zeros(len(y)) if offset is None else np.asarray(offset, dtype=float)
    m, p = X.shape
    rank = int(np.linalg.matrix_rank(X)) if p else 0

    def loglik_of(b: np.ndarray) -> tuple[float, np.ndarray]:
        eta = np.clip(X @ b + off, -700.0, 700.0)
        mu = np.exp(eta)
        return float(np.sum(y * eta - mu)), mu

    beta, *_ = np.linalg.lstsq(X, np.log(y + 0.5) - off, rcond=None)
    ll, mu = loglik_of(beta)
    if beta0 is not None:
        # a warm start is used only when it is at least as good as the cold one
        warm = np.array(beta0, dtype=float)
        warm_ll, warm_mu = loglik_of(warm)
        if warm_ll >= ll:
            beta, ll, mu = warm, warm_ll, warm_mu
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 (it is read after the loop)
        score = X.T @ (y - mu)
        info = (X * mu[:, None]).T @ X
        step = _solve(info, score)
        decrement = float(score @ step)
        t = 1.0
        while True:
            new_beta = beta + t * step
            new_ll, new_mu = loglik_of(new_beta)
            if new_ll >= ll - 1e-12 * (1.0 + abs(ll)) or t < 1e-10:
                break
            t *= 0.5
        beta, ll, mu = new_beta, new_ll, new_mu
        if decrement < tol:
            converged = True
            break
        if t < 1e-10:  # no ascent direction left at machine precision
            converged = decrement < 1e-6
            break
    info = (X * mu[:, None]).T @ X
    cov = _inverse(info)
    return PoissonFit(
        beta=beta,
        mu=mu,
        deviance=poisson_deviance(y, mu),
        loglik=poisson_loglik(y, mu),
        cov=cov,
        converged=converged,
        iterations=it,
        rank=rank,
    )


def _solve(info: np.ndarray, score: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(info, score)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(info, score, rcond=None)[0]


def _inverse(info: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(info)


def mle_exists(X: np.ndarray, y: np.ndarray, tol: float = 1e-9) -> bool:
    """Does the Poisson log-linear MLE exist (finitely) for design X and counts y?

    Fienberg and Rinaldo (2012): the MLE exists iff the sufficient statistics
    ``t = X' y`` lie in the relative interior of the cone spanned by the rows
    of X, i.e. iff some strictly positive table has the same margins. Solved as
    the linear programme ``max s`` subject to ``X' x = t``, ``x_c >= s`` for
    every cell, ``x >= 0``; the MLE exists iff the optimum is positive.
    """
    from scipy.optimize import linprog

    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    m, p = X.shape
    t = X.T @ y
    scale = max(float(y.sum()), 1.0)
    # variables: x_1..x_m, s ; minimise -s
    c = np.zeros(m + 1)
    c[-1] = -1.0
    A_eq = np.hstack([X.T, np.zeros((p, 1))]) / scale
    b_eq = t / scale
    A_ub = np.hstack([-np.eye(m), np.ones((m, 1))])  # s - x_c <= 0
    b_ub = np.zeros(m)
    bounds = [(0, None)] * m + [(0, scale)]
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if res.status != 0:
        return False
    return bool(-res.fun > tol * scale)
