"""Rule figure_residuals: Pearson residuals of one log-linear method, one figure per table."""

import json

from undercount.figures import save_figure
from undercount.figures.residuals import residuals_or_reason
from undercount.logs import script_logger

log = script_logger(snakemake.log[0], "figure_residuals")
for path, table, png in zip(snakemake.input, snakemake.params.tables, snakemake.output.png):
    with open(path, encoding="utf-8") as fh:
        result = json.load(fh)
    event, population = table.split("/")
    title = f"{snakemake.params.event_labels[event]}, {population}: fit of {snakemake.wildcards.label}"
    plot, data = residuals_or_reason(
        result,
        synthetic=snakemake.params.synthetic[table],
        title=title,
        labels=snakemake.params.source_labels[event],
    )
    save_figure(plot, data, png, width=8, height=4.5)
    log.info("%s: %d cells", table, len(data))
