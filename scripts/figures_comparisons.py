"""Rule figures_comparisons: the estimates against the official list and the reported tolls, in one process.

``official_coverage.png``: the share of the estimated death toll on the official list;
``reported_vs_estimated.png``: reported death tolls over time beside the estimate. Each
output is there only when the config has what it draws (workflow/rules/figures.smk);
one job draws both (README, "Figure jobs").
"""

from collections.abc import Mapping, Sequence

import pandas as pd

from undercount.figures import save_figure
from undercount.figures.common import table_summaries
from undercount.figures.comparison import coverage_data, coverage_figure, reported_vs_estimated_figure
from undercount.logs import script_logger
from undercount.results import headline_rows


def official_coverage(
    *,
    estimates: str,
    histories: Sequence[str],
    events: Sequence[str],
    png: str,
    official: Mapping[str, str],
    event_labels: Mapping[str, str],
    level: float,
    synthetic: bool,
    logger,
) -> None:
    """``events[i]`` is the event of the deaths table summary ``histories[i]``."""
    frame = headline_rows(pd.read_csv(estimates))  # linkage-averaged rows where linkage.draws is set
    summaries = table_summaries(events, histories)
    data = coverage_data(frame, summaries, official, event_labels)
    plot, data = coverage_figure(data, level, synthetic)
    save_figure(plot, data, png, width=8, height=4.5)
    logger.info("official coverage: %d shares drawn", len(data))


def reported_vs_estimated(
    *,
    reported: str,
    estimates: str,
    png: str,
    events: Mapping[str, Sequence[str]],
    method: str,
    level: float,
    synthetic: bool,
    logger,
) -> None:
    tolls = pd.read_csv(reported, dtype={"value": float})
    frame = headline_rows(pd.read_csv(estimates))  # linkage-averaged rows where linkage.draws is set
    plot, data = reported_vs_estimated_figure(
        tolls, frame, {e: tuple(v) for e, v in events.items()}, method, level, synthetic
    )
    save_figure(plot, data, png, width=8, height=7.5)
    logger.info("reported vs estimated: %d rows drawn", len(data))


def main(
    *,
    estimates: str,
    reported: str | None,
    histories: Sequence[str],
    log: str,
    coverage_png: str | None,
    reported_png: str | None,
    deaths_events: Sequence[str],
    official: Mapping[str, str],
    events: Mapping[str, Sequence[str]],
    event_labels: Mapping[str, str],
    method: str,
    level: float,
    synthetic: bool,
) -> None:
    """A figure whose png is None is not drawn (the config has nothing for it)."""
    logger = script_logger(log, "figures_comparisons")
    if coverage_png is not None:
        official_coverage(
            estimates=estimates,
            histories=histories,
            events=deaths_events,
            png=coverage_png,
            official=official,
            event_labels=event_labels,
            level=level,
            synthetic=synthetic,
            logger=logger,
        )
    if reported_png is not None:
        if reported is None:
            raise ValueError("reported_vs_estimated.png needs the reported figures")
        reported_vs_estimated(
            reported=reported,
            estimates=estimates,
            png=reported_png,
            events=events,
            method=method,
            level=level,
            synthetic=synthetic,
            logger=logger,
        )


if "snakemake" in globals():
    main(
        estimates=snakemake.input.estimates,
        reported=getattr(snakemake.input, "reported", None) or None,
        histories=snakemake.input.histories,
        log=snakemake.log[0],
        coverage_png=getattr(snakemake.output, "coverage", None),
        reported_png=getattr(snakemake.output, "reported", None),
        deaths_events=snakemake.params.deaths_events,
        official=snakemake.params.official,
        events=snakemake.params.events,
        event_labels=snakemake.params.event_labels,
        method=snakemake.params.method,
        level=snakemake.params.level,
        synthetic=snakemake.params.synthetic,
    )
