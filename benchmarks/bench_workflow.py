"""The workflow on many strata: jobs per second, wall time, and the estimate cache's hit rate.

Runs ``benchmarks/config-large.yaml`` (4 events x 130 regions = 520 strata tables, 4 methods)
in a temporary copy of the project, on synthetic linked person tables that it writes there:

1. a cold run (empty estimate cache) to ``results/estimates.csv``: jobs, wall time, jobs per
   second, and the cache's hits (strata whose tables are equal share an entry for the
   deterministic methods; ``--duplicates`` sets how many regions copy another's people);
2. one source changed (one person in each of ``--changed`` regions of the first event moves
   between lists), and a second run: the jobs that reran, and the cache's hit rate among them.
   Snakemake itself reruns only the jobs below a stratum table whose content changed (it keeps
   the checksums of inputs), so these are new tables and the cache has nothing to answer;
3. with ``--clean-rerun``, a third run after ``make clean`` (results, logs and .snakemake
   removed, the cache kept): every estimate is a hit; its wall time against the cold run's is
   what the cache saves on a rerun elsewhere (another checkout, a config that shares tables).

``--cache off`` makes the same two runs without the cache (UNDERCOUNT_CACHE=off), to compare.
Every number is measured here, on this machine; the table says how many cores the runs had.

``--slurm`` makes the same runs through ``profiles/slurm`` on the single-node test cluster
(scripts/dev/slurm_cluster.sh, as root; started before the first run, stopped after the last,
also on an error or Ctrl-C), with the options the SLURM tests add (tests/workflow/test_slurm.py)
and one CPU per estimate job (``--set-threads estimate=1 estimate_stratum=1``: config-large has
no method that uses more, README "Running on a SLURM cluster"), as a local run has. Every job
is an sbatch submission of its own. ``--compare DIR`` checks each run's ``estimates.csv``
against those of a run kept in DIR (``--keep``) with the same sizes, byte for byte: the
inputs are the same (the lists are written from fixed seeds), so the numbers must be too.

    python benchmarks/bench_workflow.py                     # the large config (557 jobs; 2,100 before one job per table)
    python benchmarks/bench_workflow.py --events 1 --regions 4 --keep /tmp/small
    python benchmarks/bench_workflow.py --events 1 --regions 4 --slurm --compare /tmp/small
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "benchmarks" / "config-large.yaml"
PROJECT_PARTS = ["Snakefile", "workflow", "scripts", "profiles"]
LISTS = ("A", "B", "C")
# each person's chance of being on each list (independent lists, a little heterogeneity by region)
CATCH = (0.45, 0.40, 0.50)
# config-large's methods use one CPU each; profiles/slurm asks 4 for a table's job (lcmcr, bootstraps)
ONE_CPU_PER_ESTIMATE = ("--set-threads", "estimate=1", "estimate_stratum=1")


@dataclass(frozen=True)
class Run:
    """What one Snakemake run did: its jobs, wall time and the cache's lookups."""

    name: str
    jobs: int
    estimate_jobs: int
    wall: float
    lookups: dict[str, int]
    submitted: int | None = None  # sbatch submissions (SLURM runs only)

    @property
    def jobs_per_second(self) -> float:
        return self.jobs / self.wall if self.wall > 0 else float("nan")


def region_names(regions: int) -> list[str]:
    return [f"r{i:03d}" for i in range(1, regions + 1)]


