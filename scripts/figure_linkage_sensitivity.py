"""Rule figure_linkage_sensitivity: every table's estimates against the match threshold."""

import pandas as pd

from undercount.figures import save_figure
from undercount.figures.linkage import linkage_sensitivity_figure
from undercount.logs import script_logger

log = script_logger(snakemake.log[0], "figure_linkage_sensitivity")
frames = [pd.read_csv(p) for p in snakemake.input.sensitivity]
sensitivity = pd.concat(frames, ignore_index=True)
plot, data = linkage_sensitivity_figure(
    sensitivity,
    threshold=snakemake.params.threshold,
    level=snakemake.params.level,
    synthetic=snakemake.params.synthetic,
)
panels = data["table"].nunique()
save_figure(plot, data, snakemake.output.png, width=9, height=2.2 + 2.3 * ((panels + 2) // 3))
log.info("%d tables, %d points drawn", panels, len(data))
