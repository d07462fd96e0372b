"""Strata under plausible linkages (issue 16, item 3): every draw's table per stratum, pooled.

:mod:`undercount.linkage.averaging` pools the whole table over the linkage
draws; this module does the same per stratum of a scheme, and for the scheme's
total:

* :func:`partition_frame` keeps every draw's partition of the population's
  records (``source``, ``record_id``, one integer person label per draw;
  no name), so the strata of any scheme can be built later from the same draws;
* :func:`draw_strata_histories` gives, per draw, each person's attributes
  (from their records, as :func:`undercount.strata.person_attributes` does for
  the single linkage), their stratum under a :class:`~undercount.strata.Scheme`
  and one capture-history table per stratum: a long frame ``draw, stratum,
  <lists>, count`` (counts only). The strata are those of the single linkage's
  stratify checkpoint; people a draw puts in a stratum that linkage does not
  have are counted per draw (never dropped silently) and reach the total as
  documented people;
* :func:`average_strata` estimates every stratum's table in every draw where it
  is usable (HRDAG's rule, :func:`undercount.strata.usable`), each distinct
  table once through the estimate cache (:func:`~undercount.linkage.averaging.estimate_draws`),
  and pools the draws of N over those draws
  (:func:`~undercount.linkage.draws.pool_over_linkages`). A stratum usable in
  only some draws is pooled over those, and says in how many of R; usable in
  none, it is not estimable, with the rule's reason;
* :func:`average_total` adds the strata draw by draw within each linkage draw
  (:func:`undercount.results.combine.add`, as the single linkage's stratified
  total does) and mixes the R totals (:func:`undercount.results.combine.mix`).
  Interval ends are never averaged or added.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from .averaging import PER_DRAW_COLUMNS, DrawEstimates, estimate_draws, per_draw_frame, table_id
from .draws import PartitionDraws, pool_over_linkages

#: The pseudo-stratum of people a draw puts in a stratum the single linkage does not have.
OUTSIDE = "outside the single linkage's strata"
#: Columns of the count of such people (``linkage/draws/strata/{scheme}/outside.csv``).
OUTSIDE_COLUMNS = ["draw", "stratum", "persons"]
#: Columns of the per-draw table of a stratum (``.../averaged/{label}/{stratum}.per_draw.csv``).
#: :data:`~.averaging.PER_DRAW_COLUMNS` with ``usable`` after ``table``.
STRATUM_PER_DRAW_COLUMNS = [*PER_DRAW_COLUMNS[:2], "usable", *PER_DRAW_COLUMNS[2:]]
#: Columns of the per-draw totals (``.../averaged_total/{label}.per_draw.csv``).
TOTAL_PER_DRAW_COLUMNS = ["draw", "n_observed", "outside", "n_hat", "ci_low", "ci_high"]


def partition_frame(draws: PartitionDraws, keep: Any = None) -> pd.DataFrame:
    """Every draw's partition of the records: ``source, record_id, draw_1 ... draw_R``.

    ``draw_r`` is the person label of the record in draw ``r`` (an integer: the
    smallest record position of that person); records in input order, those
    outside the population (``keep`` False) left out. Record ids, never names.
    """
    frame = (
        draws.persons(0)[["source", "record_id"]]
        if draws.R
        else pd.DataFrame(columns=["source", "record_id"])
    )
    labels = {}
    for r in range(draws.R):
        row = draws.labels[r]
        if draws.order is not None:
            row = row[draws.order]
        labels[f"draw_{r + 1}"] = np.asarray(row, dtype=np.int64)
    out = pd.concat([frame.reset_index(drop=True), pd.DataFrame(labels)], axis=1)
    if keep is not None:
        out = out[np.asarray(keep, dtype=bool)].reset_index(drop=True)
    return out


def read_partition_frame(frame: pd.DataFrame, *, file: str | None = None) -> list[pd.DataFrame]:
    """The persons of every draw of :func:`partition_frame`'s frame: ``source, record_id, person_id``."""
    from ..errors import UndercountError

    where = f"{file}: " if file else ""
    for column in ("source", "record_id"):
        if column not in frame.columns:
            raise UndercountError(f"{where}no column {column!r}; columns are {list(frame.columns)}")
    draws = [c for c in frame.columns if c.startswith("draw_")]
    expected = [f"draw_{r}" for r in range(1, len(draws) + 1)]
    if draws != expected:
        raise UndercountError(f"{where}draw columns must be draw_1 ... draw_R in order, got {draws}")
    out = []
    for column in draws:
        labels = pd.to_numeric(frame[column], errors="coerce")
        bad = labels.isna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2  # header is row 1
            raise UndercountError(
                f"{where}row {row}, column {column}: not a person label ({frame[column].iloc[row - 2]!r})"
            )
        out.append(
            pd.DataFrame(
                {
                    "source": frame["source"].astype(str).to_numpy(),
                    "record_id": frame["record_id"].astype(str).to_numpy(),
                    "person_id": labels.astype(np.int64).map(lambda v: f"d{v}").to_numpy(),
                }
            )
        )
    return out


