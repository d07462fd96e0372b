"""Rule gather_estimates: every result file -> results/estimates.csv.

Which table and method each file holds (event, population, stratum, label)
and whether the table rests on a synthetic list come as params, in the order
of the input files: nothing is read off a path.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from undercount.logs import script_logger
from undercount.results import estimates_frame, read_result, result_row, write_estimates


def main(
    *, estimates: Sequence[str], entries: Sequence[Mapping[str, Any]], output: str, log: str
) -> pd.DataFrame:
    """``entries[i]`` names the table of ``estimates[i]``: event, population, stratum, label, synthetic."""
    logger = script_logger(log, "gather_estimates")
    if len(estimates) != len(entries):
        raise ValueError(f"{len(estimates)} result files but {len(entries)} entries naming them")
    rows = []
    for path, entry in zip(estimates, entries):
        rows.append(
            result_row(
                read_result(path),
                event=entry["event"],
                population=entry["population"],
                stratum=entry["stratum"],
                label=entry["label"],
                synthetic=bool(entry["synthetic"]),
            )
        )
    frame = estimates_frame(rows)
    write_estimates(frame, output)
    logger.info(
        "%d estimates, %d not estimable, %d with warnings",
        len(frame),
        int(frame["n_hat"].isna().sum()),
        int((frame["warnings"] != "").sum()),
    )
    return frame


if "snakemake" in globals():
    main(
        estimates=snakemake.input.estimates,
        entries=snakemake.params.entries,
        output=snakemake.output[0],
        log=snakemake.log[0],
    )
