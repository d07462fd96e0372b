"""The figure of a table's plausible linkages: N under each linkage draw, and the pooled distribution."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from plotnine import (
    aes,
    facet_wrap,
    geom_point,
    geom_segment,
    ggplot,
    labs,
    scale_color_manual,
    scale_y_continuous,
    theme,
)

from .common import SYNTHETIC_LABEL, theme_undercount

#: Columns of the figure's data (its .tsv).
COLUMNS = [
    "method",
    "row",
    "y",
    "kind",
    "table",
    "n_hat",
    "low",
    "high",
    "q25",
    "q75",
    "share_between",
]
#: Where the pooled and the single-linkage rows sit below draw 1, as shares of the number of draws.
AVERAGED_Y, SINGLE_Y = -0.1, -0.2
COLORS = {"linkage draw": "#7f7f7f", "averaged": "#d62728", "single": "#1f77b4"}


def linkage_draws_data(
    single: Mapping[str, object],
    averaged: Mapping[str, object],
    per_draw: Mapping[str, pd.DataFrame],
    labels: Sequence[str],
    level: float,
) -> pd.DataFrame:
    """One row per method and linkage draw (its estimate and interval), then the pooled
    distribution (median, interquartile range, interval at ``level``) and the single linkage's."""
    rows = []
    for label in labels:
        draws = per_draw[label]
        R = len(draws)  # noqa: N806 (the issue's name)
        for d in draws.itertuples(index=False):
            rows.append(
                {
                    "method": label,
                    "row": f"draw {int(d.draw)}",
                    "y": float(d.draw),
                    "kind": "linkage draw",
                    "table": d.table,
                    "n_hat": d.n_hat,
                    "low": d.ci_low,
                    "high": d.ci_high,
                    "q25": np.nan,
                    "q75": np.nan,
                    "share_between": np.nan,
                }
            )
        pooled = averaged[label]
        q25 = q75 = np.nan
        pooled_draws = getattr(pooled, "draws", None)
        if pooled_draws is not None and pooled_draws.finite.size:
            q25, q75 = (float(v) for v in np.quantile(pooled_draws.finite, [0.25, 0.75]))
        d = pooled.details  # type: ignore[attr-defined]
        within, between = getattr(d, "within_variance", None), getattr(d, "between_variance", None)
        share = (
            between / (within + between)
            if within is not None and between is not None and within + between > 0
            else np.nan
        )
        rows.append(
            {
                "method": label,
                "row": f"averaged over {R} linkages",
                "y": AVERAGED_Y * max(R, 5),
                "kind": "averaged",
                "table": "",
                "n_hat": pooled.n_hat if pooled.estimable else np.nan,  # type: ignore[attr-defined]
                "low": pooled.ci_low if pooled.estimable else np.nan,  # type: ignore[attr-defined]
                "high": pooled.ci_high if pooled.estimable else np.nan,  # type: ignore[attr-defined]
                "q25": q25,
                "q75": q75,
                "share_between": share,
            }
        )
        one = single[label]
        rows.append(
            {
                "method": label,
                "row": "single linkage",
                "y": SINGLE_Y * max(R, 5),
                "kind": "single",
                "table": "",
                "n_hat": one.n_hat if one.estimable else np.nan,  # type: ignore[attr-defined]
                "low": one.ci_low if one.estimable else np.nan,  # type: ignore[attr-defined]
                "high": one.ci_high if one.estimable else np.nan,  # type: ignore[attr-defined]
                "q25": np.nan,
                "q75": np.nan,
                "share_between": np.nan,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def linkage_draws_figure(data: pd.DataFrame, *, title: str, level: float, synthetic: bool):
    """(plot, data): per method, N and its interval under each linkage draw (grey), the pooled
    distribution (red: median, interquartile range thick, interval thin) and the single linkage (blue)."""
    pct = round(100 * level)
    notes = [
        f"Grey: each plausible linkage's estimate and {pct}% interval. Red: the draws of N of every "
        f"linkage mixed (median, interquartile range, {pct}% interval); blue: the single linkage "
        "at the main threshold. Counts only.",
    ]
    shares = data.dropna(subset=["share_between"])
    if len(shares):
        notes.append(
            "Share of the pooled variance between linkages: "
            + ", ".join(f"{m} {100 * s:.0f}%" for m, s in zip(shares["method"], shares["share_between"]))
            + "."
        )
    if synthetic:
        notes.insert(0, SYNTHETIC_LABEL)
    drawn = data.dropna(subset=["n_hat"])
    if drawn.empty:  # no method estimated any linkage's table: say so instead of drawing nothing
        from plotnine import annotate, theme_void

        text = "No estimate under any linkage (see results/estimates.csv for why)."
        empty = ggplot() + annotate("text", x=0, y=0, label=text)
        return empty + labs(title=title, caption="\n".join(notes)) + theme_void(), data
    bounded = drawn.dropna(subset=["low", "high"])
    bounded = bounded[np.isfinite(bounded["high"].astype(float))]
    quartiles = drawn.dropna(subset=["q25", "q75"])
    last = float(max(1.0, data["y"].max()))
    plot = (
        ggplot(drawn, aes(y="y", color="kind"))
        + geom_segment(bounded, aes(x="low", xend="high", yend="y"), size=0.5)
        + geom_segment(quartiles, aes(x="q25", xend="q75", yend="y"), size=2.0)
        + geom_point(aes(x="n_hat"), size=1.4)
        + facet_wrap("~method", scales="free_x")
        + scale_color_manual(values=COLORS, name="")
        + scale_y_continuous(
            breaks=[float(v) for v in (*_rows(data, "single"), *_rows(data, "averaged"), 1.0, last)],
            labels=["single", "averaged", "draw 1", f"draw {int(last)}"],
        )
        + labs(x="persons (N)", y="", color="", title=title, caption="\n".join(notes))
        + theme_undercount()
        # free x scales side by side: without room, one panel's last tick label runs into the next's first
        + theme(panel_spacing_x=0.04)
    )
    return plot, data


def _rows(data: pd.DataFrame, kind: str) -> list[float]:
    """The y of the rows of one kind (one value: every method's row of that kind sits alike)."""
    return sorted(set(data.loc[data["kind"] == kind, "y"].astype(float)))[:1]
