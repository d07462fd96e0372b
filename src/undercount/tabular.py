"""Every CSV, TSV and XLSX the project writes goes through here: formula injection is neutralised.

A spreadsheet opens a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or
a tab or carriage return, which some programs skip before reading the rest)
as a formula: a record id ``=HYPERLINK("http://…")`` from a source list
would run in the analyst's spreadsheet. Following OWASP's guidance on CSV
injection, such text cells are written with a single quote in front
(``'=HYPERLINK(…)``), which spreadsheets show as text, and the writers quote
every field that needs it. Numbers stay numbers: only text cells are
changed, and a text cell that is itself a number (``-3.2`` read from a
list) is left as it is, since no spreadsheet reads it as a formula.

Reading back: :func:`restore` undoes :func:`neutralise` for a cell.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

#: Characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would read as a formula, with a ``'`` in front; others unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS) and not _NUMBER.match(value):
        return "'" + value
    return value


def restore(value: Any) -> Any:
    """Undo :func:`neutralise` on one cell."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_LEADS):
        return value[1:]
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) are neutralised; numbers untouched."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if _is_text(series):
            out[column] = series.map(neutralise)
    out.columns = [neutralise(c) if isinstance(c, str) else c for c in out.columns]
    return out


def _is_text(series: pd.Series) -> bool:
    """Columns that can hold text: object, or a string dtype."""
    import pandas as pd

    return series.dtype == object or pd.api.types.is_string_dtype(series.dtype)


def write_csv(frame: pd.DataFrame, path: str | Path | IO[str], **kwargs: Any) -> None:
    """``frame.to_csv`` with text cells neutralised, LF line ends and no index unless asked."""
    kwargs.setdefault("index", False)
    kwargs.setdefault("lineterminator", "\n")
    safe = safe_frame(frame)
    if _has_carriage_return(safe):
        # the csv module quotes only fields holding the line terminator (LF): a bare CR
        # would split the row for readers, so quote every text field of this file
        import csv

        kwargs.setdefault("quoting", csv.QUOTE_NONNUMERIC)
    safe.to_csv(path, **kwargs)


def _has_carriage_return(frame: pd.DataFrame) -> bool:
    for column in frame.columns:
        if _is_text(frame[column]) and frame[column].map(lambda v: isinstance(v, str) and "\r" in v).any():
            return True
    return False


def csv_row(cells: Iterable[Any]) -> list[Any]:
    """One row for :mod:`csv` writers, neutralised."""
    return [neutralise(c) for c in cells]


def write_xlsx(sheets: Mapping[str, pd.DataFrame], path: str | Path) -> None:
    """One sheet per entry of ``sheets`` (name -> frame), text cells neutralised, reproducibly.

    Sheet names are cut to Excel's 31 characters and stripped of the
    characters Excel refuses (``[]:*?/\\``). The workbook's timestamps are
    fixed, so that two runs write the same bytes.
    """
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for name, frame in sheets.items():
        title = re.sub(r"[\[\]:*?/\\]", "_", str(name))[:31] or "sheet"
        while title in used:
            title = title[:28] + f"_{len(used)}"
        used.add(title)
        sheet = book.create_sheet(title)
        safe = safe_frame(frame)
        sheet.append([str(c) for c in safe.columns])
        for row in safe.itertuples(index=False):
            sheet.append([_xlsx_cell(v) for v in row])
    fixed = datetime(2000, 1, 1)
    book.properties.created = fixed
    book.properties.modified = fixed
    book.properties.creator = "undercount"
    book.save(path)
    _fix_zip_times(path)


def _xlsx_cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, float) and math.isinf(value):
        return "unbounded" if value > 0 else "-unbounded"
    if hasattr(value, "item"):  # numpy scalars
        return _xlsx_cell(value.item())
    return value


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _fix_zip_times(path: str | Path) -> None:
    """Rewrite an XLSX (a zip) with fixed timestamps, so reruns are byte-identical.

    Fixed: every member's zip date, and the workbook's "modified" property, which
    openpyxl sets to the time of saving whatever the caller asked.
    """
    import zipfile

    with zipfile.ZipFile(path) as src:
        members = [(info, src.read(info.filename)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for info, data in members:
            if info.filename == "docProps/core.xml":
                data = _MODIFIED.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            out.writestr(fixed, data)
