"""Rule estimate: one table, one configured method -> JSON result."""

import json

from undercount.histories import read_histories
from undercount.logs import script_logger
from undercount.results import estimate_table, workflow_settings, write_draws

log = script_logger(snakemake.log[0], "estimate")
with open(snakemake.input.meta, encoding="utf-8") as fh:
    meta = json.load(fh)
table = read_histories(snakemake.input.table, meta)
entry = snakemake.params.method
settings = workflow_settings(entry["method"], entry.get("settings"), snakemake.threads)
result = estimate_table(
    table,
    meta,
    method=entry["method"],
    model=entry.get("model"),
    settings=settings,
    seed=snakemake.params.seed,
    level=snakemake.params.level,
)
with open(snakemake.output.estimate, "w", encoding="utf-8") as fh:
    json.dump(result.to_dict(), fh, indent=2, ensure_ascii=False)
    fh.write("\n")
write_draws(result, snakemake.output.draws)
where = "/".join(str(v) for v in snakemake.wildcards)
log.info(
    "%s: n_observed=%d n_hat=%s interval=(%s, %s)",
    where,
    result.n_observed,
    result.n_hat,
    result.ci_low,
    result.ci_high,
)
for warning in result.warnings:
    log.warning(warning)
