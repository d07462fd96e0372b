"""Rule figures_reported: the figures of the cited public numbers alone, in one process.

``reported_tolls.png``: reported death tolls over time; ``list_sizes_{event}.png``:
two-list estimates implied by the published list sizes (real numbers only). Each
output is there only when the reported figures have what it draws (workflow/rules/
figures.smk); one job draws them all (README, "Figure jobs").
"""

from collections.abc import Mapping, Sequence

import pandas as pd

from undercount.figures import save_figure
from undercount.figures.list_sizes import list_sizes_figure
from undercount.figures.reported import events_without_tolls, reported_tolls_figure
from undercount.logs import script_logger


def reported_tolls(*, reported: str, png: str, events: Mapping[str, Sequence[str]], logger) -> None:
    """``events`` maps each event to its label and start date."""
    frame = pd.read_csv(reported, dtype={"value": float})
    events = {e: tuple(v) for e, v in events.items()}
    plot, data = reported_tolls_figure(frame, events)
    save_figure(plot, data, png, width=8, height=7)
    logger.info("%d reported figures drawn", len(data))
    for event in events_without_tolls(data, events):
        logger.warning(
            "event %s has no reported death tolls in %s: it is left out of the figure", event, reported
        )


def list_sizes(*, reported: str, png: str, event: str, label: str, level: float, logger) -> None:
    plot, data = list_sizes_figure(pd.read_csv(reported), event, label, level)
    save_figure(plot, data, png, width=10, height=4.8)
    logger.info("list sizes of %s: %d pairs x overlaps", event, len(data))


def main(
    *,
    reported: str,
    log: str,
    tolls_png: str | None,
    events: Mapping[str, Sequence[str]],
    list_sizes_pngs: Mapping[str, str],
    list_labels: Mapping[str, str],
    level: float,
) -> None:
    """``tolls_png`` is None when no event has reported tolls; ``list_sizes_pngs`` maps each event
    with published list sizes to its figure, ``list_labels`` each event to its label."""
    logger = script_logger(log, "figures_reported")
    if tolls_png is not None:
        reported_tolls(reported=reported, png=tolls_png, events=events, logger=logger)
    for event, png in list_sizes_pngs.items():
        list_sizes(
            reported=reported, png=png, event=event, label=str(list_labels[event]), level=level, logger=logger
        )


if "snakemake" in globals():
    main(
        reported=snakemake.input.reported,
        log=snakemake.log[0],
        tolls_png=getattr(snakemake.output, "tolls", None),
        events=snakemake.params.events,
        list_sizes_pngs={
            e: getattr(snakemake.output, f"list_sizes_{e}") for e in snakemake.params.list_events
        },
        list_labels=snakemake.params.event_labels,
        level=snakemake.params.level,
    )
