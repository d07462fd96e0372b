"""Rule figure_reported_tolls: reported death tolls over time (real, cited figures)."""

from collections.abc import Mapping, Sequence

import pandas as pd

from undercount.figures import save_figure
from undercount.figures.reported import events_without_tolls, reported_tolls_figure
from undercount.logs import script_logger


def main(*, reported: str, png: str, log: str, events: Mapping[str, Sequence[str]]) -> None:
    """``events`` maps each event to its label and start date."""
    logger = script_logger(log, "figure_reported_tolls")
    frame = pd.read_csv(reported, dtype={"value": float})
    events = {e: tuple(v) for e, v in events.items()}
    plot, data = reported_tolls_figure(frame, events)
    save_figure(plot, data, png, width=8, height=7)
    logger.info("%d reported figures drawn", len(data))
    for event in events_without_tolls(data, events):
        logger.warning(
            "event %s has no reported death tolls in %s: it is left out of the figure", event, reported
        )


if "snakemake" in globals():
    main(
        reported=snakemake.input.reported,
        png=snakemake.output.png,
        log=snakemake.log[0],
        events=snakemake.params.events,
    )