def write_lists(
    workdir: Path,
    config: dict,
    regions: int,
    *,
    seed: int = 1,
    people: tuple[int, int] = (40, 90),
    duplicates: float = 0.1,
) -> dict[str, int]:
    """Write each event's linked person table: ``regions`` regions of ``people`` people (a range).

    A share ``duplicates`` of the regions hold a copy of an earlier region's people (new ids),
    as strata of a real project sometimes do; their tables are equal. Returns how many people
    each event documents.
    """
    rng = np.random.default_rng(seed)
    written = {}
    names = region_names(regions)
    for event, entry in config["events"].items():
        frames: dict[str, pd.DataFrame] = {}
        for r, region in enumerate(names):
            if r > 0 and rng.random() < duplicates:
                frames[region] = frames[names[int(rng.integers(0, r))]].assign(Region=region)
                continue
            n = int(rng.integers(people[0], people[1] + 1))
            scale = rng.uniform(0.8, 1.2)
            on = rng.random((n, len(LISTS))) < np.minimum(np.array(CATCH) * scale, 0.95)
            on = on[on.any(axis=1)]
            frame = pd.DataFrame(on.astype(int), columns=list(LISTS))
            frame["Region"] = region
            frames[region] = frame
        table = pd.concat(frames.values(), ignore_index=True)
        table.insert(0, "ID", [f"{event}-{i:06d}" for i in range(1, len(table) + 1)])
        path = workdir / entry["sources"]["persons"]["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(path, index=False)
        written[event] = len(table)
    return written


def change_one_source(workdir: Path, config: dict, changed: int, *, seed: int = 2) -> tuple[str, list[str]]:
    """Move one person from list B to list A in each of ``changed`` regions of the first event's table."""
    event = next(iter(config["events"]))
    path = workdir / config["events"][event]["sources"]["persons"]["path"]
    table = pd.read_csv(path, dtype={"ID": str})
    rng = np.random.default_rng(seed)
    regions = sorted(table["Region"].unique())
    picked = sorted(rng.choice(regions, size=min(changed, len(regions)), replace=False).tolist())
    for region in picked:
        rows = table.index[(table["Region"] == region) & (table["B"] == 1) & (table["A"] == 0)]
        row = rows[0]
        table.loc[row, ["A", "B"]] = [1, 0]
    table.to_csv(path, index=False)
    return event, picked


def clean(workdir: Path) -> None:
    """What ``make clean`` removes: results, logs and Snakemake's records (the cache stays)."""
    for name in ("results", "logs", ".snakemake"):
        shutil.rmtree(workdir / name, ignore_errors=True)


def prepare(workdir: Path, events: int | None, methods: list[str] | None = None) -> dict:
    """Copy the workflow into ``workdir`` with the large config (its first ``events`` events, ``methods`` only)."""
    workdir.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, workdir / part, dirs_exist_ok=True)
        else:
            shutil.copy2(src, workdir / part)
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    if events is not None:
        config["events"] = dict(list(config["events"].items())[:events])
    if methods is not None:
        config["methods"] = {label: config["methods"][label] for label in methods}
    (workdir / "config").mkdir(exist_ok=True)
    (workdir / "config" / "large.yaml").write_text(
        yaml.safe_dump(config, allow_unicode=True), encoding="utf-8"
    )
    return config


def slug(name: str) -> str:
    return re.sub(r"\W+", "-", name).strip("-")


def _slurm_tests():
    """tests/conftest.py and tests/workflow/test_slurm.py, imported as bench_slurm_groups.py does."""
    for folder in (ROOT / "tests", ROOT / "tests" / "workflow"):
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    import conftest
    import test_slurm

    return conftest, test_slurm


@contextlib.contextmanager
def slurm_cluster(directory: Path) -> Iterator[dict[str, str]]:
    """The single-node test cluster, started and stopped as tests/conftest.py's fixture does.

    Yields the environment that points SLURM's commands at it. The cluster is stopped (its
    jobs cancelled, its daemons ended) on the way out, also on an error, Ctrl-C or SIGTERM.
    """
    conftest, _ = _slurm_tests()
    env = {**os.environ, "UNDERCOUNT_SLURM_DIR": str(directory)}
    cluster = ["bash", str(conftest.SLURM_CLUSTER)]
    started = subprocess.run([*cluster, "start"], env=env, capture_output=True, text=True)
    if started.returncode != 0:
        raise SystemExit(f"the SLURM test cluster did not start:\n{started.stderr.strip()[-3000:]}")
    # SIGTERM ends the run through the finally below, as Ctrl-C does
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        yield {**os.environ, "SLURM_CONF": str(directory / "etc" / "slurm.conf")}
    finally:
        subprocess.run([*cluster, "stop"], env=env, capture_output=True, text=True)
        signal.signal(signal.SIGTERM, previous)


