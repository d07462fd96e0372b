"""Each figure defect a reviewer found (issue: labels merging, crammed panels, placeholders, ...) has a test here.

They test the data and the plotnine objects the figures are drawn from: the
places of value labels, the panels, the axes' breaks and limits, titles, colours
and captions, and that no placeholder image is written.
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

import undercount
from undercount.config import population_label
from undercount.figures import SYNTHETIC_LABEL
from undercount.figures.common import (
    ESTIMATE_COLOUR,
    NOT_ESTIMABLE,
    NOT_ESTIMABLE_COLOUR,
    NothingToDraw,
    boxes_overlap,
    carries_synthetic_label,
    footnotes,
    nonnegative_limits,
    people_scale,
    whole_people_breaks,
)
from undercount.figures.comparison import forest_figure, strata_data, strata_figure
from undercount.figures.estimates import documented_vs_estimated_data, documented_vs_estimated_figure
from undercount.figures.posterior import posterior_figure
from undercount.figures.reported import reported_tolls_data, reported_tolls_figure

EVENTS = {"jan2022": ("January 2022", "2022-01-02"), "zhanaozen2011": ("Zhanaozen", "2011-12-16")}
LINKAGE = "persons were linked by probabilistic matching; a missed link splits one person into two"


def _scale(plot, aesthetic: str):
    return next(s for s in plot.scales if aesthetic in s.aesthetics)


def _estimates(population: str = "deaths") -> pd.DataFrame:
    """Three tables of five methods, the linkage caveat on every row (the demo's 25-row forest, in small)."""
    rows = []
    for stratum, documented in (("all", 300), ("city:almaty", 170), ("city:unknown", 2)):
        for method in ("chapman", "dga", "lcmcr", "mt", "stepwise-bca"):
            estimable = stratum != "city:unknown"
            rows.append(
                {
                    "event": "jan2022",
                    "population": population,
                    "stratum": stratum,
                    "method": method,
                    "n_observed": documented,
                    "n_hat": documented * 1.05 if estimable else np.nan,
                    "ci_low": documented * 1.0 if estimable else np.nan,
                    "ci_high": documented * 1.2 if estimable else np.nan,
                    "warnings": "" if estimable else "stratum not estimable: too few lists",
                    "caveats": LINKAGE
                    + (" | two lists cannot reveal dependence" if method == "chapman" else ""),
                }
            )
    return pd.DataFrame(rows)


# ------------------------------------------------------------- value labels in reported_tolls.png
def test_reported_toll_labels_never_overlap():
    """241 (29 July 2022) and 238 (16 August 2022) merged into '2418' when both sat above their points."""
    data = reported_tolls_data(pd.read_csv(ROOT / "data" / "reported_figures.csv"), EVENTS)
    jan = data[data["event"] == "jan2022"].set_index("as_of")
    assert jan.loc["2022-07-29", "label"] == "241" and jan.loc["2022-08-16", "label"] == "238"
    assert jan.loc["2022-07-29", "label_where"] != jan.loc["2022-08-16", "label_where"]
    from undercount.figures.common import place_labels
    from undercount.figures.reported import EXPAND, PANEL_IN

    for _event, panel in data.groupby("event"):
        places = place_labels(
            np.log1p(panel["days_since_start"].astype(float)),
            panel["value"].astype(float),
            panel["label"],
            width_in=PANEL_IN[0] / EXPAND[0],
            height_in=PANEL_IN[1] / EXPAND[1],
        )
        boxes = [p["box"] for p in places]
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                assert not boxes_overlap(boxes[i], boxes[j]), (panel["label"].iloc[i], panel["label"].iloc[j])
    # the figure draws each label at its place, not at the point
    plot, _ = reported_tolls_figure(pd.read_csv(ROOT / "data" / "reported_figures.csv"), EVENTS)
    text = next(layer for layer in plot.layers if type(layer.geom).__name__ == "geom_text")
    assert text.mapping["x"] == "label_x" and text.mapping["y"] == "label_y"


def test_boxes_overlap():
    assert boxes_overlap((0, 0, 1, 1), (0.5, 0.5, 2, 2))
    assert not boxes_overlap((0, 0, 1, 1), (1, 0, 2, 1))  # touching


# ---------------------------------------------------------------- axes of people
@pytest.mark.parametrize(
    "limits", [(0, 2.2), (0.0, 0.4), (-3, 7), (137.2, 151.9), (0, 9631.5), (8000, 10000), (40.6, 69.3)]
)
def test_axes_of_people_have_whole_nonnegative_breaks(limits):
    breaks = whole_people_breaks(limits)
    assert breaks, limits
    assert all(float(b).is_integer() and b >= 0 for b in breaks), breaks
    assert 1 <= len(breaks) <= 7
    assert min(breaks) >= max(0, limits[0]) - 1e-9 and max(breaks) <= limits[1] + 1e-9


def test_people_scales_never_go_below_zero():
    assert nonnegative_limits((-4.5, 12.0)) == (0.0, 12.0)
    assert people_scale("x").limits == (0, None)
    assert people_scale("y", zero=False).limits is nonnegative_limits


@pytest.mark.parametrize("population", ["deaths", "deaths_in_custody"])
def test_forest_axes_titles_and_panels(population):
    plot, data = forest_figure(_estimates(population), population, {"jan2022": "January 2022"}, 0.95, True)
    x = _scale(plot, "x")
    assert x.limits == (0, None) and x.breaks is whole_people_breaks
    # the title names the population as people read it, never the id (Deaths_in_custody)
    assert plot.labels.title == f"{population_label(population)}: every method on every table"
    assert "_" not in plot.labels.title
    # one panel per table, none holding more rows than there are methods (25 rows in one panel before)
    per_panel = data.groupby("panel").size()
    assert len(per_panel) == 3 and per_panel.max() == data["method"].nunique() == 5
    assert carries_synthetic_label(plot)


def test_population_labels():
    assert population_label("deaths_in_custody") == "Deaths in custody"
    assert population_label("torture") == "Detainees alleging torture"


# ------------------------------------------------------------- not estimable: grey, its own marker
def _layer_colours(plot):
    return [layer.geom.aes_params.get("color") for layer in plot.layers]


def test_not_estimable_is_grey_with_its_own_marker_and_words():
    plot, data = forest_figure(_estimates(), "deaths", {"jan2022": "January 2022"}, 0.95, False)
    none = data[data["status"] == NOT_ESTIMABLE]
    assert len(none) == 5 and none["text"].str.startswith(NOT_ESTIMABLE).all()
    assert NOT_ESTIMABLE_COLOUR in _layer_colours(plot) and NOT_ESTIMABLE_COLOUR != ESTIMATE_COLOUR
    assert _scale(plot, "shape").palette(3)[NOT_ESTIMABLE] == "x"  # a cross, not the estimates' circle
    # the grey layer draws exactly the tables without an estimate, and no estimate is drawn grey
    grey = [layer for layer in plot.layers if layer.geom.aes_params.get("color") == NOT_ESTIMABLE_COLOUR]
    assert {type(layer.geom).__name__ for layer in grey} == {"geom_point", "geom_text"}
    assert set().union(*(set(layer.geom.data["status"]) for layer in grey)) == {NOT_ESTIMABLE}


def test_documented_vs_estimated_draws_not_estimable_in_grey():
    estimates = pd.DataFrame(
        [
            {
                "event": "jan2022",
                "method": "mt",
                "n_hat": 300.0,
                "ci_low": 280.0,
                "ci_high": 330.0,
                "warnings": "",
                "caveats": LINKAGE,
            },
            {
                "event": "jan2022",
                "method": "chapman",
                "n_hat": np.nan,
                "ci_low": np.nan,
                "ci_high": np.nan,
                "warnings": "no overlap",
                "caveats": LINKAGE,
            },
        ]
    )
    histories = {"jan2022": {"people_per_list": {"a": 100, "b": 120}, "n_observed": 200}}
    data = documented_vs_estimated_data(estimates, histories, {"jan2022": "January 2022"}, {})
    plot, _ = documented_vs_estimated_figure(data, "deaths_in_custody", 0.95, synthetic=True)
    from undercount.figures.estimates import KIND_COLOURS

    assert KIND_COLOURS[NOT_ESTIMABLE] == NOT_ESTIMABLE_COLOUR != KIND_COLOURS["estimated total"]
    assert set(plot.data["kind"]) >= {NOT_ESTIMABLE, "estimated total"}
    assert plot.data.loc[plot.data["kind"] == NOT_ESTIMABLE, "item"].tolist() == ["estimate: chapman"]
    assert plot.labels.title == "Deaths in custody: documented and estimated"
    assert _scale(plot, "x").breaks is whole_people_breaks
    # the linkage caveat of both estimates: once in the caption, marked on neither
    assert plot.labels.caption.count(LINKAGE) == 1
    assert (
        not data["flag"].str.contains("⚠").any()
        or data.loc[data["item"] == "estimate: mt", "flag"].eq("").all()
    )
    assert SYNTHETIC_LABEL in plot.labels.caption


# ---------------------------------------------------- caveats: once in the caption, marks for differences
def test_shared_caveats_go_once_in_the_caption_and_marks_only_differences():
    rows = _estimates()
    notes = footnotes(rows["warnings"], rows["caveats"])
    assert notes.common == [LINKAGE]  # on every row: said once, marked nowhere
    marked = {m for m in notes.marks if m}
    assert marked  # chapman's two-list caveat and the not-estimable reason differ between rows
    assert all("⚠" in m for m in marked)
    assert LINKAGE not in notes.numbered
    plot, _ = forest_figure(rows, "deaths", {"jan2022": "January 2022"}, 0.95, False)
    assert plot.labels.caption.count(LINKAGE) == 1
    assert "two lists cannot reveal dependence" in plot.labels.caption
    # only the chapman rows carry the two-list caveat's mark
    chapman = pd.Series(notes.marks)[rows["method"].eq("chapman").to_numpy()]
    assert (chapman != "").all()
    clean = pd.Series(notes.marks)[(rows["method"].eq("mt") & rows["stratum"].ne("city:unknown")).to_numpy()]
    assert (clean == "").all()


def test_marks_are_ranges():
    notes = footnotes(pd.Series([" | ".join(f"w{i}" for i in range(5))] + ["w5", ""]))
    assert notes.marks[0] == "⚠1–5" and notes.marks[1] == "⚠6" and notes.marks[2] == ""


def test_strata_marks_skip_the_shared_caveat():
    estimates = _estimates().assign(stratum=lambda d: d["stratum"].replace({"all": "city:other"}))
    meta = {s: {"n_observed": 10, "people_per_list": {"official": 5}} for s in ("almaty", "unknown", "other")}
    data = strata_data(estimates, meta, "official", "jan2022", "deaths", "city")
    plot, _ = strata_figure(data, "January 2022: deaths by city", 0.95, synthetic=True)
    assert plot.labels.caption.count(LINKAGE) == 1
    assert data.loc[data["method"] == "mt", "flag"].iloc[0] == ""
    assert _scale(plot, "y").limits == (0, None)
    assert carries_synthetic_label(plot)


# -------------------------------------------------------------- no placeholder images
def _not_estimable(method: str):
    """The result the workflow keeps for a table a method cannot estimate."""
    from undercount.results.result import not_estimable

    return not_estimable(method, ("A", "B"), 12, f"not estimable: method '{method}' needs at least 3 lists")


@pytest.mark.parametrize("figure", ["trace", "density", "posterior"])
def test_a_table_without_estimate_gets_no_posterior_figure(figure):
    result = _not_estimable("lcmcr" if figure != "posterior" else "dga")
    assert not result.estimable
    with pytest.raises(NothingToDraw) as raised:
        posterior_figure(result, figure, title="t", synthetic=True)
    assert raised.value.reason == result.warnings[-1]


def test_the_figure_scripts_write_no_placeholder_and_say_why(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import figures_models
    finally:
        sys.path.pop(0)
    good = undercount.estimate(
        undercount.CaptureTable.from_frame(
            pd.DataFrame(
                {
                    "A": [1, 0, 1, 1, 0, 1, 0],
                    "B": [0, 1, 1, 0, 1, 1, 0],
                    "C": [0, 0, 0, 1, 1, 1, 1],
                    "count": [20, 25, 8, 10, 9, 4, 12],
                }
            )
        ),
        "mt",
    )
    bad = _not_estimable("mt")
    paths = []
    for name, result in (("good", good), ("bad", bad)):
        path = tmp_path / f"{name}.json"
        result.write(path)
        paths.append(str(path))
    out = tmp_path / "residuals" / "mt"
    figures_models.main(
        estimates=paths,
        folders={"residuals": str(tmp_path / "residuals")},
        methods={"mt": {"kind": "residuals", "figures": ["residuals"]}},
        tables=["e1/deaths", "e2/deaths"],
        event_labels={"e1": "One", "e2": "Two"},
        source_labels={"e1": {}, "e2": {}},
        synthetic={"e1/deaths": True, "e2/deaths": True},
        log=str(tmp_path / "r.log"),
    )
    assert sorted(p.name for p in out.glob("*.png")) == ["e1_deaths.png"]  # no image for the table without
    index = pd.read_csv(out / "index.tsv", sep="\t", keep_default_na=False)
    assert index.set_index("table").loc["e2_deaths", "file"] == ""
    assert index.set_index("table").loc["e2_deaths", "reason"] == bad.warnings[-1]
    out = tmp_path / "lcmcr" / "lcmcr"
    figures_models.main(
        estimates=[paths[1]],
        folders={"lcmcr": str(tmp_path / "lcmcr")},
        methods={"lcmcr": {"kind": "lcmcr", "figures": ["trace", "density"]}},
        tables=["e2/deaths"],
        event_labels={"e2": "Two"},
        source_labels={"e2": {}},
        synthetic={"e2/deaths": True},
        log=str(tmp_path / "p.log"),
    )
    assert not list(out.glob("*.png"))
    assert len(pd.read_csv(out / "index.tsv", sep="\t")) == 2


def test_the_workflow_declares_no_per_table_placeholder():
    """The per-table model figures are directories (only real images in them), not one PNG per table:
    one folder per kind of figure, one sub-folder per method, whose name the report reads."""
    common = (ROOT / "workflow" / "rules" / "common.smk").read_text("utf-8")
    assert 'directory(f"results/figures/{kind}")' in common
    assert 'patterns=["{label}/{name}.png"]' in common
    for name in ("residuals", "lcmcr", "dga"):
        assert f'"{name}": ("../report/{name}.rst",' in common
    assert "no_estimate_panel" not in Path(ROOT / "src" / "undercount" / "figures" / "common.py").read_text(
        "utf-8"
    )


# ------------------------------------------------------------ events_compared.png
def _answers():
    from undercount import landing
    from undercount.results import EstimateResult
    from undercount.results.result import not_estimable

    out = []
    for event, label in (("jan2022", "January 2022"), ("zhanaozen2011", "Zhanaozen")):
        for population in ("deaths", "torture", "deaths_in_custody"):
            estimable = population != "deaths_in_custody"
            result = (
                EstimateResult("lcmcr", ("a", "b", "c"), 300, 313.0, 306.0, 339.0)
                if estimable
                else not_estimable("lcmcr", ("a", "b", "c"), 2, "not estimable: fewer than two lists")
            )
            meta = {"lists": ["a", "b", "c"], "n_observed": result.n_observed, "people_per_list": {"a": 200}}
            out.append(
                landing.answer(
                    event=event,
                    event_label=label,
                    population=population,
                    meta=meta,
                    results={"lcmcr": result},
                    reported=None,
                    official_source=None,
                    synthetic=True,
                )
            )
    return out


def test_events_compared_names_every_panel_and_leaves_room_at_the_top():
    from undercount.figures.answer import events_compared_figure

    plot, data = events_compared_figure(_answers(), 0.95, synthetic=True)
    panels = list(plot.data["panel"].cat.categories)
    # every drawn row is in a named panel (a renamed population once fell into a panel titled 'nan')
    assert plot.data["panel"].notna().all() and set(data["panel"]) == set(panels)
    assert "January 2022\ndetainees alleging torture" in panels and not any("_" in p for p in panels)
    y = _scale(plot, "y")
    assert y.limits == (0, None) and y.breaks is whole_people_breaks
    assert y.expand[2] >= 0.2  # the two-line value labels above the tallest bar stay inside the panel
    grey = [layer for layer in plot.layers if layer.geom.aes_params.get("color") == NOT_ESTIMABLE_COLOUR]
    assert len(grey) == 1 and len(grey[0].geom.data) == 2  # the two tables without an estimate
    assert carries_synthetic_label(plot)


def test_events_compared_draws_a_span_headline_and_says_what_its_point_is():
    from undercount import landing
    from undercount.figures.answer import events_compared_figure
    from undercount.results import EstimateResult

    lists = ("a", "b", "c", "d")
    results = {
        "lcmcr": EstimateResult("lcmcr", lists, 300, 330.0, 310.0, 360.0),
        "mthg": EstimateResult("mth-gamma", lists, 300, 380.0, 330.0, 520.0),
    }
    meta = {"lists": list(lists), "n_observed": 300, "people_per_list": {"a": 200}}
    a = landing.answer(
        event="jan2022",
        event_label="January 2022",
        population="deaths",
        meta=meta,
        results=results,
        reported=None,
        official_source=None,
        synthetic=True,
    )
    plot, data = events_compared_figure([a], 0.95, synthetic=True)
    est = data[data["kind"] == "estimated total"].iloc[0]
    assert (est["value"], est["ci_low"], est["ci_high"]) == (330.0, 310.0, 520.0)
    assert est["method"] == "span(lcmcr, mthg)"
    assert "the point is a's estimate" in plot.labels.caption and carries_synthetic_label(plot)


def test_reported_versus_estimated_carries_the_synthetic_label():
    """Its red estimate rests on the lists: from synthetic ones, the figure says so (it did not)."""
    from undercount.figures.comparison import reported_vs_estimated_figure

    reported = pd.read_csv(ROOT / "data" / "reported_figures.csv")
    estimates = _estimates().assign(stratum="all").drop_duplicates("method")
    for synthetic in (True, False):
        plot, _ = reported_vs_estimated_figure(reported, estimates, EVENTS, "mt", 0.95, synthetic)
        assert carries_synthetic_label(plot) is synthetic
