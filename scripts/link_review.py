"""Rule review: records of one population -> the clerical-review page (under private_dir: it shows names)."""

from undercount.config import POPULATIONS
from undercount.linkage import fit_linkage
from undercount.linkage.core import _population_records, fit_options
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
options = fit_options(snakemake.params.linkage)
fitted = fit_linkage(records, date_column=date_column(kind), **options)
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
log.info("review page written with %d pairs (it shows names: keep it private)", page.count('"n": '))
