"""BCa bootstrap intervals that repeat a whole estimation procedure per replicate.

Each replicate draws the n observed people again, with replacement, over the
observed capture patterns (``Multinomial(n, y / n)``), and reruns the
procedure from scratch (model selection included), so that the interval
carries the uncertainty of choosing the model. The interval is Efron's
bias-corrected and accelerated (BCa) percentile interval, as SparseMSE's
``estimatepopulation`` computes it:

* bias correction ``z0 = Phi^-1(share of replicates below N-hat)``;
* acceleration from a grouped jackknife: for every observed pattern j remove
  one person, rerun the procedure to get ``theta_j``; with
  ``r_j = mean_w(theta) - theta_j`` (mean weighted by the counts ``y_j``),
  ``a = sum(y r^3) / (6 (sum(y r^2))^1.5)``;
* limits: the type-8 quantiles of the replicates at
  ``Phi(z0 + (z0 + z_q) / (1 - a (z0 + z_q)))`` for ``z_q = Phi^-1(q)``.

Replicate tables are drawn in the parent process from the method's seeded
generator, then spread over worker processes; results therefore do not
depend on the number of workers. A progress bar (tqdm, stderr) shows the
replicates done.

References
----------
Efron, B. (1987). Better bootstrap confidence intervals. JASA 82, 171-185.
Chan, L., Silverman, B. W. and Vincent, K. (2021). JASA 116, 1297-1306.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..progress import track
from .base import Setting

if TYPE_CHECKING:
    from ..histories import CaptureTable
    from .base import EstimateResult

#: Replicates per task sent to a worker: large enough to amortise the
#: inter-process round trip, small enough for a smooth progress bar.
CHUNK = 20

BOOTSTRAP_SETTINGS = (
    Setting("nboot", int, 1000, "bootstrap replicates", minimum=20),
    Setting("workers", int, 0, "worker processes (0: one per available core)", minimum=0),
    Setting("progress", bool, True, "show a progress bar on stderr"),
    Setting(
        "max_hours",
        float,
        1.0,
        "refuse, before starting, a bootstrap predicted to take longer than this (hours of wall "
        "time): its cost is (nboot + one jackknife table per observed cell) times one fit, over the workers",
        minimum=0.0,
    ),
)

#: A bootstrap predicted to take longer than this (seconds) says so on stderr before it starts.
ANNOUNCE_SECONDS = 60.0


def _duration(seconds: float) -> str:
    """A predicted duration in the unit a reader expects: seconds, minutes or hours."""
    if seconds < 120:
        return f"{seconds:,.0f} seconds"
    if seconds < 7200:
        return f"{seconds / 60:,.0f} minutes"
    return f"{seconds / 3600:,.1f} hours"


def time_one_fit(
    statistic: Callable[..., float], patterns: Any, counts: np.ndarray, lists: Sequence[str]
) -> float:
    """Wall seconds of one fit of the statistic on the data: the unit of a bootstrap's cost."""
    import time

    start = time.perf_counter()
    try:
        statistic(patterns, counts, lists)
    except (ArithmeticError, ValueError, np.linalg.LinAlgError):
        pass
    return time.perf_counter() - start


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class BootstrapResult:
    """Replicates, jackknife values and the BCa interval."""

    replicates: np.ndarray
    jackknife: np.ndarray
    jackknife_weights: np.ndarray
    low: float
    high: float
    z0: float
    acceleration: float
    quantile_levels: tuple[float, float]
    failed: int
    warnings: tuple[str, ...]
    monte_carlo_se: tuple[float, float] = (math.nan, math.nan)

    def details(self) -> dict[str, Any]:
        finite = self.replicates[np.isfinite(self.replicates)]
        return {
            "interval": "BCa bootstrap, model selection repeated in every replicate",
            "nboot": int(len(self.replicates)),
            "replicates_without_estimate": int(self.failed),
            "bias_correction_z0": self.z0,
            "acceleration": self.acceleration,
            "quantile_levels": list(self.quantile_levels),
            "monte_carlo_se": list(self.monte_carlo_se),
            "bootstrap_median": float(np.median(finite)) if len(finite) else None,
            "bootstrap_percentile_interval": (
                [
                    float(np.quantile(finite, 0.025, method="median_unbiased")),
                    float(np.quantile(finite, 0.975, method="median_unbiased")),
                ]
                if len(finite)
                else None
            ),
        }


