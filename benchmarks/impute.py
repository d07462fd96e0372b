"""Coverage of the stratified total with gaps in sex and age: complete cases, an "unknown" stratum, MI.

Design (:func:`undercount.simulate.simulate_person_table`): N people, 60% men, ages
uniform over 0-89, in 8 strata (sex x age bands 0-17, 18-34, 35-59, 60+). A person is
on each of three lists independently given the stratum, with probability
``base x 0.5 (women) x band factor`` (bases 0.30, 0.25, 0.35; band factors 0.5, 1.0,
1.3, 0.7): catchability differs by stratum, lists are independent within it. The
gaps depend on list membership: list C records no ages (a person only on C has none;
about 10% of the documented), other ages are blank at 3%; sex is blank for 20% of
list A's people and 3% of the others (together 5-30% of the stratification fields).

Per simulated table, the stratified total (strata added draw by draw; dga, p(N) ~ 1/N)
and every true stratum are estimated four ways, all with :func:`undercount.linked.estimate_persons` (the
command line's code):

* complete cases: only the people with sex and age known;
* unknown stratum: everyone, a blank field giving the stratum ``unknown``;
* multiple imputation: ``m`` imputations by chained equations, pooled;
* no gaps (reference): the same table before its fields were blanked, stratified
  and estimated the same way. It is not available to an analyst; it is the
  coverage multiple imputation can at best reach with this estimator, so a
  departure of MI from nominal that the reference shares is the estimator's, not
  the imputation's.

The table gives, per way, the coverage of the nominal 95% interval (with its Monte
Carlo standard error, sqrt(p(1 - p) / datasets)), the median relative error of the
point estimate, (N_hat - N) / N, the median width of the interval over N, on which
side of the interval the true N fell when it was missed, how many datasets gave
no estimate, and the standard deviation of the relative error (to set beside the
width: a 95% interval of a normal estimate is about 3.9 of them wide); for multiple imputation, the share of the pooled interval's width that the
spread between imputations accounts for (:func:`undercount.results.combine.mix`).
A second table does the same for every true stratum (the 8 strata of every dataset
pooled), where ``--method mt`` (the independence model, true within each stratum
here, pooled by Rubin's rules: it has no draws, so no total) can be judged too.

Run: ``nice -n 10 python benchmarks/impute.py --datasets 100 --m 20 --jobs 2 [--method mt]``.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

WAYS = ("complete cases", "unknown stratum", "multiple imputation", "no gaps (reference)")
BANDS = [0, 18, 35, 60]


def _stratum(sex: str, band: int) -> str:
    """The name :func:`undercount.linked.estimate_persons` gives the stratum of (sex, band index)."""
    edges = [*BANDS, 121]
    return f"sex-{sex.lower()}_age-band-{edges[band]}-{edges[band + 1] - 1}"


def one(args: tuple) -> dict[str, dict]:
    """Per way, the total's (N_hat, low, high) and every true stratum's, for dataset ``i``.

    For MI also the between-imputation share of the total's width; ``truth`` holds N
    and every stratum's true size.
    """
    from undercount.linked import estimate_persons
    from undercount.simulate import simulate_person_table

    i, n, m, draws, method = args[:5]
    ways = args[5] if len(args) > 5 else WAYS
    rng = np.random.default_rng([20260212, i])
    state = rng.bit_generator.state
    table, truth = simulate_person_table(rng, n)
    rng.bit_generator.state = state
    whole, _ = simulate_person_table(rng, n, gaps=False)
    lists = ["A", "B", "C"]
    common = dict(method=method, by=["sex", "age_band"], age_bands=[*BANDS, 121], seed=1000 + i)
    common["settings"] = {"draws": draws, "progress": False} if method == "dga" else {}
    complete = table[table["sex"].notna() & table["age"].notna()].reset_index(drop=True)
    sizes = {_stratum(r.sex, int(r.band)): float(r.n) for r in truth.itertuples()}
    out: dict[str, dict] = {"truth": {"total": float(truth["n"].sum()), "strata": sizes}}
    for way, frame, fields in (
        ("complete cases", complete, []),
        ("unknown stratum", table, []),
        ("multiple imputation", table, ["sex", "age"]),
        ("no gaps (reference)", whole, []),
    ):
        if way not in ways:
            continue
        found = estimate_persons(frame, lists, impute_fields=fields, m=m, **common)
        result = found["total"]
        nan = (math.nan, math.nan, math.nan)
        out[way] = {
            "total": (result.n_hat, result.ci_low, result.ci_high),
            "strata": {
                s: (r.n_hat, r.ci_low, r.ci_high) if (r := found["strata"].get(s)) is not None else nan
                for s in sizes
            },
        }
        if fields:
            share = getattr(result.details, "width_share_between", None)
            out["between"] = {"total": float("nan") if share is None else float(share)}
    return out


def _table(pairs: list[tuple[tuple[float, float, float], float]], label: str) -> str:
    """One line: coverage, its MC s.e., median relative error and width, misses by side, no estimate."""
    hits, errors, widths, below, above, missing = [], [], [], 0, 0, 0
    if not pairs:
        return f"{label:<22} (not run)"
    for (n_hat, low, high), truth in pairs:
        if not math.isfinite(n_hat):
            missing += 1
            hits.append(False)
            continue
        hits.append(low <= truth <= high)
        below += truth < low
        above += truth > high
        errors.append((n_hat - truth) / truth)
        widths.append((high - low) / truth)
    p = float(np.mean(hits)) if hits else float("nan")
    se = math.sqrt(p * (1 - p) / len(hits)) if hits else float("nan")
    median = float(np.median(errors)) if errors else float("nan")
    width = float(np.median(widths)) if widths else float("nan")
    spread = float(np.std(errors, ddof=1)) if len(errors) > 1 else float("nan")
    return (
        f"{label:<22} {p:>9.3f} {se:>8.3f} {median:>+18.3f} {width:>18.3f} {below:>6d} {above:>6d} "
        f"{missing:>11d} {spread:>14.3f}"
    )


HEADER = (
    f"{'way':<22} {'coverage':>9} {'MC s.e.':>8} {'median rel. error':>18} {'median rel. width':>18} "
    f"{'below':>6} {'above':>6} {'no estimate':>11} {'sd rel. error':>14}"
)


def report(rows: list[dict], args: argparse.Namespace) -> None:
    what = f"{args.method} ({args.draws} draws)" if args.method == "dga" else args.method
    print()
    print(f"{len(rows)} datasets, N = {args.n:,}, m = {args.m}, {what}, 95% intervals")
    print("the total over strata (strata added draw by draw; a method without draws gives none):")
    print(HEADER)
    for way in WAYS:
        print(_table([(row[way]["total"], row["truth"]["total"]) for row in rows if way in row], way))
    print(
        f"every true stratum ({len(rows[0]['truth']['strata'])} per dataset, pooled; MC s.e. as if independent):"
    )
    print(HEADER)
    for way in WAYS:
        pairs = [
            (row[way]["strata"][s], size)
            for row in rows
            if way in row
            for s, size in row["truth"]["strata"].items()
        ]
        print(_table(pairs, way))
    shares = [
        row["between"]["total"] for row in rows if "between" in row and math.isfinite(row["between"]["total"])
    ]
    if shares:
        print(
            "multiple imputation: share of the pooled total's interval width due to the between-imputation "
            f"spread, median {np.median(shares):.3f} (quartiles {np.quantile(shares, 0.25):.3f}-"
            f"{np.quantile(shares, 0.75):.3f})"
        )
    print(
        "below / above: datasets (or strata) whose true N is below the interval's lower end / above its upper end"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", type=int, default=100)
    parser.add_argument("--n", type=int, default=4000, help="people per simulated population")
    parser.add_argument("--m", type=int, default=20, help="imputations")
    parser.add_argument("--draws", type=int, default=1000, help="dga posterior draws per fit")
    parser.add_argument(
        "--method",
        default="dga",
        choices=("dga", "mt"),
        help="dga (draws: the total over strata) or mt (the true model here, no draws: strata only)",
    )
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument(
        "--ways", default=",".join(WAYS), help=f"which ways, comma-separated (default all: {', '.join(WAYS)})"
    )
    parser.add_argument("--rows", default=None, help="also write every dataset's numbers here (JSON lines)")
    args = parser.parse_args(argv)
    ways = tuple(w.strip() for w in args.ways.split(","))
    if set(ways) - set(WAYS):
        parser.error(f"--ways: unknown {', '.join(sorted(set(ways) - set(WAYS)))}")
    start = time.perf_counter()
    tasks = [(i, args.n, args.m, args.draws, args.method, ways) for i in range(args.datasets)]
    sink = open(args.rows, "w", encoding="utf-8") if args.rows else None
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = []
        for k, row in enumerate(pool.map(one, tasks), start=1):
            rows.append(row)
            if sink is not None:
                sink.write(json.dumps({"dataset": k - 1, **row}) + "\n")
                sink.flush()
            print(f"dataset {k} of {args.datasets} ({time.perf_counter() - start:.0f} s)", flush=True)
            if k % 5 == 0 and k < args.datasets:
                report(rows, args)  # the table so far, in case the run is cut short
    if sink is not None:
        sink.close()
    report(rows, args)
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
