"""Rule stratify_draws: every linkage draw's partition -> one capture-history table per stratum and draw.

The strata are those of the single linkage's stratify checkpoint (``strata``);
each draw's persons get their attributes from their records, as there. Writes
the long table ``draw, stratum, <lists>, count`` (counts only) and the people
each draw put in a stratum the single linkage does not have (``outside.csv``),
which the log and every estimate of the scheme's averaged rows report.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from undercount import tabular
from undercount.config import POPULATIONS
from undercount.linkage.draw_strata import draw_strata_histories, read_partition_frame
from undercount.logs import script_logger
from undercount.records import read_records
from undercount.strata import Scheme


def main(
    *,
    persons: str,
    records: Sequence[str],
    meta: str,
    histories: str,
    outside: str,
    log: str,
    population: str,
    scheme_name: str,
    sources: Sequence[str],
    scheme: Mapping[str, Any],
    start_date: str,
    strata: Sequence[str],
) -> None:
    logger = script_logger(log, "stratify_draws")
    kind, _flag = POPULATIONS[population]
    by_source = {s: read_records(p, kind) for s, p in zip(sources, records, strict=True)}
    with open(meta, encoding="utf-8") as fh:
        lists = list(json.load(fh)["lists"])
    frame = pd.read_csv(persons, dtype={"source": str, "record_id": str})
    per_draw = read_partition_frame(frame, file=persons)
    chosen = Scheme.from_config(scheme_name, scheme, start_date)
    done = draw_strata_histories(per_draw, by_source, kind, chosen, lists, list(strata))
    tabular.write_csv(done.frame, histories, index=False, lineterminator="\n")
    tabular.write_csv(done.outside, outside, index=False, lineterminator="\n")
    logger.info("%d linkage draws, %d strata of the single linkage", done.R, len(strata))
    for stratum, block in done.frame.groupby("stratum", sort=True):
        people = block.groupby("draw")["count"].sum()
        logger.info(
            "%-40s %d to %d people; in %d of %d draws",
            stratum,
            people.min(),
            people.max(),
            len(people),
            done.R,
        )
    warning = done.warning()
    if warning:
        logger.warning(warning)


if "snakemake" in globals():
    main(
        persons=snakemake.input.persons,
        records=list(snakemake.input.records),
        meta=snakemake.input.meta,
        histories=snakemake.output.histories,
        outside=snakemake.output.outside,
        log=snakemake.log[0],
        population=snakemake.wildcards.population,
        scheme_name=snakemake.wildcards.scheme,
        sources=snakemake.params.sources,
        scheme=snakemake.params.scheme,
        start_date=snakemake.params.start_date,
        strata=snakemake.params.strata,
    )
