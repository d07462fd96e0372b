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
from test_workflow import DEMO_COMPARED_FLOOR, _fixture, make_workdir, snakemake

# make test leaves these out (-m "not slurm"); make test-slurm and CI run them
pytestmark = [pytest.mark.workflow, pytest.mark.slurm]

ON_TEST_CLUSTER = [
    "--slurm-status-command",
    "squeue",
    "--slurm-init-seconds-before-status-checks",
    "2",
    "--max-threads",
    "2",
]
SUBMITTED = re.compile(r"Job (\d+) has been submitted with SLURM jobid (\d+)")
FINISHED = re.compile(r"^Finished jobid: (\d+) \(Rule: (\w+)\)$", re.M)


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
    submitted = SUBMITTED.findall(proc.stderr)  # (Snakemake's job id, SLURM's), once each
    finished = FINISHED.findall(proc.stderr)
    # the demo is 88 jobs (137 before one estimate job ran all of a table's methods, 93 before figures
    # sharing inputs were drawn in one job and one linkage fit served each record kind); the floor
    # keeps a run of almost nothing from passing
    assert re.search(r"^(\d+) of \1 steps \(100%\) done$", proc.stderr, re.M) and len(finished) > 80
    # every job but the target rule `all` (no action: Snakemake closes it itself) went to SLURM, once
    assert sorted(j for j, _ in submitted) == sorted(j for j, rule in finished if rule != "all")
    jobs = {j["id"]: j for j in slurm_jobs(slurm_cluster)}
    assert {jobs[s]["state"] for _, s in submitted} == {"COMPLETED"}
    # threads from the profile became SLURM CPUs: a table's job runs lcmcr's chains and
    # stepwise-bca's bootstrap among its methods, so 4 (capped to 2); one job per table (8)
    estimates = [j for j in jobs.values() if j["comment"].startswith("rule_estimate_wildcards_")]
    assert len(estimates) == 8 and {j["cpus"] for j in estimates} == {"2"}
    assert assert_same_bytes(workdir / "results", _fixture()) > DEMO_COMPARED_FLOOR


LCMCR_JOB = "rule_estimate_wildcards_zhanaozen2011_deaths"  # the small config's table job (mt, lcmcr)


def small_config(workdir: Path) -> Path:
    """The demo config cut to one event, its three death lists and two methods (mt and lcmcr).

    Enough for a killed job: what is tested is that a cancelled SLURM job fails its rule and
    that Snakemake picks the run up again, which does not depend on the demo's breadth (the
    test above runs all of it). lcmcr's job runs long enough (its chains) to be killed mid-run.
    """
    config = yaml.safe_load((workdir / "config" / "config.yaml").read_text("utf-8"))
    event = config["events"]["zhanaozen2011"]
    event["sources"] = {name: spec for name, spec in event["sources"].items() if spec["kind"] == "casualty"}
    config["events"] = {"zhanaozen2011": event}
    config["populations"] = ["deaths"]
    config["methods"] = {"mt": {}, "lcmcr": {}}
    config["strata"] = {}
    config["reported_figures"] = None
    path = workdir / "config" / "small.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def run_and_kill(workdir: Path, env: dict, *args: str, timeout: float = 900) -> tuple[int, str, str]:
    """Run through the profile, scancel the lcmcr job once it runs: exit status, its SLURM id, the log.

    Snakemake's output goes to a file (a pipe nobody reads would fill and stop it). The job
    is killed a few seconds after SLURM starts it: mid-run, before its outputs exist.
    """
    log = workdir / "snakemake-slurm.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            slurm_command(*args), cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + timeout
            killed = None
            while killed is None and time.monotonic() < deadline:
                assert proc.poll() is None, (
                    "snakemake ended before the lcmcr job ran:\n" + log.read_text()[-4000:]
                )
                running = [
                    j for j in slurm_jobs(env) if j["comment"] == LCMCR_JOB and j["state"] == "RUNNING"
                ]
                if running:
                    time.sleep(2)
                    subprocess.run(["scancel", running[0]["id"]], env=env, check=True)
                    killed = running[0]["id"]
                time.sleep(0.5)
            assert killed is not None, f"no SLURM job {LCMCR_JOB} ran within {timeout} s"
            returncode = proc.wait(timeout=timeout)
        finally:
            if proc.poll() is None:
                proc.terminate()  # Snakemake cancels its SLURM jobs on the way out
                proc.wait(timeout=60)
    return returncode, killed, log.read_text()


