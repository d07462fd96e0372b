"""Log-linear models of capture histories (Fienberg 1972; Rcapture's closed models).

The counts of the ``2**k - 1`` observable patterns are modelled as independent
Poisson variables with ``log mu = X beta``; the all-zero cell is not observed
and its expected count ``exp(beta_0)`` (the intercept) is the estimated
number of people on no list. A model is a set of terms: every list's main
effect plus, optionally, interactions between lists, which absorb dependence
between them.

The interval is the multinomial profile likelihood of N with Cormack's (1992)
correction, the interval of Rcapture's ``closedpCI.t``: for a trial N the
all-zero cell is appended with count ``N - n`` and the Poisson model is
refitted; ``l(N) = -(deviance - 2 ct) / 2`` with
``ct = log(n0^n0 N! / (N^N n0!))`` is, up to a constant, the multinomial
log-likelihood of N with the cell probabilities profiled out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import optimize
from scipy.special import gammaln, ndtri, xlogy

from ..histories import CaptureTable, observable_patterns
from .base import EstimateResult, Method, not_estimable
from .glm import PoissonFit, fit_poisson, mle_exists

Term = tuple[int, ...]

#: Largest N the profile search tries before calling an upper bound infinite.
_N_CEILING = 1e12


def main_effects(k: int) -> tuple[Term, ...]:
    """Terms of the independence model: one per list."""
    return tuple((j,) for j in range(k))


def term_label(term: Term, lists: Sequence[str]) -> str:
    """``(0, 2)`` over lists A, B, C is ``A:C``."""
    return ":".join(lists[j] for j in term)


def model_label(terms: Sequence[Term], lists: Sequence[str]) -> str:
    """A readable formula: main effects joined by ``+``, then interactions."""
    return " + ".join(term_label(t, lists) for t in terms)


def design_matrix(patterns: np.ndarray, terms: Sequence[Term]) -> np.ndarray:
    """Intercept plus one product-of-indicators column per term."""
    patterns = np.asarray(patterns, dtype=float)
    cols = [np.ones(len(patterns))]
    for term in terms:
        cols.append(np.prod(patterns[:, list(term)], axis=1))
    return np.column_stack(cols)


@dataclass(frozen=True, eq=False)
class LoglinearFit:
    """A fitted log-linear model of a capture-history table."""

    table: CaptureTable
    terms: tuple[Term, ...]
    patterns: np.ndarray
    counts: np.ndarray
    X: np.ndarray
    fit: PoissonFit
    exists: bool
    identifiable: bool

    @property
    def n_hat(self) -> float:
        """``n + exp(beta_0)`` (Poisson maximum likelihood)."""
        return self.table.n_observed + math.exp(self.fit.beta[0])

    @property
    def se(self) -> float:
        """Rcapture's standard error: ``sqrt(e^b0 + e^2b0 Var(b0))``."""
        b0 = self.fit.beta[0]
        return math.sqrt(math.exp(b0) + math.exp(2 * b0) * self.fit.cov[0, 0])

    @property
    def df(self) -> int:
        return len(self.counts) - self.fit.rank

    @property
    def aic(self) -> float:
        return -2.0 * self.fit.loglik + 2.0 * self.fit.rank

    @property
    def bic(self) -> float:
        """Rcapture's BIC: the penalty uses n, the number of people observed."""
        return -2.0 * self.fit.loglik + math.log(self.table.n_observed) * self.fit.rank

    def pearson_residuals(self) -> np.ndarray:
        mu = self.fit.mu
        return (self.counts - mu) / np.sqrt(np.where(mu > 0, mu, np.nan))


def fit_loglinear(table: CaptureTable, terms: Sequence[Term]) -> LoglinearFit:
    """Fit the log-linear model with the given terms to every observable cell."""
    patterns, counts = table.cells()
    X = design_matrix(patterns, terms)
    fit = fit_poisson(X, counts)
    return LoglinearFit(
        table=table,
        terms=tuple(terms),
        patterns=patterns,
        counts=counts,
        X=X,
        fit=fit,
        exists=mle_exists(X, counts),
        identifiable=fit.rank == X.shape[1],
    )


class ProfileLikelihood:
    """Multinomial profile log-likelihood of N for a log-linear model.

    Parameters
    ----------
    X, counts
        Design and counts of the observable cells the model uses (cells a
        model deletes, such as those of a minus-infinity term, are simply left
        out).
    n
        People observed.
    """

    def __init__(self, X: np.ndarray, counts: np.ndarray, n: int) -> None:
        zero_row = np.zeros((1, X.shape[1]))
        zero_row[0, 0] = 1.0
        self._X = np.vstack([X, zero_row])
        self._counts = np.asarray(counts, dtype=float)
        self.n = int(n)
        self._beta: np.ndarray | None = None
        self.evaluations = 0

    def __call__(self, N: float) -> float:
        n0 = max(float(N) - self.n, 0.0)
        N = self.n + n0
        y = np.append(self._counts, n0)
        fit = fit_poisson(self._X, y, beta0=self._beta)
        if n0 > 0 and fit.converged and np.all(np.abs(fit.beta) < 50):
            self._beta = fit.beta
        self.evaluations += 1
        return -(fit.deviance - 2.0 * cormack_correction(n0, self.n)) / 2.0


def cormack_correction(n0: float, n: int) -> float:
    """``log(n0^n0 N! / (N^N n0!))`` with ``N = n + n0`` (Cormack 1992).

    Exact through log-gamma for moderate n0; for large n0 the exact form loses
    all its digits to cancellation, so Stirling's series is used, whose
    truncation error (order ``1/n0^3``) is far below double precision there.
    """
    N = n + n0
    if n0 < 1e5:
        return float(xlogy(n0, n0) + gammaln(N + 1.0) - xlogy(N, N) - gammaln(n0 + 1.0))
    return -n - 0.5 * math.log1p(-n / N) + 1.0 / (12.0 * N) - 1.0 / (12.0 * n0)