def _run_chunk(
    statistic: Callable[..., float], patterns: np.ndarray, lists: Sequence[str], tables: np.ndarray
) -> np.ndarray:
    out = np.empty(len(tables))
    for i, counts in enumerate(tables):
        try:
            out[i] = statistic(patterns, counts, lists)
        except (ArithmeticError, ValueError, np.linalg.LinAlgError):
            out[i] = math.nan
    return out


def _evaluate(
    statistic, patterns, lists, tables: np.ndarray, workers: int, progress: bool, desc: str
) -> np.ndarray:
    from tqdm import tqdm

    chunks = [tables[i : i + CHUNK] for i in range(0, len(tables), CHUNK)]
    results: list[np.ndarray | None] = [None] * len(chunks)
    with tqdm(total=len(tables), desc=desc, disable=not progress, leave=False, unit="rep") as shown:
        # the bar (when asked for) and the workflow's progress view (when one watches) count together
        bar = track("bootstrap replicates", len(tables), shown)
        if workers <= 1 or len(chunks) == 1:
            for i, chunk in enumerate(chunks):
                results[i] = _run_chunk(statistic, patterns, lists, chunk)
                bar.update(len(chunk))
        else:
            from concurrent.futures import ProcessPoolExecutor  # here: a 15 ms import

            with ProcessPoolExecutor(max_workers=workers) as pool:
                futures = {
                    pool.submit(_run_chunk, statistic, patterns, lists, chunk): i
                    for i, chunk in enumerate(chunks)
                }
                from concurrent.futures import as_completed

                for fut in as_completed(futures):
                    i = futures[fut]
                    results[i] = fut.result()
                    bar.update(len(chunks[i]))
    done = [r for r in results if r is not None]
    assert len(done) == len(results)  # every chunk has come back
    return np.concatenate(done) if done else np.empty(0)


