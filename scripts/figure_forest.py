"""Rule figure_forest: every method on every table of one population."""

import math
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
    panels = max(1, data["panel"].nunique())
    ncol = 1 if panels < 3 else 2
    methods = max(1, data["method"].nunique())
    height = 2.2 + math.ceil(panels / ncol) * (0.8 + 0.3 * methods)
    save_figure(plot, data, png, width=10 if ncol == 2 else 8, height=height)
    logger.info("%d estimates drawn in %d panels", len(data), panels)


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
