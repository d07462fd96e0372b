"""Figures that compare: methods side by side, the official count's coverage, strata, time."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from plotnine import (
    aes,
    facet_wrap,
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

from .common import SYNTHETIC_LABEL, theme_undercount, warning_footnotes
from .reported import reported_tolls_data

WARN = "with warnings"
CLEAN = "no warnings"


def _finite(v) -> bool:
    return v is not None and not pd.isna(v) and math.isfinite(float(v))


def _caption(lines: list[str], synthetic: bool) -> str:
    return "\n".join(([SYNTHETIC_LABEL] if synthetic else []) + lines)


# ---------------------------------------------------------------- forest plot
def forest_data(estimates: pd.DataFrame, population: str, event_labels: Mapping[str, str]) -> pd.DataFrame:
    """One row per (event, stratum, method) of a population, warnings flagged."""
    rows = estimates[estimates["population"] == population].copy()
    rows["warnings"] = rows["warnings"].fillna("")
    rows["event_label"] = rows["event"].map(lambda e: event_labels.get(e, e))
    rows["status"] = np.where(
        rows["n_hat"].isna(), "not estimable", np.where(rows["warnings"] != "", WARN, CLEAN)
    )
    rows["table"] = rows["stratum"]
    rows["x"] = rows["n_hat"].where(rows["n_hat"].notna(), rows["n_observed"])
    cap = rows["n_hat"].max() * 3 if rows["n_hat"].notna().any() else rows["n_observed"].max()
    rows["high_drawn"] = [
        h if _finite(h) else (cap if (h is not None and not pd.isna(h)) else np.nan) for h in rows["ci_high"]
    ]
    rows["row"] = rows["table"] + "  ·  " + rows["method"]
    rows = rows.sort_values(["event", "table", "method"]).reset_index(drop=True)
    rows["flag"], _ = warning_footnotes(rows["warnings"])
    cols = [
        "event",
        "event_label",
        "population",
        "table",
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
        "warnings",
    ]
    return rows[cols]


def forest_figure(
    estimates: pd.DataFrame, population: str, event_labels: Mapping[str, str], level: float, synthetic: bool
):
    """(plot, data): every method on every table of one population, with intervals."""
    data = forest_data(estimates, population, event_labels)
    drawn = data.copy()
    drawn["row"] = pd.Categorical(drawn["row"], categories=sorted(drawn["row"].unique(), reverse=True))
    plot = (
        ggplot(drawn, aes(y="row", x="x", color="method", shape="status"))
        + geom_segment(aes(x="ci_low", xend="high_drawn", yend="row"), size=0.8)
        + geom_point(size=2.6, fill="white")
        + geom_text(aes(x="x", label="flag"), nudge_y=0.38, size=6.5, color="#444444", family="DejaVu Sans")
        + facet_wrap("event_label", scales="free", ncol=1)
        + scale_shape_manual(values={CLEAN: "o", WARN: "^", "not estimable": "x"})
        + labs(
            x="people",
            y="table (stratum)  ·  method",
            color="method",
            shape="",
            title=f"{population.capitalize()}: every method on every table",
            caption=_caption(
                [
                    f"Points: estimates; lines: {round(100 * level)}% intervals (unbounded ends drawn to the edge). "
                    "Triangles carry warnings, crosses are not estimable (drawn at the documented count).",
                    "Warnings (⚠n next to an estimate):",
                    warning_footnotes(data["warnings"])[1],
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
        ],
    )


def coverage_figure(data: pd.DataFrame, level: float, synthetic: bool):
    data = data.copy()
    data["flag"], footnotes = warning_footnotes(data["warnings"])
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
                    "Warnings of the estimates (⚠n):",
                    footnotes,
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
            *(["imputed_stratum", "imputations"] if imputed else []),
        ],
    )
    data["flag"], _ = warning_footnotes(data["warnings"])
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
                    "rule have no estimate.",
                    *_imputed_caption(data),
                    "Warnings (⚠n):",
                    warning_footnotes(data["warnings"])[1],
                ],
                synthetic,
            ),
        )
        + theme_undercount()
    )
    return plot, data


# ------------------------------------------------------- reported over time
def reported_vs_estimated_data(
    reported: pd.DataFrame, estimates: pd.DataFrame, events: Mapping[str, tuple[str, str]], method: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reported tolls (real) and, per event, one method's estimate placed after the last report."""
    tolls = reported_tolls_data(reported, events)
    est_rows = []
    for event, (label, _start) in events.items():
        sel = estimates[
            (estimates["event"] == event)
            & (estimates["population"] == "deaths")
            & (estimates["stratum"] == "all")
            & (estimates["method"] == method)
        ]
        last = tolls[tolls["event"] == event]["days_since_start"].max()
        for _, est in sel.iterrows():
            est_rows.append(
                {
                    "event": event,
                    "event_label": label,
                    "days_since_start": (last if _finite(last) else 0) * 1.6 + 5,
                    "method": method,
                    "n_hat": est["n_hat"],
                    "ci_low": est["ci_low"],
                    "ci_high": est["ci_high"],
                    "warnings": est["warnings"] if isinstance(est["warnings"], str) else "",
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
        ],
    )


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
    flags, footnotes = warning_footnotes(est["warnings"])
    est["label"] = [f"{m} {f}".strip() for m, f in zip(est["method"], flags)]
    est_ok = est[est["n_hat"].notna()]
    estimate_note = f"Red: estimated total ({method}, {round(100 * level)}% interval) from " + (
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
        + labs(
            x="days since the event began (log scale)",
            y="deaths",
            shape="",
            title="Reported death tolls over time and the estimated total",
            caption=(
                "Black: real reported figures (data/reported_figures.csv, each cited). "
                + estimate_note
                + "\nWarnings of the estimate (⚠n):\n"
                + footnotes
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
