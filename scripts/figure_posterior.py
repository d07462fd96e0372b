"""Rule figure_lcmcr / figure_dga: the per-table figures of one Bayesian method.

LCMCR: trace and density; dga: the posterior with its graphs. Which figures a
method gets is the registry's answer (``Method.posterior_figures``), passed
as a param.
"""

from collections.abc import Mapping, Sequence

from undercount.figures import save_figure
from undercount.figures.posterior import posterior_figure
from undercount.logs import script_logger
from undercount.results import read_result


def main(
    *,
    estimates: Sequence[str],
    pngs: Sequence[str],
    tables: Sequence[str],
    figures: Sequence[str],
    label: str,
    event_labels: Mapping[str, str],
    synthetic: Mapping[str, bool],
    log: str,
) -> None:
    """One figure per table and name in ``figures``; ``pngs`` in that order (table, then figure)."""
    logger = script_logger(log, "figure_posterior")
    out = iter(pngs)
    for path, table in zip(estimates, tables, strict=True):
        result = read_result(path)
        event, population = table.split("/")
        for figure in figures:
            title = f"{event_labels[event]}, {population}: {label} ({figure})"
            plot, data = posterior_figure(result, figure, title=title, synthetic=synthetic[table])
            save_figure(plot, data, next(out), width=8, height=5.5)
            logger.info("%s %s: %d rows of figure data", table, figure, len(data))


if "snakemake" in globals():
    main(
        estimates=snakemake.input.estimates,
        pngs=snakemake.output.png,
        tables=snakemake.params.tables,
        figures=snakemake.params.figures,
        label=snakemake.wildcards.label,
        event_labels=snakemake.params.event_labels,
        synthetic=snakemake.params.synthetic,
        log=snakemake.log[0],
    )
