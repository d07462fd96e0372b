import json

import pandas as pd
from conftest import ROOT

from undercount.simulate import DEFAULT_SEED, designs, write_demo
from undercount.synthetic import MANIFEST, file_sha256, parse_manifest

DEMO = ROOT / "data" / "demo"


def _cells(path):
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}
    finally:
        book.close()


def test_committed_demo_is_what_the_command_makes(tmp_path):
    """`undercount simulate --out data/demo` reproduces every committed file.

    Text files byte for byte; the XLSX cell for cell (its bytes also hold the
    writing library's version, which the demo should not depend on).
    """
    written = write_demo(tmp_path, seed=DEFAULT_SEED)
    names = sorted(p.name for p in written)
    assert names == sorted(p.name for p in DEMO.iterdir())
    for name in names:
        if name.endswith(".xlsx"):
            assert _cells(tmp_path / name) == _cells(DEMO / name), name
        elif name == MANIFEST:  # its XLSX line hashes bytes that hold the library version
            ours, committed = (parse_manifest((d / name).read_text("utf-8")) for d in (tmp_path, DEMO))
            assert set(ours) == set(committed)
            for listed, digest in committed.items():
                assert digest == file_sha256(DEMO / listed), listed
                if not listed.endswith(".xlsx"):
                    assert ours[listed] == digest, listed
        else:
            assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes(), name


def test_xlsx_bytes_depend_only_on_content(tmp_path):
    write_demo(tmp_path / "a", seed=DEFAULT_SEED)
    write_demo(tmp_path / "b", seed=DEFAULT_SEED)
    name = "jan2022_arrukhkhak_deaths.xlsx"
    assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_other_seed_other_lists(tmp_path):
    write_demo(tmp_path, seed=1)
    assert (tmp_path / "truth.csv").read_bytes() != (DEMO / "truth.csv").read_bytes()


def test_truth_covers_every_record_and_says_synthetic():
    truth = pd.read_csv(DEMO / "truth.csv", dtype=str)
    summary = json.loads((DEMO / "truth.json").read_text())
    assert "SYNTHETIC" in (DEMO / "README.md").read_text()
    total_records = 0
    for design in designs():
        for src in design.sources:
            path = DEMO / src.filename
            frame = pd.read_excel(path) if src.xlsx else pd.read_csv(path, dtype=str)
            total_records += len(frame)
            ids = set(truth[(truth.event == design.event) & (truth.source == src.id)]["record_id"])
            assert len(ids) == len(frame)
    assert len(truth) == total_records
    for entry in summary["populations"]:
        people = truth[(truth.event == entry["event"]) & (truth.kind == entry["kind"])]["person"].nunique()
        assert people == entry["documented"] <= entry["true_total"]


def test_source_sizes_echo_the_public_ones():
    truth = pd.read_csv(DEMO / "truth.csv", dtype=str)
    jan = truth[(truth.event == "jan2022") & (truth.kind == "casualty")].groupby("source")["person"].nunique()
    # public list sizes 238 / 188 / 221; the demo echoes them within sampling noise (about +-15)
    assert (
        abs(jan["official"] - 238) < 20
        and abs(jan["azattyq"] - 188) < 20
        and abs(jan["arrukhkhak"] - 221) < 20
    )


def test_lists_are_dependent_through_groups():
    """Hard-to-reach people are missed by every list: the documented share is below what
    independent lists with the same sizes would give."""
    summary = json.loads((DEMO / "truth.json").read_text())
    for entry in summary["populations"]:
        n = entry["true_total"]
        p_missed_independent = 1.0
        for size in entry["people_per_source"].values():
            p_missed_independent *= 1 - size / n
        missed = n - entry["documented"]
        assert missed > n * p_missed_independent, entry["event"]
