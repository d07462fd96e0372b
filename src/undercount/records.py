"""Source lists: read an analyst's CSV or XLSX, map it to the canonical schema, validate.

Every source list becomes a data frame of canonical records (see
``schemas/casualty.schema.yaml`` and ``schemas/detention.schema.yaml``). The
schemas are the single source of truth: the validator below reads their
``required``, ``type``, ``enum``, ``minimum``/``maximum``, ``minLength``/
``maxLength``, ``format: date`` and undercount's ``x-synonyms``/``x-unique``
keywords and applies them column by column.

Files are read as a spreadsheet shows them: CSV in UTF-8 (or the source's
``encoding``), its delimiter detected (comma, semicolon, tab or bar, as Excel
writes CSV in different locales), the header on row 1 (or ``header_row``, with
title rows above it skipped), every row with exactly the header's number of
fields; XLSX cells as stored, with formula cells that have no saved value,
merged cells and spreadsheet error values refused where a record's column is
read.

Any problem stops with an :class:`~undercount.errors.InputError` naming the
file, the spreadsheet row (header = row 1, or ``header_row``) and the column.
Messages give positions and column names; a cell value is echoed only when it
cannot be personal data (:func:`~undercount.errors.show_value`), and a header is
echoed only when the schema or the config already names it (a file without a
header row has data, and so names, where the headers should be).
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
import statistics
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from . import tabular
from .errors import InputError, is_safe_value, show_value

KINDS = ("casualty", "detention")
DEFAULT_DATE_FORMAT = "%Y-%m-%d"
ROW = "_row"  # spreadsheet row number of each record, kept for messages
#: Delimiters tried, in this order, when a source does not set ``delimiter``.
DELIMITERS = (",", ";", "\t", "|")
#: Days since the event's start_date within which a record's date is expected
#: (inclusive); dates outside get a warning (config: ``date_window``).
DATE_WINDOW = (-7, 365)
#: Values a spreadsheet writes for a formula that failed; never data.
SPREADSHEET_ERRORS = frozenset(
    ["#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#SPILL!", "#CALC!", "#GETTING_DATA"]
)
WHOLE_NUMBER = re.compile(r"([+-]?[0-9]+)(?:[.,]0+)?")
#: Rows searched for the header when the header row lacks the required columns.
HEADER_SEARCH_ROWS = 30
#: Rows named in one message before "and n more".
SHOW_ROWS = 5


@cache
def record_schema(kind: str) -> dict:
    """The JSON Schema of one canonical record of ``kind``."""
    if kind not in KINDS:
        raise ValueError(f"unknown record kind {kind!r}; known: {KINDS}")
    text = resources.files("undercount").joinpath("schemas", f"{kind}.schema.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def canonical_columns(kind: str) -> list[str]:
    """Canonical column names of ``kind``, in schema order."""
    return list(record_schema(kind)["properties"])


def name_columns(kind: str) -> list[str]:
    """Columns holding personal names (they never leave the linkage step)."""
    return list(record_schema(kind).get("x-names", []))


def date_column(kind: str) -> str:
    """The date column that anchors a record in time."""
    return {"casualty": "date_of_death", "detention": "date_detained", "linked": "date_of_death"}[kind]


@dataclass(frozen=True)
class SourceSpec:
    """One source list as the config declares it.

    Attributes
    ----------
    id
        Short identifier; becomes the list's column in capture histories.
    path
        CSV or XLSX file.
    kind
        ``casualty`` or ``detention``.
    label
        Human-readable name for figures and reports.
    columns
        Mapping from the file's headers to canonical names; headers that are
        already canonical need no entry.
    date_format
        ``strftime`` format of the file's dates (default ISO 8601).
    sheet
        Worksheet name of an XLSX file (default: the first).
    values
        Per canonical column, a mapping from the file's values to canonical ones.
    encoding
        Text encoding of a CSV file (a Python codec name such as ``cp1251``);
        default UTF-8, or UTF-16 when the file starts with its byte-order mark.
    header_row
        Spreadsheet row of the header (default 1); rows above it (titles) are
        skipped. Row numbers in messages stay those of the spreadsheet.
    delimiter
        Field delimiter of a CSV file (default: detected among ``DELIMITERS``).
    """

    id: str
    path: str
    kind: str
    label: str = ""
    columns: Mapping[str, str] = field(default_factory=dict)
    date_format: str | None = None
    sheet: str | None = None
    values: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    encoding: str | None = None
    header_row: int = 1
    delimiter: str | None = None
    #: ``kind: linked`` only: the 0/1 list columns, and the population the table documents
    lists: tuple[str, ...] = ()
    population: str | None = None

    @classmethod
    def from_config(cls, source_id: str, entry: Mapping[str, Any]) -> SourceSpec:
        return cls(
            id=source_id,
            path=str(entry["path"]),
            kind=str(entry["kind"]),
            label=str(entry.get("label") or source_id),
            columns=dict(entry.get("columns") or {}),
            date_format=entry.get("date_format"),
            sheet=entry.get("sheet"),
            values={k: dict(v) for k, v in (entry.get("values") or {}).items()},
            encoding=entry.get("encoding"),
            header_row=int(entry.get("header_row") or 1),
            delimiter=entry.get("delimiter"),
            lists=tuple(str(x) for x in entry.get("lists") or ()),
            population=entry.get("population") or ("deaths" if entry["kind"] == "linked" else None),
        )


# ------------------------------------------------------------- spec checks
def check_date_format(date_format: str) -> None:
    """Raise ValueError unless ``date_format`` is a strptime format giving year, month and day."""
    probe = datetime(2003, 11, 27, 13, 14, 15)
    try:
        back = datetime.strptime(probe.strftime(date_format), date_format)
    except ValueError as exc:
        raise ValueError(f"{date_format!r} is not a usable date format ({exc})") from None
    if (back.year, back.month, back.day) != (2003, 11, 27):
        missing = [
            what
            for what, ok in (
                ("year (%Y or %y)", back.year == 2003),
                ("month (%m, %b or %B)", back.month == 11),
                ("day (%d)", back.day == 27),
            )
            if not ok
        ]
        raise ValueError(f"{date_format!r} does not give the {', '.join(missing)} of a date")


def check_encoding(encoding: str) -> None:
    """Raise ValueError unless ``encoding`` names a text codec Python can decode with."""
    try:
        b"a".decode(encoding)
    except LookupError:
        raise ValueError(
            f"{encoding!r} is not a text encoding Python knows (for example utf-8, cp1251, kz1048, utf-16)"
        ) from None


def check_spec(spec: SourceSpec) -> None:
    """The source's own settings, before its file is read (InputError naming the file)."""
    where = spec.path
    if spec.kind not in (*KINDS, "linked"):
        raise InputError(f"unknown kind {spec.kind!r}; use one of {(*KINDS, 'linked')}", file=where)
    try:
        if spec.date_format is not None:
            check_date_format(spec.date_format)
        if spec.encoding is not None:
            check_encoding(spec.encoding)
    except ValueError as exc:
        raise InputError(str(exc), file=where) from None
    if spec.header_row < 1:
        raise InputError(f"header_row must be 1 or more, got {spec.header_row}", file=where)
    if spec.delimiter is not None and len(spec.delimiter) != 1:
        raise InputError(f"delimiter must be one character, got {spec.delimiter!r}", file=where)


