"""Figure: death tolls as publicly reported over time (real, cited figures)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

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
    scale_y_continuous,
)

from ..errors import UndercountError
from .common import theme_undercount

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
    return rows[cols].sort_values(["event", "as_of", "value"]).reset_index(drop=True)


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
        + geom_text(aes(label="label"), nudge_y=0.04, size=7, va="bottom", family="DejaVu Sans")
        + facet_wrap("event_label", scales="free", ncol=1)
        + scale_shape_manual(values={"reported national total": "o", "unofficial claim (unverified)": "^"})
        + scale_y_continuous(expand=(0.1, 0, 0.2, 0))
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
