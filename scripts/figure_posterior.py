"""Rule figure_posterior: the per-table figures of one Bayesian method (LCMCR trace and density, dga posterior)."""

import json

from undercount.figures import save_figure
from undercount.figures.posterior import posterior_figure
from undercount.logs import script_logger
from undercount.results import read_draws

log = script_logger(snakemake.log[0], "figure_posterior")
figures = snakemake.params.figures
pngs = iter(snakemake.output.png)
for estimate, draws_path, table in zip(
    snakemake.input.estimates, snakemake.input.draws, snakemake.params.tables
):
    with open(estimate, encoding="utf-8") as fh:
        result = json.load(fh)
    draws = read_draws(draws_path)
    event, population = table.split("/")
    for figure in figures:
        title = (
            f"{snakemake.params.event_labels[event]}, {population}: {snakemake.wildcards.label} ({figure})"
        )
        plot, data = posterior_figure(
            result, draws, figure, title=title, synthetic=snakemake.params.synthetic[table]
        )
        save_figure(plot, data, next(pngs), width=8, height=5.5)
        log.info("%s %s: %d rows of figure data", table, figure, len(data))
