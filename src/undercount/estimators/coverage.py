"""Chao and Tsay's sample-coverage estimators for k lists.

The idea (Chao and Tsay 1998): the *sample coverage* of the other lists,
seen from list j, is the share of list j's people whom the other lists also
document. Averaged over lists it is estimated by

    C = 1 - (1/k) sum_j S_j / n_j,

with n_j the size of list j and S_j the number of people on list j only.
Under independence of lists, the other lists cover a share ``D_j / N`` of
everyone, ``D_j`` being the number of people they document, which gives

    N0 = D / C,    D = (1/k) sum_j D_j = n - (1/k) sum_j S_j     (independence).

Dependence between lists i and j enters through their coefficient of
covariation ``gamma_ij``, estimated as ``N B_ij / (n_i n_j) - 1`` with
``B_ij`` their overlap. Chao and Tsay's estimating equation is

    N = D / C + (1 / (k C)) sum_{i<j} A_ij gamma_ij(N),

with ``A_ij`` the people on no list but i or j, counting those on both
twice. Solving it exactly gives the **high-coverage** estimator

    N = (k D - sum A_ij) / (k C - sum A_ij B_ij / (n_i n_j)),

reliable when coverage is high; when it is not (C at or below 0.55, Chao et
al. 2001) the denominator is close to zero and the estimate unstable. The
**low-coverage one-step** estimator instead applies the right-hand side twice
starting from N0, as CARE1 (Chao's own implementation) computes it.

Assumptions: a closed population; heterogeneity of capture probabilities
and dependence between lists are captured by the pairwise covariations
(higher-order covariation is ignored).

The interval is the log-normal interval on the undocumented number
(Chao 1987) with a bootstrap standard error: populations of ``round(N)``
people are drawn over the observable patterns and the unobserved cell in
the estimated proportions, the estimator is recomputed on what each would
show, and the replicates' standard deviation is used (the procedure of
CARE1). The replicates are in ``result.draws``.

References
----------
Chao, A. and Tsay, P. K. (1998). A sample coverage approach to
multiple-system estimation with application to census undercount. JASA 93,
283-293.
Chao, A., Tsay, P. K., Lin, S. H., Shau, W. Y. and Chao, D. Y. (2001). The
applications of capture-recapture models to epidemiological data.
Statistics in Medicine 20, 3123-3157.
Chao, A. (1987). Estimating the population size for capture-recapture data
with unequal catchability. Biometrics 43, 783-791.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from ..histories import CaptureTable
from ._scalar import normal_quantile
from .base import BOOTSTRAP_DRAWS, Details, Draws, EstimateResult, Method, Setting, not_estimable

ESTIMATORS = ("high-coverage", "low-coverage", "independence")

#: Coverage at or below which Chao et al. (2001) call the high-coverage estimator unstable.
LOW_COVERAGE = 0.55


def coverage_statistics(patterns: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
    """D, C, the three estimates and their ingredients, for one or many tables.

    ``counts`` is ``(cells,)`` or ``(replicates, cells)`` over the canonical
    observable patterns. Returns arrays with one value per table.
    """
    P = np.asarray(patterns, dtype=bool)
    Y = np.atleast_2d(np.asarray(counts, dtype=float))
    k = P.shape[1]
    sizes = P.sum(axis=1)
    n = Y.sum(axis=1)
    n_j = Y @ P.astype(float)
    single = [int(np.flatnonzero((sizes == 1) & P[:, j])[0]) for j in range(k)]
    S = Y[:, single]
    with np.errstate(divide="ignore", invalid="ignore"):
        D = n - S.mean(axis=1)
        C = 1.0 - (S / n_j).mean(axis=1)
        n0 = D / C
        A_sum = np.zeros(len(Y))
        AB_sum = np.zeros(len(Y))
        terms = []
        for i, j in itertools.combinations(range(k), 2):
            both_only = int(np.flatnonzero((sizes == 2) & P[:, i] & P[:, j])[0])
            A = Y[:, single[i]] + Y[:, single[j]] + 2.0 * Y[:, both_only]
            B = Y[:, P[:, i] & P[:, j]].sum(axis=1)
            ratio = B / (n_j[:, i] * n_j[:, j])
            terms.append((A, ratio))
            A_sum += A
            AB_sum += A * ratio

        def step(N):
            return D / C + sum(A * (N * r - 1.0) for A, r in terms) / (k * C)

        numerator = k * D - A_sum
        denominator = k * C - AB_sum
        high = numerator / denominator
        low = step(step(n0))
    return {
        "n": n,
        "D": D,
        "C": C,
        "independence": n0,
        "high-coverage": high,
        "low-coverage": low,
        "numerator": numerator,
        "denominator": denominator,
    }


def _estimate(stats: dict[str, np.ndarray], estimator: str) -> np.ndarray:
    """The chosen estimate, with CARE1's floor at the number observed for high coverage."""
    value = stats[estimator].copy()
    if estimator == "high-coverage":
        collapse = (stats["numerator"] < 1e-4) | ~(value >= stats["n"])
        value[collapse] = stats["n"][collapse]
    return value


