"""Log-linear models of capture histories (Fienberg 1972; Rcapture; SparseMSE).

The counts of the ``2**k - 1`` observable patterns are modelled as independent
Poisson variables with ``log mu = X beta``; the all-zero cell is not observed
and its expected count ``exp(beta_0)`` (the intercept) is the estimated
number of people on no list. A model is a set of terms: every list's main
effect plus, optionally, interactions between lists, which absorb dependence
between them. Rcapture's heterogeneity models (:mod:`.closed`) add other
columns; this module fits any design.

Before a model is reported, two checks (Fienberg and Rinaldo 2012):

* **identifiability**: the design restricted to the cells the model uses has
  full column rank;
* **existence**: the sufficient statistics ``X'y`` lie in the relative
  interior of the cone spanned by the rows of X, so that a finite maximum
  exists. Zero cells can put them on the boundary; then some fitted counts
  are driven to zero, a coefficient to minus infinity, and the "estimate" a
  fitting routine prints depends on when it stopped iterating.

A model that fails either check is never reported as an estimate.

**Empty overlaps.** When two lists share no one, any model with their
interaction has no finite MLE. SparseMSE (Chan, Silverman and Vincent 2021)
instead sets such a term to minus infinity: the cells containing both lists
are deleted (they are structural zeros: the lists are taken to be unable to
share anyone) and the term leaves the design, still counted as a parameter in
AIC and BIC. ``empty_overlaps="minus-infinity"`` does the same for any
interaction term with a zero observed margin; the default ``"fail"`` reports
the model as not estimable.

**Intervals.** The multinomial profile likelihood of N with Cormack's (1992)
correction, the interval of Rcapture's ``closedpCI.t``: for a trial N the
all-zero cell is appended with count ``N - n`` and the Poisson model is
refitted; ``l(N) = -(deviance - 2 ct) / 2`` with
``ct = log(n0^n0 N! / (N^N n0!))`` is, up to a constant, the multinomial
log-likelihood of N with the cell probabilities profiled out. Or the
log-normal interval on the dark figure of SparseMSE's
``estimatepopulation.0``: ``n + exp(beta_0 +- z se(beta_0))``. A BCa
bootstrap is in :mod:`.bootstrap`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..errors import MethodError
from ..histories import CaptureTable
from . import _kernels_py as KP
from ._scalar import chi2_sf, find_root, lgamma, minimize_bounded, normal_quantile, xlogy
from .base import BOOTSTRAP_DRAWS, CELLS, Cell, EstimateResult, LoglinearFit, Method, Setting, not_estimable

Term = tuple[int, ...]

#: Largest N the profile search tries before calling an upper bound infinite.
_N_CEILING = 1e12

#: Newton decrement at which a fit counts as converged (twice the
#: log-likelihood still to gain, to second order).
FIT_TOL = 1e-10
FIT_MAX_ITER = 100

INTERVALS = ("profile", "lognormal")
EMPTY_OVERLAPS = ("fail", "minus-infinity")

PROFILE_TEXT = "multinomial profile likelihood with Cormack's correction"
LOGNORMAL_TEXT = "log-normal on the undocumented number, from the intercept's standard error"


# ---------------------------------------------------------------- terms and designs
def main_effects(k: int) -> tuple[Term, ...]:
    """Terms of the independence model: one per list."""
    return tuple((j,) for j in range(k))


def term_label(term: Term, lists: Sequence[str]) -> str:
    """``(0, 2)`` over lists A, B, C is ``A:C``."""
    return ":".join(lists[j] for j in term)


def model_label(terms: Sequence[Term], lists: Sequence[str]) -> str:
    """A readable formula: main effects joined by ``+``, then interactions."""
    return " + ".join(term_label(t, lists) for t in terms)


def sort_terms(terms) -> tuple[Term, ...]:
    """Terms in canonical order: by size, then by list position."""
    return tuple(sorted({tuple(sorted(t)) for t in terms}, key=lambda t: (len(t), t)))


def design_matrix(patterns: np.ndarray, terms: Sequence[Term]) -> np.ndarray:
    """Intercept plus one product-of-indicators column per term."""
    patterns = np.asarray(patterns, dtype=float)
    cols = [np.ones(len(patterns))]
    for term in terms:
        cols.append(np.prod(patterns[:, list(term)], axis=1))
    return np.column_stack(cols)


def term_margin(patterns: np.ndarray, counts: np.ndarray, term: Term) -> int:
    """People observed on every list of ``term``."""
    inside = np.all(np.asarray(patterns)[:, list(term)] == 1, axis=1)
    return int(np.asarray(counts)[inside].sum())


@dataclass(frozen=True, eq=False)
class ModelSpec:
    """A log-linear model of the observable cells, ready to fit.

    Attributes
    ----------
    label
        Readable name of the model (a formula or Rcapture's name).
    X
        Design over *all* ``2**k - 1`` observable cells, intercept first.
    column_names
        One name per column of X.
    keep
        Cells the model uses; ``False`` marks cells deleted by a
        minus-infinity term (structural zeros).
    minus_infinity
        Labels of terms set to minus infinity (each still counts as a
        parameter in AIC and BIC, as in SparseMSE).
    terms
        Interaction structure, for models built from terms.
    """

    label: str
    X: np.ndarray
    column_names: tuple[str, ...]
    keep: np.ndarray
    minus_infinity: tuple[str, ...] = ()
    terms: tuple[Term, ...] | None = None


def terms_spec(
    patterns: np.ndarray,
    counts: np.ndarray,
    terms: Sequence[Term],
    lists: Sequence[str],
    empty_overlaps: str = "fail",
) -> ModelSpec:
    """The model with the given terms, with SparseMSE's rule for empty overlaps if asked.

    With ``empty_overlaps="minus-infinity"`` every interaction whose lists
    share no one is set to minus infinity: its cells are deleted and it (and
    any larger term containing it) leaves the design.
    """
    terms = sort_terms(terms)
    keep = np.ones(len(patterns), dtype=bool)
    dropped: list[Term] = []
    if empty_overlaps == "minus-infinity":
        for t in terms:
            if len(t) < 2:
                continue
            if any(set(d) <= set(t) for d in dropped):
                dropped.append(t)  # contains a minus-infinity term: its cells are gone already
            elif term_margin(patterns, counts, t) == 0:
                dropped.append(t)
                keep &= ~np.all(np.asarray(patterns)[:, list(t)] == 1, axis=1)
    elif empty_overlaps != "fail":
        raise MethodError(f"empty_overlaps must be one of {list(EMPTY_OVERLAPS)}, got {empty_overlaps!r}")
    used = tuple(t for t in terms if t not in dropped)
    X = design_matrix(patterns, used)
    return ModelSpec(
        label=model_label(terms, lists),
        X=X,
        column_names=("(Intercept)",) + tuple(term_label(t, lists) for t in used),
        keep=keep,
        minus_infinity=tuple(term_label(t, lists) for t in dropped),
        terms=terms,
    )


# ---------------------------------------------------------------------- fitting
@dataclass(frozen=True, eq=False)
class ModelFit:
    """A fitted log-linear model: estimate, fit statistics and checks.

    ``mu`` covers all observable cells (zero on deleted cells); ``beta`` and
    ``cov`` are those of the columns of ``spec.X``. When ``identifiable`` is
    False nothing but ``rank`` is meaningful; when ``exists`` is False the
    numbers are those of a boundary fit (the supremum of the likelihood),
    useful only to show what another package would have reported.
    """

    spec: ModelSpec
    counts: np.ndarray
    n: int
    beta: np.ndarray
    mu: np.ndarray
    loglik: float
    deviance: float
    rank: int
    converged: bool
    identifiable: bool
    exists: bool
    cov: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_params(self) -> int:
        """Parameters counted by AIC and BIC: the design's rank plus minus-infinity terms."""
        return self.rank + len(self.spec.minus_infinity)

    @property
    def ok(self) -> bool:
        return self.identifiable and self.exists

    @property
    def dark(self) -> float:
        """Estimated number of people on no list, ``exp(beta_0)``."""
        return math.exp(min(self.beta[0], KP.ETA_LIMIT))

    @property
    def n_hat(self) -> float:
        """``n + exp(beta_0)`` (Poisson maximum likelihood)."""
        return self.n + self.dark

    @property
    def se_b0(self) -> float:
        return math.sqrt(self.cov[0, 0]) if self.cov is not None else math.nan

    @property
    def se(self) -> float:
        """Rcapture's standard error of N: ``sqrt(e^b0 + e^2b0 Var(b0))``."""
        if self.cov is None:
            return math.nan
        d = self.dark
        return math.sqrt(d + d * d * self.cov[0, 0])

    @property
    def df(self) -> int:
        """Residual degrees of freedom: all observable cells minus parameters."""
        return len(self.counts) - self.n_params

    @property
    def aic(self) -> float:
        return -2.0 * self.loglik + 2.0 * self.n_params

    @property
    def bic(self) -> float:
        """Rcapture's BIC: the penalty uses n, the number of people observed."""
        return -2.0 * self.loglik + math.log(self.n) * self.n_params

    def criterion(self, name: str) -> float:
        return self.aic if name == "aic" else self.bic

    def pearson_residuals(self) -> np.ndarray:
        """``(y - mu) / sqrt(mu)`` per cell; NaN on deleted cells."""
        out = np.full(len(self.counts), np.nan)
        k = self.spec.keep & (self.mu > 0)
        out[k] = (self.counts[k] - self.mu[k]) / np.sqrt(self.mu[k])
        return out


def _poisson_constant(y: np.ndarray) -> float:
    return float(np.sum(np.array([lgamma(v + 1.0) for v in y.tolist()])))


def kernels(m: int, p: int, compiled: bool = False):
    """The kernels that fit an ``m``-cell, ``p``-parameter design: plain Python when small, else numba's.

    The switch is :func:`._kernels_py.use_plain`; both give the same ``beta``,
    ``mu`` and log-likelihood (the compiled module is imported only when it is needed).
    """
    if not compiled and KP.use_plain(m, p):
        return KP
    from . import _kernels

    return _kernels


def _xlogy_sum_terms(y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """``xlogy(y, y) - xlogy(y, mu) - (y - mu)`` per cell."""
    yl = y.tolist()
    a = np.array([xlogy(v, v) for v in yl])
    b = np.array([xlogy(v, m) for v, m in zip(yl, mu.tolist())])
    return a - b - (y - mu)


def fit_spec(
    counts: np.ndarray,
    spec: ModelSpec,
    *,
    beta0: np.ndarray | None = None,
    check: bool = True,
    compiled: bool = False,
) -> ModelFit:
    """Fit a model to the counts of all observable cells (canonical order).

    ``check=False`` skips the existence check (``exists`` is then True when
    the fit converged): used where the caller has decided existence already.
    ``compiled=True`` takes numba's kernels whatever the size (:func:`kernels`):
    for a bootstrap's thousands of refits, which need only ``n_hat`` (the
    coefficients are the same doubles either way).
    """
    counts = np.asarray(counts, dtype=np.int64)
    n = int(counts.sum())
    keep = spec.keep
    X = np.ascontiguousarray(spec.X[keep])
    y = counts[keep].astype(float)
    p = X.shape[1]
    K = kernels(X.shape[0], X.shape[1], compiled=compiled)
    rank = int(K.matrix_rank(X)) if len(y) else 0
    nan_beta = np.full(p, np.nan)
    if rank < p:
        return ModelFit(
            spec,
            counts,
            n,
            nan_beta,
            np.full(len(counts), np.nan),
            math.nan,
            math.nan,
            rank,
            False,
            False,
            False,
        )
    use = beta0 is not None and len(beta0) == p
    beta, mu_k, ll_core, converged, _ = K.newton_poisson(
        X, y, np.asarray(beta0, dtype=float) if use else np.zeros(p), int(use), FIT_TOL, FIT_MAX_ITER
    )
    mu = np.zeros(len(counts))
    mu[keep] = mu_k
    loglik = float(ll_core - _poisson_constant(y))
    deviance = float(2.0 * np.sum(_xlogy_sum_terms(y, mu_k)))
    if check:
        exists = existence(X, y, mu_k, converged, compiled=compiled)
    else:
        exists = bool(converged)
    cov = None
    if exists:
        cov = K.inverse_information(X, mu_k)
    return ModelFit(spec, counts, n, beta, mu, loglik, deviance, rank, bool(converged), True, exists, cov)


def existence(
    X: np.ndarray,
    y: np.ndarray,
    mu: np.ndarray | None = None,
    converged: bool = False,
    compiled: bool = False,
) -> bool:
    """Does the MLE exist? Exact cheap cases first, else the Fienberg-Rinaldo LP."""
    have = mu is not None and converged
    args = (
        np.ascontiguousarray(X, dtype=float),
        np.asarray(y, dtype=float),
        np.asarray(mu, dtype=float) if have else np.zeros(len(y)),
        have,
    )
    K = kernels(len(y), np.shape(X)[1], compiled=compiled)
    code = K.existence_precheck(*args)
    if code == KP.UNDECIDED and K is KP:
        # the plain pre-check decides only the cheapest exact cases; the compiled one decides more
        from . import _kernels

        code = _kernels.existence_precheck(*args)
    if code == KP.EXISTS:
        return True
    if code == KP.DOES_NOT_EXIST:
        return False
    from .glm import mle_exists

    return mle_exists(X, y)


def fit_loglinear(table: CaptureTable, terms: Sequence[Term], empty_overlaps: str = "fail") -> ModelFit:
    """Fit the log-linear model with the given terms to every observable cell."""
    patterns, counts = table.cells()
    return fit_spec(counts, terms_spec(patterns, counts, terms, table.lists, empty_overlaps))


# --------------------------------------------------------------------- intervals
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
    correction
        Cormack's correction as a function of ``(n0, n)``; the default is
        exact (:func:`cormack_correction`).
    """

    def __init__(self, X: np.ndarray, counts: np.ndarray, n: int, correction=None) -> None:
        zero_row = np.zeros((1, X.shape[1]))
        zero_row[0, 0] = 1.0
        self._X = np.ascontiguousarray(np.vstack([X, zero_row]), dtype=float)
        self._K = kernels(*self._X.shape)
        if self._K is KP:
            self._X = self._X.tolist()  # the plain kernels work on rows of Python floats
        self._counts = np.asarray(counts, dtype=float)
        self._xlogx = float(np.sum(np.array([xlogy(v, v) for v in self._counts.tolist()])))
        self.n = int(n)
        self._beta = np.zeros(X.shape[1])
        self._warm = False
        self.evaluations = 0
        self._correction = correction or cormack_correction

    def __call__(self, N: float) -> float:
        n0 = max(float(N) - self.n, 0.0)
        y = np.append(self._counts, n0)
        beta, mu, ll_core, converged, _ = self._K.newton_poisson(
            self._X, y, self._beta, int(self._warm), FIT_TOL, FIT_MAX_ITER
        )
        if n0 > 0 and converged and np.all(np.abs(beta) < 50):
            self._beta = beta
            self._warm = True
        self.evaluations += 1
        # deviance = 2 sum(y log y - y log mu - y + mu) = 2 (sum y log y - ll_core - sum y)
        deviance = 2.0 * (self._xlogx + xlogy(n0, n0) - ll_core - float(y.sum()))
        return -(deviance - 2.0 * self._correction(n0, self.n)) / 2.0


def cormack_correction(n0: float, n: int) -> float:
    """``log(n0^n0 N! / (N^N n0!))`` with ``N = n + n0`` (Cormack 1992).

    Exact through log-gamma for moderate n0; for large n0 the exact form loses
    all its digits to cancellation, so Stirling's series is used, whose
    truncation error (order ``1/n0^3``) is far below double precision there.
    """
    N = n + n0
    if n0 < 1e5:
        return xlogy(n0, n0) + lgamma(N + 1.0) - xlogy(N, N) - lgamma(n0 + 1.0)
    return -n - 0.5 * math.log1p(-n / N) + 1.0 / (12.0 * N) - 1.0 / (12.0 * n0)


@dataclass(frozen=True)
class ProfileInterval:
    estimate: float
    low: float
    high: float
    warnings: tuple[str, ...]


def profile_interval(
    X: np.ndarray, counts: np.ndarray, n: int, n_hat: float, level: float = 0.95, correction=None
) -> ProfileInterval:
    """Profile-likelihood interval for N (Rcapture ``closedpCI.t``'s method).

    The maximum is searched on ``(n, 1.5 n_hat)``. Unlike Rcapture, the upper
    bound is not abandoned at ``3 n_hat``: the search widens until the
    likelihood falls below the cut-off, and only a likelihood that stays flat
    up to ``1e12`` gives an infinite bound (with a warning).
    """
    prof = ProfileLikelihood(X, counts, n, correction)
    warnings: list[str] = []
    cut = normal_quantile(0.5 + level / 2.0) ** 2 / 2.0  # chi-square(1) quantile at `level`, halved
    hi_search = max(1.5 * n_hat, n + 1.0)
    n_max, l_max = minimize_bounded(lambda N: -prof(N), n, hi_search, xatol=1e-6 * n_hat)
    l_max = -l_max
    if prof(n) > l_max:
        n_max, l_max = float(n), prof(n)
    target = l_max - cut

    def g(N: float) -> float:
        return prof(N) - target

    if n_max <= n or g(n) >= 0:
        low = float(n)
    else:
        low = find_root(g, n, n_max, xtol=1e-8 * n_max, rtol=1e-12)
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
        high = find_root(g, n_max, hi, xtol=1e-8 * n_max, rtol=1e-12)
    return ProfileInterval(n_max, low, high, tuple(warnings))


def lognormal_interval(fit: ModelFit, level: float) -> tuple[float, float]:
    """``n + exp(beta_0 -+ z se(beta_0))``: SparseMSE's default interval."""
    z = normal_quantile(0.5 + level / 2.0)
    b0, se = float(fit.beta[0]), fit.se_b0
    return fit.n + math.exp(b0 - z * se), fit.n + math.exp(min(b0 + z * se, KP.ETA_LIMIT))


# ----------------------------------------------------------------------- results
def pattern_key(pattern) -> str:
    return "".join(str(int(v)) for v in pattern)


#: A model whose deviance test gives a p-value below this is flagged as not fitting the table.
GOF_LEVEL = 0.05
#: How many cells a misfit warning names (largest Pearson residuals first).
GOF_CELLS = 3


def deviance_p(fit: ModelFit) -> float | None:
    """p-value of the deviance goodness-of-fit test: chi-square on the residual df (None at df 0)."""
    if fit.df <= 0 or not math.isfinite(fit.deviance):
        return None
    # the closed form for whole degrees of freedom (._scalar.chi2_sf): scipy.stats.chi2.sf to
    # rounding (tests/estimators/test_scalar.py), without scipy's import
    return chi2_sf(fit.df, max(fit.deviance, 0.0))


def pattern_text(pattern, lists: Sequence[str]) -> str:
    """``(1, 0, 1)`` over A, B, C is ``A and C only``; a single list is ``A only``."""
    names = [name for name, v in zip(lists, pattern) if int(v)]
    return (" and ".join(names) if len(names) <= 2 else ", ".join(names)) + " only"


def misfit_warning(fit: ModelFit, patterns: np.ndarray, lists: Sequence[str]) -> str | None:
    """The goodness-of-fit warning of a model the deviance test rejects (None when it does not)."""
    p = deviance_p(fit)
    if p is None or p >= GOF_LEVEL:
        return None
    resid = fit.pearson_residuals()
    order = [i for i in np.argsort(-np.abs(np.nan_to_num(resid, nan=0.0))) if math.isfinite(resid[i])]
    cells = "; ".join(
        f"{pattern_text(patterns[i], lists)}: {int(fit.counts[i]):,} observed, {fit.mu[i]:,.1f} fitted "
        f"(Pearson residual {resid[i]:+.1f})"
        for i in order[:GOF_CELLS]
    )
    p_text = f"p = {p:.2g}" if p >= 1e-4 else "p < 0.0001"
    return (
        f"the model does not fit the table (deviance {fit.deviance:,.1f} on {fit.df} df, {p_text}): "
        f"its extrapolation to the people on no list is not credible. The cells that drive the "
        f"misfit: {cells}"
    )


def fit_details(fit: ModelFit, patterns: np.ndarray) -> dict[str, Any]:
    """Diagnostics every log-linear result carries: the fields of a :class:`LoglinearFit`."""
    resid = fit.pearson_residuals()
    return {
        "deviance": fit.deviance,
        "df": fit.df,
        "deviance_p": deviance_p(fit),
        "aic": fit.aic,
        "bic": fit.bic,
        "n_params": fit.n_params,
        "converged": fit.converged,
        "coefficients": dict(zip(fit.spec.column_names, [float(b) for b in fit.beta])),
        "minus_infinity_terms": tuple(fit.spec.minus_infinity),
        "cells": tuple(
            Cell(
                pattern=pattern_key(p),
                observed=int(y),
                fitted=float(m),
                pearson=float(r),
                deleted=not bool(kp),
            )
            for p, y, m, r, kp in zip(patterns, fit.counts, fit.mu, resid, fit.spec.keep)
        ),
    }


def failure_reason(fit: ModelFit, patterns: np.ndarray, lists: Sequence[str]) -> str:
    """Why a model gives no estimate, in words a reader of a report understands."""
    label = fit.spec.label
    if not fit.identifiable:
        return (
            f"model {label} is not identifiable: on the cells it uses its design has rank "
            f"{fit.rank} for {fit.spec.X.shape[1]} parameters, so the number of undocumented "
            "people is not determined"
        )
    empty: list[tuple[int, ...]] = []
    for t in fit.spec.terms or ():
        if len(t) >= 2 and term_margin(patterns, fit.counts, t) == 0:
            if not any(set(e) < set(t) for e in empty):
                empty.append(t)
    text = (
        f"the maximum-likelihood estimate of model {label} does not exist for this table "
        "(Fienberg-Rinaldo check): the likelihood keeps rising as some fitted cell counts go "
        "to zero and coefficients diverge, so the number a fitting routine prints depends only "
        "on when it stopped iterating"
    )
    boundary = fit.n_hat if math.isfinite(fit.beta[0]) else math.nan
    if math.isfinite(boundary) and boundary < fit.n + 0.01:
        text += (
            f"; at that boundary the unobserved cell is empty too, so a routine that does not "
            f"check would report N = n = {fit.n:,}"
        )
    if empty:
        names = ", ".join(f"{' and '.join(lists[j] for j in t)} ({term_label(t, lists)})" for t in empty)
        text += (
            f". Lists that share no one: {names}. Drop those terms, or use --set "
            "empty_overlaps=minus-infinity to treat such lists as unable to share anyone "
            "(SparseMSE's convention)"
        )
    return text


def minus_infinity_warning(spec: ModelSpec) -> str:
    terms = ", ".join(spec.minus_infinity)
    return (
        f"interaction(s) {terms} set to minus infinity because those lists share no one: "
        "the estimate assumes nobody can be on those lists together (the cells are treated "
        "as structural zeros), an assumption the data cannot check and that can change the "
        "estimate a lot"
    )


def model_result(
    table: CaptureTable,
    fit: ModelFit,
    *,
    method: str,
    level: float,
    interval: str = "profile",
    warnings: Sequence[str] = (),
    caveats: Sequence[str] = (),
    details: Mapping[str, Any] | None = None,
) -> EstimateResult:
    """Report a fitted model: its estimate, interval, diagnostics and caveats.

    ``details`` are the method's own diagnostics (the ``extra`` of the
    :class:`LoglinearFit`); the fitted model is kept in memory as ``fit``.
    """
    patterns, _ = table.cells()
    extra: dict[str, Any] = dict(details or {})
    if not fit.ok:
        if fit.identifiable:
            extra.update(
                {
                    "boundary_fit_n_hat": fit.n_hat if math.isfinite(fit.beta[0]) else None,
                    "loglik": fit.loglik,
                }
            )
        failed = not_estimable(
            method,
            table.lists,
            table.n_observed,
            failure_reason(fit, patterns, table.lists),
            level=level,
            model=fit.spec.label,
            details=extra,
            warnings=tuple(warnings),
            caveats=tuple(caveats),
        )
        return replace(failed, fit=fit)
    out_warnings = list(warnings)
    misfit = misfit_warning(fit, patterns, table.lists)
    if misfit is not None:
        out_warnings.append(misfit)
    if fit.spec.minus_infinity:
        out_warnings.append(minus_infinity_warning(fit.spec))
    if not fit.converged:
        out_warnings.append("the Poisson fit did not converge; treat the estimate with caution")
    n_hat_profile = None
    if interval == "profile":
        X = fit.spec.X[fit.spec.keep]
        prof = profile_interval(X, fit.counts[fit.spec.keep], fit.n, fit.n_hat, level)
        low, high = prof.low, prof.high
        out_warnings.extend(prof.warnings)
        n_hat_profile = prof.estimate
        text = PROFILE_TEXT
    elif interval == "lognormal":
        low, high = lognormal_interval(fit, level)
        text = LOGNORMAL_TEXT
    else:
        raise MethodError(f"interval must be one of {list(INTERVALS)}, got {interval!r}")
    out_details = LoglinearFit(
        **fit_details(fit, patterns),
        n_hat_se=fit.se,
        log_dark_se=fit.se_b0,
        interval=text,
        n_hat_profile=n_hat_profile,
        extra=extra,
    )
    return EstimateResult(
        method=method,
        lists=table.lists,
        n_observed=table.n_observed,
        n_hat=fit.n_hat,
        ci_low=float(low),
        ci_high=float(high),
        ci_level=level,
        model=fit.spec.label,
        warnings=tuple(out_warnings),
        caveats=tuple(caveats),
        details=out_details,
        fit=fit,
    )


def estimate_model(
    table: CaptureTable,
    terms: Sequence[Term],
    *,
    method: str,
    level: float,
    interval: str = "profile",
    empty_overlaps: str = "fail",
) -> EstimateResult:
    """Fit a log-linear model and report N with its interval and caveats."""
    fit = fit_loglinear(table, terms, empty_overlaps)
    return model_result(table, fit, method=method, level=level, interval=interval)


# ----------------------------------------------------------------------- methods
INTERVAL_SETTING = Setting(
    "interval",
    str,
    "profile",
    "profile (multinomial profile likelihood, Cormack's correction) or lognormal "
    "(log-normal on the undocumented number)",
    choices=INTERVALS,
)
EMPTY_OVERLAPS_SETTING = Setting(
    "empty_overlaps",
    str,
    "fail",
    "what to do with an interaction between lists that share no one: fail (no estimate) "
    "or minus-infinity (SparseMSE: treat them as unable to share anyone)",
    choices=EMPTY_OVERLAPS,
)


def mt(table: CaptureTable, *, level: float = 0.95, interval: str = "profile") -> EstimateResult:
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
    return estimate_model(
        table,
        main_effects(table.k),
        method="mt",
        level=level,
        interval=interval,
    )


def loglinear(
    table: CaptureTable,
    *,
    level: float = 0.95,
    model: str | None = None,
    interval: str = "profile",
    empty_overlaps: str = "fail",
) -> EstimateResult:
    """Any hierarchical log-linear model, written as a formula over the list names.

    ``A*B*C + C:D`` means main effects of every list, all interactions among
    A, B and C, and the C:D interaction; ``(.)^2`` means all two-list
    interactions (see :mod:`.formula`). The model is closed downwards (every
    term brings its sub-terms) and always contains every list's main effect.
    The k-way interaction is never allowed: the unobserved cell would carry a
    parameter of its own and N would not be identified.

    Assumptions: Poisson (equivalently multinomial) sampling of people into
    patterns; the highest-order interaction absent from the model is zero, so
    that the dependence structure among the observed cells extends to the
    unobserved one. Interactions between lists absorb list dependence and
    some heterogeneity of capture probabilities.

    References
    ----------
    Fienberg, S. E. (1972). Biometrika 59, 591-603.
    Bishop, Y. M. M., Fienberg, S. E. and Holland, P. W. (1975). Discrete
    Multivariate Analysis, ch. 6. MIT Press.
    Cormack, R. M. (1992). Interval estimation for mark-recapture studies of
    closed populations. Biometrics 48, 567-576.
    Fienberg, S. E. and Rinaldo, A. (2012). Maximum likelihood estimation in
    log-linear models. Annals of Statistics 40, 996-1023.
    """
    from .formula import parse_formula

    if model is None:
        raise MethodError(
            "method 'loglinear' needs --model, a formula over the list names "
            f"({', '.join(table.lists)}), for example '{table.lists[0]}*{table.lists[1]} + "
            f"{' + '.join(table.lists[2:]) or table.lists[1]}' or '(.)^2'"
        )
    terms = parse_formula(model, table.lists)
    patterns, counts = table.cells()
    fit = fit_spec(counts, terms_spec(patterns, counts, terms, table.lists, empty_overlaps))
    return model_result(
        table,
        fit,
        method="loglinear",
        level=level,
        interval=interval,
        details={"formula": model},
    )


METHODS = (
    Method(
        name="mt",
        function=mt,
        summary="log-linear independence model (Rcapture Mt), profile-likelihood interval",
        reference="Fienberg (1972); Baillargeon & Rivest (2007)",
        settings=(INTERVAL_SETTING,),
        produces=frozenset({CELLS}),
    ),
    Method(
        name="loglinear",
        function=loglinear,
        summary="any hierarchical log-linear model given by --model FORMULA (e.g. 'A*B + C', '(.)^2')",
        reference="Fienberg (1972); Bishop, Fienberg & Holland (1975); Cormack (1992)",
        settings=(INTERVAL_SETTING, EMPTY_OVERLAPS_SETTING),
        accepts_model=True,
        produces=frozenset({CELLS}),
    ),
)


def stated_model_n_hat(patterns, counts, lists, *, terms, empty_overlaps="fail") -> float:
    """N-hat of a fixed model (NaN when it has no MLE): a bootstrap statistic."""
    fit = fit_spec(counts, terms_spec(patterns, counts, terms, lists, empty_overlaps), compiled=True)
    return fit.n_hat if fit.ok else math.nan


def loglinear_bca(
    table: CaptureTable,
    *,
    level: float = 0.95,
    model: str | None = None,
    rng: np.random.Generator,
    empty_overlaps: str = "fail",
    nboot: int = 1000,
    workers: int = 0,
    progress: bool = True,
    max_hours: float = 1.0,
) -> EstimateResult:
    """A stated log-linear model (as :func:`loglinear`) with a BCa bootstrap interval.

    Each replicate refits the same model; replicates where its MLE does not
    exist count as failures (reported). See :mod:`.bootstrap`.
    """
    from functools import partial

    from .bootstrap import with_bca
    from .formula import parse_formula

    base = loglinear(table, level=level, model=model, interval="lognormal", empty_overlaps=empty_overlaps)
    if model is None:  # pragma: no cover - loglinear raised already
        return base
    terms = parse_formula(model, table.lists)
    statistic = partial(stated_model_n_hat, terms=terms, empty_overlaps=empty_overlaps)
    return with_bca(
        base,
        statistic,
        table,
        method="loglinear-bca",
        rng=rng,
        nboot=nboot,
        workers=workers,
        progress=progress,
        max_hours=max_hours,
    )


def _bca_methods():
    from .bootstrap import BOOTSTRAP_SETTINGS

    return (
        Method(
            name="loglinear-bca",
            function=loglinear_bca,
            summary="a stated hierarchical log-linear model (--model) with a BCa bootstrap interval",
            reference="Fienberg (1972); Efron (1987)",
            settings=(EMPTY_OVERLAPS_SETTING,) + BOOTSTRAP_SETTINGS,
            accepts_model=True,
            stochastic=True,
            produces=frozenset({CELLS, BOOTSTRAP_DRAWS}),
        ),
    )


METHODS = METHODS + _bca_methods()
