"""The workflow's side of linkage-averaged estimates (issue 16): from a linkage's pairs table to pooled rows.

:mod:`undercount.linkage.draws` draws plausible partitions and pools estimates
over them; this module is what the workflow's rules call around it:

* :func:`linkage_of_pairs` rebuilds the linkage a ``link_fit`` job
  described in its ``pairs.csv`` (never a second fit), with the config's
  conflict rules and the labelled pairs as constraints, and optionally the
  recalibration fitted on those labels (:func:`recalibration_from_labels`);
* :func:`draw_histories` gives every draw's capture-history table as one long
  frame of counts (``draw``, the lists, ``count``): the per-draw output, which
  holds no record id and no name;
* :func:`estimate_draws` estimates every distinct table of the draws once,
  through the content-addressed estimate cache (:mod:`undercount.cache`), and
  gives methods without posterior draws bootstrap replicates, cached the same
  way; :func:`~undercount.linkage.draws.pool_over_linkages` then mixes them;
* :func:`linkage_share` and :func:`linkage_warning`: the share of the pooled
  variance that comes from linkage, and the warning every estimate of a table
  carries when it is more than half;
* :func:`uncertain_pair_kinds`: the pairs whose linkage the draws disagree on,
  counted by which compared fields disagree (counts only, never names).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from .core import Conflicts, Linkage, linkage_from_pairs
from .draws import (
    PartitionDraws,
    Recalibration,
    draw_tables,
    fit_recalibration,
    table_key,
    with_bootstrap_draws,
)

#: Bootstrap replicates per distinct table for methods that give no draws of N.
NBOOT = 200
#: A pair is "uncertain" when the draws co-cluster it in a share strictly inside these bounds.
UNCERTAIN = (0.05, 0.95)
#: A field disagrees on a pair when its match weight (log2 of its Bayes factor) is at most this:
#: its evidence is at least twice as likely for two different people (a weakly negative weight,
#: such as a list's "as written" level, is no disagreement).
DISAGREES = -1.0
#: The kind of an uncertain pair on which no field disagrees (its evidence is middling, or missing).
NO_FIELD = "no field disagrees"
#: Linkage "dominates" when its share of the pooled variance is above this.
DOMINANT_SHARE = 0.5
#: Columns of the per-draw table of one method (``averaged/<label>.per_draw.csv``).
PER_DRAW_COLUMNS = [
    "draw",
    "table",
    "n_observed",
    "n_hat",
    "ci_low",
    "ci_high",
    "draws_kind",
    "draws_mean",
    "draws_variance",
    "upper_uninformative",
]
#: Columns of the uncertain pairs' kinds (``linkage/draws/uncertain_pairs.csv``).
UNCERTAIN_COLUMNS = ["disagreeing_fields", "pairs", "mean_probability", "mean_co_clustered"]


def linkage_of_pairs(
    records: pd.DataFrame,
    pairs: pd.DataFrame,
    *,
    date_column: str,
    conflicts: Conflicts,
    must: Sequence[tuple[str, str]] = (),
    cannot: Sequence[tuple[str, str]] = (),
    file: str | None = None,
) -> Linkage:
    """The linkage ``pairs`` (a written :func:`~undercount.linkage.core.pairs_table`) describes.

    ``records`` are every record the pairs were scored on (with ``source``),
    as ``link_fit`` gave them to the fit; ``conflicts`` are the
    config's conflict rules, ``must`` and ``cannot`` the labelled pairs
    (record keys). Pairs blocking never proposed have no probability: the
    draws treat them as non-matches (:func:`~undercount.linkage.draws.draw_partitions`).
    """
    linkage = linkage_from_pairs(records, pairs, date_column=date_column, file=file)
    linkage = replace(linkage, conflicts=conflicts)
    return linkage.with_constraints(list(must), list(cannot))


def recalibration_from_labels(linkage: Linkage, labels: pd.DataFrame | None) -> Recalibration | None:
    """Platt recalibration (:func:`~undercount.linkage.draws.fit_recalibration`) on the labelled
    pairs that the linkage scored; None without such labels."""
    if labels is None or not len(labels) or linkage.pairs is None:
        return None
    where = {k: p for p, k in enumerate(linkage.keys)}
    scored = {
        (int(i), int(j)): float(p)
        for i, j, p in zip(linkage.pairs["i"], linkage.pairs["j"], linkage.pairs["probability"])
    }
    probability, is_match = [], []
    for row in labels.itertuples(index=False):
        a = where.get(f"{row.source_a}\x1f{row.record_id_a}")
        b = where.get(f"{row.source_b}\x1f{row.record_id_b}")
        if a is None or b is None or row.label not in ("match", "non-match"):
            continue
        p = scored.get((min(a, b), max(a, b)))
        if p is None:  # a labelled pair blocking never proposed: no model probability to recalibrate
            continue
        probability.append(p)
        is_match.append(row.label == "match")
    if not probability:
        return None
    return fit_recalibration(np.asarray(probability), np.asarray(is_match))


def draw_histories(draws: PartitionDraws, lists: Sequence[str], keep: Any = None) -> pd.DataFrame:
    """Every draw's capture-history table, long: ``draw`` (1-based), one column per list, ``count``.

    Counts of people by the lists that document them: no record id, no person id, no name.
    A table no list documents anyone of (``lists`` empty) is one row of count 0 per draw.
    """
    if not lists:
        return pd.DataFrame({"draw": np.arange(1, draws.R + 1), "count": np.zeros(draws.R, dtype=np.int64)})
    frames = []
    for r, table in enumerate(draw_tables(draws, lists, keep), start=1):
        frame = table.to_frame()
        frame.insert(0, "draw", r)
        frames.append(frame)
    columns = ["draw", *lists, "count"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def read_draw_histories(frame: pd.DataFrame, lists: Sequence[str], source: str | None = None) -> list[Any]:
    """The tables of :func:`draw_histories`' frame, in draw order."""
    from ..histories import CaptureTable

    out = []
    for _, block in frame.groupby("draw", sort=True):
        if not lists:  # no list documents anyone: an empty table, which no method estimates
            empty = CaptureTable((), np.zeros((0, 0), dtype=np.int8), np.zeros(0, dtype=np.int64), source)
            out.append(empty)
            continue
        patterns = block[list(lists)].to_numpy(dtype=np.int8)
        out.append(CaptureTable.from_arrays(list(lists), patterns, block["count"].to_numpy(), source=source))
    return out


