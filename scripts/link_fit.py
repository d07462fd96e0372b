"""Rule link_fit: the records of one kind of one event -> one fit, clustered at every threshold.

The populations that share a kind's records (detentions, torture and deaths in
custody all link the event's detention records) share this job: one fit (Splink
by default) with the labelled pairs as constraints, clustered at each threshold.
Each population's link_thresholds job then keeps its records' rows. Writes ids
and numbers only: the persons of every record at every threshold, the model
(exactly, for each population's model.csv and chart), the candidate pairs and
the accuracy estimated from the labels.

The fit is looked up first in the step cache (undercount.cache.StepCache, folder
``$UNDERCOUNT_CACHE/linkage``), keyed by the records' and labels' content, the
settings, the thresholds and the library: a rerun after ``make clean``, or a
config that changes nothing the fit reads, writes the same files without fitting
again, and its log carries the fit's own lines.
"""

import logging
from pathlib import Path

import pandas as pd

from undercount import tabular
from undercount.cache import StepCache, StepEntry, Uncacheable
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
from undercount.provenance import sha256 as file_digest
from undercount.records import read_records

#: the packages a fit runs on: their versions enter the fit's key
FIT_PACKAGES = ("splink", "duckdb", "pyspark", "numpy", "pandas")
#: the job's outputs that the cache keeps (all of them)
OUTPUTS = ("linked", "model", "pairs", "label_accuracy")


def fit_key_fields(job) -> dict:
    """What the fit reads: the records' and labels' content, the sources, thresholds and settings."""
    linkage = dict(job.params.linkage)
    reference = linkage.pop("reference_frequencies", None)
    return {
        "event": job.wildcards.event,  # label_accuracy.csv names it
        "kind": job.wildcards.kind,
        "records": [[s, file_digest(p)] for s, p in zip(job.params.sources, job.input.records)],
        "labels": [file_digest(p) for p in job.input.labels],
        "other_sources": list(job.params.other_sources),
        "thresholds": [float(t) for t in job.params.thresholds],
        "linkage": linkage,
        "reference_frequencies": file_digest(reference) if reference else None,
    }


def main(job) -> None:
    """Run the rule for ``job``: Snakemake's job object, or any object with its
    ``input``, ``output``, ``params``, ``wildcards`` and ``log`` attributes."""
    log = script_logger(job.log[0], "link_fit")
    cache = StepCache.from_environment("linkage")
    key = None
    if cache is not None:
        try:
            key = cache.key(fit_key_fields(job), FIT_PACKAGES)
        except Uncacheable as exc:
            log.info("fit cache: not used (%s)", exc)
    if key is not None:
        found, status = cache.load(key)
        if found is not None and set(found.files) == set(OUTPUTS):
            for name in OUTPUTS:
                Path(getattr(job.output, name)).write_bytes(found.files[name].encode("utf-8"))
            log.info("fit cache: hit %s (%s); the fit's own log follows", key[:16], cache.root)
            for level, text in found.log:
                log.log(_LEVELS.get(level, logging.INFO), "%s", text)
            return
        if status.startswith("corrupt"):
            log.warning("fit cache: entry %s %s; fitting again", key[:16], status)
    # the libraries' warnings (Splink's EM: a level never observed) reach the log file as they
    # happen; they are kept too, so that a hit's log says them again
    heard = _Collector()
    logging.getLogger().addHandler(heard)
    try:
        lines = fit(job)
    finally:
        logging.getLogger().removeHandler(heard)
    for level, text in lines:
        log.log(_LEVELS.get(level, logging.INFO), "%s", text)
    lines = heard.lines + lines
    if key is not None:
        try:
            files = {name: Path(getattr(job.output, name)).read_bytes().decode("utf-8") for name in OUTPUTS}
            cache.store(key, StepEntry(files=files, log=lines))
            log.info("fit cache: stored %s (%s)", key[:16], cache.root)
        except (OSError, UnicodeDecodeError) as exc:
            log.info("fit cache: not stored (%s)", exc)


#: a log line's level by its name, as a record gives it (an ERROR from a library is replayed as one)
_LEVELS = logging.getLevelNamesMapping()


class _Collector(logging.Handler):
    """The WARNING records of every library during the fit, as the job's log file shows them."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.levelname, f"[{record.name}] {record.getMessage()}"))


def fit(job) -> list[tuple[str, str]]:
    """Fit, cluster and write the job's outputs; return the log lines (level, text) it has to say."""
    lines: list[tuple[str, str]] = []

    def say(text: str, level: str = "INFO") -> None:
        lines.append((level, text))

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
    say(f"linkage method: {options['method']} (backend {options['backend']}); {kind} records in: {n}")
    for line in blocking_report(fitted):
        say(line)
    if fitted.model is None:
        say(
            "no candidate pair: no two records could be compared, so every record is its own person",
            "WARNING",
        )
    else:
        say(f"candidate pairs scored: {len(fitted.i)}")
        converged = getattr(fitted.model, "converged", True)
        say(f"EM: {fitted.model.iterations} iterations, converged: {converged}")
        if not converged:
            say("EM did not converge: the match probabilities may be unreliable", "WARNING")
    if must or cannot:
        say(f"labelled pairs used as constraints: {len(must)} must-link, {len(cannot)} cannot-link")
    for threshold, block in linked.groupby("threshold", sort=True):
        say(f"threshold {threshold:g}: {len(block)} records -> {block['person_id'].nunique()} persons")
    if labels is not None and len(labels):
        # the population column is each population's own (link_thresholds fills it in)
        estimated = label_accuracy(
            labels, fitted, thresholds=job.params.thresholds, event=event, population=""
        )
    else:
        estimated = pd.DataFrame(columns=LABEL_ACCURACY_COLUMNS)
    tabular.write_csv(estimated, job.output.label_accuracy, index=False, lineterminator="\n")
    return lines


if "snakemake" in globals():
    main(snakemake)
