"""Rule gather_estimates: every estimate JSON -> results/estimates.csv."""

import json
from pathlib import Path

from undercount.logs import script_logger
from undercount.results import estimate_row, estimates_frame, write_estimates

log = script_logger(snakemake.log[0], "gather_estimates")
rows = []
for path in snakemake.input:
    parts = Path(path).parts  # results/{event}/{population}/estimates/{label}.json
    event, population, label = parts[-4], parts[-3], Path(path).stem
    with open(path, encoding="utf-8") as fh:
        rows.append(estimate_row(event, population, snakemake.params.stratum, label, json.load(fh)))
frame = estimates_frame(rows)
write_estimates(frame, snakemake.output[0])
log.info("%d estimates, %d not estimable, %d with warnings", len(frame), int(frame["n_hat"].isna().sum()),
         int((frame["warnings"] != "").sum()))
