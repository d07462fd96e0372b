"""The workflow through profiles/slurm on a real single-node SLURM cluster.

The cluster (munged, slurmctld and slurmd on localhost, scripts/dev/slurm_cluster.sh) is the
session fixture ``slurm_cluster`` of tests/conftest.py. Every job is submitted with sbatch by
snakemake-executor-plugin-slurm and run by slurmd; nothing is mocked.

What the tests add to the profile, and why:

- ``--slurm-status-command squeue``: the test cluster has no accounting database, so sacct
  cannot answer (a cluster without slurmdbd needs the same; README says so);
- ``--slurm-init-seconds-before-status-checks 2``: the plugin waits 40 s before asking for
  the first time and again after every finished job, sensible on a busy cluster, minutes of
  waiting on a demo of two-second jobs;
- ``--max-threads 2``: the node has the machine's 2 CPUs, and the profile asks 4 for latent-class
  chains and bootstraps; SLURM refuses a job that no node can hold.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from test_workflow import _fixture, make_workdir, snakemake

pytestmark = pytest.mark.workflow

ON_TEST_CLUSTER = [
    "--slurm-status-command",
    "squeue",
    "--slurm-init-seconds-before-status-checks",
    "2",
    "--max-threads",
    "2",
]
SUBMITTED = re.compile(r"Job (\d+) has been submitted with SLURM jobid (\d+)")


def slurm_command(*args: str) -> list[str]:
    """Snakemake through the SLURM profile, as README tells an analyst to run it."""
    return [
        sys.executable,
        "-m",
        "snakemake",
        "--profile",
        "profiles/slurm",
        "--workflow-profile",
        "none",
        *ON_TEST_CLUSTER,
        *args,
    ]


def run_on_slurm(workdir: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(slurm_command(*args), cwd=workdir, env=env, capture_output=True, text=True)


def slurm_jobs(env: dict) -> list[dict[str, str]]:
    """Every job slurmctld still knows (finished ones for MinJobAge): id, state, CPUs, comment."""
    out = subprocess.run(
        ["squeue", "--noheader", "--states=all", "--format=%i|%T|%C|%k"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = []
    for line in out.splitlines():
        jobid, state, cpus, comment = line.split("|", 3)
        rows.append({"id": jobid, "state": state, "cpus": cpus, "comment": comment})
    return rows


def compared_files(results: Path) -> list[Path]:
    """estimates.csv and the data behind every figure, relative to results/."""
    return [Path("estimates.csv")] + sorted(
        p.relative_to(results) for p in (results / "figures").rglob("*.tsv")
    )


def assert_same_bytes(results: Path, reference: Path) -> int:
    """The two folders hold the same compared files, byte for byte; returns how many."""
    names = compared_files(results)
    assert names == compared_files(reference)
    different = [str(n) for n in names if (results / n).read_bytes() != (reference / n).read_bytes()]
    assert not different, f"differ from the local run: {different}"
    return len(names)


def test_the_demo_through_the_slurm_profile_writes_the_local_numbers(slurm_cluster, tmp_path):
    """The whole demo, every job through sbatch, gives the local run's estimates and figure data.

    The local run is the regression fixture (tests/workflow/fixtures/main-*: the demo run locally,
    ``snakemake --cores 2``, by scripts/dev/regenerate_fixture.sh); test_workflow.py checks that
    a local run today still writes it. Here the comparison is byte for byte.
    """
    workdir = make_workdir(tmp_path / "w")
    start = time.monotonic()
    proc = run_on_slurm(workdir, slurm_cluster)
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr[-6000:]
    print(f"demo through profiles/slurm: {elapsed:.0f} s wall")
    submitted = SUBMITTED.findall(proc.stderr)
    planned = int(re.search(r"^total\s+(\d+)$", proc.stderr, re.M).group(1))
    # every job but the target rule `all` (no action: Snakemake closes it itself) went to SLURM
    assert len(submitted) == planned - 1 and len({s for _, s in submitted}) == len(submitted)
    jobs = {j["id"]: j for j in slurm_jobs(slurm_cluster)}
    assert {s for _, s in submitted} <= set(jobs) and {jobs[s]["state"] for _, s in submitted} == {
        "COMPLETED"
    }
    # threads from the profile became SLURM CPUs: 2 (capped) for chains, 1 for a closed form
    cpus = {
        j["comment"].rsplit("label=", 1)[-1]: j["cpus"]
        for j in jobs.values()
        if "rule_estimate_" in j["comment"]
    }
    assert cpus["lcmcr"] == cpus["stepwise-bca"] == "2" and cpus["mt"] == cpus["dga"] == "1"
    assert assert_same_bytes(workdir / "results", _fixture()) > 60


def small_config(workdir: Path) -> Path:
    """The demo config cut to one event, one population and two methods (mt and lcmcr).

    Enough for a killed job: what is tested is that a cancelled SLURM job fails its rule and
    that Snakemake picks the run up again, which does not depend on the demo's breadth (the
    test above runs all of it). lcmcr's job runs long enough (its chains) to be killed mid-run.
    """
    config = yaml.safe_load((workdir / "config" / "config.yaml").read_text("utf-8"))
    config["events"] = {"zhanaozen2011": config["events"]["zhanaozen2011"]}
    config["populations"] = ["deaths"]
    config["methods"] = {"mt": {}, "lcmcr": {}}
    config["strata"] = {}
    path = workdir / "config" / "small.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def kill_when_running(proc: subprocess.Popen, env: dict, comment: str, timeout: float = 600) -> str:
    """scancel the SLURM job whose comment contains ``comment`` once it runs; its SLURM id."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "snakemake ended before the job to kill ran"
        running = [j for j in slurm_jobs(env) if comment in j["comment"] and j["state"] == "RUNNING"]
        if running:
            time.sleep(2)  # mid-run: the job has started its script
            subprocess.run(["scancel", running[0]["id"]], env=env, check=True)
            return running[0]["id"]
        time.sleep(0.5)
    proc.kill()
    raise AssertionError(f"no SLURM job with comment {comment!r} ran within {timeout} s")


