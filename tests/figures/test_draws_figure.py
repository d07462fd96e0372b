"""The figure of plausible linkages: its data, and a table no linkage could estimate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from undercount.figures.common import carries_synthetic_label
from undercount.figures.draws import linkage_draws_data, linkage_draws_figure
from undercount.linkage.draws import pool_over_linkages
from undercount.results import Draws, EstimateResult, not_estimable


def _result(mean: float, seed: int) -> EstimateResult:
    draws = np.random.default_rng(seed).normal(mean, 2.0, 300)
    return EstimateResult(
        method="mt",
        lists=("a", "b", "c"),
        n_observed=40,
        n_hat=float(np.median(draws)),
        ci_low=float(np.quantile(draws, 0.025)),
        ci_high=float(np.quantile(draws, 0.975)),
        ci_level=0.95,
        draws=Draws.bootstrap(draws),
    )


def _per_draw(parts: list[EstimateResult]) -> pd.DataFrame:
    """The per-draw table of linkage draws whose estimates are ``parts`` (one table each)."""
    return pd.DataFrame(
        {
            "draw": list(range(1, len(parts) + 1)),
            "table": [f"t{r}" for r in range(1, len(parts) + 1)],
            "n_observed": [p.n_observed for p in parts],
            "n_hat": [p.n_hat for p in parts],
            "ci_low": [p.ci_low for p in parts],
            "ci_high": [p.ci_high for p in parts],
        }
    )


def test_data_hold_every_draw_the_pool_and_the_single_linkage(tmp_path):
    parts = [_result(m, s) for s, m in enumerate((50, 55, 60))]
    pooled = pool_over_linkages(parts, seed=1)
    per_draw = _per_draw(parts)
    data = linkage_draws_data({"mt": parts[0]}, {"mt": pooled}, {"mt": per_draw}, ["mt"], 0.95)
    assert list(data["kind"]) == ["linkage draw"] * 3 + ["averaged", "single"]
    avg = data[data["kind"] == "averaged"].iloc[0]
    assert (avg["low"], avg["n_hat"], avg["high"]) == (pooled.ci_low, pooled.n_hat, pooled.ci_high)
    q25, q75 = np.quantile(pooled.draws.finite, [0.25, 0.75])
    assert (avg["q25"], avg["q75"]) == pytest.approx((q25, q75))
    d = pooled.details
    assert avg["share_between"] == pytest.approx(
        d.between_variance / (d.within_variance + d.between_variance)
    )
    plot, _ = linkage_draws_figure(data, title="t", level=0.95, synthetic=True)
    assert carries_synthetic_label(plot)
    assert not carries_synthetic_label(linkage_draws_figure(data, title="t", level=0.95, synthetic=False)[0])


def test_a_table_without_any_estimate_still_gets_a_figure(tmp_path):
    from undercount.figures import save_figure

    none = not_estimable("mt", ("a",), 18, "not estimable: fewer than two lists")
    per_draw = pd.DataFrame(
        {"draw": [1, 2], "table": ["t", "t"], "n_observed": [18, 18], "n_hat": [np.nan] * 2}
        | {"ci_low": [np.nan] * 2, "ci_high": [np.nan] * 2}
    )
    data = linkage_draws_data({"mt": none}, {"mt": none}, {"mt": per_draw}, ["mt"], 0.95)
    assert data["n_hat"].isna().all()
    plot, _ = linkage_draws_figure(data, title="t", level=0.95, synthetic=True)
    assert carries_synthetic_label(plot)
    save_figure(plot, data, tmp_path / "empty.png")
    assert (tmp_path / "empty.png").stat().st_size > 1000 and (tmp_path / "empty.tsv").exists()


def test_warnings_are_marked_and_an_uninformative_end_is_drawn_open(tmp_path):
    """The pooled and single rows carry their warnings (marked where they differ, in the caption
    either way), and a draw whose upper end is uninformative runs to the panel's edge."""
    from dataclasses import replace

    from undercount.figures import save_figure

    parts = [_result(m, s) for s, m in enumerate((50, 55, 60))]
    pooled = replace(pool_over_linkages(parts, seed=1), warnings=("every linkage draw: chains disagree",))
    single = replace(parts[0], warnings=("deviance test rejects the model",))
    per_draw = _per_draw(parts).assign(
        ci_high=[parts[0].ci_high, parts[1].ci_high, 9_000.0], upper_uninformative=[False, False, True]
    )
    data = linkage_draws_data({"mt": single}, {"mt": pooled}, {"mt": per_draw}, ["mt"], 0.95)
    rows = data.set_index("kind")
    assert rows.loc["averaged", "warnings"] == "every linkage draw: chains disagree"
    assert rows.loc["averaged", "flag"] == "⚠1" and rows.loc["single", "flag"] == "⚠2"
    assert list(data["open_ended"]) == [False, False, True, False, False]
    plot, data = linkage_draws_figure(data, title="t", level=0.95, synthetic=True)
    caption = plot.labels.caption
    assert "⚠1: every linkage draw: chains disagree" in caption
    assert "⚠2: deviance test rejects the model" in caption
    assert "no informative upper end" in caption
    segments = plot.layers[0].geom.data  # the intervals layer's own data
    drawn_end = float(segments.loc[segments["open_ended"].astype(bool), "high_drawn"].iloc[0])
    closed_ends = segments.loc[~segments["open_ended"].astype(bool), "high"].astype(float)
    assert closed_ends.max() < drawn_end < 9_000.0  # to the edge, not to the uninformative end
    save_figure(plot, data, tmp_path / "draws.png")
    assert "high_drawn" not in pd.read_csv(tmp_path / "draws.tsv", sep="\t").columns
