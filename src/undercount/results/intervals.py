"""Intervals at another level than the one a result was computed at (:meth:`EstimateResult.conf_int`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ..errors import MethodError
from .details import GridPosterior, LoglinearFit

if TYPE_CHECKING:
    from .result import EstimateResult


def conf_int(result: EstimateResult, level: float) -> tuple[float, float]:
    details = result.details
    tails = [(1.0 - level) / 2.0, (1.0 + level) / 2.0]
    if isinstance(details, GridPosterior):
        fit = result.fit
        ends = fit.quantile(tails) if fit is not None else details.quantile(tails)
        return float(ends[0]), float(ends[1])
    bootstrap = getattr(details, "bootstrap", None)
    if result.draws is not None and result.draws.kind == "bootstrap" and bootstrap is not None:
        from ..estimators.bootstrap import bca_levels

        finite = result.draws.finite
        levels = bca_levels(bootstrap.bias_correction_z0, bootstrap.acceleration, level)
        low, high = np.quantile(finite, levels, method="median_unbiased")
        return float(low), float(high)
    if result.draws is not None and result.draws.kind == "posterior":
        low, high = result.draws.quantiles(tails)
        return float(low), float(high)
    z = _z(level)
    n = result.n_observed
    dark = result.n_hat - n
    if result.method == "sample-coverage":
        se = float(details["bootstrap_se"])
        if dark > 0 and se > 0:
            return _lognormal_dark(n, dark, se**2, z)
        return float(n), n + z * se if math.isfinite(se) else math.nan
    if result.method == "chapman":
        variance = float(details["variance"])
        if dark > 0 and variance > 0:
            return _lognormal_dark(n, dark, variance, z)
        return result.n_hat, result.n_hat
    if isinstance(details, LoglinearFit):
        from ..estimators import _kernels_py as K
        from ..estimators.loglinear import LOGNORMAL_TEXT, PROFILE_TEXT, profile_interval

        if details.interval == LOGNORMAL_TEXT:
            b0 = float(next(iter(details.coefficients.values())))
            se = details.log_dark_se
            return n + math.exp(b0 - z * se), n + math.exp(min(b0 + z * se, K.ETA_LIMIT))
        if details.interval == PROFILE_TEXT:
            fit = result.fit
            if fit is None:
                raise MethodError(
                    f"the {result.method} interval is a profile likelihood, computed at level "
                    f"{result.ci_level} only; at level {level} it needs the fitted model, which a "
                    "result read from a file does not keep: estimate again with that level"
                )
            X = fit.spec.X[fit.spec.keep]
            prof = profile_interval(X, fit.counts[fit.spec.keep], fit.n, fit.n_hat, level)
            return float(prof.low), float(prof.high)
    raise MethodError(
        f"the {result.method} interval is known at level {result.ci_level} only; estimate again at level {level}"
    )


def _z(level: float) -> float:
    from ..estimators._scalar import normal_quantile

    return normal_quantile(0.5 + level / 2.0)


def _lognormal_dark(n: int, dark: float, variance: float, z: float) -> tuple[float, float]:
    """Chao's (1987) log-normal interval on the undocumented number, from its variance."""
    c = math.exp(z * math.sqrt(math.log(1.0 + variance / dark**2)))
    return n + dark / c, n + dark * c
