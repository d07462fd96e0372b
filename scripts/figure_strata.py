"""Rule figure_strata: documented, official and estimated per stratum of one scheme."""

import json
from pathlib import Path

import pandas as pd

from undercount.figures import save_figure
from undercount.figures.comparison import strata_data, strata_figure
from undercount.logs import script_logger

log = script_logger(snakemake.log[0], "figure_strata")
estimates = pd.read_csv(snakemake.input.estimates)
meta = {}
for folder in sorted(p for p in Path(snakemake.input.strata).iterdir() if p.is_dir()):
    with open(folder / "histories.json", encoding="utf-8") as fh:
        meta[folder.name] = json.load(fh)
w = snakemake.wildcards
data = strata_data(estimates, meta, snakemake.params.official, w.event, w.population, w.scheme)
plot, data = strata_figure(data, snakemake.params.title, snakemake.params.level, snakemake.params.synthetic)
save_figure(plot, data, snakemake.output.png, width=8, height=5)
log.info("%d strata", data["stratum"].nunique())
