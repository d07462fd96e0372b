"""Stepwise selection of two-list interactions (Chan, Silverman & Vincent 2021; SparseMSE).

Start from independence (main effects only). In each cycle, for every pair
of lists (i, j) whose interaction is not yet in the model, compare the
number of people observed on both, ``n*``, with the number the current model
expects there, ``lambda*`` (the sum of fitted counts of every cell on both
lists), by the two-sided Poisson tail ``p = min(P(X <= n*), P(X >= n*))``
with ``X ~ Poisson(lambda*)``. A pair whose addition would give a model
without an MLE or with unidentifiable parameters gets ``p = 1``. The pair
with the smallest p (ties: the first in the order (1,2), (1,3), ...,
(2,3), ...) is added if ``p < pthresh`` (0.02), and the cycle repeats; the
selection stops when no pair qualifies.

A pair of lists that share no one (``n* = 0``) is, by default, added as a
minus-infinity term: its cells become structural zeros (see
:mod:`.loglinear`). This is SparseMSE's convention, and it can change the
estimate a lot: when the model expected many people on both lists, declaring
the overlap impossible pushes the unobserved count up (it doubles the
Netherlands estimate). ``empty_overlaps=fail`` never adds such a pair (its
MLE does not exist), and the result's warning gives that alternative number
whenever the convention was used.

The point estimate is ``n + exp(beta_0)`` of the selected model; the default
interval is SparseMSE's log-normal interval on the dark figure; the profile
likelihood of the selected model is available, and ``stepwise-bca`` gives
SparseMSE's BCa bootstrap, repeating the selection in every replicate.

References
----------
Chan, L., Silverman, B. W. and Vincent, K. (2021). Multiple systems
estimation for sparse capture data: inferential challenges when there are
nonoverlapping lists. JASA 116, 1297-1306.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import pdtr, pdtrc

from ..histories import CaptureTable
from . import _kernels as K
from .base import BOOTSTRAP_DRAWS, CELLS, EstimateResult, Method, Setting, not_estimable
from .loglinear import (
    FIT_MAX_ITER,
    FIT_TOL,
    INTERVALS,
    ModelFit,
    Term,
    existence,
    failure_reason,
    fit_spec,
    main_effects,
    model_label,
    model_result,
    terms_spec,
)

#: SparseMSE's default p-value threshold.
PTHRESH = 0.02


@dataclass
class StepwiseResult:
    """The selected model and how the selection got there."""

    fit: ModelFit
    terms: tuple[Term, ...]
    steps: list[dict[str, Any]] = field(default_factory=list)


class _Stepper:
    """The selection on one table, on arrays: the full design is built once.

    Columns of ``X`` are the intercept, the k main effects and every pair;
    a model is a choice of pair columns, and of rows when a pair is set to
    minus infinity. Labels and full :class:`ModelFit` objects are made only
    for what is reported.
    """

    def __init__(
        self, patterns: np.ndarray, counts: np.ndarray, lists: Sequence[str], empty_overlaps: str
    ) -> None:
        self.patterns = np.asarray(patterns)
        self.counts = np.asarray(counts, dtype=np.int64)
        self.y = self.counts.astype(float)
        self.lists = tuple(lists)
        self.k = len(lists)
        self.empty_overlaps = empty_overlaps
        self.pairs = list(itertools.combinations(range(self.k), 2))
        pats = self.patterns.astype(bool)
        self.inside = np.array([pats[:, i] & pats[:, j] for i, j in self.pairs])  # (pairs, cells)
        self.overlap = self.inside.astype(np.int64) @ self.counts
        self.X = np.column_stack(
            [np.ones(len(self.y)), self.patterns.astype(float), self.inside.T.astype(float)]
        )

    def _design(self, chosen: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        rows = None
        cols = list(range(self.k + 1))
        for idx in chosen:
            if self.empty_overlaps == "minus-infinity" and self.overlap[idx] == 0:
                rows = ~self.inside[idx] if rows is None else rows & ~self.inside[idx]
            else:
                cols.append(self.k + 1 + idx)
        if rows is None:
            return np.ascontiguousarray(self.X[:, cols]), self.y, None
        return np.ascontiguousarray(self.X[rows][:, cols]), self.y[rows], rows

    def _fit(self, chosen: list[int], beta0: np.ndarray | None):
        """(ok, beta, mu over all cells) of the model with these pairs."""
        X, y, rows = self._design(chosen)
        p = X.shape[1]
        if rows is not None and K.matrix_rank(X) < p:
            return False, None, None
        use = beta0 is not None and len(beta0) == p
        beta, mu, _, converged, _ = K.newton_poisson(
            X, y, beta0 if use else np.zeros(p), int(use), FIT_TOL, FIT_MAX_ITER
        )
        ok = existence(X, y, mu, bool(converged))
        if rows is None:
            return ok, beta, mu
        full = np.zeros(len(self.y))
        full[rows] = mu
        return ok, beta, full

    def terms(self, chosen: list[int]) -> tuple[Term, ...]:
        return main_effects(self.k) + tuple(self.pairs[i] for i in chosen)

    def run(self, pthresh: float, record: bool = False) -> tuple[list[int], bool, float, list]:
        """Selected pairs, whether the final model is estimable, its N-hat, and the steps."""
        chosen: list[int] = []
        ok, beta, mu = self._fit(chosen, None)
        steps: list[dict[str, Any]] = []
        in_model = np.zeros(len(self.pairs), dtype=bool)
        n = float(self.y.sum())
        while ok:
            lam = self.inside @ mu
            n_star = self.overlap
            lower = pdtr(n_star, lam)
            upper = np.where(n_star > 0, pdtrc(np.maximum(n_star - 1, 0), lam), 1.0)
            p = np.minimum(lower, upper)
            p[in_model] = np.inf
            raw = p.copy()
            refused: list[int] = []
            pick = None
            for idx in np.argsort(p, kind="stable"):
                if in_model[idx] or not p[idx] < pthresh:
                    break
                minus_inf = self.empty_overlaps == "minus-infinity" and self.overlap[idx] == 0
                warm = beta if minus_inf else np.append(beta, 0.0)
                new_ok, new_beta, new_mu = self._fit(chosen + [int(idx)], warm)
                if new_ok:
                    pick = (int(idx), new_beta, new_mu)
                    break
                p[idx] = 1.0  # fails the identifiability / existence check (SparseMSE's checkident)
                refused.append(int(idx))
            if record:
                steps.append(
                    {
                        "model": model_label(self.terms(chosen), self.lists),
                        "n_hat": n + math.exp(beta[0]),
                        "candidates": {
                            ":".join(self.lists[j] for j in self.pairs[i]): {
                                "observed": int(n_star[i]),
                                "expected": float(lam[i]),
                                "p": float(raw[i]),
                                **(
                                    {"refused": "no MLE or not identifiable with this pair"}
                                    if i in refused
                                    else {}
                                ),
                            }
                            for i in range(len(self.pairs))
                            if not in_model[i]
                        },
                        "added": None
                        if pick is None
                        else ":".join(self.lists[j] for j in self.pairs[pick[0]]),
                    }
                )
            if pick is None:
                break
            idx, beta, mu = pick
            in_model[idx] = True
            chosen.append(idx)
        n_hat = n + math.exp(min(beta[0], K.ETA_LIMIT)) if ok else math.nan
        return chosen, ok, n_hat, steps


def stepwise_select(
    patterns: np.ndarray,
    counts: np.ndarray,
    lists: Sequence[str],
    *,
    pthresh: float = PTHRESH,
    empty_overlaps: str = "minus-infinity",
    record: bool = False,
) -> StepwiseResult:
    """Run the selection on the counts of all observable cells (canonical order)."""
    stepper = _Stepper(patterns, counts, lists, empty_overlaps)
    chosen, _, _, steps = stepper.run(pthresh, record)
    terms = stepper.terms(chosen)
    fit = fit_spec(counts, terms_spec(patterns, counts, terms, lists, empty_overlaps))
    return StepwiseResult(fit, terms, steps)


def stepwise_n_hat(
    patterns, counts, lists, *, pthresh: float = PTHRESH, empty_overlaps: str = "minus-infinity"
) -> float:
    """N-hat of the selected model (NaN when none is estimable): a bootstrap statistic."""
    return _Stepper(patterns, counts, lists, empty_overlaps).run(pthresh)[2]


def stepwise(
    table: CaptureTable,
    *,
    level: float = 0.95,
    interval: str = "lognormal",
    pthresh: float = PTHRESH,
    empty_overlaps: str = "minus-infinity",
) -> EstimateResult:
    """Chan, Silverman & Vincent's (2021) stepwise selection, SparseMSE's ``estimatepopulation.0``.

    Model: Poisson log-linear with main effects and the two-list interactions
    the selection adds (see the module docstring). Assumes, like every
    log-linear model, that the interactions left out are zero, and in
    particular that there is no three-list dependence; with the default
    ``empty_overlaps=minus-infinity``, also that lists which share no one in
    the data cannot share anyone.
    """
    patterns, counts = table.cells()
    res = stepwise_select(
        patterns, counts, table.lists, pthresh=pthresh, empty_overlaps=empty_overlaps, record=True
    )
    details: dict[str, Any] = {"selection": res.steps}
    if not res.fit.ok:
        return not_estimable(
            "stepwise",
            table.lists,
            table.n_observed,
            failure_reason(res.fit, patterns, table.lists),
            level=level,
            model=res.fit.spec.label,
            details=details,
        )
    warnings = []
    if res.fit.spec.minus_infinity:
        alt = stepwise_select(patterns, counts, table.lists, pthresh=pthresh, empty_overlaps="fail")
        alt_text = f"{alt.fit.n_hat:,.0f} (model {alt.fit.spec.label})" if alt.fit.ok else "no estimate"
        details["without_minus_infinity"] = {
            "model": alt.fit.spec.label,
            "n_hat": alt.fit.n_hat if alt.fit.ok else None,
        }
        terms = res.fit.spec.minus_infinity
        warnings.append(
            f"following SparseMSE, the selection added {', '.join(terms)}, "
            f"{'a pair' if len(terms) == 1 else 'pairs'} of lists that share no one, as "
            f"minus infinity: it assumed that nobody can be on {'those lists' if len(terms) == 1 else 'either pair of lists'} "
            "together, and the estimate rests on that assumption. Never adding such pairs "
            f"(--set empty_overlaps=fail) gives {alt_text}"
        )
    result = model_result(
        table,
        res.fit,
        method="stepwise",
        level=level,
        interval=interval,
        details=details,
    )
    # model_result adds its own generic minus-infinity caveat; the specific one above replaces it
    if res.fit.spec.minus_infinity:
        from dataclasses import replace

        kept = tuple(w for w in result.warnings if not w.startswith("interaction(s) "))
        result = replace(result, warnings=tuple(warnings) + kept)
    return result


STEPWISE_SETTINGS = (
    Setting("pthresh", float, PTHRESH, "p-value threshold for adding a pair", minimum=0.0, maximum=1.0),
    Setting(
        "empty_overlaps",
        str,
        "minus-infinity",
        "pairs of lists that share no one: minus-infinity (SparseMSE: may be added as a "
        "structural zero) or fail (never added)",
        choices=("minus-infinity", "fail"),
    ),
)

METHODS: tuple[Method, ...] = (
    Method(
        name="stepwise",
        function=stepwise,
        summary="stepwise selection of two-list interactions (SparseMSE, p < 0.02), log-normal interval",
        reference="Chan, Silverman & Vincent (2021)",
        settings=(
            Setting(
                "interval",
                str,
                "lognormal",
                "lognormal (SparseMSE's default) or profile (the selected model's profile likelihood)",
                choices=INTERVALS,
            ),
        )
        + STEPWISE_SETTINGS,
        produces=frozenset({CELLS}),
    ),
)


def stepwise_bca(
    table: CaptureTable,
    *,
    level: float = 0.95,
    rng: np.random.Generator,
    pthresh: float = PTHRESH,
    empty_overlaps: str = "minus-infinity",
    nboot: int = 1000,
    workers: int = 0,
    progress: bool = True,
) -> EstimateResult:
    """Stepwise selection with SparseMSE's BCa bootstrap (``estimatepopulation``).

    The point estimate is :func:`stepwise`'s; the interval repeats the whole
    selection in each of ``nboot`` multinomial replicates (see
    :mod:`.bootstrap`). The replicates are in ``result.draws``.
    """
    from functools import partial

    from .bootstrap import with_bca

    base = stepwise(table, level=level, interval="lognormal", pthresh=pthresh, empty_overlaps=empty_overlaps)
    statistic = partial(stepwise_n_hat, pthresh=pthresh, empty_overlaps=empty_overlaps)
    return with_bca(
        base,
        statistic,
        table,
        method="stepwise-bca",
        rng=rng,
        nboot=nboot,
        workers=workers,
        progress=progress,
    )


def _bca_method():
    from .bootstrap import BOOTSTRAP_SETTINGS

    return Method(
        name="stepwise-bca",
        function=stepwise_bca,
        summary="stepwise selection (SparseMSE) with a BCa bootstrap interval that repeats the selection",
        reference="Chan, Silverman & Vincent (2021); Efron (1987)",
        settings=STEPWISE_SETTINGS + BOOTSTRAP_SETTINGS,
        stochastic=True,
        produces=frozenset({CELLS, BOOTSTRAP_DRAWS}),
    )


METHODS = METHODS + (_bca_method(),)
