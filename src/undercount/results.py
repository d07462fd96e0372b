"""Estimates for workflow tables, and the tidy table of all of them."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .errors import MethodError
from .estimators import EstimateResult, estimate, get_method, not_estimable
from .histories import CaptureTable

if TYPE_CHECKING:  # pandas only where frames are built: estimate jobs start fast
    import pandas as pd

#: Settings that change how a method runs, never what it returns: left out of the table.
EXECUTION_SETTINGS = frozenset({"workers", "progress"})

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
    "synthetic",
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

    A stratum that fails the usable-stratum rule (``meta["unusable_reason"]``),
    a table with fewer than two lists, or one the method cannot handle (too
    few lists, a pair that does not exist) gives a not-estimable result with
    the reason instead of stopping the whole workflow.
    """
    notes = tuple(meta.get("notes", ()))
    spec = get_method(method)
    resolved = spec.resolve(settings)
    if meta.get("unusable_reason"):
        return not_estimable(
            method,
            table.lists,
            table.n_observed,
            meta["unusable_reason"],
            level=level,
            settings=resolved,
            warnings=notes,
        )
    if table.k < 2:
        return not_estimable(
            method,
            table.lists,
            table.n_observed,
            "not estimable: fewer than two lists",
            level=level,
            settings=resolved,
            warnings=notes,
        )
    try:
        result = estimate(
            table, method, model=model, settings=settings, seed=seed if spec.stochastic else None, level=level
        )
    except MethodError as exc:
        return not_estimable(
            method,
            table.lists,
            table.n_observed,
            f"not estimable: {exc}",
            level=level,
            settings=resolved,
            warnings=notes,
        )
    from dataclasses import replace

    return replace(result, warnings=notes + tuple(result.warnings))


def workflow_settings(method: str, settings: Mapping[str, Any] | None, threads: int) -> dict[str, Any]:
    """Settings for a method run by the workflow: the config's, plus workers and progress.

    A method that can use several processes gets as many as the job has threads
    (unless the config says otherwise), so it respects Snakemake's scheduling;
    progress bars are switched off, since job logs are files.
    """
    names = {s.name for s in get_method(method).settings}
    out = dict(settings or {})
    if "workers" in names:
        out.setdefault("workers", int(threads))
    if "progress" in names:
        out.setdefault("progress", False)
    return out


def estimate_row(
    event: str, population: str, stratum: str, label: str, result: Mapping[str, Any], synthetic: bool = False
) -> dict:
    """One row of results/estimates.csv from a result's JSON form.

    ``synthetic`` is True when the table rests on a synthetic list; the row then says so.
    """
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
        "settings": "; ".join(
            f"{k}={v}" for k, v in sorted(settings.items()) if v is not None and k not in EXECUTION_SETTINGS
        ),
        "warnings": " | ".join(result["warnings"]),
        "synthetic": bool(synthetic),
    }


def estimates_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The tidy estimates table, in a stable order."""
    import pandas as pd

    frame = pd.DataFrame(list(rows), columns=ESTIMATE_COLUMNS)
    return frame.sort_values(["event", "population", "stratum", "method"], kind="stable").reset_index(
        drop=True
    )


def write_estimates(frame: pd.DataFrame, path) -> None:
    frame.to_csv(path, index=False, lineterminator="\n", float_format="%.7g")


def _number(value: Any) -> float:
    if value is None:
        return math.nan
    return float(value)


def write_draws(result: EstimateResult, path) -> None:
    """The draws of N (posterior or bootstrap) as one column; header only when there are none."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("N\n")
        if result.draws is not None:
            fh.writelines(f"{float(v):.10g}\n" for v in result.draws)


def read_draws(path):
    """Draws written by :func:`write_draws` (None when the method made none)."""
    import numpy as np

    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    return np.array([float(r[0]) for r in rows]) if rows else None


def summary_table(
    estimates: pd.DataFrame, histories: Mapping[str, Mapping], official: Mapping[str, str]
) -> pd.DataFrame:
    """One row per event and population (stratum ``all``): what was documented, and each estimate.

    ``histories`` maps ``"event/population"`` to the table summary. Each
    method's cell reads ``N (low to high)``, ``not estimable`` or ``N (low to
    high) [warnings: k]``; the warnings themselves are in results/estimates.csv.
    """
    import pandas as pd

    rows = []
    for key, meta in histories.items():
        event, population = key.split("/")
        row: dict[str, Any] = {
            "event": event,
            "population": population,
            "synthetic": bool(meta.get("synthetic_sources")),
            "lists": len(meta["lists"]),
            "documented": meta["n_observed"],
        }
        source = official.get(event)
        row["on_official_list"] = meta["people_per_list"].get(source) if source else None
        sel = estimates[
            (estimates["event"] == event)
            & (estimates["population"] == population)
            & (estimates["stratum"] == "all")
        ]
        for _, est in sel.iterrows():
            row[est["method"]] = _cell(est)
        rows.append(row)
    return pd.DataFrame(rows)


def _cell(est: Mapping[str, Any]) -> str:
    if est["n_hat"] is None or math.isnan(est["n_hat"]):
        return "not estimable"
    high = "unbounded" if math.isinf(est["ci_high"]) else f"{est['ci_high']:,.0f}"
    text = f"{est['n_hat']:,.0f} ({est['ci_low']:,.0f} to {high})"
    warnings = est["warnings"] if isinstance(est["warnings"], str) else ""
    count = len([w for w in warnings.split(" | ") if w])
    return f"{text} [warnings: {count}]" if count else text
