"""Multiple imputation by chained equations, strata per imputation, and pooling."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from undercount.errors import ConfigError
from undercount.impute import (
    FEW_IMPUTATIONS,
    condensed_warnings,
    impute,
    imputed_strata,
    pool,
)
from undercount.linked import linked_attributes, linked_persons
from undercount.results import Draws, EstimateResult
from undercount.simulate import simulate_person_table
from undercount.strata import Scheme, assign_strata

LISTS = ["A", "B", "C"]


@pytest.fixture(scope="module")
def table():
    frame, _truth = simulate_person_table(np.random.default_rng(11), 2500)
    return frame


def _inputs(frame):
    attributes = linked_attributes(frame, LISTS)
    members = frame.set_index("person_id").loc[attributes["person_id"], LISTS].to_numpy()
    return attributes, members


def test_reproducible_from_the_seed_and_only_gaps_are_filled(table):
    attributes, members = _inputs(table)
    one = impute(attributes, members, ["sex", "age"], m=3, iterations=3, seed=5)
    two = impute(attributes, members, ["sex", "age"], m=3, iterations=3, seed=5)
    other = impute(attributes, members, ["sex", "age"], m=3, iterations=3, seed=6)
    for a, b in zip(one.completed, two.completed):
        pd.testing.assert_frame_equal(a, b)
    assert not one.completed[0]["age"].equals(other.completed[0]["age"])
    known_age = attributes["age"].notna().to_numpy()
    observed_ages = set(attributes["age"].dropna().astype(int))
    for frame in one.completed:
        assert frame["sex"].notna().all() and frame["age"].notna().all()
        assert (frame["age"].to_numpy()[known_age] == attributes["age"].to_numpy()[known_age]).all()
        assert set(frame["age"].astype(int)) <= observed_ages  # predictive mean matching copies real ages
        assert (
            frame["sex"].to_numpy()[attributes["sex"].notna().to_numpy()] == attributes["sex"].dropna()
        ).all()
    assert one.counts() == {
        "sex": int(attributes["sex"].isna().sum()),
        "age": int(attributes["age"].isna().sum()),
    }
    assert len(one.completed) == 3 and one.settings["seed"] == 5


def test_imputed_sex_follows_the_lists_not_the_margin():
    """Sex is missing more on list A, and list A documents mostly men: the margin would be biased."""
    rng = np.random.default_rng(3)
    n = 6000
    male = rng.random(n) < 0.5
    a = rng.random(n) < np.where(male, 0.7, 0.15)
    b = rng.random(n) < 0.4
    c = rng.random(n) < 0.4
    seen = a | b | c
    ids = [f"p{i:06d}" for i in range(seen.sum())]  # sorted as the rows: attributes keep this order
    frame = pd.DataFrame({"person_id": ids, "A": a[seen], "B": b[seen], "C": c[seen]})
    frame[LISTS] = frame[LISTS].astype(np.int8)
    sex = np.where(male[seen], "M", "F").astype(object)
    blank = rng.random(len(frame)) < np.where(frame["A"] == 1, 0.4, 0.05)
    frame["sex"] = np.where(blank, None, sex)
    frame["age"] = pd.array([30] * len(frame), dtype="Int64")
    for name in ("date_of_death", "place", "region", "victim_group"):
        frame[name] = None
    attributes, members = _inputs(frame)
    assert attributes["person_id"].tolist() == ids
    truth = np.where(male[seen], "M", "F")
    gap = attributes["sex"].isna().to_numpy()
    imputed = impute(attributes, members, ["sex"], m=10, iterations=2, seed=1)
    share = np.mean([(f["sex"].to_numpy()[gap] == "M").mean() for f in imputed.completed])
    true_share = (truth[gap] == "M").mean()
    margin = (attributes["sex"].dropna() == "M").mean()
    se = math.sqrt(true_share * (1 - true_share) / gap.sum())  # binomial error of the gap's true share
    assert abs(share - true_share) < 4 * se
    assert abs(margin - true_share) > 4 * se  # a model that ignored the lists would fail the line above


def test_refusals(table):
    attributes, members = _inputs(table)
    with pytest.raises(ConfigError, match="cannot impute 'date_of_death'.*imputed as 'date'"):
        impute(attributes, members, ["date_of_death"], m=2, seed=1)
    with pytest.raises(ConfigError, match="no person has a known region"):
        impute(attributes, members, ["region"], m=2, seed=1)


def test_every_person_is_in_one_stratum_of_every_imputation(table):
    attributes, members = _inputs(table)
    persons = linked_persons(table, LISTS)
    imputation = impute(attributes, members, ["sex", "age"], m=3, iterations=2, seed=2)
    scheme = Scheme.from_config(
        "s", {"by": ["sex", "age_band"], "age_bands": [0, 18, 35, 60, 121]}, "2020-01-01"
    )
    per, counts = imputed_strata(persons, imputation, scheme, LISTS)
    assert all(set(tables) == set(per[0]) for tables in per)
    assert not any("unknown" in s for s in per[0])
    for j, tables in enumerate(per):
        assert sum(meta["n_observed"] for _, meta in tables.values()) == len(table)
        for f, total in imputation.counts().items():
            assert sum(counts[s][f][j] for s in counts) == total
    without = assign_strata(attributes, scheme)
    assert (without.str.contains("unknown")).sum() > 0  # what imputation removes
    # people placed by an imputed value: those with sex or age missing, each once, in their imputed stratum
    placed = (attributes["sex"].isna() | attributes["age"].isna()).to_numpy()
    assert 0 < placed.sum() < sum(imputation.counts().values())  # some miss both: counted once, not twice
    for j, tables in enumerate(per):
        assert sum(meta["imputed_stratum"] for _, meta in tables.values()) == placed.sum()
        labels = assign_strata(imputation.completed[j], scheme)
        for s, (_table, meta) in tables.items():
            assert meta["imputed_stratum"] == int((labels[placed] == s).sum()) <= meta["n_observed"]
    from undercount.impute import imputation_summary_meta

    s = sorted(per[0])[0]
    metas = [{**tables[s][1], "usable": True} for tables in per]
    summary = imputation_summary_meta(metas, counts[s], LISTS)
    each = [meta["imputed_stratum"] for meta in metas]
    assert summary["imputed_stratum"] == {"mean": float(np.mean(each)), "min": min(each), "max": max(each)}
    # a scheme by sex only: a missing age does not move anyone's stratum
    by_sex = Scheme.from_config("s", {"by": ["sex"]}, "2020-01-01")
    per_sex, _ = imputed_strata(persons, imputation, by_sex, LISTS)
    assert sum(meta["imputed_stratum"] for _, meta in per_sex[0].values()) == attributes["sex"].isna().sum()


def result(n_hat, low, high, draws=None, lists=("A", "B", "C"), warnings=()):
    return EstimateResult(
        method="x",
        lists=lists,
        n_observed=100,
        n_hat=n_hat,
        ci_low=low,
        ci_high=high,
        warnings=tuple(warnings),
        draws=None if draws is None else Draws(np.asarray(draws, dtype=float).reshape(1, -1), "posterior"),
    )


def test_pool_refuses_one_imputation_and_warns_below_ten():
    one = pool([result(150, 130, 180)])
    assert not one.estimable and "at least 2" in one.warnings[-1]
    few = pool([result(150, 130, 180), result(160, 135, 190)])
    assert few.estimable and few.details.how == "rubin"
    assert any(f"fewer than {FEW_IMPUTATIONS}" in w for w in few.warnings)
    many = pool([result(150 + i, 130, 180 + i) for i in range(FEW_IMPUTATIONS)])
    assert not any("fewer than" in w for w in many.warnings)
    assert many.details["imputations"] == FEW_IMPUTATIONS


def test_pool_rubin_matches_the_rules():
    from scipy import stats

    rs = [result(150, 130, 180), result(170, 140, 210), result(160, 135, 200)]
    pooled = pool(rs, level=0.95)
    z = stats.norm.ppf(0.975)
    q = [math.log(r.n_hat - 100) for r in rs]
    u = [((math.log(r.ci_high - 100) - math.log(r.ci_low - 100)) / (2 * z)) ** 2 for r in rs]
    within, between = np.mean(u), np.var(q, ddof=1)
    assert pooled.n_hat == pytest.approx(100 + math.exp(np.mean(q)), rel=1e-12)
    assert pooled.details.within_variance == pytest.approx(within, rel=1e-12)
    assert pooled.details.between_variance == pytest.approx(between, rel=1e-12)
    df = 2 * (1 + within / ((4 / 3) * between)) ** 2
    t = stats.t.ppf(0.975, df)
    assert pooled.ci_high == pytest.approx(
        100 + math.exp(np.mean(q) + t * math.sqrt(within + 4 / 3 * between))
    )


def test_pool_mixes_draws_and_keeps_within_and_between(table):
    rng = np.random.default_rng(0)
    rs = [result(150, 0, 0, draws=rng.normal(150 + 10 * i, 5, 400)) for i in range(4)]
    pooled = pool(rs, imputed={"sex": {"mean": 3.0}})
    assert pooled.details.how == "mixture"
    assert pooled.draws.values.shape == (4, 400)
    assert pooled.details.between_variance == pytest.approx(
        np.var([np.mean(r.draws.pooled) for r in rs]), rel=1e-9
    )
    assert 0 < pooled.details.width_share_between < 1
    assert pooled.details["imputed"] == {"sex": {"mean": 3.0}}


def test_pool_refuses_imputations_with_different_lists():
    pooled = pool([result(150, 130, 180), result(150, 130, 180, lists=("A", "B"))])
    assert not pooled.estimable and "same lists" in pooled.warnings[-1]


def test_condensed_warnings_group_kinds_differing_only_in_numbers():
    rs = {
        "1": result(1, 0, 2, warnings=("shared", "grid stopped at N = 14,948")),
        "2": result(1, 0, 2, warnings=("shared", "grid stopped at N = 13,231")),
        "3": result(1, 0, 2, warnings=("shared", "other")),
    }
    out = condensed_warnings(rs)
    assert out == [
        "every imputation: shared",
        "in 2 of 3 imputations (1, 2), as imputation 1: grid stopped at N = 14,948",
        "imputation 3: other",
    ]


# ------------------------------------------------------------------ dates
def _dated(seed=3, n=3000):
    """Persons on lists A, B, C whose date of death depends on the lists, with B-only dates blank.

    List A documents mostly the first days (0-6 after 2022-01-02), list B mostly
    the later ones (7-27); list B often omits the date (40% of its people),
    the others at 5%, so the gaps are mostly of people who died later. Returns
    the table, the true day numbers and which dates are blank.
    """
    from datetime import date, timedelta

    rng = np.random.default_rng(seed)
    late = rng.random(n) < 0.5
    day = np.where(late, rng.integers(7, 28, n), rng.integers(0, 7, n))
    caps = np.column_stack(
        [
            rng.random(n) < np.where(late, 0.15, 0.6),
            rng.random(n) < np.where(late, 0.6, 0.15),
            rng.random(n) < 0.4,
        ]
    ).astype(np.int8)
    seen = caps.any(axis=1)
    caps, day = caps[seen], day[seen]
    frame = pd.DataFrame({"person_id": [f"p{i:05d}" for i in range(len(day))]})
    for j, name in enumerate(LISTS):
        frame[name] = caps[:, j]
    dates = [(date(2022, 1, 2) + timedelta(days=int(d))).isoformat() for d in day]
    blank = rng.random(len(day)) < np.where(caps[:, 1] == 1, 0.4, 0.05)
    frame["date_of_death"] = [None if b else d for d, b in zip(dates, blank)]
    frame["sex"] = None
    frame["age"] = pd.array([None] * len(day), dtype="Int64")
    for name in ("place", "region", "victim_group"):
        frame[name] = None
    return frame, np.asarray(day), blank


def test_dates_are_imputed_from_donors_and_their_periods_follow_the_lists():
    frame, day, blank = _dated()
    attributes, members = _inputs(frame)
    order = np.argsort(frame["person_id"].to_numpy(), kind="stable")  # linked_attributes sorts by id
    day, blank = day[order], blank[order]
    imputation = impute(attributes, members, ["date"], m=10, iterations=3, seed=4)
    assert imputation.counts() == {"date": int(blank.sum())}
    observed = set(attributes["date"].dropna())
    late_known = (day[~blank] >= 7).mean()
    late_gap = (day[blank] >= 7).mean()
    share = []
    for completed in imputation.completed:
        dates = completed["date"].to_numpy()
        assert (dates[~blank] == attributes["date"].to_numpy()[~blank]).all()  # known dates untouched
        assert set(dates[blank]) <= observed  # predictive mean matching copies real dates
        days = np.array([(pd.Timestamp(d) - pd.Timestamp("2022-01-02")).days for d in dates[blank]])
        share.append((days >= 7).mean())
    se = math.sqrt(late_gap * (1 - late_gap) / blank.sum())
    assert abs(np.mean(share) - late_gap) < 4 * se  # the lists say who died later
    assert abs(late_known - late_gap) > 4 * se  # a model that ignored the lists would miss it

    persons = linked_persons(frame, LISTS)
    scheme = Scheme.from_config(
        "weeks", {"by": ["period"], "periods": {"week-1": [0, 6], "later": [7, 27]}}, "2022-01-02"
    )
    assert (assign_strata(attributes, scheme) == "period-unknown").sum() == blank.sum()
    per, counts = imputed_strata(persons, imputation, scheme, LISTS)
    assert sorted(per[0]) == ["period-later", "period-week-1"]  # no unknown period left
    for j, tables in enumerate(per):
        assert sum(meta["n_observed"] for _, meta in tables.values()) == len(frame)
        assert sum(meta["imputed_stratum"] for _, meta in tables.values()) == blank.sum()
        assert sum(counts[s]["date"][j] for s in counts) == blank.sum()


def test_a_date_that_is_not_iso_is_refused_without_showing_it():
    frame, _day, blank = _dated(n=300)
    attributes, members = _inputs(frame)
    k = int(np.flatnonzero(attributes["date"].notna().to_numpy())[3])
    attributes.loc[k, "date"] = "05.01.2022"
    with pytest.raises(ConfigError, match=rf"the date of person {k + 1} .* is not an ISO date") as err:
        impute(attributes, members, ["date"], m=2, seed=1)
    assert "05.01.2022" not in str(err.value)


def test_period_schemes_are_imputed_when_the_date_is():
    from undercount.config import imputed_schemes

    config = {
        "impute": {"fields": ["date"]},
        "strata": {"weeks": {"by": ["period"]}, "sex": {"by": ["sex"]}},
    }
    assert imputed_schemes(config) == ["weeks"]


def test_a_pattern_with_no_observed_value_is_not_left_to_chance(monkeypatch):
    """A list that records a field for no one: its people alone (pattern C only) have none observed.

    The seven list terms (intercept, three lists, three pairs) then have one direction
    the observed patterns do not fix. Predictive mean matching leaves the aliased term
    out, as R's ``lm`` does, so the pattern's prediction is additive in the lists and its
    donors are the people predicted nearest: here, with y = 50 + 10 A + 20 B + 5 C + e
    (e ~ N(0, 1)), those on A only, about 60, in every imputation (their mean varies by
    1 / sqrt(donor draws), hundredths). Kept in, that direction's posterior is as wide
    as the numerical ridge allows and the pattern lands anywhere between 60 and 85.
    """
    import undercount.impute as module
    from undercount.impute import _list_terms, _pmm

    rng = np.random.default_rng(0)
    lists = rng.random((3000, 3)) < 0.5
    lists = lists[lists.any(axis=1)].astype(float)
    y = 50 + 10 * lists[:, 0] + 20 * lists[:, 1] + 5 * lists[:, 2] + rng.normal(0, 1, len(lists))
    only_c = (lists[:, 2] == 1) & (lists[:, :2].sum(axis=1) == 0)
    X = _list_terms(lists)

    def means():
        return np.array([_pmm(X, y, only_c, 5, np.random.default_rng(s)).mean() for s in range(20)])

    fixed = means()
    assert np.all(np.abs(fixed - 60) < 0.5) and fixed.std() < 0.2
    monkeypatch.setattr(module, "_independent_columns", lambda gram, tol=1e-9: np.arange(gram.shape[0]))
    assert means().max() > 70  # every term kept: left to the ridge's chance


def test_independent_columns_drop_what_earlier_columns_span():
    from undercount.impute import _independent_columns

    rng = np.random.default_rng(0)
    a, b = rng.random(50), rng.random(50)
    X = np.column_stack([np.ones(50), a, b, a + 2 * b, np.zeros(50), a * b])
    assert list(_independent_columns(X.T @ X)) == [0, 1, 2, 5]
