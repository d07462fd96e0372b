"""Figures that compare: methods side by side, the official count's coverage, strata, time."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from plotnine import (
    aes,
    facet_wrap,
    geom_blank,
    geom_col,
    geom_errorbar,
    geom_hline,
    geom_point,
    geom_pointrange,
    geom_segment,
    geom_text,
    ggplot,
    labs,
    position_dodge,
    scale_fill_manual,
    scale_linetype_manual,
    scale_shape_manual,
    scale_x_continuous,
    scale_y_continuous,
    theme,
)

from ..config import population_label
from ..headline import members, span_label
from ..results.combine import carried_texts, span_refusal
from .common import (
    NOT_ESTIMABLE,
    NOT_ESTIMABLE_COLOUR,
    SYNTHETIC_LABEL,
    footnotes,
    people_scale,
    theme_undercount,
)
from .reported import reported_tolls_data

WARN = "with warnings"
CLEAN = "no warnings"


def _finite(v) -> bool:
    return v is not None and not pd.isna(v) and math.isfinite(float(v))


def _caption(lines: list[str], synthetic: bool) -> str:
    return "\n".join(([SYNTHETIC_LABEL] if synthetic else []) + lines)


# ---------------------------------------------------------------- forest plot
def table_title(stratum: str) -> str:
    """How a forest panel names its table: the whole population, a stratum, or a total over strata."""
    if stratum == "all":
        return "whole population"
    scheme, _, name = stratum.partition(":")
    if name == "total":
        return f"total over the {scheme.replace('_', ' ')} strata"
    return f"{scheme.replace('_', ' ')}: {name}"


def forest_data(estimates: pd.DataFrame, population: str, event_labels: Mapping[str, str]) -> pd.DataFrame:
    """One row per (event, stratum, method) of a population, warnings flagged.

    Each table (event and stratum) is its own panel (``panel``), the methods its
    rows, so no panel holds more rows than there are methods. Marks (``flag``)
    are for the notes that differ between the drawn estimates; the notes every
    row shares are in the caption once (:func:`~undercount.figures.common.footnotes`).
    """
    rows = estimates[estimates["population"] == population].copy()
    rows["warnings"] = rows["warnings"].fillna("")
    rows["caveats"] = rows["caveats"].fillna("") if "caveats" in rows else ""
    rows["event_label"] = rows["event"].map(lambda e: event_labels.get(e, e))
    rows["status"] = np.where(
        rows["n_hat"].isna(), NOT_ESTIMABLE, np.where(rows["warnings"] != "", WARN, CLEAN)
    )
    rows["table"] = rows["stratum"]
    rows["x"] = rows["n_hat"].where(rows["n_hat"].notna(), rows["n_observed"])
    rows = rows.sort_values(["event", "table", "method"]).reset_index(drop=True)
    events = list(dict.fromkeys(event_labels)) + sorted(set(rows["event"]) - set(event_labels))
    order = {e: i for i, e in enumerate(events)}
    rows["panel"] = [f"{lab}: {table_title(t)}" for lab, t in zip(rows["event_label"], rows["table"])]
    rows["panel_order"] = [
        (order.get(e, len(order)), 0 if t == "all" else (2 if t.endswith(":total") else 1), t)
        for e, t in zip(rows["event"], rows["table"])
    ]
    rows = rows.sort_values(["panel_order", "method"], kind="stable").reset_index(drop=True)
    # per panel, the drawn upper end of an unbounded interval: three times the panel's largest estimate
    caps = rows.groupby("panel")["n_hat"].transform("max") * 3
    caps = caps.where(caps.notna(), rows.groupby("panel")["n_observed"].transform("max"))
    rows["high_drawn"] = [
        h if _finite(h) else (c if (h is not None and not pd.isna(h)) else np.nan)
        for h, c in zip(rows["ci_high"], caps)
    ]
    rows["row"] = rows["table"] + "  ·  " + rows["method"]
    if "linkage" in rows:  # linkage.draws: the linkage-averaged row beside the single-linkage one
        averaged = rows["linkage"] == "averaged"
        rows.loc[averaged, "row"] = rows.loc[averaged, "row"] + " (averaged over linkages)"
    notes = footnotes(rows["warnings"], rows["caveats"])
    rows["flag"] = notes.marks
    rows["text"] = [
        " ".join(x for x in ((NOT_ESTIMABLE if st == NOT_ESTIMABLE else ""), f) if x)
        for st, f in zip(rows["status"], rows["flag"])
    ]
    cols = [
        "event",
        "event_label",
        "population",
        "table",
        "panel",
        "method",
        "row",
        "n_observed",
        "n_hat",
        "ci_low",
        "ci_high",
        "high_drawn",
        "x",
        "status",
        "flag",
        "text",
        "warnings",
        "caveats",
    ]
    return rows[cols]


def forest_figure(
    estimates: pd.DataFrame, population: str, event_labels: Mapping[str, str], level: float, synthetic: bool
):
    """(plot, data): every method on every table of one population, with intervals.

    One panel per table (each with its own scale of people, from 0 never below),
    estimates in the method's colour, tables without an estimate as a grey cross
    at the documented count with the words "not estimable".
    """
    data = forest_data(estimates, population, event_labels)
    drawn = data.copy()
    drawn["panel"] = pd.Categorical(drawn["panel"], categories=list(dict.fromkeys(drawn["panel"])))
    drawn["method"] = pd.Categorical(
        drawn["method"], categories=sorted(drawn["method"].unique(), reverse=True)
    )
    est = drawn[drawn["status"] != NOT_ESTIMABLE]
    none = drawn[drawn["status"] == NOT_ESTIMABLE]
    notes = footnotes(data["warnings"], data["caveats"])
    ncol = 1 if drawn["panel"].nunique() < 3 else 2
    # the words "not estimable" go to the side of the cross with room in its panel
    right_end = drawn.groupby("panel", observed=True)[["x", "high_drawn"]].transform("max").max(axis=1)
    none = none.assign(text_left=none["x"] > 0.5 * right_end[none.index])
    # an estimate's marks: left of its interval in the right half of the panel, right of it otherwise
    est_left = est["x"] > 0.5 * right_end[est.index]
    est = est.assign(
        text_left=est_left,
        text_x=np.where(est_left, est["ci_low"].fillna(est["x"]), est["high_drawn"].fillna(est["x"])),
    )
    floor = drawn.drop_duplicates("panel").assign(x=1.0)
    est_text = {"size": 6.5, "color": "#444444", "family": "DejaVu Sans"}
    none_text = {"size": 6.5, "color": NOT_ESTIMABLE_COLOUR, "family": "DejaVu Sans"}
    plot = (
        ggplot(drawn, aes(y="method", x="x"))
        + geom_segment(est, aes(x="ci_low", xend="high_drawn", yend="method", color="method"), size=0.8)
        + geom_point(est, aes(color="method", shape="status"), size=2.6, fill="white")
        + geom_point(none, aes(shape="status"), size=2.6, color=NOT_ESTIMABLE_COLOUR)
        + geom_text(
            est[~est["text_left"]], aes(x="text_x", label="text"), ha="left", **est_text, format_string="  {}"
        )
        + geom_text(
            est[est["text_left"]], aes(x="text_x", label="text"), ha="right", **est_text, format_string="{}  "
        )
        + geom_text(none[~none["text_left"]], aes(label="text"), ha="left", **none_text, format_string="  {}")
        + geom_text(none[none["text_left"]], aes(label="text"), ha="right", **none_text, format_string="{}  ")
        # a panel of nothing but zeros still spans whole people from 0, never a centred or negative axis
        + geom_blank(floor, aes(x="x", y="method"), inherit_aes=False)
        + facet_wrap("panel", scales="free", ncol=ncol)
        + scale_shape_manual(values={CLEAN: "o", WARN: "^", NOT_ESTIMABLE: "x"})
        + people_scale("x", zero=True)
        + labs(
            x="people",
            y="method",
            color="method",
            shape="",
            title=f"{population_label(population)}: every method on every table",
            caption=_caption(
                [
                    f"Points: estimates; lines: {round(100 * level)}% intervals (unbounded ends drawn to the "
                    "edge). Triangles carry notes of their own (⚠n); grey crosses are not estimable, drawn at "
                    "the documented count. Each panel has its own scale.",
                    *notes.caption_lines(),
                ],
                synthetic,
            ),
        )
        + theme_undercount()
    )
    return plot, data


# -------------------------------------------------------- official coverage
def coverage_data(
    estimates: pd.DataFrame,
    histories: Mapping[str, Mapping],
    official: Mapping[str, str],
    event_labels: Mapping[str, str],
    population: str = "deaths",
) -> pd.DataFrame:
    """Share of each estimated total that the official list covers, with its interval.

    The official list's count is fixed, so the share's interval is the count
    divided by the interval ends of the total (a monotone map of one quantity,
    not arithmetic on two intervals).
    """
    rows = []
    for event, source in official.items():
        meta = histories.get(event)
        if meta is None or source not in meta["people_per_list"]:
            continue
        count = meta["people_per_list"][source]
        sel = estimates[
            (estimates["event"] == event)
            & (estimates["population"] == population)
            & (estimates["stratum"] == "all")
        ]
        for _, est in sel.iterrows():
            if not _finite(est["n_hat"]):
                continue
            rows.append(
                {
                    "event": event,
                    "event_label": event_labels.get(event, event),
                    "method": est["method"],
                    "official_source": source,
                    "official_count": count,
                    "n_hat": est["n_hat"],
                    "share": count / est["n_hat"],
                    "share_low": count / est["ci_high"] if _finite(est["ci_high"]) else 0.0,
                    "share_high": min(1.0, count / est["ci_low"]) if _finite(est["ci_low"]) else 1.0,
                    "warnings": est["warnings"] if isinstance(est["warnings"], str) else "",
                    "caveats": est["caveats"] if isinstance(est.get("caveats"), str) else "",
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "event",
            "event_label",
            "method",
            "official_source",
            "official_count",
            "n_hat",
            "share",
            "share_low",
            "share_high",
            "warnings",
            "caveats",
        ],
    )


def coverage_figure(data: pd.DataFrame, level: float, synthetic: bool):
    data = data.copy()
    notes = footnotes(data["warnings"], data["caveats"] if "caveats" in data else None)
    data["flag"] = notes.marks
    plot = (
        ggplot(data, aes("method", "share", ymin="share_low", ymax="share_high"))
        + geom_pointrange(color="#c0392b")
        + geom_text(aes(label="flag"), nudge_x=0.25, size=7, family="DejaVu Sans")
        + geom_hline(yintercept=1.0, linetype="dashed")
        + facet_wrap("event_label")
        + scale_y_continuous(limits=(0, 1.05), labels=lambda ys: [f"{100 * y:.0f}%" for y in ys])
        + labs(
            x="method",
            y="share of the estimated total on the official list",
            title="How much of the estimated death toll the official list covers",
            caption=_caption(
                [
                    f"Lines: {round(100 * level)}% intervals (the official count divided by the "
                    "interval ends of the estimated total). Dashed: complete coverage.",
                    *notes.caption_lines(),
                ],
                synthetic,
            ),
        )
        + theme_undercount()
    )
    return plot, data


# ---------------------------------------------------------- strata (region)
def strata_data(
    estimates: pd.DataFrame,
    strata_meta: Mapping[str, Mapping],
    official: str | None,
    event: str,
    population: str,
    scheme: str,
) -> pd.DataFrame:
    """Per stratum of one scheme: documented, on the official list, and estimated.

    For a scheme estimated by multiple imputation (its ``histories.json`` has
    ``imputed_stratum``, from :func:`undercount.impute.imputation_summary_meta`),
    ``documented`` is the mean over imputations of the people in the stratum,
    those placed there by an imputed value included, and ``imputed_stratum`` the
    mean of those so placed; ``imputations`` is the number of imputations. The two
    columns appear only then, so the data of schemes without imputation keep their shape.
    """
    rows = []
    imputed = any("imputed_stratum" in meta for meta in strata_meta.values())
    sel = estimates[
        (estimates["event"] == event)
        & (estimates["population"] == population)
        & (estimates["stratum"].str.startswith(f"{scheme}:"))
    ]
    for stratum, meta in sorted(strata_meta.items()):
        key = f"{scheme}:{stratum}"
        for _, est in sel[sel["stratum"] == key].iterrows():
            rows.append(
                {
                    "stratum": stratum,
                    "method": est["method"],
                    "documented": meta["n_observed"],
                    "official": meta["people_per_list"].get(official, 0) if official else np.nan,
                    "n_hat": est["n_hat"],
                    "ci_low": est["ci_low"],
                    "ci_high": est["ci_high"],
                    "undercount": est["n_hat"] - meta["n_observed"] if _finite(est["n_hat"]) else np.nan,
                    "status": "not estimable"
                    if not _finite(est["n_hat"])
                    else (WARN if isinstance(est["warnings"], str) and est["warnings"] else CLEAN),
                    "warnings": est["warnings"] if isinstance(est["warnings"], str) else "",
                    "caveats": est["caveats"] if isinstance(est.get("caveats"), str) else "",
                    **(
                        {
                            "imputed_stratum": float((meta.get("imputed_stratum") or {}).get("mean", 0.0)),
                            "imputations": int(meta.get("imputations", 0)),
                        }
                        if imputed
                        else {}
                    ),
                }
            )
    data = pd.DataFrame(
        rows,
        columns=[
            "stratum",
            "method",
            "documented",
            "official",
            "n_hat",
            "ci_low",
            "ci_high",
            "undercount",
            "status",
            "warnings",
            "caveats",
            *(["imputed_stratum", "imputations"] if imputed else []),
        ],
    )
    data["flag"] = footnotes(data["warnings"], data["caveats"]).marks
    return data


#: The documented bar's two parts when strata were imputed: drawn in this order, bottom up.
KNOWN_STRATUM = "stratum recorded"
IMPUTED_STRATUM = "stratum imputed"


def strata_bars(data: pd.DataFrame) -> pd.DataFrame:
    """The documented bars of :func:`strata_figure`: one segment per stratum, two when strata were imputed.

    ``part`` is :data:`KNOWN_STRATUM` (people whose stratum every list recorded)
    or :data:`IMPUTED_STRATUM` (placed there by an imputed value: the mean over
    imputations); ``people`` is the segment's height, and the segments of a
    stratum add up to its ``documented`` count.
    """
    bars = data.drop_duplicates("stratum")
    imputed = (
        bars["imputed_stratum"].to_numpy(dtype=float)
        if "imputed_stratum" in bars
        else np.zeros(len(bars), dtype=float)
    )
    documented = bars["documented"].to_numpy(dtype=float)
    parts = [
        pd.DataFrame(
            {"stratum": bars["stratum"].to_numpy(), "part": KNOWN_STRATUM, "people": documented - imputed}
        )
    ]
    if "imputed_stratum" in bars:
        parts.append(
            pd.DataFrame({"stratum": bars["stratum"].to_numpy(), "part": IMPUTED_STRATUM, "people": imputed})
        )
    out = pd.concat(parts, ignore_index=True)
    out["part"] = pd.Categorical(out["part"], categories=[IMPUTED_STRATUM, KNOWN_STRATUM], ordered=True)
    return out


def _imputed_caption(data: pd.DataFrame) -> list[str]:
    if "imputed_stratum" not in data:
        return []
    bars = data.drop_duplicates("stratum")
    total = float(bars["imputed_stratum"].sum())
    m = int(bars["imputations"].max()) if len(bars) else 0
    return [
        f"Light bar tops (dashed outline): people placed in the stratum by an imputed value, {total:,.1f} in all "
        f"(the mean over {m} imputations); the bars count them in their imputed strata."
    ]


def strata_figure(data: pd.DataFrame, title: str, level: float, synthetic: bool):
    bars = data.drop_duplicates("stratum")
    segments = strata_bars(data)
    dodge = position_dodge(width=0.6)
    notes = footnotes(data["warnings"], data["caveats"])
    # a stratum without any estimate says so in grey above its bar, never as a red (or coloured) mark
    none = (
        data.groupby("stratum")
        .filter(lambda g: (g["status"] == NOT_ESTIMABLE).all())
        .drop_duplicates("stratum")
    )
    none = none.assign(text=[f"× {NOT_ESTIMABLE} {f}".rstrip() for f in none["flag"]])
    plot = ggplot(data, aes(x="stratum"))
    if "imputed_stratum" in data:
        plot = (
            plot
            + geom_col(segments, aes(y="people", fill="part", linetype="part"), color="#888888", size=0.3)
            + scale_fill_manual(
                values={KNOWN_STRATUM: "#dddddd", IMPUTED_STRATUM: "#f4f4f4"}, name="documented"
            )
            + scale_linetype_manual(
                values={KNOWN_STRATUM: "solid", IMPUTED_STRATUM: "dashed"}, name="documented"
            )
        )
    else:
        plot = plot + geom_col(bars, aes(y="documented"), fill="#dddddd")
    plot = (
        plot
        + geom_text(
            none,
            aes(y="documented", label="text"),
            va="bottom",
            size=7,
            color=NOT_ESTIMABLE_COLOUR,
            family="DejaVu Sans",
        )
        + geom_point(bars, aes(y="official"), shape="_", size=12)
        + geom_errorbar(aes(ymin="ci_low", ymax="ci_high", color="method"), width=0.2, position=dodge)
        + geom_point(aes(y="n_hat", color="method", shape="status"), size=3, position=dodge)
        + geom_text(
            aes(y="ci_high", label="flag", group="method"),
            position=dodge,
            va="bottom",
            size=6.5,
            family="DejaVu Sans",
        )
        + scale_shape_manual(values={CLEAN: "o", WARN: "^", "not estimable": "x"})
        + labs(
            x="stratum",
            y="people",
            color="method",
            shape="",
            title=title,
            caption=_caption(
                [
                    "Grey bars: documented by any list; black dashes: on the official list; points and lines: "
                    f"estimates with {round(100 * level)}% intervals.",
                    "The gap between bar and estimate is the undocumented part; strata failing the usable-stratum "
                    "rule have no estimate (grey: not estimable).",
                    *_imputed_caption(data),
                    *notes.caption_lines(),
                ],
                synthetic,
            ),
        )
        + people_scale("y", zero=True)
        + theme_undercount()
    )
    return plot, data


# ------------------------------------------------------- reported over time
def reported_vs_estimated_data(
    reported: pd.DataFrame, estimates: pd.DataFrame, events: Mapping[str, tuple[str, str]], method: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reported tolls (real) and, per event, one method's estimate placed after the last report.

    ``method`` may be labels joined by ``|`` (the report's span headline): the
    estimate drawn is then the span of their intervals, with the first label's
    point, every member's warnings (each naming its method) and their caveats;
    without every member's estimate there is no span, and the row says why.
    """
    labels = members(method)
    tolls = reported_tolls_data(reported, events)
    est_rows = []
    for event, (label, _start) in events.items():
        sel = estimates[
            (estimates["event"] == event)
            & (estimates["population"] == "deaths")
            & (estimates["stratum"] == "all")
            & (estimates["method"].isin(labels))
        ]
        last = tolls[tolls["event"] == event]["days_since_start"].max()
        rows = [dict(est) for _, est in sel.iterrows()]
        if len(labels) > 1 and rows:
            rows = [_span_row(rows, labels)]
        for est in rows:
            est_rows.append(
                {
                    "event": event,
                    "event_label": label,
                    "days_since_start": (last if _finite(last) else 0) * 1.6 + 5,
                    "method": span_label(labels) if len(labels) > 1 else method,
                    "n_hat": est["n_hat"],
                    "ci_low": est["ci_low"],
                    "ci_high": est["ci_high"],
                    "warnings": est["warnings"] if isinstance(est["warnings"], str) else "",
                    "caveats": est["caveats"] if isinstance(est.get("caveats"), str) else "",
                }
            )
    return tolls, pd.DataFrame(
        est_rows,
        columns=[
            "event",
            "event_label",
            "days_since_start",
            "method",
            "n_hat",
            "ci_low",
            "ci_high",
            "warnings",
            "caveats",
        ],
    )


