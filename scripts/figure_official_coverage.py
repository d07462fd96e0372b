"""Rule figure_official_coverage: share of the estimated death toll on the official list."""

import json
from pathlib import Path

import pandas as pd

from undercount.figures import save_figure
from undercount.figures.comparison import coverage_data, coverage_figure
from undercount.logs import script_logger

log = script_logger(snakemake.log[0], "figure_official_coverage")
estimates = pd.read_csv(snakemake.input.estimates)
histories = {}
for path in snakemake.input.histories:
    with open(path, encoding="utf-8") as fh:
        histories[Path(path).parts[-3]] = json.load(fh)
data = coverage_data(estimates, histories, snakemake.params.official, snakemake.params.event_labels)
plot, data = coverage_figure(data, snakemake.params.level, snakemake.params.synthetic)
save_figure(plot, data, snakemake.output.png, width=8, height=4.5)
log.info("%d shares drawn", len(data))
