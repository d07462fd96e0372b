"""Figure: documented versus estimated totals per event, with intervals and warnings."""

from __future__ import annotations

import math
from collections.abc import Mapping

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
    scale_shape_manual,
)

from ..config import population_label
from .common import (
    NOT_ESTIMABLE,
    NOT_ESTIMABLE_COLOUR,
    SYNTHETIC_LABEL,
    footnotes,
    people_scale,
    theme_undercount,
)

KIND_COLOURS = {
    "one source": "#7f7f7f",
    "documented (any source)": "#222222",
    "estimated total": "#c0392b",
    NOT_ESTIMABLE: NOT_ESTIMABLE_COLOUR,
}


def documented_vs_estimated_data(
    estimates: pd.DataFrame,
    histories: Mapping[str, Mapping],
    event_labels: Mapping[str, str],
    source_labels: Mapping[str, Mapping[str, str]],
) -> pd.DataFrame:
    """Rows for the figure: each source's count, the union, each estimate.

    ``histories`` maps event to its table summary (``people_per_list``,
    ``n_observed``); ``estimates`` holds the rows of results/estimates.csv for
    one population and stratum.
    """
    rows = []
    for event, meta in histories.items():
        label = event_labels.get(event, event)
        order = 0
        for name, count in meta["people_per_list"].items():
            order += 1
            rows.append(
                {
                    "event": event,
                    "event_label": label,
                    "order": order,
                    "kind": "one source",
                    "item": source_labels.get(event, {}).get(name, name),
                    "value": count,
                    "low": math.nan,
                    "high": math.nan,
                    "warnings": "",
                    "caveats": "",
                    "flag": "",
                }
            )
        order += 1
        rows.append(
            {
                "event": event,
                "event_label": label,
                "order": order,
                "kind": "documented (any source)",
                "item": "documented by any source",
                "value": meta["n_observed"],
                "low": math.nan,
                "high": math.nan,
                "warnings": "",
                "caveats": "",
                "flag": "",
            }
        )
        for _, est in estimates[estimates["event"] == event].iterrows():
            order += 1
            warnings = est["warnings"] if isinstance(est["warnings"], str) else ""
            estimable = not pd.isna(est["n_hat"])
            flag = "" if estimable else NOT_ESTIMABLE
            caveats = est.get("caveats", "")
            open_ended = str(est.get("upper_uninformative", False)).strip().lower() == "true"
            rows.append(
                {
                    "event": event,
                    "event_label": label,
                    "order": order,
                    "kind": "estimated total",
                    "item": f"estimate: {est['method']}",
                    "value": est["n_hat"] if estimable else meta["n_observed"],
                    "low": est["ci_low"],
                    "high": est["ci_high"],
                    "open_ended": open_ended,
                    "warnings": warnings,
                    "caveats": caveats if isinstance(caveats, str) else "",
                    "flag": flag,
                }
            )
    data = pd.DataFrame(rows)
    data["open_ended"] = data.get("open_ended", pd.Series(False, index=data.index)).eq(True)
    # marks only on the estimates, for what differs between them; what they share is in the caption
    is_estimate = data["kind"] == "estimated total"
    marks = iter(footnotes(data.loc[is_estimate, "warnings"], data.loc[is_estimate, "caveats"]).marks)
    labels = [next(marks) if e else "" for e in is_estimate]
    data["flag"] = [" ".join(x for x in (f, lab) if x) for f, lab in zip(data["flag"], labels)]
    data["y"] = [f"{e}|{o:02d}|{i}" for e, o, i in zip(data["event"], data["order"], data["item"])]
    return data


def documented_vs_estimated_figure(data: pd.DataFrame, population: str, level: float, synthetic: bool):
    """(plot, data) from :func:`documented_vs_estimated_data`."""
    plot_data = data.copy()
    estimates = plot_data["kind"] == "estimated total"
    # a table without an estimate is drawn in grey with its own marker, never in the estimates' red
    plot_data.loc[estimates & plot_data["flag"].str.startswith(NOT_ESTIMABLE), "kind"] = NOT_ESTIMABLE
    finite_high = plot_data["high"].where(
        plot_data["high"].apply(lambda v: not pd.isna(v) and math.isfinite(v))
    )
    cap = float(plot_data["value"].max()) * 3
    plot_data["high_drawn"] = plot_data["high"].where(
        finite_high.notna(),
        other=plot_data["high"].map(lambda v: cap if (not pd.isna(v) and math.isinf(v)) else v),
    )
    # an uninformative upper end (EstimateResult.upper_uninformative) is drawn open-ended, as an
    # infinite one: to the edge of the panel, never as if its end were a bound
    plot_data.loc[plot_data["open_ended"], "high_drawn"] = cap
    order = list(dict.fromkeys(sorted(plot_data["y"], reverse=True)))
    plot_data["y"] = pd.Categorical(plot_data["y"], categories=order)
    labels = dict(zip(plot_data["y"].astype(str), plot_data["item"]))
    intervals = plot_data[plot_data["low"].notna()]
    notes = [
        f"Lines: {round(100 * level)}% intervals; methods and settings in results/estimates.csv. "
        "A line that runs to the edge has no informative upper end. Grey crosses: not estimable "
        "(drawn at the documented count).",
        *footnotes(plot_data.loc[estimates, "warnings"], plot_data.loc[estimates, "caveats"]).caption_lines(),
    ]
    if synthetic:
        notes.insert(0, SYNTHETIC_LABEL)
    plot = (
        ggplot(plot_data, aes(y="y"))
        + geom_segment(
            intervals,
            aes(x="low", xend="high_drawn", yend="y"),
            color=KIND_COLOURS["estimated total"],
            size=1,
        )
        + geom_point(aes(x="value", color="kind", shape="kind"), size=3)
        + geom_text(aes(x="value", label="flag"), nudge_y=0.38, size=8, ha="center", family="DejaVu Sans")
        + facet_wrap("event_label", scales="free", ncol=1)
        + scale_color_manual(values=KIND_COLOURS)
        + scale_shape_manual(
            values={
                "one source": "o",
                "documented (any source)": "o",
                "estimated total": "o",
                NOT_ESTIMABLE: "x",
            }
        )
        + people_scale("x", zero=True)
        + labs(
            x="people",
            y="",
            color="",
            shape="",
            title=f"{population_label(population)}: documented and estimated",
            caption="\n".join(notes),
        )
        + theme_undercount()
    )
    from plotnine import scale_y_discrete

    plot = plot + scale_y_discrete(labels=lambda ys: [labels.get(str(v), str(v)) for v in ys])
    return plot, data
