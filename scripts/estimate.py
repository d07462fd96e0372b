"""Rules estimate and estimate_stratum: one table, every configured method -> a result file and draws each.

One job per table runs all of the table's methods in one process, so the table's Python start-up,
imports and numba cache loads are paid once, not once per method. Each method is estimated exactly
as a job of its own would be (its own seed, settings and cache key; :func:`estimate_method`), and
its lines in the log start with its label (``mt: cache: hit ...``).

A method that raises does not stop the others: every method is tried, the failure is logged with
its traceback, and the job then fails naming the methods that failed (Snakemake removes the job's
outputs; the methods that succeeded are in the estimate cache, so the rerun looks them up).

A covariate model (``loglinear-cov``) also gets the table's persons and records: its table is the
people's capture patterns with their covariates (:func:`undercount.estimators.loglinear_cov.covariate_table`),
in a stratum those of the stratum's people (:func:`undercount.covariates.stratum_people`).
"""

import json
import logging
import traceback
from collections.abc import Mapping, Sequence
from typing import Any

from undercount.cache import EstimateCache, cached_estimate_table
from undercount.errors import UndercountError
from undercount.histories import read_histories
from undercount.logs import job_progress, script_logger
from undercount.results import EstimateResult, workflow_settings, write_draws_csv


class MethodsFailed(UndercountError):
    """One or more methods of a table raised; the others' results were written and cached."""


class _Labelled(logging.LoggerAdapter):
    """The job's logger, each line starting with the method's label (``mt: cache: hit ...``)."""

    def process(self, msg, kwargs):
        return f"{self.extra['label']}: {msg}", kwargs


def main(
    *,
    table: str,
    meta: str,
    estimates: Sequence[str],
    draws: Sequence[str],
    log: str,
    methods: Mapping[str, Mapping[str, Any]],
    level: float,
    threads: int = 1,
    where: str = "",
    persons: str | None = None,
    records: Sequence[str] = (),
) -> dict[str, EstimateResult]:
    """Estimate ``table`` by every method of ``methods`` (label -> ``method``, ``seed``, ``covariates``).

    ``estimates`` and ``draws`` are the output files, in the order of ``methods``. Returns the
    results by label; raises :class:`MethodsFailed` after trying every method when any raised.
    """
    if not (len(estimates) == len(draws) == len(methods)):
        raise ValueError(f"{len(methods)} methods, but {len(estimates)} result and {len(draws)} draws files")
    logger = script_logger(log, "estimate")
    with open(meta, encoding="utf-8") as fh:
        summary = json.load(fh)
    capture = read_histories(table, summary)
    results: dict[str, EstimateResult] = {}
    failed: list[str] = []
    for (label, entry), estimate, draw in zip(methods.items(), estimates, draws, strict=True):
        labelled = _Labelled(logger, {"label": label})
        try:
            results[label] = estimate_method(
                capture,
                summary,
                estimate=estimate,
                draws=draw,
                logger=labelled,
                method=entry["method"],
                seed=int(entry["seed"]),
                level=level,
                threads=threads,
                where=where,
                persons=persons,
                records=records,
                covariates=entry.get("covariates") or None,
            )
        except Exception:  # noqa: BLE001 - every method is tried; the job fails below, naming them
            failed.append(label)
            labelled.error("failed:\n%s", traceback.format_exc().rstrip())
    if failed:
        done = [label for label in methods if label in results]
        message = f"{where or table}: method(s) {', '.join(failed)} failed (tracebacks in {log}); " + (
            f"{', '.join(done)} succeeded and are in the estimate cache, where a rerun finds them"
            if done and EstimateCache.from_environment() is not None
            else f"{', '.join(done) or 'no method'} succeeded"
        )
        logger.error("%s", message)
        raise MethodsFailed(message)
    return results


def estimate_method(
    capture,
    summary: Mapping[str, Any],
    *,
    estimate: str,
    draws: str,
    logger: logging.Logger | logging.LoggerAdapter,
    method: Mapping[str, Any],
    seed: int,
    level: float,
    threads: int = 1,
    where: str = "",
    persons: str | None = None,
    records: Sequence[str] = (),
    covariates: Mapping[str, Any] | None = None,
) -> EstimateResult:
    """Estimate the table ``capture`` (with its summary) by one configured ``method`` entry; write the result."""
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
            estimates=list(snakemake.output.estimates),
            draws=list(snakemake.output.draws),
            log=snakemake.log[0],
            # label -> method entry, seed and (loglinear-cov) the table's covariate facts, in output order
            methods=dict(snakemake.params.methods),
            level=snakemake.params.level,
            threads=snakemake.threads,
            where="/".join(str(v) for v in snakemake.wildcards),
            persons=getattr(snakemake.input, "persons", None),
            records=list(getattr(snakemake.input, "records", [])),
        )
