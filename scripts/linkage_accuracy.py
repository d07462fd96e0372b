"""Rule linkage_accuracy: persons at every threshold + the known truth -> accuracy table and figure."""

import pandas as pd

from undercount.config import POPULATIONS
from undercount.figures import save_figure
from undercount.figures.linkage import linkage_accuracy_figure
from undercount.linkage import accuracy_table, read_truth
from undercount.logs import script_logger

log = script_logger(snakemake.log[0], "linkage_accuracy")
truth = read_truth(snakemake.input.truth)
tables = []
for name, path in zip(snakemake.params.tables, snakemake.input.linked):
    event, population = name.split("/")
    kind, _flag = POPULATIONS[population]
    linked = pd.read_csv(path, dtype={"source": str, "record_id": str, "person_id": str})
    acc = accuracy_table(
        linked, truth, event=event, population=population, kind=kind, thresholds=snakemake.params.thresholds
    )
    tables.append(acc)
    for _, r in acc.iterrows():
        log.info(
            "%s %s threshold %g: precision %.4f recall %.4f F1 %.4f; persons %d (true %d)",
            event,
            population,
            r["threshold"],
            r["precision"],
            r["recall"],
            r["f1"],
            r["persons_found"],
            r["true_persons"],
        )
accuracy = pd.concat(tables, ignore_index=True)
accuracy.to_csv(snakemake.output.table, index=False, lineterminator="\n", float_format="%.6g")
plot, data = linkage_accuracy_figure(
    accuracy, threshold=snakemake.params.threshold, synthetic=snakemake.params.synthetic
)
panels = data["table"].nunique()
save_figure(plot, data, snakemake.output.png, width=9, height=2.2 + 2.3 * ((panels + 2) // 3))
