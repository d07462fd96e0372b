"""Coverage and speed of the covariate model (loglinear-cov) where catchability depends on covariates.

Design (``simulate``): ``N`` people with sex (2 levels), an age band (3) and a region (2; it plays
no part in catchability, a covariate the search should learn to ignore). Each person is on list
``j`` independently given the covariates, with ``logit p_j = base_j + sex_j [male] + age_j [band]``:
lists A and B both find men and the young more often, C finds the old slightly more often. The
lists are independent within every covariate cell, so the covariate model with list x sex and
list x age terms is true; pooled over the covariates, A and B are positively dependent and a model
blind to the covariates (mt) is biased downwards; a list-interaction model (loglinear-bic,
stepwise-bca) absorbs part of it.

For each of ``--replicates`` datasets every method's 95% interval is checked for containing ``N``;
the table gives the coverage with its Monte Carlo standard error ``sqrt(p (1 - p) / R)``, the mean
estimate relative to ``N`` and the median interval width.

``--speed``: one table of 30,000 people with three covariates (sex, age band, region), the search
and the averaged bootstrap (1,000 replicates) timed.

Usage::

    nice -n 10 python benchmarks/covariates.py --replicates 100
    nice -n 10 python benchmarks/covariates.py --speed

The datasets come from seeds ``[seed, r]``, so a run stopped by ``--max-seconds`` after ``R``
datasets covers the first ``R`` datasets of a full run, and ``--first 100`` continues a run of 100
with new datasets (coverages of the two runs combine as hits over datasets).
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np

from undercount.estimators import estimate
from undercount.estimators.loglinear_cov import CovariateTable

LISTS = ("A", "B", "C")
BASE = np.array([-1.1, -1.3, -1.0])
SEX = np.array([1.0, 0.9, 0.0])  # men, against women
AGE = {"0-17": np.array([0.3, 0.4, -0.2]), "18-44": np.zeros(3), "45+": np.array([-0.9, -1.0, 0.3])}
METHODS = ("mt", "loglinear-bic", "stepwise-bca", "loglinear-cov")


def simulate(rng: np.random.Generator, N: int) -> CovariateTable:
    """One dataset of the design (see the module's notes)."""
    sex = rng.choice(["f", "m"], N)
    age = rng.choice(list(AGE), N, p=[0.3, 0.4, 0.3])
    region = rng.choice(["north", "south"], N)
    eta = BASE + (sex == "m")[:, None] * SEX + np.stack([AGE[a] for a in age])
    caps = (rng.random((N, len(LISTS))) < 1.0 / (1.0 + np.exp(-eta))).astype(np.int8)
    seen = caps.any(axis=1)
    return CovariateTable.from_people(
        LISTS,
        caps[seen],
        {"sex": list(sex[seen]), "age_band": list(age[seen]), "region": list(region[seen])},
    )


def settings_of(method: str, nboot: int, workers: int) -> dict:
    if method == "loglinear-cov":
        return {"covariates": "sex,age_band,region", "nboot": nboot, "workers": workers, "progress": False}
    if method == "stepwise-bca":
        return {"nboot": nboot, "workers": workers, "progress": False}
    return {}


def coverage(args: argparse.Namespace) -> int:
    hits = {m: [] for m in METHODS}
    rel = {m: [] for m in METHODS}
    width = {m: [] for m in METHODS}
    failed = dict.fromkeys(METHODS, 0)
    start = time.perf_counter()
    R = 0
    for i in range(args.replicates):
        if args.max_seconds and time.perf_counter() - start > args.max_seconds:
            print(
                f"stopped after {i} of {args.replicates} datasets: --max-seconds {args.max_seconds:g} reached",
                file=sys.stderr,
            )
            break
        R = i + 1
        r = args.first + i
        rng = np.random.default_rng([args.seed, r])
        table = simulate(rng, args.N)
        for method in METHODS:
            result = estimate(
                table, method, settings=settings_of(method, args.nboot, args.workers), seed=args.seed + r
            )
            if not result.estimable or not math.isfinite(result.ci_low):
                failed[method] += 1
                hits[method].append(False)
                continue
            hits[method].append(bool(result.ci_low <= args.N <= result.ci_high))
            rel[method].append(result.n_hat / args.N)
            width[method].append(result.ci_high - result.ci_low)
        if not args.quiet:
            done = time.perf_counter() - start
            print(f"\rreplicate {i + 1} of {args.replicates} ({done:,.0f} s)", end="", file=sys.stderr)
    if not args.quiet:
        print(file=sys.stderr)
    print(
        f"Coverage of the 95% interval: {R} datasets of N = {args.N:,} (seed {args.seed}"
        + (f", datasets {args.first} to {args.first + R - 1}" if args.first else "")
        + "); "
        f"catchability depends on sex and age band; bootstrap methods with {args.nboot} replicates"
    )
    print(
        f"{'method':<16} {'coverage':>9} {'MC s.e.':>8} {'mean N-hat / N':>15} {'median width':>13} {'no estimate':>12}"
    )
    for method in METHODS:
        p = float(np.mean(hits[method]))
        se = math.sqrt(p * (1 - p) / R)
        mean_rel = float(np.mean(rel[method])) if rel[method] else math.nan
        med_w = float(np.median(width[method])) if width[method] else math.nan
        print(f"{method:<16} {p:>9.3f} {se:>8.3f} {mean_rel:>15.3f} {med_w:>13,.0f} {failed[method]:>12}")
    print(f"({time.perf_counter() - start:,.0f} s in all)")
    return 0


def speed(args: argparse.Namespace) -> int:
    rng = np.random.default_rng(args.seed)
    table = simulate(rng, 30000)
    settings = {
        "covariates": "sex,age_band,region",
        "nboot": 1000,
        "workers": args.workers,
        "progress": False,
    }
    start = time.perf_counter()
    result = estimate(table, "loglinear-cov", settings=settings, seed=args.seed)
    seconds = time.perf_counter() - start
    extra = result.details.extra
    cells = extra["covariate_cells"]
    print("Speed: covariate search and averaged BCa bootstrap (search and weighting in every replicate)")
    print(
        f"{'people':>8} {'documented':>10} {'lists':>5} {'covariates':>22} {'cells':>5} {'candidates':>10} "
        f"{'replicates':>10} {'jackknife':>9} {'workers':>7} {'seconds':>8}"
    )
    jack = (
        len(result.details.bootstrap.jackknife_n_hat)
        if result.details.bootstrap.jackknife_n_hat is not None
        else 0
    )
    print(
        f"{30000:>8,} {result.n_observed:>10,} {len(LISTS):>5} {'sex,age_band,region':>22} {cells:>5} "
        f"{extra['candidates_fitted']:>10} {1000:>10} {jack:>9} {args.workers or 'all':>7} {seconds:>8.1f}"
    )
    print(f"estimate {result.n_hat:,.0f} ({result.ci_low:,.0f} to {result.ci_high:,.0f}); truth 30,000")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=100)
    parser.add_argument("--N", type=int, default=5000)
    parser.add_argument("--nboot", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument(
        "--first",
        type=int,
        default=0,
        help="index of the first dataset (seeds [seed, first], ...): a second run continues a first one",
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=0.0,
        help="start no new dataset after this many seconds (0: no limit); the table covers the datasets run",
    )
    args = parser.parse_args(argv)
    return speed(args) if args.speed else coverage(args)


if __name__ == "__main__":
    raise SystemExit(main())
