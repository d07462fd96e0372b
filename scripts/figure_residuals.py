"""Rule figure_residuals: Pearson residuals of one log-linear method, one figure per table."""

from collections.abc import Mapping, Sequence

from undercount.figures import save_figure
from undercount.figures.residuals import residuals_or_reason
from undercount.logs import script_logger
from undercount.results import read_result


def main(
    *,
    estimates: Sequence[str],
    pngs: Sequence[str],
    tables: Sequence[str],
    label: str,
    event_labels: Mapping[str, str],
    source_labels: Mapping[str, Mapping[str, str]],
    synthetic: Mapping[str, bool],
    log: str,
) -> None:
    logger = script_logger(log, "figure_residuals")
    for path, table, png in zip(estimates, tables, pngs, strict=True):
        result = read_result(path)
        event, population = table.split("/")
        title = f"{event_labels[event]}, {population}: fit of {label}"
        plot, data = residuals_or_reason(
            result, synthetic=synthetic[table], title=title, labels=source_labels[event]
        )
        save_figure(plot, data, png, width=8, height=4.5)
        logger.info("%s: %d cells", table, len(data))


if "snakemake" in globals():
    main(
        estimates=snakemake.input.estimates,
        pngs=snakemake.output.png,
        tables=snakemake.params.tables,
        label=snakemake.wildcards.label,
        event_labels=snakemake.params.event_labels,
        source_labels=snakemake.params.source_labels,
        synthetic=snakemake.params.synthetic,
        log=snakemake.log[0],
    )