# ---------------------------------------------------------------- file level
def column_letter(column_index: int) -> str:
    """Spreadsheet letter of a 0-based column index: 0 -> 'A', 27 -> 'AB'."""
    from openpyxl.utils import get_column_letter

    return get_column_letter(column_index + 1)


def cell_name(row: int, column_index: int) -> str:
    """Spreadsheet name of a cell: row number and 0-based column index -> e.g. 'C7'."""
    return f"{column_letter(column_index)}{row}"


def _rows_text(rows: Sequence[int]) -> str:
    """'row 7' or 'rows 2, 3, 4, 5, 6 and 12 more'."""
    shown = ", ".join(map(str, rows[:SHOW_ROWS]))
    more = f" and {len(rows) - SHOW_ROWS} more" if len(rows) > SHOW_ROWS else ""
    return f"{'row' if len(rows) == 1 else 'rows'} {shown}{more}"


def _delimiter_name(delimiter: str) -> str:
    return {"\t": "tab"}.get(delimiter, repr(delimiter))


@dataclass
class RawTable:
    """A table as read from its file, before any mapping: header, data rows, positions.

    Attributes
    ----------
    file
        The file, as given.
    header
        Header cells (stripped text), one per column.
    rows
        Data rows below the header, each as long as the header; fully blank
        rows are left out (``blank_rows`` counts them).
    row_numbers
        Spreadsheet row of each data row.
    header_row
        Spreadsheet row of the header.
    flagged
        Cells that hold no usable value although they look blank or filled:
        (row number, 0-based column) -> what is wrong (a formula without a saved
        value, a merged cell, a spreadsheet error value).
    above
        Rows above the header and the first rows below it, as read (for finding a
        misplaced header; never echoed).
    delimiter, encoding
        How a CSV file was split and decoded (None for XLSX).
    """

    file: str
    header: list[str]
    rows: list[list[Any]]
    row_numbers: list[int]
    header_row: int = 1
    flagged: dict[tuple[int, int], str] = field(default_factory=dict)
    blank_rows: int = 0
    above: list[list[Any]] = field(default_factory=list)
    delimiter: str | None = None
    encoding: str | None = None

    def frame(self) -> pd.DataFrame:
        """The data rows as a data frame with the header as column names (cells as read)."""
        return pd.DataFrame(self.rows, columns=self.header, dtype=object)


def read_raw(path: str | Path, sheet: str | None = None, **options: Any) -> pd.DataFrame:
    """Read a CSV or XLSX file as cells, header in the first row (or ``header_row``).

    ``options`` are those of :func:`read_table`.
    """
    return read_table(path, sheet, **options).frame()


def read_table(
    path: str | Path,
    sheet: str | None = None,
    *,
    encoding: str | None = None,
    header_row: int = 1,
    delimiter: str | None = None,
) -> RawTable:
    """Read a CSV or XLSX file as a :class:`RawTable`.

    Raises
    ------
    InputError
        The file is missing, not decodable, not a table, ragged (a row whose
        number of fields differs from the header's), or of an unknown type.
    """
    path = Path(path)
    where = str(path)
    if path.is_dir():
        raise InputError("this is a folder, not a file: give the path of the list itself", file=where)
    if not path.is_file():
        raise InputError("file not found", file=where)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        text, used = _decode(path.read_bytes(), where, encoding)
        records, used_delimiter = _split_text(text, where, header_row, delimiter, suffix)
        table = _table_from_records(records, where, header_row)
        table.delimiter, table.encoding = used_delimiter, used
        return table
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet, header_row)
    raise InputError(f"unsupported file type {suffix!r}: give a .csv or .xlsx file", file=where)


