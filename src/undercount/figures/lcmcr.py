"""Figures of an LCMCR run: the trace of N per chain and the posterior density of N.

Both take the estimate (an :class:`~undercount.results.EstimateResult`, as
:func:`~undercount.results.read_result` reads it) and draw its draws of N,
one row per chain (``result.draws``). A reader checks
two things here: that the chains overlap (no chain stuck in a region the
others never visit: the R-hat of the estimate says the same in one number)
and where the posterior's mass lies against the median and interval quoted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from plotnine import aes, geom_line, geom_step, geom_vline, ggplot, labs, scale_color_manual, theme

from .common import SYNTHETIC_LABEL, people_scale, theme_undercount, wrap

if TYPE_CHECKING:
    from ..results import EstimateResult

CHAIN_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")

#: Bins of the density figure (on the range of the central 99.5% of the draws).
BINS = 60


def chains_frame(result: EstimateResult) -> pd.DataFrame:
    """One row per kept draw: ``chain`` (1-based), ``draw`` (within its chain), ``N``."""
    if result.draws is None:
        raise ValueError("an LCMCR figure needs the draws of N")
    values = result.draws.values
    chains, per_chain = values.shape
    return pd.DataFrame(
        {
            "chain": np.repeat(np.arange(1, chains + 1), per_chain),
            "draw": np.tile(np.arange(1, per_chain + 1), chains),
            "N": values.reshape(-1),
        }
    )


def _notes(result: EstimateResult, synthetic: bool) -> list[str]:
    d = result.details
    s = result.settings
    level = round(100 * float(result.ci_level))
    notes = [
        f"Posterior median {result.n_hat:,.0f}, {level}% interval {result.ci_low:,.0f} to {result.ci_high:,.0f}; "
        f"{int(result.n_observed):,} people documented. R-hat {d['rhat']:.3f}, bulk ESS {d['ess_bulk']:,.0f} "
        f"(warning when R-hat > 1.01 or ESS < 400).",
        f"LCMCR (Manrique-Vallier 2016): K = {s.get('K')}, a_alpha = {s.get('a_alpha')}, b_alpha = {s.get('b_alpha')}, "
        f"{d['chains']} chains (start: {s.get('start')}), burn-in {s.get('burnin')}, {d['draws_per_chain']} draws "
        f"per chain thinned by {s.get('thinning')}.",
    ]
    for w in result.warnings:
        notes.append(wrap(f"Warning: {w}"))
    if synthetic:
        notes.insert(0, SYNTHETIC_LABEL)
    return notes


def _colours(chains: int) -> dict[str, str]:
    return {str(c): CHAIN_COLOURS[(c - 1) % len(CHAIN_COLOURS)] for c in range(1, chains + 1)}


def lcmcr_trace(result: EstimateResult, *, title: str | None = None, synthetic: bool = False):
    """(plot, data): N against draw number, one line per chain, median and interval marked."""
    res = result
    data = chains_frame(result)
    chains = int(data["chain"].max())
    plot_data = data.assign(chain=data["chain"].astype(str))
    plot = (
        ggplot(plot_data, aes("draw", "N", color="chain"))
        + geom_line(alpha=0.7, size=0.3)
        + _marks(res, horizontal=True)
        + scale_color_manual(values=_colours(chains))
        + people_scale("y", zero=False)
        + labs(
            x="kept draw (after burn-in and thinning)",
            y="total N",
            color="chain",
            title=title or "LCMCR: trace of N per chain",
            subtitle=SYNTHETIC_LABEL if synthetic else None,
            caption="\n".join(_notes(res, synthetic)),
        )
        + theme_undercount()
        + theme(legend_position="right")
    )
    return plot, data


def density_frame(result: EstimateResult, bins: int = BINS) -> pd.DataFrame:
    """Histogram densities of N: per chain and pooled (``chain`` = "all"), on common bins.

    The bins span the 0.25% to 99.75% quantiles of the pooled draws (a far tail
    would squash the figure); ``outside`` says how many draws fall beyond them.
    """
    frame = chains_frame(result)
    pooled = frame["N"].to_numpy()
    lo, hi = np.quantile(pooled, [0.0025, 0.9975])
    if hi <= lo:
        hi = lo + 1.0
    edges = np.linspace(lo, hi, bins + 1)
    width = edges[1] - edges[0]
    rows = []
    groups = [("all", pooled)] + [(str(c), g["N"].to_numpy()) for c, g in frame.groupby("chain")]
    for name, values in groups:
        counts, _ = np.histogram(values, bins=edges)
        outside = int(((values < lo) | (values > hi)).sum())
        for i, c in enumerate(counts):
            rows.append(
                {
                    "chain": name,
                    "N_low": float(edges[i]),
                    "N_high": float(edges[i + 1]),
                    "N": float(edges[i]),
                    "count": int(c),
                    "density": float(c / (len(values) * width)),
                    "outside": outside,
                }
            )
    return pd.DataFrame(rows)


def lcmcr_density(result: EstimateResult, *, title: str | None = None, synthetic: bool = False):
    """(plot, data): the posterior density of N, pooled (black) and per chain, median and interval marked."""
    res = result
    data = density_frame(result)
    chains = int(res.draws.chains if res.draws is not None else res.details["chains"])
    colours = {"all": "#000000", **_colours(chains)}
    sizes = data.assign(
        chain=pd.Categorical(data["chain"], categories=["all"] + [str(c) for c in range(1, chains + 1)])
    )
    notes = _notes(res, synthetic)
    outside = int(data.loc[data["chain"] == "all", "outside"].iloc[0])
    if outside:
        notes.insert(
            1 if synthetic else 0,
            f"{outside:,} of {chains * int(res.details['draws_per_chain']):,} draws lie beyond the "
            "0.25%-99.75% range drawn.",
        )
    plot = (
        ggplot(sizes, aes("N", "density", color="chain"))
        + geom_step(sizes[sizes["chain"] != "all"], alpha=0.6, size=0.4)
        + geom_step(sizes[sizes["chain"] == "all"], size=0.9)
        + _marks(res, horizontal=False)
        + scale_color_manual(values=colours)
        + people_scale("x", zero=False)
        + labs(
            x="total N (documented + undocumented)",
            y="posterior density",
            color="chain",
            title=title or "LCMCR: posterior of N",
            subtitle=SYNTHETIC_LABEL if synthetic else None,
            caption="\n".join(notes),
        )
        + theme_undercount()
        + theme(legend_position="right")
    )
    return plot, data


def _marks(res: EstimateResult, horizontal: bool):
    from plotnine import geom_hline

    median = pd.DataFrame({"v": [float(res.n_hat)]})
    ends = pd.DataFrame({"v": [float(res.ci_low), float(res.ci_high)]})
    if horizontal:
        return [
            geom_hline(median, aes(yintercept="v"), linetype="solid"),
            geom_hline(ends, aes(yintercept="v"), linetype="dashed"),
        ]
    return [
        geom_vline(median, aes(xintercept="v"), linetype="solid"),
        geom_vline(ends, aes(xintercept="v"), linetype="dashed"),
    ]
