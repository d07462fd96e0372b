"""A short progress view of a Snakemake run: ``snakemake --logger undercount``.

Snakemake's own output prints every job with its inputs, outputs and shell
command (a demo run of this workflow printed about 3,000 lines). This logger
plugin (snakemake-interface-logger-plugins) prints instead:

* jobs done out of the total, and the job running longest with its own
  progress where it reports one (bootstrap replicates, MCMC sweeps, the passes
  of ``dga``: :mod:`undercount.progress` writes ``<log>.progress`` next to the
  job's log, and the view reads it);
* every warning and error Snakemake reports, in full, and for a failed job the
  last lines of its log.

On a terminal the view is one line, redrawn every second. Elsewhere (CI, a
test, ``make results > run.log``) it prints a line at every tenth of the jobs
and, while a long job runs, at most one line every ``interval`` seconds (30 by
default: ``--logger-undercount-interval``). With ``--dry-run`` everything is
printed as Snakemake prints it. Job details stay in ``.snakemake/log/`` and each
job's own ``logs/`` file.

It is a plain Python package inside undercount's distribution: Snakemake finds
logger plugins by the module name prefix ``snakemake_logger_plugin_``. (No
``from __future__ import annotations`` here: Snakemake reads the settings'
types from the dataclass at run time.)
"""

import logging
import shutil
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from snakemake_interface_logger_plugins.base import LogHandlerBase
from snakemake_interface_logger_plugins.common import LogEvent
from snakemake_interface_logger_plugins.settings import LogHandlerSettingsBase

#: Lines of a failed job's log shown under its error.
LOG_TAIL = 20
#: Info messages of Snakemake worth a line of their own (everything else informational is left to its log).
KEEP = ("Nothing to be done", "Complete log", "Report created", "Creating report")


@dataclass
class LogHandlerSettings(LogHandlerSettingsBase):
    interval: float = field(
        default=30.0,
        metadata={
            "help": "seconds between two progress lines when the output is not a terminal (default 30)",
        },
    )


def _describe(job: Mapping) -> str:
    wildcards = job.get("wildcards") or {}
    where = "/".join(str(v) for v in wildcards.values())
    return f"{job['rule']} {where}".strip()


def _progress_of(job: Mapping) -> dict | None:
    from undercount.progress import read_progress

    for log in job.get("logs") or ():
        found = read_progress(Path(str(log)).with_name(Path(str(log)).name + ".progress"))
        if found is not None:
            return found
    return None


