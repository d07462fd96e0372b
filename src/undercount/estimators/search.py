"""Model selection by AIC or BIC over log-linear models, with model averaging.

Two candidate sets:

* ``hierarchical`` (default): every hierarchical log-linear model that has
  all main effects and not the k-way interaction. Up to five lists they are
  all fitted (8 models for three lists, 113 for four, 6,893 for five);
  beyond that, or with ``search=greedy``, a greedy search starts from
  independence and repeatedly makes the single change (add a term whose
  sub-terms are all present, or remove a term that no larger term contains)
  that lowers the criterion most, until none does.
* ``rcapture``: Rcapture's closed models M0, Mt, Mh and Mth with the Chao,
  Poisson2, Darroch and Gamma3.5 heterogeneity forms (``closedp.t`` without
  the behavioural models Mb and Mbh). Minimum BIC over this set reproduces
  the model Rcapture users usually report.

Only models whose MLE exists and whose parameters are identifiable compete.
A model that fails is left out and counted (``details["excluded"]``); when
it would have won on the likelihood of its boundary fit, a warning says so,
because that is the number another package would have printed.

AIC is ``-2 log L + 2 p``; BIC is Rcapture's ``-2 log L + log(n) p`` with n
the number of people observed and p the number of parameters (a
minus-infinity term counts as one). Akaike weights ``exp(-delta/2)``
normalised over the competing models give the model-averaged estimate
(Buckland, Burnham & Augustin 1997), reported in ``details`` next to the
selected model.

References
----------
Buckland, S. T., Burnham, K. P. and Augustin, N. H. (1997). Model selection:
an integral part of inference. Biometrics 53, 603-618.
Baillargeon, S. and Rivest, L.-P. (2007). Rcapture. JSS 19(5).
Fienberg, S. E. and Rinaldo, A. (2012). Annals of Statistics 40, 996-1023.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
from scipy.special import gammaln

from ..errors import MethodError
from ..histories import CaptureTable
from . import _kernels as K
from .base import BOOTSTRAP_DRAWS, CELLS, EstimateResult, Method, Setting, not_estimable
from .closed import DEFAULT_THETA, HETEROGENEITY, fit_closed
from .glm import mle_exists
from .loglinear import (
    EMPTY_OVERLAPS_SETTING,
    FIT_MAX_ITER,
    FIT_TOL,
    INTERVAL_SETTING,
    ModelFit,
    Term,
    fit_spec,
    main_effects,
    model_label,
    model_result,
    sort_terms,
    terms_spec,
)

CRITERIA = ("aic", "bic")
CANDIDATES = ("hierarchical", "rcapture")
SEARCHES = ("auto", "exhaustive", "greedy")

#: Largest number of lists for which ``search=auto`` fits every hierarchical model.
MAX_EXHAUSTIVE_LISTS = 5

#: Rcapture's closedp.t models, in its order (Mb and Mbh left out). Order
#: matters: for three lists Mth Poisson2, Darroch and Gamma3.5 span the same
#: design and tie exactly, and Rcapture then takes the first.
RCAPTURE_MODELS = [("M0", None), ("Mt", None)] + [(base, h) for base in ("Mh", "Mth") for h in HETEROGENEITY]


# ------------------------------------------------------------------ enumeration
@cache
def hierarchical_models(k: int) -> tuple[tuple[Term, ...], ...]:
    """Interaction terms of every hierarchical model on k lists (main effects implied).

    Every model contains all main effects and never the k-way term; the
    empty tuple is the independence model. Ordered by number of terms.
    """
    full = tuple(range(k))
    candidates = sorted(
        (t for r in range(2, k) for t in itertools.combinations(full, r)), key=lambda t: (len(t), t)
    )
    out: list[tuple[Term, ...]] = []

    def rec(i: int, chosen: list[Term], chosen_set: set[Term]) -> None:
        if i == len(candidates):
            out.append(tuple(chosen))
            return
        rec(i + 1, chosen, chosen_set)
        t = candidates[i]
        subs = [tuple(x for x in t if x != j) for j in t] if len(t) > 2 else []
        if all(s in chosen_set for s in subs):
            chosen.append(t)
            chosen_set.add(t)
            rec(i + 1, chosen, chosen_set)
            chosen.pop()
            chosen_set.discard(t)

    rec(0, [], set())
    out.sort(key=lambda m: (len(m), [(len(t), t) for t in m]))
    return tuple(out)


# ---------------------------------------------------------------------- fitting
@dataclass
class Candidate:
    """One model of a search, fitted lightly (a full :class:`ModelFit` only when needed)."""

    name: str | None
    order: int
    loglik: float
    n_params: int
    n_hat: float
    exists: bool
    identifiable: bool
    terms: tuple[Term, ...] | None = None
    lists: tuple[str, ...] = ()
    minus_infinity: tuple[str, ...] = ()
    beta: np.ndarray | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        if self.name is not None:
            return self.name
        return model_label(main_effects(len(self.lists)) + sort_terms(self.terms), self.lists)

    @property
    def ok(self) -> bool:
        return self.exists and self.identifiable

    def criterion(self, name: str, n: int) -> float:
        penalty = 2.0 if name == "aic" else math.log(n)
        return -2.0 * self.loglik + penalty * self.n_params


class _TermFitter:
    """Fits hierarchical models of one table quickly, caching by term set.

    The full design (intercept plus every interaction but the k-way one) is
    built once; a model is a choice of its columns (and, with minus-infinity
    terms, of rows). Existence is decided by, in order: a term with a zero
    margin (its column is a direction of unbounded likelihood), a known
    failing sub-model (a model containing one whose MLE does not exist has
    none either), the exact cheap cases of :func:`_kernels.existence_precheck`,
    and only then the Fienberg-Rinaldo linear programme.
    """

    def __init__(
        self, patterns: np.ndarray, counts: np.ndarray, lists: Sequence[str], empty_overlaps: str = "fail"
    ) -> None:
        self.patterns = np.asarray(patterns)
        self.counts = np.asarray(counts, dtype=np.int64)
        self.y = self.counts.astype(float)
        self.lists = tuple(lists)
        self.k = len(lists)
        self.n = int(self.counts.sum())
        self.empty_overlaps = empty_overlaps
        full = tuple(range(self.k))
        self.all_terms = [t for r in range(1, self.k) for t in itertools.combinations(full, r)]
        self.col = {t: i + 1 for i, t in enumerate(self.all_terms)}
        pats = self.patterns.astype(bool)
        self.inside = {t: np.all(pats[:, list(t)], axis=1) for t in self.all_terms}
        cols = [np.ones(len(self.y))] + [self.inside[t].astype(float) for t in self.all_terms]
        self.X = np.column_stack(cols)
        self.margin = {t: int(self.counts[self.inside[t]].sum()) for t in self.all_terms}
        self.const = float(np.sum(gammaln(self.y + 1.0)))
        self.cache: dict[frozenset, Candidate] = {}
        self.failed: list[frozenset] = []
        self.lp_calls = 0
        self.fits = 0
        self.base_cols = list(range(self.k + 1))
        self.zeros = [np.zeros(p) for p in range(self.X.shape[1] + 1)]
        self.everything_exists = self.all_exist()

    def fit(self, interactions: Sequence[Term]) -> Candidate:
        """Fit the model with these interaction terms (sorted by size, then position)."""
        key = frozenset(interactions)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        cand = self._fit(tuple(interactions), key)
        self.cache[key] = cand
        return cand

    def all_exist(self) -> bool:
        """Does the largest candidate (every term but the k-way one) have an MLE?

        Then every hierarchical model does: a model's sufficient statistics are
        linear functions of a larger model's, so a strictly positive table with
        the larger model's margins has the smaller model's too.
        """
        if self.empty_overlaps == "minus-infinity" or not (self.y > 0).any():
            return False
        if (self.y > 0).all():
            return True
        largest = [t for t in self.all_terms if len(t) >= 2]
        if any(self.margin[t] == 0 for t in largest):
            return False
        X = np.ascontiguousarray(self.X)
        beta, mu, _, converged, _ = K.newton_poisson(
            X, self.y, np.zeros(X.shape[1]), 0, FIT_TOL, FIT_MAX_ITER
        )
        code = K.existence_precheck(X, self.y, mu, bool(converged))
        if code == K.UNDECIDED:
            self.lp_calls += 1
            return bool(mle_exists(X, self.y))
        return code == K.EXISTS

    def _fit(self, interactions: tuple[Term, ...], key: frozenset) -> Candidate:
        order = len(self.cache)
        rows = None
        dropped: list[Term] = []
        if self.empty_overlaps == "minus-infinity":
            for t in interactions:
                if any(set(d) <= set(t) for d in dropped):
                    dropped.append(t)
                elif self.margin[t] == 0:
                    dropped.append(t)
                    rows = ~self.inside[t] if rows is None else rows & ~self.inside[t]
        minf = tuple(":".join(self.lists[j] for j in t) for t in dropped)
        cols = self.base_cols + [self.col[t] for t in interactions if t not in dropped]

        def failure(identifiable: bool = True) -> Candidate:
            return Candidate(
                None,
                order,
                math.nan,
                len(cols) + len(dropped),
                math.nan,
                False,
                identifiable,
                interactions,
                self.lists,
                minf,
            )

        if self.empty_overlaps == "fail" and any(self.margin[t] == 0 for t in interactions):
            return failure()
        if self.failed and any(f <= key for f in self.failed):
            return failure()
        if rows is None:
            X = np.ascontiguousarray(self.X[:, cols])
            y = self.y
        else:
            X = np.ascontiguousarray(self.X[rows][:, cols])
            y = self.y[rows]
        p = X.shape[1]
        self.fits += 1
        if rows is not None and K.matrix_rank(X) < p:
            return failure(identifiable=False)
        beta0, use = self.zeros[p], 0
        if interactions and rows is None:
            # warm start from the model without the last term (fitted before: the
            # enumeration and the greedy moves grow models one term at a time)
            parent = self.cache.get(frozenset(interactions[:-1]))
            if parent is not None and parent.ok and parent.beta is not None and len(parent.beta) == p - 1:
                beta0 = self.zeros[p].copy()
                beta0[:-1] = parent.beta
                use = 2
        beta, mu, ll_core, converged, _ = K.newton_poisson(X, y, beta0, use, FIT_TOL, FIT_MAX_ITER)
        if self.everything_exists:
            exists = True
        else:
            code = K.existence_precheck(X, y, mu, bool(converged))
            if code == K.UNDECIDED:
                self.lp_calls += 1
                exists = bool(mle_exists(X, y))
            else:
                exists = code == K.EXISTS
        if not exists:
            self.failed.append(key)
        loglik = float(ll_core - self.const)
        n_hat = self.n + math.exp(min(beta[0], K.ETA_LIMIT))
        cand = Candidate(
            None, order, loglik, p + len(dropped), n_hat, exists, True, interactions, self.lists, minf
        )
        cand.beta = beta if rows is None else None
        return cand

    def full_fit(self, cand: Candidate) -> ModelFit:
        assert cand.terms is not None  # candidates of a search always have terms
        spec = terms_spec(
            self.patterns, self.counts, main_effects(self.k) + cand.terms, self.lists, self.empty_overlaps
        )
        return fit_spec(self.counts, spec)


def _exhaustive(fitter: _TermFitter) -> list[Candidate]:
    return [fitter.fit(m) for m in hierarchical_models(fitter.k)]


def _greedy(fitter: _TermFitter, criterion: str) -> list[Candidate]:
    k = fitter.k
    full = tuple(range(k))
    inter = [t for r in range(2, k) for t in itertools.combinations(full, r)]
    current: set[Term] = set()
    best = fitter.fit(())
    best_value = best.criterion(criterion, fitter.n) if best.ok else math.inf
    while True:
        moves: list[set[Term]] = []
        for t in inter:
            if t in current:
                if not any(set(t) < set(u) for u in current):
                    moves.append(current - {t})
            else:
                subs = [tuple(x for x in t if x != j) for j in t] if len(t) > 2 else []
                if all(s in current for s in subs):
                    moves.append(current | {t})
        improved = None
        for m in moves:
            cand = fitter.fit(sort_terms(m))
            if not cand.ok:
                continue
            value = cand.criterion(criterion, fitter.n)
            if value < best_value - 1e-9:
                best_value, improved = value, (m, cand)
        if improved is None:
            break
        current, best = improved
    return list(fitter.cache.values())


def _rcapture_candidates(patterns, counts, lists) -> tuple[list[Candidate], dict[str, ModelFit], dict]:
    cands: list[Candidate] = []
    fits: dict[str, ModelFit] = {}
    removed_eta: dict[str, list[str]] = {}
    for base, h in RCAPTURE_MODELS:
        fit, removed = fit_closed(patterns, counts, base, h, DEFAULT_THETA.get(h or ""), True, lists)
        label = fit.spec.label
        fits[label] = fit
        if removed:
            removed_eta[label] = removed
        n_hat = fit.n_hat if fit.identifiable else math.nan
        cands.append(
            Candidate(
                label,
                len(cands),
                fit.loglik,
                fit.n_params,
                n_hat,
                fit.exists,
                fit.identifiable,
                lists=tuple(lists),
            )
        )
    return cands, fits, removed_eta


# ---------------------------------------------------------------------- selection
@dataclass
class Selection:
    """Outcome of a model search on one table."""

    criterion: str
    candidates: list[Candidate]
    best: Candidate | None
    best_fit: ModelFit | None
    n: int
    search: str
    lp_calls: int = 0
    fitted: int = 0
    notes: dict[str, Any] = field(default_factory=dict)

    def ranked(self) -> list[tuple[float, Candidate]]:
        """Competing models, best first; exact ties (1e-6) go to fewer parameters, then the earlier."""
        ok = [(c.criterion(self.criterion, self.n), c) for c in self.candidates if c.ok]
        ok.sort(key=lambda x: (round(x[0], 6), x[1].n_params, x[1].order))
        return ok

    def ties(self) -> list[Candidate]:
        """Models that fit exactly as well as the selected one but give another N (else empty)."""
        ranked = self.ranked()
        if not ranked:
            return []
        first = ranked[0][1]
        tied = [c for v, c in ranked if abs(v - ranked[0][0]) < 1e-6 and c.n_params == first.n_params]
        differ = any(abs(c.n_hat - first.n_hat) > 1e-6 * first.n_hat for c in tied)
        return tied if differ else []

    def boundary_winner(self) -> tuple[float, Candidate] | None:
        """A non-existent model whose boundary fit beats the selected one, if any."""
        if self.best is None:
            return None
        best_value = self.best.criterion(self.criterion, self.n)
        rivals = [
            (c.criterion(self.criterion, self.n), c)
            for c in self.candidates
            if c.identifiable and not c.exists and math.isfinite(c.loglik)
        ]
        rivals = [r for r in rivals if r[0] < best_value]
        return min(rivals, key=lambda r: r[0]) if rivals else None


def select_model(
    patterns: np.ndarray,
    counts: np.ndarray,
    lists: Sequence[str],
    *,
    criterion: str = "bic",
    candidates: str = "hierarchical",
    search: str = "auto",
    empty_overlaps: str = "fail",
    full_fit: bool = True,
) -> Selection:
    """Fit every candidate (or search greedily) and pick the smallest criterion."""
    if criterion not in CRITERIA:
        raise MethodError(f"criterion must be one of {list(CRITERIA)}, got {criterion!r}")
    counts = np.asarray(counts, dtype=np.int64)
    n = int(counts.sum())
    k = len(lists)
    if candidates == "rcapture":
        cands, fits, removed = _rcapture_candidates(patterns, counts, lists)
        sel = Selection(criterion, cands, None, None, n, "all Rcapture closed models", fitted=len(cands))
        ranked = sel.ranked()
        if ranked:
            sel.best = ranked[0][1]
            sel.best_fit = fits[sel.best.label]
        sel.notes["eta_set_to_zero"] = removed
        return sel
    if candidates != "hierarchical":
        raise MethodError(f"candidates must be one of {list(CANDIDATES)}, got {candidates!r}")
    if search not in SEARCHES:
        raise MethodError(f"search must be one of {list(SEARCHES)}, got {search!r}")
    mode = search if search != "auto" else ("exhaustive" if k <= MAX_EXHAUSTIVE_LISTS else "greedy")
    if mode == "exhaustive" and k > 6:
        raise MethodError(
            f"an exhaustive search over hierarchical models of {k} lists is out of reach "
            "(millions of models); use search=greedy"
        )
    fitter = _TermFitter(patterns, counts, lists, empty_overlaps)
    cands = _exhaustive(fitter) if mode == "exhaustive" else _greedy(fitter, criterion)
    sel = Selection(criterion, cands, None, None, n, mode, lp_calls=fitter.lp_calls, fitted=fitter.fits)
    ranked = sel.ranked()
    if ranked:
        sel.best = ranked[0][1]
        if full_fit:
            sel.best_fit = fitter.full_fit(sel.best)
    return sel


def selection_n_hat(patterns, counts, lists, **options) -> float:
    """N-hat of the selected model (NaN when no candidate is estimable): a bootstrap statistic."""
    sel = select_model(patterns, counts, lists, full_fit=False, **options)
    return sel.best.n_hat if sel.best is not None else math.nan


def model_average(sel: Selection) -> dict[str, Any]:
    """Akaike-type weights ``exp(-delta/2)`` over the competing models and the averaged N."""
    ranked = sel.ranked()
    if not ranked:
        return {}
    values = np.array([v for v, _ in ranked])
    w = np.exp(-(values - values[0]) / 2.0)
    w /= w.sum()
    n_hats = np.array([c.n_hat for _, c in ranked])
    return {
        "criterion": sel.criterion,
        "n_hat": float(np.sum(w * n_hats)),
        "models": len(ranked),
        "weight_of_selected": float(w[0]),
        "weights": w,
    }


# ----------------------------------------------------------------------- methods
def _search_estimate(
    table: CaptureTable,
    *,
    method: str,
    criterion: str,
    level: float,
    interval: str,
    candidates: str,
    search: str,
    empty_overlaps: str,
    top: int,
    selection_caveat: bool = True,
) -> EstimateResult:
    patterns, counts = table.cells()
    sel = select_model(
        patterns,
        counts,
        table.lists,
        criterion=criterion,
        candidates=candidates,
        search=search,
        empty_overlaps=empty_overlaps,
    )
    ranked = sel.ranked()
    excluded = [c for c in sel.candidates if not c.ok]
    details: dict[str, Any] = {
        "criterion": criterion,
        "search": sel.search,
        "models_compared": len(ranked),
        "models_fitted": sel.fitted,
        "excluded": {
            "no_mle": sum(1 for c in excluded if c.identifiable and not c.exists),
            "not_identifiable": sum(1 for c in excluded if not c.identifiable),
        },
    }
    if sel.notes.get("eta_set_to_zero"):
        details["eta_set_to_zero"] = sel.notes["eta_set_to_zero"]
    avg = model_average(sel)
    if ranked:
        weights = avg["weights"]
        details["top_models"] = [
            {
                "model": c.label,
                criterion: v,
                "delta": v - ranked[0][0],
                "weight": float(weights[i]),
                "n_hat": c.n_hat,
                "n_params": c.n_params,
                "loglik": c.loglik,
                **({"minus_infinity_terms": list(c.minus_infinity)} if c.minus_infinity else {}),
            }
            for i, (v, c) in enumerate(ranked[:top])
        ]
        details["model_average"] = {k: v for k, v in avg.items() if k != "weights"}
    warnings: list[str] = []
    winner = sel.boundary_winner()
    boundary = [c for c in sel.candidates if c.identifiable and not c.exists]
    if boundary and (winner is not None or candidates == "rcapture"):
        details["boundary_fits"] = [
            {"model": c.label, criterion: c.criterion(criterion, sel.n), "n_hat": c.n_hat} for c in boundary
        ]
    if candidates == "rcapture" and boundary:
        empty = all(c.n_hat < sel.n + 0.5 for c in boundary)
        text = (
            f"{len(boundary)} of Rcapture's {len(sel.candidates)} models have no maximum-likelihood "
            f"estimate on this table and were left out: {', '.join(c.label for c in boundary)}"
            + (
                f" (their fits run to a boundary where nobody is unobserved, N = n = {sel.n:,})"
                if empty
                else ""
            )
            + ". Rcapture's closedp reports such fits without a flag, and its minimum-BIC "
            "choice can be one of them"
        )
        if winner is not None:
            text += (
                f"; here {winner[1].label} has the smallest {criterion.upper()} on its boundary fit "
                f"({winner[0]:.2f})"
            )
        warnings.append(text)
    elif winner is not None:
        value, cand = winner
        warnings.append(
            f"{len(boundary)} candidate model(s) have no maximum-likelihood estimate on this table "
            f"and were left out; one of them, {cand.label}, has a smaller {criterion.upper()} on "
            f"its boundary fit ({value:.2f}) and a package that does not check existence (such "
            f"as Rcapture's closedp) may report it, with N = {cand.n_hat:,.1f}"
            + (" (everyone already observed)" if cand.n_hat < sel.n + 0.5 else "")
        )
    if sel.best is None:
        return not_estimable(
            method,
            table.lists,
            table.n_observed,
            "no candidate model has a maximum-likelihood estimate and identifiable parameters on this table",
            level=level,
            details=details,
            warnings=tuple(warnings),
        )
    ties = sel.ties()
    if len(ties) > 1:
        names = ", ".join(f"{c.label} ({c.n_hat:,.1f})" for c in ties)
        warnings.append(
            f"{len(ties)} models fit the data exactly equally well but extrapolate differently to "
            f"the people on no list: {names}. The data cannot choose between them; the first "
            "(in Rcapture's order) is reported"
            if candidates == "rcapture"
            else f"{len(ties)} models fit the data exactly equally well but extrapolate differently to "
            f"the people on no list: {names}. The data cannot choose between them; the first is "
            "reported"
        )
    elif len(ranked) > 1:
        close = [c for v, c in ranked if v - ranked[0][0] < 2.0]
        if len(close) > 1:
            lo = min(c.n_hat for c in close)
            hi = max(c.n_hat for c in close)
            if hi > 1.1 * lo:
                warnings.append(
                    f"{len(close)} models are within 2 {criterion.upper()} points of the selected "
                    f"one and estimate from {lo:,.0f} to {hi:,.0f}: the data do not single out a "
                    "model, see details['top_models'] and the model-averaged estimate"
                )
    if selection_caveat:
        warnings.append(
            f"the interval is that of the selected model and ignores the uncertainty of choosing "
            f"it among {len(ranked)} models; {method}-bca repeats the selection in every "
            "bootstrap replicate"
        )
    assert sel.best_fit is not None  # the best candidate is fitted in full
    result = model_result(
        table,
        sel.best_fit,
        method=method,
        level=level,
        interval=interval,
        warnings=warnings,
        details=details,
    )
    return result


def _search_bca(
    table: CaptureTable,
    *,
    criterion: str,
    level: float,
    rng: np.random.Generator,
    candidates: str,
    search: str,
    empty_overlaps: str,
    top: int,
    nboot: int,
    workers: int,
    progress: bool,
) -> EstimateResult:
    from functools import partial

    from .bootstrap import with_bca

    method = f"loglinear-{criterion}-bca"
    base = _search_estimate(
        table,
        method=method,
        criterion=criterion,
        level=level,
        interval="lognormal",
        candidates=candidates,
        search=search,
        empty_overlaps=empty_overlaps,
        top=top,
        selection_caveat=False,
    )
    statistic = partial(
        selection_n_hat,
        criterion=criterion,
        candidates=candidates,
        search=search,
        empty_overlaps=empty_overlaps,
    )
    return with_bca(
        base,
        statistic,
        table,
        method=method,
        rng=rng,
        nboot=nboot,
        workers=workers,
        progress=progress,
    )


def _make_bca(criterion: str):
    def estimator(
        table: CaptureTable,
        *,
        level: float = 0.95,
        rng: np.random.Generator,
        candidates: str = "hierarchical",
        search: str = "auto",
        empty_overlaps: str = "fail",
        top: int = 10,
        nboot: int = 1000,
        workers: int = 0,
        progress: bool = True,
    ) -> EstimateResult:
        return _search_bca(
            table,
            criterion=criterion,
            level=level,
            rng=rng,
            candidates=candidates,
            search=search,
            empty_overlaps=empty_overlaps,
            top=top,
            nboot=nboot,
            workers=workers,
            progress=progress,
        )

    estimator.__name__ = f"loglinear_{criterion}_bca"
    estimator.__doc__ = f"""Minimum-{criterion.upper()} log-linear model with a BCa bootstrap interval.

    Every replicate repeats the whole search (all candidate models), so the
    interval includes the uncertainty of the model choice. With five lists
    and the hierarchical candidates that is 6,893 fits per replicate: minutes
    for 1,000 replicates on two cores.
    """
    return estimator


def _make(criterion: str):
    name = f"loglinear-{criterion}"

    def estimator(
        table: CaptureTable,
        *,
        level: float = 0.95,
        interval: str = "profile",
        candidates: str = "hierarchical",
        search: str = "auto",
        empty_overlaps: str = "fail",
        top: int = 10,
    ) -> EstimateResult:
        return _search_estimate(
            table,
            method=name,
            criterion=criterion,
            level=level,
            interval=interval,
            candidates=candidates,
            search=search,
            empty_overlaps=empty_overlaps,
            top=top,
        )

    estimator.__name__ = name.replace("-", "_")
    estimator.__doc__ = f"""Log-linear model with the smallest {criterion.upper()}.

    See the module docstring: the candidates, how the search proceeds, which
    models are left out, and the model-averaged estimate in ``details``.
    Assumptions are those of the selected model; the reported interval is
    conditional on the selection.
    """
    return estimator


SEARCH_SETTINGS = (
    Setting(
        "candidates",
        str,
        "hierarchical",
        "hierarchical (every hierarchical log-linear model) or rcapture (Rcapture's M0, Mt, Mh*, Mth*)",
        choices=CANDIDATES,
    ),
    Setting(
        "search",
        str,
        "auto",
        f"exhaustive, greedy, or auto (exhaustive up to {MAX_EXHAUSTIVE_LISTS} lists)",
        choices=SEARCHES,
    ),
    EMPTY_OVERLAPS_SETTING,
)

METHODS = tuple(
    Method(
        name=f"loglinear-{c}",
        function=_make(c),
        summary=f"log-linear model with the smallest {c.upper()} (all hierarchical models up to "
        f"5 lists, greedy beyond), model-averaged estimate in details",
        reference="Fienberg (1972); Buckland, Burnham & Augustin (1997); Baillargeon & Rivest (2007)",
        settings=(INTERVAL_SETTING,)
        + SEARCH_SETTINGS
        + (Setting("top", int, 10, "how many of the best models to list in details", minimum=1),),
        produces=frozenset({CELLS}),
    )
    for c in CRITERIA
)


def _bca_methods():
    from .bootstrap import BOOTSTRAP_SETTINGS

    return tuple(
        Method(
            name=f"loglinear-{c}-bca",
            function=_make_bca(c),
            summary=f"minimum-{c.upper()} log-linear model with a BCa bootstrap interval that repeats "
            "the whole search in every replicate",
            reference="Buckland, Burnham & Augustin (1997); Efron (1987)",
            settings=SEARCH_SETTINGS
            + (Setting("top", int, 10, "how many of the best models to list in details", minimum=1),)
            + BOOTSTRAP_SETTINGS,
            stochastic=True,
            produces=frozenset({CELLS, BOOTSTRAP_DRAWS}),
        )
        for c in CRITERIA
    )


METHODS = METHODS + _bca_methods()
