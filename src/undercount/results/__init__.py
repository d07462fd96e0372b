"""Results: one estimate from the fit to the figure, and the ways to combine estimates.

* :class:`EstimateResult` (:mod:`.result`): point, interval, level, warnings,
  typed details (:mod:`.details`), draws shaped ``(chain, draw)`` (:mod:`.draws`)
  and, in memory only, the fit; written by :meth:`EstimateResult.write` and
  read back equal by :func:`read_result`.
* :mod:`.combine`: :func:`~.combine.add` (totals over strata, draw by draw),
  :func:`~.combine.mix` (pools over replicates of one quantity) and
  :func:`~.combine.span` (the span of several models' intervals of one table).
* :mod:`.tidy`: the rows of ``results/estimates.csv`` and ``results/summary.csv``.
"""

from __future__ import annotations

import importlib

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

#: Imported on first access (``undercount.results.combine``, ``undercount.results.estimate_table``):
#: a whole ``estimate`` process writes one result and never combines or tabulates, and the two
#: modules cost it 10-20 ms of its 0.2 s.
_LAZY = {
    "combine": None,
    "ESTIMATE_COLUMNS": "tidy",
    "EXECUTION_SETTINGS": "tidy",
    "LINKAGES": "tidy",
    "estimate_table": "tidy",
    "estimates_frame": "tidy",
    "headline_rows": "tidy",
    "result_row": "tidy",
    "summary_table": "tidy",
    "workflow_settings": "tidy",
    "write_draws_csv": "tidy",
    "write_estimates": "tidy",
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = _LAZY[name]
    if module is None:
        return importlib.import_module(f"{__name__}.{name}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


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
