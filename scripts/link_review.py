"""Rule review: records of one population and the pairs its linkage scored -> the clerical-review page.

The page is built from ``linkage/pairs.csv`` (written by link_thresholds), not from a
second fit, so it shows exactly the probabilities and per-field weights the linkage
used. It goes under private_dir: it shows names.
"""

from collections.abc import Mapping, Sequence

from undercount.config import POPULATIONS
from undercount.linkage.core import _population_records, linkage_from_pairs, read_pairs
from undercount.logs import script_logger
from undercount.records import date_column, read_records
from undercount.review import review_page, write_review


def main(
    *,
    records: Sequence[str],
    pairs: str,
    page: str,
    log: str,
    event: str,
    population: str,
    sources: Sequence[str],
    threshold: float,
    review: Mapping,
) -> int:
    """Write the review page; returns the number of pairs it shows."""
    logger = script_logger(log, "review")
    kind, _flag = POPULATIONS[population]
    table = _population_records(
        {source: read_records(path, kind) for source, path in zip(sources, records, strict=True)}
    )
    scored = read_pairs(pairs)
    fitted = linkage_from_pairs(table, scored, date_column=date_column(kind), file=pairs)
    html = review_page(
        table,
        fitted,
        threshold=float(threshold),
        title=f"{event} {population}",
        uncertain=int(review.get("uncertain", 40)),
        per_band=int(review.get("per_band", 5)),
    )
    write_review(page, html)
    shown = html.count('"n": ')
    logger.info("candidate pairs from the linkage's fit (%s): %d", pairs, len(scored))
    logger.info("review page written with %d pairs (it shows names: keep it private)", shown)
    return shown


if "snakemake" in globals():
    main(
        records=list(snakemake.input.records),
        pairs=snakemake.input.pairs,
        page=snakemake.output.page,
        log=snakemake.log[0],
        event=snakemake.wildcards.event,
        population=snakemake.wildcards.population,
        sources=snakemake.params.sources,
        threshold=snakemake.params.threshold,
        review=snakemake.params.review,
    )
