"""Linked person tables: one row per person, a 0/1 column per list, and what is known of them.

Analysts often receive lists that someone has already linked (HRDAG's published
replicates, the person tables of published mortality studies). A source of
``kind: linked`` is such a table: ``lists`` names its 0/1 columns; other columns
are mapped to the canonical person fields (:data:`FIELDS`) with ``columns:``
and ``values:``, as for record lists; a column named (or mapped to)
``person_id`` identifies each person (default: the spreadsheet row).

Linked tables skip record linkage: the table's people are the persons, and
their list columns the capture histories. The file is read by the same code as
record lists (:func:`undercount.records.read_table`: encoding, delimiter and
header row detected; XLSX formula, merged and error cells refused), and every
problem stops with an :class:`~undercount.errors.InputError` naming the file,
the spreadsheet row and the column: a list column that is missing or holds a
value other than 0 or 1, a person on no list, a person id given twice.
Columns that are neither lists nor mapped to a field are ignored, and
:func:`read_linked` says which (``attrs["ignored"]``: column letters and
headers, for the analyst's terminal; logs get letters only).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError, is_safe_value, show_value

#: The ``kind`` of a linked source.
LINKED = "linked"
#: Person fields a linked table can carry (the canonical names, as in casualty records).
FIELDS = ("sex", "age", "date_of_death", "place", "region", "victim_group")
PERSON_ID = "person_id"
#: The caveat every estimate from a linked table carries (in place of a linkage method's).
LINKED_CAVEAT = (
    "the lists were linked before undercount read them (kind: linked): undercount did not link them, "
    "and linkage errors in the table, if any, are not measured here"
)
#: Person id prefix when the table has no id column: the spreadsheet row.
ROW_ID = "row-"


def _props() -> dict[str, dict]:
    from .records import record_schema

    casualty = record_schema("casualty")["properties"]
    props = {PERSON_ID: {"type": ["string", "null"], "minLength": 1, "maxLength": 200}}
    props.update({name: casualty[name] for name in FIELDS})
    return props


def _indicator(value: Any) -> int | None:
    """0 or 1 from a cell (1, '1', '1.0', 1.0, True); None for anything else."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return int(value)
    text = "" if value is None else str(value).strip()
    return {"0": 0, "1": 1, "0.0": 0, "1.0": 1}.get(text)


