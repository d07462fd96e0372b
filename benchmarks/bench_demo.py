"""The demo workflow from a fresh clone, two commits side by side: jobs, wall time and CPU time.

For each commit (default: ``main`` and ``HEAD``) the script clones the repository into a
temporary folder (so the numba kernels' cache next to the source and the estimate cache in
``.cache/undercount`` are empty), and runs the demo there with the local profile:

    snakemake --profile profiles/default --configfile config/config.yaml --cores 2

with ``PYTHONPATH`` set to the clone's ``src`` (``make results`` would re-run ``pip install -e .``
into the shared virtual environment and repoint it). Then, in every clone, ``make clean``
(results, logs and .snakemake removed; the compile and estimate caches kept) and a second run.

The fresh runs go first, one commit after the other, then the reruns in the same order, so the
two commits of a row are measured minutes apart on the same machine. Per run:

- jobs: Snakemake's count of steps, and how many of them are estimate jobs (rules estimate and
  estimate_stratum) — counted in ``.snakemake/log``;
- wall seconds, and CPU seconds (user + system) of the whole process tree: ``os.wait4`` on the
  Snakemake process returns its own usage and that of every job process it waited for (and those
  processes' children: lcmcr's chains, the bootstraps' workers);
- the figure jobs (rules whose name starts with ``figure``): how many, and their job seconds
  summed (each job's end minus start, from Snakemake's records in ``.snakemake/metadata``);
- the load average (``/proc/loadavg``) before and after: the machine is shared;
- whether every file under ``results/`` (PNGs, result files, draws, tables) has the bytes of the
  first commit's fresh run, and whether ``results/estimates.csv`` and every figure's data are
  byte-identical to the fixture (tests/workflow/fixtures/main-*), with
  tests/workflow/test_slurm.py's comparison. Commits before f80d10f did not pin OpenBLAS's
  kernels (undercount._blas): on an AVX-512 machine their runs differ from the fixture, made on
  an AVX2 machine, in a few cells (a BCa bound in the fifth digit, residuals near 1e-15), and
  with ``OPENBLAS_CORETYPE=Haswell`` they match it; from f80d10f on every run pins them.

    python benchmarks/bench_demo.py                       # main against HEAD (an hour at load 10-16)
    python benchmarks/bench_demo.py --commits main s25-batch --keep /tmp/demo-bench

Every job runs with one BLAS/numba thread (``OMP_NUM_THREADS=1`` and the like), as the workflow
tests do.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "workflow"), str(ROOT / "tests")]  # their conftest.py too

from test_slurm import assert_same_bytes  # noqa: E402
from test_workflow import _fixture  # noqa: E402

STEPS = re.compile(r"^(\d+) of \1 steps \(100%\) done$", re.M)
ESTIMATE_JOB = re.compile(r"^(?:local)?rule (estimate|estimate_stratum):$", re.M)
SINGLE_THREAD = {
    v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
}


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def clone(commit: str, base: Path) -> tuple[Path, str]:
    """A fresh clone of this repository at ``commit``; returns its folder and the full hash."""
    full = subprocess.run(
        ["git", "rev-parse", commit], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    folder = base / full[:9]
    subprocess.run(["git", "clone", "-q", "--no-checkout", str(ROOT), str(folder)], check=True)
    subprocess.run(["git", "checkout", "-q", full], cwd=folder, check=True)
    return folder, full


def _files(folder: Path) -> list[Path]:
    """Every file under ``folder`` but Snakemake's empty markers in directory outputs
    (``.snakemake_timestamp``: where they lie follows which folder a rule declares)."""
    return sorted(
        p.relative_to(folder) for p in folder.rglob("*") if p.is_file() and p.name != ".snakemake_timestamp"
    )


def same_tree(results: Path, reference: Path) -> str:
    """Whether every file under ``results`` has the bytes of the same file under ``reference``."""
    names, theirs = _files(results), _files(reference)
    if names != theirs:
        return f"NO: other files ({len(set(names) ^ set(theirs))} in one only)"
    different = [str(n) for n in names if (results / n).read_bytes() != (reference / n).read_bytes()]
    return (
        f"NO: {len(different)} differ ({', '.join(different[:5])})"
        if different
        else f"yes ({len(names)} files)"
    )


def figure_jobs(folder: Path) -> tuple[int, float]:
    """The figure jobs of the last run in ``folder`` and their job seconds summed.

    Snakemake records every output's rule, job and start and end time in ``.snakemake/metadata``
    (one file per output); a job with several outputs is counted once.
    """
    jobs = {}
    for path in (folder / ".snakemake" / "metadata").iterdir():
        record = json.loads(path.read_text("utf-8"))
        if str(record.get("rule", "")).startswith("figure"):
            jobs[(record["rule"], record["job_hash"])] = record["endtime"] - record["starttime"]
    return len(jobs), round(sum(jobs.values()), 1)


def run(folder: Path, cores: int) -> dict:
    """One run of the demo in ``folder``: jobs, wall and CPU seconds, load average."""
    env = {k: v for k, v in os.environ.items() if k not in ("UNDERCOUNT_CACHE", "NUMBA_CACHE_DIR")}
    env.update(SINGLE_THREAD, PYTHONPATH=str(folder / "src"))
    cmd = [
        sys.executable, "-m", "snakemake", "--profile", "profiles/default",
        "--configfile", "config/config.yaml", "--cores", str(cores),
    ]  # fmt: skip
    before = loadavg()
    start = time.monotonic()
    with (folder / "bench-snakemake.out").open("w") as out:
        proc = subprocess.Popen(cmd, cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    after = loadavg()
    if os.waitstatus_to_exitcode(status) != 0:
        tail = (folder / "bench-snakemake.out").read_text("utf-8")[-3000:]
        raise SystemExit(f"snakemake failed in {folder}:\n{tail}")
    logs = sorted((folder / ".snakemake" / "log").glob("*.snakemake.log"))
    text = logs[-1].read_text("utf-8")
    steps = STEPS.findall(text)
    try:
        identical = f"yes ({assert_same_bytes(folder / 'results', _fixture())} files)"
    except AssertionError as error:
        identical = f"NO: {error}"
    figures, figure_s = figure_jobs(folder)
    return {
        "jobs": int(steps[-1]) if steps else 0,
        "estimate_jobs": len(ESTIMATE_JOB.findall(text)),
        "figure_jobs": figures,
        "figure_job_s": figure_s,
        "wall_s": round(wall, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "load_before": before,
        "load_after": after,
        "identical_to_fixture": identical,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--commits", nargs="+", default=["main", "HEAD"])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="keep the clones here (default: removed)")
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    args = parser.parse_args(argv)
    base = Path(tempfile.mkdtemp(prefix="bench-demo-"))
    rows = []
    try:
        clones = [clone(c, base) for c in args.commits]
        for kind in ("fresh", "rerun"):
            for name, (folder, full) in zip(args.commits, clones, strict=True):
                if kind == "rerun":  # make clean: the compile and estimate caches stay
                    for part in ("results", "logs", ".snakemake"):
                        shutil.rmtree(folder / part, ignore_errors=True)
                row = {"commit": f"{name} ({full[:9]})", "run": kind, **run(folder, args.cores)}
                reference = base / "reference-results"
                if not reference.exists():  # the first commit's fresh run
                    shutil.copytree(folder / "results", reference)
                row["same_as_first"] = same_tree(folder / "results", reference)
                rows.append(row)
                print(json.dumps(row), flush=True)
    finally:
        if args.keep is not None:
            shutil.copytree(base, args.keep, dirs_exist_ok=True, symlinks=True)
        shutil.rmtree(base, ignore_errors=True)
    print()
    print(
        f"demo (config/config.yaml), --cores {args.cores}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    header = [
        "commit", "run", "jobs", "estimate_jobs", "figure_jobs", "figure_job_s", "wall_s", "cpu_s",
        "load_before", "load_after",
    ]  # fmt: skip
    print("| " + " | ".join(header + [f"results/ as {args.commits[0]} fresh", "fixture"]) + " |")
    print("|" + "---|" * (len(header) + 2))
    for row in rows:
        cells = [str(row[h]) for h in header] + [row["same_as_first"], row["identical_to_fixture"]]
        print("| " + " | ".join(cells) + " |")
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
