"""A whole ``undercount estimate --method mt`` process against ``Rscript`` fitting the same model.

Usage (from the repository root, in the project's virtual environment)::

    python benchmarks/bench_startup.py                       # spina_bifida (3 lists), UKdat_5 (5 lists)
    python benchmarks/bench_startup.py --repeat 15 --tables HIV
    python benchmarks/bench_startup.py --no-numba-cache      # no run with an empty numba cache
    python benchmarks/bench_startup.py --before /work/main/src   # and the whole process of another checkout

The tables are the real ones of ``benchmarks/tables/`` (copies of
``/work/shared/benchmarks/``): by default ``spina_bifida`` (3 lists, 626
people) and ``UKdat_5`` (5 lists, 2,744 people).

What is compared: Mt, the Poisson log-linear model with main effects only.
Rcapture is not packaged for Debian and CRAN is unreachable here, so the R
side is base R's ``glm(count ~ A + B + ..., family = poisson)`` on every
observable cell (the patterns a table file leaves out are zeros, and are
data), printing ``n + exp(intercept)``; ours also computes the
profile-likelihood interval, the goodness-of-fit warning and the result's
details, which R here does not (so the comparison flatters R a little).

Rows of the printed table, each over ``--repeat`` runs (median, then min-max):

* ``python -c pass``, ``python -c "import numpy"`` and ``Rscript -e 0``: the floor of each
  runtime (a whole mt process imports numpy, so the second is ours);
* with ``--before SRC``: the whole mt process with ``PYTHONPATH=SRC`` (another checkout's
  ``src``, e.g. main's), in the same run, so that before and after share the machine's load;
* the whole ``undercount estimate TABLE --method mt --format json`` process
  (``python -m undercount.cli``), and the whole ``Rscript`` process;
* inside one process: the import and first fit (import cost and numba's
  cache load) against a warm fit, for both.
* with ``--numba-cache``: the first call in a fresh process with an empty
  numba cache (``NUMBA_CACHE_DIR`` pointed at an empty folder: every kernel
  mt uses is compiled) and then with that cache warm.

CPU time is the child's user + system time from ``os.wait4``; wall time from
``time.perf_counter``. The machine is shared: compare ratios within one run.
The script exits with status 1 if the two estimates disagree by more than
``AGREE_RTOL``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLES = ROOT / "benchmarks" / "tables"
DEFAULT_TABLES = ("spina_bifida", "UKdat_5")

#: Both sides stop when the fit has converged: ours at a Newton decrement of 1e-10 (FIT_TOL),
#: R's glm at a relative deviance change of 1e-12 (set below); the fitted N-hat then agrees to
#: far better than this relative tolerance (about 1e-9 measured), which still catches a fit of
#: a different model.
AGREE_RTOL = 1e-6

#: Single-threaded, as every workflow job runs.
THREADS = {"OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}

#: Every observable pattern is a cell, observed zeros included: a table file lists only the patterns
#: someone has, so the missing ones are added with count 0 before glm() sees them.
R_CELLS = r"""
read_cells <- function(path) {
  d <- read.csv(path, check.names = FALSE)
  lists <- setdiff(names(d), "count")
  all <- expand.grid(rep(list(0:1), length(lists)))
  names(all) <- lists
  all <- all[rowSums(all) > 0, , drop = FALSE]
  key <- function(x) do.call(paste0, x[lists])
  all$count <- 0
  all$count[match(key(d), key(all))] <- d$count
  list(cells = all, lists = lists)
}
mt_fit <- function(path) {
  t <- read_cells(path)
  f <- as.formula(paste("count ~", paste(sprintf("`%s`", t$lists), collapse = " + ")))
  fit <- glm(f, family = poisson, data = t$cells, control = glm.control(epsilon = 1e-12, maxit = 100))
  sum(t$cells$count) + exp(unname(coef(fit)[1]))
}
"""

R_FIT = (
    R_CELLS
    + r"""
args <- commandArgs(trailingOnly = TRUE)
cat(sprintf("%.12g\n", mt_fit(args[1])))
"""
)

R_INSIDE = (
    R_CELLS
    + r"""
args <- commandArgs(trailingOnly = TRUE)
cpu <- function() { t <- proc.time(); t[["user.self"]] + t[["sys.self"]] }
t0 <- cpu(); w0 <- Sys.time(); n_hat <- mt_fit(args[1]); t1 <- cpu(); w1 <- Sys.time()
reps <- as.integer(args[2]); cpus <- numeric(reps); walls <- numeric(reps)
for (i in seq_len(reps)) {
  a <- cpu(); b <- Sys.time(); mt_fit(args[1])
  cpus[i] <- cpu() - a; walls[i] <- as.numeric(Sys.time() - b, units = "secs")
}
cat(sprintf('{"first_cpu": %.6f, "first_wall": %.6f, "warm_cpu": %.6f, "warm_wall": %.6f, "n_hat": %.12g}\n',
    t1 - t0, as.numeric(w1 - w0, units = "secs"), median(cpus), median(walls), n_hat))
