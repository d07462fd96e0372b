"""Per-table figures of the Bayesian methods, as the workflow draws them.

``lcmcr``: the trace of N per chain and its posterior density
(:mod:`undercount.figures.lcmcr`); ``dga``: the posterior of N with its most
probable graphs (:mod:`undercount.figures.dga`). A table the method could not
estimate has no figure: :class:`~undercount.figures.common.NothingToDraw` says why,
and the workflow lists it in the directory's ``index.tsv``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .common import NothingToDraw

if TYPE_CHECKING:
    from ..results import EstimateResult

#: The figures a method's results can get, per table (which ones: ``Method.posterior_figures``).
FIGURES = ("trace", "density", "posterior")


def posterior_figure(result: EstimateResult, figure: str, *, title: str, synthetic: bool):
    """(plot, data) of one figure of :data:`FIGURES` for one estimate.

    Raises
    ------
    NothingToDraw
        The method gave no estimate for this table, or no draws to trace.
    """
    if figure not in FIGURES:
        raise ValueError(f"unknown posterior figure {figure!r}; known: {', '.join(FIGURES)}")
    if not result.estimable or (figure != "posterior" and result.draws is None):
        raise NothingToDraw((result.warnings or ("no estimate",))[-1])
    if figure == "trace":
        from .lcmcr import lcmcr_trace

        return lcmcr_trace(result, title=title, synthetic=synthetic)
    if figure == "density":
        from .lcmcr import lcmcr_density

        return lcmcr_density(result, title=title, synthetic=synthetic)
    from .dga import dga_figure

    return dga_figure(result, title=title, synthetic=synthetic)
