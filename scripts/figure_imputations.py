"""Rule figure_imputations: the estimates of every imputation next to the pooled ones, per method."""

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from undercount.figures import save_figure
from undercount.figures.imputation import imputation_data, imputation_figure
from undercount.logs import script_logger
from undercount.results import read_result


def main(
    *,
    tables: Sequence[str],
    labels: Sequence[str],
    strata: Sequence[str],
    png: str,
    log: str,
    title: str,
    level: float,
    synthetic: bool,
) -> None:
    """``tables[i]`` is the per-imputation table of method ``labels[i]`` (beside its total's result)."""
    logger = script_logger(log, "figure_imputations")
    per, pooled = {}, {}
    for label, path in zip(labels, tables, strict=True):
        per[label] = pd.read_csv(path, sep="\t")
        base = Path(path).parent.parent
        pooled[label] = {s: read_result(base / "estimates" / s / f"{label}.json") for s in strata}
        pooled[label]["total"] = read_result(Path(path).with_name(f"{label}.json"))
    data = imputation_data(per, pooled)
    m = int(data["imputation"].max())
    plot, data = imputation_figure(data, title, level, m, synthetic)
    save_figure(plot, data, png, width=9, height=2.5 + 0.35 * len(strata))
    logger.info("%d strata, %d methods, %d imputations", len(strata), len(labels), m)


if "snakemake" in globals():
    main(
        tables=snakemake.input.tables,
        labels=snakemake.params.labels,
        strata=snakemake.params.strata,
        png=snakemake.output.png,
        log=snakemake.log[0],
        title=snakemake.params.title,
        level=snakemake.params.level,
        synthetic=snakemake.params.synthetic,
    )
