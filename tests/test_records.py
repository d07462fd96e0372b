import datetime as dt
import re

import openpyxl
import pandas as pd
import pytest

from undercount.errors import InputError
from undercount.records import (
    SourceSpec,
    canonical_columns,
    check_date_format,
    check_dates,
    describe,
    read_raw,
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
        path, "record_id appears more than once in this source (rows 2, 4)", row=4, column="record_id"
    )
    assert "a1" not in str(err)  # an id with letters could be a name: only its rows are given


def test_duplicate_numeric_record_id_is_shown(tmp_path):
    path = csv(tmp_path, "17,X,,,,,,\n18,Y,,,,,,\n17,Z,,,,,,\n18,W,,,,,,\n")
    expect(
        path,
        "record_id '17' appears more than once in this source (rows 2, 4); 1 other value(s) repeat too",
        row=4,
        column="record_id",
    )


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
    expect(
        path,
        "rows whose number of fields differs from the header's (8 fields, row 1): row 3 (12 fields)",
        row=3,
    )


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


# ------------------------------------------------- reading as a spreadsheet does
def test_semicolon_cp1251_with_title_rows(tmp_path):
    text = (
        "Список погибших;;;\n;;;\nrecord_id;full_name;age;date_of_death\n\n1;Ерлан Жагипаров;34;2022-01-05\n"
    )
    path = tmp_path / "list.csv"
    path.write_bytes(text.encode("cp1251"))
    frame = read_source(spec(path, encoding="cp1251", header_row=3))
    assert frame.loc[0, "full_name"] == "Ерлан Жагипаров" and frame.loc[0, "age"] == 34
    assert list(frame["_row"]) == [5]  # the blank row 4 counts, as in the spreadsheet
    assert frame.attrs == {"encoding": "cp1251", "delimiter": ";", "header_row": 3, "blank_rows": 1}


def test_read_raw_detects_the_delimiter_for_the_command_line(tmp_path):
    path = csv(tmp_path, "a1;X;;;2022-01-05;;;\n", header=HEADER.replace(",", ";"))
    assert list(read_raw(path).columns) == HEADER.strip().split(",")


def test_trailing_delimiter_is_refused_with_the_rows(tmp_path):
    path = csv(tmp_path, "".join(f"a{i},X,,,,,,,\n" for i in range(7)))
    err = expect(
        path, "rows 2 (9 fields), 3 (9 fields), 4 (9 fields), 5 (9 fields), 6 (9 fields) and 2 more", row=2
    )
    assert "a delimiter at the end of each row" in str(err)


def test_age_must_be_written_in_digits(tmp_path):
    for text in ("1e2", "٣٤", '"3,5"', "34."):
        path = csv(tmp_path, f"a1,X,,{text},,,,\n")
        expect(path, "expected a whole number written in digits", row=2, column="age")
    assert read_source(spec(csv(tmp_path, "a1,X,,34.0,,,,\n"))).loc[0, "age"] == 34


@pytest.mark.parametrize(
    "date_format, message",
    [
        ("%d.%m.%Q", "'Q' is a bad directive"),
        ("%d.%m", "does not give the year (%Y or %y)"),
        ("%Y-%m", "does not give the day (%d)"),
    ],
)
def test_unusable_date_format(date_format, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        check_date_format(date_format)


def test_good_date_formats_pass():
    for date_format in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%y", "%d %B %Y", "%Y%m%d", "%d.%m.%Y %H:%M"):
        check_date_format(date_format)


def test_check_dates_gives_the_range_and_names_the_rows(tmp_path):
    body = "a1,X,,,2022-01-05,,,\na2,Y,,,2021-03-01,,,\na3,Z,,,,,,\na4,W,,,2023-06-01,,,\n"
    s = spec(csv(tmp_path, body))
    found = check_dates(read_source(s), s, "2022-01-02")
    assert (found.dated, found.blank, found.first, found.last) == (3, 1, "2021-03-01", "2023-06-01")
    assert found.range_text() == "column 'date_of_death': 3 dates from 2021-03-01 to 2023-06-01 (1 blank)"
    before, after = found.warnings
    assert before.startswith("source src, column 'date_of_death': 1 of 3 dates are before 2021-12-26")
    assert "row 3, earliest 2021-03-01" in before
    assert "1 of 3 dates are after 2023-01-02" in after and "row 5, latest 2023-06-01" in after
    # a wider window of the event's own: no warning
    assert check_dates(read_source(s), s, "2022-01-02", (-400, 600)).warnings == ()


def test_check_dates_sees_day_and_month_exchanged(tmp_path):
    # 5 and 6 January written day first, read month first: 1 May and 1 June, both within a year
    body = "".join(f"a{i},X,,,0{5 + i % 2}.01.2022,,,\n" for i in range(5))
    s = spec(csv(tmp_path, body), date_format="%m.%d.%Y")
    found = check_dates(read_source(s), s, "2022-01-02")
    assert (found.first, found.last) == ("2022-05-01", "2022-06-01")
    (warning,) = found.warnings
    assert (
        "day and month look exchanged" in warning
        and "is date_format '%m.%d.%Y' meant to be '%d.%m.%Y'?" in warning
    )
    assert "they would run from 2022-01-05 to 2022-01-06, 5 of 5 inside" in warning
    # the same dates read the right way round: nothing to say
    right = spec(csv(tmp_path, body), date_format="%d.%m.%Y")
    assert check_dates(read_source(right), right, "2022-01-02").warnings == ()
