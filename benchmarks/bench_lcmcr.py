"""Speed of the LCMCR sampler: sweeps per second per chain and ESS of N per second of wall time.

For every table of benchmarks/tables, with the R package's settings (K = 10,
a_alpha = b_alpha = 0.25, burn-in 10,000, 1,000 draws thinned by 100):

* ``sweeps/s per chain``: one chain in this process (compiled sampler already
  loaded), total sweeps over wall time;
* ``ESS/s``: the default run (4 chains on all cores, start "mixed"), bulk ESS of
  N over the wall time of the whole call (start-up of the worker processes
  included), with its R-hat;
* ``R sweeps/s``: 110,500 sweeps over the ``seconds_R`` of the ``lcmcr`` row of
  reference_R.csv (measured on this machine kind, R's start-up and summaries
  included, so it understates R's pure sampling speed somewhat).

    python benchmarks/bench_lcmcr.py [--tables HIV Ned_5]

The machine is shared: compare ratios measured in one run.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import pandas as pd

from undercount.estimators import estimate
from undercount.estimators.lcmcr import _compile
from undercount.histories import CaptureTable

TABLES = Path(__file__).resolve().parents[1] / "benchmarks" / "tables"
R_SWEEPS = 10_000 + 1_000 * 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="*", help="benchmark tables (default: every one with an lcmcr row)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    ref = pd.read_csv(TABLES / "reference_R.csv")
    ref = ref[ref["method"] == "lcmcr"].set_index("dataset")
    names = args.tables or list(ref.index)
    compile_s = _compile()
    print(
        f"cores: {len(os.sched_getaffinity(0))}; load average {os.getloadavg()[0]:.2f}; "
        f"compile or cache load of the sampler: {compile_s:.2f} s\n"
    )
    print(
        "| table | k | cells | n | sweeps/s per chain (ours) | R sweeps/s | ours / R | default run wall (s) "
        "| bulk ESS of N | ESS/s | R-hat | median (95%) | R median (95%) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in names:
        table = CaptureTable.from_csv(TABLES / f"{name}.csv")
        cells = int((table.counts > 0).sum())
        one = estimate(
            table, "lcmcr", seed=args.seed, settings={"chains": 1, "workers": 1, "progress": False}
        )
        per_chain = one.runtime["sweeps_per_second_per_chain"]  # timings: in memory and logs, not details
        start = time.perf_counter()
        full = estimate(table, "lcmcr", seed=args.seed, settings={"progress": False})
        wall = time.perf_counter() - start
        d = full.details
        row = ref.loc[name]
        r_rate = R_SWEEPS / float(row["seconds_R"])
        print(
            f"| {name} | {table.k} | {cells} | {table.n_observed:,} | {per_chain:,.0f} | {r_rate:,.0f} "
            f"| {per_chain / r_rate:.2f} | {wall:.1f} | {d['ess_bulk']:,.0f} | {d['ess_bulk'] / wall:,.0f} "
            f"| {d['rhat']:.3f} | {full.n_hat:,.0f} ({full.ci_low:,.0f}-{full.ci_high:,.0f}) "
            f"| {float(row['n_hat']):,.0f} ({float(row['ci_low']):,.0f}-{float(row['ci_high']):,.0f}) |",
            flush=True,
        )
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