"""
)

PY_INSIDE = r"""
import json, sys, time
t0, w0 = time.process_time(), time.perf_counter()
from undercount.estimators import estimate
from undercount.histories import CaptureTable
imported, w_imp = time.process_time(), time.perf_counter()
table = CaptureTable.from_csv(sys.argv[1])
r = estimate(table, "mt")
t1, w1 = time.process_time(), time.perf_counter()
cpus, walls = [], []
for _ in range(int(sys.argv[2])):
    a, b = time.process_time(), time.perf_counter()
    estimate(CaptureTable.from_csv(sys.argv[1]), "mt")
    cpus.append(time.process_time() - a); walls.append(time.perf_counter() - b)
cpus.sort(); walls.sort()
print(json.dumps({"import_cpu": imported - t0, "import_wall": w_imp - w0,
                  "first_cpu": t1 - imported, "first_wall": w1 - w_imp,
                  "warm_cpu": cpus[len(cpus) // 2], "warm_wall": walls[len(walls) // 2],
                  "n_hat": r.n_hat}))
"""


def run_child(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """(CPU seconds user+sys, wall seconds, stdout) of one child process run to its end."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {err.strip()[-2000:]}")
        out.seek(0)
        return usage.ru_utime + usage.ru_stime, wall, out.read().decode()


def repeated(cmd: list[str], repeat: int, env: dict[str, str]) -> dict:
    cpus, walls, last = [], [], ""
    for _ in range(repeat):
        cpu, wall, last = run_child(cmd, env)
        cpus.append(cpu)
        walls.append(wall)
    return {"cpu": cpus, "wall": walls, "out": last}


def spread(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.median(values):.3f} [{min(values):.3f}-{max(values):.3f}]"