@dataclass(frozen=True)
class ProfileInterval:
    estimate: float
    low: float
    high: float
    warnings: tuple[str, ...]


def profile_interval(
    X: np.ndarray, counts: np.ndarray, n: int, n_hat: float, level: float = 0.95
) -> ProfileInterval:
    """Profile-likelihood interval for N (Rcapture ``closedpCI.t``'s method).

    The maximum is searched on ``(n, 1.5 n_hat)``. Unlike Rcapture, the upper
    bound is not abandoned at ``3 n_hat``: the search widens until the
    likelihood falls below the cut-off, and only a likelihood that stays flat
    up to ``1e12`` gives an infinite bound (with a warning).
    """
    prof = ProfileLikelihood(X, counts, n)
    warnings: list[str] = []
    cut = ndtri(0.5 + level / 2.0) ** 2 / 2.0  # chi-square(1) quantile at `level`, halved
    hi_search = max(1.5 * n_hat, n + 1.0)
    res = optimize.minimize_scalar(
        lambda N: -prof(N), bounds=(n, hi_search), method="bounded", options={"xatol": 1e-6 * n_hat}
    )
    n_max = float(res.x)
    l_max = -float(res.fun)
    if prof(n) > l_max:
        n_max, l_max = float(n), prof(n)
    target = l_max - cut

    def g(N: float) -> float:
        return prof(N) - target

    if n_max <= n or g(n) >= 0:
        low = float(n)
    else:
        low = optimize.brentq(g, n, n_max, xtol=1e-8 * n_max, rtol=1e-12)
    hi = max(3.0 * n_hat, n_max * 1.5, n + 2.0)
    while g(hi) > 0 and hi < _N_CEILING:
        hi *= 3.0
    if g(hi) > 0:
        high = math.inf
        warnings.append(
            "the profile likelihood stays above the cut-off for every N up to 1e12: "
            "the upper end of the interval is unbounded (the data cannot rule out "
            "an arbitrarily large number of undocumented people)"
        )
    else:
        high = optimize.brentq(g, n_max, hi, xtol=1e-8 * n_max, rtol=1e-12)
    return ProfileInterval(n_max, low, high, tuple(warnings))


def estimate_model(
    table: CaptureTable,
    terms: Sequence[Term],
    *,
    method: str,
    level: float,
    settings: dict | None = None,
) -> EstimateResult:
    """Fit a log-linear model and report N with its profile interval and caveats."""
    fit = fit_loglinear(table, terms)
    label = model_label(fit.terms, table.lists)
    details = {
        "deviance": fit.fit.deviance,
        "df": fit.df,
        "aic": fit.aic,
        "bic": fit.bic,
        "coefficients": dict(
            zip(["(Intercept)"] + [term_label(t, table.lists) for t in fit.terms], fit.fit.beta)
        ),
        "n_hat_se": None,
        "interval": "multinomial profile likelihood with Cormack's correction",
    }
    if not fit.identifiable:
        return not_estimable(
            method, table.lists, table.n_observed,
            f"model {label} is not identifiable: its design has rank {fit.fit.rank} "
            f"for {fit.X.shape[1]} parameters",
            level=level, model=label, settings=settings, details=details,
        )
    if not fit.exists:
        return not_estimable(
            method, table.lists, table.n_observed,
            f"the maximum-likelihood estimate of model {label} does not exist for this table "
            "(Fienberg-Rinaldo check): some fitted cell counts are driven to zero, so the "
            "estimated number of undocumented people is not determined by the data",
            level=level, model=label, settings=settings, details=details,
        )
    warnings: list[str] = []
    if not fit.fit.converged:
        warnings.append("the Poisson fit did not converge; treat the estimate with caution")
    details["n_hat_se"] = fit.se
    interval = profile_interval(fit.X, fit.counts, table.n_observed, fit.n_hat, level)
    warnings.extend(interval.warnings)
    details["n_hat_profile"] = interval.estimate
    details["pearson_residuals"] = {
        "".join(str(int(v)) for v in pattern): r
        for pattern, r in zip(fit.patterns, fit.pearson_residuals())
    }
    return EstimateResult(
        method=method,
        lists=table.lists,
        n_observed=table.n_observed,
        n_hat=fit.n_hat,
        ci_low=interval.low,
        ci_high=interval.high,
        ci_level=level,
        model=label,
        settings=dict(settings or {}),
        warnings=tuple(warnings),
        details=details,
    )


def mt(table: CaptureTable, *, level: float = 0.95) -> EstimateResult:
    """Model Mt: lists independent, each with its own capture probability.

    The log-linear independence model (main effects only), Rcapture's ``Mt``.
    Assumes that being on one list does not change the chance of being on
    another and that everyone has the same chance of being on a given list;
    positive dependence between lists biases N downwards.

    References
    ----------
    Fienberg, S. E. (1972). The multiple recapture census for closed
    populations and incomplete 2^k contingency tables. Biometrika 59, 591-603.
    Baillargeon, S. and Rivest, L.-P. (2007). Rcapture: loglinear models for
    capture-recapture in R. Journal of Statistical Software 19(5).
    """
    return estimate_model(table, main_effects(table.k), method="mt", level=level)


METHODS = (
    Method(
        name="mt",
        function=mt,
        summary="log-linear independence model (Rcapture Mt), profile-likelihood interval",
        reference="Fienberg (1972); Baillargeon & Rivest (2007)",
    ),
)