def sample_coverage(
    table: CaptureTable,
    *,
    level: float = 0.95,
    rng: np.random.Generator,
    estimator: str = "high-coverage",
    nboot: int = 1000,
) -> EstimateResult:
    """Chao and Tsay's sample-coverage estimate with a bootstrap log-normal interval.

    See the module docstring for the estimators, their assumptions and the
    interval.
    """
    patterns, counts = table.cells()
    stats = coverage_statistics(patterns, counts)
    C = float(stats["C"][0])
    n = table.n_observed
    details: dict[str, Any] = {
        "coverage": C,
        "D": float(stats["D"][0]),
        "estimates": {e: float(stats[e][0]) for e in ESTIMATORS},
        "interval": "log-normal on the undocumented number with a bootstrap standard error (Chao 1987)",
    }
    warnings: list[str] = []
    if not C > 0:
        return not_estimable(
            "sample-coverage",
            table.lists,
            n,
            f"the estimated sample coverage is {C:.3f}: the lists share almost no one, and the "
            "sample-coverage estimators are not defined",
            level=level,
            details=details,
        )
    if C <= LOW_COVERAGE:
        if estimator == "high-coverage":
            warnings.append(
                f"estimated sample coverage {C:.2f} is at or below {LOW_COVERAGE}: the lists overlap "
                "too little for the high-coverage estimator, which is unstable here (Chao et al. "
                "2001); the low-coverage one-step estimator is meant for this case"
            )
        else:
            warnings.append(
                f"estimated sample coverage {C:.2f} is at or below {LOW_COVERAGE}: the lists overlap "
                "little, and any estimate of the people on no list rests on a long extrapolation"
            )
    value = float(_estimate(stats, estimator)[0])
    if not math.isfinite(value):
        return not_estimable(
            "sample-coverage",
            table.lists,
            n,
            f"the {estimator} sample-coverage estimator is not finite on this table",
            level=level,
            details=details,
            warnings=tuple(warnings),
        )
    if estimator == "high-coverage" and value == n and float(stats["high-coverage"][0]) != n:
        warnings.append(
            "the high-coverage estimator fell below the number observed (its denominator is "
            f"{float(stats['denominator'][0]):.3g}) and is reported as the number observed, as in "
            "CARE1: it gives no information here"
        )
    # parametric bootstrap: populations of round(N) over the observable cells and the dark cell
    size = max(int(round(value)), n)
    probs = np.append(counts, size - n) / size
    draws = rng.multinomial(size, probs, size=nboot)[:, :-1]
    boot_stats = coverage_statistics(patterns, draws)
    replicates = _estimate(boot_stats, estimator)
    finite = replicates[np.isfinite(replicates)]
    if len(finite) < nboot:
        warnings.append(
            f"{nboot - len(finite)} of {nboot} bootstrap replicates gave no finite estimate and were "
            "left out of the standard error"
        )
    se = float(np.std(finite, ddof=1)) if len(finite) > 1 else math.nan
    details["bootstrap_se"] = se
    z = normal_quantile(0.5 + level / 2.0)  # the one results.intervals recomputes with
    f0 = value - n
    if f0 > 0 and se > 0:
        c = math.exp(z * math.sqrt(math.log(1.0 + se**2 / f0**2)))
        low, high = n + f0 / c, n + f0 * c
    else:
        low, high = float(n), n + z * se if math.isfinite(se) else math.nan
    return EstimateResult(
        method="sample-coverage",
        lists=table.lists,
        n_observed=n,
        n_hat=value,
        ci_low=float(low),
        ci_high=float(high),
        ci_level=level,
        model=f"sample coverage, {estimator}",
        warnings=tuple(warnings),
        details=Details(extra=details),
        draws=Draws.bootstrap(replicates),
    )


METHODS = (
    Method(
        name="sample-coverage",
        function=sample_coverage,
        summary="Chao & Tsay sample-coverage estimator (high-coverage, low-coverage one-step or "
        "independence), bootstrap log-normal interval",
        reference="Chao & Tsay (1998); Chao et al. (2001); Chao (1987)",
        settings=(
            Setting(
                "estimator",
                str,
                "high-coverage",
                "high-coverage (Chao & Tsay's N-hat), low-coverage (one-step N-hat-1) or "
                "independence (N-hat-0)",
                choices=ESTIMATORS,
            ),
            Setting("nboot", int, 1000, "bootstrap replicates for the standard error", minimum=20),
        ),
        stochastic=True,
        min_lists=3,
        produces=frozenset({BOOTSTRAP_DRAWS}),
    ),
)
