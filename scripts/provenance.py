"""Rule provenance: digests of every input and the config, code version, package versions, seeds."""

from pathlib import Path

import pandas as pd

import undercount
from undercount.config import job_seed
from undercount.logs import script_logger
from undercount.provenance import provenance_rows

log = script_logger(snakemake.log[0], "provenance")
config = snakemake.params.config
inputs = dict(zip(snakemake.params.source_ids, snakemake.input.sources))
if snakemake.input.reported:  # no file when the config says reported_figures: null
    inputs["reported figures"] = snakemake.input.reported
estimates = pd.read_csv(snakemake.input.estimates)
seeds = {
    f"job seed {e}/{p}/{s}/{m}": job_seed(config, e, p, s, m)
    for e, p, s, m in estimates[["event", "population", "stratum", "method"]].itertuples(index=False)
}
rows = provenance_rows(
    inputs, snakemake.params.config_files, Path(undercount.__file__).parent, seeds, config["seed"]
)
frame = pd.DataFrame(rows, columns=["kind", "name", "value"])
frame.to_csv(snakemake.output[0], sep="\t", index=False, lineterminator="\n")
log.info("%d provenance rows", len(frame))