def bca_bootstrap(
    statistic: Callable[..., float],
    patterns: Any,
    counts: np.ndarray,
    lists: Sequence[str],
    *,
    estimate: float,
    rng: np.random.Generator,
    nboot: int = 1000,
    level: float = 0.95,
    workers: int = 0,
    progress: bool = True,
    desc: str = "bootstrap",
    tables: np.ndarray | None = None,
) -> BootstrapResult:
    """BCa interval of ``statistic(patterns, counts, lists)`` (a picklable callable).

    ``patterns`` is passed to the statistic as it is (the observable patterns, or a
    richer design such as the covariate model's pattern x covariate table).

    ``counts`` are those of all observable cells in canonical order;
    ``estimate`` is the statistic on the data. Replicates whose statistic is
    NaN (no estimable model) are kept as NaN in ``replicates`` and left out of
    the quantiles, with a warning. ``tables``: the replicate tables, when the
    caller draws them otherwise (``(nboot, cells)``; by default
    ``Multinomial(n, counts / n)``).
    """
    counts = np.asarray(counts, dtype=np.int64)
    n = int(counts.sum())
    workers = available_cores() if workers == 0 else workers
    if tables is None:
        tables = rng.multinomial(n, counts / n, size=nboot)
    elif tables.shape != (nboot, len(counts)):
        raise ValueError(f"replicate tables shaped {tables.shape}, expected {(nboot, len(counts))}")
    observed = np.flatnonzero(counts > 0)
    jack_tables = np.repeat(counts[None, :], len(observed), axis=0)
    jack_tables[np.arange(len(observed)), observed] -= 1
    values = _evaluate(statistic, patterns, lists, np.vstack([tables, jack_tables]), workers, progress, desc)
    boot, jack = values[:nboot], values[nboot:]
    weights = counts[observed].astype(float)
    warnings: list[str] = []
    finite = boot[np.isfinite(boot)]
    failed = nboot - len(finite)
    if failed:
        warnings.append(
            f"{failed} of {nboot} bootstrap replicates had no estimable model and were left out "
            "of the interval"
        )
    nan = math.nan
    if len(finite) < 20:
        warnings.append("too few bootstrap replicates gave an estimate: no interval")
        return BootstrapResult(boot, jack, weights, nan, nan, nan, nan, (nan, nan), failed, tuple(warnings))
    share_below = float(np.mean(finite < estimate))
    if share_below in (0.0, 1.0):
        warnings.append(
            "every bootstrap replicate fell on one side of the estimate: the BCa bias correction "
            "is infinite and the interval is the range of the replicates"
        )
        share_below = min(max(share_below, 0.5 / len(finite)), 1 - 0.5 / len(finite))
    from scipy.special import ndtri

    z0 = float(ndtri(share_below))
    if np.all(np.isfinite(jack)):
        mean = float(np.sum(weights * jack) / weights.sum())
        r = mean - jack
        denom = float(np.sum(weights * r**2)) ** 1.5
        a = float(np.sum(weights * r**3) / (6.0 * denom)) if denom > 0 else 0.0
    else:
        a = 0.0
        warnings.append("some jackknife tables had no estimable model: the BCa acceleration is set to zero")
    levels = list(bca_levels(z0, a, level))
    low, high = (float(v) for v in np.quantile(finite, levels, method="median_unbiased"))
    if min(levels) < 1.0 / len(finite) or max(levels) > 1.0 - 1.0 / len(finite):
        warnings.append(
            "the BCa interval needs a quantile beyond the most extreme bootstrap replicate: "
            "its end is the extreme replicate, and more replicates would move it"
        )
    mcse = bca_monte_carlo_se(finite, estimate, a, level, rng)
    return BootstrapResult(
        boot, jack, weights, low, high, z0, a, (levels[0], levels[1]), failed, tuple(warnings), mcse
    )


def bca_levels(z0: float, a: float, level: float) -> tuple[float, float]:
    """Quantile levels of the BCa interval's ends."""
    from scipy.special import ndtr, ndtri  # here: loglinear imports this module for its settings

    out = []
    for q in ((1.0 - level) / 2.0, (1.0 + level) / 2.0):
        zq = float(ndtri(q))
        out.append(float(ndtr(z0 + (z0 + zq) / (1.0 - a * (z0 + zq)))))
    return out[0], out[1]


def _ndtri(p: float) -> float:
    from scipy.special import ndtri

    return float(ndtri(p))


def bca_monte_carlo_se(
    replicates: np.ndarray,
    estimate: float,
    a: float,
    level: float,
    rng: np.random.Generator,
    size: int | None = None,
    resamples: int = 400,
) -> tuple[float, float]:
    """Monte Carlo standard errors of the two BCa ends, by resampling the replicates.

    A BCa end computed from B replicates varies from seed to seed for two
    reasons: the share of replicates below the estimate (hence ``z0`` and the
    quantile levels) is binomial, and the empirical quantile at a level is an
    order statistic. Drawing ``size`` (default: as many as there are)
    replicates with replacement from the ones at hand and recomputing the ends
    ``resamples`` times reproduces both (the jackknife acceleration is
    deterministic and kept). For ends at the most extreme replicates the
    spread is somewhat underestimated, since no resample goes beyond them.
    """
    x = replicates[np.isfinite(replicates)]
    B = size or len(x)
    ends = np.empty((resamples, 2))
    for r in range(resamples):
        sample = rng.choice(x, B, replace=True)
        share = float(np.mean(sample < estimate))
        share = min(max(share, 0.5 / B), 1 - 0.5 / B)
        ends[r] = np.quantile(sample, bca_levels(float(_ndtri(share)), a, level), method="median_unbiased")
    sd = ends.std(axis=0, ddof=1)
    return float(sd[0]), float(sd[1])


