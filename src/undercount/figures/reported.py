"""Figure: death tolls as publicly reported over time (real, cited figures)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd
from plotnine import (
    aes,
    facet_wrap,
    geom_point,
    geom_text,
    ggplot,
    labs,
    scale_shape_manual,
    scale_x_continuous,
)

from ..errors import UndercountError
from .common import people_scale, place_labels, theme_undercount

SOURCE_NOTE = "Source: data/reported_figures.csv (real published figures, each row cited with its publisher)."


def scope_class(scope: str) -> str:
    """National totals, unverified claims, or a partial count (not comparable)."""
    s = scope.lower()
    if s.startswith("unofficial"):
        return "unofficial claim (unverified)"
    if s.startswith("all") or s.startswith("linked to the unrest"):
        return "reported national total"
    return "partial count"


def reported_tolls_data(reported: pd.DataFrame, events: Mapping[str, tuple[str, str]]) -> pd.DataFrame:
    """Death-toll rows of ``reported`` for the configured events, days since each began.

    ``events`` maps event id to (label, ISO start date). Partial counts (one
    city, one incident, security forces only) measure something else and are
    left out; national totals and unverified claims are kept and told apart.
    """
    rows = reported[(reported["quantity"] == "deaths") & reported["event"].isin(list(events))].copy()
    rows["class"] = rows["scope"].map(scope_class)
    rows = rows[rows["class"] != "partial count"]
    rows["event_label"] = rows["event"].map(lambda e: events[e][0])
    starts = {e: date.fromisoformat(events[e][1]) for e in events}
    rows["days_since_start"] = [
        (date.fromisoformat(a) - starts[e]).days for a, e in zip(rows["as_of"], rows["event"])
    ]
    lower = rows["value_is_lower_bound"].astype(str).str.lower() == "true"
    rows["label"] = [("≥" if lb else "") + f"{int(v)}" for v, lb in zip(rows["value"], lower)]
    cols = [
        "event",
        "event_label",
        "as_of",
        "days_since_start",
        "value",
        "label",
        "class",
        "scope",
        "value_is_lower_bound",
        "certainty",
        "reported_by",
        "publisher",
    ]
    rows = rows[cols].sort_values(["event", "as_of", "value"]).reset_index(drop=True)
    return with_label_places(rows)


#: The panel of one event in the figure, in inches (8 x 7 inches, one panel per event, legend at the right).
PANEL_IN = (5.0, 2.3)
#: The axes' expansion (the scales below): x 5% each side, y 10% below and 20% above.
EXPAND = (1.1, 1.3)


def with_label_places(rows: pd.DataFrame) -> pd.DataFrame:
    """``label_x``, ``label_y`` and ``label_where``: each value label beside its point, none overlapping.

    Labels of points close in time (241 and 238, eight weeks apart) would merge
    into one number if all sat above their points; :func:`place_labels` moves a
    label below, right or left of its point where the place above is taken.
    """
    rows = rows.copy()
    rows["label_x"], rows["label_y"], rows["label_where"] = math.nan, math.nan, ""
    for _event, panel in rows.groupby("event", sort=False):
        drawn_x = np.log1p(panel["days_since_start"].astype(float))
        places = place_labels(
            drawn_x,
            panel["value"].astype(float),
            panel["label"],
            width_in=PANEL_IN[0] / EXPAND[0],
            height_in=PANEL_IN[1] / EXPAND[1],
        )
        rows.loc[panel.index, "label_x"] = np.expm1(drawn_x + [p["dx"] for p in places])
        rows.loc[panel.index, "label_y"] = panel["value"].astype(float) + [p["dy"] for p in places]
        rows.loc[panel.index, "label_where"] = [p["where"] for p in places]
    return rows


def events_without_tolls(data: pd.DataFrame, events: Mapping[str, tuple[str, str]]) -> list[str]:
    """Events of ``events`` with no row in ``data`` (from :func:`reported_tolls_data`), in config order."""
    return [e for e in events if not (data["event"] == e).any()]


def reported_tolls_figure(reported: pd.DataFrame, events: Mapping[str, tuple[str, str]]):
    """(plot, data): reported death tolls against days since the event began.

    An event without any reported toll is left out, and the caption names it.

    Raises
    ------
    UndercountError
        No event has a reported toll: there is nothing to draw.
    """
    data = reported_tolls_data(reported, events)
    missing = events_without_tolls(data, events)
    if len(missing) == len(events):
        raise UndercountError(
            f"no reported death tolls for any of the events ({', '.join(events)}): there is no figure to draw"
        )
    absent = (
        "\nNo reported death tolls for: "
        + "; ".join(f"{events[e][0]} ({e})" for e in missing)
        + ", so it is not drawn."
        if missing
        else ""
    )
    plot = (
        ggplot(data, aes("days_since_start", "value", shape="class"))
        + geom_point(size=2.5)
        + geom_text(aes(x="label_x", y="label_y", label="label"), size=7, va="center", family="DejaVu Sans")
        + facet_wrap("event_label", scales="free", ncol=1)
        + scale_shape_manual(values={"reported national total": "o", "unofficial claim (unverified)": "^"})
        + people_scale("y", zero=False, expand=(0.1, 0, 0.2, 0))
        + scale_x_continuous(trans="log1p", breaks=[0, 1, 3, 7, 14, 30, 60, 120, 240, 365])
        + labs(
            x="days since the event began (log scale)",
            y="deaths reported",
            shape="",
            title="Death tolls as publicly reported",
            caption=(
                f"{SOURCE_NOTE}\nPoints are separate statements: their scopes differ (all deaths, deaths "
                "'linked to the unrest', bodies in morgues), so they are not joined.\nPartial counts "
                "(one city or group) are left out; '≥' marks a lower bound." + absent
            ),
        )
        + theme_undercount()
    )
    return plot, data
