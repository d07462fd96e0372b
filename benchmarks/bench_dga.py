"""Time and memory of dga (Bayesian model averaging over decomposable graphs).

Every case runs in its own Python process, so that peak memory (``ru_maxrss``)
belongs to that case alone. In each process: import, enumerate the graphs,
one warm-up call, then ``--repeat`` timed calls of the posterior computation;
the table shows the fastest call (wall clock), its CPU time (all threads), the
process's peak resident memory, and the memory before the first call (Python,
numpy, numba and the graph list). R's times are the ``seconds_R`` column of
benchmarks/tables/reference_R.csv (same grid, 0..20n, same priors); R's dga
needs up to 2.3 GB on Ned_5 (the issue's figure).

    python benchmarks/bench_dga.py              # every table, k = 3..7, both priors
    python benchmarks/bench_dga.py --quick      # real tables only, one repeat
    python benchmarks/bench_dga.py --cold       # also the first run with an empty numba cache
    python benchmarks/bench_dga.py --sparse     # only the sparse 7-list case (issue 19, item 7)
    python benchmarks/bench_dga.py --sparse --compare --repeat 1
                                                # also time the segment-by-segment exact pass
                                                # (the only one before the shared-prefix pass)

``--compare`` runs every case a second time with the exact pass forced to the
segment-by-segment kernel (what dga did before issue 19, item 7), in the same run,
and prints its CPU time and the ratio, and whether the two posteriors agree: the
largest relative difference of the posterior mass where it is at least 1e-9, and
whether the median and the 95% ends are identical.

The machine is shared: compare ratios measured in one run, and rerun when the
load average (printed) is high.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLES = ROOT / "benchmarks" / "tables"
REAL = [
    "Artificial_3",
    "spina_bifida",
    "HIV",
    "UKdat_5",
    "NewOrl_5",
    "Ned_5",
    "Western",
    "dga_MY5",
    "hare",
    "UKdat",
    "Ned",
]


def simulated_table(k: int, population: int = 10_000, seed: int = 1):
    """k lists over one simulated population: two latent classes (30% three times easier to
    document), list capture probabilities 6%-14% (x2.5 or x0.6 by class), and list B copying
    list A for 30% of A's people (positive dependence)."""
    import numpy as np

    from undercount.histories import CaptureTable

    rng = np.random.default_rng(seed)
    easy = rng.random(population) < 0.3
    base = np.linspace(0.06, 0.14, 7)[:k]
    p = np.where(easy[:, None], 2.5 * base[None, :], 0.6 * base[None, :])
    x = rng.random((population, k)) < p
    x[:, 1] |= x[:, 0] & (rng.random(population) < 0.3)
    seen = x.any(axis=1)
    patterns, counts = np.unique(x[seen].astype(np.int8), axis=0, return_counts=True)
    return CaptureTable.from_arrays([chr(65 + j) for j in range(k)], patterns, counts)


def sparse_table(population: int = 1000, seed: int = 7):
    """A sparse 7-list table like the real one of issue 19 (185 people, 164 on the 7 lists kept,
    most overlaps empty), which is not in the repository: lists documenting 1%-5% of a population
    of 1,000 independently. Seed 7 gives 158 people in 13 of the 127 capture patterns, 6 of them
    on more than one list. The posterior is wide and the automatic grid runs to 100 n."""
    import numpy as np

    from undercount.histories import CaptureTable

    rng = np.random.default_rng(seed)
    p = np.array([0.05, 0.03, 0.02, 0.02, 0.015, 0.01, 0.01])
    x = rng.random((population, 7)) < p
    seen = x.any(axis=1)
    patterns, counts = np.unique(x[seen].astype(np.int8), axis=0, return_counts=True)
    return CaptureTable.from_arrays([chr(65 + j) for j in range(7)], patterns, counts)


def run_case(name: str, prior: str, grid: str, repeat: int, exact_pass: str = "auto", save: str = "") -> dict:
    """Inside the child process: time one case (``exact_pass="segments"``: force the old pass)."""
    import resource

    t0 = time.perf_counter()
    from undercount.estimators import dga as dga_module
    from undercount.estimators.decomposable import decomposable_graphs
    from undercount.estimators.dga import dga_posterior, parse_grid_end
    from undercount.histories import CaptureTable

    if exact_pass == "segments":
        dga_module._SHARED_TERMS = 1 << 62

    if name == "sparse7":
        table = sparse_table()
    elif name.startswith("sim"):
        table = simulated_table(int(name[3:]))
    else:
        table = CaptureTable.from_csv(TABLES / f"{name}.csv")
    decomposable_graphs(table.k)
    startup = time.perf_counter() - t0
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    hi = parse_grid_end(grid, table.n_observed, "grid")
    t1 = time.perf_counter()
    post = dga_posterior(table, prior=prior, max_missing=hi)
    first = time.perf_counter() - t1
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        post = dga_posterior(table, prior=prior, max_missing=hi)
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    best = min(range(len(walls)), key=walls.__getitem__) if walls else None
    median, low, high = (int(v) for v in post.quantile([0.5, 0.025, 0.975]))
    if save:
        import numpy as np

        np.save(save, np.stack([post.missing.astype(float), post.p]))
    return {
        "case": name,
        "k": table.k,
        "n": table.n_observed,
        "prior": prior,
        "grid": grid,
        "grid_points": int(len(post.missing)),
        "graphs": int(len(post.graphs)),
        "terms": post.stats["exact_terms"],
        "all_terms": post.stats["all_terms"],
        "startup_s": startup,
        "first_s": first,
        "wall_s": walls[best] if walls else first,
        "cpu_s": cpus[best] if cpus else float("nan"),
        "rss_before_mb": rss_before,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "median": median,
        "low": low,
        "high": high,
        "tail_beyond": post.tail_beyond,
        "exact_pass": post.stats["exact_pass"],
    }