def read_linked(spec: Any) -> pd.DataFrame:
    """Read and validate a linked person table (``spec``: a :class:`~undercount.records.SourceSpec`).

    Returns
    -------
    pandas.DataFrame
        One row per person: ``person_id`` (text), ``_row`` (spreadsheet row),
        one ``int8`` 0/1 column per list (named as in ``spec.lists``) and the
        fields of :data:`FIELDS` with parsed types (absent ones blank).
        ``attrs``: how the file was read, and ``ignored``, the columns read
        as neither list nor field, as ``(letter, header)`` pairs.
    """
    from .records import ROW, _parse_column, cell_name, check_spec, column_letter, read_table

    check_spec(spec)
    where = spec.path
    lists = list(spec.lists)
    if len(lists) < 2:
        raise InputError(
            f"a linked table needs at least two list columns under 'lists', got {len(lists)}", file=where
        )
    if len(set(lists)) != len(lists):
        raise InputError("a list column is named twice under 'lists'", file=where)
    table = read_table(
        spec.path, spec.sheet, encoding=spec.encoding, header_row=spec.header_row, delimiter=spec.delimiter
    )
    headers = [str(h).strip() for h in table.header]
    props = _props()
    for source_header, target in spec.columns.items():
        if target not in props:
            raise InputError(
                f"config maps column {source_header!r} to {target!r}, which is not a field of a linked "
                f"table ({', '.join(props)}; list columns are named under 'lists')",
                file=where,
            )
        if source_header not in headers:
            raise InputError(
                f"config maps column {source_header!r} to {target!r}, but the file has no such column in "
                f"its header row (row {table.header_row})",
                file=where,
                row=table.header_row,
                column=source_header,
            )
    position = {h: i for i, h in reversed(list(enumerate(headers)))}
    for name in lists:
        if name not in position:
            raise InputError(
                f"the list column {name!r} (under 'lists' in the config) is not in the header row "
                f"(row {table.header_row})",
                file=where,
                row=table.header_row,
                column=name,
            )
        if name in spec.columns:
            raise InputError(
                f"column {name!r} is named under 'lists' and mapped under 'columns': it is one or the other",
                file=where,
                row=table.header_row,
                column=name,
            )
    fields: dict[str, int] = {}
    for i, header in enumerate(headers):
        if header in lists:
            continue
        name = spec.columns.get(header, header)
        if name in props:
            if name in fields:
                raise InputError(
                    f"two columns ({headers[fields[name]]!r} and {header!r}) both give {name!r}",
                    file=where,
                    row=table.header_row,
                    column=header,
                )
            fields[name] = i
    used = {position[name] for name in lists} | set(fields.values())
    ignored = [(column_letter(i), h) for i, h in enumerate(headers) if i not in used and h]
    if not table.rows:
        raise InputError("the table is empty: a header but no persons", file=where)
    flagged = [(r, c, what) for (r, c), what in sorted(table.flagged.items()) if c in used]
    if flagged:
        r, c, what = flagged[0]
        raise InputError(f"cell {cell_name(r, c)} is {what}", file=where, row=r, column=headers[c])

    n = len(table.rows)
    out = pd.DataFrame(index=range(n))
    out[ROW] = np.asarray(table.row_numbers, dtype=int)
    if PERSON_ID in fields:
        i = fields[PERSON_ID]
        ids = _parse_column(
            [row[i] for row in table.rows],
            table.row_numbers,
            PERSON_ID,
            headers[i],
            props[PERSON_ID],
            spec,
            where,
        )
        blank = ids.isna().to_numpy()
        if blank.any():
            row = table.row_numbers[int(np.flatnonzero(blank)[0])]
            raise InputError(
                "the person id is blank: every person needs one", file=where, row=row, column=headers[i]
            )
        out[PERSON_ID] = ids.astype(str).to_numpy()
        _check_unique_ids(out, headers[i], where)
    else:
        out[PERSON_ID] = [f"{ROW_ID}{r}" for r in table.row_numbers]
    matrix = np.zeros((n, len(lists)), dtype=np.int8)
    for j, name in enumerate(lists):
        i = position[name]
        for k, cells in enumerate(table.rows):
            value = _indicator(cells[i])
            if value is None:
                text = "" if cells[i] is None else str(cells[i]).strip()
                found = "a blank cell" if text == "" else show_value(text)
                raise InputError(
                    f"a list column holds 1 (on the list) or 0 (not on it); found {found}",
                    file=where,
                    row=table.row_numbers[k],
                    column=name,
                )
            matrix[k, j] = value
        out[name] = matrix[:, j]
    nowhere = ~matrix.any(axis=1)
    if nowhere.any():
        rows = [table.row_numbers[k] for k in np.flatnonzero(nowhere)]
        more = f" ({len(rows)} such rows, the first {', '.join(map(str, rows[:5]))})" if len(rows) > 1 else ""
        raise InputError(
            f"this person is on no list (0 in every list column: {', '.join(lists)}){more}: a person no list "
            "documents cannot be in a capture-recapture table; remove the row, or correct its list columns",
            file=where,
            row=rows[0],
            column=lists[0],
        )
    for name in FIELDS:
        if name in fields:
            i = fields[name]
            out[name] = _parse_column(
                [row[i] for row in table.rows], table.row_numbers, name, headers[i], props[name], spec, where
            )
        elif "integer" in (props[name]["type"] if isinstance(props[name]["type"], list) else []):
            out[name] = pd.array([None] * n, dtype="Int64")
        else:
            out[name] = pd.Series([None] * n, dtype=object)
    out = out[[PERSON_ID, ROW, *lists, *FIELDS]]
    out.attrs.update(
        encoding=table.encoding,
        delimiter=table.delimiter,
        header_row=table.header_row,
        blank_rows=table.blank_rows,
        ignored=ignored,
        lists=lists,
    )
    return out


def _check_unique_ids(frame: pd.DataFrame, header: str, where: str) -> None:
    from .records import ROW

    dup = frame[PERSON_ID].duplicated(keep=False)
    if not dup.any():
        return
    first = frame.loc[dup, PERSON_ID].iloc[0]
    rows = frame.loc[frame[PERSON_ID] == first, ROW].tolist()
    value = f" {show_value(first)}" if is_safe_value(first) else " (not shown: it contains letters)"
    others = frame.loc[dup, PERSON_ID].nunique() - 1
    more = f"; {others} other id(s) repeat too" if others else ""
    raise InputError(
        f"the person id{value} is given twice (rows {', '.join(map(str, rows[:5]))}){more}: one row per person, "
        "each with its own id",
        file=where,
        row=rows[1],
        column=header,
    )