#: The Russian and Kazakh alphabets: what a list of names in either language is written in.
RUSSIAN_KAZAKH = frozenset(
    "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюяӘәҒғҚқҢңӨөҰұҮүҺһІі"
)


def _alphabet_share(text: str) -> float:
    """Share of Russian or Kazakh letters among the non-ASCII characters of ``text``."""
    wide = [c for c in text if ord(c) > 127]
    if not wide:
        return 0.0
    return sum(c in RUSSIAN_KAZAKH for c in wide) / len(wide)


def _encoding_hint(raw: bytes) -> str:
    """What a file that is not UTF-8 probably is, as advice for the message.

    Windows-1251 (Excel's CSV in Russian locales) and KZ-1048 (its Kazakh
    variant) agree on Russian letters; KZ-1048 puts Kazakh letters where
    Windows-1251 has Serbian and Macedonian ones, so the encoding whose text
    holds more Russian and Kazakh letters wins (Windows-1251 on a tie).
    """
    best = None
    for name in ("cp1251", "kz1048"):
        try:
            share = _alphabet_share(raw.decode(name))
        except UnicodeDecodeError:
            continue
        if share >= 0.9 and (best is None or share > best[1]):
            best = (name, share)
    if best is not None:
        what = "Windows-1251" if best[0] == "cp1251" else "KZ-1048 (Kazakh Windows)"
        return (
            f"it reads as Cyrillic text in {what}, as Excel writes CSV in Russian and Kazakh locales: set "
            f"`encoding: {best[0]}` for this source, or save the file as UTF-8"
        )
    return "set `encoding:` for this source to the file's encoding (a Python codec name), or save it as UTF-8"


def _looks_utf16(raw: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when NUL bytes sit in every other position of mostly ASCII text."""
    sample = raw[:4000]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.3 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.3 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _decode(raw: bytes, where: str, encoding: str | None) -> tuple[str, str]:
    """The file's text and the encoding it was read with."""

    def failed(exc: UnicodeDecodeError, name: str, advice: str) -> InputError:
        line = raw[: exc.start].count(b"\n") + 1
        return InputError(
            f"not {name} text (invalid byte at position {exc.start}); {advice}", file=where, row=line
        )

    if encoding is not None:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise failed(exc, encoding, "check `encoding:` for this source") from None
        return text.removeprefix("\ufeff"), encoding
    for bom, name in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if raw.startswith(bom):
            try:
                return raw.decode(name).removeprefix("\ufeff"), name
            except UnicodeDecodeError as exc:
                raise failed(exc, name.upper(), "the file starts as such but is damaged") from None
    if b"\x00" in raw:
        utf16 = _looks_utf16(raw)
        if utf16 is not None:
            raise InputError(
                f"looks like UTF-16 text without a byte-order mark: set `encoding: {utf16}` for this "
                "source, or save the file as UTF-8",
                file=where,
            )
        raise InputError(
            "not a text table: the file contains NUL bytes and is not UTF-16 text (a binary file, such "
            "as a workbook saved with a .csv name?)",
            file=where,
        )
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        raise failed(exc, "UTF-8", _encoding_hint(raw)) from None


def _reader(text: str, delimiter: str):
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)


def _blank(record: Sequence[Any]) -> bool:
    return all(v is None or str(v).strip() == "" for v in record)


def _split_text(
    text: str, where: str, header_row: int, delimiter: str | None, suffix: str
) -> tuple[list[list[str]], str]:
    """Every record of the text (blank ones as []), and the delimiter used."""
    if not text.strip():
        raise InputError("the file is empty: no header and no records", file=where)
    if delimiter is None:
        delimiter = _detect_delimiter(text, where, header_row, suffix)
    records: list[list[str]] = []
    try:
        for record in _reader(text, delimiter):
            records.append(record)
    except csv.Error as exc:
        row = len(records) + 1
        reason = str(exc)
        if "unexpected end of data" in reason or "field larger than field limit" in reason:
            message = "a quoted cell that starts in this row is never closed (a '\"' without its partner)"
        elif "expected after" in reason:
            message = (
                "a quoted cell is followed by other characters before the next delimiter "
                '(as in "ab"c): quote the whole cell'
            )
        else:
            message = f"not a well-formed CSV row ({reason})"
        raise InputError(message, file=where, row=row) from None
    return records, delimiter


def _detect_delimiter(text: str, where: str, header_row: int, suffix: str) -> str:
    """The delimiter that splits the header row into columns and the rows below it alike.

    A candidate must give the header row at least two fields; among those, the
    one with the most data rows of the header's length wins (ties: a tab for
    .tsv files, then the order of ``DELIMITERS``).
    """
    order = ("\t", *[d for d in DELIMITERS if d != "\t"]) if suffix == ".tsv" else DELIMITERS
    scores = []
    tried = []
    for candidate in order:
        records: list[list[str]] = []
        try:
            for record in _reader(text, candidate):
                records.append(record)
                if len(records) >= header_row + 200:
                    break
        except csv.Error:
            pass  # scored on the rows read so far; reading the file with it names the faulty row
        if len(records) < header_row:
            tried.append(f"{_delimiter_name(candidate)} (no row {header_row})")
            continue
        width = len(records[header_row - 1])
        tried.append(f"{_delimiter_name(candidate)} ({width} column{'s' if width != 1 else ''})")
        if width < 2:
            continue
        body = [r for r in records[header_row:] if not _blank(r)]
        agree = sum(len(r) == width for r in body)
        scores.append((agree, -order.index(candidate), candidate))
    if not scores:
        raise InputError(
            f"cannot tell how the columns are separated: the header row (row {header_row}) splits into "
            f"fewer than two columns at every delimiter tried: {', '.join(tried)}. Set `delimiter:` for "
            f"this source, or `header_row:` if the header is not on that row{_later_header(text, header_row)}",
            file=where,
            row=header_row,
        )
    return max(scores)[2]


