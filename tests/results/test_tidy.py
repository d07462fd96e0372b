import math

import pandas as pd
from conftest import benchmark_table

from undercount.histories import CaptureTable
from undercount.results import ESTIMATE_COLUMNS, estimate_table, estimates_frame, result_row, summary_table


def test_table_notes_come_first(hiv):
    result = estimate_table(hiv, {"notes": ["table note"]}, method="chapman", settings={"pair": "largest"})
    assert result.warnings[0] == "table note"
    assert result.estimable


def test_one_list_is_not_estimable():
    table = CaptureTable.from_arrays(["a"], [[1]], [12])
    result = estimate_table(table, {"notes": ["only 1 list(s)"]}, method="mt")
    assert not result.estimable and result.n_observed == 12
    assert result.warnings == ("only 1 list(s)", "not estimable: fewer than two lists")
    assert result.settings == {"interval": "profile"}  # the registry's settings, even without a number


def test_method_that_cannot_apply_is_not_estimable(hiv):
    result = estimate_table(hiv, {}, method="chapman", settings={"pair": "c1,zz"})
    assert not result.estimable and "not a list of this table" in result.warnings[-1]


def test_rows_and_frame():
    result = estimate_table(benchmark_table("hare"), {"notes": []}, method="mt")
    row = result_row(result, event="e", population="deaths", stratum="all", label="my-mt", synthetic=True)
    assert list(row) == ESTIMATE_COLUMNS
    assert row["lists"] == "c1+c2+c3+c4+c5+c6" and row["warnings"] == ""
    assert row["method"] == "my-mt" and row["estimator"] == "mt" and row["synthetic"] is True
    assert row["settings"] == "interval=profile"
    nan_row = dict(row, method="z", n_hat=math.nan)
    frame = estimates_frame([nan_row, row])
    assert list(frame["method"]) == ["my-mt", "z"]
    assert isinstance(frame, pd.DataFrame)
    one = result.to_frame(event="e", population="deaths")
    assert list(one.columns) == ESTIMATE_COLUMNS and len(one) == 1
    assert one.loc[0, "n_hat"] == result.n_hat and one.loc[0, "method"] == "mt"


def test_execution_settings_stay_out_of_the_table(hiv):
    result = estimate_table(
        hiv, {}, method="stepwise-bca", settings={"nboot": 20, "workers": 1, "progress": False}, seed=3
    )
    row = result_row(result, event="e", population="p", stratum="all")
    assert "workers" not in row["settings"] and "progress" not in row["settings"]
    assert "nboot=20" in row["settings"] and "seed=3" in row["settings"]


def test_summary_table_cells():
    estimates = pd.DataFrame(
        [
            {
                "event": "e",
                "population": "deaths",
                "stratum": "all",
                "method": "mt",
                "n_hat": 1234.4,
                "ci_low": 1100.0,
                "ci_high": float("inf"),
                "warnings": "a | b",
            },
            {
                "event": "e",
                "population": "deaths",
                "stratum": "all",
                "method": "chapman",
                "n_hat": float("nan"),
                "ci_low": float("nan"),
                "ci_high": float("nan"),
                "warnings": "x",
            },
            {
                "event": "e",
                "population": "deaths",
                "stratum": "city:a",
                "method": "mt",
                "n_hat": 1.0,
                "ci_low": 1.0,
                "ci_high": 1.0,
                "warnings": "",
            },
        ]
    )
    meta = {
        "e/deaths": {"lists": ["official", "ngo"], "n_observed": 1000, "people_per_list": {"official": 800}}
    }
    row = summary_table(estimates, meta, {"e": "official"}).iloc[0]
    assert row["documented"] == 1000 and row["on_official_list"] == 800
    assert row["mt"] == "1,234 (1,100 to unbounded) [warnings: 2]"
    assert row["chapman"] == "not estimable"
