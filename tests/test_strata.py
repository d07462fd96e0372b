import numpy as np
import pandas as pd
import pytest

from undercount.strata import (
    Scheme,
    add_draws,
    assign_strata,
    person_attributes,
    slug,
    stratify,
    total_over_strata,
    usable,
)

START = "2022-01-02"


def scheme(**entry):
    return Scheme.from_config("s", entry, START)


def test_attributes_take_the_most_frequent_known_value():
    persons = pd.DataFrame(
        {"source": ["a", "b", "c"], "record_id": ["1", "1", "1"], "person_id": ["p", "p", "p"]}
    )

    def rec(sex, age, place, region):
        return pd.DataFrame(
            {
                "_row": [2],
                "record_id": ["1"],
                "full_name": ["x"],
                "sex": [sex],
                "age": pd.array([age], dtype="Int64"),
                "date_of_death": ["2022-01-05"],
                "place": [place],
                "region": [region],
                "victim_group": [None],
            }
        )

    records = {
        "a": rec("M", 30, None, "г. Алматы"),
        "b": rec("M", 31, "Алматы", None),
        "c": rec(None, 31, "Almaty", None),
    }
    out = person_attributes(persons, records, "casualty").iloc[0]
    assert out["sex"] == "M" and out["age"] == 31  # 31 twice, 30 once
    assert out["place"] == "Алматы"  # tie between spellings: the earlier source wins
    assert out["region"] == "г. Алматы" and out["records"] == 3
    assert out["conflicts"] == 2  # age and place disagree
    assert "full_name" not in out.index


def test_region_groups_fall_back_to_place_and_keep_unknown():
    s = scheme(by=["region"], groups={"region": {"almaty": ["г. Алматы", "Almaty", "Alma-Ata", "Алматы"]}})
    assert s.value("region", {"region": "г. Алматы"}) == "almaty"
    assert s.value("region", {"region": None, "place": "Alma-Ata"}) == "almaty"
    assert s.value("region", {"region": "Кызылординская область"}) == "other"
    assert s.value("region", {"region": None, "place": None}) == "unknown"


def test_periods_are_days_since_start_and_bands_are_half_open():
    s = scheme(
        by=["period", "age_band"],
        periods={"first_days": [0, 5], "later": [6, 400]},
        age_bands=[0, 18, 30, 121],
    )
    assert s.stratum({"date": "2022-01-07", "age": 29}) == "period-first-days_age-band-18-29"
    assert s.stratum({"date": "2022-01-08", "age": 30}) == "period-later_age-band-30-120"
    assert s.stratum({"date": "2021-12-31", "age": None}) == "period-other_age-band-unknown"


def test_stratify_partitions_people():
    persons = pd.DataFrame(
        {
            "source": ["a", "b", "a", "b", "c"],
            "record_id": list("12345"),
            "person_id": ["p1", "p1", "p2", "p3", "p3"],
        }
    )
    attrs = pd.DataFrame({"person_id": ["p1", "p2", "p3"], "sex": ["M", None, "F"]})
    tables = stratify(persons, attrs, scheme(by=["sex"]), ["a", "b", "c"])
    assert set(tables) == {"sex-m", "sex-f", "sex-unknown"}
    assert sum(t.n_observed for t, _ in tables.values()) == 3
    table, meta = tables["sex-f"]
    assert table.lists == ("b", "c") and meta["stratum"] == "sex-f" and meta["dropped_lists"] == ["a"]
    assert list(assign_strata(attrs, scheme(by=["sex"]))) == ["sex-m", "sex-unknown", "sex-f"]


def test_hrdag_usable_rule():
    assert usable({"a": 10, "b": 12, "c": 10}, 3, 10) == (True, "")
    ok, reason = usable({"a": 10, "b": 12, "c": 9}, 3, 10)
    assert not ok and "only 2 list(s) document at least 10 people" in reason and "c 9" in reason


def test_adding_draws_adds_distributions_not_interval_ends():
    rng = np.random.default_rng(1)
    a = np.sort(rng.normal(100, 10, 20_000))  # sorted on purpose: must not be added comonotonically
    b = np.sort(rng.normal(200, 10, 20_000))
    total = add_draws(
        {"a": {"n_observed": 80, "draws": a}, "b": {"n_observed": 150, "draws": b}},
        0.95,
        np.random.default_rng(2),
    )
    assert total.n_observed == 230
    # independent strata: sd of the sum is sqrt(10^2 + 10^2) = 14.1, not 20;
    # with 20,000 draws the sample sd is within about 1% of it
    assert np.std(total.draws) == pytest.approx(np.sqrt(200), rel=0.03)
    assert total.ci_high - total.ci_low == pytest.approx(2 * 1.96 * np.sqrt(200), rel=0.05)
    assert total.ci_high < np.quantile(a, 0.975) + np.quantile(b, 0.975)


def test_stratum_without_estimate_is_added_as_documented_with_a_warning():
    total = add_draws(
        {"a": {"n_observed": 10, "draws": np.array([20.0, 22.0])}, "b": {"n_observed": 5, "draws": None}},
        0.95,
        np.random.default_rng(0),
    )
    assert total.draws.min() >= 25
    assert "stratum b has no estimate" in total.warnings[0]


def test_total_not_formed_from_interval_ends():
    r = {
        "method": "mt",
        "lists": ["a", "b"],
        "n_observed": 10,
        "n_hat": 12.0,
        "ci_low": 10.0,
        "ci_high": 15.0,
        "warnings": [],
    }
    out = total_over_strata({"x": (r, None), "y": (r, None)}, 0.95, np.random.default_rng(0))
    assert out["n_hat"] is None and "adding interval ends across strata is never done" in out["warnings"][-1]
    out = total_over_strata(
        {"x": (r, np.array([11.0, 12.0, 13.0])), "y": (r, np.array([12.0, 12.0]))},
        0.95,
        np.random.default_rng(0),
    )
    assert out["n_observed"] == 20 and 23 <= out["n_hat"] <= 25


def test_slug():
    assert slug("Almaty city") == "almaty-city"
    assert slug("Алматы") == "almati"


def test_draws_without_estimate_are_left_out_and_said():
    total = add_draws(
        {
            "a": {"n_observed": 10, "draws": np.array([20.0, np.nan, 22.0])},
            "b": {"n_observed": 5, "draws": np.array([6.0, 7.0])},
        },
        0.95,
        np.random.default_rng(0),
    )
    assert np.isfinite(total.draws).all() and len(total.draws) == 2
    assert "stratum a: 1 of 3 draws had no estimate" in total.warnings[0]
