"""Rule link_fit: the records of one kind of one event -> one fit, clustered at every threshold.

The populations that share a kind's records (detentions, torture and deaths in
custody all link the event's detention records) share this job: one fit (Splink
by default) with the labelled pairs as constraints, clustered at each threshold.
Each population's link_thresholds job then keeps its records' rows. Writes ids
and numbers only: the persons of every record at every threshold, the model
(exactly, for each population's model.csv and chart), the candidate pairs and
the accuracy estimated from the labels.
"""

import pandas as pd

from undercount import tabular
from undercount.linkage import link_population_thresholds
from undercount.linkage.core import (
    blocking_report,
    fit_options,
    known_records,
    model_table,
    pairs_table,
    write_model_exact,
)
from undercount.linkage.labels import LABEL_ACCURACY_COLUMNS, constraints, label_accuracy, read_labels
from undercount.logs import script_logger
from undercount.records import read_records


def main(job) -> None:
    """Run the rule for ``job``: Snakemake's job object, or any object with its
    ``input``, ``output``, ``params``, ``wildcards`` and ``log`` attributes."""
    log = script_logger(job.log[0], "link_fit")
    event, kind = job.wildcards.event, job.wildcards.kind
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
        records, kind=kind, flag=None, thresholds=job.params.thresholds, must=must, cannot=cannot, **options
    )
    # full precision: each population's link_thresholds writes its rows as they came from the fit
    tabular.write_csv(linked, job.output.linked, index=False, lineterminator="\n")
    write_model_exact(model_table(fitted), job.output.model)
    tabular.write_csv(
        pairs_table(fitted), job.output.pairs, index=False, lineterminator="\n", float_format="%.6g"
    )
    n = sum(len(r) for r in records.values())
    log.info(
        "linkage method: %s (backend %s); %s records in: %d", options["method"], options["backend"], kind, n
    )
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
        # the population column is each population's own (link_thresholds fills it in)
        estimated = label_accuracy(
            labels, fitted, thresholds=job.params.thresholds, event=event, population=""
        )
    else:
        estimated = pd.DataFrame(columns=LABEL_ACCURACY_COLUMNS)
    tabular.write_csv(estimated, job.output.label_accuracy, index=False, lineterminator="\n")


if "snakemake" in globals():
    main(snakemake)
