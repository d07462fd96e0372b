"""Per-table figures of the Bayesian methods, as the workflow draws them.

``lcmcr``: the trace of N per chain and its posterior density
(:mod:`undercount.figures.lcmcr`); ``dga``: the posterior of N with its most
probable graphs (:mod:`undercount.figures.dga`). A table the method could not
estimate gets a panel that says why, so every configured table has its figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .common import no_estimate_panel

#: The figures each Bayesian estimator gets, per table, in this order.
FIGURES = {"lcmcr": ("trace", "density"), "dga": ("posterior",)}


def posterior_figures(method: str) -> tuple[str, ...]:
    """Names of the per-table figures of the registered ``method`` (empty if none)."""
    from ..estimators import method_family

    return FIGURES.get(method_family(method), ())


def posterior_figure(
    result: Mapping[str, Any], draws: np.ndarray | None, figure: str, *, title: str, synthetic: bool
):
    """(plot, data) of one figure of :data:`FIGURES` for one estimate (its JSON form and draws)."""
    if result.get("n_hat") is None or (figure != "posterior" and draws is None):
        reason = (result.get("warnings") or ["no estimate"])[-1]
        return no_estimate_panel(title, reason, synthetic), pd.DataFrame({"reason": [reason]})
    if figure == "trace":
        from .lcmcr import lcmcr_trace

        return lcmcr_trace(result, draws, title=title, synthetic=synthetic)
    if figure == "density":
        from .lcmcr import lcmcr_density

        return lcmcr_density(result, draws, title=title, synthetic=synthetic)
    if figure == "posterior":
        from .dga import dga_figure

        return dga_figure(result, title=title, synthetic=synthetic)
    raise ValueError(f"unknown posterior figure {figure!r}; known: trace, density, posterior")
