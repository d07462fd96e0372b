import math

import pandas as pd
import pytest
from conftest import ROOT

from undercount.figures.comparison import (
    coverage_data,
    forest_data,
    forest_figure,
    reported_vs_estimated_data,
    strata_data,
)
from undercount.figures.list_sizes import implied_by_overlap, list_sizes_figure, published_list_sizes


def estimates():
    rows = [
        ("jan2022", "deaths", "all", "mt", 300, 350.0, 330.0, 380.0, ""),
        ("jan2022", "deaths", "all", "chapman", 280, 340.0, 300.0, math.inf, "small overlap"),
        ("jan2022", "deaths", "city:almaty", "mt", 150, 170.0, 160.0, 190.0, ""),
        (
            "jan2022",
            "deaths",
            "city:unknown",
            "mt",
            3,
            float("nan"),
            float("nan"),
            float("nan"),
            "not usable",
        ),
        ("jan2022", "detentions", "all", "mt", 6000, 9000.0, 8500.0, 9600.0, ""),
    ]
    cols = [
        "event",
        "population",
        "stratum",
        "method",
        "n_observed",
        "n_hat",
        "ci_low",
        "ci_high",
        "warnings",
    ]
    return pd.DataFrame(rows, columns=cols)


def test_forest_flags_and_draws_unbounded_ends_to_the_edge():
    data = forest_data(estimates(), "deaths", {"jan2022": "Jan"}).set_index("row")
    assert data.loc["all  ·  mt", "status"] == "no warnings"
    assert data.loc["all  ·  chapman", "status"] == "with warnings"
    assert data.loc["all  ·  chapman", "high_drawn"] == 3 * 350.0
    unusable = data.loc["city:unknown  ·  mt"]
    assert unusable["status"] == "not estimable" and unusable["x"] == 3
    plot, _ = forest_figure(estimates(), "deaths", {}, 0.95, synthetic=True)
    assert "SYNTHETIC" in plot.labels.caption


def test_coverage_is_the_official_count_over_the_total():
    meta = {"jan2022": {"people_per_list": {"official": 240, "ngo": 200}}}
    data = coverage_data(estimates(), meta, {"jan2022": "official"}, {"jan2022": "Jan"}).set_index("method")
    assert data.loc["mt", "share"] == pytest.approx(240 / 350)
    assert data.loc["mt", "share_low"] == pytest.approx(240 / 380)
    assert data.loc["mt", "share_high"] == pytest.approx(240 / 330)
    assert data.loc["chapman", "share_low"] == 0.0  # unbounded total: share can be arbitrarily small


def test_strata_data_pairs_counts_with_estimates():
    meta = {
        "almaty": {"n_observed": 150, "people_per_list": {"official": 120}},
        "unknown": {"n_observed": 3, "people_per_list": {}},
    }
    data = strata_data(estimates(), meta, "official", "jan2022", "deaths", "city").set_index("stratum")
    assert data.loc["almaty", "undercount"] == 20 and data.loc["almaty", "official"] == 120
    assert data.loc["unknown", "status"] == "not estimable" and math.isnan(data.loc["unknown", "undercount"])


def test_strata_figure_counts_imputed_people_in_their_imputed_strata_and_marks_them():
    from undercount.figures.comparison import IMPUTED_STRATUM, KNOWN_STRATUM, strata_bars, strata_figure

    frame = estimates()
    frame.loc[frame["stratum"] == "city:unknown", "stratum"] = "city:other"
    meta = {  # imputation_summary_meta's shape: means over 20 imputations
        "almaty": {
            "n_observed": 150.0,
            "people_per_list": {"official": 120.0},
            "imputations": 20,
            "imputed_stratum": {"mean": 12.5, "min": 10, "max": 15},
        },
        "other": {
            "n_observed": 3.0,
            "people_per_list": {},
            "imputations": 20,
            "imputed_stratum": {"mean": 0.0, "min": 0, "max": 0},
        },
    }
    data = strata_data(frame, meta, "official", "jan2022", "deaths", "city").set_index("stratum")
    assert data.loc["almaty", "imputed_stratum"] == 12.5 and data.loc["almaty", "documented"] == 150.0
    assert data.loc["almaty", "imputations"] == 20 and data.loc["other", "imputed_stratum"] == 0.0
    bars = strata_bars(data.reset_index()).set_index(["stratum", "part"])["people"]
    assert bars[("almaty", KNOWN_STRATUM)] == 137.5 and bars[("almaty", IMPUTED_STRATUM)] == 12.5
    assert bars[("other", KNOWN_STRATUM)] == 3.0 and bars[("other", IMPUTED_STRATUM)] == 0.0
    plot, _ = strata_figure(data.reset_index(), "t", 0.95, synthetic=True)
    assert "12.5 in all (the mean over 20 imputations)" in plot.labels.caption
    # without imputation: one bar per stratum, no imputed column, no such caption
    plain = {
        k: {"n_observed": int(v["n_observed"]), "people_per_list": v["people_per_list"]}
        for k, v in meta.items()
    }
    data = strata_data(frame, plain, "official", "jan2022", "deaths", "city")
    assert "imputed_stratum" not in data and list(strata_bars(data)["part"].unique()) == [KNOWN_STRATUM]
    plot, _ = strata_figure(data, "t", 0.95, synthetic=True)
    assert "imputed value" not in plot.labels.caption


