"""The covariate model (``loglinear-cov``) on a table's people, their missing covariates imputed.

:mod:`undercount.estimators.loglinear_cov` fits one table whose every person has every covariate.
This module is the step before it, as the workflow's rule ``estimate`` takes it: the people's
attributes (a linked table's columns, or the linked records' consolidated fields) become that
table, and a covariate that some people lack is either

* imputed, when the configuration's ``impute`` key covers the field it is derived from
  (:data:`IMPUTED_FIELD`: ``age_band`` from ``age``, ``month`` and ``week`` from ``date``): ``m``
  completed data sets by chained equations (:func:`undercount.impute.impute`), the model fitted on
  each, and the ``m`` results pooled draw by draw (:func:`undercount.impute.pool`), as the command
  line's ``--impute`` does; the result's warnings say which fields were imputed and how many values;
* or the reason there is no estimate (:class:`~undercount.errors.TableError`: which covariate, how
  many people lack it, and which field to add to ``impute.fields``).

In a stratum (rule ``estimate_stratum``) the model runs on the stratum's people
(:func:`stratum_people`), with their covariates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .errors import TableError
from .estimators.loglinear_cov import age_band_edges, covariate_names, covariate_table, covariate_values

#: The field of :mod:`undercount.impute` each covariate is derived from (what ``impute.fields`` must name).
IMPUTED_FIELD = {
    "sex": "sex",
    "age_band": "age",
    "month": "date",
    "week": "date",
    "region": "region",
    "victim_group": "victim_group",
}


def stratum_people(
    attributes: pd.DataFrame, scheme_name: str, entry: Mapping[str, Any], start_date: str, stratum: str
) -> pd.DataFrame:
    """The rows of ``attributes`` in ``stratum`` of the scheme (``entry`` as under ``strata`` in a config).

    The same assignment as :func:`undercount.strata.stratify` (:func:`undercount.strata.assign_strata`),
    so they are the people of the stratum's capture-history table.
    """
    from .strata import Scheme, assign_strata

    scheme = Scheme.from_config(scheme_name, entry, start_date)
    here = (assign_strata(attributes, scheme) == stratum).to_numpy()
    return attributes[here].reset_index(drop=True)


def missing_covariates(
    attributes: pd.DataFrame, names: Sequence[str], age_bands: Sequence[int] | None = None
) -> dict[str, int]:
    """Per covariate, how many people lack it (0 where everyone has it)."""
    return {v: sum(x is None for x in covariate_values(attributes, v, age_bands)) for v in names}


def imputation_fields(
    attributes: pd.DataFrame,
    names: Sequence[str],
    *,
    age_bands: Sequence[int] | None = None,
    impute: Mapping[str, Any] | None = None,
    source: str | None = None,
) -> list[str]:
    """The fields to impute before the covariate model: none when no covariate value is missing.

    Otherwise the fields of ``impute["fields"]`` that the covariates ``names`` are derived from (a
    covered covariate without gaps still takes part, as a predictor of the others).

    Raises
    ------
    TableError
        A covariate some people lack whose field ``impute`` does not cover (how many people, and what
        to add to ``impute.fields``).
    """
    missing = missing_covariates(attributes, names, age_bands)
    if not any(missing.values()):
        return []
    covered = set(impute["fields"]) if impute else set()
    n = len(attributes)
    uncovered = [v for v, count in missing.items() if count and IMPUTED_FIELD[v] not in covered]
    if uncovered:
        parts = "; ".join(
            f"covariate {v} is missing for {missing[v]:,} of {n:,} people and impute.fields does not cover "
            f"{IMPUTED_FIELD[v]}"
            for v in uncovered
        )
        raise TableError(
            f"{parts}: add {', '.join(dict.fromkeys(IMPUTED_FIELD[v] for v in uncovered))} to impute.fields "
            "(config/README.md, 'Multiple imputation'), or leave the covariate out",
            file=source,
        )
    assert impute is not None
    needed = {IMPUTED_FIELD[v] for v in names}
    return [f for f in impute["fields"] if f in needed]


def estimate_imputed(
    attributes: pd.DataFrame,
    memberships: np.ndarray,
    lists: Sequence[str],
    meta: Mapping[str, Any],
    fields: Sequence[str],
    *,
    settings: Mapping[str, Any],
    seed: int,
    level: float,
    impute: Mapping[str, Any],
    impute_seed: int,
    source: str | None = None,
    progress: Any = None,
) -> Any:
    """``fields`` imputed ``impute["m"]`` times, the covariate model fitted on each, pooled draw by draw.

    Imputation ``j``'s fit runs from ``imputation_seed(seed, "imputation", j)`` and the pool from
    ``imputation_seed(seed, "pool")``, as the command line's ``--impute``; the completed data sets
    come from ``impute_seed``. The pooled result's warnings begin with the values imputed per field.
    """
    from .impute import impute as run_imputation

    names = covariate_names(str(settings.get("covariates", "")))
    age_bands = age_band_edges(settings.get("age_bands", ""))
    imputation = run_imputation(
        attributes,
        memberships,
        fields,
        m=int(impute.get("m", 20)),
        iterations=int(impute.get("iterations", 10)),
        donors=int(impute.get("donors", 5)),
        seed=int(impute_seed),
        progress=progress,
    )
    results, pooled, _ = pool_imputed_fits(
        imputation,
        memberships,
        lists,
        names,
        age_bands=age_bands,
        meta=meta,
        settings=settings,
        seed=seed,
        level=level,
        source=source,
    )
    if not pooled.estimable or not all(r.estimable for r in results):
        return pooled
    from dataclasses import replace

    extra = {**dict(pooled.details.extra), **pooled_model_summary(results, level)}
    return replace(pooled, details=replace(pooled.details, extra=extra))


def pool_imputed_fits(
    imputation: Any,
    memberships: np.ndarray,
    lists: Sequence[str],
    names: Sequence[str],
    *,
    age_bands: Any,
    meta: Mapping[str, Any],
    settings: Mapping[str, Any],
    seed: int,
    level: float,
    source: str | None = None,
) -> tuple[list[Any], Any, dict[str, Any]]:
    """The covariate model on each completed data set of ``imputation``, and their pool.

    Imputation ``j``'s fit runs from ``imputation_seed(seed, "imputation", j)`` and the pool from
    ``imputation_seed(seed, "pool")``; the workflow and the command line's ``--impute`` both come
    here, so they give the same numbers. Returns the per-imputation results, the pooled result
    (its warnings begin with the values imputed per field) and the imputation summary.
    """
    from .impute import imputation_seed, imputed_note, pool
    from .results import estimate_table

    results = []
    for j, completed in enumerate(imputation.completed):
        table = covariate_table(completed, memberships, lists, names, age_bands=age_bands, source=source)
        results.append(
            estimate_table(
                table,
                dict(meta),
                method="loglinear-cov",
                settings=settings,
                seed=imputation_seed(seed, "imputation", j + 1),
                level=level,
            )
        )
    counts = imputation.counts()
    note = imputed_note({f: [c] * imputation.m for f, c in counts.items()}, imputation.m, "in all")
    summary = {"fields": list(imputation.fields), "imputed": counts, **dict(imputation.settings)}
    pooled = pool(
        results,
        level=level,
        rng=np.random.default_rng(imputation_seed(seed, "pool")),
        notes=[note] if note else [],
        imputed=summary,
    )
    return results, pooled, summary


def pooled_model_summary(results: Sequence[Any], level: float) -> dict[str, Any]:
    """What the covariate figure draws, over the imputations' results.

    * ``catchability``: each share pooled by Rubin's rules on its logit (the mean of the ``m``
      logits; total variance ``W + (1 + 1/m) B`` from the mean squared standard error ``W`` and the
      variance between imputations ``B``; Student's t with Rubin's (1987) degrees of freedom
      ``(m - 1) (1 + W / ((1 + 1/m) B))^2``), for the shares present in every imputation;
    * ``top_models``: each model's mean weight over the imputations (0 where it did not take part);
    * ``selected_model``: the model selected most often, and in how many imputations.
    """
    from collections import Counter

    from scipy.special import expit
    from scipy.stats import t as student

    m = len(results)
    extras = [r.details.extra for r in results]
    rows: dict[tuple, list[dict[str, Any]]] = {}
    for e in extras:
        for row in e.get("catchability", []):
            rows.setdefault((row["covariate"], row["level"], row["list"]), []).append(row)
    catch = []
    for key, found in rows.items():
        if len(found) < m or not all(np.isfinite(r["se_logit"]) for r in found):
            continue
        q = np.array(
            [
                np.log(r["documented_by_list"]) - np.log(r["estimated_people"] - r["documented_by_list"])
                for r in found
            ]
        )
        u = np.array([r["se_logit"] ** 2 for r in found])
        qbar, within, between = float(q.mean()), float(u.mean()), float(q.var(ddof=1))
        total = within + (1 + 1 / m) * between
        df = (m - 1) * (1 + within / ((1 + 1 / m) * between)) ** 2 if between > 0 else np.inf
        half = float(student.ppf(0.5 + level / 2.0, df)) * float(np.sqrt(total))
        catch.append(
            {
                "covariate": key[0],
                "level": key[1],
                "list": key[2],
                "estimated_people": float(np.mean([r["estimated_people"] for r in found])),
                "documented_by_list": float(np.mean([r["documented_by_list"] for r in found])),
                "share_documented": float(expit(qbar)),
                "ci_low": float(expit(qbar - half)),
                "ci_high": float(expit(qbar + half)),
                "se_logit": float(np.sqrt(total)),
                "ci_level": level,
                "ci_method": (
                    f"Rubin's rules on the logit over {m} imputations of the Wald intervals (each given its "
                    "imputation's selected model)"
                ),
            }
        )
    weight: dict[str, float] = {}
    for e in extras:
        for model in e.get("top_models", []):
            weight[model["model"]] = weight.get(model["model"], 0.0) + model["weight"] / m
    top = [
        {"model": name, "weight": w}
        for name, w in sorted(weight.items(), key=lambda kv: (-kv[1], kv[0]))[
            : len(extras[0].get("top_models", []))
        ]
    ]
    chosen = Counter(str(e.get("selected_model", "")) for e in extras).most_common(1)[0]
    return {
        "catchability": catch,
        "top_models": top,
        "top_models_weight": f"mean weight over {m} imputations",
        "selected_model": f"{chosen[0]}, selected in {chosen[1]} of {m} imputations",
        "criterion": extras[0].get("criterion", "aic"),
        "candidates_fitted": extras[0].get("candidates_fitted"),
    }


def estimate_covariate_model(
    attributes: pd.DataFrame,
    memberships: np.ndarray,
    lists: Sequence[str],
    meta: Mapping[str, Any],
    *,
    settings: Mapping[str, Any],
    seed: int,
    level: float,
    impute: Mapping[str, Any] | None = None,
    impute_seed: int | None = None,
    source: str | None = None,
    progress: Any = None,
) -> Any:
    """``loglinear-cov`` on the people of one table; missing covariates imputed where ``impute`` covers them.

    Parameters
    ----------
    attributes, memberships
        One row per documented person: their fields, and 0/1 membership of each of ``lists``.
    meta
        The table's summary (``histories.json``), passed to :func:`undercount.results.estimate_table`.
    settings
        The method's settings (``covariates``, ``age_bands``, ``nboot``, ...).
    seed
        The estimate's seed (see :func:`estimate_imputed` for the seeds of an imputed table).
    impute, impute_seed
        The configuration's ``impute`` entry (``fields``, ``m``, ``iterations``, ``donors``) and the
        seed of the table's imputations. Only the fields the covariates are derived from are imputed
        (the others have no part in this model); with no covariate value missing nothing is imputed.

    Raises
    ------
    TableError
        See :func:`imputation_fields`.
    """
    from .results import estimate_table

    names = covariate_names(str(settings.get("covariates", "")))
    age_bands = age_band_edges(settings.get("age_bands", ""))
    fields = imputation_fields(attributes, names, age_bands=age_bands, impute=impute, source=source)
    if not fields:
        table = covariate_table(attributes, memberships, lists, names, age_bands=age_bands, source=source)
        return estimate_table(
            table, dict(meta), method="loglinear-cov", settings=settings, seed=seed, level=level
        )
    if impute is None or impute_seed is None:
        raise ValueError("imputing the covariates needs the impute entry and its seed (impute_seed)")
    return estimate_imputed(
        attributes,
        memberships,
        lists,
        meta,
        fields,
        settings=settings,
        seed=seed,
        level=level,
        impute=impute,
        impute_seed=impute_seed,
        source=source,
        progress=progress,
    )
