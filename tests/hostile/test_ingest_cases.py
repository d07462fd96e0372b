"""Hostile and broken inputs at ingest (issues 11 and 14): the corpus, one case per row.

Each case writes its inputs into a temporary folder, runs them through the library (records,
config, the figure of reported tolls) or the command line, and states what must happen: an
error naming file, row and column (and no name), an accepted list, or a warning naming the
source, the rows and the column. A few cases run through the workflow (`snakemake -n` or a
single target) at the end of this module.

``python tests/hostile/test_ingest_cases.py`` prints the corpus as a table (case, expected,
observed) from whatever ``undercount`` it imports, so the same cases give the table before a
fix (``PYTHONPATH=<old checkout>/src``) and after it. Observations never show a cell value.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

NAMES = ["Жагипаров Ерлан", "Нурланов Асхат", "Сейткали Даурен", "Омаров Марат", "Абенов Нурлан"]
KAZAKH_NAMES = ["Әбілов Қайрат", "Ғалымов Өмір", "Жұмабаев Үміт", "Іскаков Нұрлан", "Сәрсенов Ұлан"]
FIELDS = ["record_id", "full_name", "sex", "age", "date_of_death", "place", "region", "victim_group"]
START = "2022-01-02"
ANY = object()


# ------------------------------------------------------------------ outcomes
@dataclass
class Outcome:
    """What happened: 'error' (an UndercountError), 'accepted' or 'crash' (any other exception)."""

    status: str
    text: str
    error: BaseException | None = None
    value: Any = None
    warnings: tuple[str, ...] = ()

    def summary(self, limit: int = 220) -> str:
        text = " ".join(self.text.split())
        for name in NAMES + KAZAKH_NAMES:  # the table never shows a name, even a made-up one
            text = text.replace(name, "<name>")
        return text if len(text) <= limit else text[: limit - 1] + "…"


def attempt(action: Callable[[], Any], describe: Callable[[Any], str] | None = None) -> Outcome:
    from undercount.errors import UndercountError

    try:
        value = action()
    except UndercountError as exc:
        return Outcome("error", f"{type(exc).__name__}: {exc}", exc)
    except Exception as exc:  # the corpus records crashes, it does not hide them
        return Outcome("crash", f"{type(exc).__name__}: {exc}", exc)
    if isinstance(value, Outcome):
        return value
    return Outcome("accepted", describe(value) if describe else "accepted", value=value)


@dataclass(frozen=True)
class Case:
    id: str
    layer: str
    expected: str
    run: Callable[[Path], Outcome]
    check: Callable[[Outcome], None]


CASES: list[Case] = []


def case(id: str, layer: str, expected: str, check: Callable[[Outcome], None]):
    def register(run: Callable[[Path], Outcome]) -> Callable[[Path], Outcome]:
        CASES.append(Case(id, layer, expected, run, check))
        return run

    return register


def refused(*fragments: str, row: Any = ANY, column: Any = ANY, absent: tuple[str, ...] = ()):
    """The outcome is an error containing ``fragments``, at ``row`` and ``column``, with no name."""

    def check(outcome: Outcome) -> None:
        assert outcome.status == "error", outcome.text
        for fragment in fragments:
            assert fragment in outcome.text, f"{fragment!r} not in {outcome.text!r}"
        for name in (*NAMES, *KAZAKH_NAMES, *absent):
            assert name not in outcome.text, f"{name!r} echoed in {outcome.text!r}"
        for part in name_parts():
            assert part not in outcome.text, f"{part!r} echoed in {outcome.text!r}"
        if row is not ANY:
            assert getattr(outcome.error, "row", None) == row, outcome.text
        if column is not ANY:
            assert getattr(outcome.error, "column", None) == column, outcome.text

    return check


def name_parts() -> set[str]:
    return {part for name in NAMES + KAZAKH_NAMES for part in name.split()}


def accepted(test: Callable[[Any], bool] | None = None, warnings: tuple[str, ...] | None = ()):
    """Accepted, ``test`` holds on the value, and the warnings contain ``warnings`` (None: any)."""

    def check(outcome: Outcome) -> None:
        assert outcome.status == "accepted", outcome.text
        if test is not None:
            assert test(outcome.value), outcome.text
        if warnings is not None:
            if warnings:
                joined = " | ".join(outcome.warnings)
                for fragment in warnings:
                    assert fragment in joined, f"{fragment!r} not in {joined!r}"
            else:
                assert not outcome.warnings, outcome.warnings
        for part in name_parts():
            assert not any(part in w for w in outcome.warnings), outcome.warnings

    return check


# ------------------------------------------------------------------- builders
def record(i: int, when: date | str = "", fmt: str = "%Y-%m-%d", names: list[str] = NAMES) -> list[str]:
    day = when if isinstance(when, str) else when.strftime(fmt)
    return [f"r{i}", names[i % len(names)], "M", str(30 + i), day, "Алматы", "", "civilian"]


def records(
    n: int = 5, fmt: str = "%Y-%m-%d", first: date = date(2022, 1, 4), names=NAMES
) -> list[list[str]]:
    return [record(i, first + timedelta(days=i % 3), fmt, names) for i in range(n)]


def write_csv(
    folder: Path,
    rows: list[list[str]],
    header: list[str] = FIELDS,
    *,
    delimiter: str = ",",
    name: str = "list.csv",
    encoding: str = "utf-8",
    above: list[str] = (),
    suffix: str = "",
) -> Path:
    lines = [*above, delimiter.join(header) + suffix, *(delimiter.join(r) + suffix for r in rows)]
    path = folder / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def spec(path: Path, **options: Any):
    from undercount.records import SourceSpec

    return SourceSpec(id="src", path=str(path), kind="casualty", **options)


def shape(frame) -> str:
    """What a list was read as, without any value: records, and where the names landed."""
    from undercount.records import canonical_columns

    holds = [
        c for c in canonical_columns("casualty") if frame[c].astype(str).isin(NAMES + KAZAKH_NAMES).any()
    ]
    text = f"accepted: {len(frame)} records"
    if holds and holds != ["full_name"]:
        text += f"; the names are in column(s) {', '.join(holds)}"
    blank = [c for c in ("sex", "age", "date_of_death", "region") if frame[c].isna().all()]
    if blank:
        text += f"; all blank: {', '.join(blank)}"
    return text


def read(path_or_spec: Any, **options: Any) -> Outcome:
    from undercount.records import read_source

    target = path_or_spec if not isinstance(path_or_spec, Path) else spec(path_or_spec, **options)
    return attempt(lambda: read_source(target), shape)


def read_with_dates(target, start: str = START) -> Outcome:
    """Read the list and run the date checks (before they existed: accepted with no warning)."""
    from undercount.records import read_source

    outcome = attempt(lambda: read_source(target), shape)
    if outcome.status != "accepted":
        return outcome
    try:
        from undercount.records import check_dates
    except ImportError:
        outcome.text += "; no date check exists, no warning"
        return outcome
    summary = check_dates(outcome.value, target, start)
    outcome.warnings = summary.warnings
    dates = f"dates {summary.first} to {summary.last}"
    outcome.text += f"; {dates}; " + (
        "warnings: " + " | ".join(summary.warnings) if summary.warnings else "no warning"
    )
    return outcome


def workbook(path: Path, rows: list[list[Any]], header: list[str] = FIELDS, edit=None, above=()) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for line in above:
        sheet.append(line)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    if edit is not None:
        edit(sheet)
    book.save(path)
    return path


def xlsx_rows(n: int = 5) -> list[list[Any]]:
    return [
        [f"r{i}", NAMES[i], "M", 30 + i, datetime(2022, 1, 4 + i), "Алматы", None, "civilian"]
        for i in range(n)
    ]


# ================================================================= the corpus
# ---------------------------------------------------------- CSV: structure
@case(
    "trailing delimiter on every data row",
    "records",
    "error naming the file and the first rows (field counts), no value shifted",
    refused("rows 2 (9 fields), 3 (9 fields)", "a delimiter at the end of each row", row=2),
)
def _trailing_delimiter(tmp: Path) -> Outcome:
    rows = [r + [""] for r in records()]
    return read(write_csv(tmp, rows))


@case(
    "trailing delimiter, text columns only (the names land in record_id)",
    "records",
    "error naming the file and the first rows; no name echoed",
    refused("rows 2 (5 fields), 3 (5 fields)", "a delimiter at the end of each row", row=2),
)
def _trailing_delimiter_text(tmp: Path) -> Outcome:
    rows = [[r[0], r[1], r[5], "Алматинская", ""] for r in records()]
    return read(write_csv(tmp, rows, header=["record_id", "full_name", "place", "region"]))


@case(
    "a short row",
    "records",
    "error naming the row; never padded with blanks",
    refused("row 4 (3 fields)", "short rows are not padded", row=4),
)
def _short_row(tmp: Path) -> Outcome:
    rows = records()
    rows[2] = rows[2][:3]
    return read(write_csv(tmp, rows))


@case(
    "one long row in the middle",
    "records",
    "error naming the spreadsheet row (1-based, header = row 1)",
    refused("row 4 (10 fields)", row=4),
)
def _long_row(tmp: Path) -> Outcome:
    rows = records()
    rows[2] = rows[2] + ["x", "y"]
    return read(write_csv(tmp, rows))


@case(
    "header and every row end with the delimiter",
    "records",
    "accepted (consistent field counts; the unnamed last column is ignored)",
    accepted(lambda f: len(f) == 5 and list(f["age"]) == [30, 31, 32, 33, 34]),
)
def _trailing_everywhere(tmp: Path) -> Outcome:
    return read(write_csv(tmp, records(), suffix=","))


@case(
    "semicolon CSV (Excel, Russian locale), UTF-8",
    "records",
    "accepted: delimiter detected",
    accepted(lambda f: len(f) == 5 and f.attrs["delimiter"] == ";" and f.loc[0, "sex"] == "M"),
)
def _semicolon(tmp: Path) -> Outcome:
    return read(write_csv(tmp, records(), delimiter=";"))


@case(
    "semicolon CSV whose names contain commas",
    "records",
    "accepted: the header decides the delimiter",
    accepted(lambda f: f.loc[0, "full_name"] == "Жагипаров, Ерлан" and f.loc[0, "age"] == 30),
)
def _semicolon_commas(tmp: Path) -> Outcome:
    rows = records()
    rows[0][1] = "Жагипаров, Ерлан"
    return read(write_csv(tmp, rows, delimiter=";"))


@case(
    "semicolon CSV in cp1251 with `encoding: cp1251`",
    "records",
    "accepted: names decoded",
    accepted(lambda f: list(f["full_name"]) == NAMES and f.attrs["encoding"] == "cp1251"),
)
def _cp1251(tmp: Path) -> Outcome:
    return read(write_csv(tmp, records(), delimiter=";", encoding="cp1251"), encoding="cp1251")


@case(
    "cp1251 CSV without `encoding:`",
    "records",
    "error naming the row of the first bad byte, suggesting `encoding: cp1251`",
    refused("not UTF-8 text", "set `encoding: cp1251`", row=2),
)
def _cp1251_no_encoding(tmp: Path) -> Outcome:
    return read(write_csv(tmp, records(), delimiter=";", encoding="cp1251"))


@case(
    "Kazakh names in kz1048 without `encoding:`",
    "records",
    "error suggesting `encoding: kz1048`",
    refused("not UTF-8 text", "set `encoding: kz1048`", row=2),
)
def _kz1048_no_encoding(tmp: Path) -> Outcome:
    return read(write_csv(tmp, records(names=KAZAKH_NAMES), delimiter=";", encoding="kz1048"))


@case(
    "Kazakh names in kz1048 with `encoding: kz1048`",
    "records",
    "accepted: names decoded",
    accepted(lambda f: list(f["full_name"]) == KAZAKH_NAMES),
)
def _kz1048(tmp: Path) -> Outcome:
    return read(
        write_csv(tmp, records(names=KAZAKH_NAMES), delimiter=";", encoding="kz1048"), encoding="kz1048"
    )


@case(
    "two title rows above the header, `header_row: 3`",
    "records",
    "accepted; rows numbered as in the spreadsheet (first record row 4)",
    accepted(lambda f: len(f) == 5 and list(f["_row"])[:2] == [4, 5]),
)
def _title_rows(tmp: Path) -> Outcome:
    path = write_csv(
        tmp, records(), delimiter=";", encoding="cp1251", above=["Список погибших;;;;;;;", ";;;;;;;"]
    )
    return read(path, encoding="cp1251", header_row=3)


@case(
    "title rows above the header, no `header_row`",
    "records",
    "error pointing at row 3 (`header_row: 3`), the title not echoed",
    refused("row 3 holds the expected headers: set `header_row: 3`", row=1, absent=("Список погибших",)),
)
def _title_rows_unset(tmp: Path) -> Outcome:
    return read(write_csv(tmp, records(), delimiter=";", above=["Список погибших;;;;;;;", ";;;;;;;"]))


@case(
    "a title row without delimiters above the header, no `header_row`",
    "records",
    "error saying which delimiters were tried, pointing at row 2",
    refused(
        "every delimiter tried: ',' (1 column), ';' (1 column), tab (1 column), '|' (1 column)",
        "`header_row: 2`",
        row=1,
    ),
)
def _bare_title(tmp: Path) -> Outcome:
    return read(write_csv(tmp, records(), delimiter=";", above=["Список погибших"]))


@case(
    "a one-column file",
    "records",
    "error saying which delimiters were tried",
    refused("cannot tell how the columns are separated", "',' (1 column)", row=1),
)
def _one_column(tmp: Path) -> Outcome:
    path = tmp / "list.csv"
    path.write_text("full_name\n" + "\n".join(NAMES) + "\n", "utf-8")
    return read(path)


@case(
    "UTF-16 with byte-order mark, tab-delimited (Excel 'Unicode text')",
    "records",
    "accepted",
    accepted(lambda f: list(f["full_name"]) == NAMES and f.attrs["delimiter"] == "\t"),
)
def _utf16(tmp: Path) -> Outcome:
    return read(write_csv(tmp, records(), delimiter="\t", encoding="utf-16"))


@case(
    "UTF-16 without byte-order mark",
    "records",
    "error naming UTF-16 and the `encoding:` to set",
    refused("UTF-16 text without a byte-order mark", "`encoding: utf-16-le`"),
)
def _utf16_no_bom(tmp: Path) -> Outcome:
    return read(write_csv(tmp, records(), encoding="utf-16-le"))


@case(
    "a binary file named .csv",
    "records",
    "error: not a text table",
    refused("not a text table"),
)
def _binary(tmp: Path) -> Outcome:
    path = tmp / "list.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01\x02")
    return read(path)


@case(
    "a folder given as the list",
    "records",
    "error: a folder, not a file (not 'file not found')",
    refused("this is a folder, not a file"),
)
def _directory(tmp: Path) -> Outcome:
    folder = tmp / "list.csv"
    folder.mkdir()
    return read(folder)


@case(
    "a blank line in the middle, bad age after it",
    "records",
    "error at the spreadsheet row (the blank line counts)",
    refused("expected a whole number", row=6, column="age"),
)
def _blank_line(tmp: Path) -> Outcome:
    rows = records()
    rows[3][3] = "тридцать"
    path = tmp / "list.csv"
    lines = [",".join(FIELDS), *(",".join(r) for r in rows[:3]), "", *(",".join(r) for r in rows[3:])]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return read(path)


@case(
    "a quoted cell with a line break, bad age in the next row",
    "records",
    "error at the spreadsheet row (a record with a line break is one row)",
    refused("expected a whole number", row=4, column="age"),
)
def _quoted_newline(tmp: Path) -> Outcome:
    rows = records()
    rows[1][5] = '"Алматы\nЖетісу"'
    rows[2][3] = "x"
    return read(write_csv(tmp, rows))


@case(
    "a quote that never closes",
    "records",
    "error naming the row where the quoted cell starts (1-based)",
    refused("never closed", row=3),
)
def _unclosed_quote(tmp: Path) -> Outcome:
    rows = records()
    rows[1][5] = '"Алматы'
    return read(write_csv(tmp, rows))


@case(
    "a file without a header row",
    "records",
    "error giving positions and known columns only; no name echoed",
    refused(
        "missing required column(s) record_id, full_name",
        "other header(s) not shown",
        "row 1 looks like data, not headers (cells D1, E1 hold numbers or dates)",
        row=1,
    ),
)
def _no_header(tmp: Path) -> Outcome:
    path = tmp / "list.csv"
    path.write_text("\n".join(",".join(r) for r in records()) + "\n", "utf-8")
    return read(path)


@case(
    "a mapped header misspelt in the file",
    "records",
    "error naming the config's header and the column of the closest one",
    refused("config maps column 'Ф.И.О.' to 'full_name'", "the closest header is in column B", row=1),
)
def _header_typo(tmp: Path) -> Outcome:
    header = ["record_id", "Ф.И.О", *FIELDS[2:]]
    return read(write_csv(tmp, records(), header=header), columns={"Ф.И.О.": "full_name"})


@case(
    "record_id column holding names, one repeated",
    "records",
    "error giving the rows, never the value",
    refused("record_id appears more than once in this source (rows 2, 5)", row=5, column="№"),
)
def _duplicate_name_id(tmp: Path) -> Outcome:
    rows = records()
    header = ["№", "ФИО", *FIELDS[2:]]
    for r in rows:
        r[0] = r[1]
    rows[3][0] = rows[0][0]
    return read(write_csv(tmp, rows, header=header), columns={"№": "record_id", "ФИО": "full_name"})


@case(
    "a numeric record_id repeated",
    "records",
    "error giving the rows and the (numeric) value",
    refused("record_id '7' appears more than once in this source (rows 3, 6)", row=6, column="record_id"),
)
def _duplicate_numeric_id(tmp: Path) -> Outcome:
    rows = records()
    for i, r in enumerate(rows):
        r[0] = str(i + 6)
    rows[4][0] = "7"
    return read(write_csv(tmp, rows))


# ---------------------------------------------------------- CSV: cells
@case(
    "age written 1e2",
    "records",
    "error at row and column",
    refused("expected a whole number", row=2, column="age"),
)
def _age_exponent(tmp: Path) -> Outcome:
    rows = records()
    rows[0][3] = "1e2"
    return read(write_csv(tmp, rows))


@case(
    "age in Arabic-Indic digits (٣٤)",
    "records",
    "error at row and column",
    refused("expected a whole number", row=3, column="age"),
)
def _age_other_digits(tmp: Path) -> Outcome:
    rows = records()
    rows[1][3] = "٣٤"
    return read(write_csv(tmp, rows))


@case(
    "age 34.0 and 35,0 (spreadsheet floats)",
    "records",
    "accepted as 34 and 35",
    accepted(lambda f: list(f["age"])[:2] == [34, 35]),
)
def _age_float(tmp: Path) -> Outcome:
    rows = records()
    rows[0][3], rows[1][3] = "34.0", '"35,0"'
    return read(write_csv(tmp, rows))


@case(
    "age 'inf'", "records", "error at row and column", refused("expected a whole number", row=2, column="age")
)
def _age_inf(tmp: Path) -> Outcome:
    rows = records()
    rows[0][3] = "inf"
    return read(write_csv(tmp, rows))


@case(
    "#REF! exported into the name column",
    "records",
    "error: a spreadsheet error value, at row and column",
    refused("spreadsheet error value (#REF!)", row=3, column="full_name"),
)
def _ref_error(tmp: Path) -> Outcome:
    rows = records()
    rows[1][1] = "#REF!"
    return read(write_csv(tmp, rows))


# ---------------------------------------------------------- dates
@case(
    "January dates written d.m.Y, read with %m.%d.%Y (became May-June)",
    "dates",
    "warning naming source, column and the swap ('%d.%m.%Y')",
    accepted(warnings=("source src, column 'date_of_death': day and month look exchanged", "'%d.%m.%Y'?")),
)
def _swapped_in_window(tmp: Path) -> Outcome:
    rows = [record(i, date(2022, 1, 5 + i % 2), "%d.%m.%Y") for i in range(6)]
    return read_with_dates(spec(write_csv(tmp, rows), date_format="%m.%d.%Y"))


@case(
    "June event, dates d.m.Y read as %m.%d.%Y (some before the window)",
    "dates",
    "warnings: the rows before the window, and the swap",
    accepted(warnings=("dates are before 2022-05-28", "row 2,", "day and month look exchanged")),
)
def _swapped_outside(tmp: Path) -> Outcome:
    rows = [record(i, date(2022, 6, 5 + i), "%d.%m.%Y") for i in range(8)]
    return read_with_dates(spec(write_csv(tmp, rows), date_format="%m.%d.%Y"), start="2022-06-04")


@case(
    "dates a year before and two years after the start",
    "dates",
    "warnings naming the rows and the column",
    accepted(
        warnings=(
            "1 of 6 dates are before 2021-12-26",
            "row 3,",
            "1 of 6 dates are after 2023-01-02",
            "row 6,",
        )
    ),
)
def _far_dates(tmp: Path) -> Outcome:
    rows = records(6)
    rows[1][4], rows[4][4] = "2021-01-05", "2024-01-05"
    return read_with_dates(spec(write_csv(tmp, rows)))


@case(
    "dates a few days after the start (control)",
    "dates",
    "accepted, no warning",
    accepted(lambda f: len(f) == 5, warnings=()),
)
def _good_dates(tmp: Path) -> Outcome:
    return read_with_dates(spec(write_csv(tmp, records(5, "%d.%m.%Y")), date_format="%d.%m.%Y"))


@case(
    "correct dates, all days 12 or less (control)",
    "dates",
    "accepted, no warning (exchanging would move them months away)",
    accepted(warnings=()),
)
def _good_small_days(tmp: Path) -> Outcome:
    rows = [record(i, date(2022, 1, 4 + i), "%d.%m.%Y") for i in range(5)]
    return read_with_dates(spec(write_csv(tmp, rows), date_format="%d.%m.%Y"))


@case(
    "a date after the 12th read with %m.%d.%Y",
    "dates",
    "error at row and column, suggesting '%d.%m.%Y'",
    refused(
        "not a date in the format '%m.%d.%Y'", "is date_format '%d.%m.%Y'?", row=4, column="date_of_death"
    ),
)
def _unparseable_swapped(tmp: Path) -> Outcome:
    rows = [record(i, date(2022, 1, 5 + 4 * i), "%d.%m.%Y") for i in range(4)]
    return read(spec(write_csv(tmp, rows), date_format="%m.%d.%Y"))


@case(
    "date_format with a bad directive (%Q)",
    "records",
    "error about the format, not about a data row",
    refused("'Q' is a bad directive", row=None),
)
def _bad_directive(tmp: Path) -> Outcome:
    return read(spec(write_csv(tmp, records(fmt="%d.%m.%Y")), date_format="%d.%m.%Q"))


@case(
    "date_format without a year (%d.%m)",
    "records",
    "error: the format gives no year",
    refused("does not give the year", row=None),
)
def _format_without_year(tmp: Path) -> Outcome:
    return read(spec(write_csv(tmp, records(fmt="%d.%m")), date_format="%d.%m"))


# ---------------------------------------------------------- XLSX
def _formula(sheet) -> None:
    sheet["D3"] = "=D2+1"


@case(
    "XLSX formula cell without a saved value (age)",
    "records",
    "error naming the cell",
    refused("cell D3 is a formula without a saved value", row=3, column="age"),
)
def _xlsx_formula(tmp: Path) -> Outcome:
    return read(workbook(tmp / "list.xlsx", xlsx_rows(), edit=_formula))


@case(
    "XLSX formula cell with its saved value (control)",
    "records",
    "accepted: the saved value is read",
    accepted(lambda f: f.loc[1, "age"] == 31),
)
def _xlsx_formula_cached(tmp: Path) -> Outcome:
    path = workbook(tmp / "plain.xlsx", xlsx_rows(), edit=_formula)
    cached = tmp / "list.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(cached, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<f>D2+1</f><v />", b"<f>D2+1</f><v>31</v>")
                assert b"<v>31</v>" in data
            dst.writestr(item, data)
    return read(cached)


@case(
    "XLSX merged cells in a column read (region over 3 rows)",
    "records",
    "error naming the merged range",
    refused("cell G4 is part of the merged cells G3:G5, blank except G3", row=4, column="region"),
)
def _xlsx_merged(tmp: Path) -> Outcome:
    rows = xlsx_rows()
    for r in rows:
        r[6] = None
    rows[1][6] = "Алматы"

    def merge(sheet) -> None:
        sheet.merge_cells("G3:G5")

    return read(workbook(tmp / "list.xlsx", rows, edit=merge))


@case(
    "XLSX merged title above the header, `header_row: 2` (control)",
    "records",
    "accepted",
    accepted(lambda f: len(f) == 5 and list(f["_row"])[:1] == [3]),
)
def _xlsx_title(tmp: Path) -> Outcome:
    def merge(sheet) -> None:
        sheet.merge_cells("A1:H1")

    return read(
        workbook(tmp / "list.xlsx", xlsx_rows(), edit=merge, above=[["Список погибших"]]), header_row=2
    )


@case(
    "XLSX error cell (#DIV/0!) in age",
    "records",
    "error naming the cell",
    refused("the cell holds a spreadsheet error value (#DIV/0!)", row=4, column="age"),
)
def _xlsx_error(tmp: Path) -> Outcome:
    def broken(sheet) -> None:
        sheet["D4"] = "#DIV/0!"

    return read(workbook(tmp / "list.xlsx", xlsx_rows(), edit=broken))


@case(
    "XLSX blank row in the middle, bad age below it",
    "records",
    "blank row skipped; error at the spreadsheet row",
    refused("expected a whole number", row=6, column="age"),
)
def _xlsx_blank_row(tmp: Path) -> Outcome:
    rows = xlsx_rows()
    rows[3][3] = "тридцать"
    rows.insert(2, [None] * 8)
    return read(workbook(tmp / "list.xlsx", rows))


# ---------------------------------------------------------- config
def demo_like(tmp: Path, n_sources: int = 2, **top: Any) -> dict:
    """A small config of CSV lists written here (n_sources, 5 records each)."""
    sources = {}
    for k in range(n_sources):
        path = write_csv(tmp, records(), name=f"list{k}.csv")
        sources[f"s{k}"] = {"path": str(path), "kind": "casualty", "label": f"List {k}"}
    config = {
        "reported_figures": None,
        "private_dir": str(tmp / "private"),
        "events": {"ev": {"label": "Event", "start_date": START, "sources": sources}},
    }
    config.update(top)
    return config


def check_config(config: dict, root: Path | None = None) -> Outcome:
    from undercount import config as uc

    def run():
        validated = uc.validate_config(config)
        if hasattr(uc, "check_inputs"):
            checks = uc.check_inputs(validated, root)
            return Outcome(
                "accepted",
                "accepted" + _warned(checks.warnings),
                value=checks,
                warnings=tuple(checks.warnings),
            )
        return Outcome("accepted", f"accepted: {uc.check_sources(validated)}", value=None)

    return attempt(run)


def _warned(warnings: list[str]) -> str:
    return ("; warnings: " + " | ".join(warnings)) if warnings else "; no warning"


def load_yaml_config(tmp: Path, text: str) -> Outcome:
    from undercount.config import load_config

    path = tmp / "my.yaml"
    path.write_text(text, "utf-8")

    def describe(config: dict) -> str:
        sources = config["events"]["ev"]["sources"]
        return f"accepted: {len(sources)} source(s) ({', '.join(sources)}), methods {', '.join(config['methods'])}"

    return attempt(lambda: load_config(path), describe)


def yaml_sources(tmp: Path, ids: list[str]) -> str:
    lines = [
        "private_dir: private",
        "reported_figures: null",
        "events:",
        "  ev:",
        "    label: Event",
        f'    start_date: "{START}"',
        "    sources:",
    ]
    for k, sid in enumerate(ids):
        path = write_csv(tmp, records(), name=f"list{k}.csv")
        lines += [f"      {sid}:", f"        path: {path}", "        kind: casualty"]
    return "\n".join(lines) + "\n"


@case(
    "a source id given twice in the YAML",
    "config",
    "error naming the key and both lines",
    refused("the key 'official' is given twice in events.ev.sources, at lines 8 and 14"),
)
def _duplicate_source(tmp: Path) -> Outcome:
    return load_yaml_config(tmp, yaml_sources(tmp, ["official", "ngo", "official"]))


@case(
    "a method label given twice",
    "config",
    "error naming the key and both lines",
    refused("the key 'mt' is given twice in methods, at lines 2 and 4"),
)
def _duplicate_method(tmp: Path) -> Outcome:
    text = "methods:\n  mt: {}\n  chapman: {settings: {pair: largest}}\n  mt: {method: m0}\n"
    return load_yaml_config(tmp, text + yaml_sources(tmp, ["official", "ngo"]))


@case(
    "a YAML merge key overridden (control)",
    "config",
    "accepted: overriding a merged key is what YAML merge means",
    accepted(lambda c: c["events"]["ev"]["sources"]["ngo"]["label"] == "NGO"),
)
def _merge_key(tmp: Path) -> Outcome:
    a, b = write_csv(tmp, records(), name="a.csv"), write_csv(tmp, records(), name="b.csv")
    text = (
        "reported_figures: null\nevents:\n  ev:\n    label: Event\n"
        f'    start_date: "{START}"\n    sources:\n'
        f"      official: &base {{path: {a}, kind: casualty, label: Official}}\n"
        f"      ngo:\n        <<: *base\n        path: {b}\n        label: NGO\n"
    )
    return load_yaml_config(tmp, text)


@case(
    "two sources of one event with the same label",
    "config",
    "error naming both sources",
    refused("sources 's0' and 's1' have the same label 'List'"),
)
def _duplicate_label(tmp: Path) -> Outcome:
    config = demo_like(tmp)
    for entry in config["events"]["ev"]["sources"].values():
        entry["label"] = "List"
    return check_config(config)


def _private(tmp: Path, private: str, setup=None) -> Outcome:
    root = tmp / "project"
    root.mkdir(exist_ok=True)
    if setup is not None:
        setup(root)
    config = demo_like(tmp, private_dir=private)
    cwd = os.getcwd()
    os.chdir(root)  # relative paths are read from the folder the workflow runs in
    try:
        return check_config(config, root)
    finally:
        os.chdir(cwd)


@case(
    "private_dir: results/private",
    "config",
    "error: inside results/",
    refused("config private_dir: 'results/private' is inside results/"),
)
def _private_results(tmp: Path) -> Outcome:
    return _private(tmp, "results/private")


@case(
    "private_dir: logs",
    "config",
    "error: inside logs/",
    refused("config private_dir: 'logs' is inside logs/"),
)
def _private_logs(tmp: Path) -> Outcome:
    return _private(tmp, "logs")


@case(
    "private_dir: private/../results/x",
    "config",
    "error: '..' resolved, inside results/",
    refused("'private/../results/x' is inside results/"),
)
def _private_dotdot(tmp: Path) -> Outcome:
    return _private(tmp, "private/../results/x")


@case(
    "private_dir: a symlink into results/",
    "config",
    "error: the link resolved, inside results/",
    refused("'safe' is inside results/"),
)
def _private_symlink(tmp: Path) -> Outcome:
    def link(root: Path) -> None:
        (root / "results" / "records").mkdir(parents=True)
        (root / "safe").symlink_to(root / "results" / "records")

    return _private(tmp, "safe", link)


@case(
    "private_dir: workflow/report/x (the report's captions)",
    "config",
    "error: inside the report's inputs",
    refused("is inside workflow/report/"),
)
def _private_report(tmp: Path) -> Outcome:
    return _private(tmp, "workflow/report/x")


@case(
    "private_dir: results/../private (control)",
    "config",
    "accepted: resolves outside results/",
    accepted(),
)
def _private_ok(tmp: Path) -> Outcome:
    return _private(tmp, "results/../private")


@case(
    "encoding: a codec that does not exist",
    "config",
    "error naming the config entry",
    refused("config events.ev.sources.s0.encoding: 'cp-nonsense' is not a text encoding"),
)
def _bad_encoding(tmp: Path) -> Outcome:
    config = demo_like(tmp)
    config["events"]["ev"]["sources"]["s0"]["encoding"] = "cp-nonsense"
    return check_config(config)


@case(
    "date_format with a bad directive, through the config",
    "config",
    "error naming the config entry before any file is read",
    refused("config events.ev.sources.s0.date_format: '%d.%m.%Q' is not a usable date format"),
)
def _config_bad_directive(tmp: Path) -> Outcome:
    config = demo_like(tmp)
    config["events"]["ev"]["sources"]["s0"]["date_format"] = "%d.%m.%Q"
    return check_config(config)


@case(
    "date_window reversed",
    "config",
    "error naming the entry",
    refused("config events.ev.date_window: the first day (30) comes after the last (-7)"),
)
def _reversed_window(tmp: Path) -> Outcome:
    config = demo_like(tmp)
    config["events"]["ev"]["date_window"] = [30, -7]
    return check_config(config)


@case("header_row: 0", "config", "error naming the entry", refused("events.ev.sources.s0.header_row"))
def _header_row_zero(tmp: Path) -> Outcome:
    config = demo_like(tmp)
    config["events"]["ev"]["sources"]["s0"]["header_row"] = 0
    return check_config(config)


@case(
    "a source's dates far from the start, through the config check",
    "config",
    "warning naming the config entry, the rows and the column",
    accepted(
        warnings=(
            "source s1, column 'date_of_death': 1 of 5 dates are after",
            "(config: events.ev.sources.s1)",
        )
    ),
)
def _config_date_warning(tmp: Path) -> Outcome:
    config = demo_like(tmp)
    rows = records()
    rows[2][4] = "2025-01-05"
    config["events"]["ev"]["sources"]["s1"]["path"] = str(write_csv(tmp, rows, name="late.csv"))
    return check_config(config)


# ---------------------------------------------------------- reported figures
def _reported_events(tmp: Path, events: dict) -> Outcome:
    import pandas as pd

    from undercount.figures.reported import reported_tolls_figure

    reported = pd.read_csv(ROOT / "data" / "reported_figures.csv", dtype={"value": float})

    def run():
        from undercount.figures import save_figure

        plot, data = reported_tolls_figure(reported, events)
        save_figure(plot, data, tmp / "reported_tolls.png", width=8, height=7)
        caption = plot.labels.caption if hasattr(plot.labels, "caption") else plot.labels.get("caption", "")
        drawn = sorted(set(data["event"]))
        return Outcome(
            "accepted",
            f"drawn: events {', '.join(drawn)}; caption ends: …{caption[-80:]}",
            value=(drawn, caption),
        )

    return attempt(run)


@case(
    "an event absent from reported_figures, beside one present (figure)",
    "figure",
    "figure drawn without it, and its caption says so",
    accepted(lambda v: v[0] == ["jan2022"] and "No reported death tolls for: My event (mine)" in v[1]),
)
def _reported_one_absent(tmp: Path) -> Outcome:
    return _reported_events(
        tmp, {"jan2022": ("January 2022", "2022-01-02"), "mine": ("My event", "2022-01-02")}
    )


@case(
    "no configured event in reported_figures (figure)",
    "figure",
    "a clear error instead of a plotting crash (and the workflow draws no such figure)",
    refused("no reported death tolls for any of the events (mine)"),
)
def _reported_none(tmp: Path) -> Outcome:
    return _reported_events(tmp, {"mine": ("My event", "2022-01-02")})


@case(
    "an event absent from reported_figures (config check, before any job)",
    "config",
    "warning naming the event; the event is not among those drawn",
    accepted(
        lambda checks: checks is None or checks.reported_events == [],
        warnings=("has no death tolls for event 'ev'", "no configured event has any, so there is no figure"),
    ),
)
def _reported_check(tmp: Path) -> Outcome:
    return check_config(demo_like(tmp, reported_figures=str(ROOT / "data" / "reported_figures.csv")))


@case(
    "reported_figures without its value column",
    "config",
    "error before any job, naming the file and the column",
    refused("missing column(s) value (config: reported_figures)", row=1, column="value"),
)
def _reported_malformed(tmp: Path) -> Outcome:
    import pandas as pd

    table = pd.read_csv(ROOT / "data" / "reported_figures.csv").drop(columns="value")
    path = tmp / "reported.csv"
    table.to_csv(path, index=False)
    return check_config(demo_like(tmp, reported_figures=str(path)))


# ---------------------------------------------------------- command line
def _cli_link(tmp: Path, delimiter: str = ",", trailing: bool = False) -> Outcome:
    from undercount.cli import main

    rows = [r + [""] for r in records()] if trailing else records()
    a = write_csv(tmp, rows, name="a.csv", delimiter=delimiter)
    b = write_csv(tmp, rows, name="b.csv", delimiter=delimiter)
    out = tmp / "persons.csv"
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["link", f"a={a}", f"b={b}", "--out", str(out), "--method", "deterministic"])
    text = err.getvalue().strip().splitlines()[0] if err.getvalue().strip() else ""
    wrote = out.exists()
    leaked = wrote and any(part in out.read_text("utf-8") for part in name_parts())
    summary = f"exit {code}; {text}; " + (
        "persons.csv written" + (" WITH NAMES in it" if leaked else "") if wrote else "nothing written"
    )
    status = "error" if code == 2 else "accepted"
    return Outcome(status, summary, value={"code": code, "wrote": wrote, "leaked": leaked})


@case(
    "`undercount link` on lists with a trailing delimiter",
    "cli",
    "exit 2, the error naming the rows; nothing written",
    refused("exit 2", "rows 2 (9 fields)", "nothing written"),
)
def _cli_trailing(tmp: Path) -> Outcome:
    return _cli_link(tmp, trailing=True)


@case(
    "`undercount link` on semicolon lists",
    "cli",
    "exit 0, persons without names",
    accepted(lambda v: v["code"] == 0 and v["wrote"] and not v["leaked"]),
)
def _cli_semicolon(tmp: Path) -> Outcome:
    return _cli_link(tmp, delimiter=";")


# ================================================================ the tests
@pytest.mark.parametrize("item", CASES, ids=[c.id for c in CASES])
def test_case(item: Case, tmp_path: Path) -> None:
    item.check(item.run(tmp_path))


def test_corpus_covers_every_layer() -> None:
    layers = {c.layer for c in CASES}
    assert layers == {"records", "dates", "config", "figure", "cli"}
    assert len({c.id for c in CASES}) == len(CASES)


def test_cases_record_no_name_in_their_table(tmp_path: Path) -> None:
    for item in CASES:
        folder = tmp_path / str(CASES.index(item))
        folder.mkdir()
        summary = item.run(folder).summary()
        assert not any(part in summary for part in name_parts()), (item.id, summary)


# ------------------------------------------------------- through the workflow
WORKFLOW_PARTS = ["Snakefile", "workflow", "scripts", "config", "data", "profiles"]


def make_project(path: Path) -> Path:
    """The workflow in a folder of its own (as tests/workflow does), lists under lists/."""
    path.mkdir(parents=True, exist_ok=True)
    for part in WORKFLOW_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, path / part)
        else:
            shutil.copy2(src, path / part)
    (path / "lists").mkdir()
    return path


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """Run Snakemake; ``output`` is stdout and stderr together (a dry run logs to stdout).

    Targets go before ``--configfile``, which takes every argument after it.
    """
    cmd = [sys.executable, "-m", "snakemake", "--cores", "1", *args]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
    proc.output = proc.stdout + proc.stderr
    return proc


def analyst_config(workdir: Path, **changes: Any) -> dict:
    """Two lists of the analyst's own (semicolon CSV in cp1251 under a title row, and UTF-8)."""
    write_csv(
        workdir / "lists",
        records(5, "%d.%m.%Y"),
        header=["№", "ФИО", *FIELDS[2:]],
        delimiter=";",
        encoding="cp1251",
        above=["Список погибших;;;;;;;"],
        name="official.csv",
    )
    write_csv(workdir / "lists", records(4), name="ngo.csv")
    config = {
        "seed": 1,
        "populations": ["deaths"],
        "methods": {"mt": {}},
        "reported_figures": None,
        "linkage": {"method": "deterministic"},
        "events": {
            "ev": {
                "label": "Event",
                "start_date": START,
                "sources": {
                    "official": {
                        "label": "Official list",
                        "kind": "casualty",
                        "path": "lists/official.csv",
                        "encoding": "cp1251",
                        "header_row": 2,
                        "date_format": "%d.%m.%Y",
                        "columns": {"№": "record_id", "ФИО": "full_name"},
                    },
                    "ngo": {"label": "NGO list", "kind": "casualty", "path": "lists/ngo.csv"},
                },
            }
        },
    }
    for key, value in changes.items():
        config[key] = value
    return config


