"""Results: one estimate from the fit to the figure, and the ways to combine estimates.

* :class:`EstimateResult` (:mod:`.result`): point, interval, level, warnings,
  typed details (:mod:`.details`), draws shaped ``(chain, draw)`` (:mod:`.draws`)
  and, in memory only, the fit; written by :meth:`EstimateResult.write` and
  read back equal by :func:`read_result`.
* :mod:`.combine`: :func:`~.combine.add` (totals over strata, draw by draw) and
  :func:`~.combine.mix` (pools over replicates of one quantity).
* :mod:`.tidy`: the rows of ``results/estimates.csv`` and ``results/summary.csv``.
"""

from . import combine
from .details import (
    Bootstrap,
    Cell,
    ChainsSummary,
    Combination,
    Details,
    GridPosterior,
    LoglinearFit,
    Part,
)
from .draws import KINDS, Draws
from .result import FORMAT, EstimateResult, not_estimable, read_result, with_caveats, with_warnings
from .tidy import (
    ESTIMATE_COLUMNS,
    EXECUTION_SETTINGS,
    LINKAGES,
    estimate_table,
    estimates_frame,
    headline_rows,
    result_row,
    summary_table,
    workflow_settings,
    write_draws_csv,
    write_estimates,
)

__all__ = [
    "ESTIMATE_COLUMNS",
    "EXECUTION_SETTINGS",
    "FORMAT",
    "KINDS",
    "LINKAGES",
    "Bootstrap",
    "Cell",
    "ChainsSummary",
    "Combination",
    "Details",
    "Draws",
    "EstimateResult",
    "GridPosterior",
    "LoglinearFit",
    "Part",
    "combine",
    "estimate_table",
    "estimates_frame",
    "headline_rows",
    "not_estimable",
    "read_result",
    "result_row",
    "summary_table",
    "with_caveats",
    "with_warnings",
    "workflow_settings",
    "write_draws_csv",
    "write_estimates",
]