def _later_header(text: str, header_row: int) -> str:
    """A hint naming the first row below ``header_row`` that splits into columns (title rows above a header)."""
    for candidate in DELIMITERS:
        try:
            for number, record in enumerate(_reader(text, candidate), start=1):
                if number > header_row + HEADER_SEARCH_ROWS:
                    break
                if number > header_row and len(record) >= 2:
                    return (
                        f" (row {number} splits into {len(record)} columns at {_delimiter_name(candidate)}: "
                        f"if the header is there, set `header_row: {number}`)"
                    )
        except csv.Error:
            continue
    return ""


def _table_from_records(records: list[list[Any]], where: str, header_row: int) -> RawTable:
    """Header, data rows and row numbers; rows whose field count differs from the header's are refused."""
    while records and _blank(records[-1]):
        records.pop()
    if not records:
        raise InputError("the file is empty: no header and no records", file=where)
    if len(records) < header_row:
        raise InputError(
            f"the file has {len(records)} row(s), fewer than header_row ({header_row})", file=where
        )
    header = ["" if v is None else str(v).strip() for v in records[header_row - 1]]
    if not any(header):
        raise InputError(
            "the header row is blank: set `header_row:` to the row that holds the headers",
            file=where,
            row=header_row,
        )
    rows, numbers, bad, blank_rows = [], [], [], 0
    for number, record in enumerate(records[header_row:], start=header_row + 1):
        if _blank(record):
            blank_rows += 1
            continue
        if len(record) != len(header):
            bad.append((number, record))
        rows.append(record)
        numbers.append(number)
    if bad:
        raise _ragged_error(bad, len(header), len(rows), where, header_row)
    above = records[: header_row - 1] + records[header_row : header_row + HEADER_SEARCH_ROWS]
    return RawTable(where, header, rows, numbers, header_row, blank_rows=blank_rows, above=above)


def _ragged_error(
    bad: list[tuple[int, list[Any]]], width: int, n_rows: int, where: str, header_row: int
) -> InputError:
    rows = [n for n, _ in bad]
    counts = sorted({len(r) for _, r in bad})
    shown = ", ".join(f"{n} ({len(r)} fields)" for n, r in bad[:SHOW_ROWS])
    if len(bad) > SHOW_ROWS:
        shown += f" and {len(bad) - SHOW_ROWS} more"
    message = (
        f"rows whose number of fields differs from the header's ({width} fields, row {header_row}): "
        f"{'row' if len(bad) == 1 else 'rows'} {shown}; {len(bad)} of {n_rows} data rows. Their values "
        "would land in the wrong columns"
    )
    if all(len(r) == width + 1 and str(r[-1]).strip() == "" for _, r in bad) and len(bad) == n_rows:
        message += (
            "; every data row ends with one empty field more than the header: a delimiter at the end of "
            "each row? Remove it, or end the header row with one too"
        )
    elif counts[-1] < width:
        message += "; short rows are not padded with blanks: a delimiter is missing, or a cell was split"
    return InputError(message, file=where, row=rows[0])


_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell[ >/]")


def _xlsx_markup(path: Path) -> tuple[bool, bool]:
    """Whether any worksheet of the workbook has formulas, and merged cells (a scan of its XML)."""
    formulas = merges = False
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                data = archive.read(name)
                formulas = formulas or bool(_FORMULA.search(data))
                merges = merges or bool(_MERGE.search(data))
    return formulas, merges