def _span_row(rows: Sequence[Mapping], labels: Sequence[str]) -> dict:
    """One estimates.csv row per member (``rows``) as the row of their span (see
    :func:`undercount.results.combine.span`, which the report's headline uses)."""
    import math

    by = {str(r["method"]): r for r in rows}

    def texts(value) -> list[str]:
        return [w for w in value.split(" | ") if w] if isinstance(value, str) else []

    # worded as the report's span (combine.span): "model m: ...", "every model: ..." once
    warnings = carried_texts({m: texts(by[m]["warnings"]) for m in labels if m in by}, "model")
    caveats = list(dict.fromkeys(c for m in labels if m in by for c in texts(by[m].get("caveats"))))
    missing = [m for m in labels if m not in by or not math.isfinite(float(by[m]["n_hat"]))]
    nan = float("nan")
    if missing:
        warnings.append(span_refusal(missing))
        point, low, high = nan, nan, nan
    else:
        point = float(by[labels[0]]["n_hat"])
        low = min(float(by[m]["ci_low"]) for m in labels)
        high = max(float(by[m]["ci_high"]) for m in labels)
    return {
        "n_hat": point,
        "ci_low": low,
        "ci_high": high,
        "warnings": " | ".join(warnings),
        "caveats": " | ".join(caveats),
    }


