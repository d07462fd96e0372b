"""Shared figure settings and the one function that writes a figure to disk."""

from __future__ import annotations

import math
from dataclasses import dataclass
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


def table_summaries(events, paths) -> dict[str, dict]:
    """The table summaries (``histories.json``) of a figure job, by event: ``paths[i]`` is ``events[i]``'s."""
    import json

    out = {}
    for event, path in zip(events, paths, strict=True):
        with open(path, encoding="utf-8") as fh:
            out[event] = json.load(fh)
    return out


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


class NothingToDraw(ValueError):
    """A figure has nothing to draw (a table without an estimate, a method without draws).

    No placeholder image is made: the workflow leaves the figure out, and the
    report's first page lists what was not estimable and why. ``reason`` says why.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# ------------------------------------------------------------------ shared marks and scales
#: Estimates are drawn in red; "not estimable" in a neutral grey with its own marker and text,
#: so that a table without an estimate is never read as an estimate.
ESTIMATE_COLOUR = "#c0392b"
NOT_ESTIMABLE_COLOUR = "#8c8c8c"
NOT_ESTIMABLE = "not estimable"


def whole_people_breaks(limits) -> list[float]:
    """Axis breaks at whole numbers of people, never below zero, about five of them.

    ``limits`` is the (low, high) of the axis as plotnine passes it. The step is
    1, 2 or 5 times a power of ten and at least 1, so no break is a fraction of a
    person however narrow the range.
    """
    low, high = (float(v) for v in limits)
    low, high = max(0.0, low), max(0.0, high)
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [float(round(high))] if math.isfinite(high) else []
    step = 1.0
    for exponent in range(0, 16):
        found = next(
            (m * 10.0**exponent for m in (1, 2, 5) if (high - low) / (m * 10.0**exponent) <= 6), None
        )
        if found is not None:
            step = found
            break
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) // step) + 1)]


def whole_people_labels(breaks) -> list[str]:
    """Break labels with a thousands separator and no decimals."""
    return [f"{b:,.0f}" for b in breaks]


def people_scale(axis: str = "x", *, zero: bool = True, **kwargs):
    """A continuous scale of people: whole-number breaks, and from 0 when ``zero`` (counts)."""
    from plotnine import scale_x_continuous, scale_y_continuous

    scale = scale_x_continuous if axis == "x" else scale_y_continuous
    if zero:
        kwargs.setdefault("limits", (0, None))
        kwargs.setdefault("expand", (0, 0, 0.06, 0))  # from 0 exactly: no padding below zero people
    else:
        kwargs.setdefault("limits", nonnegative_limits)
    return scale(breaks=whole_people_breaks, labels=whole_people_labels, **kwargs)


def nonnegative_limits(limits) -> tuple[float, float]:
    """The data's limits with the lower end raised to 0 where it is below (no negative people)."""
    low, high = limits
    return (max(0.0, float(low)), float(high))


@dataclass(frozen=True)
class Footnotes:
    """The notes of the drawn rows, split into what every row shares and what differs.

    ``marks`` holds one label per drawn row (``⚠1,3``, or empty) for the notes that
    differ between rows; ``numbered`` is their footnote text, one numbered line each;
    ``common`` the notes that apply to every drawn row (the table-level caveats of
    results/estimates.csv's ``caveats`` column, and any warning that every row has),
    said once in the caption and marked nowhere, since a mark on every row tells nothing.
    """

    marks: list[str]
    numbered: str
    common: list[str]

    def caption_lines(self, what: str = "estimate") -> list[str]:
        """The caption's lines: the shared notes once, then the numbered ones."""
        lines = []
        if self.common:
            lines.append(f"Applies to every {what} shown:")
            lines += [f"• {_shorten(c)}" for c in self.common]
        if self.numbered:
            lines.append(f"Notes that differ between {what}s (⚠n next to an {what}):")
            lines.append(self.numbered)
        return lines


def _runs(ids: list[int]) -> str:
    """``[1, 2, 3, 5]`` as ``1–3,5``: a long list of marks stays short."""
    parts: list[str] = []
    start = prev = ids[0]
    for i in [*ids[1:], None]:
        if i is not None and i == prev + 1:
            prev = i
            continue
        parts.append(str(start) if start == prev else f"{start}{',' if prev == start + 1 else '–'}{prev}")
        if i is not None:
            start = prev = i
    return ",".join(parts)


def _split(text) -> list[str]:
    if not isinstance(text, str):
        return []
    return [part.strip() for part in text.split(" | ") if part.strip()]


def _shorten(text: str, max_chars: int = 220) -> str:
    if len(text) <= max_chars:
        return text
    return text[: max_chars - 1].rstrip() + "… (full text in results/estimates.csv)"


