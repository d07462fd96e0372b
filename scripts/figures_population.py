"""Rule figures_population: the two figures of one population's estimates, in one process.

``forest_{population}.png``: every method on every table of the population;
``{population}_documented_vs_estimated.png``: per event, source counts, their union
and the estimates. One job draws both: a figure job's start-up (Python, pandas,
matplotlib, plotnine) costs more than its drawing (README, "Figure jobs").
"""

import math
from collections.abc import Mapping, Sequence

import pandas as pd

from undercount.figures import save_figure
from undercount.figures.common import table_summaries
from undercount.figures.comparison import forest_figure
from undercount.figures.estimates import documented_vs_estimated_data, documented_vs_estimated_figure
from undercount.logs import script_logger
from undercount.results import headline_rows


def forest(
    *,
    estimates: str,
    png: str,
    population: str,
    event_labels: Mapping[str, str],
    level: float,
    synthetic: bool,
    logger,
) -> None:
    frame = pd.read_csv(estimates)
    plot, data = forest_figure(frame, population, event_labels, level, synthetic)
    panels = max(1, data["panel"].nunique())
    ncol = 1 if panels < 3 else 2
    methods = max(1, data["method"].nunique())
    height = 2.2 + math.ceil(panels / ncol) * (0.8 + 0.3 * methods)
    save_figure(plot, data, png, width=10 if ncol == 2 else 8, height=height)
    logger.info("forest: %d estimates drawn in %d panels", len(data), panels)


def documented_vs_estimated(
    *,
    estimates: str,
    histories: Sequence[str],
    events: Sequence[str],
    png: str,
    population: str,
    stratum: str,
    event_labels: Mapping[str, str],
    source_labels: Mapping[str, Mapping[str, str]],
    level: float,
    synthetic: bool,
    logger,
) -> None:
    """``events[i]`` is the event of the table summary ``histories[i]``."""
    frame = headline_rows(
        pd.read_csv(estimates, keep_default_na=True)
    )  # linkage-averaged rows where linkage.draws is set
    frame = frame[(frame["population"] == population) & (frame["stratum"] == stratum)]
    frame["warnings"] = frame["warnings"].fillna("")
    summaries = table_summaries(events, histories)
    data = documented_vs_estimated_data(frame, summaries, event_labels, source_labels)
    plot, data = documented_vs_estimated_figure(data, population, level, synthetic)
    save_figure(plot, data, png, width=8, height=2.2 + 0.35 * len(data))
    logger.info("documented vs estimated: %d rows drawn for %s", len(data), population)


def main(
    *,
    estimates: str,
    histories: Sequence[str],
    events: Sequence[str],
    forest_png: str,
    documented_png: str,
    log: str,
    population: str,
    stratum: str,
    event_labels: Mapping[str, str],
    source_labels: Mapping[str, Mapping[str, str]],
    level: float,
    synthetic: bool,
) -> None:
    logger = script_logger(log, "figures_population")
    forest(
        estimates=estimates,
        png=forest_png,
        population=population,
        event_labels=event_labels,
        level=level,
        synthetic=synthetic,
        logger=logger,
    )
    documented_vs_estimated(
        estimates=estimates,
        histories=histories,
        events=events,
        png=documented_png,
        population=population,
        stratum=stratum,
        event_labels=event_labels,
        source_labels=source_labels,
        level=level,
        synthetic=synthetic,
        logger=logger,
    )


if "snakemake" in globals():
    main(
        estimates=snakemake.input.estimates,
        histories=snakemake.input.histories,
        events=snakemake.params.events,
        forest_png=snakemake.output.forest,
        documented_png=snakemake.output.documented,
        log=snakemake.log[0],
        population=snakemake.wildcards.population,
        stratum=snakemake.params.stratum,
        event_labels=snakemake.params.event_labels,
        source_labels=snakemake.params.source_labels,
        level=snakemake.params.level,
        synthetic=snakemake.params.synthetic,
    )
