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


def main(job) -> None:
    """Run the rule for ``job``: Snakemake's job object, or any object with its
    ``input``, ``output``, ``params``, ``wildcards`` and ``log`` attributes."""
    log = script_logger(job.log[0], "link_thresholds")
    event, population = job.wildcards.event, job.wildcards.population
    kind, flag = POPULATIONS[population]
    records = {
        source: read_records(path, kind) for source, path in zip(job.params.sources, job.input.records)
    }
    known = known_records(records)
    labels = [read_labels(p, known | {s: None for s in job.params.other_sources}) for p in job.input.labels]
    labels = pd.concat(labels, ignore_index=True) if labels else None
    if labels is not None:
        mine = labels["source_a"].isin(known) & labels["source_b"].isin(known)
        labels = labels[mine]
    must, cannot = constraints(labels) if labels is not None else ([], [])
    options = fit_options(job.params.linkage)
    linked, fitted = link_population_thresholds(
        records, kind=kind, flag=flag, thresholds=job.params.thresholds, must=must, cannot=cannot, **options
    )
    tabular.write_csv(linked, job.output.linked, index=False, lineterminator="\n", float_format="%.6g")
    model = model_table(fitted)
    tabular.write_csv(model, job.output.model, index=False, lineterminator="\n", float_format="%.6g")
    tabular.write_csv(
        pairs_table(fitted), job.output.pairs, index=False, lineterminator="\n", float_format="%.6g"
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
        log.info(
            "threshold %g: %d records -> %d persons", threshold, len(block), block["person_id"].nunique()
        )
    if labels is not None and len(labels):
        estimated = label_accuracy(
            labels, fitted, thresholds=job.params.thresholds, event=event, population=population
        )
    else:
        estimated = pd.DataFrame(columns=LABEL_ACCURACY_COLUMNS)
    tabular.write_csv(
        estimated, job.output.label_accuracy, index=False, lineterminator="\n", float_format="%.6g"
    )
    plot, data = match_weights_figure(model, title=job.params.title, synthetic=job.params.synthetic)
    save_figure(plot, data, job.output.chart, width=8, height=2 + 0.22 * max(len(data), 1))


if "snakemake" in globals():
    main(snakemake)