def child(args: list[str], env: dict | None = None) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def r_seconds() -> dict:
    import csv

    out = {}
    with open(TABLES / "reference_R.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["method"] in ("dga", "dga-invN"):
                prior = "lognormal" if row["method"] == "dga" else "invN"
                out[(row["dataset"], prior)] = float(row["seconds_R"])
    return out


def _compare(new: dict, old: dict, new_path: str, old_path: str) -> str:
    """Cells comparing the segment pass with the default one: CPU, memory, agreement."""
    import numpy as np

    a, b = np.load(new_path), np.load(old_path)
    same_grid = a.shape == b.shape and np.array_equal(a[0], b[0])
    if same_grid:
        ok = b[1] >= 1e-9
        rel = f"{float(np.max(np.abs(a[1][ok] - b[1][ok]) / b[1][ok])):.1e}"
    else:
        rel = "grids differ"
    same = all(new[key] == old[key] for key in ("median", "low", "high"))
    ratio = old["cpu_s"] / new["cpu_s"] if new["cpu_s"] > 0 else float("nan")
    return (
        f" {old['cpu_s']:.3f} | {old['peak_rss_mb']:.0f} | {ratio:.1f}x | {rel} | {'yes' if same else 'NO'} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--child",
        nargs=6,
        metavar=("CASE", "PRIOR", "GRID", "REPEAT", "PASS", "SAVE"),
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--quick", action="store_true", help="real tables only, one timed call")
    parser.add_argument("--repeat", type=int, default=3, help="timed calls per case (fastest shown)")
    parser.add_argument("--cold", action="store_true", help="also time a first run with an empty numba cache")
    parser.add_argument("--auto", action="store_true", help="also time the automatic grid")
    parser.add_argument("--sparse", action="store_true", help="only the sparse 7-list case, automatic grid")
    parser.add_argument(
        "--compare", action="store_true", help="also time the segment-by-segment exact pass, in the same run"
    )
    args = parser.parse_args()
    if args.child:
        name, prior, grid, repeat, exact_pass, save = args.child
        print(json.dumps(run_case(name, prior, grid, int(repeat), exact_pass, save)))
        return

    repeat = 1 if args.quick else args.repeat
    print(f"# dga benchmark  (load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores)\n")
    if args.cold:
        with tempfile.TemporaryDirectory() as cache:
            env = dict(os.environ, NUMBA_CACHE_DIR=cache)
            t0 = time.perf_counter()
            r = child(["spina_bifida", "invN", "20n", "0", "auto", ""], env)
            print(
                f"cold start (empty numba cache, compiles every kernel): process {time.perf_counter() - t0:.1f} s, "
                f"of which first call {r['first_s']:.1f} s and import + enumeration {r['startup_s']:.1f} s\n"
            )
    R = r_seconds()
    cases = [(name, prior, "20n") for name in REAL for prior in ("lognormal", "invN")]
    if not args.quick:
        cases += [(f"sim{k}", prior, "20n") for k in range(3, 8) for prior in ("lognormal", "invN")]
    if args.auto:
        cases += [(name, prior, "auto") for name in REAL for prior in ("lognormal", "invN")]
    sparse = [("sparse7", prior, "auto") for prior in ("invN", "lognormal")]
    cases = sparse if args.sparse else cases + ([] if args.quick else sparse)
    header = (
        "| table | k | n | prior | grid | grid points | terms computed / all | exact pass | time (s) | CPU (s) "
        "| R (s) | R / ours | peak RSS (MB) | RSS before (MB) | median (95%) |"
    )
    if args.compare:
        header += " segment pass: CPU (s) | its peak RSS (MB) | CPU ratio | max rel. diff. of p | same median and ends |"
    print(header)
    print("|" + "|".join("---" for _ in range(header.count("|") - 1)) + "|")
    for name, prior, grid in cases:
        extra = ""
        with tempfile.TemporaryDirectory() as scratch:
            r = child([name, prior, grid, str(repeat), "auto", f"{scratch}/new.npy" if args.compare else ""])
            if args.compare:
                old = child([name, prior, grid, str(repeat), "segments", f"{scratch}/old.npy"])
                extra = _compare(r, old, f"{scratch}/new.npy", f"{scratch}/old.npy")
        rs = R.get((name, prior)) if grid == "20n" else None
        ratio = f"{rs / r['wall_s']:.2g}x" if rs else ""
        print(
            f"| {name} | {r['k']} | {r['n']:,} | {prior} | {grid} | {r['grid_points']:,} "
            f"| {r['terms'] / 1e6:.1f}M / {r['all_terms'] / 1e6:.0f}M | {r['exact_pass']} | {r['wall_s']:.3f} | {r['cpu_s']:.3f} "
            f"| {f'{rs:.3g}' if rs is not None else ''} | {ratio} | {r['peak_rss_mb']:.0f} | {r['rss_before_mb']:.0f} "
            f"| {r['median']:,} ({r['low']:,}-{r['high']:,}) |" + extra,
            flush=True,
        )
    print(f"\nR's dga on Ned_5: up to 11 s and 2.3 GB. Load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
