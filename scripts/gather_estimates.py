"""Rule gather_estimates: every result file -> results/estimates.csv.

Which table and method each file holds (event, population, stratum, label),
which linkage it rests on (``single``, or ``averaged`` over plausible linkages
with linkage.draws) and whether the table rests on a synthetic list come as
params, in the order of the input files: nothing is read off a path. An entry
with ``member`` names a result file inside its input, a folder (one job's
linkage-averaged strata of a scheme).

When linkage explains more than half of the variance of a table's
linkage-averaged estimates (undercount.linkage.averaging.linkage_warning),
every estimate of that table (stratum ``all``, both linkages, every method)
carries a warning saying so, with the kinds of pairs the draws disagree on.
"""

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from undercount.linkage.averaging import UNCERTAIN_COLUMNS, linkage_share, linkage_warning
from undercount.logs import script_logger
from undercount.results import estimates_frame, read_result, result_row, write_estimates


def main(
    *,
    estimates: Sequence[str],
    entries: Sequence[Mapping[str, Any]],
    output: str,
    log: str,
    uncertain: Sequence[str] = (),
    uncertain_tables: Sequence[str] = (),
) -> pd.DataFrame:
    """``entries[i]`` names the table of ``estimates[i]``: event, population, stratum, label, synthetic,
    linkage; ``uncertain_tables[i]`` (``event/population``) names the uncertain pairs' kinds ``uncertain[i]``."""
    logger = script_logger(log, "gather_estimates")
    if len(estimates) != len(entries):
        raise ValueError(f"{len(estimates)} result files but {len(entries)} entries naming them")
    if len(uncertain) != len(uncertain_tables):
        raise ValueError(
            f"{len(uncertain)} uncertain-pair files but {len(uncertain_tables)} tables naming them"
        )
    rows = []
    shares: dict[str, dict[str, float | None]] = {}
    for path, entry in zip(estimates, entries):
        result = read_result(Path(path) / entry["member"] if entry.get("member") else path)
        linkage = str(entry.get("linkage", "single"))
        # the linkage warning follows the whole table's pooled estimates (stratum all)
        if linkage == "averaged" and entry["stratum"] == "all":
            shares.setdefault(f"{entry['event']}/{entry['population']}", {})[entry["label"]] = linkage_share(
                result
            )
        rows.append(
            result_row(
                result,
                event=entry["event"],
                population=entry["population"],
                stratum=entry["stratum"],
                label=entry["label"],
                synthetic=bool(entry["synthetic"]),
                linkage=linkage,
            )
        )
    kinds = {
        table: pd.read_csv(path, keep_default_na=False)[UNCERTAIN_COLUMNS]
        for table, path in zip(uncertain_tables, uncertain, strict=True)
    }
    for table, by_label in sorted(shares.items()):
        warning = linkage_warning(by_label, kinds.get(table))
        logger.info(
            "%s: share of variance between linkages: %s",
            table,
            ", ".join(f"{k} {'-' if v is None else f'{v:.3f}'}" for k, v in sorted(by_label.items())),
        )
        if warning is None:
            continue
        logger.warning("%s: %s", table, warning)
        for row in rows:
            if f"{row['event']}/{row['population']}" == table and row["stratum"] == "all":
                row["warnings"] = " | ".join(w for w in (row["warnings"], warning) if w)
    frame = estimates_frame(rows)
    write_estimates(frame, output)
    logger.info(
        "%d estimates (%d linkage-averaged), %d not estimable, %d with warnings",
        len(frame),
        int((frame["linkage"] == "averaged").sum()),
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
        uncertain=list(snakemake.input.uncertain),
        uncertain_tables=snakemake.params.uncertain_tables,
    )
