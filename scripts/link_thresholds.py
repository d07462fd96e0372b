"""Rule link_thresholds: records of one population -> persons at every configured threshold.

One probabilistic fit, clustered at each threshold; writes ids and match
probabilities only, and the estimated model (m, u and weight per comparison level).
"""

from undercount.config import POPULATIONS
from undercount.linkage import link_population_thresholds
from undercount.logs import script_logger
from undercount.records import read_records

log = script_logger(snakemake.log[0], "link_thresholds")
kind, flag = POPULATIONS[snakemake.wildcards.population]
records = {
    source: read_records(path, kind)
    for source, path in zip(snakemake.params.sources, snakemake.input.records)
}
linked, fitted = link_population_thresholds(
    records, kind=kind, flag=flag, thresholds=snakemake.params.thresholds
)
linked.to_csv(snakemake.output.linked, index=False, lineterminator="\n", float_format="%.6g")
model = fitted.model.table()
model.insert(0, "prior_cross_source", fitted.model.prior[0])
model.insert(1, "prior_same_source", fitted.model.prior[1])
model.to_csv(snakemake.output.model, index=False, lineterminator="\n", float_format="%.6g")
log.info("records in: %d; candidate pairs compared: %d", sum(len(r) for r in records.values()), len(fitted.i))
log.info(
    "EM: %d iterations, converged: %s; P(match) of two random records: %.3g across sources, %.3g within one",
    fitted.model.iterations,
    fitted.model.converged,
    *fitted.model.prior,
)
if not fitted.model.converged:
    log.warning("EM did not converge: the match probabilities may be unreliable")
for threshold, block in linked.groupby("threshold", sort=True):
    log.info("threshold %g: %d records -> %d persons", threshold, len(block), block["person_id"].nunique())
