"""Rule figure_forest: every method on every table of one population."""

from collections.abc import Mapping

import pandas as pd

from undercount.figures import save_figure
from undercount.figures.comparison import forest_figure
from undercount.logs import script_logger


def main(
    *,
    estimates: str,
    png: str,
    log: str,
    population: str,
    event_labels: Mapping[str, str],
    level: float,
    synthetic: bool,
) -> None:
    logger = script_logger(log, "figure_forest")
    frame = pd.read_csv(estimates)
    plot, data = forest_figure(frame, population, event_labels, level, synthetic)
    tables = max(1, data.groupby("event")["table"].nunique().sum())
    height = 2.5 + 0.32 * tables * max(1, data["method"].nunique()) ** 0.5
    save_figure(plot, data, png, width=9, height=height)
    logger.info("%d estimates drawn", len(data))


if "snakemake" in globals():
    main(
        estimates=snakemake.input.estimates,
        png=snakemake.output.png,
        log=snakemake.log[0],
        population=snakemake.wildcards.population,
        event_labels=snakemake.params.event_labels,
        level=snakemake.params.level,
        synthetic=snakemake.params.synthetic,
    )
