"""Figure: Pearson residuals per capture pattern of a fitted log-linear model.

A residual ``(observed - fitted) / sqrt(fitted)`` far outside +-2 marks a
pattern the model does not reproduce, a hint of dependence or heterogeneity
it leaves out. Cells a minus-infinity term deletes (structural zeros) have no
residual and are marked. The data come from the cells of the
:class:`~undercount.results.LoglinearFit` of any method that produces them
(``Method.has_cells``: ``mt``, ``loglinear``, ``loglinear-aic/bic``,
``stepwise``, the Rcapture models, and their ``-bca`` variants).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd
from plotnine import (
    aes,
    element_text,
    geom_hline,
    geom_point,
    geom_segment,
    geom_text,
    ggplot,
    labs,
    scale_color_manual,
    theme,
)

from ..results.details import LoglinearFit
from .common import SYNTHETIC_LABEL, NothingToDraw, theme_undercount

if TYPE_CHECKING:
    from ..results import EstimateResult

#: Residuals beyond this size are highlighted.
LARGE = 2.0

COLOURS = {"within ±2": "#4d4d4d", "beyond ±2": "#c0392b", "structural zero": "#7f7f7f"}


def residuals_data(result: EstimateResult, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per observable capture pattern: observed, fitted, Pearson residual.

    Columns: ``order`` (canonical pattern order), ``pattern`` (0/1 string),
    ``lists_on`` (names of the lists, ``+``-joined, through ``labels``),
    ``n_lists``, ``observed``, ``fitted``, ``pearson`` (NaN for deleted
    cells), ``deleted``, ``kind``.
    """
    details = result.details
    if not isinstance(details, LoglinearFit) or not details.cells:
        raise ValueError(
            f"the {result.method} result carries no per-cell fit: "
            "residuals exist only for log-linear models with an estimate"
        )
    lists = result.lists
    labels = dict(labels or {})
    rows = []
    for order, cell in enumerate(details.cells, start=1):
        pattern = cell.pattern
        on = [labels.get(name, name) for name, bit in zip(lists, pattern) if bit == "1"]
        pearson = float(cell.pearson)
        if cell.deleted:
            kind = "structural zero"
        elif abs(pearson) > LARGE:
            kind = "beyond ±2"
        else:
            kind = "within ±2"
        rows.append(
            {
                "order": order,
                "pattern": pattern,
                "lists_on": "+".join(on),
                "n_lists": len(on),
                "observed": int(cell.observed),
                "fitted": float(cell.fitted),
                "pearson": pearson,
                "deleted": bool(cell.deleted),
                "kind": kind,
            }
        )
    return pd.DataFrame(rows)


def residuals_figure(
    result: EstimateResult,
    *,
    synthetic: bool,
    title: str | None = None,
    labels: Mapping[str, str] | None = None,
):
    """(plot, data): Pearson residuals per pattern, patterns on the x axis.

    ``title`` defaults to the model; the caption gives method, deviance and
    degrees of freedom, and the synthetic-data label when ``synthetic``.
    """
    data = residuals_data(result, labels)
    details = result.details
    plot_data = data.copy()
    plot_data["x"] = pd.Categorical(plot_data["pattern"], categories=list(plot_data["pattern"]))
    plot_data["y"] = plot_data["pearson"].fillna(0.0)
    drawn = plot_data[~plot_data["deleted"]]
    zeros = plot_data[plot_data["deleted"]]
    notes = [
        f"Method {result.method}; deviance {details.get('deviance', float('nan')):.1f} on "
        f"{details.get('df')} df. Residual = (observed - fitted) / sqrt(fitted); dashed lines at ±2.",
        "Patterns: 1 = on the list, in list order " + ", ".join(result.lists) + ".",
    ]
    if len(zeros):
        notes.append("x: structural zero (a pair of lists set to minus infinity), no residual.")
    if synthetic:
        notes.insert(0, SYNTHETIC_LABEL)
    plot = (
        ggplot(drawn, aes("x", "y", color="kind"))
        + geom_hline(yintercept=0, color="#999999")
        + geom_hline(yintercept=[-LARGE, LARGE], linetype="dashed", color="#999999")
        + geom_segment(aes(xend="x", y=0, yend="y"))
        + geom_point(size=2.5)
        + scale_color_manual(values=COLOURS, drop=False)
        + labs(
            x="capture pattern",
            y="Pearson residual",
            color="",
            title=title or f"Fit of {result.model}",
            caption="\n".join(notes),
        )
        + theme_undercount()
        + theme(axis_text_x=element_text(rotation=90, family="DejaVu Sans Mono", size=7))
    )
    if len(zeros):
        plot = plot + geom_text(zeros, aes("x", "y"), label="x", color=COLOURS["structural zero"], size=9)
    return plot, data


def residuals_or_reason(
    result: EstimateResult, *, synthetic: bool, title: str, labels: Mapping[str, str] | None = None
):
    """(plot, data) of :func:`residuals_figure`.

    Raises
    ------
    NothingToDraw
        The method has no fitted model for this table (not estimable): the reason
        is the result's last warning. No placeholder image is drawn.
    """
    try:
        return residuals_figure(result, synthetic=synthetic, title=title, labels=labels)
    except ValueError as exc:
        raise NothingToDraw((result.warnings or ("no estimate",))[-1]) from exc
