"""Figure: how the sources overlap (UpSet style: pattern counts over a list matrix)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from plotnine import (
    aes,
    element_blank,
    geom_col,
    geom_line,
    geom_point,
    geom_text,
    ggplot,
    labs,
    scale_color_manual,
    scale_x_discrete,
    theme,
)

from ..histories import CaptureTable
from .common import SYNTHETIC_LABEL, people_scale, theme_undercount


def overlap_data(table: CaptureTable, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per (capture pattern, list): the pattern's count and whether it includes the list.

    Patterns are ranked by count (largest first), ties by canonical order.
    """
    labels = dict(labels or {})
    order = sorted(range(len(table.counts)), key=lambda i: (-int(table.counts[i]), i))
    rows = []
    for rank, i in enumerate(order, start=1):
        pattern = table.patterns[i]
        code = "".join(str(int(v)) for v in pattern)
        for j, name in enumerate(table.lists):
            rows.append(
                {
                    "rank": rank,
                    "pattern": code,
                    "count": int(table.counts[i]),
                    "n_lists": int(pattern.sum()),
                    "list": name,
                    "list_label": labels.get(name, name),
                    "on_list": bool(pattern[j]),
                }
            )
    return pd.DataFrame(
        rows, columns=["rank", "pattern", "count", "n_lists", "list", "list_label", "on_list"]
    )


def overlap_figure(
    table: CaptureTable, title: str, labels: Mapping[str, str] | None = None, synthetic: bool = False
):
    """(plot, data): an UpSet-style view of the capture histories of one table."""
    data = overlap_data(table, labels)
    if data.empty:
        from plotnine import annotate, theme_void

        empty = (
            ggplot()
            + annotate("text", x=0, y=0, label="No list documents anyone in this population.", size=12)
            + labs(title=title, subtitle=(SYNTHETIC_LABEL if synthetic else None))
            + theme_void()
        )
        return empty, data
    data["x"] = pd.Categorical(
        data["rank"].astype(str), categories=[str(r) for r in sorted(data["rank"].unique())]
    )
    bars = data.drop_duplicates("rank")
    top = (
        ggplot(bars, aes("x", "count"))
        + geom_col(fill="#3b5b92")
        + geom_text(aes(label="count"), va="bottom", size=7, nudge_y=0.5)
        + people_scale("y", zero=True, expand=(0, 0, 0.12, 0))
        + labs(x="", y="people", title=title, subtitle=(SYNTHETIC_LABEL if synthetic else None))
        + theme_undercount()
        + theme(axis_text_x=element_blank(), axis_ticks_major_x=element_blank())
    )
    on = data[data["on_list"]]
    bottom = (
        ggplot(data, aes("x", "list_label"))
        + geom_point(aes(color="on_list"), size=3)
        + geom_line(on, aes(group="rank"), color="#222222")
        + scale_color_manual(values={True: "#222222", False: "#dddddd"}, guide=None)
        + scale_x_discrete()
        + labs(
            x="capture pattern (people documented by exactly the lists marked)",
            y="",
            caption=f"{int(table.n_observed)} people documented by at least one of {table.k} lists.",
        )
        + theme_undercount()
        + theme(axis_text_x=element_blank(), axis_ticks_major_x=element_blank())
    )
    return top / bottom, data