def test_reported_vs_estimated_places_estimate_after_last_report():
    reported = pd.read_csv(ROOT / "data" / "reported_figures.csv")
    tolls, est = reported_vs_estimated_data(reported, estimates(), {"jan2022": ("Jan", "2022-01-02")}, "mt")
    assert len(est) == 1 and est.iloc[0]["n_hat"] == 350.0
    assert est.iloc[0]["days_since_start"] > tolls["days_since_start"].max()


def test_list_sizes_are_the_published_ones_and_chapman_per_overlap():
    reported = pd.read_csv(ROOT / "data" / "reported_figures.csv")
    sizes = published_list_sizes(reported, "jan2022")
    assert sorted(sizes.values()) == [188, 221, 238]
    data = implied_by_overlap(sizes)
    row = data[(data["n_a"] == 188) & (data["n_b"] == 238) & (data["overlap"] == 100)].iloc[0]
    assert row["n_hat"] == pytest.approx(189 * 239 / 101 - 1)
    assert row["documented"] == 326 and row["ci_low"] < row["n_hat"] < row["ci_high"]
    assert data.groupby("pair")["overlap"].max().sort_values().tolist() == [188, 188, 221]
    plot, _ = list_sizes_figure(reported, "jan2022", "January 2022")
    assert "REAL published list sizes only" in plot.labels.caption


def test_reported_vs_estimated_draws_the_span_of_a_span_headline():
    reported = pd.read_csv(ROOT / "data" / "reported_figures.csv")
    events = {"jan2022": ("Jan", "2022-01-02")}
    _, est = reported_vs_estimated_data(reported, estimates(), events, "mt|chapman")
    row = est.iloc[0]
    assert len(est) == 1 and row["method"] == "span(mt, chapman)"
    assert (row["n_hat"], row["ci_low"], row["ci_high"]) == (350.0, 300.0, math.inf)
    assert row["warnings"] == "model chapman: small overlap"
    frame = estimates()
    frame.loc[frame["method"] == "chapman", "n_hat"] = float("nan")
    _, est = reported_vs_estimated_data(reported, frame, events, "mt|chapman")
    assert math.isnan(est.iloc[0]["n_hat"]) and "not estimable as a span: chapman" in est.iloc[0]["warnings"]


def test_the_figures_span_says_what_the_reports_span_says():
    """The span drawn from estimates.csv rows carries the warnings combine.span gives the report,
    word for word: each model's own, one shared by both once, and the refusal when one is missing."""
    from undercount.results import EstimateResult, combine
    from undercount.results.result import not_estimable

    reported = pd.read_csv(ROOT / "data" / "reported_figures.csv")
    events = {"jan2022": ("Jan", "2022-01-02")}
    lists = ("a", "b", "c", "d")
    cases = {
        "own and shared": (
            EstimateResult("mt", lists, 300, 350.0, 330.0, 380.0, warnings=("sparse", "R-hat 1.2")),
            EstimateResult("chapman", lists, 300, 340.0, 300.0, 390.0, warnings=("sparse", "misfit")),
        ),
        "one missing": (
            EstimateResult("mt", lists, 300, 350.0, 330.0, 380.0, warnings=("sparse",)),
            not_estimable("chapman", lists, 300, "not estimable: no MLE"),
        ),
    }
    for name, (mt, chapman) in cases.items():
        report = combine.span({"mt": mt, "chapman": chapman})
        frame = estimates()
        for r in (mt, chapman):
            at = frame["method"] == r.method
            frame.loc[at, ["n_hat", "ci_low", "ci_high"]] = [r.n_hat, r.ci_low, r.ci_high]
            frame.loc[at, "warnings"] = " | ".join(r.warnings)
        _, est = reported_vs_estimated_data(reported, frame, events, "mt|chapman")
        assert est.iloc[0]["warnings"].split(" | ") == list(report.warnings), name
