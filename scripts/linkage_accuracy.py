"""Rule linkage_accuracy: persons at every threshold + the truth (or labelled pairs) -> accuracy table and figure."""

import pandas as pd

from undercount import tabular
from undercount.config import POPULATIONS
from undercount.figures import save_figure
from undercount.figures.linkage import linkage_accuracy_figure
from undercount.linkage import accuracy_table, read_truth
from undercount.linkage.labels import LABEL_ACCURACY_COLUMNS
from undercount.logs import script_logger


def main(job) -> None:
    """Run the rule for ``job``: Snakemake's job object, or any object with its
    ``input``, ``output``, ``params``, ``wildcards`` and ``log`` attributes."""
    log = script_logger(job.log[0], "linkage_accuracy")
    tables = []
    if job.input.truth:
        truth = read_truth(job.input.truth)
        for name, path in zip(job.params.tables, job.input.linked):
            event, population = name.split("/")
            kind, _flag = POPULATIONS[population]
            linked = pd.read_csv(path, dtype={"source": str, "record_id": str, "person_id": str})
            acc = accuracy_table(
                linked,
                truth,
                event=event,
                population=population,
                kind=kind,
                thresholds=job.params.thresholds,
            )
            tables.append(acc.assign(basis="truth", labelled_pairs=0))
    else:
        for path in job.input.from_labels:
            tables.append(pd.read_csv(path))
        log.info("no truth: precision and recall estimated from labelled pairs")
    accuracy = pd.concat(tables, ignore_index=True)[LABEL_ACCURACY_COLUMNS]
    for _, r in accuracy.iterrows():
        log.info(
            "%s %s threshold %g (%s): precision %.4f recall %.4f F1 %.4f; persons %d",
            r["event"],
            r["population"],
            r["threshold"],
            r["basis"],
            r["precision"],
            r["recall"],
            r["f1"],
            r["persons_found"],
        )
    tabular.write_csv(accuracy, job.output.table, index=False, lineterminator="\n", float_format="%.6g")
    plot, data = linkage_accuracy_figure(
        accuracy,
        threshold=job.params.threshold,
        synthetic=job.params.synthetic,
        event_labels=getattr(job.params, "event_labels", None),
    )
    panels = max(data["table"].nunique(), 1)
    save_figure(plot, data, job.output.png, width=9, height=2.2 + 2.3 * ((panels + 2) // 3))


if "snakemake" in globals():
    main(snakemake)