def write_config(folder: Path, config: dict | str) -> Path:
    path = folder / "analyst" / "my.yaml"
    path.parent.mkdir(exist_ok=True)
    text = config if isinstance(config, str) else yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
    path.write_text(text, "utf-8")
    return path


def assert_stopped_before_any_job(proc: subprocess.CompletedProcess, workdir: Path, expected: str) -> None:
    assert proc.returncode != 0, proc.output[-3000:]
    assert expected in proc.output, proc.output[-3000:]
    assert "Traceback" not in proc.output, proc.output[-3000:]
    assert not (workdir / "results").exists()
    assert not (workdir / "private").exists()
    for part in name_parts():
        assert part not in proc.output, part


@pytest.mark.workflow
def test_workflow_refuses_a_trailing_delimiter_before_any_job(tmp_path: Path) -> None:
    workdir = make_project(tmp_path / "p")
    config = analyst_config(workdir)
    write_csv(workdir / "lists", [r + [""] for r in records(4)], name="ngo.csv")
    proc = snakemake(workdir, "-n", "--configfile", str(write_config(tmp_path, config)))
    assert_stopped_before_any_job(
        proc,
        workdir,
        "lists/ngo.csv, row 2: rows whose number of fields differs from the header's (8 fields, row 1): "
        "rows 2 (9 fields)",
    )
    assert "(config: events.ev.sources.ngo)" in proc.output


