"""Shared figure settings and the one function that writes a figure to disk."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
from plotnine import element_text, theme, theme_bw  # noqa: E402

from .. import tabular

#: Label every figure built from demonstration data carries, visibly.
SYNTHETIC_LABEL = "SYNTHETIC DATA: demonstration only, not real victims"

DPI = 150
FONT = "DejaVu Sans"


def theme_undercount(base_size: float = 10) -> theme:
    """The house theme: plain background, DejaVu Sans everywhere."""
    return theme_bw(base_size=base_size, base_family=FONT) + theme(
        plot_caption=element_text(ha="left", size=base_size * 0.75),
        plot_caption_position="plot",
        plot_title=element_text(weight="bold"),
    )


def wrap(text: str, width: int = 110) -> str:
    """Wrap each line of a caption to ``width`` characters (figures have fixed widths)."""
    import textwrap

    return "\n".join(textwrap.fill(line, width) if line else "" for line in text.split("\n"))


def write_tsv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write the data behind a figure: tab-separated, LF, stable float format."""
    tabular.write_csv(frame, path, sep="\t", index=False, lineterminator="\n", float_format="%.6g")


def save_figure(plot, data: pd.DataFrame, png: str | Path, width: float = 8, height: float = 5) -> None:
    """Write ``png`` and its data (the same path with ``.tsv``) deterministically.

    ``plot`` is a plotnine ``ggplot`` or a composition of them; ``width`` and
    ``height`` are in inches.
    """
    from plotnine import ggplot

    synthetic = carries_synthetic_label(plot)  # before captions are wrapped
    png = Path(png)
    png.parent.mkdir(parents=True, exist_ok=True)
    write_tsv(data, png.with_suffix(".tsv"))
    if getattr(plot, "labels", None) is not None and getattr(plot.labels, "caption", None):
        plot.labels.caption = wrap(plot.labels.caption, int(width * 15))
        # room for long captions (warning footnotes): about 0.17 inch per line beyond three
        height += 0.17 * max(0, plot.labels.caption.count("\n") - 2)
    sized = plot + theme(figure_size=(width, height))
    metadata: dict[str, str | None] = {"Software": None}
    if synthetic:
        # machine-readable twin of the visible label, for checks and for readers' tools
        metadata["Description"] = SYNTHETIC_LABEL
    if isinstance(sized, ggplot):
        # captions grow the figure by design: plotnine's 25-inch limit would refuse a long list of footnotes
        sized.save(png, dpi=DPI, metadata=metadata, verbose=False, limitsize=False)
    else:  # a composition: its save() drops the metadata, so draw and write it here
        import matplotlib.pyplot as plt

        figure = (sized + theme(dpi=DPI)).draw()
        figure.savefig(png, metadata=metadata)
        plt.close(figure)


def carries_synthetic_label(plot) -> bool:
    """True when the plot's title, subtitle or caption shows :data:`SYNTHETIC_LABEL`.

    A composition of plots (``top / bottom``) shows it when any of its plots does.
    """
    items = getattr(plot, "items", None)
    if isinstance(items, list):
        return any(carries_synthetic_label(item) for item in items)
    labels = getattr(plot, "labels", None)
    texts = [getattr(labels, name, None) for name in ("title", "subtitle", "caption")] if labels else []
    return any(SYNTHETIC_LABEL in str(t) for t in texts if t)


def warning_footnotes(warnings: pd.Series, max_chars: int = 220) -> tuple[list[str], str]:
    """Number the distinct warnings of the drawn estimates.

    ``warnings`` holds one string per drawn row, warnings joined by `` | `` (the
    form of results/estimates.csv). Returns a label per row (``⚠1,3``, or empty)
    and the footnote text, one numbered line per distinct warning, so every
    caveat of every estimate is on the figure itself. Very long warnings are
    shortened with an ellipsis and the pointer to results/estimates.csv.
    """
    numbers: dict[str, int] = {}
    labels = []
    for text in warnings.fillna("").astype(str):
        ids = []
        for w in (part.strip() for part in text.split(" | ")):
            if not w:
                continue
            if w not in numbers:
                numbers[w] = len(numbers) + 1
            ids.append(numbers[w])
        labels.append("⚠" + ",".join(str(i) for i in sorted(set(ids))) if ids else "")
    lines = []
    for w, i in numbers.items():
        short = (
            w
            if len(w) <= max_chars
            else w[: max_chars - 1].rstrip() + "… (full text in results/estimates.csv)"
        )
        lines.append(f"⚠{i}: {short}")
    return labels, "\n".join(lines)


def no_estimate_panel(title: str, reason: str, synthetic: bool):
    """A figure that says there is nothing to draw, and why (a table without an estimate)."""
    from plotnine import annotate, ggplot, labs, theme_void

    return (
        ggplot()
        + annotate("text", x=0, y=0, label="No estimate to show.", size=12)
        + labs(title=title, subtitle=(SYNTHETIC_LABEL if synthetic else None), caption=wrap(reason))
        + theme_void()
    )
