"""Rule gather_estimates: every estimate JSON -> results/estimates.csv."""

import json
from pathlib import Path

from undercount.logs import script_logger
from undercount.results import estimate_row, estimates_frame, write_estimates

log = script_logger(snakemake.log[0], "gather_estimates")


def identify(path: Path) -> tuple[str, str, str]:
    """(event, population, stratum) from an estimate's path."""
    parts = path.parts[path.parts.index("results") + 1 :]
    event, population = parts[0], parts[1]
    if parts[2] == "estimates":  # results/e/p/estimates/label.json
        return event, population, snakemake.params.stratum
    scheme = parts[3]  # results/e/p/strata/scheme/{estimates/stratum|total}/label.json
    return event, population, f"{scheme}:{parts[5]}" if parts[4] == "estimates" else f"{scheme}:total"


rows = []
for path in map(Path, snakemake.input):
    event, population, stratum = identify(path)
    with open(path, encoding="utf-8") as fh:
        synthetic = snakemake.params.synthetic[f"{event}/{population}"]
        rows.append(estimate_row(event, population, stratum, path.stem, json.load(fh), synthetic))
frame = estimates_frame(rows)
write_estimates(frame, snakemake.output[0])
log.info(
    "%d estimates, %d not estimable, %d with warnings",
    len(frame),
    int(frame["n_hat"].isna().sum()),
    int((frame["warnings"] != "").sum()),
)