def footnotes(warnings: pd.Series, caveats: pd.Series | None = None, *, max_chars: int = 220) -> Footnotes:
    """:class:`Footnotes` for the drawn rows from their ``warnings`` and ``caveats`` columns.

    Both hold one string per row, notes joined by `` | `` (the form of
    results/estimates.csv). A note on every row goes once into ``common``; the
    others are numbered in order of first appearance and marked on their rows.
    With a single row, every note is common (there is nothing to tell apart).
    """
    warnings = warnings.reset_index(drop=True)
    caveats = caveats.reset_index(drop=True) if caveats is not None else pd.Series([""] * len(warnings))
    per_row = [list(dict.fromkeys(_split(w) + _split(c))) for w, c in zip(warnings, caveats)]
    if not per_row:
        return Footnotes([], "", [])
    shared = set(per_row[0]).intersection(*map(set, per_row[1:]))
    common = [n for n in per_row[0] if n in shared]
    numbers: dict[str, int] = {}
    marks = []
    for notes in per_row:
        ids = []
        for note in notes:
            if note in shared:
                continue
            numbers.setdefault(note, len(numbers) + 1)
            ids.append(numbers[note])
        marks.append("⚠" + _runs(sorted(set(ids))) if ids else "")
    numbered = "\n".join(f"⚠{i}: {_shorten(note, max_chars)}" for note, i in numbers.items())
    return Footnotes(marks, numbered, common)


#: Columns of the ``index.tsv`` a per-table figure directory holds: every table, drawn or not.
INDEX_COLUMNS = ["table", "figure", "file", "reason"]


def write_index(rows: list[dict], directory: str | Path) -> pd.DataFrame:
    """Write ``index.tsv`` of a per-table figure directory: each table's file, or why it has none."""
    frame = pd.DataFrame(rows, columns=INDEX_COLUMNS)
    write_tsv(frame, Path(directory) / "index.tsv")
    return frame


# ------------------------------------------------------------------ value labels that never overlap
#: Approximate size of one character of a value label at plotnine ``size=7`` (points), in inches.
LABEL_CHAR_IN = 0.065
LABEL_LINE_IN = 0.14


def _label_box(x: float, y: float, text: str, where: str, gap: float) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) in inches of ``text`` placed ``where`` of the point (x, y)."""
    w, h = max(1, len(text)) * LABEL_CHAR_IN, LABEL_LINE_IN
    if where == "above":
        return (x - w / 2, y + gap, x + w / 2, y + gap + h)
    if where == "below":
        return (x - w / 2, y - gap - h, x + w / 2, y - gap)
    if where == "right":
        return (x + gap, y - h / 2, x + gap + w, y + h / 2)
    return (x - gap - w, y - h / 2, x - gap, y + h / 2)  # left


def boxes_overlap(a, b) -> bool:
    """Whether two (left, bottom, right, top) boxes overlap (touching is not overlapping)."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_labels(xs, ys, texts, *, width_in: float, height_in: float, gap: float = 0.08) -> list[dict]:
    """Place a value label beside each point of one panel so that no two labels overlap.

    ``xs`` and ``ys`` are the points in the panel's drawn coordinates (after any
    axis transform), ``width_in`` and ``height_in`` the panel's size in inches.
    Each label goes above its point, or else below, right or left of it, the first
    place that overlaps neither an earlier label nor another point; when every
    place is taken, above. Returns per point ``where`` and the label's ``box``
    (inches, for tests) and its anchor ``dx``, ``dy`` in the drawn units.
    """
    xs, ys, texts = list(map(float, xs)), list(map(float, ys)), [str(t) for t in texts]
    if not xs:
        return []
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    sx = width_in / (x1 - x0) if x1 > x0 else 1.0
    sy = height_in / (y1 - y0) if y1 > y0 else 1.0
    pts = [((x - x0) * sx, (y - y0) * sy) for x, y in zip(xs, ys)]
    r = 0.05  # a point's own radius, inches
    point_boxes = [(px - r, py - r, px + r, py + r) for px, py in pts]
    placed: list[tuple] = []
    out = []
    order = sorted(range(len(pts)), key=lambda i: (pts[i][0], -pts[i][1]))
    chosen: dict[int, dict] = {}
    for i in order:
        px, py = pts[i]
        for where in ("above", "below", "right", "left", None):
            if where is None:
                where = "above"
                box = _label_box(px, py, str(texts[i]), where, gap)
                break
            box = _label_box(px, py, str(texts[i]), where, gap)
            clash = any(boxes_overlap(box, b) for b in placed) or any(
                boxes_overlap(box, b) for j, b in enumerate(point_boxes) if j != i
            )
            if not clash:
                break
        placed.append(box)
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        chosen[i] = {"where": where, "box": box, "dx": (cx - px) / sx, "dy": (cy - py) / sy}
    for i in range(len(pts)):
        out.append(chosen[i])
    return out
