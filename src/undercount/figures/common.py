"""Shared figure settings and the one function that writes a figure to disk."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
from plotnine import element_text, theme, theme_bw  # noqa: E402

#: Label every figure built from demonstration data carries, visibly.
SYNTHETIC_LABEL = "SYNTHETIC DATA: demonstration only, not real victims"

DPI = 150
FONT = "DejaVu Sans"


def theme_undercount(base_size: float = 10) -> theme:
    """The house theme: plain background, DejaVu Sans everywhere."""
    return theme_bw(base_size=base_size, base_family=FONT) + theme(
        plot_caption=element_text(ha="left", size=base_size * 0.75),
        plot_title=element_text(weight="bold"),
    )


def wrap(text: str, width: int = 110) -> str:
    """Wrap each line of a caption to ``width`` characters (figures have fixed widths)."""
    import textwrap

    return "\n".join(textwrap.fill(line, width) if line else "" for line in text.split("\n"))


def write_tsv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write the data behind a figure: tab-separated, LF, stable float format."""
    frame.to_csv(path, sep="\t", index=False, lineterminator="\n", float_format="%.6g")


def save_figure(plot, data: pd.DataFrame, png: str | Path, width: float = 8, height: float = 5) -> None:
    """Write ``png`` and its data (the same path with ``.tsv``) deterministically.

    ``plot`` is a plotnine ``ggplot`` or a composition of them; ``width`` and
    ``height`` are in inches.
    """
    from plotnine import ggplot

    png = Path(png)
    png.parent.mkdir(parents=True, exist_ok=True)
    write_tsv(data, png.with_suffix(".tsv"))
    if getattr(plot, "labels", None) is not None and getattr(plot.labels, "caption", None):
        plot.labels.caption = wrap(plot.labels.caption, int(width * 14))
    sized = plot + theme(figure_size=(width, height))
    kwargs = {"dpi": DPI, "metadata": {"Software": None}}
    if isinstance(sized, ggplot):
        kwargs["verbose"] = False
    sized.save(png, **kwargs)
