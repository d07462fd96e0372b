"""Progress of long computations, for whoever watches a run.

Long loops (bootstrap replicates, MCMC sweeps, the passes of ``dga``) report
through :func:`track`; nothing happens unless a sink is installed with
:func:`reporting_to`, so the library stays silent and pure when called from a
notebook. The workflow installs one per estimation job: a small JSON file next
to the job's log (``<log>.progress``), which the terminal's progress view
(the ``undercount`` Snakemake logger, :mod:`snakemake_logger_plugin_undercount`)
reads to show the current long job with its own progress. The file holds only
the name of the quantity and two counts, and it is removed when the job ends.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: Seconds between two writes of the progress file (the view polls about once a second).
INTERVAL = 0.5

_SINK: _FileSink | None = None


class _FileSink:
    def __init__(self, path: Path):
        self.path = path
        self.last = 0.0

    def write(self, what: str, done: float, total: float, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < INTERVAL:
            return
        self.last = now
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps({"what": what, "done": done, "total": total}), encoding="utf-8")
        os.replace(tmp, self.path)  # atomic: the reader never sees half a file


class Tracker:
    """Counts ``done`` out of ``total`` units of ``what``, and forwards to an optional bar (tqdm)."""

    def __init__(self, what: str, total: float, bar=None):
        self.what, self.total, self.done, self.bar = what, total, 0.0, bar

    @property
    def active(self) -> bool:
        """Whether anyone watches: a sink is installed (a bar is the caller's own business)."""
        return _SINK is not None

    def update(self, n: float = 1) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        if _SINK is not None:
            _SINK.write(self.what, self.done, self.total, force=self.done >= self.total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def track(what: str, total: float, bar=None) -> Tracker:
    """A :class:`Tracker` of ``total`` units of ``what`` (for example "MCMC sweeps")."""
    return Tracker(what, total, bar)


@contextmanager
def reporting_to(path: str | Path) -> Iterator[Path]:
    """Within the block, every :class:`Tracker` writes its progress to ``path`` (removed at the end)."""
    global _SINK
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    previous, _SINK = _SINK, _FileSink(target)
    try:
        yield target
    finally:
        _SINK = previous
        for p in (target, target.with_name(target.name + ".tmp")):
            p.unlink(missing_ok=True)


def read_progress(path: str | Path) -> dict | None:
    """The last progress written to ``path`` (``what``, ``done``, ``total``), or None."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not {"what", "done", "total"} <= set(data):
        return None
    return data