def with_bca(
    result: EstimateResult,
    statistic: Callable[..., float],
    table: CaptureTable,
    *,
    method: str,
    rng: np.random.Generator,
    nboot: int,
    workers: int,
    progress: bool,
    max_hours: float = 1.0,
) -> EstimateResult:
    """Replace a point estimate's interval with the BCa bootstrap interval of its procedure.

    The replicates become the result's draws (one chain, kind ``bootstrap``);
    the bootstrap's summary goes into the log-linear fit's details.
    """
    from dataclasses import replace

    from ..results.details import Bootstrap, LoglinearFit
    from ..results.draws import Draws

    if not result.estimable:
        return replace(result, method=method)
    patterns, counts = table.cells()
    used = available_cores() if workers == 0 else workers
    one = time_one_fit(statistic, patterns, counts, table.lists)
    jack = int(np.count_nonzero(counts))  # one jackknife table per observed cell
    fits = nboot + jack
    total = one * fits / max(1, min(used, math.ceil(fits / CHUNK)))
    if total > max_hours * 3600:
        from ..results.result import not_estimable

        return not_estimable(
            method,
            result.lists,
            result.n_observed,
            f"not computed: the BCa bootstrap would take about {_duration(total)} "
            f"({nboot:,} replicates and {jack:,} jackknife tables, one per observed cell, at "
            f"{one:.2g} s per fit on {used} process(es)), beyond the limit of {max_hours:g} hours "
            "(setting max_hours). The cost grows with nboot, with the number of observed cells "
            "(up to 2^k - 1 for k lists) and with the cost of one fit (a model search grows fast "
            "with the number of lists); lower nboot, raise max_hours, or use the method without "
            "-bca",
            level=result.ci_level,
            model=result.model,
            warnings=tuple(result.warnings),
            caveats=tuple(result.caveats),
        )
    if progress and total > ANNOUNCE_SECONDS:
        import sys

        print(
            f"{method}: the BCa bootstrap will take about {total / 60:,.0f} min ({fits:,} fits at "
            f"{one:.2g} s each on {used} process(es))",
            file=sys.stderr,
        )
    if not isinstance(
        result.details, LoglinearFit
    ):  # pragma: no cover - every caller fits a log-linear model
        raise TypeError(f"with_bca needs a log-linear fit, got {type(result.details).__name__}")
    boot = bca_bootstrap(
        statistic,
        patterns,
        counts,
        table.lists,
        estimate=result.n_hat,
        rng=rng,
        nboot=nboot,
        level=result.ci_level,
        workers=workers,
        progress=progress,
        desc=method,
    )
    if not (math.isfinite(boot.low) and not math.isnan(boot.high)):
        from ..results.result import not_estimable

        return not_estimable(
            method,
            result.lists,
            result.n_observed,
            "no estimate: the bootstrap gave no interval, and a number without its interval is not "
            "reported (" + "; ".join(boot.warnings) + ")",
            level=result.ci_level,
            model=result.model,
            warnings=tuple(result.warnings),
            caveats=tuple(result.caveats),
        )
    summary = Bootstrap(
        **boot.details(),
        jackknife_n_hat=boot.jackknife,
        jackknife_weights=boot.jackknife_weights,
    )
    details = replace(result.details, interval=summary.interval, n_hat_profile=None, bootstrap=summary)
    return replace(
        result,
        method=method,
        ci_low=boot.low,
        ci_high=boot.high,
        warnings=tuple(result.warnings) + boot.warnings,
        details=details,
        draws=Draws.bootstrap(boot.replicates),
    )
