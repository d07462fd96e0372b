"""Rule summary: one line per event and population for the report."""

import json

import pandas as pd

from undercount.logs import script_logger
from undercount.results import summary_table

log = script_logger(snakemake.log[0], "summary")
estimates = pd.read_csv(snakemake.input.estimates)
histories = {}
for key, path in zip(snakemake.params.tables, snakemake.input.histories):
    with open(path, encoding="utf-8") as fh:
        histories[key] = json.load(fh)
table = summary_table(estimates, histories, snakemake.params.official)
table.to_csv(snakemake.output[0], index=False, lineterminator="\n")
log.info("%d rows", len(table))
