"""Rule figure_linkage_draws: one table's estimates under every plausible linkage, and the pooled one."""

from collections.abc import Sequence

import pandas as pd

from undercount.figures import save_figure
from undercount.figures.draws import linkage_draws_data, linkage_draws_figure
from undercount.logs import script_logger
from undercount.results import read_result


def main(
    *,
    single: Sequence[str],
    averaged: Sequence[str],
    per_draw: Sequence[str],
    labels: Sequence[str],
    png: str,
    log: str,
    title: str,
    level: float,
    synthetic: bool,
) -> pd.DataFrame:
    """``single[i]``, ``averaged[i]`` and ``per_draw[i]`` are method ``labels[i]``'s files."""
    logger = script_logger(log, "figure_linkage_draws")
    data = linkage_draws_data(
        {k: read_result(p) for k, p in zip(labels, single, strict=True)},
        {k: read_result(p) for k, p in zip(labels, averaged, strict=True)},
        {
            k: pd.read_csv(p, keep_default_na=False, na_values=[""])
            for k, p in zip(labels, per_draw, strict=True)
        },
        labels,
        level,
    )
    plot, data = linkage_draws_figure(data, title=title, level=level, synthetic=synthetic)
    panels = max(1, len(labels))
    save_figure(plot, data, png, width=9, height=2.5 + 2.4 * ((panels + 2) // 3))
    logger.info("%d methods, %d points drawn", panels, len(data))
    return data


if "snakemake" in globals():
    main(
        single=snakemake.input.single,
        averaged=snakemake.input.averaged,
        per_draw=snakemake.input.per_draw,
        labels=snakemake.params.labels,
        png=snakemake.output.png,
        log=snakemake.log[0],
        title=snakemake.params.title,
        level=snakemake.params.level,
        synthetic=snakemake.params.synthetic,
    )