def _amount(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() or value >= 10 else f"{value:.1f}"


class LogHandler(LogHandlerBase):
    """The progress view: see the module's docstring."""

    def __post_init__(self) -> None:
        self.stream = sys.stderr
        self.tty = self.stream.isatty()
        self.interval = float(getattr(self.settings, "interval", 30.0) or 30.0)
        self.done = 0
        self.total: int | None = None
        self.running: dict[int, dict] = {}
        self.started = time.monotonic()
        self.last_line = ""
        self.last_print = 0.0
        self.last_bucket = -1
        self.finished = False
        self.lock = threading.RLock()
        self.dryrun = bool(getattr(self.common_settings, "dryrun", False))
        from snakemake.logging import DefaultFormatter

        self.formatter = DefaultFormatter(
            getattr(self.common_settings, "quiet", None) or set(),
            getattr(self.common_settings, "show_failed_logs", False),
        )
        self.stop = threading.Event()
        self.ticker = threading.Thread(target=self._tick, name="undercount-progress", daemon=True)
        self.ticker.start()

    # ------------------------------------------------------------------ plugin interface
    @property
    def writes_to_stream(self) -> bool:
        return True

    @property
    def writes_to_file(self) -> bool:
        return False

    @property
    def has_filter(self) -> bool:
        return True

    @property
    def has_formatter(self) -> bool:
        return True

    @property
    def needs_rulegraph(self) -> bool:
        return False

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._emit(record)
        except Exception:  # a display problem must never stop the run
            self.handleError(record)

    def close(self) -> None:
        self.stop.set()
        with self.lock:
            if self.tty and self.last_line:
                self.stream.write("\n")
                self.stream.flush()
            self.last_line = ""
        super().close()

    # ------------------------------------------------------------------ the view
    def _emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "event", None)
        if self.dryrun:
            text = self.formatter.format(record)
            if text:
                self._print(text)
            return
        with self.lock:
            if event == LogEvent.PROGRESS:
                self.done, self.total = int(record.done), int(record.total)  # type: ignore[attr-defined]
                self._show(changed=True)
            elif event == LogEvent.JOB_INFO:
                self.running[int(record.jobid)] = {  # type: ignore[attr-defined]
                    "rule": getattr(record, "rule_name", "?"),
                    "wildcards": getattr(record, "wildcards", None) or {},
                    "logs": list(getattr(record, "log", None) or ()),
                    "since": time.monotonic(),
                }
            elif event == LogEvent.JOB_FINISHED:
                self.running.pop(int(getattr(record, "job_id", -1)), None)
            elif event in (LogEvent.JOB_ERROR, LogEvent.GROUP_ERROR):
                job = self.running.pop(int(getattr(record, "jobid", -1) or -1), None)
                self._print(self._format(record))
                self._print_log_tail(getattr(record, "log", None) or (job or {}).get("logs") or ())
            elif record.levelno >= logging.WARNING or event == LogEvent.ERROR:
                text = self._format(record)
                if text.strip():
                    self._print(text)
            elif event is None:
                message = record.getMessage()
                if message and message.lstrip().startswith(KEEP):
                    self._print(message.strip())

    def _format(self, record: logging.LogRecord) -> str:
        """Snakemake's own text for a warning or an error; a plain line when a record lacks its fields."""
        try:
            text = self.formatter.format(record)
        except (KeyError, AttributeError, TypeError):
            text = ""
        if text:
            return text
        if getattr(record, "event", None) in (LogEvent.JOB_ERROR, LogEvent.GROUP_ERROR):
            rule = getattr(record, "rule_name", "?")
            return (
                f"Error in rule {rule} (jobid {getattr(record, 'jobid', '?')}) {record.getMessage()}".rstrip()
            )
        return record.getMessage()

    def _line(self) -> str:
        if self.total is None:
            return ""
        parts = [f"undercount: {self.done}/{self.total} jobs done"]
        if self.running:
            now = time.monotonic()
            # a job that reports its own progress first (the long computations do), else the one
            # running longest
            reports = {jobid: _progress_of(job) for jobid, job in self.running.items()}
            jobid, job = min(
                self.running.items(), key=lambda item: (reports[item[0]] is None, item[1]["since"])
            )
            text = f"running {_describe(job)} ({now - job['since']:.0f} s"
            found = reports[jobid]
            if found is not None and float(found["total"]) > 0:
                share = float(found["done"]) / float(found["total"])
                text += (
                    f", {found['what']} {_amount(float(found['done']))}/{_amount(float(found['total']))}"
                    f" {share:.0%}"
                )
            text += ")"
            if len(self.running) > 1:
                text += f" and {len(self.running) - 1} more"
            parts.append(text)
        if self.total and self.done >= self.total:
            parts = [f"undercount: all {self.total} jobs done in {time.monotonic() - self.started:.0f} s"]
        return " · ".join(parts)

    def _show(self, changed: bool = False) -> None:
        line = self._line()
        if not line:
            return
        now = time.monotonic()
        if self.tty:
            width = shutil.get_terminal_size((100, 20)).columns
            self.stream.write("\r\033[K" + line[: max(10, width - 1)])
            self.stream.flush()
            self.last_line = line
            return
        complete = bool(self.total) and self.done >= (self.total or 0)
        bucket = (10 * self.done) // self.total if self.total else 0
        due = changed and (bucket != self.last_bucket or complete)
        heartbeat = not changed and self.running and now - self.last_print >= self.interval
        if (due or heartbeat) and line != self.last_line and not (complete and self.finished):
            self.stream.write(line + "\n")
            self.stream.flush()
            self.last_line, self.last_print, self.last_bucket = line, now, bucket
            self.finished = complete

    def _print(self, text: str) -> None:
        with self.lock:
            if self.tty and self.last_line:
                self.stream.write("\r\033[K")
            self.stream.write(text.rstrip("\n") + "\n")
            self.stream.flush()
            if self.tty and self.last_line:
                self.stream.write(self.last_line)
                self.stream.flush()

    def _print_log_tail(self, logs) -> None:
        for log in logs:
            path = Path(str(log))
            try:
                lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                continue
            tail = lines[-LOG_TAIL:]
            self._print(f"last {len(tail)} lines of {path}:\n" + "\n".join("    " + t for t in tail))

    def _tick(self) -> None:
        while not self.stop.wait(1.0):
            with self.lock:
                self._show(changed=False)
