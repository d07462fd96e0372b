"""Figure: what the published list sizes alone imply, for every possible overlap.

Uses only real, published numbers (the sizes of the per-person lists of the
dead), never demo data. Two lists of sizes n1 and n2 sharing m people give
Chapman's estimate (n1+1)(n2+1)/(m+1) - 1 under independence; the overlap is
not public, so the estimate is drawn as a function of it, with its interval.
"""

from __future__ import annotations

import itertools

import pandas as pd
from plotnine import (
    aes,
    facet_wrap,
    geom_line,
    geom_ribbon,
    ggplot,
    labs,
    scale_linetype_manual,
    scale_y_log10,
    theme,
)

from ..estimators import estimate
from ..histories import CaptureTable
from .common import theme_undercount


def published_list_sizes(reported: pd.DataFrame, event: str) -> dict[str, int]:
    """Sizes of published per-person lists of one event (``quantity == named_list_size``)."""
    rows = reported[(reported["event"] == event) & (reported["quantity"] == "named_list_size")]
    sizes: dict[str, int] = {}
    for _, row in rows.iterrows():
        name = str(row["reported_by"]).split(" (")[0].replace("'s Office", "")
        sizes.setdefault(f"{name} {int(row['value'])}", int(row["value"]))
    return sizes


def implied_by_overlap(sizes: dict[str, int], level: float = 0.95, step: int = 1) -> pd.DataFrame:
    """Chapman's estimate and interval for every pair of lists and every possible overlap."""
    rows = []
    for (a, n1), (b, n2) in itertools.combinations(sizes.items(), 2):
        for m in range(0, min(n1, n2) + 1, step):
            table = CaptureTable.from_arrays(["A", "B"], [[1, 0], [0, 1], [1, 1]], [n1 - m, n2 - m, m])
            result = estimate(table, "chapman", level=level)
            rows.append(
                {
                    "pair": f"{a} × {b}",
                    "list_a": a,
                    "list_b": b,
                    "n_a": n1,
                    "n_b": n2,
                    "overlap": m,
                    "documented": n1 + n2 - m,
                    "n_hat": result.n_hat,
                    "ci_low": result.ci_low,
                    "ci_high": result.ci_high,
                }
            )
    return pd.DataFrame(rows)


def list_sizes_figure(reported: pd.DataFrame, event: str, event_label: str, level: float = 0.95):
    """(plot, data) for one event's published lists."""
    data = implied_by_overlap(published_list_sizes(reported, event), level)
    long = pd.concat(
        [
            data.assign(quantity="estimated total (Chapman, independence)", value=data["n_hat"]),
            data.assign(quantity="documented by the two lists", value=data["documented"]),
        ]
    )
    plot = (
        ggplot(long, aes("overlap", "value"))
        + geom_ribbon(
            data, aes("overlap", ymin="ci_low", ymax="ci_high"), inherit_aes=False, fill="#c0392b", alpha=0.2
        )
        + geom_line(aes(linetype="quantity"))
        + facet_wrap("pair", ncol=3)
        + scale_y_log10()
        + scale_linetype_manual(
            values={
                "estimated total (Chapman, independence)": "solid",
                "documented by the two lists": "dashed",
            }
        )
        + labs(
            x="people on both lists (not published)",
            y="people (log scale)",
            linetype="",
            title=f"{event_label}: what the published list sizes alone imply",
            caption=(
                "REAL published list sizes only (data/reported_figures.csv); no demo data. The overlap of the "
                f"lists is not public, so every possible overlap is shown.\nShaded: {round(100 * level)}% interval. "
                "Assumes the two lists are independent; lists that tend to include the same people make the "
                "true total larger than drawn."
            ),
        )
        + theme_undercount()
        + theme(legend_position="bottom")
    )
    return plot, data