@dataclass(frozen=True)
class DrawStrata:
    """Every draw's tables per stratum (``frame``: ``draw, stratum, <lists>, count``) and the people
    each draw put in strata the single linkage does not have (``outside``: ``draw, stratum, persons``)."""

    frame: pd.DataFrame
    outside: pd.DataFrame
    R: int  # noqa: N815 (the issue's name for the number of draws)

    def warning(self) -> str | None:
        """The warning of the scheme's estimates when some draw put people outside the known strata."""
        if not len(self.outside):
            return None
        from ..results.combine import name_list

        by_draw = self.outside.groupby("draw", sort=True)["persons"].sum()
        draws = [str(int(d)) for d in by_draw.index]
        return (
            f"linkage draws {name_list(draws)} ({len(draws)} of {self.R}) put {int(by_draw.min())} to "
            f"{int(by_draw.max())} people in strata the single linkage does not have "
            f"({', '.join(sorted(set(self.outside['stratum'])))}): no stratum's estimate holds them, "
            "and the scheme's total adds them as documented people"
        )


def _fields(kind: str) -> tuple[tuple[str, str], ...]:
    from ..records import date_column

    place = "place" if kind == "casualty" else "place_detained"
    return (
        ("sex", "sex"),
        ("age", "age"),
        ("date", date_column(kind)),
        ("place", place),
        ("region", "region"),
        ("victim_group", "victim_group"),
    )


