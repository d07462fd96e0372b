"""Time the log-linear estimators against the R packages' timings on the benchmark tables.

Usage (from the repository root, in the project's virtual environment)::

    python benchmarks/bench_loglinear.py              # everything, 1000 replicates, all cores
    python benchmarks/bench_loglinear.py --only bca --tables UKdat_5 NewOrl_5
    python benchmarks/bench_loglinear.py --only seeds --seeds 10 --tables NewOrl_5 HIV

Prints Markdown tables:

* ``bca``: stepwise selection with a 1,000-replicate BCa bootstrap that repeats
  the selection in every replicate (and the jackknife), ours wall-clock
  against SparseMSE's ``estimatepopulation`` (``seconds_R`` of the
  ``sparsemse`` rows of benchmarks/tables/reference_R.csv, measured on this
  machine kind; the issue quotes 90 s for UKdat_5 and 27 s for NewOrl_5);
* ``search``: the exhaustive minimum-BIC search over all 6,893 hierarchical
  models of each five-list table (and the greedy search on six lists);
* ``fast``: the deterministic methods against their R rows (Rcapture's Mt,
  closedp.t's best BIC model, the (.)^2 profile interval, SparseMSE's
  estimatepopulation.0);
* ``seeds``: Monte Carlo variability of the BCa ends over several seeds,
  next to the resampling estimate the result reports.

Timings include process start-up of the worker pool and are wall-clock on a
shared machine: compare ratios within one run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
TABLES = ROOT / "benchmarks" / "tables"

from undercount.estimators import estimate  # noqa: E402
from undercount.histories import CaptureTable  # noqa: E402


def table(name: str) -> CaptureTable:
    return CaptureTable.from_csv(TABLES / f"{name}.csv")


def reference() -> pd.DataFrame:
    return pd.read_csv(TABLES / "reference_R.csv", dtype={"ci_low": str, "ci_high": str})


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def warm_up() -> None:
    """Load the compiled kernels (numba cache) before anything is timed."""
    t = table("spina_bifida")
    estimate(t, "stepwise")
    estimate(t, "loglinear-bic")


def bench_bca(names, nboot, workers, seed):
    ref = reference().set_index(["dataset", "method"])
    print(f"\n### BCa bootstrap with stepwise reselection ({nboot} replicates, workers={workers or 'all'})\n")
    print("| table | k | n | ours (s) | SparseMSE (s) | speed-up | ours 95% BCa | SparseMSE 95% BCa |")
    print("|---|---|---|---|---|---|---|---|")
    for name in names:
        t = table(name)
        secs, r = timed(
            lambda t=t: estimate(
                t, "stepwise-bca", seed=seed, settings={"nboot": nboot, "workers": workers, "progress": False}
            )
        )
        row = ref.loc[(name, "sparsemse")]
        r_secs = float(row["seconds_R"])
        print(
            f"| {name} | {t.k} | {t.n_observed:,} | {secs:.2f} | {r_secs:.1f} | {r_secs / secs:.0f}x | "
            f"{r.ci_low:,.0f} to {r.ci_high:,.0f} | {float(row['ci_low']):,.0f} to {float(row['ci_high']):,.0f} |"
        )
        sys.stdout.flush()


def bench_search(names):
    print("\n### Minimum-BIC search over hierarchical log-linear models\n")
    print("| table | k | search | models | fitted | LPs | seconds | selected model | N-hat |")
    print("|---|---|---|---|---|---|---|---|---|")
    from undercount.estimators.search import select_model

    for name in names:
        t = table(name)
        patterns, counts = t.cells()
        secs, sel = timed(
            lambda t=t, patterns=patterns, counts=counts: select_model(
                patterns, counts, t.lists, criterion="bic"
            ),
            repeat=3,
        )
        best = sel.best
        print(
            f"| {name} | {t.k} | {sel.search} | {len(sel.candidates):,} | {sel.fitted:,} | {sel.lp_calls} | "
            f"{secs:.2f} | {best.label if best else '-'} | {best.n_hat:,.0f} |"
        )
        sys.stdout.flush()


FAST = [
    ("rcapture-mt", "mt", {}, None),
    ("rcapture-best", "loglinear-bic", {"candidates": "rcapture"}, None),
    ("rcapture-ci[~(.)^2]", "loglinear", {"empty_overlaps": "minus-infinity"}, "(.)^2"),
    ("sparsemse-0", "stepwise", {}, None),
]


def bench_fast(names):
    ref = reference().set_index(["dataset", "method"])
    print("\n### Deterministic methods (median of 5 runs) against R's timing\n")
    print("| table | R method | ours | ours (ms) | R (ms) | ours N-hat | R N-hat |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        t = table(name)
        for r_method, method, settings, model in FAST:
            runs = []
            for _ in range(5):
                t0 = time.perf_counter()
                res = estimate(t, method, settings=settings, model=model)
                runs.append(time.perf_counter() - t0)
            row = ref.loc[(name, r_method)]
            est = f"{res.n_hat:,.1f}" if res.estimable else "not estimable"
            print(
                f"| {name} | {r_method} | {method} | {1000 * statistics.median(runs):.1f} | "
                f"{1000 * float(row['seconds_R']):.0f} | {est} | {float(row['n_hat']):,.1f} |"
            )
        sys.stdout.flush()


def bench_seeds(names, nboot, workers, seeds):
    print(f"\n### Monte Carlo variability of the BCa ends ({seeds} seeds x {nboot} replicates)\n")
    print("| table | end | mean over seeds | sd over seeds | mean reported MC s.e. | SparseMSE |")
    print("|---|---|---|---|---|---|")
    ref = reference().set_index(["dataset", "method"])
    for name in names:
        t = table(name)
        ends, ses = [], []
        for s in range(seeds):
            r = estimate(
                t,
                "stepwise-bca",
                seed=1000 + s,
                settings={"nboot": nboot, "workers": workers, "progress": False},
            )
            ends.append((r.ci_low, r.ci_high))
            ses.append(r.details["bootstrap"]["monte_carlo_se"])
        ends, ses = np.array(ends), np.array(ses)
        row = ref.loc[(name, "sparsemse")]
        for i, label in enumerate(("low", "high")):
            print(
                f"| {name} | {label} | {ends[:, i].mean():,.1f} | {ends[:, i].std(ddof=1):,.1f} | "
                f"{ses[:, i].mean():,.1f} | {float(row['ci_low' if i == 0 else 'ci_high']):,.1f} |"
            )
        sys.stdout.flush()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    all_tables = sorted(p.stem for p in TABLES.glob("*.csv") if p.stem != "reference_R")
    parser.add_argument("--tables", nargs="*", default=None, help="tables (default: all)")
    parser.add_argument("--only", choices=("bca", "search", "fast", "seeds"), action="append")
    parser.add_argument("--nboot", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=0, help="0: one per core")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--seeds", type=int, default=8)
    args = parser.parse_args(argv)
    names = args.tables or all_tables
    parts = args.only or ["fast", "search", "bca"]
    import os

    print(
        f"cores available: {len(os.sched_getaffinity(0))}; load average: "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    warm_up()
    if "fast" in parts:
        bench_fast(names)
    if "search" in parts:
        bench_search([n for n in names if table(n).k >= 5])
    if "bca" in parts:
        bench_bca(names, args.nboot, args.workers, args.seed)
    if "seeds" in parts:
        bench_seeds(names, args.nboot, args.workers, args.seeds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
