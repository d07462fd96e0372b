"""Capture-history tables: who was documented by which list.

A capture-history table has one 0/1 column per list (the header is the list's
name) and a last column ``count``, the number of people documented by exactly
that combination of lists. The all-zero pattern is never observed and never
appears. This is the format of ``../shared/benchmarks`` and of every
``histories.csv`` the workflow writes.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .errors import TableError

if TYPE_CHECKING:  # pandas is imported where frames are used: job start-up stays light
    import pandas as pd

COUNT = "count"


@dataclass(frozen=True, eq=False)
class CaptureTable:
    """Counts of people per observed capture pattern.

    Parameters
    ----------
    lists
        Names of the lists, in column order.
    patterns
        ``(m, k)`` array of 0/1, one row per distinct observed pattern; never
        the all-zero row.
    counts
        ``(m,)`` non-negative integer counts.
    source
        Where the table came from (used in messages only).
    """

    lists: tuple[str, ...]
    patterns: np.ndarray
    counts: np.ndarray
    source: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        patterns = np.asarray(self.patterns, dtype=np.int8)
        counts = np.asarray(self.counts, dtype=np.int64)
        if patterns.ndim != 2 or patterns.shape[1] != len(self.lists):
            raise TableError("patterns must have one column per list", file=self.source)
        if counts.shape != (patterns.shape[0],):
            raise TableError("one count per pattern is needed", file=self.source)
        if len(set(self.lists)) != len(self.lists):
            raise TableError(f"list names repeat: {list(self.lists)}", file=self.source)
        patterns.setflags(write=False)
        counts.setflags(write=False)
        object.__setattr__(self, "lists", tuple(str(x) for x in self.lists))
        object.__setattr__(self, "patterns", patterns)
        object.__setattr__(self, "counts", counts)

    # ------------------------------------------------------------------ basics
    @property
    def k(self) -> int:
        """Number of lists."""
        return len(self.lists)

    @property
    def n_observed(self) -> int:
        """Number of distinct people on at least one list."""
        return int(self.counts.sum())

    def list_sizes(self) -> dict[str, int]:
        """People documented by each list."""
        sizes = self.counts @ self.patterns.astype(np.int64)
        return {name: int(s) for name, s in zip(self.lists, sizes)}

    def cells(self) -> tuple[np.ndarray, np.ndarray]:
        """All ``2**k - 1`` observable patterns in canonical order, with their counts.

        Canonical order: by number of lists, then lexicographically with the
        first list varying slowest (the order of :func:`observable_patterns`).
        Patterns absent from the table get count 0.
        """
        full = observable_patterns(self.k)
        index = {tuple(row): i for i, row in enumerate(full)}
        out = np.zeros(len(full), dtype=np.int64)
        for row, c in zip(self.patterns, self.counts):
            out[index[tuple(int(v) for v in row)]] += c
        return full, out

    # --------------------------------------------------------- transformations
    def select(self, lists: Sequence[str]) -> CaptureTable:
        """Keep only ``lists`` (in that order), pooling over the others.

        People seen only on dropped lists become unobserved and leave the table.
        """
        missing = [name for name in lists if name not in self.lists]
        if missing:
            raise TableError(f"no list named {missing}; the table has {list(self.lists)}", file=self.source)
        idx = [self.lists.index(name) for name in lists]
        sub = self.patterns[:, idx]
        keep = sub.any(axis=1)
        return CaptureTable.from_arrays(lists, sub[keep], self.counts[keep], source=self.source)

    @classmethod
    def from_arrays(
        cls,
        lists: Sequence[str],
        patterns: npt.ArrayLike,
        counts: npt.ArrayLike,
        source: str | None = None,
    ) -> CaptureTable:
        """Build a table, adding counts of repeated patterns and dropping zero counts."""
        patterns = np.asarray(patterns, dtype=np.int8).reshape(-1, len(lists))
        counts = np.asarray(counts, dtype=np.int64)
        if len(counts) == 0:
            return cls(tuple(lists), patterns[:0], counts[:0], source)
        uniq, inverse = np.unique(patterns, axis=0, return_inverse=True)
        summed = np.bincount(inverse.ravel(), weights=counts, minlength=len(uniq)).astype(np.int64)
        keep = summed > 0
        uniq, summed = uniq[keep], summed[keep]
        order = _canonical_order(uniq)
        return cls(tuple(lists), uniq[order], summed[order], source)

    # ------------------------------------------------------------------- I/O
    @classmethod
    def from_rows(
        cls, header: Sequence[str], rows: Sequence[Sequence[Any]], source: str | None = None
    ) -> CaptureTable:
        """Validate rows in capture-history format (header first) and build a table.

        Raises
        ------
        TableError
            Naming the row and column of the first problem: no ``count``
            column, fewer than two lists, an entry that is not 0 or 1, a count
            that is negative, missing or not a whole number, the all-zero
            pattern with a positive count, or no one observed at all.
        """
        columns = [str(c).strip() for c in header]
        if COUNT not in columns:
            raise TableError(
                f"no '{COUNT}' column; a capture-history table has one 0/1 column per "
                f"list and a last column '{COUNT}' (columns found: {columns})",
                file=source,
            )
        if columns.count(COUNT) > 1:
            raise TableError(f"more than one '{COUNT}' column", file=source)
        lists = [c for c in columns if c != COUNT]
        if len(lists) < 2:
            raise TableError(
                f"a capture-history table needs at least two list columns, found {lists}",
                file=source,
            )
        if any(c == "" or c.startswith("Unnamed:") for c in lists):
            raise TableError("a list column has no name in the header", file=source)
        if len(rows) == 0:
            raise TableError("the table has no rows", file=source)
        for i, row in enumerate(rows):
            if len(row) != len(columns):
                raise TableError(f"expected {len(columns)} fields, found {len(row)}", file=source, row=i + 2)
        values = {}
        for j, col in enumerate(columns):
            values[col] = _whole_numbers([row[j] for row in rows], col, source)
        for col in lists:
            bad = ~np.isin(values[col], (0, 1))
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise TableError(
                    f"capture indicators must be 0 or 1, found {values[col][i]}",
                    file=source,
                    row=i + 2,
                    column=col,
                )
        counts = values[COUNT]
        if (counts < 0).any():
            i = int(np.flatnonzero(counts < 0)[0])
            raise TableError(
                f"counts cannot be negative, found {counts[i]}", file=source, row=i + 2, column=COUNT
            )
        patterns = np.column_stack([values[c] for c in lists]).astype(np.int8)
        zero = ~patterns.any(axis=1) & (counts > 0)
        if zero.any():
            i = int(np.flatnonzero(zero)[0])
            raise TableError(
                "the all-zero pattern (on no list) cannot be observed; remove this row",
                file=source,
                row=i + 2,
                column=COUNT,
            )
        table = cls.from_arrays(lists, patterns, counts, source=source)
        if table.n_observed == 0:
            raise TableError("no one is observed: every count is zero", file=source)
        return table

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, source: str | None = None) -> CaptureTable:
        """Validate a data frame in capture-history format (see :meth:`from_rows`)."""
        rows = frame.astype(object).where(frame.notna(), "").values.tolist()
        return cls.from_rows(list(frame.columns), rows, source)

    @classmethod
    def from_csv(cls, path: str | Path) -> CaptureTable:
        """Read and validate a capture-history CSV file."""
        path = Path(path)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise TableError("file not found", file=str(path)) from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise TableError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=str(path)) from None
        try:
            records = [row for row in csv.reader(io.StringIO(text)) if row]
        except csv.Error as exc:
            raise TableError(f"not a CSV table: {exc}", file=str(path)) from None
        if not records:
            raise TableError("not a CSV table: the file is empty", file=str(path))
        return cls.from_rows(records[0], records[1:], source=str(path))

    def to_frame(self) -> pd.DataFrame:
        """The table as a data frame in capture-history format."""
        import pandas as pd

        frame = pd.DataFrame(self.patterns.astype(np.int64), columns=list(self.lists))
        frame[COUNT] = self.counts
        return frame

    def to_csv(self, path: str | Path) -> None:
        """Write the table (canonical row order, LF line ends)."""
        with open(path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow([*self.lists, COUNT])
            for pattern, count in zip(self.patterns, self.counts):
                writer.writerow([*(int(v) for v in pattern), int(count)])


def observable_patterns(k: int) -> np.ndarray:
    """The ``2**k - 1`` non-empty 0/1 patterns over k lists in canonical order."""
    rows = [p for p in itertools.product((0, 1), repeat=k) if any(p)]
    arr = np.array(rows, dtype=np.int8)
    return arr[_canonical_order(arr)]


def _canonical_order(patterns: np.ndarray) -> np.ndarray:
    """Order by number of lists, then with earlier lists first (1 before 0)."""
    if len(patterns) == 0:
        return np.arange(0)
    keys = [tuple(-int(v) for v in row) for row in patterns]
    sizes = patterns.sum(axis=1)
    return np.array(sorted(range(len(patterns)), key=lambda i: (sizes[i], keys[i])), dtype=np.int64)


def _whole_numbers(cells: Sequence[Any], column: str, source: str | None) -> np.ndarray:
    """Parse a column of whole numbers, naming the first cell that is not one."""
    out = np.empty(len(cells), dtype=np.int64)
    for i, value in enumerate(cells):
        text = str(value).strip() if value is not None else ""
        try:
            number = float(text)
        except ValueError:
            number = float("nan")
        if text == "" or not np.isfinite(number) or number != int(number):
            shown = repr(text) if text else "an empty cell"
            raise TableError(f"expected a whole number, found {shown}", file=source, row=i + 2, column=column)
        out[i] = int(number)
    return out


def table_from_memberships(
    lists: Sequence[str], memberships: Iterable[Iterable[str]], source: str | None = None
) -> CaptureTable:
    """Count people by the set of lists each is on.

    ``memberships`` yields, for every person, the names of the lists that
    document them (people on no list cannot occur).
    """
    index = {name: j for j, name in enumerate(lists)}
    rows = []
    for person in memberships:
        row = np.zeros(len(lists), dtype=np.int8)
        for name in person:
            row[index[name]] = 1
        rows.append(row)
    if not rows:
        return CaptureTable.from_arrays(lists, np.zeros((0, len(lists))), np.zeros(0), source)
    patterns = np.vstack(rows)
    return CaptureTable.from_arrays(lists, patterns, np.ones(len(rows), dtype=np.int64), source)


def build_histories(
    persons: pd.DataFrame, lists: Sequence[str], caveats: Sequence[str] = ()
) -> tuple[CaptureTable, dict]:
    """The capture-history table of linked persons over ``lists``.

    Lists that document no one in this population are left out (a column of
    zeros carries no information and breaks every model) and named in the
    returned notes, after ``caveats`` (those of the linkage that made ``persons``).

    Returns
    -------
    (CaptureTable, dict)
        The table and a summary: lists used, lists dropped, people per list,
        people observed and ``notes`` (warnings that travel with every estimate).
    """
    from .linkage import memberships

    members = memberships(persons, lists)
    used = [name for name in lists if any(name in m for m in members.values())]
    dropped = [name for name in lists if name not in used]
    if used:
        table = table_from_memberships(used, members.values())
    else:
        table = CaptureTable((), np.zeros((0, 0), dtype=np.int8), np.zeros(0, dtype=np.int64))
    notes = list(caveats)
    notes += [f"list {name} documents no one in this population and is left out" for name in dropped]
    if len(used) < 2:
        notes.append(
            f"only {len(used)} list(s) document this population ({', '.join(used) or 'none'}): "
            "capture-recapture needs at least two, so no total can be estimated"
        )
    meta = {
        "lists": used,
        "dropped_lists": dropped,
        "people_per_list": table.list_sizes(),
        "records_per_list": {name: int((persons["source"] == name).sum()) for name in lists},
        "n_observed": table.n_observed,
        "notes": notes,
    }
    return table, meta


def read_histories(path: str | Path, meta: Mapping[str, Any]) -> CaptureTable:
    """The table a ``histories`` job wrote, whatever its number of lists.

    Tables with fewer than two lists cannot be written in capture-history
    format; they are rebuilt from the summary (one list: everyone on it).
    """
    lists = list(meta["lists"])
    if len(lists) >= 2:
        return CaptureTable.from_csv(path)
    if len(lists) == 1:
        return CaptureTable.from_arrays(lists, [[1]], [int(meta["n_observed"])], source=str(path))
    return CaptureTable((), np.zeros((0, 0), dtype=np.int8), np.zeros(0, dtype=np.int64), str(path))
