"""`import undercount`: the public API, loaded lazily so that the import itself stays light."""

import subprocess
import sys

import pandas as pd
import pytest

import undercount
from undercount.errors import TableError


def test_import_loads_no_numerical_or_plotting_library():
    code = (
        "import sys, undercount; heavy = [m for m in ('numpy', 'pandas', 'scipy', 'matplotlib', "
        "'plotnine', 'numba') if m in sys.modules]; print(heavy)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"
    code = "import sys, undercount; undercount.estimate; print([m for m in ('matplotlib', 'plotnine') if m in sys.modules])"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"  # estimating needs no plotting


def test_public_names():
    from undercount.estimators import REGISTRY, estimate
    from undercount.histories import CaptureTable
    from undercount.results import EstimateResult, combine, read_result

    assert undercount.estimate is estimate and undercount.CaptureTable is CaptureTable
    assert undercount.REGISTRY is REGISTRY and "lcmcr" in undercount.method_names()
    assert undercount.EstimateResult is EstimateResult and undercount.read_result is read_result
    assert undercount.combine is combine
    assert set(undercount.__all__) <= set(dir(undercount))
    with pytest.raises(AttributeError, match="no attribute 'estimates'"):
        undercount.estimates  # noqa: B018


def test_a_data_frame_to_an_estimate():
    df = pd.DataFrame(
        {"A": [1, 0, 0, 1, 1, 0, 1], "B": [0, 1, 0, 1, 0, 1, 1], "C": [0, 0, 1, 0, 1, 1, 1]}
        | {"count": [40, 35, 30, 12, 10, 9, 4]}
    )
    table = undercount.CaptureTable.from_frame(df)
    assert table.lists == ("A", "B", "C") and table.n_observed == 140
    result = undercount.estimate(table, "mt")
    assert result.n_hat > 140 and result.to_frame()["n_observed"].item() == 140
    bad = df.assign(B=[0, 2, 0, 1, 0, 1, 1])
    with pytest.raises(TableError, match="row 3.*column 'B'.*0 or 1"):
        undercount.CaptureTable.from_frame(bad)


def _records(dates) -> pd.DataFrame:
    """Two lists of three people (Cyrillic on one, Latin on the other); one date unknown."""
    return pd.DataFrame(
        {
            "source": ["a", "a", "a", "b", "b", "b"],
            "record_id": ["1", "2", "3", "1", "2", "3"],
            "full_name": [
                "Ерлан Жагипаров",
                "Айгуль Нурланова",
                "Serik Bekov",
                "Yerlan Zhagiparov",
                "Aigul Nurlanova",
                "Серик Беков",
            ],
            "sex": ["male", "female", "male", "male", "female", "male"],
            "age": [30, 25, 40, 30, 25, 41],
            "date_of_death": dates,
            "place": ["Almaty"] * 6,
        }
    )


ISO = ["2022-01-05", "2022-01-06", None, "2022-01-05", "2022-01-06", "2022-01-07"]


@pytest.mark.parametrize("tz", [None, "UTC", "Asia/Almaty"])
@pytest.mark.parametrize("method", ["deterministic", "splink"])
def test_link_takes_pandas_datetime_columns(tz, method):
    """A notebook's datetime64 column (naive or tz-aware, NaT for unknown) links as its ISO text does."""
    dates = pd.to_datetime(pd.Series(ISO))
    if tz is not None:
        dates = dates.dt.tz_localize(tz)
    assert dates.isna().sum() == 1  # NaT stays in the frame given to link
    records = _records(dates)
    persons = undercount.link(records, date_column="date_of_death", method=method)
    expected = undercount.link(_records(ISO), date_column="date_of_death", method=method)
    pd.testing.assert_frame_equal(persons, expected)
    # the three people are found (the two spellings of each name joined), and the input is untouched
    assert persons["person_id"].nunique() == 3
    assert pd.api.types.is_datetime64_any_dtype(records["date_of_death"])


def test_link_dates_in_the_columns_own_time_zone():
    from undercount.linkage.core import dates_as_iso

    early = pd.Series(pd.to_datetime(["2022-01-06 02:00", None])).dt.tz_localize("Asia/Almaty")
    frame = pd.DataFrame({"date_of_death": early})
    assert dates_as_iso(frame, "date_of_death")["date_of_death"].tolist() == ["2022-01-06", None]
    # the same instant in UTC falls on the day before: the column's own zone decides the date
    utc = pd.DataFrame({"date_of_death": early.dt.tz_convert("UTC")})
    assert dates_as_iso(utc, "date_of_death")["date_of_death"].tolist() == ["2022-01-05", None]
    with pytest.raises(ValueError, match="column 'date_of_death', row 2: not a date"):
        dates_as_iso(pd.DataFrame({"date_of_death": ["2022-01-05", 3.5j]}), "date_of_death")
