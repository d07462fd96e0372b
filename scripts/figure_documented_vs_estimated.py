"""Rule figure_documented_vs_estimated: source counts, union and estimates per event."""

import json
from collections.abc import Mapping, Sequence

import pandas as pd

from undercount.figures import save_figure
from undercount.figures.estimates import documented_vs_estimated_data, documented_vs_estimated_figure
from undercount.logs import script_logger
from undercount.results import headline_rows


def main(
    *,
    estimates: str,
    histories: Sequence[str],
    events: Sequence[str],
    png: str,
    log: str,
    population: str,
    stratum: str,
    event_labels: Mapping[str, str],
    source_labels: Mapping[str, Mapping[str, str]],
    level: float,
    synthetic: bool,
) -> None:
    """``events[i]`` is the event of the table summary ``histories[i]``."""
    logger = script_logger(log, "figure_documented_vs_estimated")
    frame = headline_rows(
        pd.read_csv(estimates, keep_default_na=True)
    )  # linkage-averaged rows where linkage.draws is set
    frame = frame[(frame["population"] == population) & (frame["stratum"] == stratum)]
    frame["warnings"] = frame["warnings"].fillna("")
    summaries = {}
    for event, path in zip(events, histories, strict=True):
        with open(path, encoding="utf-8") as fh:
            summaries[event] = json.load(fh)
    data = documented_vs_estimated_data(frame, summaries, event_labels, source_labels)
    plot, data = documented_vs_estimated_figure(data, population, level, synthetic)
    save_figure(plot, data, png, width=8, height=2.2 + 0.35 * len(data))
    logger.info("%d rows drawn for %s", len(data), population)


if "snakemake" in globals():
    main(
        estimates=snakemake.input.estimates,
        histories=snakemake.input.histories,
        events=snakemake.params.events,
        png=snakemake.output.png,
        log=snakemake.log[0],
        population=snakemake.wildcards.population,
        stratum=snakemake.params.stratum,
        event_labels=snakemake.params.event_labels,
        source_labels=snakemake.params.source_labels,
        level=snakemake.params.level,
        synthetic=snakemake.params.synthetic,
    )