def snakemake(
    workdir: Path,
    name: str,
    *,
    cores: int,
    cache: str,
    extra: tuple[str, ...] = (),
    slurm: dict[str, str] | None = None,
) -> Run:
    """Run the workflow to results/estimates.csv; count the jobs by the logs they wrote.

    ``slurm``, the environment of a test cluster (``slurm_cluster``), runs it through
    profiles/slurm there; without it, locally (profiles/default). Snakemake's output is kept in
    ``bench/<run>.snakemake.log`` and the run's estimates.csv in ``bench/<run>.estimates.csv``.
    """
    from undercount.cache import count_lookups

    args = ("results/estimates.csv", "--cores", str(cores), *extra, "--configfile", "config/large.yaml")
    submissions = None
    if slurm is None:
        env = dict(os.environ, UNDERCOUNT_CACHE=cache)
        cmd = [sys.executable, "-m", "snakemake", *args]
    else:
        _, test_slurm = _slurm_tests()
        env = dict(slurm, UNDERCOUNT_CACHE=cache)
        cmd = test_slurm.slurm_command(*args, *ONE_CPU_PER_ESTIMATE)
        submissions = test_slurm.SUBMITTED
    start = time.time()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    bench = workdir / "bench"
    bench.mkdir(exist_ok=True)
    (bench / f"{slug(name)}.snakemake.log").write_text(proc.stderr, encoding="utf-8")
    if proc.returncode != 0:
        raise SystemExit(f"snakemake failed ({name}):\n{proc.stderr[-4000:]}")
    shutil.copy2(workdir / "results" / "estimates.csv", bench / f"{slug(name)}.estimates.csv")
    # the rules' logs; sbatch's own (logs/slurm, kept for failed jobs) are not jobs of their own
    logs = [
        p
        for p in (workdir / "logs").rglob("*.log")
        if p.stat().st_mtime >= start - 1 and (workdir / "logs" / "slurm") not in p.parents
    ]
    estimate_logs = [p for p in logs if (workdir / "logs" / "estimate") in p.parents]
    submitted = None if submissions is None else len(set(submissions.findall(proc.stderr)))
    return Run(name, len(logs), len(estimate_logs), wall, count_lookups(estimate_logs), submitted)


def compare(workdir: Path, reference: Path, runs: list[Run]) -> list[str]:
    """Each run's estimates.csv against the same run's in ``reference`` (kept by ``--keep``), byte for byte.

    The lists as they are after the runs must be the reference's (same sizes, same seeds);
    the last run's results/estimates.csv is compared too, for a reference kept by an earlier
    version of this script (no ``bench/`` folder).
    """
    lists = sorted(p.relative_to(workdir) for p in (workdir / "data").rglob("*.csv"))
    same_lists = all(
        (reference / p).exists() and (reference / p).read_bytes() == (workdir / p).read_bytes() for p in lists
    )
    if not same_lists:
        return [f"not compared: the lists under data/ differ from {reference}'s (other sizes or seeds?)"]
    lines = [f"the {len(lists)} lists under data/ are byte-identical to {reference}'s"]
    pairs = [
        (f"{r.name}: estimates.csv", workdir / "bench" / f"{slug(r.name)}.estimates.csv",
         reference / "bench" / f"{slug(r.name)}.estimates.csv")
        for r in runs
    ]  # fmt: skip
    pairs.append(
        ("after the last run: results/estimates.csv", workdir / "results" / "estimates.csv",
         reference / "results" / "estimates.csv")
    )  # fmt: skip
    for what, ours, theirs in pairs:
        if not theirs.exists():
            lines.append(f"{what}: no reference ({theirs} is missing)")
        elif ours.read_bytes() == theirs.read_bytes():
            lines.append(f"{what}: byte-identical to {theirs} ({ours.stat().st_size:,} bytes)")
        else:
            lines.append(f"{what}: DIFFERS from {theirs}")
    return lines


