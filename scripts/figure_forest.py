"""Rule figure_forest: every method on every table of one population."""

import pandas as pd

from undercount.figures import save_figure
from undercount.figures.comparison import forest_figure
from undercount.logs import script_logger

log = script_logger(snakemake.log[0], "figure_forest")
estimates = pd.read_csv(snakemake.input.estimates)
plot, data = forest_figure(
    estimates,
    snakemake.wildcards.population,
    snakemake.params.event_labels,
    snakemake.params.level,
    snakemake.params.synthetic,
)
height = (
    2.5
    + 0.32 * max(1, data.groupby("event")["table"].nunique().sum()) * max(1, data["method"].nunique()) ** 0.5
)
save_figure(plot, data, snakemake.output.png, width=9, height=height)
log.info("%d estimates drawn", len(data))
