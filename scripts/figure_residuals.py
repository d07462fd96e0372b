"""Rule figure_residuals: Pearson residuals of one log-linear method, one figure per estimable table.

A table the method could not estimate gets no image (never a placeholder): its
row of ``index.tsv`` in the directory says why, and the report's first page lists
it under "Not estimable, and why".
"""

from collections.abc import Mapping, Sequence
from pathlib import Path

from undercount.config import population_label
from undercount.figures import save_figure
from undercount.figures.common import NothingToDraw, write_index
from undercount.figures.residuals import residuals_or_reason
from undercount.logs import script_logger
from undercount.results import read_result


def main(
    *,
    estimates: Sequence[str],
    directory: str,
    tables: Sequence[str],
    label: str,
    event_labels: Mapping[str, str],
    source_labels: Mapping[str, Mapping[str, str]],
    synthetic: Mapping[str, bool],
    log: str,
) -> None:
    logger = script_logger(log, "figure_residuals")
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    index = []
    for path, table in zip(estimates, tables, strict=True):
        result = read_result(path)
        event, population = table.split("/")
        name = f"{event}_{population}"
        title = f"{event_labels[event]}, {population_label(population).lower()}: fit of {label}"
        try:
            plot, data = residuals_or_reason(
                result, synthetic=synthetic[table], title=title, labels=source_labels[event]
            )
        except NothingToDraw as none:
            index.append({"table": name, "figure": "residuals", "file": "", "reason": none.reason})
            logger.info("%s: no figure (%s)", table, none.reason)
            continue
        save_figure(plot, data, out / f"{name}.png", width=8, height=4.5)
        index.append({"table": name, "figure": "residuals", "file": f"{name}.png", "reason": ""})
        logger.info("%s: %d cells", table, len(data))
    write_index(index, out)


if "snakemake" in globals():
    main(
        estimates=snakemake.input.estimates,
        directory=snakemake.output.figures,
        tables=snakemake.params.tables,
        label=snakemake.wildcards.label,
        event_labels=snakemake.params.event_labels,
        source_labels=snakemake.params.source_labels,
        synthetic=snakemake.params.synthetic,
        log=snakemake.log[0],
    )
