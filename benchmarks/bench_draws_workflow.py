"""The cost of linkage-averaged estimates: the demo workflow with ``linkage.draws: R`` against the demo without.

Runs the bundled demo config twice in fresh temporary copies of the project, one after
the other in this session: with ``linkage.draws`` set to ``--draws`` (default 50), then as
it is (no draws). Each run starts with an empty estimate cache of its own
(``UNDERCOUNT_CACHE`` in its copy), so neither reuses the other's estimates. For each
run: jobs, wall time, CPU time of Snakemake and all its jobs (user + system of the
child processes), and the load average (``uptime``) before and after. The ratios
draws / no draws are the issue's measure (target: at most 2). Then the time of each rule's
jobs (summed from Snakemake's ``.snakemake/metadata``; jobs overlap on several cores, so these
add up to more than the wall time), and for the draws' estimate rules, per method.
Nothing is asserted.

    python benchmarks/bench_draws_workflow.py                 # R = 50, 2 cores
    python benchmarks/bench_draws_workflow.py --draws 5 --keep /tmp/bench-draws
    python benchmarks/bench_draws_workflow.py --draws-settings '{}'   # every draw at the methods' settings
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
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


def make_copy(path: Path, draws: int, draws_settings: dict | None = None) -> Path:
    path.mkdir(parents=True)
    for part in PROJECT_PARTS:
        src = ROOT / part
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, path / part)
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    if draws:
        config["linkage"]["draws"] = int(draws)
        if draws_settings is not None:
            config["linkage"]["draws_settings"] = draws_settings
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


#: Rules whose jobs estimate the draws, one job per method: their time is also given per method.
BY_METHOD = ("estimate_averaged", "estimate_averaged_strata")


def job_times(workdir: Path) -> dict[str, float]:
    """Seconds of each rule's jobs, and of ``rule:method`` for :data:`BY_METHOD`, from the metadata.

    Snakemake keeps one metadata file per output (its name: the output's path in URL-safe
    base64); a job with several outputs is counted once, by its rule, job hash and end (each output
    has its own start time, a fraction of a second apart: the earliest is the job's).
    """
    seen: dict[tuple, tuple[float, str]] = {}
    for f in sorted((workdir / ".snakemake" / "metadata").glob("*")):
        try:
            meta = json.loads(f.read_text(encoding="utf-8"))
            output = base64.urlsafe_b64decode(f.name + "=" * (-len(f.name) % 4)).decode("utf-8")
        except (OSError, ValueError, binascii.Error, UnicodeDecodeError):
            continue
        if meta.get("starttime") is None or meta.get("endtime") is None:
            continue
        key = (meta["rule"], meta.get("job_hash"), meta["endtime"])
        start = min(meta["starttime"], seen.get(key, (meta["starttime"], output))[0])
        seen[key] = (start, output)
    out: dict[str, float] = {}
    for (rule, _, end), (start, output) in seen.items():
        out[rule] = out.get(rule, 0.0) + (end - start)
        if rule in BY_METHOD:
            method = Path(output).name.split(".")[0]
            out[f"{rule}:{method}"] = out.get(f"{rule}:{method}", 0.0) + (end - start)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=50, help="linkage.draws of the second run (default 50)")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="run in this folder (kept) instead of a temporary one")
    parser.add_argument(
        "--draws-settings",
        type=json.loads,
        help="linkage.draws_settings of the run with draws, as JSON (default: the config's, i.e. the schema's)",
    )
    args = parser.parse_args(argv)
    base = args.keep or Path(tempfile.mkdtemp(prefix="bench-draws-"))
    rows = {}
    # the run with draws first: a failure there shows before the long wait
    for name, draws in ((f"demo, linkage.draws: {args.draws}", args.draws), ("demo", 0)):
        workdir = make_copy(base / ("draws" if draws else "nodraws"), draws, args.draws_settings)
        print(f"running {name} in {workdir} ...", flush=True)
        rows[name] = run(workdir, args.cores)
        rows[name]["times"] = job_times(workdir)
        print(f"  {rows[name]}", flush=True)
    print()
    print(f"cores: {args.cores}; machine: {os.cpu_count()} CPUs; each run with an empty estimate cache")
    print(f"{'run':<28} {'jobs':>5} {'wall s':>9} {'CPU s':>9}")
    for name, r in rows.items():
        print(f"{name:<28} {r['jobs']:>5} {r['wall']:>9.1f} {r['cpu']:>9.1f}")
    b, a = rows.values()  # with draws, without
    print(f"{'ratio draws / no draws':<28} {'':>5} {b['wall'] / a['wall']:>9.2f} {b['cpu'] / a['cpu']:>9.2f}")
    if args.draws_settings is not None:
        print(f"linkage.draws_settings of the run with draws: {json.dumps(args.draws_settings)}")
    print()
    print("seconds of each rule's jobs (summed; jobs overlap on the cores)")
    print(f"{'rule':<40} {'draws':>9} {'no draws':>9}")
    rules = sorted(set(b["times"]) | set(a["times"]), key=lambda k: (-b["times"].get(k, 0.0), k))
    for rule in rules:
        print(f"{rule:<40} {b['times'].get(rule, 0.0):>9.1f} {a['times'].get(rule, 0.0):>9.1f}")
    print()
    for name, r in rows.items():
        print(f"{name}: load before: {r['load_before']}")
        print(f"{' ' * len(name)}  load after:  {r['load_after']}")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
