"""Rule figure_covariates: a covariate model's estimate -> which people each list misses, and the model weights."""

from undercount.figures import save_figure
from undercount.figures.covariates import catchability_figure
from undercount.logs import script_logger
from undercount.results import read_result


def main(*, estimate: str, png: str, log: str, title: str, synthetic: bool) -> None:
    logger = script_logger(log, "figure_covariates")
    result = read_result(estimate)
    plot, data = catchability_figure(result, title=title, synthetic=synthetic)
    save_figure(plot, data, png, width=9, height=9)
    logger.info("%d rows drawn", len(data))


if "snakemake" in globals():
    main(
        estimate=snakemake.input.estimate,
        png=snakemake.output.png,
        log=snakemake.log[0],
        title=str(snakemake.params.title),
        synthetic=bool(snakemake.params.synthetic),
    )
