"""Progress of long computations (undercount.progress) and the terminal's progress view (the logger plugin)."""

import io
import json
import logging
import subprocess
import sys
from types import SimpleNamespace

import pytest
from conftest import benchmark_table
from snakemake_interface_logger_plugins.common import LogEvent

import undercount
from undercount import progress
from undercount.logs import job_progress, progress_file, script_logger


class Recorder:
    def __init__(self):
        self.seen = []

    def write(self, what, done, total, *, force=False):
        self.seen.append((what, done, total))


@pytest.fixture
def recorder(monkeypatch):
    rec = Recorder()
    monkeypatch.setattr(progress, "_SINK", rec)
    return rec


def test_nothing_is_written_without_a_sink(tmp_path):
    tracker = progress.track("MCMC sweeps", 10)
    assert not tracker.active
    tracker.update(5)  # no sink: nothing to write, nothing fails
    assert tracker.done == 5 and not list(tmp_path.iterdir())


def test_the_progress_file_while_a_job_runs_and_gone_after(tmp_path):
    log = tmp_path / "logs" / "estimate" / "t.log"
    assert progress_file(log) == tmp_path / "logs" / "estimate" / "t.log.progress"
    with job_progress(log) as path:
        tracker = progress.track("bootstrap replicates", 200)
        tracker.update(200)  # the last update is always written
        assert progress.read_progress(path) == {"what": "bootstrap replicates", "done": 200, "total": 200}
        assert json.loads(path.read_text("utf-8"))["total"] == 200
    assert not path.exists() and progress.read_progress(path) is None
    assert not progress.track("x", 1).active  # the sink is gone with the block


def test_mcmc_sweeps_are_reported(recorder):
    table = benchmark_table("HIV")
    settings = {"burnin": 200, "samples": 50, "thinning": 2, "chains": 2, "workers": 1}
    undercount.estimate(table, "lcmcr", settings=settings, seed=3)
    sweeps = [s for s in recorder.seen if s[0] == "MCMC sweeps"]
    assert sweeps and sweeps[-1][1] == sweeps[-1][2] == 2 * (200 + 50 * 2)
    assert [d for _, d, _ in sweeps] == sorted(d for _, d, _ in sweeps)


def test_bootstrap_replicates_are_reported(recorder):
    table = benchmark_table("HIV")
    undercount.estimate(table, "stepwise-bca", settings={"nboot": 40, "workers": 1}, seed=3)
    reps = [s for s in recorder.seen if s[0] == "bootstrap replicates"]
    assert reps and reps[-1][1] == reps[-1][2] >= 40  # replicates, then one jackknife table per cell


def test_a_jobs_warnings_go_to_its_log_not_the_terminal(tmp_path, capfd):
    import warnings

    log = tmp_path / "job.log"
    # as in a job's fresh process: warnings not yet routed (another test's script_logger may have done it
    # under that test's own warning capture)
    logging.captureWarnings(False)
    logger = script_logger(log, "test")
    logger.info("42 rows")
    logging.getLogger("splink").warning("Level x not observed in dataset")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("geom_path: Each group consist of only one observation", UserWarning, stacklevel=1)
    logging.captureWarnings(False)
    text = log.read_text("utf-8")
    assert "INFO 42 rows" in text
    assert "[splink] Level x not observed" in text
    assert "[py.warnings]" in text and "only one observation" in text
    assert "not observed" not in capfd.readouterr().err


# ---------------------------------------------------------------- the progress view
def _handler(interval=0.0):
    from snakemake_logger_plugin_undercount import LogHandler, LogHandlerSettings

    common = SimpleNamespace(dryrun=False, quiet=set(), show_failed_logs=False)
    handler = LogHandler(common, LogHandlerSettings(interval=interval))
    handler.stop.set()  # no ticking thread in a test: lines come from the events
    handler.stream, handler.tty = io.StringIO(), False
    return handler


def _record(event, msg="", level=logging.INFO, **extra):
    record = logging.LogRecord("snakemake", level, __file__, 0, msg, None, None)
    record.event = event
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_the_view_shows_jobs_done_and_the_long_jobs_own_progress(tmp_path):
    handler = _handler()
    log = tmp_path / "logs" / "estimate" / "jan2022" / "deaths" / "lcmcr.log"
    handler.emit(
        _record(
            LogEvent.JOB_INFO,
            jobid=7,
            rule_name="estimate",
            wildcards={"event": "jan2022", "population": "deaths", "label": "lcmcr"},
            log=[str(log)],
        )
    )
    with job_progress(log):
        tracker = progress.track("MCMC sweeps", 8000)
        tracker.update(8000)
        handler.emit(_record(LogEvent.PROGRESS, done=3, total=117))
    line = handler.stream.getvalue().splitlines()[-1]
    assert line.startswith("undercount: 3/117 jobs done · running estimate jan2022/deaths/lcmcr (")
    assert "MCMC sweeps 8,000/8,000 100%" in line
    handler.emit(_record(LogEvent.JOB_FINISHED, job_id=7))
    handler.emit(_record(LogEvent.PROGRESS, done=117, total=117))
    assert handler.stream.getvalue().splitlines()[-1].startswith("undercount: all 117 jobs done in ")
    handler.close()


def test_the_view_prints_warnings_and_a_failed_jobs_log(tmp_path):
    handler = _handler()
    log = tmp_path / "x.log"
    log.write_text("INFO 3 rows\nERROR column 'age', row 4: not a number\n", "utf-8")
    handler.emit(_record(None, "undercount: warning: dates far from the start", logging.WARNING))
    handler.emit(_record(LogEvent.JOB_ERROR, "", logging.ERROR, jobid=3, rule_name="ingest", log=[str(log)]))
    handler.emit(_record(None, "Select jobs to execute..."))  # Snakemake's chatter stays out
    out = handler.stream.getvalue()
    assert "undercount: warning: dates far from the start" in out
    assert "Error in rule ingest" in out
    assert f"last 2 lines of {log}" in out and "column 'age', row 4" in out
    assert "Select jobs" not in out
    handler.close()


def test_snakemake_runs_with_the_view(tmp_path):
    """The real Snakemake finds the plugin (--logger undercount): a few lines, no job details."""
    (tmp_path / "Snakefile").write_text(
        "rule all:\n"
        "    input: expand('o{i}.txt', i=range(12))\n\n"
        "rule one:\n"
        "    output: 'o{i}.txt'\n"
        "    log: 'logs/{i}.log'\n"
        "    shell: 'echo {wildcards.i} > {output} 2> {log}'\n",
        "utf-8",
    )
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", "--logger", "undercount"]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert any(line.startswith("undercount: all 13 jobs done in ") for line in lines), proc.stderr
    assert not any("Shell command" in line or "jobid:" in line for line in lines)
    assert len(lines) <= 15, proc.stderr
    # without the view, Snakemake's own account of the same run is longer
    for f in tmp_path.glob("o*.txt"):
        f.unlink()
    plain = subprocess.run(cmd[:-2], cwd=tmp_path, capture_output=True, text=True)
    assert len(plain.stderr.splitlines()) > 3 * len(lines)
