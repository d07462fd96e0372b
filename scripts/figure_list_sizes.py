"""Rule figure_list_sizes: two-list estimates implied by the published list sizes (real numbers only)."""

import pandas as pd

from undercount.figures import save_figure
from undercount.figures.list_sizes import list_sizes_figure
from undercount.logs import script_logger

log = script_logger(snakemake.log[0], "figure_list_sizes")
reported = pd.read_csv(snakemake.input.reported)
plot, data = list_sizes_figure(
    reported, snakemake.wildcards.event, snakemake.params.label, snakemake.params.level
)
save_figure(plot, data, snakemake.output.png, width=10, height=4.8)
log.info("%d pairs x overlaps", len(data))
