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


# ------------------------------------------------ vectorised assignment = person by person
def _one_by_one(attributes, s):
    return [s.stratum(row) for row in attributes.to_dict("records")]


def test_vectorised_assignment_agrees_with_the_person_rule_on_the_demo():
    from undercount.config import load_config, sources
    from undercount.records import read_source

    config = load_config("config/config.yaml")
    event = "jan2022"
    frames = [read_source(spec) for spec in sources(config, event, "casualty")]
    records = pd.concat(frames, ignore_index=True)
    attrs = pd.DataFrame(
        {
            "person_id": [f"p{i}" for i in range(len(records))],
            "sex": records["sex"].to_numpy(dtype=object),
            "age": pd.array(records["age"], dtype="Int64"),
            "date": records["date_of_death"].to_numpy(dtype=object),
            "place": records["place"].to_numpy(dtype=object),
            "region": records["region"].to_numpy(dtype=object),
            "victim_group": records["victim_group"].to_numpy(dtype=object),
        }
    )
    assert len(attrs) > 100 and attrs["age"].isna().any() and attrs["region"].isna().any()
    for entry in (
        config["strata"]["city"],
        {"by": ["sex", "age_band"]},
        {"by": ["period", "victim_group", "place"], "periods": {"first": [0, 3], "then": [4, 30]}},
    ):
        s = Scheme.from_config("s", entry, config["events"][event]["start_date"])
        assert list(assign_strata(attrs, s)) == _one_by_one(attrs, s)


def test_vectorised_assignment_agrees_on_random_tables_with_blanks_and_band_edges():
    import numpy as np

    s = scheme(
        by=["region", "age_band", "period", "sex", "place"],
        periods={"first": [0, 5], "later": [6, 40]},
        age_bands=[0, 18, 30, 121],
        groups={"region": {"almaty": ["г. Алматы", "Almaty"], "Other place": ["x"]}},
    )
    blanks = [None, float("nan"), pd.NA]
    for seed in range(20):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(1, 300))

        def pick(values, p_blank=0.3, rng=rng, n=n):
            out = [values[int(rng.integers(len(values)))] for _ in range(n)]
            return [blanks[int(rng.integers(3))] if rng.random() < p_blank else v for v in out]

        ages = pick([0, 17, 18, 29, 30, 120, 121, 150, 17.5, 30.0])  # band edges, beyond the last band
        attrs = pd.DataFrame(
            {
                "person_id": [f"p{i}" for i in range(n)],
                "sex": pick(["M", "F", "m", "", 1, 1.0]),
                "age": pd.Series(ages, dtype=object),
                "date": pick(
                    ["2022-01-02", "2022-01-07", "2022-01-08", "2021-12-31", "2022-02-11", "2022-09-01"]
                ),
                "region": pick(["г. Алматы", "Almaty", "almaty", "Кызылорда", "x", ""]),
                "place": pick(["Alma-Ata", "Жанаозен", "г. Алматы"]),
            }
        )
        if seed % 2:
            attrs["age"] = pd.array([None if pd.isna(v) else int(v) for v in ages], dtype="Int64")
        got = assign_strata(attrs, s)
        assert list(got) == _one_by_one(attrs, s)
        assert got.index.equals(attrs.index)
    # a scheme attribute whose column the table lacks: everyone unknown, as person by person
    no_sex = pd.DataFrame({"person_id": ["a", "b"], "age": [3, None]})
    s2 = scheme(by=["sex", "age_band"])
    assert (
        list(assign_strata(no_sex, s2))
        == _one_by_one(no_sex, s2)
        == ["sex-unknown_age-band-0-17", "sex-unknown_age-band-unknown"]
    )
    assert assign_strata(no_sex.iloc[:0], s2).empty
