"""Rcapture's closed-population models as log-linear designs (Baillargeon & Rivest 2007).

Each model is a Poisson log-linear model of the ``2**k - 1`` observable cells
whose design has, next to the intercept:

==============  ================================================================
M0              ``c``, the number of lists a pattern is on (one capture probability)
Mt              one 0/1 column per list (each list its own probability)
Mh Chao (LB)    ``c`` plus ``eta_j = max(c - j + 1, 0)`` for j = 3..k
Mh Poisson      ``c`` plus ``theta**c - 1`` (theta = 2 by default)
Mh Darroch      ``c`` plus ``c**2 / 2``
Mh Gamma        ``c`` plus ``log(theta) - log(theta + c)`` (theta = 3.5 by default)
Mth *           the Mt columns plus the same heterogeneity column(s)
==============  ================================================================

The heterogeneity columns are the log-linear forms of a random capture
probability that varies between people (Mh) on top of list effects (Mth):
Darroch's is a normal mixing distribution, Poisson and Gamma are families
indexed by theta, and Chao's lower-bound model leaves the mixing distribution
free but only bounds N from below. Every column is 0 on the unobserved cell,
so N = n + exp(intercept) as for any log-linear model. With Chao's model an
``eta`` coefficient should not be negative (it is a moment of the mixing
distribution); as in Rcapture (``neg=TRUE``), the first negative one is
removed and the model refitted until none is left.

Rcapture's ``closedp.t`` reports all these models and its users often take
the one with the smallest BIC; :mod:`.search` does that with
``--set candidates=rcapture``, but leaves out any model whose MLE does not
exist (Rcapture does not check, and on ``Artificial_3`` picks a boundary fit).

References
----------
Baillargeon, S. and Rivest, L.-P. (2007). Rcapture: loglinear models for
capture-recapture in R. Journal of Statistical Software 19(5).
Rivest, L.-P. and Baillargeon, S. (2007). Applications and extensions of
Chao's moment estimator for the size of a closed population. Biometrics 63,
999-1006.
Darroch, J. N., Fienberg, S. E., Glonek, G. F. V. and Junker, B. W. (1993).
A three-sample multiple-recapture approach to census population estimation
with heterogeneous catchability. JASA 88, 1137-1148.
Chao, A. (1987). Estimating the population size for capture-recapture data
with unequal catchability. Biometrics 43, 783-791.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from ..errors import MethodError
from ..histories import CaptureTable
from .base import CELLS, EstimateResult, Method, Setting
from .loglinear import INTERVAL_SETTING, ModelFit, ModelSpec, fit_spec, model_result

HETEROGENEITY = ("chao", "poisson", "darroch", "gamma")

#: Rcapture's default theta for the Poisson and Gamma heterogeneity models.
DEFAULT_THETA = {"poisson": 2.0, "gamma": 3.5}


def _theta_text(theta: float) -> str:
    return f"{theta:g}"


def closed_label(base: str, heterogeneity: str | None, theta: float | None = None) -> str:
    """Rcapture's name of a model: ``Mh Poisson2``, ``Mth Chao (LB)``, ``M0``..."""
    if heterogeneity is None:
        return base
    name = {"chao": "Chao (LB)", "darroch": "Darroch"}.get(heterogeneity)
    if name is None:
        name = heterogeneity.capitalize() + (_theta_text(theta) if theta is not None else "")
    return f"{base} {name}"


def closed_spec(
    patterns: np.ndarray,
    base: str,
    heterogeneity: str | None = None,
    theta: float | None = None,
    lists: tuple[str, ...] | None = None,
) -> ModelSpec:
    """Design of an Rcapture closed model over all observable cells.

    ``base`` is ``"M0"``, ``"Mt"``, ``"Mh"`` or ``"Mth"`` (the last two need a
    heterogeneity form).
    """
    patterns = np.asarray(patterns, dtype=float)
    m, k = patterns.shape
    c = patterns.sum(axis=1)
    cols = [np.ones(m)]
    names = ["(Intercept)"]
    if base in ("M0", "Mh"):
        cols.append(c)
        names.append("beta")
    elif base in ("Mt", "Mth"):
        for j in range(k):
            cols.append(patterns[:, j])
            names.append(lists[j] if lists else f"beta{j + 1}")
    else:
        raise MethodError(f"unknown closed model {base!r}")
    if base in ("Mh", "Mth"):
        if heterogeneity == "chao":
            for j in range(3, k + 1):
                cols.append(np.maximum(c - j + 1, 0.0))
                names.append(f"eta{j}")
        elif heterogeneity == "poisson":
            cols.append(theta**c - 1.0)
            names.append("tau")
        elif heterogeneity == "darroch":
            cols.append(c**2 / 2.0)
            names.append("tau")
        elif heterogeneity == "gamma":
            assert theta is not None  # DEFAULT_THETA gives the gamma column its theta
            cols.append(np.log(theta) - np.log(theta + c))
            names.append("tau")
        else:
            raise MethodError(f"{base} needs a heterogeneity form, one of {list(HETEROGENEITY)}")
    X = np.column_stack(cols)
    return ModelSpec(
        label=closed_label(base, heterogeneity if base in ("Mh", "Mth") else None, theta),
        X=X,
        column_names=tuple(names),
        keep=np.ones(m, dtype=bool),
    )


