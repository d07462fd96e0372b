"""The demo through profiles/slurm on the single-node test cluster: job grouping against none.

Each variant runs the whole demo in a fresh copy of the project on a freshly started cluster
(scripts/dev/slurm_cluster.sh, as root), with the options the SLURM tests add
(tests/workflow/test_slurm.py: squeue for job states, 2 s before the first status check,
``--max-threads 2``):

- ``ungrouped``: profiles/slurm as it is: every job is an sbatch submission of its own;
- ``grouped``: the profile with the job grouping below (``GROUPING``: Snakemake's ``groups``,
  ``group-components`` and ``cores``, which caps a group job's CPUs; ``--cores 2`` on the test
  cluster) added to the run's copy of it.

What is measured, per variant:

- wall time, user and system CPU of the Snakemake driver (``/usr/bin/time -v`` around it);
- CPU of the whole process tree: the driver, munged, slurmctld, slurmd and every job's
  processes. The cluster and the driver are started inside a cgroup (cgroup v1 ``cpuacct``) of
  their own, and its ``cpuacct.usage`` is read at the end. The test cluster has no accounting
  database, so sacct's TotalCPU is not available; the cgroup counts the same processes and
  nothing of what else runs on the machine;
- sbatch submissions: the jobs slurmctld knows at the end (``squeue --states=all``; the cluster
  is new, so these are this run's), and Snakemake's own count of submissions in its log;
- ``uptime`` before and after (the machine is shared);
- whether ``results/estimates.csv`` and every figure's data are byte-identical to the local
  fixture (tests/workflow/fixtures/main-*), with test_slurm.py's comparison.

    python benchmarks/bench_slurm_groups.py --variant ungrouped --out /tmp/bench-groups
    python benchmarks/bench_slurm_groups.py --variant grouped --out /tmp/bench-groups
    python benchmarks/bench_slurm_groups.py --table --out /tmp/bench-groups

Each run writes ``<out>/<variant>.json``; ``--table`` prints the comparison of those present.
One variant takes 15-25 minutes on the 2-core development machine.
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

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "workflow"), str(ROOT / "tests")]  # their conftest.py too

from test_slurm import ON_TEST_CLUSTER, assert_same_bytes  # noqa: E402
from test_workflow import _fixture, make_workdir  # noqa: E402

CLUSTER = ROOT / "scripts" / "dev" / "slurm_cluster.sh"
CGROUP_ROOT = Path("/sys/fs/cgroup/cpuacct")
SUBMITTED = re.compile(r"has been submitted with SLURM jobid (\d+)")
FIGURES = [
    "figures_reported", "figure_overlap", "figures_population", "figures_comparisons",
    "figure_strata", "figures_models", "figure_imputations", "figure_linkage_sensitivity",
    "figure_covariates",
]  # fmt: skip
# The grouping measured: all ingests in one job; per event and population its linkage chain;
# the estimates of several tables; the report's tables and figures in one job at the end.
GROUPING = {
    "groups": {
        "ingest": "ingest",
        **dict.fromkeys(
            ["link_fit", "link_thresholds", "link", "histories", "linkage_sensitivity"], "linkage"
        ),
        **dict.fromkeys(
            [
                "estimate",
                "estimate_stratum",
                "stratified_total",
                "estimate_stratum_imputed",
                "stratified_total_imputed",
            ],
            "estimates",
        ),  # fmt: skip
        **dict.fromkeys(["gather_estimates", "summary", "provenance", "answer", *FIGURES], "report"),
    },
    "group-components": {"ingest": 50, "linkage": 1, "estimates": 4, "report": 100},
    "cores": 4,
}


def add_grouping(profile: Path) -> None:
    """Write ``GROUPING`` into the copied profile's config.yaml."""
    path = profile / "config.yaml"
    config = yaml.safe_load(path.read_text("utf-8"))
    if config.get("groups"):
        raise SystemExit(f"{path} groups jobs already: the 'ungrouped' variant would not be")
    path.write_text(yaml.safe_dump({**config, **GROUPING}, sort_keys=False), "utf-8")


def time_v(path: Path) -> dict[str, float]:
    """User, system and wall seconds and peak memory from ``/usr/bin/time -v``'s report."""
    text = path.read_text("utf-8")

    def field(label: str) -> str:
        match = re.search(rf"^\s*{re.escape(label)}: (.+)$", text, re.M)
        if match is None:
            raise ValueError(f"{path}: no '{label}' in /usr/bin/time's report")
        return match.group(1).strip()

    wall = 0.0
    for part in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":"):
        wall = wall * 60 + float(part)
    return {
        "driver_user_s": float(field("User time (seconds)")),
        "driver_sys_s": float(field("System time (seconds)")),
        "wall_s": wall,
        "driver_max_rss_mb": int(field("Maximum resident set size (kbytes)")) / 1024,
    }


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()


