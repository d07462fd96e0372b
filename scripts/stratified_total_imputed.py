"""Rule stratified_total_imputed: add the strata within each imputation, pool the totals."""

import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from undercount import tabular
from undercount.impute import imputed_note, pooled_total
from undercount.logs import script_logger
from undercount.results import EstimateResult, read_result

#: Columns of the per-imputation table (drawn by the figure of imputations).
COLUMNS = ["stratum", "imputation", "n_observed", "n_hat", "ci_low", "ci_high"]


def main(
    *,
    strata_dir: str,
    strata: Sequence[str],
    imputations: Sequence[str],
    total: str,
    table: str,
    log: str,
    seed: int,
    level: float,
) -> EstimateResult:
    """``imputations[i]`` is the folder of per-imputation results of stratum ``strata[i]``."""
    logger = script_logger(log, "stratified_total_imputed")
    with open(Path(strata_dir) / "imputation.json", encoding="utf-8") as fh:
        info = json.load(fh)
    per_stratum = {
        name: [read_result(p) for p in sorted(Path(folder).glob("*.json"))]
        for name, folder in zip(strata, imputations, strict=True)
    }
    m = len(next(iter(per_stratum.values())))
    if any(len(r) != m for r in per_stratum.values()):
        raise ValueError("the strata do not have the same number of imputations")
    by_imputation = [{name: results[j] for name, results in per_stratum.items()} for j in range(m)]
    counts = {f: [n] * m for f, n in info["imputed"].items()}
    note = imputed_note(counts, m, f"among the {info['persons']} persons")
    pooled, totals = pooled_total(
        by_imputation, seed=seed, level=level, notes=[note] if note else [], imputed=info
    )
    pooled.write(total)
    rows = []
    for name, results in [*per_stratum.items(), ("total", totals)]:
        for j, r in enumerate(results, start=1):
            rows.append([name, j, r.n_observed, r.n_hat, r.ci_low, r.ci_high])
    frame = pd.DataFrame(rows, columns=COLUMNS)
    tabular.write_csv(frame, table, sep="\t", index=False, lineterminator="\n", float_format="%.6g")
    logger.info(
        "%d strata, %d imputations; pooled total n_hat=%s (%s, %s)",
        len(strata),
        m,
        pooled.n_hat,
        pooled.ci_low,
        pooled.ci_high,
    )
    for warning in pooled.warnings:
        logger.warning(warning)
    return pooled


if "snakemake" in globals():
    main(
        strata_dir=snakemake.input.strata,
        strata=snakemake.params.strata,
        imputations=snakemake.input.imputations,
        total=snakemake.output.total,
        table=snakemake.output.table,
        log=snakemake.log[0],
        seed=snakemake.params.seed,
        level=snakemake.params.level,
    )
