"""Rule figure_reported_tolls: reported death tolls over time (real, cited figures)."""

import pandas as pd

from undercount.figures import save_figure
from undercount.figures.reported import events_without_tolls, reported_tolls_figure
from undercount.logs import script_logger

log = script_logger(snakemake.log[0], "figure_reported_tolls")
reported = pd.read_csv(snakemake.input.reported, dtype={"value": float})
events = {e: tuple(v) for e, v in snakemake.params.events.items()}
plot, data = reported_tolls_figure(reported, events)
save_figure(plot, data, snakemake.output.png, width=8, height=7)
log.info("%d reported figures drawn", len(data))
for event in events_without_tolls(data, events):
    log.warning(
        "event %s has no reported death tolls in %s: it is left out of the figure",
        event,
        snakemake.input.reported,
    )
