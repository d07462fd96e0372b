"""Rule estimate_averaged_strata: every stratum of one scheme under every linkage draw, one method
-> the linkage-averaged result per stratum and the scheme's total.

One job per table, scheme and method loops over strata and draws (undercount.linkage.draw_strata):
each stratum's distinct tables are estimated once through the estimate cache and pooled over
the draws where the stratum is usable; the total adds the strata within each draw, draw by
draw, and mixes the R totals. Writes ``{stratum}.json``, ``.draws.csv`` and ``.per_draw.csv``
per stratum into the output folder, and the total beside it.
"""

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from undercount.cache import EstimateCache
from undercount.linkage.averaging import draw_job_settings, linkage_share, write_pooled
from undercount.linkage.draw_strata import DrawStrata, average_stratum, average_total, stratum_tables
from undercount.logs import job_progress, script_logger
from undercount.results import EstimateResult


def main(
    *,
    histories: str,
    outside: str,
    meta: str,
    strata_out: str,
    total: str,
    total_draws: str,
    total_per_draw: str,
    log: str,
    method: Mapping[str, Any],
    strata: Sequence[str],
    seeds: Mapping[str, Sequence[int]],
    total_seeds: Sequence[int],
    draws: int,
    usable_rule: Mapping[str, int],
    level: float,
    draw_overrides: Mapping[str, Mapping[str, Any]] | None = None,
    threads: int = 1,
    where: str = "",
) -> EstimateResult:
    logger = script_logger(log, "estimate_averaged_strata")
    with open(meta, encoding="utf-8") as fh:
        summary = json.load(fh)
    lists = list(summary["lists"])
    frame = pd.read_csv(histories)
    missing = [c for c in ("draw", "stratum", *lists, "count") if c not in frame.columns]
    if missing:
        raise ValueError(f"{histories}: no column(s) {missing}; columns are {list(frame.columns)}")
    away = pd.read_csv(outside)
    tables = stratum_tables(frame, lists, strata, int(draws))
    settings = draw_job_settings(method, draw_overrides, threads, logger)
    cache = EstimateCache.from_environment()
    out = Path(strata_out)
    out.mkdir(parents=True, exist_ok=True)
    done = {}
    for stratum in strata:
        seed, pool_seed = seeds[stratum]
        averaged = average_stratum(
            tables[stratum],
            summary,
            method=method["method"],
            model=method.get("model"),
            settings=settings,
            seed=int(seed),
            pool_seed=int(pool_seed),
            min_sources=int(usable_rule["min_sources"]),
            min_records=int(usable_rule["min_records"]),
            level=level,
            cache=cache,
        )
        write_pooled(
            averaged.result,
            averaged.frame,
            out / f"{stratum}.json",
            out / f"{stratum}.draws.csv",
            out / f"{stratum}.per_draw.csv",
        )
        share = linkage_share(averaged.result) if averaged.result.estimable else None
        logger.info(
            "%s %s: usable in %d of %d draws; pooled n_hat=%s interval=(%s, %s); share between linkages: %s",
            where,
            stratum,
            int(averaged.frame["usable"].sum()),
            len(averaged.frame),
            averaged.result.n_hat,
            averaged.result.ci_low,
            averaged.result.ci_high,
            "-" if share is None else f"{share:.3f}",
        )
        done[stratum] = averaged
    note = DrawStrata(frame, away, int(draws)).warning()
    pooled, _totals, per_draw = average_total(
        done,
        seed=int(total_seeds[0]),
        pool_seed=int(total_seeds[1]),
        outside=away,
        level=level,
        notes=[note] if note else [],
    )
    write_pooled(pooled, per_draw, total, total_draws, total_per_draw)
    logger.info("%s total: n_hat=%s interval=(%s, %s)", where, pooled.n_hat, pooled.ci_low, pooled.ci_high)
    for warning in pooled.warnings:
        logger.warning(warning)
    return pooled


if "snakemake" in globals():
    with job_progress(snakemake.log[0]):
        main(
            histories=snakemake.input.histories,
            outside=snakemake.input.outside,
            meta=snakemake.input.meta,
            strata_out=snakemake.output.strata,
            total=snakemake.output.total,
            total_draws=snakemake.output.total_draws,
            total_per_draw=snakemake.output.total_per_draw,
            log=snakemake.log[0],
            method=snakemake.params.method,
            draw_overrides=snakemake.params.draw_settings,
            strata=snakemake.params.strata,
            seeds=snakemake.params.seeds,
            total_seeds=snakemake.params.total_seeds,
            draws=snakemake.params.draws,
            usable_rule=snakemake.params.usable,
            level=snakemake.params.level,
            threads=snakemake.threads,
            where="/".join(str(v) for v in snakemake.wildcards),
        )
