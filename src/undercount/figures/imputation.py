"""The spread of the estimate across imputations, next to the pooled estimate (per stratum and total)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .common import SYNTHETIC_LABEL, people_scale, theme_undercount

#: Columns of the figure's data (the .tsv next to it).
COLUMNS = ["method", "stratum", "what", "imputation", "n_observed", "n_hat", "ci_low", "ci_high"]


def imputation_data(
    per_imputation: Mapping[str, pd.DataFrame], pooled: Mapping[str, Mapping[str, object]]
) -> pd.DataFrame:
    """Rows of the figure: every imputation's estimate, and the pooled one, per method and stratum.

    ``per_imputation[label]`` is a method's ``total/{label}.imputations.tsv``;
    ``pooled[label][stratum]`` its pooled result (``stratum`` ``total`` for the total).
    """
    rows = []
    for label, frame in per_imputation.items():
        for rec in frame.itertuples(index=False):
            rows.append(
                [
                    label,
                    rec.stratum,
                    "imputation",
                    int(rec.imputation),
                    rec.n_observed,
                    rec.n_hat,
                    rec.ci_low,
                    rec.ci_high,
                ]
            )
        for stratum, r in pooled[label].items():
            rows.append([label, stratum, "pooled", 0, r.n_observed, r.n_hat, r.ci_low, r.ci_high])  # type: ignore[attr-defined]
    data = pd.DataFrame(rows, columns=COLUMNS)
    return data.sort_values(["method", "stratum", "what", "imputation"], kind="stable").reset_index(drop=True)


def imputation_figure(data: pd.DataFrame, title: str, level: float, m: int, synthetic: bool):
    """Dots: each imputation's estimate; bar: the pooled estimate and its interval; per method."""
    from plotnine import aes, element_text, facet_wrap, geom_errorbarh, geom_point, ggplot, labs, theme

    drawn = data.dropna(subset=["n_hat"]).copy()
    nothing = drawn.empty
    if nothing:  # no estimate at all: draw the documented counts, and say so
        drawn = data[data["what"] == "pooled"].assign(n_hat=data["n_observed"], ci_low=np.nan, ci_high=np.nan)
    strata = sorted(set(data["stratum"]) - {"total"}, reverse=True) + ["total"]
    drawn["stratum"] = pd.Categorical(drawn["stratum"], categories=strata[::-1][::-1])
    imputations = drawn[drawn["what"] == "imputation"]
    pooled = drawn[drawn["what"] == "pooled"].dropna(subset=["ci_low", "ci_high"])
    missing = sorted(set(data.loc[(data["what"] == "pooled") & data["n_hat"].isna(), "stratum"]))
    lines = [
        f"grey dots: the estimate in each of the {m} completed data sets; black: pooled over them, "
        f"with its {level:.0%} interval."
    ]
    if nothing:
        lines.append("no stratum and no total is estimable: the points are the documented counts")
    elif missing:
        lines.append(f"not estimable when pooled (see estimates.csv): {', '.join(missing)}")
    caption = "\n".join(([SYNTHETIC_LABEL] if synthetic else []) + lines)
    points = drawn[drawn["what"] == "pooled"]
    plot = ggplot(drawn, aes(y="stratum", x="n_hat"))
    if not imputations.empty:  # plotnine cannot facet a layer without rows
        plot = plot + geom_point(data=imputations, color="#888888", alpha=0.6, size=1.5)
    if not pooled.empty:
        plot = plot + geom_errorbarh(data=pooled, mapping=aes(xmin="ci_low", xmax="ci_high"), height=0.3)
    plot = (
        plot
        + geom_point(data=points, color="black", size=2.5, fill="white" if nothing else "black")
        + facet_wrap("method", scales="free_x")
        + people_scale("x", zero=False)
        + labs(
            x="estimated total (documented and undocumented)",
            y="stratum",
            title=f"{'[SYNTHETIC] ' if synthetic else ''}{title}: estimates across imputations",
            caption=caption,
        )
        + theme_undercount()
        + theme(axis_text_x=element_text(rotation=30, ha="right"))
    )
    return plot, data
