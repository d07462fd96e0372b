"""Rule estimate_stratum_imputed: one stratum's table in every imputation -> m results and their pool."""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from undercount.cache import EstimateCache, Lookup
from undercount.histories import read_histories
from undercount.impute import estimate_imputations, imputation_seed, pool
from undercount.logs import job_progress, script_logger
from undercount.results import EstimateResult, workflow_settings, write_draws_csv


def main(
    *,
    strata: str,
    stratum: str,
    estimate: str,
    draws: str,
    imputations: str,
    log: str,
    method: Mapping[str, Any],
    seed: int,
    level: float,
    threads: int = 1,
) -> EstimateResult:
    """Estimate ``stratum`` of the stratify folder ``strata`` in each imputation and pool them."""
    logger = script_logger(log, "estimate_imputed")
    folder = Path(strata) / stratum
    with open(folder / "histories.json", encoding="utf-8") as fh:
        summary = json.load(fh)
    tables = []
    for path in sorted((folder / "imputations").glob("*.json")):
        with open(path, encoding="utf-8") as fh:
            meta = json.load(fh)
        tables.append((read_histories(path.with_suffix(".csv"), meta), meta))
    settings = workflow_settings(method["method"], method.get("settings"), threads)
    cache = EstimateCache.from_environment()  # each imputation's table looked up by content first
    results = estimate_imputations(
        tables,
        method=method["method"],
        model=method.get("model"),
        settings=settings,
        seed=seed,
        level=level,
        cache=cache,
    )
    lookups = cache.lookups if cache is not None else [Lookup("off")] * len(results)
    out = Path(imputations)
    out.mkdir(parents=True, exist_ok=True)
    for j, (result, lookup) in enumerate(zip(results, lookups, strict=True), start=1):
        result.write(out / f"{j:03d}.json")
        logger.info("imputation %d: %s", j, lookup)
        logger.info("imputation %d: n_observed=%d n_hat=%s", j, result.n_observed, result.n_hat)
    notes = [n for n in summary["notes"] if n.startswith("multiple imputation")]
    pooled = pool(
        results,
        level=level,
        rng=np.random.default_rng(imputation_seed(seed, "pool")),
        notes=notes,
        imputed=summary["imputed"],
    )
    pooled.write(estimate)
    write_draws_csv(pooled, draws)
    logger.info(
        "pooled over %d imputations: n_hat=%s interval=(%s, %s)",
        len(results),
        pooled.n_hat,
        pooled.ci_low,
        pooled.ci_high,
    )
    for warning in pooled.warnings:
        logger.warning(warning)
    return pooled


if "snakemake" in globals():
    # long computations report their progress next to the log, for the terminal's progress view
    with job_progress(snakemake.log[0]):
        main(
            strata=snakemake.input.strata,
            stratum=snakemake.wildcards.stratum,
            estimate=snakemake.output.estimate,
            draws=snakemake.output.draws,
            imputations=snakemake.output.imputations,
            log=snakemake.log[0],
            method=snakemake.params.method,
            seed=snakemake.params.seed,
            level=snakemake.params.level,
            threads=snakemake.threads,
        )
