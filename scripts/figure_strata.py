"""Rule figure_strata: documented, official and estimated per stratum of one scheme."""

import json
from pathlib import Path

import pandas as pd

from undercount.figures import save_figure
from undercount.figures.comparison import strata_data, strata_figure
from undercount.logs import script_logger
from undercount.results import headline_rows


def main(
    *,
    estimates: str,
    strata: str,
    png: str,
    log: str,
    event: str,
    population: str,
    scheme: str,
    official: str | None,
    title: str,
    level: float,
    synthetic: bool,
) -> None:
    """``strata`` is the stratify checkpoint's folder: one sub-folder per stratum, named by it."""
    logger = script_logger(log, "figure_strata")
    frame = headline_rows(pd.read_csv(estimates))  # linkage-averaged rows where linkage.draws is set
    meta = {}
    for folder in sorted(p for p in Path(strata).iterdir() if p.is_dir()):
        with open(folder / "histories.json", encoding="utf-8") as fh:
            meta[folder.name] = json.load(fh)
    data = strata_data(frame, meta, official, event, population, scheme)
    plot, data = strata_figure(data, title, level, synthetic)
    save_figure(plot, data, png, width=8, height=5)
    logger.info("%d strata", data["stratum"].nunique())


if "snakemake" in globals():
    main(
        estimates=snakemake.input.estimates,
        strata=snakemake.input.strata,
        png=snakemake.output.png,
        log=snakemake.log[0],
        event=snakemake.wildcards.event,
        population=snakemake.wildcards.population,
        scheme=snakemake.wildcards.scheme,
        official=snakemake.params.official,
        title=str(snakemake.params.title),
        level=snakemake.params.level,
        synthetic=snakemake.params.synthetic,
    )
