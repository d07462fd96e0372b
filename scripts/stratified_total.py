"""Rule stratified_total: add one method's strata together, draw by draw."""

from collections.abc import Sequence

import numpy as np

from undercount.logs import script_logger
from undercount.results import EstimateResult, read_result
from undercount.results.combine import add


def main(
    *, strata: Sequence[str], estimates: Sequence[str], total: str, log: str, seed: int, level: float
) -> EstimateResult:
    """The total over ``strata`` (names, in the order of their result files ``estimates``)."""
    logger = script_logger(log, "stratified_total")
    results = {name: read_result(path) for name, path in zip(strata, estimates, strict=True)}
    result = add(results, rng=np.random.default_rng(seed), level=level)
    result.write(total)
    logger.info(
        "%d strata; total n_hat=%s (%s, %s)", len(results), result.n_hat, result.ci_low, result.ci_high
    )
    for warning in result.warnings:
        logger.warning(warning)
    return result


if "snakemake" in globals():
    main(
        strata=snakemake.params.strata,
        estimates=snakemake.input.estimates,
        total=snakemake.output.total,
        log=snakemake.log[0],
        seed=snakemake.params.seed,
        level=snakemake.params.level,
    )
