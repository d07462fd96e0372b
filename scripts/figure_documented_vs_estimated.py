"""Rule figure_documented_vs_estimated: source counts, union and estimates per event."""

import json
from pathlib import Path

import pandas as pd

from undercount.figures import save_figure
from undercount.figures.estimates import documented_vs_estimated_data, documented_vs_estimated_figure
from undercount.logs import script_logger

log = script_logger(snakemake.log[0], "figure_documented_vs_estimated")
population = snakemake.wildcards.population
estimates = pd.read_csv(snakemake.input.estimates, keep_default_na=True)
estimates = estimates[
    (estimates["population"] == population) & (estimates["stratum"] == snakemake.params.stratum)
]
estimates["warnings"] = estimates["warnings"].fillna("")
histories = {}
for path in snakemake.input.histories:
    with open(path, encoding="utf-8") as fh:
        histories[Path(path).parts[-3]] = json.load(fh)
data = documented_vs_estimated_data(
    estimates, histories, snakemake.params.event_labels, snakemake.params.source_labels
)
plot, data = documented_vs_estimated_figure(
    data, population, snakemake.params.level, snakemake.params.synthetic
)
save_figure(plot, data, snakemake.output.png, width=8, height=2.2 + 0.35 * len(data))
log.info("%d rows drawn for %s", len(data), population)
