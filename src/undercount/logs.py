"""Logging for workflow scripts: one file per job, counts and warnings only, never names."""

from __future__ import annotations

import logging
from pathlib import Path


def script_logger(path: str | Path, name: str) -> logging.Logger:
    """A logger writing to ``path`` (the rule's ``log:`` file), replacing earlier handlers."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger(f"undercount.{name}")
    logger.setLevel(logging.INFO)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.propagate = False
    return logger
