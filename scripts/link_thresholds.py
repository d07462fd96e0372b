"""Rule link_thresholds: records of one population -> persons at every configured threshold.

One fit (Splink by default), clustered at each threshold with the labelled pairs
as constraints; writes ids and match probabilities only, the model (m, u and
weight per comparison level), the candidate pairs (ids, probability, per-field
weights) and a match-weight chart.
"""

import pandas as pd

from undercount import tabular
from undercount.config import POPULATIONS
from undercount.figures import save_figure
from undercount.figures.linkage import match_weights_figure
from undercount.linkage import link_population_thresholds
from undercount.linkage.core import blocking_report, fit_options, known_records, model_table, pairs_table
from undercount.linkage.labels import LABEL_ACCURACY_COLUMNS, constraints, label_accuracy, read_labels
from undercount.logs import script_logger
from undercount.records import read_records

log = script_logger(snakemake.log[0], "link_thresholds")
event, population = snakemake.wildcards.event, snakemake.wildcards.population
kind, flag = POPULATIONS[population]
records = {
    source: read_records(path, kind)
    for source, path in zip(snakemake.params.sources, snakemake.input.records)
}
known = known_records(records)
labels = [
    read_labels(p, known | {s: None for s in snakemake.params.other_sources}) for p in snakemake.input.labels
]
labels = pd.concat(labels, ignore_index=True) if labels else None
if labels is not None:
    mine = labels["source_a"].isin(known) & labels["source_b"].isin(known)
    labels = labels[mine]
must, cannot = constraints(labels) if labels is not None else ([], [])
options = fit_options(snakemake.params.linkage)
linked, fitted = link_population_thresholds(
    records, kind=kind, flag=flag, thresholds=snakemake.params.thresholds, must=must, cannot=cannot, **options
)
tabular.write_csv(linked, snakemake.output.linked, index=False, lineterminator="\n", float_format="%.6g")
model = model_table(fitted)
tabular.write_csv(model, snakemake.output.model, index=False, lineterminator="\n", float_format="%.6g")
tabular.write_csv(
    pairs_table(fitted), snakemake.output.pairs, index=False, lineterminator="\n", float_format="%.6g"
)
n = sum(len(r) for r in records.values())
log.info("linkage method: %s (backend %s); records in: %d", options["method"], options["backend"], n)
for line in blocking_report(fitted):
    log.info(line)
if fitted.model is None:
    log.warning("no candidate pair: no two records could be compared, so every record is its own person")
else:
    log.info("candidate pairs scored: %d", len(fitted.i))
    converged = getattr(fitted.model, "converged", True)
    log.info("EM: %d iterations, converged: %s", fitted.model.iterations, converged)
    if not converged:
        log.warning("EM did not converge: the match probabilities may be unreliable")
if must or cannot:
    log.info("labelled pairs used as constraints: %d must-link, %d cannot-link", len(must), len(cannot))
for threshold, block in linked.groupby("threshold", sort=True):
    log.info("threshold %g: %d records -> %d persons", threshold, len(block), block["person_id"].nunique())
if labels is not None and len(labels):
    estimated = label_accuracy(
        labels, fitted, thresholds=snakemake.params.thresholds, event=event, population=population
    )
else:
    estimated = pd.DataFrame(columns=LABEL_ACCURACY_COLUMNS)
tabular.write_csv(
    estimated, snakemake.output.label_accuracy, index=False, lineterminator="\n", float_format="%.6g"
)
plot, data = match_weights_figure(
    model, title=f"Match weights: {event} {population}", synthetic=snakemake.params.synthetic
)
save_figure(plot, data, snakemake.output.chart, width=8, height=2 + 0.22 * max(len(data), 1))