@pytest.fixture(scope="module")
def small_local(tmp_path_factory) -> Path:
    """results/ of a local run (``--cores 2``, no profile) of the small config."""
    local = make_workdir(tmp_path_factory.mktemp("small") / "local")
    proc = snakemake(local, "--workflow-profile", "none", "--configfile", str(small_config(local)))
    assert proc.returncode == 0, proc.stderr[-4000:]
    return local / "results"


def test_the_profile_resubmits_a_cancelled_job_and_the_numbers_stay(slurm_cluster, small_local, tmp_path):
    """scancel a running job: the profile (retries: 1) submits it again, the run completes.

    A rerun of the same command then has nothing to do, and the numbers are those of a local
    run of the same config, byte for byte.
    """
    workdir = make_workdir(tmp_path / "slurm")
    args = ["--configfile", str(small_config(workdir))]
    returncode, killed, log = run_and_kill(workdir, slurm_cluster, *args)
    assert returncode == 0, log[-6000:]
    assert f"SLURM-job '{killed}' failed, SLURM status is: 'CANCELLED'" in log
    jobs = {j["id"]: j for j in slurm_jobs(slurm_cluster)}
    lcmcr = [s for _, s in SUBMITTED.findall(log) if jobs[s]["comment"] == LCMCR_JOB]
    # submitted twice: the killed job, then once more, which completed
    assert lcmcr[0] == killed and len(lcmcr) == 2 and jobs[lcmcr[1]]["state"] == "COMPLETED"
    again = run_on_slurm(workdir, slurm_cluster, *args)
    assert again.returncode == 0 and "Nothing to be done" in again.stderr, again.stderr[-4000:]
    assert not SUBMITTED.findall(again.stderr)
    assert_same_bytes(workdir / "results", small_local)


def test_without_retries_the_run_fails_and_running_it_again_completes_it(
    slurm_cluster, small_local, tmp_path
):
    """With ``--retries 0`` the cancelled job fails the run; the same command again completes it.

    This is how an analyst resumes a stopped run (README, "Resuming"): only what is missing
    is submitted, and the numbers are still the local run's, byte for byte.
    """
    workdir = make_workdir(tmp_path / "slurm")
    args = ["--configfile", str(small_config(workdir)), "--retries", "0"]
    returncode, killed, log = run_and_kill(workdir, slurm_cluster, *args)
    assert returncode != 0
    assert f"SLURM-job '{killed}' failed, SLURM status is: 'CANCELLED'" in log
    assert not (workdir / "results" / "zhanaozen2011" / "deaths" / "estimates" / "lcmcr.json").exists()
    assert not (workdir / "results" / "estimates.csv").exists()
    again = run_on_slurm(workdir, slurm_cluster, *args)
    assert again.returncode == 0, again.stderr[-6000:]
    submitted = {s for _, s in SUBMITTED.findall(again.stderr)}
    jobs = {j["id"]: j for j in slurm_jobs(slurm_cluster)}
    rules = {jobs[s]["comment"].split("_wildcards_")[0] for s in submitted}
    # the killed estimate and what depends on it ran again; linkage and tables did not
    assert LCMCR_JOB in {jobs[s]["comment"] for s in submitted} and killed not in submitted
    assert not rules & {"rule_ingest", "rule_link_fit", "rule_link_thresholds", "rule_link", "rule_histories"}
    assert_same_bytes(workdir / "results", small_local)
