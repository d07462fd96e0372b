"""Figures: plotnine plots written as PNG together with the data behind them.

Every figure is saved by :func:`save_figure`, which writes ``<name>.png`` and
``<name>.tsv`` (the exact data drawn) and renders deterministically: fixed DPI
and size, DejaVu fonts, no timestamp or software tag in the PNG metadata, so
two runs on the same inputs give byte-identical files.
"""

from .common import (
    SYNTHETIC_LABEL,
    save_figure,
    theme_undercount,
    warning_footnotes,
    write_tsv,
)

__all__ = ["SYNTHETIC_LABEL", "save_figure", "theme_undercount", "warning_footnotes", "write_tsv"]
