"""The cost of linkage-averaged estimates: the demo workflow with ``linkage.draws: R`` against the demo without.

Runs the bundled demo config twice in fresh temporary copies of the project, one after
the other in this session: with ``linkage.draws`` set to ``--draws`` (default 50), then as
it is (no draws). Each run starts with an empty estimate cache of its own
(``UNDERCOUNT_CACHE`` in its copy), so neither reuses the other's estimates. For each
run: jobs, wall time, CPU time of Snakemake and all its jobs (user + system of the
child processes), and the load average (``uptime``) before and after. The ratios
draws / no draws are the issue's measure (target: at most 2). Nothing is asserted.

    python benchmarks/bench_draws_workflow.py                 # R = 50, 2 cores
    python benchmarks/bench_draws_workflow.py --draws 5 --keep /tmp/bench-draws
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PROJECT_PARTS = ["Snakefile", "workflow", "scripts", "config", "data", "profiles"]


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "uptime unavailable"


def make_copy(path: Path, draws: int) -> Path:
    path.mkdir(parents=True)
    for part in PROJECT_PARTS:
        src = ROOT / part
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, path / part)
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    if draws:
        config["linkage"]["draws"] = int(draws)
    (path / "config" / "bench.yaml").write_text(
        yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return path


def run(workdir: Path, cores: int) -> dict:
    env = dict(os.environ)
    env["UNDERCOUNT_CACHE"] = str(workdir / ".cache" / "undercount")
    for name in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env.setdefault(name, "1")
    cmd = [sys.executable, "-m", "snakemake", "--cores", str(cores), "--configfile", "config/bench.yaml"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_before = uptime()
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"snakemake failed in {workdir}")
    found = re.findall(r"(\d+) of (\d+) steps \(100%\) done", proc.stderr)
    found_view = re.findall(r"all (\d+) jobs done", proc.stderr)  # the undercount progress view
    jobs = int(found[-1][1]) if found else (int(found_view[-1]) if found_view else -1)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"jobs": jobs, "wall": wall, "cpu": cpu, "load_before": load_before, "load_after": uptime()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=50, help="linkage.draws of the second run (default 50)")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="run in this folder (kept) instead of a temporary one")
    args = parser.parse_args(argv)
    base = args.keep or Path(tempfile.mkdtemp(prefix="bench-draws-"))
    rows = {}
    # the run with draws first: a failure there shows before the long wait
    for name, draws in ((f"demo, linkage.draws: {args.draws}", args.draws), ("demo", 0)):
        workdir = make_copy(base / ("draws" if draws else "nodraws"), draws)
        print(f"running {name} in {workdir} ...", flush=True)
        rows[name] = run(workdir, args.cores)
        print(f"  {rows[name]}", flush=True)
    print()
    print(f"cores: {args.cores}; machine: {os.cpu_count()} CPUs; each run with an empty estimate cache")
    print(f"{'run':<28} {'jobs':>5} {'wall s':>9} {'CPU s':>9}")
    for name, r in rows.items():
        print(f"{name:<28} {r['jobs']:>5} {r['wall']:>9.1f} {r['cpu']:>9.1f}")
    b, a = rows.values()  # with draws, without
    print(f"{'ratio draws / no draws':<28} {'':>5} {b['wall'] / a['wall']:>9.2f} {b['cpu'] / a['cpu']:>9.2f}")
    print()
    for name, r in rows.items():
        print(f"{name}: load before: {r['load_before']}")
        print(f"{' ' * len(name)}  load after:  {r['load_after']}")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
