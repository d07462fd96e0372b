"""The figure readers want most: each event beside the other, official, documented and estimated."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd
from plotnine import (
    aes,
    facet_wrap,
    geom_blank,
    geom_col,
    geom_errorbar,
    geom_point,
    geom_text,
    ggplot,
    labs,
    scale_fill_manual,
    theme,
)

from ..config import population_label
from .common import NOT_ESTIMABLE_COLOUR, SYNTHETIC_LABEL, people_scale, theme_undercount

if TYPE_CHECKING:
    from ..landing import Answer

KINDS = ("official count", "documented by any list", "estimated total")
COLOURS = {"official count": "#7f8c8d", "documented by any list": "#2c3e50", "estimated total": "#c0392b"}


def events_compared_data(answers: Sequence[Answer]) -> pd.DataFrame:
    """One row per table and kind: the official count, the documented count, the headline total."""
    rows = []
    for a in answers:
        panel = f"{a.event_label}\n{population_label(a.population).lower()}"
        r = a.result
        total = r.n_hat if r is not None and r.estimable else math.nan
        values = {
            "official count": (a.official.value if a.official else math.nan, math.nan, math.nan),
            "documented by any list": (float(a.documented), math.nan, math.nan),
            "estimated total": (
                total,
                r.ci_low if r is not None and r.estimable else math.nan,
                r.ci_high if r is not None and r.estimable else math.nan,
            ),
        }
        for kind in KINDS:
            value, low, high = values[kind]
            rows.append(
                {
                    "event": a.event,
                    "population": a.population,
                    "panel": panel,
                    "kind": kind,
                    "value": value,
                    "ci_low": low,
                    "ci_high": high,
                    "share_of_total": value / total if total and not math.isnan(total) else math.nan,
                    "method": a.choice.label or "",
                }
            )
    return pd.DataFrame(rows)


def events_compared_figure(answers: Sequence[Answer], level: float, synthetic: bool):
    """(plot, data): per event and population, official, documented and estimated side by side."""
    data = events_compared_data(answers)
    drawn = data[data["value"].notna()].copy()
    drawn["kind"] = pd.Categorical(drawn["kind"], categories=list(KINDS))
    # one row per population, the events side by side in config order
    panels = []
    for population in dict.fromkeys(a.population for a in answers):
        panels += [
            f"{a.event_label}\n{population_label(a.population).lower()}"
            for a in answers
            if a.population == population
        ]
    drawn["panel"] = pd.Categorical(drawn["panel"], categories=list(dict.fromkeys(panels)))
    drawn["text"] = [
        f"{v:,.0f}" + (f"\n({s:.0%} of total)" if k != "estimated total" and not math.isnan(s) else "")
        for v, s, k in zip(drawn["value"], drawn["share_of_total"], drawn["kind"])
    ]
    bars = drawn[drawn["kind"] != "estimated total"]
    est = drawn[drawn["kind"] == "estimated total"]
    # the interval's top is drawn to the panel's edge when unbounded
    est = est.assign(
        high_drawn=[h if math.isfinite(h) else v * 3 for h, v in zip(est["ci_high"], est["value"])]
    )
    methods = sorted({m for m in data["method"] if m})
    caption = (
        f"Bars: the official count (latest national total in the cited reported figures) and the people "
        f"documented by any list; red: the headline estimate of the total ({', '.join(methods) or 'none'}) "
        f"with its {round(100 * level)}% interval. Each panel has its own scale: compare the shares."
    )
    if any(m.startswith("span(") for m in methods):
        caption += (
            "\nspan(a, b): the interval runs from the lowest to the highest end of the models' intervals "
            "(neither alone covered the true total in every simulated design); the point is a's estimate."
        )
    if synthetic:
        caption = SYNTHETIC_LABEL + "\n" + caption
    missing = sorted(
        {p.replace("\n", ", ") for p in data[data["kind"] == "estimated total"]["panel"]}
        - set(est["panel"].str.replace("\n", ", "))
    )
    if missing:
        caption += "\nNo estimate (not estimable, grey): " + "; ".join(missing) + "."
    # a panel without an estimate says so in grey where the estimate would be
    none = pd.DataFrame(
        {"panel": [p for p in drawn["panel"].cat.categories if p.replace("\n", ", ") in missing]}
    ).assign(kind="estimated total", value=0.0, text="not\nestimable")
    none["kind"] = pd.Categorical(none["kind"], categories=list(KINDS))
    none["panel"] = pd.Categorical(none["panel"], categories=drawn["panel"].cat.categories)
    # every panel spans at least one whole person from 0 (a panel of zeros is never centred on 0)
    floor = pd.DataFrame({"panel": drawn["panel"].cat.categories, "kind": KINDS[0], "value": 1.0})
    floor["panel"] = pd.Categorical(floor["panel"], categories=drawn["panel"].cat.categories)
    floor["kind"] = pd.Categorical(floor["kind"], categories=list(KINDS))
    plot = (
        ggplot(drawn, aes("kind", "value", fill="kind"))
        + geom_col(bars, width=0.6)
        + geom_errorbar(
            est, aes(ymin="ci_low", ymax="high_drawn"), width=0.25, color=COLOURS["estimated total"]
        )
        + geom_point(est, size=3, color=COLOURS["estimated total"])
        + geom_text(aes(label="text"), va="bottom", nudge_x=0.32, ha="left", size=6.5, family="DejaVu Sans")
        + geom_text(
            none, aes(label="text"), va="bottom", size=6.5, color=NOT_ESTIMABLE_COLOUR, family="DejaVu Sans"
        )
        + geom_blank(floor)
        + facet_wrap("panel", scales="free_y", ncol=2)
        + scale_fill_manual(values=COLOURS)
        # room above the tallest bar or interval for its two-line label: nothing clips at the panel's top
        + people_scale("y", zero=True, expand=(0, 0, 0.22, 0))
        + labs(
            x="",
            y="people",
            fill="",
            title="Official, documented and estimated, event beside event",
            caption=caption,
        )
        + theme_undercount()
        + theme(legend_position="none", axis_text_x=element_text_small())
    )
    return plot, data


def element_text_small():
    from plotnine import element_text

    return element_text(size=7)
