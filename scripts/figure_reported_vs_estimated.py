"""Rule figure_reported_vs_estimated: reported death tolls over time beside the estimate."""

import pandas as pd

from undercount.figures import save_figure
from undercount.figures.comparison import reported_vs_estimated_figure
from undercount.logs import script_logger

log = script_logger(snakemake.log[0], "figure_reported_vs_estimated")
reported = pd.read_csv(snakemake.input.reported, dtype={"value": float})
estimates = pd.read_csv(snakemake.input.estimates)
events = {e: tuple(v) for e, v in snakemake.params.events.items()}
plot, data = reported_vs_estimated_figure(
    reported, estimates, events, snakemake.params.method, snakemake.params.level, snakemake.params.synthetic
)
save_figure(plot, data, snakemake.output.png, width=8, height=7.5)
log.info("%d rows drawn", len(data))
