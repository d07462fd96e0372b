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
    geom_text,
    ggplot,
    labs,
    scale_color_manual,
    scale_y_continuous,
    theme,
)

from .common import SYNTHETIC_LABEL, footnotes, theme_undercount

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
    "open_ended",
    "warnings",
    "caveats",
    "flag",
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
    distribution (median, interquartile range, interval at ``level``) and the single linkage's.

    The pooled and single rows carry their results' warnings and caveats (the pooled one's name
    the draws that carry them) and a mark (``flag``) for the notes that differ between the rows
    drawn; ``open_ended`` says an interval's upper end is infinite or uninformative, so the figure
    draws it to the panel's edge rather than as if its end were a bound.
    """
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
                    "open_ended": _open_ended(d.ci_high, getattr(d, "upper_uninformative", False)),
                    "warnings": "",
                    "caveats": "",
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
                **_notes(pooled),
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
                **_notes(one),
            }
        )
    data = pd.DataFrame(rows, columns=COLUMNS)
    noted = data["kind"] != "linkage draw"
    marks = iter(footnotes(data.loc[noted, "warnings"], data.loc[noted, "caveats"]).marks)
    data["flag"] = [next(marks) if n else "" for n in noted]
    return data


def _open_ended(high, uninformative) -> bool:
    """An interval drawn to the panel's edge: its upper end is infinite or flagged uninformative."""
    if uninformative is True or (isinstance(uninformative, str) and uninformative.lower() == "true"):
        return True
    try:
        return bool(np.isinf(float(high)))
    except (TypeError, ValueError):
        return False


def _notes(result) -> dict:
    """A result's warnings and caveats as results/estimates.csv joins them, and its open end."""
    estimable = bool(getattr(result, "estimable", False))
    return {
        "open_ended": estimable and _open_ended(result.ci_high, result.upper_uninformative),
        "warnings": " | ".join(result.warnings),
        "caveats": " | ".join(getattr(result, "caveats", ()) or ()),
    }


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
    noted = data["kind"] != "linkage draw"
    notes += footnotes(data.loc[noted, "warnings"], data.loc[noted, "caveats"]).caption_lines()
    if data["open_ended"].astype(bool).any():
        notes.append("A line that runs to the panel's edge has no informative upper end.")
    if synthetic:
        notes.insert(0, SYNTHETIC_LABEL)
    drawn = data.dropna(subset=["n_hat"])
    if drawn.empty:  # no method estimated any linkage's table: say so instead of drawing nothing
        from plotnine import annotate, theme_void

        text = "No estimate under any linkage (see results/estimates.csv for why)."
        empty = ggplot() + annotate("text", x=0, y=0, label=text)
        return empty + labs(title=title, caption="\n".join(notes)) + theme_void(), data
    bounded = drawn.dropna(subset=["low", "high"]).copy()
    bounded["high_drawn"] = bounded["high"].astype(float)
    open_ended = bounded["open_ended"].astype(bool)
    if open_ended.any():
        # an open end runs to the edge of its method's panel (free x scales): past every
        # informative end and estimate of that method, never to a value read as a bound
        closed = drawn[~drawn["open_ended"].astype(bool)]
        for method in bounded.loc[open_ended, "method"].unique():
            mine = closed[closed["method"] == method]
            ends = pd.concat([mine["n_hat"], mine["high"], drawn.loc[drawn["method"] == method, "n_hat"]])
            ends = ends[np.isfinite(ends.astype(float))]
            bounded.loc[open_ended & (bounded["method"] == method), "high_drawn"] = 1.5 * float(ends.max())
    quartiles = drawn.dropna(subset=["q25", "q75"])
    flagged = drawn[drawn["flag"].astype(str) != ""]
    last = float(max(1.0, data["y"].max()))
    plot = (
        ggplot(drawn, aes(y="y", color="kind"))
        + geom_segment(bounded, aes(x="low", xend="high_drawn", yend="y"), size=0.5)
        + geom_segment(quartiles, aes(x="q25", xend="q75", yend="y"), size=2.0)
        + geom_point(aes(x="n_hat"), size=1.4)
        + geom_text(
            flagged, aes(x="n_hat", label="flag"), nudge_y=0.04 * max(last, 5.0), size=7, family="DejaVu Sans"
        )
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
