"""The one writer of CSV, TSV and XLSX: formula-leading text cells are neutralised (OWASP)."""

from __future__ import annotations

import csv
import re
import zipfile

import pandas as pd
import pytest

from undercount import tabular

HOSTILE = [
    '=HYPERLINK("http://x.test","click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|x",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("cell", HOSTILE)
def test_a_formula_leading_text_cell_gets_a_single_quote_and_comes_back(cell):
    safe = tabular.neutralise(cell)
    assert safe == "'" + cell
    assert tabular.restore(safe) == cell


@pytest.mark.parametrize("cell", ["-3.2", "+7", "-1e5", "Smith", "", "'quoted already"])
def test_numbers_written_as_text_and_plain_text_stay_as_they_are(cell):
    assert tabular.neutralise(cell) == cell


def test_write_csv_neutralises_text_columns_only_and_quotes_inside_quoted_fields(tmp_path):
    frame = pd.DataFrame({"record_id": HOSTILE, "n": [-3.5, 2.0, -1.0, 4.0, 5.0, 6.0], "note": ["a,b"] * 6})
    path = tmp_path / "x.csv"
    tabular.write_csv(frame, path)
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["record_id", "n", "note"]
    assert [r[0] for r in rows[1:]] == ["'" + c for c in HOSTILE]
    assert [r[1] for r in rows[1:]] == ["-3.5", "2.0", "-1.0", "4.0", "5.0", "6.0"]  # numbers stay numbers
    raw = path.read_bytes().decode("utf-8")  # no newline translation: a CR stays inside its field
    assert '"\'=HYPERLINK(""http://x.test"",""click"")"' in raw  # the quote is inside the quoted field
    assert not any(line.startswith(("=", "+", "@")) for line in raw.split("\n"))


def test_write_xlsx_has_no_formula_cells_and_is_byte_identical_on_rerun(tmp_path):
    from openpyxl import load_workbook

    frame = pd.DataFrame({"record_id": HOSTILE, "n_hat": [1.5, float("nan"), float("inf"), 2, 3, -4]})
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    tabular.write_xlsx({"deaths": frame, "bad/name[1]": frame}, a)
    tabular.write_xlsx({"deaths": frame, "bad/name[1]": frame}, b)
    assert a.read_bytes() == b.read_bytes()
    book = load_workbook(a)
    assert book.sheetnames == ["deaths", "bad_name_1_"]
    cells = [c for row in book["deaths"].iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert book["deaths"]["A2"].value == "'" + HOSTILE[0]
    assert [book["deaths"][f"B{i}"].value for i in range(2, 8)] == [1.5, None, "unbounded", 2, 3, -4]
    with zipfile.ZipFile(a) as z:
        assert {i.date_time for i in z.infolist()} == {(2000, 1, 1, 0, 0, 0)}
        # two saves within one second agree anyway: the clock must not reach the file at all
        # (openpyxl stamps "modified" with the time of saving)
        core = z.read("docProps/core.xml").decode("utf-8")
    stamps = re.findall(r'xsi:type="dcterms:W3CDTF">([^<]*)<', core)
    assert len(stamps) == 2 and set(stamps) == {"2000-01-01T00:00:00Z"}