@pytest.mark.workflow
def test_workflow_refuses_a_duplicate_source_id_in_the_configfile(tmp_path: Path) -> None:
    workdir = make_project(tmp_path / "p")
    text = yaml.safe_dump(analyst_config(workdir), allow_unicode=True, sort_keys=False)
    text = text.replace("      ngo:\n", "      official:\n")  # the second list under the first one's id
    assert text.count("      official:\n") == 2
    path = write_config(tmp_path, text)
    proc = snakemake(workdir, "-n", "--configfile", str(path))
    lines = [i + 1 for i, line in enumerate(text.splitlines()) if line == "      official:"]
    assert_stopped_before_any_job(
        proc,
        workdir,
        f"the key 'official' is given twice in events.ev.sources, at lines {lines[0]} and {lines[1]}",
    )


@pytest.mark.workflow
def test_workflow_refuses_private_dir_under_results(tmp_path: Path) -> None:
    workdir = make_project(tmp_path / "p")
    path = write_config(tmp_path, analyst_config(workdir, private_dir="results/private"))
    proc = snakemake(workdir, "-n", "--configfile", str(path))
    assert_stopped_before_any_job(proc, workdir, "config private_dir: 'results/private' is inside results/")


@pytest.mark.workflow
def test_workflow_reads_excel_csv_and_warns_of_swapped_dates(tmp_path: Path) -> None:
    """cp1251, semicolons, a title row: read; a swapped date_format: warned before any job,
    in the ingest log and in results/sources.csv (the report's table of source lists)."""
    import pandas as pd

    workdir = make_project(tmp_path / "p")
    config = analyst_config(workdir)
    config["events"]["ev"]["sources"]["official"]["date_format"] = "%m.%d.%Y"
    path = write_config(tmp_path, config)
    proc = snakemake(workdir, "-n", "--configfile", str(path))
    assert proc.returncode == 0, proc.output[-3000:]
    warning = "undercount: warning: source official, column 'date_of_death': day and month look exchanged"
    assert warning in proc.output and "(config: events.ev.sources.official)" in proc.output
    proc = snakemake(workdir, "results/sources.csv", "--configfile", str(path))
    assert proc.returncode == 0, proc.output[-3000:]
    assert warning in proc.stderr  # a real run shows it on stderr, before any job
    table = pd.read_csv(workdir / "results" / "sources.csv", keep_default_na=False).set_index("source")
    assert table.loc["official", "records"] == 5 and table.loc["ngo", "records"] == 4
    assert table.loc["official", "encoding"] == "cp1251" and table.loc["official", "delimiter"] == ";"
    assert table.loc["official", "header_row"] == 2
    assert "is date_format '%m.%d.%Y' meant to be '%d.%m.%Y'?" in table.loc["official", "warnings"]
    assert table.loc["ngo", "warnings"] == ""
    assert (table.loc["ngo", "first_date"], table.loc["ngo", "last_date"]) == ("2022-01-04", "2022-01-06")
    log = (workdir / "logs" / "ingest" / "ev" / "official.log").read_text("utf-8")
    assert "dates, column 'date_of_death': 5 dates from 2022-04-01 to 2022-06-01 (0 blank)" in log
    assert "WARNING source official, column 'date_of_death': day and month look exchanged" in log
    for folder in ("results", "logs"):
        for file in (workdir / folder).rglob("*"):
            if file.is_file():
                text = file.read_text("utf-8")
                assert not any(part in text for part in name_parts()), file