def fit_closed(
    patterns: np.ndarray,
    counts: np.ndarray,
    base: str,
    heterogeneity: str | None = None,
    theta: float | None = None,
    neg: bool = True,
    lists: tuple[str, ...] | None = None,
) -> tuple[ModelFit, list[str]]:
    """Fit an Rcapture model; for Chao's model apply the rule for negative etas.

    Returns the fit and the names of the eta columns removed (set to zero).
    """
    spec = closed_spec(patterns, base, heterogeneity, theta, lists)
    removed: list[str] = []
    fit = fit_spec(counts, spec, check=False)
    if heterogeneity == "chao" and neg:
        first_eta = next((i for i, n in enumerate(spec.column_names) if n.startswith("eta")), None)
        while first_eta is not None and fit.identifiable:
            names = fit.spec.column_names
            negative = [i for i in range(first_eta, len(names)) if fit.beta[i] < 0]
            if not negative:
                break
            drop = negative[0]
            removed.append(names[drop])
            keep_cols = [i for i in range(len(names)) if i != drop]
            spec = replace(
                fit.spec,
                X=fit.spec.X[:, keep_cols],
                column_names=tuple(names[i] for i in keep_cols),
            )
            fit = fit_spec(counts, spec, check=False)
            if not any(n.startswith("eta") for n in spec.column_names):
                break
    return fit_spec(counts, fit.spec, beta0=fit.beta if fit.identifiable else None), removed


def closed_estimate(
    table: CaptureTable,
    method: str,
    base: str,
    heterogeneity: str | None,
    *,
    level: float,
    interval: str,
    theta: float | None = None,
    neg: bool = True,
) -> EstimateResult:
    patterns, counts = table.cells()
    fit, removed = fit_closed(patterns, counts, base, heterogeneity, theta, neg, table.lists)
    warnings = []
    details: dict[str, Any] = {"rcapture_model": fit.spec.label}
    if removed:
        details["eta_set_to_zero"] = removed
        warnings.append(
            f"Chao's lower-bound model: negative {', '.join(removed)} set to zero and the model "
            "refitted (Rcapture's neg=TRUE rule); the estimate is a lower bound"
        )
    elif heterogeneity == "chao":
        warnings.append("Chao's model gives a lower bound for N, not an unbiased estimate")
    return model_result(
        table,
        fit,
        method=method,
        level=level,
        interval=interval,
        warnings=warnings,
        details=details,
    )


def _make(name: str, base: str, heterogeneity: str | None):
    """The estimator function of one model: its keyword arguments are exactly its settings."""
    estimator: Callable[..., EstimateResult]
    if heterogeneity in DEFAULT_THETA:
        default_theta = DEFAULT_THETA[heterogeneity]

        def with_theta(
            table: CaptureTable,
            *,
            level: float = 0.95,
            interval: str = "profile",
            theta: float = default_theta,
        ) -> EstimateResult:
            return closed_estimate(
                table, name, base, heterogeneity, level=level, interval=interval, theta=theta
            )

        estimator = with_theta
    elif heterogeneity == "chao":

        def with_neg(
            table: CaptureTable, *, level: float = 0.95, interval: str = "profile", neg: bool = True
        ) -> EstimateResult:
            return closed_estimate(table, name, base, heterogeneity, level=level, interval=interval, neg=neg)

        estimator = with_neg
    else:

        def plain(table: CaptureTable, *, level: float = 0.95, interval: str = "profile") -> EstimateResult:
            return closed_estimate(table, name, base, heterogeneity, level=level, interval=interval)

        estimator = plain
    estimator.__name__ = name.replace("-", "_")
    estimator.__qualname__ = estimator.__name__
    estimator.__doc__ = (
        f"Rcapture's {closed_label(base, heterogeneity, DEFAULT_THETA.get(heterogeneity or ''))} "
        "model (see the module docstring for its design and assumptions)."
    )
    return estimator


def _settings(heterogeneity: str | None) -> tuple[Setting, ...]:
    out = [INTERVAL_SETTING]
    if heterogeneity in DEFAULT_THETA:
        out.append(
            Setting(
                "theta",
                float,
                DEFAULT_THETA[heterogeneity],
                f"theta of the {heterogeneity.capitalize()} heterogeneity column",
                minimum=1e-9,
            )
        )
    if heterogeneity == "chao":
        out.append(
            Setting("neg", bool, True, "set negative eta parameters to zero and refit (Rcapture's neg=TRUE)")
        )
    return tuple(out)


_SUMMARIES = {
    None: "one capture probability for every list and person",
    "chao": "Chao's lower-bound heterogeneity model",
    "poisson": "heterogeneity through a Poisson-type column theta^c - 1",
    "darroch": "Darroch's normal-mixture heterogeneity model",
    "gamma": "heterogeneity through a Gamma-type column log(theta/(theta+c))",
}

_MODELS = [("m0", "M0", None)] + [
    (f"{base.lower()}-{h}", base, h) for base in ("Mh", "Mth") for h in HETEROGENEITY
]

METHODS = tuple(
    Method(
        name=name,
        function=_make(name, base, h),
        summary=f"Rcapture {closed_label(base, h, DEFAULT_THETA.get(h or ''))}: "
        + ("list effects plus " if base == "Mth" else "")
        + _SUMMARIES[h],
        reference="Baillargeon & Rivest (2007); Rivest & Baillargeon (2007)"
        + ("; Darroch et al. (1993)" if h == "darroch" else "")
        + ("; Chao (1987)" if h == "chao" else ""),
        settings=_settings(h),
        # with two lists a heterogeneity column is not identifiable next to list effects
        min_lists=3 if h is not None else 2,
        produces=frozenset({CELLS}),
    )
    for name, base, h in _MODELS
)