def _read_xlsx(path: Path, sheet: str | None, header_row: int) -> RawTable:
    """The worksheet's cells by position; cells that only look blank (or filled) are flagged.

    Merged cells need openpyxl's full reader; formulas a second, read-only pass for the
    formula text. A workbook with neither is read once, read-only.
    """
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    where = str(path)
    try:
        has_formulas, has_merges = _xlsx_markup(path)
        book = openpyxl.load_workbook(path, read_only=not has_merges, data_only=True)
        formulas = openpyxl.load_workbook(path, read_only=True, data_only=False) if has_formulas else None
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise InputError(f"not a readable XLSX workbook ({type(exc).__name__})", file=where) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InputError(f"no worksheet {sheet!r}; the workbook has {book.sheetnames}", file=where)
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        flagged: dict[tuple[int, int], str] = {}
        formula_cells = set()
        if formulas is not None:
            formula_cells = {
                (r, c)
                for r, row in enumerate(formulas[ws.title].iter_rows(), start=1)
                for c, cell in enumerate(row)
                if cell.data_type == "f"
            }
        records: list[list[Any]] = []
        for r, row in enumerate(ws.iter_rows(), start=1):
            values = []
            for c, cell in enumerate(row):
                value = cell.value
                if cell.data_type == "e" and str(value).strip() not in SPREADSHEET_ERRORS:
                    # a file can mark any text as an error value: only known codes are echoed
                    flagged[(r, c)] = "a spreadsheet error value (not shown), not data"
                    value = None
                elif value is None and (r, c) in formula_cells:
                    flagged[(r, c)] = (
                        "a formula without a saved value (the workbook was written by a program that does "
                        "not calculate formulas): open and save it in Excel or LibreOffice, or paste values"
                    )
                values.append(value)
            records.append(values)
        for merged in ws.merged_cells.ranges if has_merges else ():
            top_left = cell_name(merged.min_row, merged.min_col - 1)
            for r in range(merged.min_row, merged.max_row + 1):
                for c in range(merged.min_col, merged.max_col + 1):
                    if (r, c) != (merged.min_row, merged.min_col):
                        flagged[(r, c - 1)] = (
                            f"part of the merged cells {merged.coord}, blank except {top_left}: unmerge them "
                            "and fill the value into every row it stands for"
                        )
    finally:
        book.close()
        if formulas is not None:
            formulas.close()
    while records and _blank(records[-1]):
        records.pop()
    if not records:
        raise InputError("the worksheet is empty: no header and no records", file=where)
    if len(records) < header_row:
        raise InputError(
            f"the worksheet has {len(records)} row(s), fewer than header_row ({header_row})", file=where
        )
    header = ["" if v is None else str(v).strip() for v in records[header_row - 1]]
    while header and header[-1] == "":
        header.pop()
    if not header:
        raise InputError(
            "the header row is blank: set `header_row:` to the row that holds the headers",
            file=where,
            row=header_row,
        )
    width = len(header)
    rows, numbers, blank_rows = [], [], 0
    for number, record in enumerate(records[header_row:], start=header_row + 1):
        cells = [_xlsx_text(v) for v in record[:width]] + [""] * (width - len(record))
        if _blank(cells) and not any((number, c) in flagged for c in range(width)):
            blank_rows += 1
            continue
        rows.append(cells)
        numbers.append(number)
    above = records[: header_row - 1] + records[header_row : header_row + HEADER_SEARCH_ROWS]
    return RawTable(where, header, rows, numbers, header_row, flagged, blank_rows, above)


def _xlsx_text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        return value  # parsed as a date without going through text
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -------------------------------------------------------------- record level
def read_source(spec: SourceSpec) -> pd.DataFrame:
    """Read, map and validate one source list.

    Returns
    -------
    pandas.DataFrame
        One row per record, the canonical columns of ``spec.kind`` (absent
        ones blank) with parsed types: strings (``None`` when blank), ``Int64``
        ages, ISO date strings, nullable booleans; plus ``_row``, the
        spreadsheet row each record came from. ``attrs`` holds how the file was
        read (``encoding``, ``delimiter``, ``header_row``, ``blank_rows``).
    """
    if spec.kind == "linked":
        from .linked import read_linked

        return read_linked(spec)
    check_spec(spec)
    table = read_table(
        spec.path, spec.sheet, encoding=spec.encoding, header_row=spec.header_row, delimiter=spec.delimiter
    )
    records = canonicalise(table, spec)
    records.attrs.update(
        encoding=table.encoding,
        delimiter=table.delimiter,
        header_row=table.header_row,
        blank_rows=table.blank_rows,
    )
    return records


def _known_headers(spec: SourceSpec, props: Mapping[str, Any]) -> set[str]:
    """Headers the schema or the config names: safe to echo in messages."""
    return set(props) | {str(k).strip() for k in spec.columns}


def _headers_text(headers: list[str], known: set[str]) -> str:
    """The file's headers for a message: those the config or schema names, others by position only."""
    shown = [f"{column_letter(i)} {h!r}" for i, h in enumerate(headers) if h in known]
    hidden = sum(h not in known for h in headers)
    parts = [f"{len(headers)} column{'s' if len(headers) != 1 else ''}"]
    if shown:
        parts.append("known: " + ", ".join(shown))
    if hidden:
        parts.append(
            f"{hidden} other header(s) not shown here, in case the row holds data; open the file to read them"
        )
    return "; ".join(parts)


def _header_hint(table: RawTable, spec: SourceSpec, required: list[str]) -> str:
    """Where the header probably is, when its row lacks the required columns."""
    names = {
        column: {column} | {str(k).strip() for k, v in spec.columns.items() if v == column}
        for column in required
    }
    for offset, record in enumerate(table.above):
        number = offset + 1 if offset < table.header_row - 1 else offset + 2
        cells = {"" if v is None else str(v).strip() for v in record}
        if all(cells & options for options in names.values()):
            return f"; row {number} holds the expected headers: set `header_row: {number}` for this source"
    header_cells = table.header
    looks_like_data = [
        cell_name(table.header_row, i)
        for i, h in enumerate(header_cells)
        if h and (_is_number(h) or _is_date(h, spec.date_format))
    ]
    if looks_like_data:
        return (
            f"; row {table.header_row} looks like data, not headers (cells {', '.join(looks_like_data[:SHOW_ROWS])} "
            "hold numbers or dates): does the file lack a header row? Add one, naming the columns"
        )
    return ""


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def _is_date(text: str, date_format: str | None) -> bool:
    for fmt in {date_format or DEFAULT_DATE_FORMAT, DEFAULT_DATE_FORMAT, "%d.%m.%Y", "%d/%m/%Y"}:
        try:
            datetime.strptime(text, fmt)
        except ValueError:
            continue
        return True
    return False


