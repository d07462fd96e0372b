"""Calibration of LCMCR intervals: do 95% intervals contain the true N about 95% of the time?

Data are simulated from the model LCMCR fits (a latent-class model): a true
population of N people in two classes (30% easy to document, 70% hard), five
lists whose capture probabilities depend on the class only (so lists are
independent within a class and dependent overall). Each replication draws a
table, runs ``lcmcr`` with a fresh seed and records whether the interval
contains N. Coverage is reported with its binomial standard error
sqrt(c (1 - c) / R); a well-calibrated method gives 0.95 within about two
standard errors. Like any Bayesian interval, the posterior's coverage under
repeated sampling is not exactly its level, so a small departure is a property
of the priors (1/N on N, the stick-breaking prior), not necessarily an error.

To keep the study to minutes, each run is shorter than the default
(``--burnin 2000 --samples 500 --thinning 10``, 2 chains); the R-hat and ESS
warnings of each run are counted and reported.

    python benchmarks/calibrate_lcmcr.py [--reps 200] [--N 2000] [--design moderate|hard]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from undercount.estimators import estimate
from undercount.histories import CaptureTable

CLASS_SHARES = np.array([0.3, 0.7])
#: capture probability of each list (rows) in each class (columns), per design:
#: "hard": 70% of people have 5-12% chances per list (about two thirds of them on
#: no list: the data say little about them); "moderate": 15-30%.
DESIGNS = {
    "hard": np.array([[0.45, 0.08], [0.35, 0.12], [0.50, 0.05], [0.30, 0.10], [0.40, 0.06]]),
    "moderate": np.array([[0.45, 0.20], [0.35, 0.25], [0.50, 0.15], [0.30, 0.30], [0.40, 0.18]]),
}


def simulate(N: int, rng: np.random.Generator, capture: np.ndarray) -> CaptureTable:
    classes = rng.choice(len(CLASS_SHARES), size=N, p=CLASS_SHARES)
    on = rng.random((N, capture.shape[0])) < capture[:, classes].T
    seen = on[on.any(axis=1)].astype(int)
    patterns, counts = np.unique(seen, axis=0, return_counts=True)
    return CaptureTable.from_arrays([f"L{j + 1}" for j in range(capture.shape[0])], patterns, counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--N", type=int, default=2000)
    parser.add_argument("--burnin", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--thinning", type=int, default=10)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("--design", choices=sorted(DESIGNS), default="moderate")
    args = parser.parse_args()
    seq = np.random.SeedSequence(args.seed)
    settings = {
        "burnin": args.burnin,
        "samples": args.samples,
        "thinning": args.thinning,
        "chains": args.chains,
        "progress": False,
    }
    hits = below = above = warned = 0
    observed, medians, widths = [], [], []
    start = time.perf_counter()
    for child in seq.spawn(args.reps):
        data_seed, run_seed = child.spawn(2)
        table = simulate(args.N, np.random.default_rng(data_seed), DESIGNS[args.design])
        result = estimate(table, "lcmcr", seed=int(run_seed.generate_state(1)[0]), settings=settings)
        hits += result.ci_low <= args.N <= result.ci_high
        below += args.N < result.ci_low
        above += args.N > result.ci_high
        warned += any("chains disagree" in w or "effective sample size" in w for w in result.warnings)
        observed.append(table.n_observed)
        medians.append(result.n_hat)
        widths.append(result.ci_high - result.ci_low)
    wall = time.perf_counter() - start
    c = hits / args.reps
    se = math.sqrt(c * (1 - c) / args.reps)
    print(
        f"design {args.design}: true N {args.N}; 5 lists, 2 latent classes; {args.reps} replications; runs of "
        f"{args.chains} chains x (burn-in {args.burnin} + {args.samples} x {args.thinning}); {wall:.0f} s\n"
    )
    print(
        "| replications | coverage of 95% intervals | binomial s.e. | N below interval | N above interval "
        "| mean observed | median of posterior medians | mean interval width | runs with R-hat/ESS warnings |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {args.reps} | {c:.3f} | {se:.3f} | {below} | {above} | {np.mean(observed):,.0f} "
        f"| {np.median(medians):,.0f} | {np.mean(widths):,.0f} | {warned} |"
    )


if __name__ == "__main__":
    main()
