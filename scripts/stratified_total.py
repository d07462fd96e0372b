"""Rule stratified_total: add one method's strata together, draw by draw."""

import json

import numpy as np

from undercount.logs import script_logger
from undercount.results import read_draws
from undercount.strata import total_over_strata

log = script_logger(snakemake.log[0], "stratified_total")
results = {}
for stratum, est_path, draws_path in zip(
    snakemake.params.strata, snakemake.input.estimates, snakemake.input.draws
):
    with open(est_path, encoding="utf-8") as fh:
        results[stratum] = (json.load(fh), read_draws(draws_path))
total = total_over_strata(results, snakemake.params.level, np.random.default_rng(snakemake.params.seed))
with open(snakemake.output.total, "w", encoding="utf-8") as fh:
    json.dump(total, fh, indent=2, ensure_ascii=False)
    fh.write("\n")
log.info(
    "%d strata; total n_hat=%s (%s, %s)", len(results), total["n_hat"], total["ci_low"], total["ci_high"]
)
for warning in total["warnings"]:
    log.warning(warning)
