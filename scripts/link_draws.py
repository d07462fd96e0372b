"""Rule link_draws: the pairs one linkage scored -> R plausible partitions, as capture-history tables.

The draws start from ``linkage/pairs.csv`` (written by link_thresholds): the same
probabilities the single linkage used, never a second fit. Writes, per draw, the
counts of people by the lists that document them (no record id, no name), a
summary of the draws, and the kinds of pairs the draws disagree on (counts by
which fields disagree). ``persons.csv`` keeps every draw's partition (record ids
and an integer person label per draw, as persons.csv does for the single
linkage; no name), from which rule stratify_draws builds the strata's tables.
"""

import json
from collections.abc import Mapping, Sequence

import pandas as pd

from undercount import tabular
from undercount.config import POPULATIONS
from undercount.linkage import draw_partitions
from undercount.linkage.averaging import (
    draw_histories,
    draws_summary,
    linkage_of_pairs,
    pair_positions,
    read_draw_histories,
    recalibration_from_labels,
    uncertain_pair_kinds,
    write_json,
)
from undercount.linkage.core import _flag_mask, _population_records, fit_options, known_records, read_pairs
from undercount.linkage.draw_strata import partition_frame
from undercount.linkage.labels import constraints, read_labels
from undercount.logs import script_logger
from undercount.records import date_column, read_records


def main(
    *,
    records: Sequence[str],
    labels: Sequence[str],
    pairs: str,
    meta: str,
    histories: str,
    summary: str,
    uncertain: str,
    log: str,
    persons: str | None = None,
    population: str,
    sources: Sequence[str],
    other_sources: Sequence[str],
    linkage: Mapping,
    threshold: float,
    draws: int,
    recalibrate: bool,
    seed: int,
) -> dict:
    logger = script_logger(log, "link_draws")
    kind, flag = POPULATIONS[population]
    by_source = {s: read_records(p, kind) for s, p in zip(sources, records, strict=True)}
    table = _population_records(by_source)
    known = known_records(by_source)
    frames = [read_labels(p, known | {s: None for s in other_sources}) for p in labels]
    labelled = pd.concat(frames, ignore_index=True) if frames else None
    if labelled is not None:
        labelled = labelled[labelled["source_a"].isin(known) & labelled["source_b"].isin(known)]
    must, cannot = constraints(labelled) if labelled is not None else ([], [])
    scored = read_pairs(pairs)
    fitted = linkage_of_pairs(
        table,
        scored,
        date_column=date_column(kind),
        conflicts=fit_options(linkage)["conflicts"],
        must=must,
        cannot=cannot,
        file=pairs,
    )
    cal = recalibration_from_labels(fitted, labelled) if recalibrate else None
    if recalibrate and cal is None:
        logger.warning(
            "linkage.draws_recalibrate: no labelled pair the linkage scored; probabilities used as they are"
        )
    elif cal is not None:
        logger.info(
            "recalibrated on %d labelled pairs (%d matches): logit p' = %.4g + %.4g logit p",
            cal.labelled,
            cal.matches,
            cal.intercept,
            cal.slope,
        )
    partitions = draw_partitions(fitted, int(draws), int(seed), threshold=float(threshold), recalibration=cal)
    keep = _flag_mask(table, flag)
    with open(meta, encoding="utf-8") as fh:
        lists = list(json.load(fh)["lists"])
    frame = draw_histories(partitions, lists, keep)
    tabular.write_csv(frame, histories, index=False, lineterminator="\n")
    if persons is not None:  # every draw's partition, for the strata of any scheme (rule stratify_draws)
        tabular.write_csv(partition_frame(partitions, keep), persons, index=False, lineterminator="\n")
    tables = read_draw_histories(frame, lists)
    info = draws_summary(partitions, tables, keep)
    info["labelled_pairs"] = {"must_link": len(must), "cannot_link": len(cannot)}
    write_json(info, summary)
    a, b = pair_positions(fitted, scored)
    kinds = uncertain_pair_kinds(scored, partitions.co_clustered(a, b))
    tabular.write_csv(kinds, uncertain, index=False, lineterminator="\n", float_format="%.6g")
    logger.info("candidate pairs from the linkage's fit (%s): %d", pairs, len(scored))
    logger.info(
        "%d draws (seed %d): components sampled exactly %d, by Gibbs %d, largest %d records",
        partitions.R,
        seed,
        partitions.components["exact"],
        partitions.components["gibbs"],
        partitions.components["largest"],
    )
    persons = info["persons_per_draw"]
    logger.info(
        "persons per draw: %d to %d; %d distinct capture-history tables",
        min(persons),
        max(persons),
        info["distinct_tables"],
    )
    logger.info("pairs the draws disagree on: %d", int(kinds["pairs"].sum()) if len(kinds) else 0)
    return info


if "snakemake" in globals():
    main(
        records=list(snakemake.input.records),
        labels=list(snakemake.input.labels),
        pairs=snakemake.input.pairs,
        meta=snakemake.input.meta,
        histories=snakemake.output.histories,
        summary=snakemake.output.summary,
        uncertain=snakemake.output.uncertain,
        persons=snakemake.output.persons,
        log=snakemake.log[0],
        population=snakemake.wildcards.population,
        sources=snakemake.params.sources,
        other_sources=snakemake.params.other_sources,
        linkage=snakemake.params.linkage,
        threshold=snakemake.params.threshold,
        draws=snakemake.params.draws,
        recalibrate=snakemake.params.recalibrate,
        seed=snakemake.params.seed,
    )
