import datetime as dt

import openpyxl
import pandas as pd
import pytest

from undercount.errors import InputError
from undercount.records import (
    SourceSpec,
    canonical_columns,
    describe,
    read_records,
    read_source,
    validate_record,
    write_records,
)

HEADER = "record_id,full_name,sex,age,date_of_death,place,region,victim_group\n"


def spec(path, kind="casualty", **kw):
    return SourceSpec(id="src", path=str(path), kind=kind, **kw)


def csv(tmp_path, body, header=HEADER, name="list.csv"):
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


def test_reads_canonical_csv(tmp_path):
    path = csv(
        tmp_path, "a1,Ерлан Жагипаров,M,34,2022-01-05,Алматы,,civilian\na2,Жагипаров Е.,,,2022-01-06,,,\n"
    )
    frame = read_source(spec(path))
    assert list(frame["record_id"]) == ["a1", "a2"]
    assert frame.loc[0, "age"] == 34 and pd.isna(frame.loc[1, "age"])
    assert frame.loc[1, "sex"] is None
    assert list(frame["_row"]) == [2, 3]
    # every record passes the JSON Schema it was validated against column by column
    for record in frame.drop(columns="_row").to_dict("records"):
        validate_record({k: (None if pd.isna(v) else v) for k, v in record.items()}, "casualty")


def test_header_mapping_synonyms_value_map_and_date_format(tmp_path):
    path = csv(tmp_path, "1,Жагипаров Е.Б.,ер,05.01.2022,сотрудник\n", header="№,ФИО,Жынысы,Дата,Категория\n")
    s = spec(
        path,
        columns={
            "№": "record_id",
            "ФИО": "full_name",
            "Жынысы": "sex",
            "Дата": "date_of_death",
            "Категория": "victim_group",
        },
        date_format="%d.%m.%Y",
        values={"victim_group": {"сотрудник": "security"}},
    )
    row = read_source(s).iloc[0]
    assert row["sex"] == "M" and row["date_of_death"] == "2022-01-05" and row["victim_group"] == "security"
    assert row["place"] is None  # absent columns stay blank: nothing is guessed


def test_detention_booleans(tmp_path):
    header = "record_id,full_name,torture_alleged,died_in_custody\n"
    path = csv(tmp_path, "d1,A B,да,\nd2,C D,no,yes\n", header=header)
    frame = read_source(spec(path, kind="detention"))
    assert list(frame["torture_alleged"]) == [True, False]
    assert pd.isna(frame.loc[0, "died_in_custody"]) and frame.loc[1, "died_in_custody"] == True  # noqa: E712
    assert describe(frame, "detention")["torture_alleged_true"] == 1


def test_xlsx_with_date_cells(tmp_path):
    path = tmp_path / "list.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["No", "Name", "date_of_death", "age"])
    sheet.append([1, "ZHAGIPAROV ERLAN", dt.datetime(2022, 1, 5), 34.0])
    sheet.append([2, "Yerlan Zhagiparov", None, None])
    book.save(path)
    frame = read_source(spec(path, columns={"No": "record_id", "Name": "full_name"}))
    assert list(frame["record_id"]) == ["1", "2"]
    assert frame.loc[0, "date_of_death"] == "2022-01-05" and frame.loc[0, "age"] == 34
    assert frame.loc[1, "date_of_death"] is None


def test_private_roundtrip_keeps_types(tmp_path):
    path = csv(tmp_path, "a1,X Y,F,34,2022-01-05,,,\n")
    frame = read_source(spec(path))
    write_records(frame, tmp_path / "out.csv")
    again = read_records(tmp_path / "out.csv", "casualty")
    assert again.loc[0, "age"] == 34 and again.loc[0, "sex"] == "F" and again.loc[0, "place"] is None
    assert list(again.columns) == ["_row"] + canonical_columns("casualty")


# ------------------------------------------------- one test per bad-input case
def expect(path_or_spec, message, row=None, column=None):
    s = path_or_spec if isinstance(path_or_spec, SourceSpec) else spec(path_or_spec)
    with pytest.raises(InputError) as err:
        read_source(s)
    assert message in str(err.value)
    assert err.value.file == s.path
    assert err.value.row == row
    assert err.value.column == column
    return err.value


def test_missing_required_column(tmp_path):
    path = csv(tmp_path, "a1,M\n", header="record_id,sex\n")
    expect(path, "missing required column(s) full_name", row=1, column="full_name")


def test_duplicate_record_id(tmp_path):
    path = csv(tmp_path, "a1,X,,,,,,\na2,Y,,,,,,\na1,Z,,,,,,\n")
    err = expect(
        path, "record_id 'a1' appears more than once in this source (rows 2, 4)", row=4, column="record_id"
    )
    assert "Z" not in str(err).split("column")[0]  # no names in the message


def test_unparseable_date(tmp_path):
    path = csv(tmp_path, "a1,X,,,2022-01-05,,,\na2,Y,,,05.01.2022,,,\n")
    expect(path, "not a date in the format '%Y-%m-%d' (found '05.01.2022')", row=3, column="date_of_death")


def test_age_out_of_range(tmp_path):
    path = csv(tmp_path, "a1,X,,130,,,,\n")
    expect(path, "out of range: must be between 0 and 120", row=2, column="age")


def test_age_not_a_number_withholds_possible_name(tmp_path):
    path = csv(tmp_path, "a1,X,,Ерлан,,,,\n")
    err = expect(path, "expected a whole number", row=2, column="age")
    assert "Ерлан" not in str(err) and "withheld" in str(err)


def test_not_utf8(tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes((HEADER + "a1,Ерлан,,,,,,\n").encode("cp1251"))
    expect(path, "not UTF-8 text", row=2)


def test_not_a_table(tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    expect(path, "not a text table")


def test_broken_xlsx(tmp_path):
    path = tmp_path / "list.xlsx"
    path.write_text("this is not a workbook")
    expect(path, "not a readable XLSX workbook")


def test_ragged_csv_is_not_a_table(tmp_path):
    path = csv(tmp_path, "a1,X,,,,,,\na2,Y,,,,,,,,,,\n")
    expect(path, "not a well-formed CSV table")


def test_empty_list(tmp_path):
    expect(csv(tmp_path, ""), "the list is empty")


def test_empty_file(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("")
    expect(path, "the file is empty")


def test_missing_file(tmp_path):
    expect(tmp_path / "nowhere.csv", "file not found")


def test_unknown_sex_value(tmp_path):
    path = csv(tmp_path, "a1,X,x,,,,,\n")
    expect(path, "not an allowed value; use one of M, F", row=2, column="sex")


def test_blank_name(tmp_path):
    path = csv(tmp_path, "a1,,,,,,,\n")
    expect(path, "a value is required here but the cell is blank", row=2, column="full_name")


def test_mapping_to_unknown_column_and_absent_header(tmp_path):
    path = csv(tmp_path, "a1,X,,,,,,\n")
    expect(spec(path, columns={"full_name": "fullname"}), "not a canonical casualty column")
    expect(spec(path, columns={"Имя": "full_name"}), "the file has no such column", row=1, column="Имя")


def test_unsupported_extension(tmp_path):
    path = tmp_path / "list.ods"
    path.write_text("x")
    expect(path, "unsupported file type '.ods'")
