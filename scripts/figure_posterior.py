"""Rule figure_lcmcr / figure_dga: the per-table figures of one Bayesian method.

LCMCR: trace and density; dga: the posterior with its graphs. Which figures a
method gets is the registry's answer (``Method.posterior_figures``), passed
as a param. A table the method could not estimate gets no image (never a
placeholder): its row of ``index.tsv`` says why, and the report's first page
lists it under "Not estimable, and why".
"""

from collections.abc import Mapping, Sequence
from pathlib import Path

from undercount.config import population_label
from undercount.figures import save_figure
from undercount.figures.common import NothingToDraw, write_index
from undercount.figures.posterior import posterior_figure
from undercount.logs import script_logger
from undercount.results import read_result


def main(
    *,
    estimates: Sequence[str],
    directory: str,
    tables: Sequence[str],
    figures: Sequence[str],
    label: str,
    event_labels: Mapping[str, str],
    synthetic: Mapping[str, bool],
    log: str,
) -> None:
    """Into ``directory``: ``{event}_{population}_{figure}.png`` (or ``{event}_{population}.png`` for a
    method with one figure) per estimable table and name in ``figures``, and ``index.tsv``."""
    logger = script_logger(log, "figure_posterior")
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    index = []
    for path, table in zip(estimates, tables, strict=True):
        result = read_result(path)
        event, population = table.split("/")
        for figure in figures:
            name = f"{event}_{population}" + (f"_{figure}" if len(figures) > 1 else "")
            title = f"{event_labels[event]}, {population_label(population).lower()}: {label} ({figure})"
            try:
                plot, data = posterior_figure(result, figure, title=title, synthetic=synthetic[table])
            except NothingToDraw as none:
                index.append(
                    {"table": f"{event}_{population}", "figure": figure, "file": "", "reason": none.reason}
                )
                logger.info("%s %s: no figure (%s)", table, figure, none.reason)
                continue
            save_figure(plot, data, out / f"{name}.png", width=8, height=5.5)
            index.append(
                {"table": f"{event}_{population}", "figure": figure, "file": f"{name}.png", "reason": ""}
            )
            logger.info("%s %s: %d rows of figure data", table, figure, len(data))
    write_index(index, out)


if "snakemake" in globals():
    main(
        estimates=snakemake.input.estimates,
        directory=snakemake.output.figures,
        tables=snakemake.params.tables,
        figures=snakemake.params.figures,
        label=snakemake.wildcards.label,
        event_labels=snakemake.params.event_labels,
        synthetic=snakemake.params.synthetic,
        log=snakemake.log[0],
    )
