"""Rule sensitivity: one log-linear estimate -> the total as a function of the identifying assumption (CSV, figure).

The figure goes into a directory of its own with ``index.tsv``; an estimate
without a curve gets no image (never a placeholder), and the index says why.
"""

from undercount import tabular
from undercount.estimators.sensitivity import COLUMNS, doubling_ratio, sensitivity_curve
from undercount.figures import save_figure
from undercount.figures.common import NothingToDraw, write_index
from undercount.figures.covariates import sensitivity_figure
from undercount.logs import script_logger
from undercount.results import read_result


def main(
    *, estimate: str, csv: str, directory: str, name: str, log: str, title: str, synthetic: bool
) -> None:
    from pathlib import Path

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
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    try:
        plot, data = sensitivity_figure(curve, result, title=title, synthetic=synthetic)
    except NothingToDraw as none:
        write_index([{"table": name, "figure": "sensitivity", "file": "", "reason": none.reason}], out)
        return
    save_figure(plot, data, out / f"{name}.png", width=8, height=5.5)
    write_index([{"table": name, "figure": "sensitivity", "file": f"{name}.png", "reason": ""}], out)


if "snakemake" in globals():
    main(
        estimate=snakemake.input.estimate,
        csv=snakemake.output.csv,
        directory=snakemake.output.figure,
        name=f"{snakemake.wildcards.event}_{snakemake.wildcards.population}",
        log=snakemake.log[0],
        title=str(snakemake.params.title),
        synthetic=bool(snakemake.params.synthetic),
    )
