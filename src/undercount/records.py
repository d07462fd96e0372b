"""Source lists: read an analyst's CSV or XLSX, map it to the canonical schema, validate.

Every source list becomes a data frame of canonical records (see
``schemas/casualty.schema.yaml`` and ``schemas/detention.schema.yaml``). The
schemas are the single source of truth: the validator below reads their
``required``, ``type``, ``enum``, ``minimum``/``maximum``, ``minLength``/
``maxLength``, ``format: date`` and undercount's ``x-synonyms``/``x-unique``
keywords and applies them column by column.

Any problem stops with an :class:`~undercount.errors.InputError` naming the
file, the spreadsheet row (header = row 1) and the column. Values are echoed in
messages only when they cannot be personal data.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .errors import InputError, show_value

KINDS = ("casualty", "detention")
DEFAULT_DATE_FORMAT = "%Y-%m-%d"
ROW = "_row"  # spreadsheet row number of each record, kept for messages


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
    return {"casualty": "date_of_death", "detention": "date_detained"}[kind]


@dataclass(frozen=True)
class SourceSpec:
    """One source list as the config declares it.

    Attributes
    ----------
    id
        Short identifier; becomes the list's column in capture histories.
    path
        CSV (UTF-8) or XLSX file.
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
    """

    id: str
    path: str
    kind: str
    label: str = ""
    columns: Mapping[str, str] = field(default_factory=dict)
    date_format: str | None = None
    sheet: str | None = None
    values: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

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
        )


# ---------------------------------------------------------------- file level
def read_raw(path: str | Path, sheet: str | None = None) -> pd.DataFrame:
    """Read a CSV or XLSX file as text cells, header in the first row.

    Raises
    ------
    InputError
        The file is missing, not UTF-8, not a table, or of an unknown type.
    """
    path = Path(path)
    where = str(path)
    if not path.is_file():
        raise InputError("file not found", file=where)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        raw = path.read_bytes()
        if b"\x00" in raw:
            raise InputError("not a text table: the file contains NUL bytes (binary data?)", file=where)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise InputError(
                f"not UTF-8 text (invalid byte at position {exc.start}); save the file as UTF-8",
                file=where,
                row=line,
            ) from None
        sep = "\t" if suffix == ".tsv" else ","
        try:
            frame = pd.read_csv(
                io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=True
            )
        except pd.errors.EmptyDataError:
            raise InputError("the file is empty: no header and no records", file=where) from None
        except pd.errors.ParserError as exc:
            raise InputError(f"not a well-formed CSV table: {exc}", file=where) from None
        return frame
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet)
    raise InputError(f"unsupported file type {suffix!r}: give a .csv (UTF-8) or .xlsx file", file=where)


def _read_xlsx(path: Path, sheet: str | None) -> pd.DataFrame:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    where = str(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise InputError(f"not a readable XLSX workbook ({type(exc).__name__})", file=where) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InputError(f"no worksheet {sheet!r}; the workbook has {book.sheetnames}", file=where)
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        book.close()
    while rows and all(v is None or str(v).strip() == "" for v in rows[-1]):
        rows.pop()
    if not rows:
        raise InputError("the worksheet is empty: no header and no records", file=where)
    header = ["" if v is None else str(v).strip() for v in rows[0]]
    while header and header[-1] == "":
        header.pop()
    body = [[_xlsx_text(v) for v in r[: len(header)]] + [""] * (len(header) - len(r)) for r in rows[1:]]
    return pd.DataFrame(body, columns=header, dtype=object)


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
        spreadsheet row each record came from.
    """
    if spec.kind not in KINDS:
        raise InputError(f"unknown kind {spec.kind!r}; use one of {KINDS}", file=spec.path)
    raw = read_raw(spec.path, spec.sheet)
    return canonicalise(raw, spec)


def canonicalise(raw: pd.DataFrame, spec: SourceSpec) -> pd.DataFrame:
    """Map a raw table's headers and values to canonical records and validate them."""
    where = spec.path
    schema = record_schema(spec.kind)
    props: dict[str, dict] = schema["properties"]
    headers = [str(c).strip() for c in raw.columns]
    raw = raw.copy()
    raw.columns = headers
    for source_header, target in spec.columns.items():
        if target not in props:
            raise InputError(
                f"config maps column {source_header!r} to {target!r}, which is not a canonical "
                f"{spec.kind} column ({', '.join(props)})",
                file=where,
            )
        if source_header not in headers:
            raise InputError(
                f"config maps column {source_header!r} to {target!r}, but the file has no such "
                f"column (its columns: {', '.join(headers)})",
                file=where,
                row=1,
                column=source_header,
            )
    renamed = [spec.columns.get(h, h) for h in headers]
    seen: dict[str, int] = {}
    for i, name in enumerate(renamed):
        if name in props and name in seen:
            raise InputError(
                f"two columns ({headers[seen[name]]!r} and {headers[i]!r}) both give {name!r}",
                file=where,
                row=1,
                column=headers[i],
            )
        seen[name] = i
    missing = [c for c in schema.get("required", []) if c not in seen]
    if missing:
        raise InputError(
            f"missing required column(s) {', '.join(missing)}; map the file's header to it "
            f"under 'columns' in the config (file columns: {', '.join(headers)})",
            file=where,
            row=1,
            column=missing[0],
        )
    if len(raw) == 0:
        raise InputError("the list is empty: a header but no records", file=where)

    out = pd.DataFrame(index=range(len(raw)))
    out[ROW] = np.arange(2, len(raw) + 2)
    for name, spec_prop in props.items():
        if name in seen:
            header = headers[seen[name]]
            values = raw.iloc[:, seen[name]].tolist()
            out[name] = _parse_column(values, name, header, spec_prop, spec, where)
        else:
            out[name] = _blank_column(spec_prop, len(raw))
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


def _parse_column(values: list[Any], name: str, header: str, prop: dict, spec: SourceSpec, where: str) -> Any:
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
    for i, value in enumerate(values):
        row = i + 2
        if isinstance(value, (datetime, date)) and prop.get("format") == "date":
            parsed.append((value.date() if isinstance(value, datetime) else value).isoformat())
            continue
        text = "" if value is None else str(value).strip()
        if value_map and text.casefold() in value_map:
            mapped = value_map[text.casefold()]
            text = "" if mapped is None else str(mapped)
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


def _parse_value(
    text: str, prop: dict, types: list[str], synonyms: dict[str, Any], enum: list | None, date_format: str
) -> Any:
    if "integer" in types:
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            raise ValueError("expected a whole number") from None
        if not np.isfinite(number) or number != int(number):
            raise ValueError("expected a whole number")
        number = int(number)
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
            raise ValueError(f"not a date in the format {date_format!r}") from None
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
    if dup.any():
        first_value = values[dup].iloc[0]
        rows = frame.loc[values == first_value, ROW].tolist()
        header = next((h for h, c in spec.columns.items() if c == column), column)
        raise InputError(
            f"{column} {str(first_value)!r} appears more than once in this source "
            f"(rows {', '.join(map(str, rows))}); every record needs its own identifier",
            file=where,
            row=rows[1],
            column=header,
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
    frame.to_csv(path, index=False, lineterminator="\n")


def read_records(path: str | Path, kind: str) -> pd.DataFrame:
    """Read records written by :func:`write_records`, restoring their types."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
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
