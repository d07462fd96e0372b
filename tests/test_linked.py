"""Linked person tables (kind: linked): reading, errors naming file, row and column, persons."""

from __future__ import annotations

import pytest

from undercount.config import linked_source, table_lists, tables, validate_config
from undercount.errors import ConfigError, InputError
from undercount.linked import ignored_text, linked_attributes, linked_persons
from undercount.records import SourceSpec, read_source

HEADER = "ID,List A,List B,C,Пол,Возраст,Notes\n"


def spec(path, **kw):
    columns = {"ID": "person_id", "Пол": "sex", "Возраст": "age"}
    return SourceSpec(
        id="p", path=str(path), kind="linked", lists=("List A", "List B", "C"), columns=columns, **kw
    )


def write(tmp_path, rows, header=HEADER, name="persons.csv"):
    path = tmp_path / name
    path.write_text(header + "".join(rows), encoding="utf-8")
    return path


def test_reads_lists_fields_and_says_which_columns_it_ignores(tmp_path):
    path = write(tmp_path, ["1,1,0,1,муж,34,a\n", "2,0,1,0,ж,,b\n", "3,1,1,1,,70,\n"])
    frame = read_source(spec(path))
    assert frame["person_id"].tolist() == ["1", "2", "3"]
    assert frame["List A"].tolist() == [1, 0, 1]
    assert frame["sex"].tolist() == ["M", "F", None]
    assert frame["age"].isna().tolist() == [False, True, False]
    assert frame["_row"].tolist() == [2, 3, 4]
    assert "G 'Notes'" in ignored_text(frame)
    assert "Notes" not in ignored_text(frame, headers=False)
    persons = linked_persons(frame, ["List A", "List B", "C"])
    assert len(persons) == 6  # 2 + 1 + 3 list memberships
    assert set(persons.columns) == {"source", "record_id", "person_id"}
    attributes = linked_attributes(frame, ["List A", "List B", "C"])
    assert attributes["records"].tolist() == [2, 1, 3]


@pytest.mark.parametrize(
    "rows, row, column, message",
    [
        (["1,1,0,2,,,\n"], 2, "C", "found '2'"),
        (["1,1,0,1,,,\n", "2,1,,0,,,\n"], 3, "List B", "found a blank cell"),
        (["1,1,0,1,,,\n", "2,0,0,0,,,\n"], 3, "List A", "on no list"),
        (["7,1,0,1,,,\n", "8,1,0,0,,,\n", "7,0,1,0,,,\n"], 4, "ID", "given twice"),
        (["1,1,0,1,x,,\n"], 2, "Пол", "not an allowed value"),
        (["1,1,0,1,,300,\n"], 2, "Возраст", "out of range"),
    ],
)
def test_errors_name_file_row_and_column(tmp_path, rows, row, column, message):
    path = write(tmp_path, rows)
    with pytest.raises(InputError) as info:
        read_source(spec(path))
    err = info.value
    assert (err.file, err.row, err.column) == (str(path), row, column)
    assert message in str(err)


def test_a_missing_list_column_names_the_header_row(tmp_path):
    path = write(tmp_path, ["1,1,0,,,\n"], header="ID,List A,List B,Пол,Возраст,Notes\n")
    with pytest.raises(InputError, match="list column 'C'") as info:
        read_source(spec(path))
    assert (info.value.row, info.value.column) == (1, "C")


def test_without_an_id_column_the_row_is_the_id(tmp_path):
    path = write(tmp_path, ["1,0,1\n", "0,1,1\n"], header="A,B,C\n")
    frame = read_source(SourceSpec(id="p", path=str(path), kind="linked", lists=("A", "B", "C")))
    assert frame["person_id"].tolist() == ["row-2", "row-3"]


def test_xlsx_is_read_like_csv(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in [
        ["ID", "List A", "List B", "C", "Пол", "Возраст"],
        [1, 1, 0, 1, "F", 20],
        [2, 0, 1, 1, None, None],
    ]:
        sheet.append(row)
    path = tmp_path / "persons.xlsx"
    book.save(path)
    frame = read_source(spec(path))
    assert frame["C"].tolist() == [1, 1] and frame["sex"].tolist() == ["F", None]


def _config(sources):
    return {
        "reported_figures": None,
        "events": {"e": {"label": "E", "start_date": "2020-01-01", "sources": sources}},
    }


def test_config_linked_sources(tmp_path):
    linked = {"kind": "linked", "path": "x.csv", "lists": ["A", "B"]}
    config = validate_config(_config({"persons": linked}))
    assert tables(config) == [("e", "deaths")]
    assert table_lists(config, "e", "deaths") == ["A", "B"]
    assert linked_source(config, "e", "deaths").population == "deaths"
    with pytest.raises(ConfigError, match="names its 0/1 list columns"):
        validate_config(_config({"persons": {"kind": "linked", "path": "x.csv"}}))
    with pytest.raises(ConfigError, match="only a source of kind linked"):
        validate_config(_config({"a": {"kind": "casualty", "path": "x.csv", "lists": ["A", "B"]}}))
    with pytest.raises(ConfigError, match="not both or several"):
        validate_config(_config({"persons": linked, "a": {"kind": "casualty", "path": "y.csv"}}))
    detentions = {**linked, "population": "detentions"}
    config = validate_config(_config({"persons": detentions, "a": {"kind": "casualty", "path": "y.csv"}}))
    assert set(tables(config)) == {("e", "deaths"), ("e", "detentions")}
    assert table_lists(config, "e", "deaths") == ["a"]
