"""Rule estimate (and estimate_stratum): one table, one configured method -> result file and draws.

A covariate model (``loglinear-cov``) also gets the table's persons and records: its table is the
people's capture patterns with their covariates (:func:`undercount.estimators.loglinear_cov.covariate_table`),
in a stratum those of the stratum's people (:func:`undercount.covariates.stratum_people`).
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any

from undercount.cache import EstimateCache, cached_estimate_table
from undercount.histories import read_histories
from undercount.logs import job_progress, script_logger
from undercount.results import EstimateResult, workflow_settings, write_draws_csv


def main(
    *,
    table: str,
    meta: str,
    estimate: str,
    draws: str,
    log: str,
    method: Mapping[str, Any],
    seed: int,
    level: float,
    threads: int = 1,
    where: str = "",
    persons: str | None = None,
    records: Sequence[str] = (),
    covariates: Mapping[str, Any] | None = None,
) -> EstimateResult:
    """Estimate ``table`` (with its summary ``meta``) by the configured ``method`` entry; write the result."""
    logger = script_logger(log, "estimate")
    with open(meta, encoding="utf-8") as fh:
        summary = json.load(fh)
    capture = read_histories(table, summary)
    settings = workflow_settings(method["method"], method.get("settings"), threads)
    if covariates:
        from undercount.errors import TableError
        from undercount.results import not_estimable

        try:
            capture, imputed = _covariate_table(
                capture, summary, persons, records, covariates, settings, seed, level
            )
        except TableError as exc:
            imputed = not_estimable(
                method["method"],
                capture.lists,
                capture.n_observed,
                f"not estimable: {exc.message}",
                level=level,
            )
        if imputed is not None:  # missing covariates imputed (a pool of imputations), or not estimable
            imputed.write(estimate)
            write_draws_csv(imputed, draws)
            logger.info("%s: n_observed=%d n_hat=%s", where, imputed.n_observed, imputed.n_hat)
            for warning in imputed.warnings:
                logger.warning(warning)
            return imputed
    # looked up by the table's content first (undercount.cache; UNDERCOUNT_CACHE=off: never)
    result, lookup = cached_estimate_table(
        EstimateCache.from_environment(),
        capture,
        summary,
        method=method["method"],
        model=method.get("model"),
        settings=settings,
        seed=seed,
        level=level,
    )
    result.write(estimate)
    write_draws_csv(result, draws)
    logger.info("%s", lookup)
    logger.info(
        "%s: n_observed=%d n_hat=%s interval=(%s, %s)",
        where,
        result.n_observed,
        result.n_hat,
        result.ci_low,
        result.ci_high,
    )
    for key, value in result.runtime.items():  # wall-clock figures: here only, never in results/
        logger.info("runtime %s: %s", key, value)
    for caveat in result.caveats:
        logger.info("caveat: %s", caveat)
    for warning in result.warnings:
        logger.warning(warning)
    return result


def _covariate_table(capture, summary, persons, records, covariates, settings, seed, level):
    """The people of the table with their covariates (fields of a linked table, or of the linked records).

    Returns ``(table, None)``, or ``(capture, pooled result)`` when missing covariate values were
    imputed (config ``impute`` covers their fields: :mod:`undercount.covariates`). A missing value
    that ``impute`` does not cover raises TableError with the reason.
    """
    import pandas as pd

    from undercount.config import POPULATIONS
    from undercount.covariates import estimate_imputed, imputation_fields, stratum_people
    from undercount.errors import TableError
    from undercount.estimators.loglinear_cov import age_band_edges, covariate_names, covariate_table
    from undercount.linked import linked_attributes, memberships_matrix, read_linked_records
    from undercount.records import read_records
    from undercount.strata import person_attributes

    sources = list(covariates["sources"])
    linked = pd.read_csv(persons, dtype=str)
    if covariates["linkage"] == "linked":
        attributes = linked_attributes(read_linked_records(records[0], sources), sources)
    else:
        kind, _flag = POPULATIONS[covariates["population"]]
        by_source = {s: read_records(p, kind) for s, p in zip(sources, records, strict=True)}
        attributes = person_attributes(linked, by_source, kind)
    if "scheme" in covariates:  # a stratum: its people only, as stratify assigned them
        attributes = stratum_people(
            attributes,
            covariates["scheme"],
            covariates["scheme_entry"],
            covariates["start_date"],
            covariates["stratum"],
        )
        if len(attributes) != capture.n_observed:
            raise TableError(
                f"stratum {covariates['stratum']}: {len(attributes):,} people with its attributes, but its "
                f"table has {capture.n_observed:,}: the persons and the strata are out of step (re-run stratify)",
                file=capture.source,
            )
    memberships = memberships_matrix(linked, list(attributes["person_id"]), capture.lists)
    names = covariate_names(settings.get("covariates", ""))
    bands = age_band_edges(settings.get("age_bands", ""))
    impute = covariates.get("impute")
    fields = imputation_fields(attributes, names, age_bands=bands, impute=impute, source=capture.source)
    if fields:
        pooled = estimate_imputed(
            attributes,
            memberships,
            capture.lists,
            summary,
            fields,
            settings=settings,
            seed=seed,
            level=level,
            impute=impute,
            impute_seed=int(covariates["impute_seed"]),
            source=capture.source,
        )
        return capture, pooled
    table = covariate_table(
        attributes, memberships, capture.lists, names, age_bands=bands, source=capture.source
    )
    return table, None


if "snakemake" in globals():
    # long computations report their progress next to the log, for the terminal's progress view
    with job_progress(snakemake.log[0]):
        main(
            table=snakemake.input.table,
            meta=snakemake.input.meta,
            estimate=snakemake.output.estimate,
            draws=snakemake.output.draws,
            log=snakemake.log[0],
            method=snakemake.params.method,
            seed=snakemake.params.seed,
            level=snakemake.params.level,
            threads=snakemake.threads,
            where="/".join(str(v) for v in snakemake.wildcards),
            persons=getattr(snakemake.input, "persons", None),
            records=list(getattr(snakemake.input, "records", [])),
            # rules estimate and estimate_stratum (a stratum's people); not the imputed strata
            covariates=dict(getattr(snakemake.params, "covariates", {})),
        )
