"""Figure: the model-averaged posterior of N (dga) and what its most probable graphs contribute.

The posterior of the total N is drawn as stacked areas, one per most probable
decomposable graph and one for all other graphs, so that the height of the
stack is the model-averaged posterior and each band is P(graph, N). Vertical
lines mark the posterior median and the ends of the interval.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from plotnine import (
    aes,
    geom_area,
    geom_vline,
    ggplot,
    labs,
    scale_fill_manual,
    theme,
)

from .common import SYNTHETIC_LABEL, people_scale, theme_undercount

if TYPE_CHECKING:
    from ..results import EstimateResult

#: Colours of the top graphs' bands (colour-blind safe), then grey for all other graphs.
BAND_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
OTHER = "all other graphs"


def dga_figure_data(result: EstimateResult) -> pd.DataFrame:
    """One row per (bin of N, graph): the posterior mass and density (per unit of N).

    ``result`` is a dga :class:`~undercount.results.EstimateResult`; the bins are
    ``details.posterior_by_graph``. Each graph's
    label carries its posterior probability and the median and interval of N
    under that graph alone.
    """
    details = result.details
    binned = details["posterior_by_graph"]
    summaries = {g["graph"]: g for g in details["top_graphs"]}
    lows = np.asarray(binned["N_low"], dtype=float)
    highs = np.asarray(binned["N_high"], dtype=float)
    width = highs - lows + 1
    rows = []
    for order, (graph, probs) in enumerate(zip(binned["graphs"], binned["probability"])):
        probs = np.asarray(probs, dtype=float)
        if graph in summaries:
            s = summaries[graph]
            label = f"{graph}  p = {s['probability']:.2f}"
            if "median" in s:
                label += f";  N {s['median']:,} ({s['ci_low']:,} to {s['ci_high']:,})"
        else:
            label = f"{graph}  p = {max(0.0, 1 - sum(g['probability'] for g in summaries.values() if g['graph'] in binned['graphs'])):.2f}"
        for lo, hi, w, pr in zip(lows, highs, width, probs):
            rows.append(
                {
                    "order": order,
                    "graph": graph,
                    "label": label,
                    "N_low": int(lo),
                    "N_high": int(hi),
                    "N": (lo + hi) / 2.0,
                    "probability": float(pr),
                    "density": float(pr / w),
                }
            )
    return pd.DataFrame(rows)


def dga_figure(result: EstimateResult, *, title: str | None = None, synthetic: bool = False):
    """(plot, data): the posterior of N as stacked bands of the most probable graphs.

    ``synthetic`` adds the visible synthetic-data label (demo data).
    """
    data = dga_figure_data(result)
    details = result.details
    n_hat, low, high, level, n = (
        result.n_hat,
        result.ci_low,
        result.ci_high,
        result.ci_level,
        result.n_observed,
    )
    labels = list(dict.fromkeys(data.sort_values("order")["label"]))
    colours = {
        lab: (BAND_COLOURS[i] if not lab.startswith(OTHER) else "#bdbdbd") for i, lab in enumerate(labels)
    }
    plot_data = data.assign(label=pd.Categorical(data["label"], categories=labels[::-1]))
    marks = pd.DataFrame({"N": [low, n_hat, high], "what": ["interval", "median", "interval"]})
    grid = details["grid"]
    notes = [
        f"Stacked bands: P(graph, N) for the most probable decomposable graphs; their sum is the model-averaged "
        f"posterior of N. Solid line: posterior median {n_hat:,.0f}; dashed: {round(100 * level)}% interval "
        f"{low:,.0f} to {high:,.0f}. {n:,} people observed.",
        f"Prior: {details['prior']}; delta = {details['delta']:.4g}; grid N = {grid['N_min']:,} to {grid['N_max']:,}"
        f"{' (chosen automatically)' if grid['automatic'] else ''}; {details['graphs']:,} graphs averaged.",
    ]
    warnings = result.warnings
    if warnings:
        notes.append(f"{len(warnings)} warning(s) travel with this estimate: see the estimates table.")
    if synthetic:
        notes.insert(0, SYNTHETIC_LABEL)
    plot = (
        ggplot(plot_data, aes("N", "density", fill="label"))
        + geom_area(position="stack", alpha=0.9)
        + geom_vline(marks[marks["what"] == "median"], aes(xintercept="N"), linetype="solid")
        + geom_vline(marks[marks["what"] == "interval"], aes(xintercept="N"), linetype="dashed")
        + people_scale("x", zero=False)
        + scale_fill_manual(values=colours, breaks=labels)
        + labs(
            x="total N (documented + undocumented)",
            y="posterior probability per unit of N",
            fill="graph (posterior probability; median and interval of N under it alone)",
            title=title or "Posterior of the total over all decomposable graphical models (dga)",
            subtitle=SYNTHETIC_LABEL if synthetic else None,
            caption="\n".join(notes),
        )
        + theme_undercount()
        + theme(legend_position="bottom", legend_direction="vertical")
    )
    return plot, data