def canonicalise(raw: pd.DataFrame | RawTable, spec: SourceSpec) -> pd.DataFrame:
    """Map a raw table's headers and values to canonical records and validate them.

    ``raw`` is a :class:`RawTable` or a data frame whose columns are the
    headers (its rows are then numbered from 2, as under a header on row 1).
    """
    where = spec.path
    if isinstance(raw, pd.DataFrame):
        raw = RawTable(
            where,
            [str(c) for c in raw.columns],
            raw.to_numpy(dtype=object).tolist(),
            list(range(2, len(raw) + 2)),
        )
    table = raw
    schema = record_schema(spec.kind)
    props: dict[str, dict] = schema["properties"]
    headers = [str(c).strip() for c in table.header]
    known = _known_headers(spec, props)
    for source_header, target in spec.columns.items():
        if target not in props:
            raise InputError(
                f"config maps column {source_header!r} to {target!r}, which is not a canonical "
                f"{spec.kind} column ({', '.join(props)})",
                file=where,
            )
        if source_header not in headers:
            close = difflib.get_close_matches(str(source_header), headers, n=1, cutoff=0.6)
            hint = (
                f"; the closest header is in column {column_letter(headers.index(close[0]))}" if close else ""
            )
            raise InputError(
                f"config maps column {source_header!r} to {target!r}, but the file has no such "
                f"column in its header row (row {table.header_row}: {_headers_text(headers, known)}){hint}",
                file=where,
                row=table.header_row,
                column=source_header,
            )
    renamed = [spec.columns.get(h, h) for h in headers]
    seen: dict[str, int] = {}
    for i, name in enumerate(renamed):
        if name in props and name in seen:
            raise InputError(
                f"two columns ({headers[seen[name]]!r} and {headers[i]!r}) both give {name!r}",
                file=where,
                row=table.header_row,
                column=headers[i],
            )
        seen[name] = i
    missing = [c for c in schema.get("required", []) if c not in seen]
    if missing:
        raise InputError(
            f"missing required column(s) {', '.join(missing)}: no header in row {table.header_row} is "
            f"{'it' if len(missing) == 1 else 'one of them'} or mapped to "
            f"{'it' if len(missing) == 1 else 'one'} under 'columns' in the config "
            f"({_headers_text(headers, known)})" + _header_hint(table, spec, missing),
            file=where,
            row=table.header_row,
            column=missing[0],
        )
    if len(table.rows) == 0:
        raise InputError("the list is empty: a header but no records", file=where)

    used = {seen[name] for name in props if name in seen}
    flagged = [
        (r, c, what) for (r, c), what in sorted(table.flagged.items()) if c in used and r > table.header_row
    ]
    if flagged:
        r, c, what = flagged[0]
        cells = ", ".join(cell_name(r, c) for r, c, _ in flagged[:SHOW_ROWS])
        more = f" and {len(flagged) - SHOW_ROWS} more" if len(flagged) > SHOW_ROWS else ""
        others = f" (all such cells in the columns read: {cells}{more})" if len(flagged) > 1 else ""
        raise InputError(
            f"cell {cell_name(r, c)} is {what}{others}",
            file=where,
            row=r,
            column=headers[c],
        )

    n = len(table.rows)
    out = pd.DataFrame(index=range(n))
    out[ROW] = np.asarray(table.row_numbers, dtype=int)
    for name, spec_prop in props.items():
        if name in seen:
            i = seen[name]
            values = [row[i] for row in table.rows]
            out[name] = _parse_column(values, table.row_numbers, name, headers[i], spec_prop, spec, where)
        else:
            out[name] = _blank_column(spec_prop, n)
    for column in schema.get("x-unique", []):
        _check_unique(out, column, spec, where)
    return out


def _blank_column(prop: dict, n: int) -> Any:
    types = _types(prop)
    if "integer" in types:
        return pd.array([None] * n, dtype="Int64")
    if "boolean" in types:
        return pd.array([None] * n, dtype="boolean")
    return pd.Series([None] * n, dtype=object)


def _types(prop: dict) -> list[str]:
    t = prop.get("type", "string")
    return t if isinstance(t, list) else [t]


def _parse_column(
    values: list[Any], rows: list[int], name: str, header: str, prop: dict, spec: SourceSpec, where: str
) -> Any:
    types = _types(prop)
    nullable = "null" in types
    value_map = {str(k).strip().casefold(): v for k, v in (spec.values.get(name) or {}).items()}
    synonyms: dict[str, Any] = {}
    for canonical, spellings in (prop.get("x-synonyms") or {}).items():
        synonyms[str(canonical).casefold()] = canonical
        for s in spellings:
            synonyms[str(s).strip().casefold()] = canonical
    enum = prop.get("enum")
    parsed: list[Any] = []
    date_format = spec.date_format or DEFAULT_DATE_FORMAT
    for value, row in zip(values, rows):
        if isinstance(value, (datetime, date)) and prop.get("format") == "date":
            parsed.append((value.date() if isinstance(value, datetime) else value).isoformat())
            continue
        text = "" if value is None else str(value).strip()
        if value_map and text.casefold() in value_map:
            mapped = value_map[text.casefold()]
            text = "" if mapped is None else str(mapped)
        elif text in SPREADSHEET_ERRORS:
            raise InputError(
                f"the cell holds a spreadsheet error value ({text}), not data: fix the formula or the export "
                "(or map the value under 'values' in the config)",
                file=where,
                row=row,
                column=header,
            )
        if text == "":
            if not nullable:
                raise InputError(
                    "a value is required here but the cell is blank", file=where, row=row, column=header
                )
            parsed.append(None)
            continue
        try:
            parsed.append(_parse_value(text, prop, types, synonyms, enum, date_format))
        except ValueError as exc:
            raise InputError(
                f"{exc} (found {show_value(text)})", file=where, row=row, column=header
            ) from None
    if "integer" in types:
        return pd.array(parsed, dtype="Int64")
    if "boolean" in types:
        return pd.array(parsed, dtype="boolean")
    return pd.Series(parsed, dtype=object)


