"""Estimates cached by content: a table estimated once is looked up by its hash, never estimated again.

The key of an entry is a SHA-256 over everything an estimate depends on
(:meth:`EstimateCache.key`):

* the table's content, canonical: its lists in order and its cells (the readers
  put rows in one canonical order and pool repeated patterns, so the file's row
  order, line ends, spacing and byte-order mark do not enter), and for a
  covariate table every covariate cell too; never the file's path;
* the table summary's fields that :func:`~undercount.results.estimate_table`
  reads (:data:`META_FIELDS`: the table's notes, which become caveats, and the
  reason a stratum is unusable);
* the method, its model and every setting it runs with, the interval level and
  the seed (only for a Monte Carlo method: a deterministic one ignores it, so
  equal tables of two strata share one entry);
* the library: a digest of undercount's own code, the versions of the numerical
  packages it runs on, Python's version and the machine's architecture.

Two strata with the same table (deterministic methods), a rerun after ``make clean`` or in
another checkout, a config that differs where no table sees it, and equal imputations are thus
estimated once. A Monte Carlo method's
seed differs from stratum to stratum (:func:`undercount.config.job_seed`), so
its equal tables are not shared: sharing them would change the numbers.

An entry holds the result only (estimate, interval, warnings, details, draws),
as ``results/`` does: no names, no table. Its first line carries the SHA-256 and
length of the bytes that follow; an entry whose bytes do not match (truncated,
corrupted, or written by another format) is never used: it is recomputed and
replaced. Entries are written to a temporary file in the same folder and
renamed into place, so that two jobs writing one key at once (locally, or on
SLURM nodes sharing the folder) leave one whole entry, never a torn one.

Where the cache lives is a runtime setting, not an analysis setting: the
environment variable :data:`ENVIRONMENT` names the folder (default
:data:`DEFAULT_ROOT`, relative to the folder the workflow runs in); ``off``
switches it off. A hit gives the same bytes in every result file as a miss.

:class:`StepCache` keeps the output files of a whole workflow step the same way
(the linkage fit of scripts/link_fit.py), under ``<root>/<step>/``: its key is a
SHA-256 over the step's inputs' content (:func:`undercount.provenance.sha256`), its settings, the
library and the packages it runs on; its entries are checked as an estimate's.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
import re
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .histories import CaptureTable
    from .results import EstimateResult

#: The environment variable naming the cache folder; ``off`` (or ``0``, ``no``, ``false``, empty) switches it off.
ENVIRONMENT = "UNDERCOUNT_CACHE"
#: The cache folder when the environment does not name one: relative to the working directory.
DEFAULT_ROOT = ".cache/undercount"
#: Format of an entry's first line; an entry of another format is recomputed.
FORMAT = "undercount-estimate-cache/1"
#: Format of the key's text: bump it whenever what enters the key changes.
KEY_FORMAT = "undercount-estimate-key/1"
#: Formats of a :class:`StepCache` entry's first line and of its key's text.
STEP_FORMAT = "undercount-step-cache/1"
STEP_KEY_FORMAT = "undercount-step-key/1"
#: The table summary's fields that estimate_table reads; they enter the key.
META_FIELDS = ("notes", "unusable_reason")
#: Packages whose versions enter the key: the estimators' numerical stack.
PACKAGES = ("numpy", "scipy", "numba", "llvmlite", "statsmodels", "pandas")
_OFF = {"", "0", "off", "no", "false", "none"}
#: What a job's log line says of the cache: ``cache: <status> <key> ...``.
STATUSES = ("hit", "miss", "corrupt", "uncacheable", "off")
_LOG_LINE = re.compile(r"\bcache: (hit|miss|corrupt|uncacheable|off)\b")


class Uncacheable(Exception):
    """An argument the key cannot describe exactly: the estimate is computed, not cached."""


@dataclass(frozen=True)
class Lookup:
    """How one estimate went through the cache: ``status`` in :data:`STATUSES`, the key, and why."""

    status: str
    key: str = ""
    detail: str = ""

    def __str__(self) -> str:
        text = f"cache: {self.status}"
        if self.key:
            text += f" {self.key[:16]}"
        return f"{text} ({self.detail})" if self.detail else text


class EstimateCache:
    """A folder of estimates keyed by content (see the module's description).

    Parameters
    ----------
    root
        The folder; made when the first entry is written.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        #: Every lookup of :meth:`estimate_table` so far, in order (for a job's log).
        self.lookups: list[Lookup] = []

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> EstimateCache | None:
        """The cache :data:`ENVIRONMENT` names (default :data:`DEFAULT_ROOT`), or None when it says off."""
        root = _root(environ)
        return None if root is None else cls(root)

    # ------------------------------------------------------------------ keys
    def key(
        self,
        table: CaptureTable,
        meta: Mapping[str, Any],
        *,
        method: str,
        model: str | None = None,
        settings: Mapping[str, Any] | None = None,
        seed: int | None = None,
        level: float = 0.95,
    ) -> str:
        """The entry's key: a SHA-256 (hex) over everything the estimate depends on.

        Raises
        ------
        Uncacheable
            A table field or setting the key cannot describe exactly.
        """
        from .estimators import get_method

        spec = get_method(method)
        fields = {
            "format": KEY_FORMAT,
            "table": table_digest(table),
            "meta": {name: _described(meta.get(name), f"summary field {name}") for name in META_FIELDS},
            "method": method,
            "model": model,
            # the given settings, in their order: the result's settings (and its file) follow them
            "settings": [[str(k), _described(v, f"setting {k}")] for k, v in (settings or {}).items()],
            "seed": None if not spec.stochastic or seed is None else int(seed),
            "level": repr(float(level)),
            "library": library_digest(),
            "environment": environment(),
        }
        return _key_digest(fields)

    def path(self, key: str) -> Path:
        """Where the entry of ``key`` lives: ``<root>/<first two hex digits>/<key>.json``."""
        return _entry_path(self.root, key)

    # ------------------------------------------------------------------ entries
    def load(self, key: str) -> tuple[EstimateResult | None, str]:
        """The result stored under ``key`` and ``"hit"``; or None and ``"miss"`` or ``"corrupt"`` with why."""
        data, status = _entry_bytes(self.path(key))
        if data is None:
            return None, status
        try:
            return _decode(data, key), "hit"
        except _Damaged as exc:
            return None, f"corrupt: {exc}"

    def store(self, key: str, result: EstimateResult) -> None:
        """Write ``result`` under ``key``: a temporary file in the same folder, renamed into place."""
        _write_entry(self.path(key), FORMAT, {"key": key, "result": result.to_dict(include_draws=True)})

    # ------------------------------------------------------------------ estimates
    def estimate_table(
        self,
        table: CaptureTable,
        meta: Mapping[str, Any],
        *,
        method: str,
        model: str | None = None,
        settings: Mapping[str, Any] | None = None,
        seed: int | None = None,
        level: float = 0.95,
    ) -> tuple[EstimateResult, Lookup]:
        """:func:`undercount.results.estimate_table`, looked up first; with how the lookup went.

        A hit returns the stored result (``fit`` and ``runtime`` empty: they are never
        stored); a miss or a damaged entry computes the result and stores it. A store
        that fails (a full disk, a read-only folder) is said in the lookup's detail and
        does not fail the estimate.
        """
        result, lookup = self._estimate_table(
            table,
            meta,
            {"method": method, "model": model, "settings": settings, "seed": seed, "level": level},
        )
        self.lookups.append(lookup)
        return result, lookup

    def _estimate_table(
        self, table: CaptureTable, meta: Mapping[str, Any], args: dict[str, Any]
    ) -> tuple[EstimateResult, Lookup]:
        from .results import estimate_table

        try:
            key = self.key(table, meta, **args)
        except Uncacheable as exc:
            return estimate_table(table, meta, **args), Lookup("uncacheable", "", str(exc))
        found, status = self.load(key)
        if found is not None:
            return found, Lookup("hit", key, str(self.root))
        result = estimate_table(table, meta, **args)
        detail = "recomputed and stored" if status != "miss" else "stored"
        try:
            self.store(key, result)
        except OSError as exc:
            detail = f"not stored: {exc.strerror or exc}"
        if status == "miss":
            return result, Lookup("miss", key, detail)
        return result, Lookup("corrupt", key, f"{status.removeprefix('corrupt: ')}; {detail}")


class StepCache:
    """The output files of one workflow step, stored under a key over everything the step reads.

    Where :class:`EstimateCache` keeps estimates, this keeps a step's files as text
    (ids and numbers only, as ``results/`` holds them) with the log lines the step
    wrote, under ``<root>/<step>/``. The step names its inputs in ``fields``
    (files by their content's digest, :func:`undercount.provenance.sha256`, never by path; its
    settings as they are); the key adds the library and the environment, as an
    estimate's does, and the ``packages`` the step runs on. An entry is written
    and checked as an estimate's is: a truncated or damaged entry is never used.

    The linkage fit (scripts/link_fit.py) is the step that needs it: Splink's
    training on a kind's records is the longest job of a rerun, and its result
    depends on nothing but the records, the labels and the settings.
    """

    def __init__(self, root: str | Path, step: str) -> None:
        self.step = step
        self.root = Path(root) / step

    @classmethod
    def from_environment(cls, step: str, environ: Mapping[str, str] | None = None) -> StepCache | None:
        """The cache of ``step`` in the folder :data:`ENVIRONMENT` names, or None when it says off."""
        root = _root(environ)
        return None if root is None else cls(root, step)

    def key(self, fields: Mapping[str, Any], packages: Iterable[str] = ()) -> str:
        """A SHA-256 (hex) over ``fields``, the step, the library and the environment; or :class:`Uncacheable`."""
        from importlib import metadata

        versions = {}
        for name in packages:
            try:
                versions[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                versions[name] = "not installed"
        return _key_digest(
            {
                "format": STEP_KEY_FORMAT,
                "step": self.step,
                "fields": _described(dict(fields), "step input"),
                "packages": versions,
                "library": library_digest(),
                "environment": environment(),
            }
        )

    def path(self, key: str) -> Path:
        """Where the entry of ``key`` lives: ``<root>/<step>/<first two hex digits>/<key>.json``."""
        return _entry_path(self.root, key)

    def load(self, key: str) -> tuple[StepEntry | None, str]:
        """The files and log lines stored under ``key`` and ``"hit"``; or None and ``"miss"`` or ``"corrupt: ..."``."""
        data, status = _entry_bytes(self.path(key))
        if data is None:
            return None, status
        try:
            body = _read_entry(data, key, STEP_FORMAT)
            files, log = body["files"], body["log"]
            if not (isinstance(files, dict) and all(isinstance(v, str) for v in files.values())):
                raise _Damaged("files are not text")
            lines = [(str(level), str(text)) for level, text in log]
        except _Damaged as exc:
            return None, f"corrupt: {exc}"
        except (KeyError, TypeError, ValueError):
            return None, "corrupt: unreadable entry"
        return StepEntry(files=dict(files), log=lines), "hit"

    def store(self, key: str, entry: StepEntry) -> None:
        """Write ``entry`` under ``key`` (whole or not at all)."""
        body = {"key": key, "files": dict(entry.files), "log": [list(line) for line in entry.log]}
        _write_entry(self.path(key), STEP_FORMAT, body)


@dataclass(frozen=True)
class StepEntry:
    """What :class:`StepCache` keeps of a step: its files' text by output name, and its log lines (level, text)."""

    files: Mapping[str, str]
    log: list[tuple[str, str]]


def cached_estimate_table(
    cache: EstimateCache | None,
    table: CaptureTable,
    meta: Mapping[str, Any],
    **kwargs: Any,
) -> tuple[EstimateResult, Lookup]:
    """:meth:`EstimateCache.estimate_table`, or the plain estimate with status ``off`` when ``cache`` is None."""
    if cache is None:
        from .results import estimate_table

        return estimate_table(table, meta, **kwargs), Lookup("off")
    return cache.estimate_table(table, meta, **kwargs)


# ---------------------------------------------------------------------- the key's parts
def table_digest(table: CaptureTable) -> str:
    """A SHA-256 over the table's content: every field but its source path, arrays by dtype, shape and bytes.

    The patterns and counts enter as the table holds them: every reader
    (:meth:`~undercount.histories.CaptureTable.from_csv`, ``from_arrays``) pools
    repeated patterns and puts them in canonical order, so equal content read from
    differently formatted files gives one digest. Fields of a subclass (a
    covariate table's cells) enter the same way, so a new field can never be left
    out of the key unnoticed; a field of a type the digest cannot describe raises
    :class:`Uncacheable`.
    """
    digest = hashlib.sha256()
    digest.update(type(table).__qualname__.encode("utf-8") + b"\0")
    for f in dataclasses.fields(table):
        if f.name == "source":  # where the table came from: messages only
            continue
        digest.update(f.name.encode("utf-8") + b"\0")
        value = getattr(table, f.name)
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in "biuf":
                raise Uncacheable(f"table field {f.name} is an array of {value.dtype}")
            arr = np.ascontiguousarray(value, dtype=value.dtype.newbyteorder("<"))
            digest.update(f"{arr.dtype.str}{arr.shape}".encode("ascii") + b"\0" + arr.tobytes() + b"\0")
        else:
            text = json.dumps(_described(value, f"table field {f.name}"), ensure_ascii=True)
            digest.update(text.encode("ascii") + b"\0")
    return digest.hexdigest()


def _described(value: Any, what: str) -> Any:
    """``value`` as exact JSON data (floats by repr, tuples as lists), or :class:`Uncacheable`."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return {"float": repr(float(value))}
    if isinstance(value, (list, tuple)):
        return [_described(v, what) for v in value]
    if isinstance(value, Mapping):
        return {"mapping": [[str(k), _described(v, what)] for k, v in value.items()]}
    raise Uncacheable(f"{what} is a {type(value).__name__}, which the cache key cannot describe")


@lru_cache(maxsize=1)
def library_digest() -> str:
    """A SHA-256 over undercount's code (every .py and .yaml file of the package, by path and content)."""
    from .provenance import tree_digest

    package = Path(__file__).parent
    files = [p for p in package.rglob("*") if p.is_file() and p.suffix in (".py", ".yaml")]
    return tree_digest(files, package)


@lru_cache(maxsize=1)
def environment() -> dict[str, str]:
    """Python's version, the machine's architecture, the BLAS kernels and the numerical packages' versions."""
    from importlib import metadata

    # the BLAS kernels (undercount._blas): another set of kernels can give other digits, so a cache
    # shared by machines that pin differently must not answer one with the other's result
    blas = os.environ.get("OPENBLAS_CORETYPE") or "native"
    out = {"python": sys.version.split()[0], "machine": platform.machine(), "blas": blas}
    # likewise numpy's own kernels (undercount._blas.pin_numpy): AVX-512 ones or not
    out["numpy_disabled"] = os.environ.get("NPY_DISABLE_CPU_FEATURES") or "none"
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


# ---------------------------------------------------------------------- entries
class _Damaged(Exception):
    """An entry whose bytes cannot be trusted."""


def _key_digest(fields: Mapping[str, Any]) -> str:
    """A key: the SHA-256 (hex) of ``fields`` as compact, ASCII, strict JSON."""
    text = json.dumps(fields, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _entry_path(root: Path, key: str) -> Path:
    """``<root>/<first two hex digits of key>/<key>.json``."""
    return root / key[:2] / f"{key}.json"


def _root(environ: Mapping[str, str] | None) -> str | None:
    """The cache folder :data:`ENVIRONMENT` names (default :data:`DEFAULT_ROOT`), or None when it says off."""
    value = (os.environ if environ is None else environ).get(ENVIRONMENT, DEFAULT_ROOT)
    return None if value.strip().lower() in _OFF else value


def _entry_bytes(path: Path) -> tuple[bytes | None, str]:
    """An entry's bytes, or None and ``"miss"`` (no entry) or ``"corrupt: ..."`` (unreadable)."""
    try:
        return path.read_bytes(), "hit"
    except (FileNotFoundError, NotADirectoryError):
        return None, "miss"
    except OSError as exc:
        return None, f"corrupt: unreadable ({exc.strerror})"


def _write_entry(path: Path, fmt: str, body: Mapping[str, Any]) -> None:
    """``body`` as JSON under a header line with its SHA-256 and length; written whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    header = f"{fmt} sha256={hashlib.sha256(payload).hexdigest()} bytes={len(payload)}\n".encode("ascii")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem[:16]}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(header + payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _read_entry(data: bytes, key: str, fmt: str) -> dict[str, Any]:
    """The body of an entry :func:`_write_entry` wrote under ``key``, or :class:`_Damaged` saying why not."""
    head, sep, payload = data.partition(b"\n")
    if not sep:
        raise _Damaged("no header line (truncated)")
    match = re.fullmatch(rb"(\S+) sha256=([0-9a-f]{64}) bytes=([0-9]+)", head)
    if match is None:
        raise _Damaged("unreadable header line")
    if match.group(1).decode("ascii", "replace") != fmt:
        raise _Damaged(f"format {match.group(1).decode('ascii', 'replace')!r}, not {fmt!r}")
    if len(payload) != int(match.group(3)):
        raise _Damaged(f"{len(payload)} bytes where the header says {int(match.group(3))} (truncated)")
    if hashlib.sha256(payload).hexdigest() != match.group(2).decode("ascii"):
        raise _Damaged("checksum mismatch")
    try:
        body = json.loads(payload.decode("utf-8"))
    except ValueError:
        raise _Damaged("unreadable JSON") from None
    if not isinstance(body, dict) or body.get("key") != key:
        raise _Damaged("the entry holds another key")
    return body


def _decode(data: bytes, key: str) -> EstimateResult:
    from .results import EstimateResult

    body = _read_entry(data, key, FORMAT)
    try:
        return EstimateResult.from_dict(body["result"])
    except Exception as exc:  # a checksummed entry that still does not read: never used
        raise _Damaged(f"unreadable result ({type(exc).__name__})") from None


# ---------------------------------------------------------------------- hit rates
def count_lookups(logs: Iterable[str | Path]) -> dict[str, int]:
    """How many estimates each :data:`STATUSES` counts, from the ``cache:`` lines of job logs."""
    counts = dict.fromkeys(STATUSES, 0)
    for log in logs:
        try:
            text = Path(log).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for match in _LOG_LINE.finditer(text):
            counts[match.group(1)] += 1
    return counts


def hit_rate(counts: Mapping[str, int]) -> float:
    """Hits over every estimate that went through the cache (hits, misses, damaged entries)."""
    looked = counts.get("hit", 0) + counts.get("miss", 0) + counts.get("corrupt", 0)
    return counts.get("hit", 0) / looked if looked else float("nan")


def main(argv: list[str] | None = None) -> int:
    """``python -m undercount.cache [LOGS ...]``: hits and misses in the estimate logs (default logs/estimate)."""
    args = sys.argv[1:] if argv is None else argv
    folders = [Path(a) for a in (args or ["logs/estimate"])]
    logs = [p for folder in folders for p in (sorted(folder.rglob("*.log")) if folder.is_dir() else [folder])]
    counts = count_lookups(logs)
    width = max(len(s) for s in STATUSES)
    for status in STATUSES:
        print(f"{status:<{width}}  {counts[status]}")
    rate = hit_rate(counts)
    print(f"{'rate':<{width}}  {'-' if rate != rate else f'{rate:.3f}'}  (hits / (hits + misses + corrupt))")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