@pytest.mark.workflow
def test_workflow_draws_reported_tolls_without_an_absent_event(tmp_path: Path) -> None:
    workdir = make_project(tmp_path / "p")
    config = analyst_config(workdir, reported_figures="data/reported_figures.csv")
    jan = config["events"]["ev"]
    config["events"] = {"jan2022": jan, "mine": {**jan, "label": "My event"}}
    path = write_config(tmp_path, config)
    proc = snakemake(workdir, "results/figures/reported_tolls.png", "--configfile", str(path))
    assert proc.returncode == 0, proc.output[-3000:]
    assert "reported_figures (data/reported_figures.csv) has no death tolls for event 'mine'" in proc.stderr
    import pandas as pd

    drawn = pd.read_csv(workdir / "results" / "figures" / "reported_tolls.tsv", sep="\t")
    assert set(drawn["event"]) == {"jan2022"}
    log = (workdir / "logs" / "figures" / "reported.log").read_text("utf-8")  # rule figures_reported
    assert "event mine has no reported death tolls" in log
    # with no event in the file, the workflow plans no figure of reported tolls (and does not crash)
    config["events"] = {"mine": {**jan, "label": "My event"}}
    proc = snakemake(workdir, "-n", "--configfile", str(write_config(tmp_path, config)))
    assert proc.returncode == 0, proc.output[-3000:]
    # (a dry run lists every planned file, rule all's inputs too; the two figures are outputs of
    # rules that draw others as well, so their files, not rule names, say what is planned)
    assert "reported_tolls.png" not in proc.output and "reported_vs_estimated.png" not in proc.output
    assert "no configured event has any, so there is no figure of reported tolls" in proc.output


# ---------------------------------------------------------------- the table
def corpus_table() -> str:
    """The corpus as a Markdown table: case, expected, observed (from the undercount imported)."""
    import tempfile

    lines = ["| # | layer | case | expected | observed |", "|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as folder:
        for i, item in enumerate(CASES, start=1):
            tmp = Path(folder) / str(i)
            tmp.mkdir()
            try:
                outcome = item.run(tmp)
            except Exception as exc:  # an option the code under test does not know, for one
                outcome = Outcome("crash", f"{type(exc).__name__}: {exc}", exc)
            try:
                item.check(outcome)
                verdict = "as expected"
            except AssertionError:
                verdict = "NOT as expected"
            observed = f"{outcome.status} ({verdict}): {outcome.summary()}".replace("|", "/")
            lines.append(f"| {i} | {item.layer} | {item.id} | {item.expected} | {observed} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(corpus_table())
