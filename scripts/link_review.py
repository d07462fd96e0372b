"""Rule review: records of one population and the pairs its linkage scored -> the clerical-review page.

The page is built from ``linkage/pairs.csv`` (written by link_thresholds), not from a
second fit, so it shows exactly the probabilities and per-field weights the linkage
used. It goes under private_dir: it shows names.
"""

from undercount.config import POPULATIONS
from undercount.linkage.core import _population_records, linkage_from_pairs, read_pairs
from undercount.logs import script_logger
from undercount.records import date_column, read_records
from undercount.review import review_page, write_review

log = script_logger(snakemake.log[0], "review")
event, population = snakemake.wildcards.event, snakemake.wildcards.population
kind, _flag = POPULATIONS[population]
records = _population_records(
    {
        source: read_records(path, kind)
        for source, path in zip(snakemake.params.sources, snakemake.input.records)
    }
)
pairs = read_pairs(snakemake.input.pairs)
fitted = linkage_from_pairs(records, pairs, date_column=date_column(kind), file=snakemake.input.pairs)
settings = snakemake.params.review
page = review_page(
    records,
    fitted,
    threshold=float(snakemake.params.threshold),
    title=f"{event} {population}",
    uncertain=int(settings.get("uncertain", 40)),
    per_band=int(settings.get("per_band", 5)),
)
write_review(snakemake.output.page, page)
log.info("candidate pairs from the linkage's fit (%s): %d", snakemake.input.pairs, len(pairs))
log.info("review page written with %d pairs (it shows names: keep it private)", page.count('"n": '))
