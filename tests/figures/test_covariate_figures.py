"""Figures of the covariate model and of the sensitivity to the identifying assumption."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from undercount.estimators import estimate
from undercount.estimators.sensitivity import sensitivity_curve
from undercount.figures import save_figure
from undercount.figures.common import NothingToDraw, carries_synthetic_label
from undercount.figures.covariates import catchability_figure, sensitivity_figure
from undercount.results.result import not_estimable

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "estimators"))
from test_loglinear_cov import simulate  # noqa: E402


def test_sensitivity_figure_marks_the_assumption_and_carries_the_label(tmp_path):
    table, _ = simulate(1, N=3000)
    result = estimate(table, "mt")
    curve = sensitivity_curve(result)
    plot, data = sensitivity_figure(curve, result, title="t", synthetic=True)
    assert carries_synthetic_label(plot)
    assert list(data.columns) == list(curve.columns) and len(data) == len(curve)
    png = tmp_path / "s.png"
    save_figure(plot, data, png)
    drawn = pd.read_csv(png.with_suffix(".tsv"), sep="\t")
    assert drawn["assumption_holds"].sum() == 1
    plot, _ = sensitivity_figure(curve, result, title="t", synthetic=False)
    assert not carries_synthetic_label(plot)


def test_catchability_figure_draws_the_shares_and_the_weights(tmp_path):
    table, _ = simulate(2, N=4000)
    result = estimate(
        table,
        "loglinear-cov",
        settings={"covariates": "sex,age_band", "nboot": 20, "workers": 1, "progress": False},
        seed=3,
    )
    plot, data = catchability_figure(result, title="t", synthetic=True)
    assert carries_synthetic_label(plot)
    catch = data[data["panel"] == "catchability"]
    assert len(catch) == (2 + 3) * 3  # levels of sex and age band, times three lists
    assert ((catch["share_documented"] > 0) & (catch["share_documented"] < 1)).all()
    # every drawn share carries its interval (the ends are checked against statsmodels in
    # tests/estimators/test_loglinear_cov.py), and the data behind the figure holds them
    assert (
        (catch["ci_low"] < catch["share_documented"]) & (catch["share_documented"] < catch["ci_high"])
    ).all()
    assert ((catch["ci_low"] > 0) & (catch["ci_high"] < 1)).all()
    expected = pd.DataFrame(result.details.extra["catchability"])
    assert list(catch["ci_low"]) == list(expected["ci_low"])
    weights = data[data["panel"] == "weights"]
    assert list(weights["weight"]) == [m["weight"] for m in result.details.extra["top_models"]]
    save_figure(plot, data, tmp_path / "c.png", width=9, height=9)
    assert (tmp_path / "c.png").stat().st_size > 10_000
    written = pd.read_csv(tmp_path / "c.tsv", sep="\t")
    assert {"ci_low", "ci_high", "ci_level", "ci_method"} <= set(written.columns)
    written = written[written["panel"] == "catchability"]
    assert list(written["ci_high"]) == pytest.approx(list(catch["ci_high"]), abs=5e-7)  # 6 decimals


def test_no_estimate_means_no_figure_never_a_placeholder():
    """A table without an estimate raises NothingToDraw with the reason; the workflow's index says it."""
    result = not_estimable("loglinear-cov", ("A", "B", "C"), 40, "no one with sex f is on list B", level=0.95)
    with pytest.raises(NothingToDraw, match="no one with sex f"):
        catchability_figure(result, title="t", synthetic=False)
    with pytest.raises(NothingToDraw, match="no one with sex f"):
        sensitivity_figure(pd.DataFrame(), result, title="t", synthetic=False)
