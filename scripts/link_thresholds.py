"""Rule link_thresholds: one population's persons at every threshold, from its kind's fit.

link_fit fitted and clustered all records of the kind (one job for the
populations that share them); this job keeps the rows of the population's
records (those carrying its flag, e.g. ``torture_alleged``) and writes the
population's files as one fit per population wrote them: thresholds.csv, the
model, the candidate pairs, the accuracy estimated from labels and the
match-weight chart. Ids and numbers only.
"""

import shutil

from undercount import tabular
from undercount.config import POPULATIONS
from undercount.figures import save_figure
from undercount.figures.linkage import match_weights_figure
from undercount.linkage.core import population_rows, read_model_exact, read_thresholds_exact
from undercount.linkage.labels import read_label_accuracy_exact
from undercount.logs import script_logger
from undercount.records import read_records


def main(job) -> None:
    """Run the rule for ``job``: Snakemake's job object, or any object with its
    ``input``, ``output``, ``params``, ``wildcards`` and ``log`` attributes."""
    log = script_logger(job.log[0], "link_thresholds")
    population = job.wildcards.population
    kind, flag = POPULATIONS[population]
    everyone = read_thresholds_exact(job.input.fit_linked)
    if flag is None:
        records = {}
    else:
        records = {
            source: read_records(path, kind) for source, path in zip(job.params.sources, job.input.records)
        }
    linked = population_rows(everyone, records, flag)
    tabular.write_csv(linked, job.output.linked, index=False, lineterminator="\n", float_format="%.6g")
    model = read_model_exact(job.input.fit_model)
    tabular.write_csv(model, job.output.model, index=False, lineterminator="\n", float_format="%.6g")
    shutil.copyfile(job.input.fit_pairs, job.output.pairs)
    estimated = read_label_accuracy_exact(job.input.fit_label_accuracy)
    estimated["population"] = population
    tabular.write_csv(
        estimated, job.output.label_accuracy, index=False, lineterminator="\n", float_format="%.6g"
    )
    log.info(
        "from the one fit of the event's %s records (its log: logs/link_fit/%s/%s.log)",
        kind,
        job.wildcards.event,
        kind,
    )
    keep = "every record" if flag is None else f"the records with {flag}"
    log.info("records kept for %s: %s", population, keep)
    for threshold, block in linked.groupby("threshold", sort=True):
        log.info(
            "threshold %g: %d records -> %d persons", threshold, len(block), block["person_id"].nunique()
        )
    plot, data = match_weights_figure(model, title=job.params.title, synthetic=job.params.synthetic)
    save_figure(plot, data, job.output.chart, width=8, height=2 + 0.22 * max(len(data), 1))


if "snakemake" in globals():
    main(snakemake)