def ignored_text(frame: pd.DataFrame, headers: bool = True) -> str:
    """'ignored 2 columns it does not know: C 'Notes', F 'x'' ('' when none); ``headers=False``: letters only."""
    ignored = frame.attrs.get("ignored") or []
    if not ignored:
        return ""
    shown = ", ".join(f"{letter} {header!r}" if headers else letter for letter, header in ignored)
    return (
        f"ignored {len(ignored)} column(s) that are neither a list nor a known field ({shown}); map them "
        f"under 'columns' to {', '.join(FIELDS)} to use them"
    )


# ------------------------------------------------------------------ private copy
def write_linked(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a validated linked table (to ``private_dir``: ids and fields, as the analyst gave them).

    Through the project's one writer, so formula-leading text cells are neutralised;
    :func:`read_linked_records` undoes it.
    """
    from . import tabular

    tabular.write_csv(frame, path, index=False, lineterminator="\n")


def read_linked_records(path: str | Path, lists: Sequence[str]) -> pd.DataFrame:
    """Read back a table written by :func:`write_linked`, restoring its types."""
    from . import tabular
    from .records import ROW

    frame = pd.read_csv(path, dtype=str, keep_default_na=False).map(tabular.restore)
    frame.columns = [tabular.restore(c) for c in frame.columns]
    frame = frame.replace({"": None})
    frame[ROW] = frame[ROW].astype(int)
    for name in lists:
        frame[name] = frame[name].astype(np.int8)
    frame["age"] = pd.array([None if v is None else int(v) for v in frame["age"]], dtype="Int64")
    frame.attrs["lists"] = list(lists)
    return frame


# ------------------------------------------------------------ persons, attributes
def linked_persons(frame: pd.DataFrame, lists: Sequence[str]) -> pd.DataFrame:
    """The persons table of linkage (source, record_id, person_id): one row per person and list."""
    rows = []
    for name in lists:
        on = frame[frame[name].astype(int) == 1]
        rows.append(pd.DataFrame({"source": name, "record_id": on[PERSON_ID], "person_id": on[PERSON_ID]}))
    out = pd.concat(rows, ignore_index=True)
    return out.sort_values(["person_id", "source"], kind="stable").reset_index(drop=True)


def linked_attributes(frame: pd.DataFrame, lists: Sequence[str]) -> pd.DataFrame:
    """One row per person, as :func:`undercount.strata.person_attributes` gives for linked records."""
    out = pd.DataFrame(
        {
            "person_id": frame[PERSON_ID].astype(str).to_numpy(),
            "records": frame[list(lists)].astype(int).sum(axis=1).to_numpy(),
            "sex": frame["sex"].to_numpy(dtype=object),
            "age": pd.array(frame["age"], dtype="Int64"),
            "date": frame["date_of_death"].to_numpy(dtype=object),
            "place": frame["place"].to_numpy(dtype=object),
            "region": frame["region"].to_numpy(dtype=object),
            "victim_group": frame["victim_group"].to_numpy(dtype=object),
            "conflicts": 0,
        }
    )
    return out.sort_values("person_id", kind="stable").reset_index(drop=True)


def memberships_matrix(persons: pd.DataFrame, person_ids: Sequence[str], lists: Sequence[str]) -> np.ndarray:
    """``(n, k)`` 0/1 array: is person ``person_ids[i]`` on list ``lists[j]`` (from a persons table)."""
    index = {p: i for i, p in enumerate(person_ids)}
    col = {name: j for j, name in enumerate(lists)}
    out = np.zeros((len(person_ids), len(lists)), dtype=np.int8)
    for source, person in zip(persons["source"], persons["person_id"]):
        if source in col and person in index:
            out[index[person], col[source]] = 1
    return out


def describe_linked(frame: pd.DataFrame, lists: Sequence[str]) -> dict[str, Any]:
    """Counts for logs: persons, people per list, blanks per field. No ids, no values."""
    return {
        "persons": int(len(frame)),
        "people_per_list": {name: int(frame[name].astype(int).sum()) for name in lists},
        "blank_per_field": {name: int(frame[name].isna().sum()) for name in FIELDS},
    }


# ------------------------------------------------------------ estimates from a person table
def estimate_persons(
    frame: pd.DataFrame,
    lists: Sequence[str],
    *,
    method: str,
    by: Sequence[str] = (),
    age_bands: Sequence[int] | None = None,
    impute_fields: Sequence[str] = (),
    m: int = 20,
    iterations: int = 10,
    donors: int = 5,
    model: str | None = None,
    settings: Mapping[str, Any] | None = None,
    seed: int = 20220105,
    level: float = 0.95,
    min_sources: int | None = None,
    min_records: int = 10,
    progress: Any = None,
) -> dict[str, Any]:
    """Totals of a linked person table: by stratum, over strata, pooled over imputations.

    The same library calls as the workflow's (stratify, usable-stratum rule,
    :func:`~undercount.results.estimate_table`, :func:`~undercount.results.combine.add`,
    :func:`~undercount.impute.pool`). ``min_sources`` defaults to 3, or the number of
    lists when fewer. Returns ``{"total": result, "strata": {name: result},
    "imputation": summary or None, "imputations": {name: [results]}}``.
    """
    from datetime import date

    from .histories import build_histories
    from .impute import (
        estimate_imputations,
        imputation_seed,
        impute,
        imputed_note,
        imputed_strata,
        imputed_summary,
        pool,
        pooled_total,
    )
    from .results import estimate_table
    from .results.combine import add
    from .strata import Scheme, stratify, usable

    lists = list(lists)
    persons = linked_persons(frame, lists)
    attributes = linked_attributes(frame, lists)
    caveats = [LINKED_CAVEAT]
    if method == "loglinear-cov":
        return _estimate_covariates(
            frame,
            persons,
            attributes,
            lists,
            by=by,
            age_bands=age_bands,
            impute_fields=impute_fields,
            m=m,
            iterations=iterations,
            donors=donors,
            settings=settings,
            seed=seed,
            level=level,
            progress=progress,
        )
    if not by:
        if impute_fields:
            from .errors import UndercountError

            raise UndercountError("imputation fills missing stratification fields: give the strata too")
        table, meta = build_histories(persons, lists, caveats)
        result = estimate_table(
            table, meta, method=method, model=model, settings=settings, seed=seed, level=level
        )
        return {"total": result, "strata": {}, "imputation": None, "imputations": {}}
    entry: dict[str, Any] = {"by": list(by)}
    if age_bands is not None:
        entry["age_bands"] = list(age_bands)
    scheme = Scheme.from_config("strata", entry, date(1970, 1, 1).isoformat())
    rule_sources = min(3, len(lists)) if min_sources is None else min_sources

    def checked(meta: dict) -> dict:
        ok, reason = usable(meta["people_per_list"], rule_sources, min_records)
        return {**meta, "usable": ok, "unusable_reason": reason or None}

    if not impute_fields:
        tables = stratify(persons, attributes, scheme, lists, caveats)
        strata = {
            s: estimate_table(
                t,
                checked(meta),
                method=method,
                model=model,
                settings=settings,
                seed=imputation_seed(seed, "stratum", s),
                level=level,
            )
            for s, (t, meta) in tables.items()
        }
        total = add(strata, rng=np.random.default_rng(imputation_seed(seed, "total")), level=level)
        return {"total": total, "strata": strata, "imputation": None, "imputations": {}}
    memberships = frame.set_index(PERSON_ID).loc[attributes["person_id"], lists].to_numpy()
    imputation = impute(
        attributes,
        memberships,
        impute_fields,
        m=m,
        iterations=iterations,
        donors=donors,
        seed=imputation_seed(seed, "impute"),
        progress=progress,
    )
    per, counts = imputed_strata(persons, imputation, scheme, lists, caveats)
    names = sorted(per[0])
    by_stratum = {
        s: estimate_imputations(
            [(tables[s][0], checked(tables[s][1])) for tables in per],
            method=method,
            model=model,
            settings=settings,
            seed=imputation_seed(seed, "stratum", s),
            level=level,
        )
        for s in names
    }
    pooled = {}
    for s in names:
        note = imputed_note(counts[s], imputation.m)
        pooled[s] = pool(
            by_stratum[s],
            level=level,
            rng=np.random.default_rng(imputation_seed(seed, "pool", s)),
            notes=[note] if note else [],
            imputed=imputed_summary(counts[s]),
        )
    summary = {
        "fields": list(imputation.fields),
        "imputed": imputation.counts(),
        "by_stratum": {s: imputed_summary(counts[s]) for s in names},
        **dict(imputation.settings),
        "model": "chained equations: predictive mean matching (age), ridge multinomial logistic (categories)",
    }
    note = imputed_note(
        {f: [c] * imputation.m for f, c in imputation.counts().items()}, imputation.m, "in all"
    )
    total, _ = pooled_total(
        [{s: by_stratum[s][j] for s in names} for j in range(imputation.m)],
        seed=imputation_seed(seed, "total"),
        level=level,
        notes=[note] if note else [],
        imputed=summary,
    )
    return {"total": total, "strata": pooled, "imputation": summary, "imputations": by_stratum}


def _estimate_covariates(
    frame: pd.DataFrame,
    persons: pd.DataFrame,
    attributes: pd.DataFrame,
    lists: Sequence[str],
    *,
    by: Sequence[str],
    age_bands: Sequence[int] | None,
    impute_fields: Sequence[str],
    m: int,
    iterations: int,
    donors: int,
    settings: Mapping[str, Any] | None,
    seed: int,
    level: float,
    progress: Any,
) -> dict[str, Any]:
    """``loglinear-cov`` on a person table: one model over pattern x covariate cells (no strata).

    Missing covariate values are an error unless their fields are imputed (``impute_fields``);
    then the model runs on every completed table and the results are pooled over imputations
    (:func:`~undercount.impute.pool`, draw by draw).
    """
    from .covariates import pool_imputed_fits
    from .errors import UndercountError
    from .estimators.loglinear_cov import COVARIATE_FIELD, covariate_names, covariate_table
    from .histories import build_histories
    from .impute import imputation_seed, impute
    from .results import estimate_table

    if by:
        raise UndercountError(
            "loglinear-cov models the covariates inside one model: give them as --set covariates=... "
            "rather than as --strata"
        )
    names = covariate_names((settings or {}).get("covariates", ""))
    if not names:
        raise UndercountError(
            "loglinear-cov needs --set covariates=NAME,... (" + ", ".join(COVARIATE_FIELD) + ")"
        )
    needed = {COVARIATE_FIELD[v] for v in names}
    extra = [f for f in impute_fields if f not in needed and not (f == "age" and "age_band" in names)]
    if extra:
        raise UndercountError(
            f"--impute {', '.join(extra)}: not a field of the covariates {', '.join(names)} (those are "
            f"{', '.join(sorted(needed))})"
        )
    from .estimators.loglinear_cov import age_band_edges

    settings = dict(settings or {})
    if age_bands is not None:
        settings["age_bands"] = ",".join(str(e) for e in age_bands if e <= 120)
    age_bands = age_band_edges(settings.get("age_bands", ""))
    table, meta = build_histories(persons, list(lists), [LINKED_CAVEAT])
    memberships = frame.set_index(PERSON_ID).loc[attributes["person_id"], list(lists)].to_numpy()
    if not impute_fields:
        ctable = covariate_table(
            attributes, memberships, lists, names, age_bands=age_bands, source=table.source
        )
        result = estimate_table(
            ctable, meta, method="loglinear-cov", settings=settings, seed=seed, level=level
        )
        return {"total": result, "strata": {}, "imputation": None, "imputations": {}}
    imputation = impute(
        attributes,
        memberships,
        impute_fields,
        m=m,
        iterations=iterations,
        donors=donors,
        seed=imputation_seed(seed, "impute"),
        progress=progress,
    )
    results, total, summary = pool_imputed_fits(
        imputation,
        memberships,
        lists,
        names,
        age_bands=age_bands,
        meta=meta,
        settings=settings,
        seed=seed,
        level=level,
    )
    return {"total": total, "strata": {}, "imputation": summary, "imputations": {"total": results}}


def caveat(linkage: str) -> str:
    """The caveat of a table's persons: a linked table's, or the linkage method's."""
    if linkage == LINKED:
        return LINKED_CAVEAT
    from .linkage import CAVEATS

    return CAVEATS[linkage]
