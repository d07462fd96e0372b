"""Rule estimate (and estimate_stratum): one table, one configured method -> result file and draws."""

import json
from collections.abc import Mapping
from typing import Any

from undercount.histories import read_histories
from undercount.logs import job_progress, script_logger
from undercount.results import EstimateResult, estimate_table, workflow_settings, write_draws_csv


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
) -> EstimateResult:
    """Estimate ``table`` (with its summary ``meta``) by the configured ``method`` entry; write the result."""
    logger = script_logger(log, "estimate")
    with open(meta, encoding="utf-8") as fh:
        summary = json.load(fh)
    capture = read_histories(table, summary)
    settings = workflow_settings(method["method"], method.get("settings"), threads)
    result = estimate_table(
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
        )
