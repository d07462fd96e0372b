"""Figures of record linkage: accuracy against known truth, and how estimates move with the threshold."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from plotnine import (
    aes,
    facet_wrap,
    geom_errorbar,
    geom_line,
    geom_point,
    geom_vline,
    ggplot,
    labs,
    position_dodge,
    scale_color_manual,
    scale_x_log10,
)

from ..config import population_label
from .common import SYNTHETIC_LABEL, theme_undercount

METRIC_COLOURS = {
    "precision": "#1f77b4",
    "recall": "#ff7f0e",
    "F1": "#2ca02c",
    "persons found / true persons": "#7f7f7f",
}


def _table_label(frame: pd.DataFrame, event_labels: Mapping[str, str] | None = None) -> pd.Series:
    """A panel's title: the event's label (the config's, when given) and the population's, never ids."""
    labels = event_labels or {}
    events = frame["event"].astype(str).map(lambda e: labels.get(e, e))
    return events + ": " + frame["population"].astype(str).map(lambda p: population_label(p).lower())


def _odds_axis(thresholds) -> scale_x_log10:
    # thresholds crowd near 1 (0.9, 0.99): spread them on the odds scale p / (1 - p)
    ts = sorted(set(float(t) for t in thresholds))
    if len(ts) < 2:  # one break cannot make an axis: show the usual ones around it
        ts = sorted(set(ts) | {0.3, 0.5, 0.7, 0.9})
    return scale_x_log10(
        name="match threshold (odds scale)", breaks=[t / (1 - t) for t in ts], labels=[f"{t:g}" for t in ts]
    )


def linkage_accuracy_data(
    accuracy: pd.DataFrame, event_labels: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Long table for the accuracy figure from rows of results/linkage/accuracy.csv.

    One row per table, threshold and metric: pairwise precision, recall, F1,
    and persons found divided by true persons (1 = as many persons as there
    really are; above 1 = people split, below 1 = people merged).
    """
    rows = []
    for _, r in accuracy.iterrows():
        base = {
            "event": r["event"],
            "population": r["population"],
            "threshold": float(r["threshold"]),
            "odds": float(r["threshold"]) / (1 - float(r["threshold"])),
        }
        ratio = r["persons_found"] / r["true_persons"] if r["true_persons"] else math.nan
        for metric, value in (
            ("precision", r["precision"]),
            ("recall", r["recall"]),
            ("F1", r["f1"]),
            ("persons found / true persons", ratio),
        ):
            rows.append(base | {"metric": metric, "value": float(value)})
    data = pd.DataFrame(rows, columns=["event", "population", "threshold", "odds", "metric", "value"])
    data["table"] = _table_label(data, event_labels)
    return data


def linkage_accuracy_figure(
    accuracy: pd.DataFrame,
    *,
    threshold: float,
    synthetic: bool,
    event_labels: Mapping[str, str] | None = None,
):
    """(plot, data): precision, recall, F1 and persons found per threshold, one panel per table."""
    data = linkage_accuracy_data(accuracy, event_labels)
    plot_data = data.assign(metric=pd.Categorical(data["metric"], categories=list(METRIC_COLOURS)))
    notes = [
        f"Pairwise over all records of each table, against the known true person of every record. "
        f"Dashed line: the threshold of the main results ({threshold:g})."
    ]
    if synthetic:
        notes.insert(0, SYNTHETIC_LABEL)
    plot = (
        ggplot(plot_data, aes("odds", "value", color="metric"))
        + geom_vline(xintercept=threshold / (1 - threshold), linetype="dashed", color="#555555")
        + geom_line()
        + geom_point(size=1.5)
        + facet_wrap("~table")
        + _odds_axis([*data["threshold"], threshold])
        + scale_color_manual(values=METRIC_COLOURS, name="")
        + labs(y="", title="Record linkage accuracy against the truth", caption="\n".join(notes))
        + theme_undercount()
    )
    return plot, data


SENSITIVITY_COLUMNS = [
    "event",
    "population",
    "threshold",
    "method",
    "lists",
    "n_observed",
    "n_hat",
    "ci_low",
    "ci_high",
    "ci_level",
    "warnings",
]


def linkage_sensitivity_data(
    sensitivity: pd.DataFrame, event_labels: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Rows for the sensitivity figure: estimates with intervals and the documented persons.

    ``sensitivity`` holds rows of every results/{event}/{population}/linkage_sensitivity.csv.
    Each table and threshold contributes its documented count (``kind``
    ``documented``) and one row per method (``kind`` ``estimate``); estimates
    that are not estimable are dropped here (they stay in the CSV with the reason).
    """
    rows = []
    for (event, population, threshold), block in sensitivity.groupby(
        ["event", "population", "threshold"], sort=True
    ):
        base = {
            "event": event,
            "population": population,
            "threshold": float(threshold),
            "odds": float(threshold) / (1 - float(threshold)),
        }
        rows.append(
            base
            | {
                "kind": "documented",
                "series": "documented (linked persons)",
                "value": float(block["n_observed"].iloc[0]),
                "low": math.nan,
                "high": math.nan,
            }
        )
        for _, r in block.iterrows():
            if pd.isna(r["n_hat"]):
                continue
            high = r["ci_high"] if pd.notna(r["ci_high"]) and math.isfinite(r["ci_high"]) else math.nan
            rows.append(
                base
                | {
                    "kind": "estimate",
                    "series": f"estimate: {r['method']}",
                    "value": float(r["n_hat"]),
                    "low": float(r["ci_low"]),
                    "high": float(high),
                }
            )
    data = pd.DataFrame(
        rows, columns=["event", "population", "threshold", "odds", "kind", "series", "value", "low", "high"]
    )
    data["table"] = _table_label(data, event_labels)
    return data


def linkage_sensitivity_figure(
    sensitivity: pd.DataFrame,
    *,
    threshold: float,
    level: float,
    synthetic: bool,
    event_labels: Mapping[str, str] | None = None,
):
    """(plot, data): each estimate (with its interval) and the documented count against the threshold."""
    data = linkage_sensitivity_data(sensitivity, event_labels)
    notes = [
        f"Bars: {round(100 * level)}% intervals. Dashed line: the threshold of the main results "
        f"({threshold:g}). A higher threshold links fewer records: more documented persons, "
        "usually a higher estimate."
    ]
    if synthetic:
        notes.insert(0, SYNTHETIC_LABEL)
    dodge = position_dodge(width=0.08)
    intervals = data[data["low"].notna() & data["high"].notna()]
    plot = (
        ggplot(data, aes("odds", "value", color="series"))
        + geom_vline(xintercept=threshold / (1 - threshold), linetype="dashed", color="#555555")
        + geom_errorbar(intervals, aes(ymin="low", ymax="high"), width=0.0, position=dodge)
        + geom_line(position=dodge)
        + geom_point(size=1.6, position=dodge)
        + facet_wrap("~table", scales="free_y")
        + _odds_axis([*data["threshold"], threshold])
        + labs(
            y="persons",
            color="",
            title="How the totals move with the match threshold",
            caption="\n".join(notes),
        )
        + theme_undercount()
    )
    return plot, data


def match_weights_data(model: pd.DataFrame) -> pd.DataFrame:
    """Rows of a model table (comparison, level, label, m, u, weight) ready to draw, ids only."""
    data = model[["comparison", "level", "label", "m", "u", "weight"]].copy()
    data["weight"] = data["weight"].astype(float)
    data["level_label"] = data["comparison"] + ": " + data["label"].astype(str)
    data["sign"] = np.where(data["weight"] >= 0, "for a match", "against a match")
    return data.reset_index(drop=True)


def match_weights_figure(model: pd.DataFrame, *, title: str, synthetic: bool):
    """(plot, data): the match weight log2(m/u) of every comparison level, one bar each."""
    from plotnine import coord_flip, geom_col, geom_hline, scale_fill_manual

    data = match_weights_data(model)
    if data["weight"].notna().sum() == 0:
        from plotnine import annotate, theme_void

        text = "No model: no two records could be compared (no candidate pair)."
        return ggplot() + annotate("text", x=0, y=0, label=text) + labs(title=title) + theme_void(), data
    order = list(data["level_label"])[::-1]
    plot_data = data.assign(level_label=pd.Categorical(data["level_label"], categories=order))
    notes = ["Match weight log2(m/u) of each comparison level, estimated by Splink; ids and counts only."]
    if synthetic:
        notes.insert(0, SYNTHETIC_LABEL)
    plot = (
        ggplot(plot_data.dropna(subset=["weight"]), aes("level_label", "weight", fill="sign"))
        + geom_col()
        + geom_hline(yintercept=0, color="#555555")
        + coord_flip()
        + scale_fill_manual(values={"for a match": "#2ca02c", "against a match": "#d62728"}, name="")
        + labs(x="", y="match weight (log2 m/u)", title=title, caption="\n".join(notes))
        + theme_undercount()
    )
    return plot, data