def _swapped_format(date_format: str) -> str:
    return date_format.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


def _parse_whole_number(text: str) -> int:
    """Whole numbers as people write them: ASCII digits, optionally '.0' or ',0' (spreadsheet floats).

    Exponents (1e2), other digit scripts, 'inf' and fractions are refused.
    """
    match = WHOLE_NUMBER.fullmatch(text)
    if match is None:
        raise ValueError("expected a whole number written in digits (such as 34)")
    return int(match.group(1))


def _parse_value(
    text: str, prop: dict, types: list[str], synonyms: dict[str, Any], enum: list | None, date_format: str
) -> Any:
    if "integer" in types:
        number = _parse_whole_number(text)
        lo, hi = prop.get("minimum"), prop.get("maximum")
        if (lo is not None and number < lo) or (hi is not None and number > hi):
            raise ValueError(f"out of range: must be between {lo} and {hi}")
        return number
    if "boolean" in types:
        key = text.casefold()
        if key in synonyms:
            return bool(synonyms[key])
        raise ValueError("expected yes or no (or a mapping under 'values' in the config)")
    if prop.get("format") == "date":
        try:
            return datetime.strptime(text, date_format).date().isoformat()
        except ValueError:
            hint = ""
            swapped = _swapped_format(date_format)
            if swapped != date_format:
                try:
                    datetime.strptime(text, swapped)
                    hint = f"; it reads as a date with day and month exchanged: is date_format {swapped!r}?"
                except ValueError:
                    pass
            raise ValueError(f"not a date in the format {date_format!r}{hint}") from None
    # strings
    if synonyms:
        key = text.casefold()
        if key in synonyms:
            text = str(synonyms[key])
    if enum is not None and text not in enum:
        allowed = ", ".join(str(e) for e in enum if e is not None)
        raise ValueError(
            f"not an allowed value; use one of {allowed} (or map values under 'values' in the config)"
        )
    min_len, max_len = prop.get("minLength"), prop.get("maxLength")
    if min_len is not None and len(text) < min_len:
        raise ValueError(f"shorter than {min_len} characters")
    if max_len is not None and len(text) > max_len:
        raise ValueError(f"longer than {max_len} characters")
    return text


def _check_unique(frame: pd.DataFrame, column: str, spec: SourceSpec, where: str) -> None:
    values = frame[column]
    dup = values.duplicated(keep=False) & values.notna()
    if not dup.any():
        return
    first_value = values[dup].iloc[0]
    rows = frame.loc[values == first_value, ROW].tolist()
    groups = values[dup].nunique()
    header = next((h for h, c in spec.columns.items() if c == column), column)
    value = f" {show_value(first_value)}" if is_safe_value(first_value) else ""
    others = f"; {groups - 1} other value(s) repeat too" if groups > 1 else ""
    withheld = "" if value else " (the value is not shown: it contains letters and could be a name)"
    raise InputError(
        f"{column}{value} appears more than once in this source ({_rows_text(rows)}){withheld}{others}; "
        "every record needs its own identifier",
        file=where,
        row=rows[1],
        column=header,
    )


# ------------------------------------------------------------ date checks
@dataclass(frozen=True)
class DateSummary:
    """The dates of one source against its event's start: range, and warnings for the analyst.

    Warnings name the source, the column and the rows; never a value other than a date.
    """

    source: str
    column: str
    header: str
    dated: int
    blank: int
    first: str | None
    last: str | None
    warnings: tuple[str, ...] = ()

    def range_text(self) -> str:
        if not self.dated:
            return f"column '{self.header}': no dates ({self.blank} blank)"
        return f"column '{self.header}': {self.dated} dates from {self.first} to {self.last} ({self.blank} blank)"


def _swap(day: date) -> date | None:
    if day.day > 12 or day.day == day.month:
        return None
    return date(day.year, day.day, day.month)