def run_variant(variant: str, out: Path, keep: Path | None) -> dict:
    base = Path(tempfile.mkdtemp(prefix=f"bench-slurm-{variant}-"))
    workdir = make_workdir(base / "w")
    extra = []
    if variant == "grouped":
        add_grouping(workdir / "profiles" / "slurm")
        extra = ["--cores", "2"]  # the node's CPUs: a group job asks for no more
    cluster_dir = base / "cluster"
    env = {**os.environ, "UNDERCOUNT_SLURM_DIR": str(cluster_dir)}
    cgroup = CGROUP_ROOT / f"undercount-bench-{os.getpid()}"
    cgroup.mkdir()
    # this process joins the cgroup: the cluster's daemons and the driver it starts inherit it
    (cgroup / "cgroup.procs").write_text(str(os.getpid()))
    try:
        subprocess.run(["bash", str(CLUSTER), "start"], env=env, check=True, capture_output=True)
        env["SLURM_CONF"] = str(cluster_dir / "etc" / "slurm.conf")
        before = uptime()
        cpu0 = int((cgroup / "cpuacct.usage").read_text())
        report = base / "time-v.txt"
        log = base / "snakemake.log"
        cmd = [
            "/usr/bin/time", "-v", "-o", str(report),
            sys.executable, "-m", "snakemake",
            "--profile", "profiles/slurm", "--workflow-profile", "none",
            *ON_TEST_CLUSTER, *extra,
        ]  # fmt: skip
        with log.open("w") as stream:
            proc = subprocess.run(cmd, cwd=workdir, env=env, stdout=stream, stderr=subprocess.STDOUT)
        cpu1 = int((cgroup / "cpuacct.usage").read_text())
        after = uptime()
        text = log.read_text("utf-8")
        if proc.returncode != 0:
            raise SystemExit(f"snakemake failed ({proc.returncode}); its log: {log}\n{text[-4000:]}")
        jobs = subprocess.run(
            ["squeue", "--noheader", "--states=all", "--format=%i|%T|%C|%k|%l|%m"],
            env=env, capture_output=True, text=True, check=True,
        ).stdout.splitlines()  # fmt: skip
        steps = re.findall(r"^(\d+) of \1 steps \(100%\) done$", text, re.M)
        progress = re.findall(r"^(\d+ of \d+ steps \(\d+%\) done)$", text, re.M)
        result = {
            "variant": variant,
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            **time_v(report),
            "tree_cpu_s": (cpu1 - cpu0) / 1e9,
            "sbatch_jobs": len(jobs),
            "sbatch_in_log": len(SUBMITTED.findall(text)),
            "states": sorted({j.split("|")[1] for j in jobs}),
            "snakemake_jobs": int(steps[-1]) if steps else None,
            "last_progress": progress[-1] if progress else None,
            "estimates_csv": (workdir / "results" / "estimates.csv").exists(),
            # id|state|CPUs|comment (rule_<rule or group>[_wildcards_...])|time limit|memory
            "slurm_jobs": jobs,
            "uptime_before": before,
            "uptime_after": after,
        }
        try:
            result["identical_files"] = assert_same_bytes(workdir / "results", _fixture())
        except AssertionError as error:
            result["identical_files"] = f"NO: {error or 'not the same files'}"
    finally:
        subprocess.run(["bash", str(CLUSTER), "stop"], env=env, capture_output=True)
        (CGROUP_ROOT / "cgroup.procs").write_text(str(os.getpid()))
        for _ in range(50):
            try:
                cgroup.rmdir()
                break
            except OSError:  # the daemons' last processes are still leaving
                time.sleep(0.2)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{variant}.json").write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    if keep is not None:
        shutil.copytree(base, keep / variant, dirs_exist_ok=True)
    shutil.rmtree(base, ignore_errors=True)
    return result


def table(out: Path) -> str:
    rows = [
        json.loads(p.read_text("utf-8"))
        for v in ("ungrouped", "grouped")
        if (p := out / f"{v}.json").exists()
    ]
    if not rows:
        raise SystemExit(f"no results in {out}")
    lines = [
        "| variant | sbatch jobs | wall s | driver user+sys s | process tree CPU s | identical to local | date | load before -> after |",
        "|---|---:|---:|---:|---:|---|---|---|",
    ]
    for r in rows:
        load = lambda s: s.split("load average:")[1].split(",")[0].strip()  # noqa: E731 (1-minute load)
        lines.append(
            f"| {r['variant']} | {r['sbatch_jobs']} | {r['wall_s']:.0f} | "
            f"{r['driver_user_s'] + r['driver_sys_s']:.0f} | {r['tree_cpu_s']:.0f} | "
            f"{r['identical_files']} files | {r['date']} | {load(r['uptime_before'])} -> {load(r['uptime_after'])} |"
        )
    if len(rows) == 2:
        a, b = rows
        lines.append(
            f"\ngrouped / ungrouped: wall {b['wall_s'] / a['wall_s']:.2f}, "
            f"process tree CPU {b['tree_cpu_s'] / a['tree_cpu_s']:.2f}, "
            f"sbatch jobs {b['sbatch_jobs'] / a['sbatch_jobs']:.2f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--variant", choices=["ungrouped", "grouped"])
    parser.add_argument("--out", type=Path, required=True, help="folder for <variant>.json")
    parser.add_argument("--table", action="store_true", help="print the comparison of the runs in --out")
    parser.add_argument("--keep", type=Path, help="copy the run's folder (workdir, logs, time -v) here")
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(run_variant(args.variant, args.out, args.keep), indent=2))
    if args.table or not args.variant:
        print(table(args.out))


if __name__ == "__main__":
    main()
