"""Rule provenance: digests of every input and the config, code version, package versions, seeds.

The seeds are those the workflow gave its jobs (a param, computed once in
common.smk); paths are relative to the project.
"""

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

import undercount
from undercount.logs import script_logger
from undercount.provenance import provenance_rows


def main(
    *,
    sources: Sequence[str],
    source_ids: Sequence[str],
    reported: str | None,
    config_files: Sequence[str],
    seeds: Mapping[str, int],
    master_seed: int,
    output: str,
    log: str,
    project: str = ".",
) -> pd.DataFrame:
    logger = script_logger(log, "provenance")
    inputs = dict(zip(source_ids, sources, strict=True))
    if reported:  # no file when the config says reported_figures: null
        inputs["reported figures"] = reported
    job_seeds = {f"job seed {job}": seed for job, seed in seeds.items()}
    rows = provenance_rows(
        inputs, config_files, Path(undercount.__file__).parent, job_seeds, master_seed, project=project
    )
    frame = pd.DataFrame(rows, columns=["kind", "name", "value"])
    frame.to_csv(output, sep="\t", index=False, lineterminator="\n")
    logger.info("%d provenance rows", len(frame))
    return frame


if "snakemake" in globals():
    main(
        sources=snakemake.input.sources,
        source_ids=snakemake.params.source_ids,
        reported=snakemake.input.reported or None,
        config_files=snakemake.params.config_files,
        seeds=snakemake.params.seeds,
        master_seed=snakemake.params.master_seed,
        output=snakemake.output[0],
        log=snakemake.log[0],
        project=os.getcwd(),
    )
