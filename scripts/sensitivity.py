"""Rule sensitivity: one log-linear estimate -> the total as a function of the identifying assumption (CSV, figure)."""

from undercount import tabular
from undercount.estimators.sensitivity import COLUMNS, doubling_ratio, sensitivity_curve
from undercount.figures import save_figure
from undercount.figures.covariates import sensitivity_figure
from undercount.logs import script_logger
from undercount.results import read_result


def main(*, estimate: str, csv: str, png: str, log: str, title: str, synthetic: bool) -> None:
    import pandas as pd

    logger = script_logger(log, "sensitivity")
    result = read_result(estimate)
    if result.estimable:
        curve = sensitivity_curve(result)
        logger.info(
            "%s: N(xi) over xi in [%.3f, %.3f]; the total doubles if the undocumented are %.2f times the model's",
            result.method,
            curve["xi"].min(),
            curve["xi"].max(),
            doubling_ratio(result),
        )
    else:
        curve = pd.DataFrame(columns=COLUMNS)
        logger.warning("%s: no estimate, no sensitivity curve", result.method)
    tabular.write_csv(curve, csv, index=False, lineterminator="\n")
    plot, data = sensitivity_figure(curve, result, title=title, synthetic=synthetic)
    save_figure(plot, data, png, width=8, height=5.5)


if "snakemake" in globals():
    main(
        estimate=snakemake.input.estimate,
        csv=snakemake.output.csv,
        png=snakemake.output.png,
        log=snakemake.log[0],
        title=str(snakemake.params.title),
        synthetic=bool(snakemake.params.synthetic),
    )