def table_id(table: Any) -> str:
    """A short, stable name of a table's content (its cells), for the per-draw tables."""
    return hashlib.sha256(repr(table_key(table)).encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class DrawEstimates:
    """Every draw's estimate (with draws of N), and how the distinct tables went through the cache."""

    results: list[Any]
    tables: list[str]
    distinct: int
    lookups: list[str]


def draw_settings(
    method: str, settings: Mapping[str, Any] | None, overrides: Mapping[str, Mapping[str, Any]] | None
) -> tuple[dict[str, Any], list[str]]:
    """The settings of each linkage draw's estimate: the method's, with ``linkage.draws_settings``' over them.

    ``overrides`` maps method names to settings (config ``linkage.draws_settings``).
    Returns the settings and one line per overridden setting, for the job's log
    (``samples: 250 (the method's: 1000)``).
    """
    from ..estimators import get_method

    spec = get_method(method)
    own = spec.resolve(settings)
    given = dict((overrides or {}).get(method) or {})
    changed = spec.resolve({**own, **given})
    out = {**dict(settings or {}), **given}
    lines = [
        f"linkage.draws_settings: {method} {name}: {changed[name]!r} for each linkage draw "
        f"(the method's: {own[name]!r})"
        for name in sorted(given)
        if changed[name] != own[name]
    ]
    return out, lines


def draw_job_settings(
    method: Mapping[str, Any], overrides: Mapping[str, Mapping[str, Any]] | None, threads: int, logger: Any
) -> dict[str, Any]:
    """A linkage-averaging job's settings for ``method`` (a config method entry), in the workflow's form.

    :func:`draw_settings` with ``overrides`` (``linkage.draws_settings``), each overridden
    setting logged to ``logger``, then :func:`undercount.results.workflow_settings` for ``threads``.
    """
    from ..results import workflow_settings

    own, overridden = draw_settings(method["method"], method.get("settings"), overrides)
    for line in overridden:
        logger.info(line)
    return workflow_settings(method["method"], own, threads)


def _seed_of(seed: int, table: Any, method: str) -> np.random.SeedSequence:
    from .draws import _seed_for

    return _seed_for(int(seed), table_key(table), method)


def estimate_draws(
    tables: Sequence[Any],
    meta: Mapping[str, Any],
    *,
    method: str,
    model: str | None = None,
    settings: Mapping[str, Any] | None = None,
    seed: int,
    level: float = 0.95,
    cache: Any = None,
    nboot: int = NBOOT,
) -> DrawEstimates:
    """Estimate every draw's table; each distinct table once, through the estimate cache.

    A distinct table's seed derives from ``seed``, its cells and the method, so
    its estimate does not depend on which draw met it first, and a rerun (or
    another job meeting the same table) finds it in ``cache`` (an
    :class:`~undercount.cache.EstimateCache` or None): the cache's key is the
    table's content, the method, its settings, the level and, for a Monte
    Carlo method, that seed. A method without draws of N gets ``nboot``
    bootstrap replicates (:func:`~undercount.linkage.draws.bootstrap_replicates`),
    themselves cached under a key derived from the estimate's key.
    """
    from ..cache import cached_estimate_table

    done: dict[str, Any] = {}
    lookups: list[str] = []
    results, names = [], []
    for table in tables:
        name = table_id(table)
        if name not in done:
            ss = _seed_of(seed, table, method)
            run_seed = int(ss.generate_state(1)[0])
            result, lookup = cached_estimate_table(
                cache, table, meta, method=method, model=model, settings=settings, seed=run_seed, level=level
            )
            lookups.append(f"table {name}: {lookup}")
            if result.estimable and result.draws is None:
                result = _with_bootstrap(
                    cache,
                    lookup.key,
                    result,
                    table,
                    method,
                    model,
                    settings,
                    nboot,
                    ss,
                    run_seed,
                    lookups,
                    name,
                )
            done[name] = result
        results.append(done[name])
        names.append(name)
    return DrawEstimates(results, names, len(done), lookups)


def _with_bootstrap(cache, key, result, table, method, model, settings, nboot, ss, run_seed, lookups, name):
    # the estimate's key, plus what only the bootstrap depends on: its size and its seed (the
    # estimate's key leaves the seed out for a deterministic method)
    text = f"{key}|linkage-draws-bootstrap|nboot={nboot}|seed={run_seed}"
    boot_key = hashlib.sha256(text.encode("ascii")).hexdigest() if key else ""
    if cache is not None and boot_key:
        found, status = cache.load(boot_key)
        if found is not None and found.draws is not None:
            lookups.append(f"table {name} bootstrap: cache: hit {boot_key[:16]}")
            return found
    out = with_bootstrap_draws(result, table, method, nboot=nboot, seed=ss, model=model, settings=settings)
    if cache is not None and boot_key:
        try:
            cache.store(boot_key, out)
            lookups.append(f"table {name} bootstrap: cache: miss {boot_key[:16]} (stored)")
        except OSError as exc:
            lookups.append(f"table {name} bootstrap: cache: miss (not stored: {exc})")
    else:
        lookups.append(f"table {name} bootstrap: cache: off")
    return out


def per_draw_frame(estimates: DrawEstimates) -> pd.DataFrame:
    """One row per linkage draw: its table's id, estimate, interval (and whether its upper end is
    uninformative) and the mean and variance of its draws."""
    rows = []
    for r, (result, name) in enumerate(zip(estimates.results, estimates.tables), start=1):
        finite = result.draws.finite if result.draws is not None else np.zeros(0)
        rows.append(
            {
                "draw": r,
                "table": name,
                "n_observed": result.n_observed,
                "n_hat": result.n_hat if result.estimable else np.nan,
                "ci_low": result.ci_low if result.estimable else np.nan,
                "ci_high": result.ci_high if result.estimable else np.nan,
                "draws_kind": result.draws.kind if result.draws is not None else "",
                "draws_mean": float(np.mean(finite)) if finite.size else np.nan,
                "draws_variance": float(np.var(finite, ddof=1)) if finite.size > 1 else np.nan,
                # the figure draws such an interval open-ended, never as if its end were a bound
                "upper_uninformative": bool(result.estimable and result.upper_uninformative),
            }
        )
    return pd.DataFrame(rows, columns=PER_DRAW_COLUMNS)


def linkage_share(result: Any) -> float | None:
    """Share of the pooled variance of N between linkages: ``B / (W + B)`` (None without both)."""
    d = result.details
    within = getattr(d, "within_variance", None)
    between = getattr(d, "between_variance", None)
    if within is None or between is None or not within + between > 0:
        return None
    return float(between / (within + between))


def linkage_warning(shares: Mapping[str, float | None], kinds: pd.DataFrame | None = None) -> str | None:
    """The warning of every estimate of a table whose linkage explains more than half of the variance.

    ``shares`` maps each method's label to :func:`linkage_share` of its
    averaged estimate; ``kinds`` (:func:`uncertain_pair_kinds`) says which
    uncertain pairs drive it. None when no method's share is above one half.
    """
    over = {k: v for k, v in shares.items() if v is not None and v > DOMINANT_SHARE}
    if not over:
        return None
    parts = ", ".join(f"{k} {100 * v:.0f}%" for k, v in sorted(over.items()))
    text = (
        f"linkage explains more than half of the variance of this table's linkage-averaged estimates "
        f"({parts} of the variance is between plausible linkages): the single linkage's interval "
        "understates the uncertainty"
    )
    if kinds is not None and len(kinds):
        top = kinds.sort_values(["pairs", "disagreeing_fields"], ascending=[False, True]).head(3)
        listed = "; ".join(f"{row.disagreeing_fields}: {int(row.pairs)}" for row in top.itertuples())
        total = int(kinds["pairs"].sum())
        text += f"; the draws disagree on {total} candidate pairs, by the fields they disagree on: {listed}"
    return text


def uncertain_pair_kinds(
    pairs: pd.DataFrame, co_clustered: Any, bounds: tuple[float, float] = UNCERTAIN
) -> pd.DataFrame:
    """The pairs the draws disagree on, counted by which compared fields disagree.

    ``pairs`` is a pairs table (:func:`~undercount.linkage.core.read_pairs`),
    ``co_clustered`` the share of draws in which each of its pairs is one
    person. A pair is uncertain when that share is strictly between the
    ``bounds``; a field disagrees when its match weight (``mw_<field>``) is at
    most :data:`DISAGREES` (the field's evidence is at least twice as likely for
    two different people); a pair on which none does is counted as
    :data:`NO_FIELD`. Counts and field names only.
    """
    q = np.asarray(co_clustered, dtype=float)
    low, high = bounds
    uncertain = (q > low) & (q < high)
    fields = [c for c in pairs.columns if c.startswith("mw_")]
    sub = pairs.loc[uncertain, fields + ["match_probability"]].copy()
    sub["co_clustered"] = q[uncertain]
    if not len(sub):
        return pd.DataFrame(columns=UNCERTAIN_COLUMNS)
    weights = sub[fields].to_numpy(dtype=float)
    names = [f.removeprefix("mw_") for f in fields]
    sub["disagreeing_fields"] = [
        "+".join(n for n, w in zip(names, row) if w <= DISAGREES) or NO_FIELD for row in weights
    ]
    out = (
        sub.groupby("disagreeing_fields", sort=True)
        .agg(
            pairs=("co_clustered", "size"),
            mean_probability=("match_probability", "mean"),
            mean_co_clustered=("co_clustered", "mean"),
        )
        .reset_index()
        .sort_values(["pairs", "disagreeing_fields"], ascending=[False, True], kind="stable")
        .reset_index(drop=True)
    )
    return out[UNCERTAIN_COLUMNS]


def pair_positions(linkage: Linkage, pairs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Record positions (the linkage's order) of both ends of every row of ``pairs``."""
    where = {k: p for p, k in enumerate(linkage.keys)}
    a = [where[f"{s}\x1f{r}"] for s, r in zip(pairs["source_a"], pairs["record_id_a"])]
    b = [where[f"{s}\x1f{r}"] for s, r in zip(pairs["source_b"], pairs["record_id_b"])]
    return np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)


def draws_summary(draws: PartitionDraws, tables: Sequence[Any], keep: Any = None) -> dict[str, Any]:
    """What the draws were and what they gave, for ``linkage/draws/summary.json`` (counts only)."""
    persons = []
    for r in range(draws.R):
        labels = draws.labels[r]
        if draws.order is not None:
            labels = labels[draws.order]  # input order, as keep
        if keep is not None:
            labels = labels[np.asarray(keep, dtype=bool)]
        persons.append(int(len(np.unique(labels))))
    return {
        "R": draws.R,
        "settings": draws.settings,
        "components": draws.components,
        "persons_per_draw": persons,
        "documented_per_draw": [int(t.n_observed) for t in tables],
        "distinct_tables": len({table_id(t) for t in tables}),
    }


def write_pooled(result: Any, per_draw: pd.DataFrame, estimate: Any, draws: Any, per_draw_path: Any) -> None:
    """A linkage-averaged result's files: the result, its pooled draws of N and its per-draw table."""
    from .. import tabular
    from ..results import write_draws_csv

    result.write(estimate)
    write_draws_csv(result, draws)
    tabular.write_csv(per_draw, per_draw_path, index=False, lineterminator="\n", float_format="%.10g")


def write_json(data: Mapping[str, Any], path: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        json.dump(data, fh, indent=2, ensure_ascii=False, sort_keys=True, allow_nan=False)
        fh.write("\n")


__all__ = [
    "DISAGREES",
    "DOMINANT_SHARE",
    "NO_FIELD",
    "NBOOT",
    "PER_DRAW_COLUMNS",
    "UNCERTAIN",
    "UNCERTAIN_COLUMNS",
    "DrawEstimates",
    "draw_histories",
    "draw_job_settings",
    "draw_settings",
    "draws_summary",
    "estimate_draws",
    "linkage_of_pairs",
    "linkage_share",
    "linkage_warning",
    "pair_positions",
    "per_draw_frame",
    "read_draw_histories",
    "recalibration_from_labels",
    "table_id",
    "uncertain_pair_kinds",
    "write_json",
    "write_pooled",
]
