"""Rule figure_covariates: a covariate model's estimate -> which people each list misses, and the model weights.

The figure goes into a directory of its own with ``index.tsv``; a model that
gave no estimate gets no image (never a placeholder), and the index says why.
"""

from pathlib import Path

from undercount.figures import save_figure
from undercount.figures.common import NothingToDraw, write_index
from undercount.figures.covariates import catchability_figure
from undercount.logs import script_logger
from undercount.results import read_result


def main(*, estimate: str, directory: str, name: str, log: str, title: str, synthetic: bool) -> None:
    logger = script_logger(log, "figure_covariates")
    result = read_result(estimate)
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    try:
        plot, data = catchability_figure(result, title=title, synthetic=synthetic)
    except NothingToDraw as none:
        write_index([{"table": name, "figure": "covariates", "file": "", "reason": none.reason}], out)
        logger.info("no figure (%s)", none.reason)
        return
    save_figure(plot, data, out / f"{name}.png", width=9, height=9)
    write_index([{"table": name, "figure": "covariates", "file": f"{name}.png", "reason": ""}], out)
    logger.info("%d rows drawn", len(data))


if "snakemake" in globals():
    main(
        estimate=snakemake.input.estimate,
        directory=snakemake.output.figure,
        name=f"{snakemake.wildcards.event}_{snakemake.wildcards.population}",
        log=snakemake.log[0],
        title=str(snakemake.params.title),
        synthetic=bool(snakemake.params.synthetic),
    )