@pytest.fixture(scope="module")
def small_local(tmp_path_factory) -> Path:
    """results/ of a local run (``--cores 2``, no profile) of the small config."""
    local = make_workdir(tmp_path_factory.mktemp("small") / "local")
    proc = snakemake(local, "--workflow-profile", "none", "--configfile", str(small_config(local)))
    assert proc.returncode == 0, proc.stderr[-4000:]
    return local / "results"


def test_a_cancelled_job_fails_its_rule_and_a_rerun_completes_with_the_same_numbers(
    slurm_cluster, small_local, tmp_path
):
    """scancel one running job: the run fails (no retries), the rerun completes, numbers unchanged.

    With the profile's ``retries: 1`` the cancelled job is submitted again in the same run;
    ``--retries 0`` here shows the other path, a run that stops and is resumed by running
    the same command again (README, "resume"). The numbers are those of a local run of the
    same config, byte for byte.
    """
    workdir = make_workdir(tmp_path / "slurm")
    config = small_config(workdir)
    args = ["--configfile", str(config), "--retries", "0"]
    with subprocess.Popen(
        slurm_command(*args),
        cwd=workdir,
        env=slurm_cluster,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as first:
        killed = kill_when_running(first, slurm_cluster, "label=lcmcr")
        _, stderr = first.communicate(timeout=900)
    assert first.returncode != 0
    assert f"SLURM-job '{killed}' failed, SLURM status is: 'CANCELLED'" in stderr
    assert not (workdir / "results" / "zhanaozen2011" / "deaths" / "estimates" / "lcmcr.json").exists()
    assert not (workdir / "results" / "estimates.csv").exists()

    again = run_on_slurm(workdir, slurm_cluster, *args)
    assert again.returncode == 0, again.stderr[-6000:]
    resubmitted = [s for j, s in SUBMITTED.findall(again.stderr)]
    assert killed not in resubmitted and resubmitted  # the killed job ran again, and only what was missing
    assert "rule estimate:" in again.stderr and "rule ingest:" not in again.stderr
    assert_same_bytes(workdir / "results", small_local)


def test_the_profile_resubmits_a_cancelled_job(slurm_cluster, small_local, tmp_path):
    """With the profile as it is (retries: 1), a cancelled job is submitted again and the run completes."""
    workdir = make_workdir(tmp_path / "slurm")
    config = small_config(workdir)
    with subprocess.Popen(
        slurm_command("--configfile", str(config)),
        cwd=workdir,
        env=slurm_cluster,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as run:
        killed = kill_when_running(run, slurm_cluster, "label=lcmcr")
        _, stderr = run.communicate(timeout=900)
    assert run.returncode == 0, stderr[-6000:]
    assert f"SLURM-job '{killed}' failed, SLURM status is: 'CANCELLED'" in stderr
    lcmcr = [s for j, s in SUBMITTED.findall(stderr) if s != killed]
    jobs = {j["id"]: j for j in slurm_jobs(slurm_cluster)}
    # the same rule and wildcards, submitted once more after the cancel, and completed
    again = [s for s in lcmcr if jobs[s]["comment"] == jobs[killed]["comment"]]
    assert len(again) == 1 and jobs[again[0]]["state"] == "COMPLETED"
    assert_same_bytes(workdir / "results", small_local)