def _all_records(records_by_source: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    frames = [f.assign(source=s, _order=o) for o, (s, f) in enumerate(records_by_source.items())]
    return pd.concat(frames, ignore_index=True)


def draw_attributes(persons: pd.DataFrame, records: pd.DataFrame, kind: str) -> pd.DataFrame:
    """:func:`undercount.strata.person_attributes` of one draw's persons, by grouping instead of a loop.

    ``records`` are every list's records concatenated in config order with
    ``source`` and ``_order`` (the list's position), as person_attributes builds
    them. The same rule: each value is the most frequent known value among the
    person's records, ties to the first in (list order, record order);
    ``conflicts`` counts the attributes on which the records disagree. The
    answers are the same frame (``tests/test_linkage_draw_strata.py`` checks it on
    random tables with ties and blanks); this one takes a fraction of a second
    for thousands of persons, where the loop takes seconds, once per draw.
    """
    merged = persons[["source", "record_id", "person_id"]].merge(
        records, on=["source", "record_id"], how="left", validate="one_to_one"
    )
    merged = merged.sort_values(["_order", "_row"], kind="stable").reset_index(drop=True)
    merged["_pos"] = np.arange(len(merged))
    sizes = merged.groupby("person_id", sort=True).size()
    ids = sizes.index.to_series(index=range(len(sizes)))
    # built from Python lists, as person_attributes builds its frame, so pandas infers the same dtypes
    columns: dict[str, list[Any]] = {"person_id": ids.tolist(), "records": sizes.to_numpy().tolist()}
    conflicts = np.zeros(len(ids), dtype=np.int64)
    for name, column in _fields(kind):
        if column not in merged:
            columns[name] = [None] * len(ids)
            continue
        known = merged[column].notna().to_numpy()
        sub = merged.loc[known, ["person_id", column, "_pos"]]
        cells = (
            sub.groupby(["person_id", column], sort=False, dropna=True)
            .agg(n=("_pos", "size"), first=("_pos", "min"))
            .reset_index()
            .sort_values(["person_id", "n", "first"], ascending=[True, False, True], kind="stable")
        )
        best = dict(zip(*[cells.drop_duplicates("person_id")[c].tolist() for c in ("person_id", column)]))
        columns[name] = [best.get(p) for p in columns["person_id"]]
        distinct = cells.groupby("person_id").size()
        conflicts += (ids.map(distinct).fillna(0).to_numpy() > 1).astype(np.int64)
    columns["conflicts"] = conflicts.tolist()
    names = ["person_id", "records", "sex", "age", "date", "place", "region", "victim_group", "conflicts"]
    rows = [dict(zip(names, values)) for values in zip(*[columns[n] for n in names])]
    out = pd.DataFrame(rows, columns=names)
    out["age"] = pd.array(out["age"], dtype="Int64")
    return out


def draw_strata_histories(
    persons_by_draw: Sequence[pd.DataFrame],
    records_by_source: Mapping[str, pd.DataFrame],
    kind: str,
    scheme: Any,
    lists: Sequence[str],
    strata: Sequence[str],
) -> DrawStrata:
    """Every draw's capture-history table per stratum of ``scheme``, long.

    ``persons_by_draw[r]`` is draw ``r + 1``'s persons (``source, record_id,
    person_id``) of the population; ``records_by_source`` the records, as the
    stratify checkpoint reads them; ``strata`` the single linkage's strata.
    Each person's attributes come from their records in that draw, so a
    person the draw joins or splits may change stratum. Every table is written
    over all ``lists`` (a list that documents no one in the stratum has zeros),
    so the frame has one set of columns. A stratum a draw gives no one has no
    rows in that draw.
    """
    from ..strata import assign_strata
    from .core import memberships

    records = _all_records(records_by_source)
    known = set(strata)
    frames, outside = [], []
    columns = ["draw", "stratum", *lists, "count"]
    for r, persons in enumerate(persons_by_draw, start=1):
        attributes = draw_attributes(persons, records, kind)
        labels = dict(zip(attributes["person_id"], assign_strata(attributes, scheme)))
        members = memberships(persons, lists)
        by_stratum: dict[str, dict[tuple[int, ...], int]] = {}
        for person in sorted(members):
            pattern = tuple(int(name in members[person]) for name in lists)
            cell = by_stratum.setdefault(labels[person], {})
            cell[pattern] = cell.get(pattern, 0) + 1
        for stratum in sorted(by_stratum):
            cells = by_stratum[stratum]
            if stratum not in known:
                outside.append({"draw": r, "stratum": stratum, "persons": int(sum(cells.values()))})
                continue
            for pattern in sorted(cells, reverse=True):
                frames.append([r, stratum, *pattern, cells[pattern]])
    frame = pd.DataFrame(frames, columns=columns)
    return DrawStrata(frame, pd.DataFrame(outside, columns=OUTSIDE_COLUMNS), len(persons_by_draw))


def stratum_tables(
    frame: pd.DataFrame, lists: Sequence[str], strata: Sequence[str], R: int
) -> dict[str, list[Any]]:  # noqa: N803
    """``{stratum: [table of draw 1, ..., draw R]}`` from :func:`draw_strata_histories`' frame.

    Each table keeps the lists that document someone in the stratum in that
    draw (:func:`undercount.histories.build_histories`' rule); a draw that gives
    the stratum no one has an empty table.
    """
    from ..histories import CaptureTable

    lists = list(lists)
    out: dict[str, list[Any]] = {}
    groups = {key: block for key, block in frame.groupby(["stratum", "draw"], sort=True)}
    for stratum in strata:
        tables = []
        for r in range(1, R + 1):
            block = groups.get((stratum, r))
            if block is None or not len(block):
                tables.append(CaptureTable((), np.zeros((0, 0), dtype=np.int8), np.zeros(0, dtype=np.int64)))
                continue
            patterns = block[lists].to_numpy(dtype=np.int8)
            counts = block["count"].to_numpy(dtype=np.int64)
            used = [name for j, name in enumerate(lists) if patterns[:, j].any()]
            idx = [lists.index(name) for name in used]
            tables.append(CaptureTable.from_arrays(used, patterns[:, idx], counts))
        out[stratum] = tables
    return out


@dataclass(frozen=True)
class StratumAverage:
    """One stratum pooled over the linkage draws: the pooled ``result``, each draw's result
    (not estimable where the stratum is unusable) and the per-draw table."""

    result: Any
    per_draw: list[Any]
    frame: pd.DataFrame


def _stratum_meta(meta: Mapping[str, Any], lists: Sequence[str]) -> dict[str, Any]:
    """The notes of a stratum's tables: the whole table's, and the lists no draw's stratum has."""
    dropped = [name for name in meta.get("lists", []) if name not in lists]
    notes = list(meta.get("notes", []))
    notes += [
        f"list {name} documents no one in this stratum under the linkage draws and is left out"
        for name in dropped
    ]
    return {"lists": list(lists), "notes": notes}


def average_stratum(
    tables: Sequence[Any],
    meta: Mapping[str, Any],
    *,
    method: str,
    seed: int,
    pool_seed: int,
    min_sources: int,
    min_records: int,
    model: str | None = None,
    settings: Mapping[str, Any] | None = None,
    level: float = 0.95,
    cache: Any = None,
    nboot: int | None = None,
) -> StratumAverage:
    """One stratum's tables under the R draws, estimated where usable and pooled over those draws.

    A draw in which the stratum fails the usable-stratum rule (``min_sources``
    lists with ``min_records`` people each) contributes no draws of N: the
    pool is over the draws where it is usable (so it is conditional on the
    stratum being estimable), and says how many of R those are. When the
    usable draws' tables do not use the same lists (a list documents no one
    in the stratum in some of them), the pool is refused with the reason: the
    draws would not estimate one quantity.
    """
    from ..results import not_estimable
    from ..results.combine import name_list
    from ..strata import usable

    R = len(tables)  # noqa: N806
    reasons = {}
    for r, table in enumerate(tables, start=1):
        ok, reason = usable(table.list_sizes(), min_sources, min_records)
        if not ok:
            reasons[r] = reason
    good = [r for r in range(1, R + 1) if r not in reasons]
    order = list(meta.get("lists", []))
    list_sets = {tuple(tables[r - 1].lists) for r in good}
    lists = sorted({name for s in list_sets for name in s}, key=order.index)
    # the lists that document anyone in the stratum in any draw: those of a refusal
    seen = tuple(sorted({name for t in tables for name in t.lists}, key=order.index))
    stratum_meta = _stratum_meta(meta, lists)
    kwargs: dict[str, Any] = {} if nboot is None else {"nboot": nboot}
    done = estimate_draws(
        [tables[r - 1] for r in good],
        stratum_meta,
        method=method,
        model=model,
        settings=settings,
        seed=seed,
        level=level,
        cache=cache,
        **kwargs,
    )
    found = dict(zip(good, done.results))
    per_draw = []
    for r, table in enumerate(tables, start=1):
        if r in found:
            per_draw.append(found[r])
        else:
            per_draw.append(
                not_estimable(
                    method, tuple(table.lists), table.n_observed, reasons[r], level=level, model=model
                )
            )
    frame = per_draw_frame(
        DrawEstimates(per_draw, [table_id(t) for t in tables], done.distinct, done.lookups)
    )
    frame.insert(
        STRATUM_PER_DRAW_COLUMNS.index("usable"), "usable", [r not in reasons for r in range(1, R + 1)]
    )
    n_mean = int(round(float(np.mean([t.n_observed for t in tables])))) if R else 0
    if not good:
        first = reasons[min(reasons)] if reasons else "no linkage draws"
        result = not_estimable(
            method,
            seen,
            n_mean,
            f"not usable in any of the {R} linkage draws: {first}",
            level=level,
            model=model,
        )
        return StratumAverage(result, per_draw, frame)
    if len(list_sets) > 1:
        short = [str(r) for r in good if tuple(tables[r - 1].lists) != tuple(lists)]
        result = not_estimable(
            method,
            tuple(lists),
            n_mean,
            f"not estimable as a pool of linkage draws: in linkage draws {name_list(short)} "
            f"({len(short)} of {len(good)} where the stratum is usable) some list documents no one in it, "
            "so the draws' tables do not use the same lists and do not estimate one quantity",
            level=level,
            model=model,
        )
        return StratumAverage(result, per_draw, frame)
    pooled = pool_over_linkages([found[r] for r in good], seed=pool_seed, level=level)
    if reasons:
        note = (
            f"the stratum is usable (HRDAG's rule) in {len(good)} of {R} linkage draws: the pool is over those "
            f"{len(good)} only (linkage draws {name_list([str(r) for r in sorted(reasons)])} fail it: "
            f"{reasons[min(reasons)]})"
        )
        pooled = replace(pooled, warnings=(*pooled.warnings, note))
    return StratumAverage(pooled, per_draw, frame)


def average_total(
    strata: Mapping[str, StratumAverage],
    *,
    seed: int,
    pool_seed: int,
    outside: pd.DataFrame | None = None,
    level: float = 0.95,
    notes: Sequence[str] = (),
) -> tuple[Any, list[Any], pd.DataFrame]:
    """The scheme's total: the strata added draw by draw within each linkage draw, then mixed.

    Within linkage draw ``r``, every stratum's result in that draw is added
    (:func:`undercount.results.combine.add`, draws in random order from a
    generator seeded by ``seed`` and ``r``); a stratum unusable in that draw
    is added at its documented count (a lower bound, as the single linkage's
    total does), and so are the people the draw put outside the known strata
    (``outside``: ``draw, stratum, persons``). The R totals' draws are mixed
    with equal weights. Returns the pooled total, the per-draw totals and a
    per-draw table.
    """
    from ..results import not_estimable
    from ..results.combine import add, mix

    if not strata:
        raise ValueError("no strata to add: the scheme's stratify checkpoint gave none")
    names = list(strata)
    R = len(next(iter(strata.values())).per_draw)  # noqa: N806
    extra = outside.groupby("draw")["persons"].sum().to_dict() if outside is not None and len(outside) else {}
    all_lists = tuple(sorted({name for s in strata.values() for r in s.per_draw for name in r.lists}))
    totals, rows = [], []
    for r in range(1, R + 1):
        parts = {name: strata[name].per_draw[r - 1] for name in names}
        first = parts[names[0]]
        if extra.get(r):
            parts[OUTSIDE] = not_estimable(
                first.method,
                all_lists,
                int(extra[r]),
                "people of strata the single linkage does not have",
                level=level,
                model=first.model,
            )
        rng = np.random.default_rng(np.random.SeedSequence([int(seed), r]))
        total = add(parts, rng=rng, level=level)
        total = replace(total, lists=all_lists)
        totals.append(total)
        rows.append(
            {
                "draw": r,
                "n_observed": total.n_observed,
                "outside": int(extra.get(r, 0)),
                "n_hat": total.n_hat if total.estimable else np.nan,
                "ci_low": total.ci_low if total.estimable else np.nan,
                "ci_high": total.ci_high if total.estimable else np.nan,
            }
        )
    named = {str(r): t for r, t in enumerate(totals, start=1)}
    pooled = mix(named, rng=np.random.default_rng(pool_seed), level=level, what="linkage draw", grouped=True)
    note = (
        f"the sum of {len(names)} strata within each of {R} plausible linkages, pooled over them: "
        "the interval carries the linkage uncertainty"
    )
    pooled = replace(pooled, warnings=(*pooled.warnings, *notes, note))
    return pooled, totals, pd.DataFrame(rows, columns=TOTAL_PER_DRAW_COLUMNS)


__all__ = [
    "OUTSIDE",
    "OUTSIDE_COLUMNS",
    "STRATUM_PER_DRAW_COLUMNS",
    "TOTAL_PER_DRAW_COLUMNS",
    "DrawStrata",
    "StratumAverage",
    "average_stratum",
    "average_total",
    "draw_attributes",
    "draw_strata_histories",
    "partition_frame",
    "read_partition_frame",
    "stratum_tables",
]
