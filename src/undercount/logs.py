"""Logging for workflow scripts: one file per job, counts and warnings only, never names.

Everything a job's libraries have to say goes to that file too: Python warnings
(a PlotnineWarning, a RuntimeWarning) and the warnings of libraries that log
(Splink's "level not observed" notes), so a run's terminal shows progress, not a
flood. The report and results/ carry the warnings that bear on an estimate.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from pathlib import Path

from . import progress

#: The one library that installs its own stderr handler; its records are sent to the job's log instead.
CHATTY_LOGGERS = ("splink",)


def script_logger(path: str | Path, name: str) -> logging.Logger:
    """A logger writing to ``path`` (the rule's ``log:`` file), replacing earlier handlers.

    The same file also receives Python warnings and the WARNING records of every
    library (through the root logger), instead of the terminal.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger(f"undercount.{name}")
    logger.setLevel(logging.INFO)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    # emptied once, then both handlers append: a handler opened with "w" writes at its own offset
    # and would overwrite the libraries' lines that the other handler appended meanwhile
    path.write_bytes(b"")
    handler = logging.FileHandler(path, mode="a", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.propagate = False
    # libraries' warnings and Python warnings: into the same file, marked with their origin
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_undercount_job", False)]:
        root.removeHandler(old)
        old.close()
    libraries = logging.FileHandler(path, mode="a", encoding="utf-8")
    libraries.setFormatter(logging.Formatter("%(levelname)s [%(name)s] %(message)s"))
    libraries.setLevel(logging.WARNING)
    libraries._undercount_job = True  # type: ignore[attr-defined]
    root.addHandler(libraries)
    logging.captureWarnings(True)
    for chatty in CHATTY_LOGGERS:
        chatty_logger = logging.getLogger(chatty)
        for h in list(chatty_logger.handlers):
            chatty_logger.removeHandler(h)
        chatty_logger.propagate = True
        # an earlier caller's quieting (a benchmark's, in the same process) must not hide them
        chatty_logger.setLevel(logging.NOTSET)
    return logger


def progress_file(log: str | Path) -> Path:
    """Where a job's long computations report their progress: next to its log (``<log>.progress``)."""
    log = Path(log)
    return log.with_name(log.name + ".progress")


def job_progress(log: str | Path) -> AbstractContextManager[Path]:
    """Within the block, long computations write their progress to :func:`progress_file` of ``log``."""
    return progress.reporting_to(progress_file(log))
