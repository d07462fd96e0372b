"""Rule linkage_sensitivity: persons at every threshold -> histories -> estimates per threshold."""

import pandas as pd

from undercount import tabular
from undercount.figures.linkage import SENSITIVITY_COLUMNS
from undercount.histories import build_histories
from undercount.logs import job_progress, script_logger
from undercount.results import estimate_table


def main(job) -> None:
    """Run the rule for ``job``: Snakemake's job object, or any object with its
    ``input``, ``output``, ``params``, ``wildcards`` and ``log`` attributes."""
    log = script_logger(job.log[0], "linkage_sensitivity")
    event, population = job.wildcards.event, job.wildcards.population
    linked = pd.read_csv(job.input.linked, dtype={"source": str, "record_id": str, "person_id": str})
    rows = []
    for threshold in sorted(float(t) for t in job.params.thresholds):
        # every threshold gets its rows, also for a population nobody documents
        block = linked[linked["threshold"].astype(float) == threshold]
        table, meta = build_histories(block, job.params.sources, [job.params.caveat])
        for entry in job.params.methods:
            seed = job.params.seeds[f"{threshold:g}|{entry['label']}"]
            result = estimate_table(
                table,
                meta,
                method=entry["method"],
                model=entry.get("model"),
                settings=entry.get("settings"),
                seed=seed,
                level=job.params.level,
            )
            rows.append(
                {
                    "event": event,
                    "population": population,
                    "threshold": float(threshold),
                    "method": entry["label"],
                    "lists": "+".join(result.lists),
                    "n_observed": result.n_observed,
                    "n_hat": result.n_hat,
                    "ci_low": result.ci_low,
                    "ci_high": result.ci_high,
                    "ci_level": result.ci_level,
                    "warnings": " | ".join(result.warnings),
                }
            )
            log.info(
                "threshold %g, %s: %d persons documented, estimate %s",
                threshold,
                entry["label"],
                result.n_observed,
                f"{result.n_hat:.1f}",
            )
    tabular.write_csv(
        pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS),
        job.output.sensitivity,
        index=False,
        lineterminator="\n",
        float_format="%.6g",
    )


if "snakemake" in globals():
    # long computations report their progress next to the log, for the terminal's progress view
    with job_progress(snakemake.log[0]):
        main(snakemake)
