"""The tidy tables of results: ``results/estimates.csv`` and ``results/summary.csv``.

Also :func:`estimate_table`, which estimates one workflow table with its own
caveats, and the draws' CSV export.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import tabular
from ..errors import MethodError
from .result import EstimateResult, not_estimable, with_caveats

if TYPE_CHECKING:  # pandas only where frames are built: estimate jobs start fast
    import pandas as pd

    from ..histories import CaptureTable

#: Which linkage a row of results/estimates.csv rests on, in the table's order.
LINKAGES = ("single", "averaged")

#: Settings that change how a method runs, never what it returns: left out of the table.
EXECUTION_SETTINGS = frozenset({"workers", "progress"})

ESTIMATE_COLUMNS = [
    "event",
    "population",
    "stratum",
    "method",
    "linkage",
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
    "caveats",
    "upper_uninformative",
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

    The table's notes (``meta["notes"]``: the linkage's caveats, lists left out
    because they document no one) hold for every estimate of the table: they
    become the result's standing caveats, stated once in the report, not
    warnings of each estimate.

    A stratum that fails the usable-stratum rule (``meta["unusable_reason"]``),
    a table with fewer than two lists, or one the method cannot handle (too
    few lists, a pair that does not exist) gives a not-estimable result with
    the reason instead of stopping the whole workflow.
    """
    from ..estimators import estimate, get_method

    notes = tuple(meta.get("notes", ()))
    spec = get_method(method)
    resolved = spec.resolve(settings)

    def refused(reason: str) -> EstimateResult:
        return not_estimable(
            method, table.lists, table.n_observed, reason, level=level, settings=resolved, caveats=notes
        )

    if meta.get("unusable_reason"):
        return refused(meta["unusable_reason"])
    if table.k < 2:
        return refused("not estimable: fewer than two lists")
    try:
        result = estimate(
            table, method, model=model, settings=settings, seed=seed if spec.stochastic else None, level=level
        )
    except MethodError as exc:
        return refused(f"not estimable: {exc}")
    return with_caveats(result, notes)


def workflow_settings(method: str, settings: Mapping[str, Any] | None, threads: int) -> dict[str, Any]:
    """Settings for a method run by the workflow: the config's, plus workers and progress.

    A method that can use several processes gets as many as the job has threads
    (unless the config says otherwise), so it respects Snakemake's scheduling;
    progress bars are switched off, since job logs are files.
    """
    from ..estimators import get_method

    names = {s.name for s in get_method(method).settings}
    out = dict(settings or {})
    if "workers" in names:
        out.setdefault("workers", int(threads))
    if "progress" in names:
        out.setdefault("progress", False)
    return out


def result_row(
    result: EstimateResult,
    *,
    event: str,
    population: str,
    stratum: str,
    label: str | None = None,
    synthetic: bool = False,
    linkage: str = "single",
) -> dict[str, Any]:
    """One row of results/estimates.csv.

    ``label`` is the method's name in the config (default: the method itself);
    ``synthetic`` is True when the table rests on a synthetic list; ``linkage``
    says which linkage the estimate rests on (:data:`LINKAGES`): ``single`` (the
    clustering at ``linkage.threshold``) or ``averaged`` (pooled over
    ``linkage.draws`` plausible linkages).
    """
    if linkage not in LINKAGES:
        raise ValueError(f"linkage must be one of {', '.join(LINKAGES)}, got {linkage!r}")
    return {
        "event": event,
        "population": population,
        "stratum": stratum,
        "method": label or result.method,
        "linkage": linkage,
        "lists": "+".join(result.lists),
        "n_observed": result.n_observed,
        "n_hat": result.n_hat,
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
        "ci_level": result.ci_level,
        "estimator": result.method,
        "model": result.model or "",
        "settings": "; ".join(
            f"{k}={v}"
            for k, v in sorted(result.settings.items())
            if v is not None and k not in EXECUTION_SETTINGS
        ),
        "warnings": " | ".join(result.warnings),
        "caveats": " | ".join(result.caveats),
        "upper_uninformative": bool(result.upper_uninformative),
        "synthetic": bool(synthetic),
    }


def estimates_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The tidy estimates table, in a stable order."""
    import pandas as pd

    frame = pd.DataFrame(list(rows), columns=ESTIMATE_COLUMNS)
    order = frame["linkage"].map({name: k for k, name in enumerate(LINKAGES)})
    frame = frame.assign(_linkage_order=order)
    frame = frame.sort_values(["event", "population", "stratum", "method", "_linkage_order"], kind="stable")
    return frame.drop(columns="_linkage_order").reset_index(drop=True)


def headline_rows(estimates: pd.DataFrame) -> pd.DataFrame:
    """One row per event, population, stratum and method: the linkage-averaged row where there is
    one (linkage.draws), else the single-linkage row. A table without the ``linkage`` column is
    all single-linkage."""
    import pandas as pd

    if "linkage" not in estimates.columns:
        return estimates
    keys = ["event", "population", "stratum", "method"]
    averaged = estimates[estimates["linkage"] == "averaged"]
    has = set(map(tuple, averaged[keys].to_numpy().tolist()))
    single = estimates[estimates["linkage"] != "averaged"]
    keep = [tuple(k) not in has for k in single[keys].to_numpy().tolist()]
    return pd.concat([single[keep], averaged]).sort_index(kind="stable")


def write_estimates(frame: pd.DataFrame, path: str | Path) -> None:
    tabular.write_csv(frame, path, float_format="%.7g")


def write_draws_csv(result: EstimateResult, path: str | Path) -> None:
    """The draws of N as ``chain, draw, N`` (1-based; a bootstrap is chain 1); header only without draws.

    An export for other tools; the result file itself keeps the draws exactly.
    """
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("chain,draw,N\n")
        if result.draws is not None:
            for c, chain in enumerate(result.draws.values, start=1):
                fh.writelines(f"{c},{d},{float(v):.10g}\n" for d, v in enumerate(chain, start=1))


def summary_table(
    estimates: pd.DataFrame, histories: Mapping[str, Mapping], official: Mapping[str, str]
) -> pd.DataFrame:
    """One row per event and population (stratum ``all``): what was documented, and each estimate.

    ``histories`` maps ``"event/population"`` to the table summary. Each
    method's cell reads ``N (low to high)``, ``not estimable`` or ``N (low to
    high) [warnings: k]``; the warnings themselves are in results/estimates.csv.
    """
    import pandas as pd

    estimates = headline_rows(estimates)
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