def python_env(cache_dir: str | None = None, src: str | None = None) -> dict[str, str]:
    env = {**os.environ, **THREADS}
    src = src or str(ROOT / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    return env


def bench_table(name: str, args: argparse.Namespace, rscript: str | None, workdir: Path) -> list[tuple]:
    path = TABLES / f"{name}.csv"
    with open(path, newline="") as f:
        header = next(csv.reader(f))
    k = len(header) - 1
    py, env = args.python, python_env()
    rows: list[tuple] = []
    mt_cmd = [py, "-m", "undercount.cli", "estimate", str(path), "--method", "mt", "--format", "json"]
    run_child(mt_cmd, env)  # fills numba's cache in src/ if it was empty (measured below, apart)
    ours = repeated(mt_cmd, args.repeat, env)
    n_py = json.loads(ours["out"])["n_hat"]
    rows.append((name, "undercount estimate --method mt (whole process)", ours, n_py))
    if args.before:
        before_env = python_env(src=args.before)
        run_child(mt_cmd, before_env)  # its numba cache, if it has to be filled
        before = repeated(mt_cmd, args.repeat, before_env)
        rows.append(
            (
                name,
                f"  the same, PYTHONPATH={args.before} (before)",
                before,
                json.loads(before["out"])["n_hat"],
            )
        )
    inside = [json.loads(run_child([py, "-c", PY_INSIDE, str(path), str(args.warm)], env)[2])]
    inside += [json.loads(run_child([py, "-c", PY_INSIDE, str(path), str(args.warm)], env)[2])]
    rows.append((name, "  in one process: import undercount", _of(inside, "import"), None))
    rows.append((name, "  in one process: first mt fit", _of(inside, "first"), None))
    rows.append((name, "  in one process: warm mt fit", _of(inside, "warm"), None))
    if args.numba_cache:
        cold, warm = [], []
        for _ in range(args.cache_repeat):
            cache = tempfile.mkdtemp(prefix="numba-empty-", dir=workdir)
            cold.append(json.loads(run_child([py, "-c", PY_INSIDE, str(path), "1"], python_env(cache))[2]))
            warm.append(json.loads(run_child([py, "-c", PY_INSIDE, str(path), "1"], python_env(cache))[2]))
            shutil.rmtree(cache)
        rows.append((name, "  first mt fit, empty numba cache (compiles)", _of(cold, "first"), None))
        rows.append((name, "  first mt fit, that cache now warm", _of(warm, "first"), None))
    if rscript is not None:
        script = workdir / "mt_glm.R"
        script.write_text(R_FIT)
        theirs = repeated([rscript, "--vanilla", str(script), str(path)], args.repeat, dict(os.environ))
        n_r = float(theirs["out"].strip())
        rows.append((name, "Rscript glm(family = poisson), main effects (whole process)", theirs, n_r))
        inside_r = workdir / "mt_glm_inside.R"
        inside_r.write_text(R_INSIDE)
        r_in = [
            json.loads(run_child([rscript, "--vanilla", str(inside_r), str(path), str(args.warm)])[2])
            for _ in range(2)
        ]
        rows.append((name, "  in one process: first glm fit (R)", _of(r_in, "first"), None))
        rows.append((name, "  in one process: warm glm fit (R)", _of(r_in, "warm"), None))
    rows.insert(0, (name, f"({k} lists, {path.name})", None, None))
    return rows


def _of(runs: list[dict], key: str) -> dict:
    return {"cpu": [r[f"{key}_cpu"] for r in runs], "wall": [r[f"{key}_wall"] for r in runs]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--tables", nargs="+", default=list(DEFAULT_TABLES), help="names in benchmarks/tables"
    )
    parser.add_argument("--repeat", type=int, default=9, help="runs of each whole process (default 9)")
    parser.add_argument("--warm", type=int, default=20, help="warm fits inside one process (default 20)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter with undercount's packages")
    parser.add_argument("--rscript", default=shutil.which("Rscript"), help="Rscript (default: from PATH)")
    parser.add_argument(
        "--numba-cache",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time the first fit with an empty numba cache, then warm (default on)",
    )
    parser.add_argument(
        "--cache-repeat", type=int, default=2, help="runs with an empty numba cache (default 2)"
    )
    parser.add_argument(
        "--before",
        metavar="SRC",
        help="also time the whole mt process with PYTHONPATH=SRC (another checkout)",
    )
    args = parser.parse_args(argv)
    if args.rscript is None:
        print("Rscript not found: the R rows are skipped (install r-base-core)")
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        workdir = Path(tmp)
        env = python_env()
        floors = [
            ("(floors)", "python -c pass", repeated([args.python, "-c", "pass"], args.repeat, env), None),
            (
                "(floors)",
                "python -c 'import numpy'",
                repeated([args.python, "-c", "import numpy"], args.repeat, env),
                None,
            ),
        ]
        if args.rscript is not None:
            floors.append(
                (
                    "(floors)",
                    "Rscript -e 0",
                    repeated([args.rscript, "-e", "0"], args.repeat, dict(os.environ)),
                    None,
                )
            )
        rows = floors + [
            row for name in args.tables for row in bench_table(name, args, args.rscript, workdir)
        ]
    print(
        f"repeat {args.repeat} whole processes; in-process rows: 2 processes (warm: median of {args.warm} fits)"
    )
    bytecode = (
        "off (PYTHONDONTWRITEBYTECODE is set: every process compiles undercount's sources)"
        if os.environ.get("PYTHONDONTWRITEBYTECODE")
        else f"on ({os.environ.get('PYTHONPYCACHEPREFIX') or '__pycache__ next to the sources'})"
    )
    print(f"bytecode cache: {bytecode}")
    one, five, fifteen = os.getloadavg()
    print(f"load average at the end: {one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min)")
    print()
    print("| table | what | CPU s (median [min-max]) | wall s (median [min-max]) | N-hat |")
    print("|---|---|---|---|---|")
    for table, what, m, n_hat in rows:
        if m is None:
            print(f"| {table} | {what} | | | |")
            continue
        n = "" if n_hat is None else f"{n_hat:.6f}"
        print(f"| {table} | {what} | {spread(m['cpu'])} | {spread(m['wall'])} | {n} |")
    ok = True
    if args.rscript is not None:
        print()
        print(
            "| table | N-hat ours | N-hat R | relative difference | whole-process CPU ours / R | before / R |"
        )
        print("|---|---|---|---|---|---|")
        by = {}
        for table, _what, m, n_hat in rows:
            if n_hat is not None:
                by.setdefault(table, []).append((m, n_hat))
        for table, found in by.items():
            (ours, n_py), (theirs, n_r) = found[0], found[-1]
            rel = abs(n_py - n_r) / abs(n_r)
            agree = rel <= AGREE_RTOL
            ok &= agree
            ratio = statistics.median(ours["cpu"]) / statistics.median(theirs["cpu"])
            before = (
                f"{statistics.median(found[1][0]['cpu']) / statistics.median(theirs['cpu']):.2f}x"
                if len(found) == 3
                else ""
            )
            print(
                f"| {table} | {n_py:.6f} | {n_r:.6f} | {rel:.1e} {'agree' if agree else 'DISAGREE'} "
                f"| {ratio:.2f}x | {before} |"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
