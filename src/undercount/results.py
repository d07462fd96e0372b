"""Estimates for workflow tables, and the tidy table of all of them."""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

import pandas as pd

from .errors import MethodError
from .estimators import EstimateResult, estimate, get_method, not_estimable
from .histories import CaptureTable

ESTIMATE_COLUMNS = [
    "event",
    "population",
    "stratum",
    "method",
    "lists",
    "n_observed",
    "n_hat",
    "ci_low",
    "ci_high",
    "ci_level",
    "estimator",
    "model",
    "settings",
    "warnings",
]


def estimate_table(
    table: CaptureTable,
    meta: Mapping[str, Any],
    *,
    method: str,
    model: str | None = None,
    settings: Mapping[str, Any] | None = None,
    seed: int | None = None,
    level: float = 0.95,
) -> EstimateResult:
    """Estimate one workflow table, carrying the table's own caveats along.

    A table with fewer than two lists, or one the method cannot handle (too
    few lists, a pair that does not exist), gives a not-estimable result with
    the reason instead of stopping the whole workflow.
    """
    notes = tuple(meta.get("notes", ()))
    spec = get_method(method)
    resolved = spec.resolve(settings)
    if table.k < 2:
        return not_estimable(method, table.lists, table.n_observed, "not estimable: fewer than two lists",
                             level=level, settings=resolved, warnings=notes)
    try:
        result = estimate(table, method, model=model, settings=settings,
                          seed=seed if spec.stochastic else None, level=level)
    except MethodError as exc:
        return not_estimable(method, table.lists, table.n_observed, f"not estimable: {exc}",
                             level=level, settings=resolved, warnings=notes)
    from dataclasses import replace

    return replace(result, warnings=notes + tuple(result.warnings))


def estimate_row(event: str, population: str, stratum: str, label: str, result: Mapping[str, Any]) -> dict:
    """One row of results/estimates.csv from a result's JSON form."""
    settings = result.get("settings") or {}
    return {
        "event": event,
        "population": population,
        "stratum": stratum,
        "method": label,
        "lists": "+".join(result["lists"]),
        "n_observed": result["n_observed"],
        "n_hat": _number(result["n_hat"]),
        "ci_low": _number(result["ci_low"]),
        "ci_high": _number(result["ci_high"]),
        "ci_level": result["ci_level"],
        "estimator": result["method"],
        "model": result.get("model") or "",
        "settings": "; ".join(f"{k}={v}" for k, v in sorted(settings.items()) if v is not None),
        "warnings": " | ".join(result["warnings"]),
    }


def estimates_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The tidy estimates table, in a stable order."""
    frame = pd.DataFrame(list(rows), columns=ESTIMATE_COLUMNS)
    return frame.sort_values(["event", "population", "stratum", "method"], kind="stable").reset_index(drop=True)


def write_estimates(frame: pd.DataFrame, path) -> None:
    frame.to_csv(path, index=False, lineterminator="\n", float_format="%.7g")


def _number(value: Any) -> float:
    if value is None:
        return math.nan
    return float(value)