def check_dates(
    records: pd.DataFrame, spec: SourceSpec, start: str | date, window: Sequence[int] = DATE_WINDOW
) -> DateSummary:
    """Dates far from the event's start, and dates that look like day and month swapped.

    Parameters
    ----------
    records
        Canonical records of ``spec`` (from :func:`read_source`).
    start
        The event's ``start_date``.
    window
        (first, last) day since ``start`` within which dates are expected, inclusive.

    Notes
    -----
    A wrong ``date_format`` that exchanges day and month fails on any day after
    the 12th; it passes silently only when every true day is 12 or less, and
    then every date read lands on a day of 12 or less, in a month that is the
    true day. Two signs are reported: dates outside the window that fall inside
    it when day and month are exchanged (at least half of them), and a column in
    which every date could be exchanged and the exchanged dates lie much closer
    to the start (median distance under a quarter of the one read, less a week).
    """
    column = date_column(spec.kind)
    header = next((h for h, c in spec.columns.items() if c == column), column)
    start = date.fromisoformat(start) if isinstance(start, str) else start
    lo, hi = int(window[0]), int(window[1])
    first_ok, last_ok = start + timedelta(days=lo), start + timedelta(days=hi)
    dated = [(int(r), date.fromisoformat(d)) for r, d in zip(records[ROW], records[column]) if d is not None]
    blank = int(len(records) - len(dated))
    where = f"source {spec.id}, column '{header}'"
    if not dated:
        return DateSummary(spec.id, column, header, 0, blank, None, None)
    days = [d for _, d in dated]
    fmt = spec.date_format or DEFAULT_DATE_FORMAT
    span = f"{lo:+d} to {hi:+d} days from the event's start {start.isoformat()}"
    warnings = []
    early = [(r, d) for r, d in dated if d < first_ok]
    late = [(r, d) for r, d in dated if d > last_ok]
    if early:
        warnings.append(
            f"{where}: {len(early)} of {len(dated)} dates are before {first_ok.isoformat()} ({span}): "
            f"{_rows_text([r for r, _ in early])}, earliest {min(d for _, d in early).isoformat()}; check "
            f"those cells and the date_format ({fmt!r})"
        )
    if late:
        warnings.append(
            f"{where}: {len(late)} of {len(dated)} dates are after {last_ok.isoformat()} ({span}): "
            f"{_rows_text([r for r, _ in late])}, latest {max(d for _, d in late).isoformat()}; check "
            f"those cells and the date_format ({fmt!r})"
        )

    def inside(day: date) -> bool:
        return first_ok <= day <= last_ok

    outside = [d for _, d in early + late]
    fixed = [s for d in outside if (s := _swap(d)) is not None and inside(s)]
    swapped = [s if (s := _swap(d)) is not None else d for d in days]
    concentrated = False
    if sum(_swap(d) is not None for d in days) >= 3 and all(d.day <= 12 for d in days):
        read = statistics.median(abs((d - start).days) for d in days)
        exchanged = statistics.median(abs((d - start).days) for d in swapped)
        concentrated = exchanged * 4 + 7 <= read and sum(map(inside, swapped)) >= 0.9 * len(days)
    if concentrated or (outside and 2 * len(fixed) >= len(outside)):
        changed = swapped if concentrated else fixed
        count, of = (sum(map(inside, swapped)), len(days)) if concentrated else (len(fixed), len(outside))
        if spec.date_format is None and Path(spec.path).suffix.lower() in (".xlsx", ".xlsm"):
            question = "were they typed or imported with day and month exchanged?"
        else:
            question = f"is date_format {fmt!r} meant to be {_swapped_format(fmt)!r}?"
        as_read = days if concentrated else outside
        warnings.append(
            f"{where}: day and month look exchanged: read as written, {'the' if concentrated else 'those'} "
            f"dates run from {min(as_read).isoformat()} to {max(as_read).isoformat()}; with day and month swapped "
            f"they would run from {min(changed).isoformat()} to {max(changed).isoformat()}, {count} of {of} "
            f"inside {first_ok.isoformat()} to {last_ok.isoformat()} ({span}): {question}"
        )
    return DateSummary(
        spec.id,
        column,
        header,
        len(dated),
        blank,
        min(days).isoformat(),
        max(days).isoformat(),
        tuple(warnings),
    )


def validate_record(record: Mapping[str, Any], kind: str) -> None:
    """Validate one canonical record with jsonschema (a cross-check of the column validator)."""
    import jsonschema

    jsonschema.validate(
        dict(record),
        record_schema(kind),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


# ------------------------------------------------------ normalised records I/O
def write_records(frame: pd.DataFrame, path: str | Path) -> None:
    """Write validated records (they hold names: only ever under ``private_dir``)."""
    tabular.write_csv(frame, path)


def read_records(path: str | Path, kind: str) -> pd.DataFrame:
    """Read records written by :func:`write_records`, restoring their types."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = frame.map(tabular.restore)  # undo the formula guard of write_records
    frame = frame.replace({"": None})
    props = record_schema(kind)["properties"]
    for name, prop in props.items():
        types = _types(prop)
        if "integer" in types:
            frame[name] = pd.array([None if v is None else int(v) for v in frame[name]], dtype="Int64")
        elif "boolean" in types:
            frame[name] = pd.array([None if v is None else v == "True" for v in frame[name]], dtype="boolean")
    frame[ROW] = frame[ROW].astype(int)
    return frame


def describe(frame: pd.DataFrame, kind: str) -> dict[str, Any]:
    """Counts for logs: records, and blanks per column. Never a value of a name column."""
    out: dict[str, Any] = {"records": int(len(frame))}
    blanks = {}
    for name in canonical_columns(kind):
        blanks[name] = int(frame[name].isna().sum())
    out["blank_per_column"] = blanks
    for flag in ("torture_alleged", "died_in_custody"):
        if flag in frame:
            out[f"{flag}_true"] = int((frame[flag] == True).sum())  # noqa: E712 (nullable)
    return out