def reported_vs_estimated_figure(
    reported: pd.DataFrame,
    estimates: pd.DataFrame,
    events: Mapping[str, tuple[str, str]],
    method: str,
    level: float,
    synthetic: bool,
):
    tolls, est = reported_vs_estimated_data(reported, estimates, events, method)
    est = est.copy()
    notes = footnotes(est["warnings"], est["caveats"])
    flags = notes.marks
    est["label"] = [f"{m} {f}".strip() for m, f in zip(est["method"], flags)]
    est_ok = est[est["n_hat"].notna()]
    shown = span_label(members(method)) if len(members(method)) > 1 else method
    estimate_note = f"Red: estimated total ({shown}, {round(100 * level)}% interval) from " + (
        "SYNTHETIC DEMO LISTS, NOT the real events: it only shows where an estimate from "
        "real lists would be drawn."
        if synthetic
        else "the configured source lists."
    )
    plot = (
        ggplot(tolls, aes("days_since_start", "value"))
        + geom_point(aes(shape="class"), size=2.3)
        + geom_pointrange(
            est_ok,
            aes("days_since_start", "n_hat", ymin="ci_low", ymax="ci_high"),
            color="#c0392b",
            inherit_aes=False,
        )
        + geom_text(
            est_ok,
            aes("days_since_start", "ci_high", label="label"),
            color="#c0392b",
            va="bottom",
            size=7,
            inherit_aes=False,
        )
        + facet_wrap("event_label", scales="free", ncol=1)
        + scale_x_continuous(trans="log1p", breaks=[0, 1, 3, 7, 14, 30, 60, 120, 240, 365])
        + scale_shape_manual(values={"reported national total": "o", "unofficial claim (unverified)": "^"})
        + people_scale("y", zero=False)
        + labs(
            x="days since the event began (log scale)",
            y="deaths",
            shape="",
            title="Reported death tolls over time and the estimated total",
            # the estimate rests on synthetic lists: the figure carries the label like every other
            subtitle=SYNTHETIC_LABEL if synthetic else None,
            caption=(
                "Black: real reported figures (data/reported_figures.csv, each cited). "
                + estimate_note
                + "".join("\n" + line for line in notes.caption_lines())
            ),
        )
        + theme_undercount()
        + theme(legend_position="bottom")
    )
    data = pd.concat(
        [tolls.assign(series="reported"), est.rename(columns={"n_hat": "value"}).assign(series="estimate")],
        ignore_index=True,
    )
    return plot, data
