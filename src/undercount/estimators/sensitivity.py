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

For latent-class models (lcmcr) the identifying assumption is different (conditional independence
within classes); no sensitivity curve is given for them here.

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


def sensitivity_curve(result: EstimateResult, xi: Sequence[float] | None = None) -> pd.DataFrame:
    """The total and its interval as functions of xi, for a log-linear result.

    Raises
    ------
    MethodError
        When the result carries no estimate (there is nothing to move).
    """
    if not result.estimable:
        raise MethodError(f"{result.method} gave no estimate here: there is no total to move with xi")
    grid = xi_grid() if xi is None else np.asarray(xi, dtype=float)
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
