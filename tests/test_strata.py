import pandas as pd

from undercount.strata import (
    Scheme,
    assign_strata,
    person_attributes,
    slug,
    stratify,
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


def test_slug():
    assert slug("Almaty city") == "almaty-city"
    assert slug("Алматы") == "almati"
