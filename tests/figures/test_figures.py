import hashlib

import pandas as pd
from conftest import ROOT, benchmark_table

from undercount.figures import SYNTHETIC_LABEL, save_figure
from undercount.figures.estimates import documented_vs_estimated_data, documented_vs_estimated_figure
from undercount.figures.overlap import overlap_data, overlap_figure
from undercount.figures.reported import reported_tolls_data, reported_tolls_figure, scope_class

EVENTS = {"jan2022": ("January 2022", "2022-01-02"), "zhanaozen2011": ("Zhanaozen", "2011-12-16")}


def reported():
    return pd.read_csv(ROOT / "data" / "reported_figures.csv")


def test_reported_tolls_keep_comparable_rows_only():
    data = reported_tolls_data(reported(), EVENTS)
    assert set(data["class"]) == {"reported national total", "unofficial claim (unverified)"}
    assert not data["scope"].str.contains("Almaty city").any()  # partial counts left out
    jan = data[data["event"] == "jan2022"].set_index("as_of")
    assert jan.loc["2022-01-15", "days_since_start"] == 13 and jan.loc["2022-01-15", "value"] == 225
    z = data[data["event"] == "zhanaozen2011"]
    assert z["days_since_start"].min() == 0 and set(z[z["class"].str.startswith("unofficial")]["value"]) == {
        64,
        70,
    }
    assert "≥16" in set(z["label"])
    assert scope_class("security forces") == "partial count"


def test_overlap_data_ranks_patterns():
    table = benchmark_table("spina_bifida")
    data = overlap_data(table, {"BC": "birth certificates"})
    assert len(data) == len(table.counts) * 3
    first = data[data["rank"] == 1]
    assert first["count"].iloc[0] == table.counts.max()
    assert "birth certificates" in set(data["list_label"])
    assert data.drop_duplicates("rank")["count"].sum() == table.n_observed


def test_documented_vs_estimated_data():
    estimates = pd.DataFrame(
        [
            {
                "event": "jan2022",
                "method": "mt",
                "n_hat": 300.0,
                "ci_low": 280.0,
                "ci_high": 330.0,
                "warnings": "",
            },
            {
                "event": "jan2022",
                "method": "chapman",
                "n_hat": float("nan"),
                "ci_low": float("nan"),
                "ci_high": float("nan"),
                "warnings": "no overlap",
            },
        ]
    )
    meta = {"jan2022": {"people_per_list": {"a": 200, "b": 150}, "n_observed": 260}}
    data = documented_vs_estimated_data(estimates, meta, {"jan2022": "Jan"}, {"jan2022": {"a": "List A"}})
    assert list(data["kind"]) == [
        "one source",
        "one source",
        "documented (any source)",
        "estimated total",
        "estimated total",
    ]
    assert list(data["item"])[:2] == ["List A", "b"]
    assert data.iloc[4]["flag"] == "not estimable ⚠1"
    plot, _ = documented_vs_estimated_figure(data, "deaths", 0.95, synthetic=True)
    assert SYNTHETIC_LABEL in plot.labels.caption
    assert "⚠1: no overlap" in plot.labels.caption  # the caveat is on the figure itself


def test_warning_footnotes_number_distinct_warnings():
    from undercount.figures import warning_footnotes

    labels, text = warning_footnotes(pd.Series(["a | b", "", "b", None, "c" * 300]))
    assert labels == ["⚠1,2", "", "⚠2", "", "⚠3"]
    lines = text.split("\n")
    assert lines[:2] == ["⚠1: a", "⚠2: b"]
    assert lines[2].startswith("⚠3: ccc") and lines[2].endswith("(full text in results/estimates.csv)")


def test_figures_render_deterministically(tmp_path):
    plot, data = reported_tolls_figure(reported(), EVENTS)
    digests = []
    for i in range(2):
        save_figure(plot, data, tmp_path / f"r{i}.png")
        digests.append(hashlib.sha256((tmp_path / f"r{i}.png").read_bytes()).hexdigest())
    assert digests[0] == digests[1]
    assert (tmp_path / "r0.tsv").read_text().startswith("event\tevent_label")
    plot, data = overlap_figure(benchmark_table("HIV"), "HIV", synthetic=True)
    save_figure(plot, data, tmp_path / "o.png")
    assert (tmp_path / "o.png").stat().st_size > 10_000


def test_imputation_figure_data_and_label(tmp_path):
    """Each imputation's estimate and the pooled one, per method and stratum; the synthetic label shows."""
    import numpy as np
    import pandas as pd

    from undercount.figures import SYNTHETIC_LABEL, save_figure
    from undercount.figures.imputation import imputation_data, imputation_figure
    from undercount.results import EstimateResult

    per = pd.DataFrame(
        {
            "stratum": ["a", "a", "total", "total"],
            "imputation": [1, 2, 1, 2],
            "n_observed": [10, 12, 20, 22],
            "n_hat": [15.0, 17.0, 30.0, 33.0],
            "ci_low": [11.0, 13.0, 25.0, 27.0],
            "ci_high": [25.0, 27.0, 40.0, 44.0],
        }
    )
    pooled = {s: EstimateResult("x", ("A", "B"), 11, 16.0, 11.0, 27.0) for s in ("a", "total")}
    data = imputation_data({"dga": per}, {"dga": pooled})
    assert len(data) == 6
    assert data.loc[data["what"] == "pooled", "n_hat"].tolist() == [16.0, 16.0]
    plot, data = imputation_figure(data, "t", 0.95, 2, synthetic=True)
    assert SYNTHETIC_LABEL in plot.labels.caption
    save_figure(plot, data, tmp_path / "imp.png", width=6, height=3)
    assert (tmp_path / "imp.tsv").exists()

    empty = data.assign(n_hat=np.nan, ci_low=np.nan, ci_high=np.nan)
    plot, _ = imputation_figure(empty, "t", 0.95, 2, synthetic=False)
    assert "no stratum and no total is estimable" in plot.labels.caption
    save_figure(plot, empty, tmp_path / "empty.png", width=6, height=3)
