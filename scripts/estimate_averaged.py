"""Rule estimate_averaged: every linkage draw's table, one configured method -> the linkage-averaged result.

Each distinct table is estimated once, through the estimate cache (undercount.cache),
with a seed derived from the job's seed and the table's cells; methods without draws of N
get bootstrap replicates. The draws of N of all R linkages are mixed
(undercount.results.combine.mix): the result's details give the within- and
between-linkage variance and the share of the interval's width due to linkage.
"""

import json
from collections.abc import Mapping
from typing import Any

import pandas as pd

from undercount.cache import EstimateCache
from undercount.linkage.averaging import (
    draw_job_settings,
    estimate_draws,
    linkage_share,
    per_draw_frame,
    read_draw_histories,
    write_pooled,
)
from undercount.linkage.draws import pool_over_linkages
from undercount.logs import job_progress, script_logger
from undercount.results import EstimateResult


def main(
    *,
    histories: str,
    meta: str,
    estimate: str,
    draws: str,
    per_draw: str,
    log: str,
    method: Mapping[str, Any],
    seed: int,
    pool_seed: int,
    level: float,
    draw_overrides: Mapping[str, Mapping[str, Any]] | None = None,
    threads: int = 1,
    where: str = "",
) -> EstimateResult:
    logger = script_logger(log, "estimate_averaged")
    with open(meta, encoding="utf-8") as fh:
        summary = json.load(fh)
    lists = list(summary["lists"])
    frame = pd.read_csv(histories)
    tables = read_draw_histories(frame, lists, source=histories)
    settings = draw_job_settings(method, draw_overrides, threads, logger)
    done = estimate_draws(
        tables,
        summary,
        method=method["method"],
        model=method.get("model"),
        settings=settings,
        seed=seed,
        level=level,
        cache=EstimateCache.from_environment(),
    )
    for line in done.lookups:
        logger.info(line)
    pooled = pool_over_linkages(done.results, seed=pool_seed, level=level)
    write_pooled(pooled, per_draw_frame(done), estimate, draws, per_draw)
    share = linkage_share(pooled)
    logger.info(
        "%s: %d linkage draws, %d distinct tables; pooled n_hat=%s interval=(%s, %s); "
        "share of variance between linkages: %s",
        where,
        len(tables),
        done.distinct,
        pooled.n_hat,
        pooled.ci_low,
        pooled.ci_high,
        "-" if share is None else f"{share:.3f}",
    )
    for warning in pooled.warnings:
        logger.warning(warning)
    return pooled


if "snakemake" in globals():
    with job_progress(snakemake.log[0]):
        main(
            histories=snakemake.input.histories,
            meta=snakemake.input.meta,
            estimate=snakemake.output.estimate,
            draws=snakemake.output.draws,
            per_draw=snakemake.output.per_draw,
            log=snakemake.log[0],
            method=snakemake.params.method,
            draw_overrides=snakemake.params.draw_settings,
            seed=snakemake.params.seed,
            pool_seed=snakemake.params.pool_seed,
            level=snakemake.params.level,
            threads=snakemake.threads,
            where="/".join(str(v) for v in snakemake.wildcards),
        )