def table(runs: list[Run], cores: int, executor: str = "local (profiles/default)") -> str:
    """The runs as a text table."""
    from undercount.cache import hit_rate

    head = (
        f"{'run':<22} {'jobs':>6} {'estimate':>8} {'lookups':>7} {'wall s':>8} {'jobs/s':>7} "
        f"{'hits':>5} {'misses':>6} {'corrupt':>7} {'hit rate':>8}"
    )
    lines = [head, "-" * len(head)]
    for r in runs:
        rate = hit_rate(r.lookups)
        lines.append(
            f"{r.name:<22} {r.jobs:>6} {r.estimate_jobs:>8} {sum(r.lookups.values()):>7} {r.wall:>8.1f} "
            f"{r.jobs_per_second:>7.2f} "
            f"{r.lookups['hit']:>5} {r.lookups['miss']:>6} {r.lookups['corrupt']:>7} "
            f"{'-' if rate != rate else f'{rate:.3f}':>8}"
        )
    lines.append(
        f"(executor: {executor}; {cores} cores; jobs counted by the logs each run wrote; estimate = jobs "
        "of rules estimate and estimate_stratum, one per table running all its methods; lookups = the "
        "methods' cache lines)"
    )
    if any(r.submitted is not None for r in runs):
        lines.append("sbatch submissions: " + ", ".join(f"{r.name} {r.submitted}" for r in runs))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[Run]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=130, help="regions (strata) per event (default 130)")
    parser.add_argument("--events", type=int, default=None, help="keep only the first N events of the config")
    parser.add_argument(
        "--changed", type=int, default=5, help="regions of the first event that the change touches"
    )
    parser.add_argument(
        "--duplicates", type=float, default=0.1, help="share of regions copying another's people"
    )
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--cache", default="on", choices=["on", "off"], help="the estimate cache (default on)"
    )
    parser.add_argument(
        "--keep", type=Path, default=None, help="run in this folder and keep it (default: a temporary one)"
    )
    parser.add_argument(
        "--group",
        type=int,
        default=0,
        help="run estimate_stratum jobs in groups of this many (Snakemake --groups/--group-components)",
    )
    parser.add_argument(
        "--clean-rerun", action="store_true", help="a third run after make clean (cache kept)"
    )
    parser.add_argument(
        "--slurm",
        action="store_true",
        help="the runs through profiles/slurm on the single-node test cluster (as root)",
    )
    parser.add_argument(
        "--compare",
        type=Path,
        default=None,
        help="a run kept in this folder (--keep, same sizes): compare each run's estimates.csv with that run's",
    )
    args = parser.parse_args(argv)

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="bench-workflow-"))
    try:
        config = prepare(workdir, args.events)
        people = write_lists(workdir, config, args.regions, duplicates=args.duplicates)
        strata = len(config["events"]) * args.regions
        print(
            f"{len(config['events'])} events x {args.regions} regions = {strata} strata tables, "
            f"{len(config['methods'])} methods ({', '.join(config['methods'])}); "
            f"{sum(people.values()):,} synthetic people; cache {args.cache}; in {workdir}"
        )
        cache = str(workdir / ".cache" / "undercount") if args.cache == "on" else "off"
        extra: tuple[str, ...] = ()
        if args.group:
            extra = ("--groups", "estimate_stratum=strata", "--group-components", f"strata={args.group}")
        with contextlib.ExitStack() as stack:
            slurm = None
            executor = "local (profiles/default)"
            if args.slurm:
                cluster = Path(tempfile.mkdtemp(prefix="bench-workflow-slurm-"))
                stack.callback(shutil.rmtree, cluster, ignore_errors=True)
                slurm = stack.enter_context(slurm_cluster(cluster))
                executor = "SLURM (profiles/slurm, single-node test cluster, every job an sbatch job)"
                print(f"SLURM test cluster started in {cluster}")

            def run(name: str) -> Run:
                return snakemake(workdir, name, cores=args.cores, cache=cache, extra=extra, slurm=slurm)

            runs = [run("cold")]
            event, regions = change_one_source(workdir, config, args.changed)
            print(
                f"changed: {len(regions)} regions of {event} ({', '.join(regions)}): one person each from B to A"
            )
            runs.append(run("one source changed"))
            if args.clean_rerun:
                clean(workdir)
                runs.append(run("after make clean"))
        print(table(runs, args.cores, executor))
        if args.compare is not None:
            print("\n".join(compare(workdir, args.compare, runs)))
        return runs
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
