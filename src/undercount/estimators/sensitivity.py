"""How the total moves with the one assumption no list can test (Aleshin-Guendel, Sadinle and Wakefield 2024).

Every estimate of the people no list recorded extrapolates from the people some list recorded. A
log-linear model does it by assuming that the interaction of all k lists is zero: the way the
lists overlap among the documented continues, unchanged, into the cell of the undocumented. The
data say nothing about that interaction (the unobserved cell is the only cell that would inform
it), so it is an identifying assumption, not a finding. Aleshin-Guendel et al. make it explicit
with a sensitivity parameter.

Here the parameter is ``xi``, the log of the ratio of the unobserved cell to what the model's
no-k-way-interaction assumption implies: with the k-way interaction equal to ``+-xi`` instead of
zero (the sign depends on the parity of k; the direction is what matters), the fit to the observed
cells is unchanged (the unobserved cell is not in the likelihood) and the unobserved count is
multiplied by ``exp(xi)``:

``N(xi) = n_obs + exp(xi) * m0_hat``

The interval scales the same way, since for a known ``xi`` the estimate of the undocumented is
``exp(xi)`` times the model's, replicate by replicate, profile by profile. ``xi = 0`` is the
assumption of the model; ``xi = log 2`` means the lists together missed twice as many people as
the model implies (people missed by one list tend to be missed by the others even more than their
overlaps show: hidden people); ``xi = -log 2`` half as many.

**Latent classes (lcmcr).** A latent-class model identifies the undocumented differently: the
people form classes within which the lists record independently, and the mixture of classes that
fits the documented patterns is extrapolated to the all-zero pattern,
``p0 = sum_c pi_c prod_j (1 - lambda_jc)``. The assumption no list can test is that this
extrapolation holds: that no group of people is harder to reach (or easier) than the classes seen
through the documented patterns imply; a class that every list almost always misses, for one, leaves
next to no trace in the documented patterns. Aleshin-Guendel et al.'s framing separates the model of
the documented patterns from the assumption that extends it to the undocumented; keeping the
latent-class fit to the documented patterns as it is, ``xi`` here is the log of the ratio of the odds
of being on no list, ``p0 / (1 - p0)``, to the odds the latent-class model implies. Since the
undocumented number is ``n`` times those odds, every draw of the posterior moves as
``N_d(xi) = n + exp(xi) * (N_d - n)``, and the curve is the posterior median and the equal-tailed
interval of the moved draws (:func:`posterior_curve`; the map is increasing and affine, so they are
the result's own median and interval ends moved the same way). It is the same multiple, read the same
way on the figure (the people missed by every list as a multiple of what the model assumes), but not
the same parameter as the log-linear one: ``xi`` is not a k-list interaction here, and the classes are
not refitted under it. Limits: ``xi`` is not learned (the curve is the posterior for a given
``xi``); a posterior that piles against lcmcr's cap on ``N`` moves its cap with it (the result's
warning about it stands); with 3 lists the latent-class fit is weakly identified and the curve
inherits that.

References
----------
Aleshin-Guendel, S., Sadinle, M. and Wakefield, J. (2024). The central role of the identifying
assumption in population size estimation. Biometrics 80(1), ujad028.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import MethodError
from ..results.result import EstimateResult

#: The stated range: the undocumented from a quarter to four times what the model implies.
XI_LOW = -math.log(4.0)
XI_HIGH = math.log(4.0)
XI_POINTS = 49  # a step of log(4)/24: xi = 0 and xi = +-log 2 are on the grid

COLUMNS = ["xi", "ratio", "n_hat", "ci_low", "ci_high", "n_observed", "assumption_holds"]


def xi_grid(low: float = XI_LOW, high: float = XI_HIGH, points: int = XI_POINTS) -> np.ndarray:
    """Evenly spaced values of xi from ``low`` to ``high`` (0 included when the step allows)."""
    if not low < 0 < high or points < 3:
        raise MethodError(f"the range of xi must contain 0 and have at least 3 points, got {low}..{high}")
    return np.linspace(low, high, points)


#: Methods whose sensitivity curve moves their posterior draws (latent classes: see the module's notes).
LATENT_CLASS_METHODS = ("lcmcr",)


def supports(method: str, has_cells: bool) -> bool:
    """Whether ``method`` has a sensitivity curve: a log-linear fit (``has_cells``) or a latent-class model."""
    return has_cells or method in LATENT_CLASS_METHODS


def sensitivity_curve(result: EstimateResult, xi: Sequence[float] | None = None) -> pd.DataFrame:
    """The total and its interval as functions of xi, for a log-linear or a latent-class result.

    Raises
    ------
    MethodError
        When the result carries no estimate (there is nothing to move), or a latent-class result
        carries no posterior draws.
    """
    if not result.estimable:
        raise MethodError(f"{result.method} gave no estimate here: there is no total to move with xi")
    grid = xi_grid() if xi is None else np.asarray(xi, dtype=float)
    if result.method in LATENT_CLASS_METHODS:
        return posterior_curve(result, grid)
    n = float(result.n_observed)
    dark, low, high = result.n_hat - n, result.ci_low - n, result.ci_high - n
    scale = np.exp(grid)
    return pd.DataFrame(
        {
            "xi": grid,
            "ratio": scale,
            "n_hat": n + scale * dark,
            "ci_low": n + scale * max(low, 0.0),
            "ci_high": n + scale * high if math.isfinite(high) else math.inf,
            "n_observed": int(result.n_observed),
            "assumption_holds": np.isclose(grid, 0.0, atol=1e-12),
        },
        columns=COLUMNS,
    )


def posterior_curve(result: EstimateResult, grid: np.ndarray) -> pd.DataFrame:
    """Every posterior draw of N moved as ``n + exp(xi) * (N_d - n)``; per xi, their median and interval.

    The interval is equal-tailed at the result's level, as lcmcr's own (the quantiles of all chains'
    draws together).
    """
    if result.draws is None or result.draws.kind != "posterior":
        raise MethodError(f"{result.method}: the result has no posterior draws to move with xi")
    n = float(result.n_observed)
    dark = result.draws.values.ravel() - n
    tail = (1.0 - result.ci_level) / 2.0
    rows = []
    for x in grid:
        moved = n + math.exp(float(x)) * dark
        low, median, high = np.quantile(moved, [tail, 0.5, 1.0 - tail])
        rows.append((float(x), math.exp(float(x)), float(median), float(low), float(high)))
    frame = pd.DataFrame(rows, columns=["xi", "ratio", "n_hat", "ci_low", "ci_high"])
    frame["n_observed"] = int(result.n_observed)
    frame["assumption_holds"] = np.isclose(grid, 0.0, atol=1e-12)
    return frame[COLUMNS]


def doubling_ratio(result: EstimateResult) -> float:
    """By how much the undocumented would have to exceed the model's figure for the total to double."""
    dark = result.n_hat - result.n_observed
    return result.n_hat / dark + 1.0 if dark > 0 else math.inf


EXPLANATION = (
    "Every estimate of the people no list recorded rests on one assumption that the lists themselves "
    "cannot test: that the way the lists overlap among the people they did record also holds among the "
    "people none of them recorded. If the people missed by one list are more often missed by the others "
    "too than the recorded overlaps show (people in hiding, or out of every list's reach), the true total "
    "is higher; if less often, lower. This figure shows how the estimated total would change if the number "
    "of people missed by every list were a given multiple of what the model assumes: at 1 (the marked point) "
    "the model's assumption holds; at 2 twice as many people were missed by all the lists; at 0.5 half as "
    "many. The data cannot say which point is right: the curve shows how much the conclusion depends on it."
)


def family_note(method: str) -> str:
    """What the multiple applies to for ``method``'s family (a sentence for the figure's caption)."""
    if method in LATENT_CLASS_METHODS:
        return (
            "For this latent-class model the multiple applies to the odds of being on no list that its classes "
            "imply, draw by draw of the posterior; the classes fitted to the recorded people are kept as they are."
        )
    return "For a log-linear model the multiple is exp(xi), xi the interaction of all the lists (0 in the model)."
