import numpy as np
import pandas as pd
import pytest
from conftest import DATASETS, benchmark_table

from undercount.errors import TableError
from undercount.histories import CaptureTable, observable_patterns, table_from_memberships


def write(tmp_path, text, name="t.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_every_benchmark_table():
    expected_n = {
        "Artificial_3": 96,
        "spina_bifida": 626,
        "HIV": 1896,
        "UKdat_5": 2744,
        "UKdat": 2744,
        "NewOrl_5": 185,
        "Ned_5": 8234,
        "Ned": 8234,
        "Western": 345,
        "dga_MY5": 537,
        "hare": 68,
    }
    for name in DATASETS:
        assert benchmark_table(name).n_observed == expected_n[name], name


def test_roundtrip_is_canonical(tmp_path):
    table = benchmark_table("HIV")
    out = tmp_path / "hiv.csv"
    table.to_csv(out)
    again = CaptureTable.from_csv(out)
    assert again.lists == table.lists
    np.testing.assert_array_equal(again.patterns, table.patterns)
    np.testing.assert_array_equal(again.counts, table.counts)
    # canonical order: by number of lists, first list first
    sizes = again.patterns.sum(axis=1)
    assert list(sizes) == sorted(sizes)


def test_cells_fill_absent_patterns_with_zero():
    table = benchmark_table("Artificial_3")
    patterns, counts = table.cells()
    assert len(patterns) == 7
    assert counts.sum() == 96
    assert counts[[tuple(p) for p in patterns].index((1, 0, 1))] == 0


def test_observable_patterns_exclude_all_zero():
    pats = observable_patterns(4)
    assert pats.shape == (15, 4)
    assert pats.any(axis=1).all()
    assert len({tuple(p) for p in pats}) == 15


def test_select_pools_dropped_lists():
    table = benchmark_table("spina_bifida")
    sub = table.select(["BC", "DC"])
    sizes = table.list_sizes()
    assert sub.list_sizes() == {"BC": sizes["BC"], "DC": sizes["DC"]}
    # people seen only on MR become unobserved
    only_mr = int(table.counts[(table.patterns == (0, 0, 1)).all(axis=1)].sum())
    assert sub.n_observed == table.n_observed - only_mr


def test_repeated_patterns_are_added(tmp_path):
    path = write(tmp_path, "A,B,count\n1,0,3\n0,1,2\n1,0,4\n1,1,1\n")
    table = CaptureTable.from_csv(path)
    assert table.list_sizes() == {"A": 8, "B": 3}
    assert table.n_observed == 10


def test_memberships():
    table = table_from_memberships(["a", "b", "c"], [["a"], ["a", "b"], ["c"], ["a"]])
    assert table.n_observed == 4
    assert table.list_sizes() == {"a": 3, "b": 1, "c": 1}


@pytest.mark.parametrize(
    "text, message, row, column",
    [
        ("A,B,n\n1,0,3\n", "no 'count' column", None, None),
        ("A,count\n1,3\n", "at least two list columns", None, None),
        ("A,B,count\n1,0,3\n2,1,1\n", "must be 0 or 1", 3, "A"),
        ("A,B,count\n1,0,3\n0,1,-1\n", "cannot be negative", 3, "count"),
        ("A,B,count\n1,0,3\n0,1,1.5\n", "whole number", 3, "count"),
        ("A,B,count\n1,0,3\n0,1,\n", "whole number", 3, "count"),
        ("A,B,count\n1,x,3\n", "whole number", 2, "B"),
        ("A,B,count\n1,0,3\n0,0,2\n", "all-zero pattern", 3, "count"),
        ("A,B,count\n1,0,0\n", "no one is observed", None, None),
        ("A,B,count\n", "no rows", None, None),
    ],
)
def test_malformed_tables_name_row_and_column(tmp_path, text, message, row, column):
    path = write(tmp_path, text)
    with pytest.raises(TableError) as err:
        CaptureTable.from_csv(path)
    assert message in str(err.value)
    assert err.value.row == row
    assert err.value.column == column
    assert str(path) in str(err.value)


def test_not_utf8(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes("A,B,count\n1,0,3\n".encode("utf-16"))
    with pytest.raises(TableError, match="not UTF-8"):
        CaptureTable.from_csv(path)


def test_missing_file(tmp_path):
    with pytest.raises(TableError, match="file not found"):
        CaptureTable.from_csv(tmp_path / "nope.csv")


def persons_frame(rows):
    return pd.DataFrame(rows, columns=["source", "record_id", "person_id"])


def test_build_histories_counts_people_not_records():
    from undercount.histories import build_histories

    persons = persons_frame(
        [
            ("a", "a1", "p1"),
            ("a", "a2", "p1"),  # a duplicate within source a
            ("b", "b1", "p1"),
            ("b", "b2", "p2"),
            ("a", "a3", "p3"),
        ]
    )
    table, meta = build_histories(persons, ["a", "b", "c"], caveats=["linkage caveat"])
    assert table.lists == ("a", "b")
    assert table.n_observed == 3
    assert table.list_sizes() == {"a": 2, "b": 2}
    assert meta["dropped_lists"] == ["c"]
    assert meta["records_per_list"] == {"a": 3, "b": 2, "c": 0}
    assert meta["notes"][0] == "linkage caveat"
    assert "list c documents no one" in meta["notes"][1]


def test_build_histories_one_list_is_flagged(tmp_path):
    from undercount.histories import build_histories, read_histories

    table, meta = build_histories(persons_frame([("a", "a1", "p1"), ("a", "a2", "p2")]), ["a", "b"])
    assert "capture-recapture needs at least two" in meta["notes"][-1]
    path = tmp_path / "h.csv"
    table.to_csv(path)
    again = read_histories(path, meta)
    assert again.lists == ("a",) and again.n_observed == 2
