"""The answer a reviewer opens the report on: per event and population, the numbers that matter.

For each table (event x population, all strata together): the official count
(cited, from the reported figures), the number documented by any list, the
headline estimate of the total (:mod:`undercount.headline`) and the estimated
number undocumented, each with its interval; a plain-language paragraph; and
the caveats. :func:`landing_rst` writes it as the report's landing page
(reStructuredText, as Snakemake's report renders it), with every text from
the config and the data escaped so that it is shown as text and never read as
markup, template code or HTML.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import headline as hl
from .results import EstimateResult

if TYPE_CHECKING:
    import pandas as pd

#: The quantity of the reported figures that is the official count of a population.
OFFICIAL_QUANTITY = {"deaths": "deaths", "detentions": "detained"}


@dataclass(frozen=True)
class Official:
    """An official count, with its citation (one row of the reported figures)."""

    value: float
    as_of: str
    reported_by: str
    publisher: str
    scope: str

    def citation(self) -> str:
        return f"{self.reported_by}, as of {self.as_of} (reported by {self.publisher}; scope: {self.scope})"


@dataclass(frozen=True)
class Answer:
    """Everything the landing page says about one table."""

    event: str
    event_label: str
    population: str
    synthetic: bool
    n_lists: int
    documented: int
    official: Official | None
    on_official_list: int | None
    choice: hl.Headline
    undocumented: hl.Undocumented
    envelope: hl.Envelope
    level: float
    not_estimable: Mapping[str, str] = field(default_factory=dict)

    @property
    def result(self) -> EstimateResult | None:
        return self.choice.result


def official_count(reported: pd.DataFrame | None, event: str, population: str) -> Official | None:
    """The latest national total of ``population`` for ``event`` that is not a lower bound, or None.

    Partial counts (one city, one group), unverified claims and lower bounds
    are not an official count. Among several on the latest date, the largest.
    """
    from .figures.reported import scope_class

    quantity = OFFICIAL_QUANTITY.get(population)
    if reported is None or quantity is None or reported.empty:
        return None
    rows = reported[(reported["event"] == event) & (reported["quantity"] == quantity)].copy()
    if rows.empty:
        return None
    rows = rows[rows["scope"].astype(str).map(scope_class) == "reported national total"]
    rows = rows[rows["value_is_lower_bound"].astype(str).str.lower() != "true"]
    if rows.empty:
        return None
    row = rows.sort_values(["as_of", "value"], kind="stable").iloc[-1]
    return Official(
        value=float(row["value"]),
        as_of=str(row["as_of"]),
        reported_by=str(row["reported_by"]),
        publisher=str(row["publisher"]),
        scope=str(row["scope"]),
    )


def answer(
    *,
    event: str,
    event_label: str,
    population: str,
    meta: Mapping[str, Any],
    results: Mapping[str, EstimateResult],
    reported: pd.DataFrame | None,
    official_source: str | None,
    headline: str = hl.AUTO,
    synthetic: bool = False,
    level: float = 0.95,
) -> Answer:
    """The answer for one table: ``meta`` is its histories summary, ``results`` label -> result."""
    n_lists = len(meta["lists"])
    documented = int(meta["n_observed"])
    choice = hl.choose(results, n_lists=n_lists, headline=headline)
    if choice.result is not None:
        undocumented = hl.undocumented(choice.result, documented)
    else:
        undocumented = hl.Undocumented(math.nan, math.nan, math.nan, "none")
    on_list = meta["people_per_list"].get(official_source) if official_source else None
    refused = {label: _reason(r) for label, r in results.items() if not r.estimable}
    return Answer(
        event=event,
        event_label=event_label,
        population=population,
        synthetic=synthetic,
        n_lists=n_lists,
        documented=documented,
        official=official_count(reported, event, population),
        on_official_list=None if on_list is None else int(on_list),
        choice=choice,
        undocumented=undocumented,
        envelope=hl.envelope(results),
        level=level,
        not_estimable=refused,
    )


def _reason(result: EstimateResult) -> str:
    reasons = [w for w in result.warnings if "not estimable" in w.lower()]
    return (reasons or list(result.warnings) or ["no reason recorded"])[0]


# ------------------------------------------------------------------ words
def count(value: float | None) -> str:
    """A number of people as text: whole, with thousands separators; unbounded; or a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if math.isinf(value):
        return "unbounded"
    return f"{value:,.0f}"


def interval(low: float, high: float) -> str:
    if math.isnan(low) or math.isnan(high):
        return ""
    return f"{count(low)} to {count(high)}"


def paragraph(a: Answer) -> str:
    """A paragraph a journalist could quote correctly, with the main caveats."""
    what = a.population.replace("_", " ")
    pct = round(100 * a.level)
    start = (
        "These lists are SYNTHETIC demonstration data: the numbers below describe no real victims. "
        if a.synthetic
        else ""
    )
    doc = f"{a.n_lists} lists together document {count(a.documented)} {what} in {a.event_label}"
    if a.official is not None:
        doc += f"; the official count is {count(a.official.value)} ({a.official.reported_by}, {a.official.as_of})"
    doc += "."
    r = a.result
    if r is None or not r.estimable:
        tail = (
            f" No estimate of the total can be given from these lists ({a.choice.reason}) The documented "
            f"count is a minimum, not an estimate."
        )
        return start + doc + tail
    u = a.undocumented
    if a.choice.is_span:
        each = "; ".join(
            f"{label}: about {count(m.n_hat)}, {interval(m.ci_low, m.ci_high)}"
            for label, m in a.choice.members.items()
        )
        first = next(iter(a.choice.members))
        est = (
            f" Multiple systems estimation puts the total between {count(r.ci_low)} and "
            f"{count(r.ci_high)}: the span of the {pct}% intervals of {len(a.choice.members)} models "
            f"that disagree in what they assume ({each}). Taking {first}'s estimate, about "
            f"{count(r.n_hat)}, about {count(u.point)} {what} are on no list "
            f"({interval(u.low, u.high)} over the span)."
        )
    else:
        est = (
            f" Multiple systems estimation ({a.choice.label}) puts the total at about {count(r.n_hat)} "
            f"({pct}% interval {interval(r.ci_low, r.ci_high)}), which means about {count(u.point)} "
            f"{what} are on no list ({interval(u.low, u.high)})."
        )
    caveat = (
        " This is an estimate from statistical models, not a count: the interval shows the uncertainty of "
        "the model's fit, and it is too low if some victims were less likely to be recorded by every list."
    )
    if a.envelope.warning:
        caveat += " The methods disagree with each other here, so the number depends on the model."
    if r.warnings:
        caveat += f" The estimate carries {len(r.warnings)} warning(s), listed below."
    return start + doc + est + caveat


# ------------------------------------------------------------------ reStructuredText
_RST_SPECIAL = set("\\`*_|[]<>:.-+=#'\"~^!{}()$@%&,;?/")


def rst_text(value: Any) -> str:
    """Text from the config or the data, safe in reStructuredText and in Snakemake's Jinja pass.

    Every punctuation character is backslash-escaped (reStructuredText then
    shows it literally), so no markup, directive, role, link, HTML or template
    tag (``{{``, ``{%``) can be formed; line breaks become spaces.
    """
    text = " ".join(str(value).split())
    return "".join("\\" + ch if ch in _RST_SPECIAL else ch for ch in text)


def _heading(text: str, mark: str) -> str:
    line = rst_text(text)
    return f"{line}\n{mark * max(4, len(line) + 2)}\n"


def _list_table(header: Sequence[str], rows: Sequence[Sequence[Any]], title: str = "") -> str:
    out = [f".. list-table:: {rst_text(title)}" if title else ".. list-table::", "   :header-rows: 1", ""]
    for row in [header, *rows]:
        for i, cell in enumerate(row):
            text = rst_text(cell) if str(cell) != "" else "\\ "
            out.append(f"   {'* -' if i == 0 else '  -'} {text}")
    return "\n".join(out) + "\n"


def answers_table(
    answers: Sequence[Answer], *, notes: list[str] | None = None
) -> tuple[list[str], list[list[str]]]:
    """The answer table: header and rows, one per table.

    With ``notes`` (a list, filled here), each official count's citation goes into
    ``notes`` and its cell says ``238 [1]``: the narrow form of the report's first
    page, where the table must fit its column. Without, the citation is in the cell
    (results/answer.tsv).
    """
    header = [
        "event",
        "population",
        "official count (cited)",
        "documented by any list",
        "estimated total",
        "estimated undocumented",
        "headline method",
    ]
    rows = []
    for a in answers:
        r = a.result
        pct = round(100 * a.level)
        if r is None or not r.estimable:
            total = "not estimable"
        elif a.choice.is_span:
            points = " / ".join(f"{count(m.n_hat)} ({label})" for label, m in a.choice.members.items())
            total = f"{points}; {pct}% span {interval(r.ci_low, r.ci_high)}"
        else:
            total = f"{count(r.n_hat)} ({pct}%: {interval(r.ci_low, r.ci_high)})"
        u = a.undocumented
        undoc = (
            f"{count(u.point)} ({pct}%: {interval(u.low, u.high)}; from the {u.source})"
            if not math.isnan(u.point)
            else "not estimable"
        )
        if a.official is None:
            official = "none in the reported figures"
        elif notes is None:
            official = f"{count(a.official.value)} ({a.official.citation()})"
        else:
            citation = a.official.citation()
            if citation not in notes:
                notes.append(citation)
            official = f"{count(a.official.value)} [{notes.index(citation) + 1}]"
        rows.append(
            [
                a.event_label,
                a.population.replace("_", " "),
                official,
                count(a.documented),
                total,
                undoc,
                a.choice.label or "none",
            ]
        )
    return header, rows


def landing_rst(
    answers: Sequence[Answer],
    *,
    synthetic_tables: Sequence[str],
    figure_uri: str | None,
    estimates: pd.DataFrame,
    summary: pd.DataFrame | None = None,
) -> str:
    """The report's landing page: the answer first, then the caveats, the figure and the tables."""
    parts = []
    # Snakemake's report centres its description vertically, which hides the top of a long one
    # (the answer): this static rule, ours and never data, starts the description at the top.
    # Its description column is 32rem wide and the rule graph sits right of it: the answer table,
    # wider than that, ran under the graph. The column gets room, and a table scrolls within it.
    parts.append(
        ".. raw:: html\n\n   <style>div.h-screen.overflow-auto.items-center "
        "{ align-items: flex-start; }\n"
        "   div.prose.max-w-lg { max-width: 44rem; }\n"
        "   div.prose table.docutils { display: block; max-width: 100%; overflow-x: auto; }</style>\n"
    )
    parts.append(_heading("undercount: what the lists say", "="))
    if synthetic_tables:
        parts.append(
            "**SYNTHETIC DATA.** These results rest on synthetic lists: "
            + rst_text(", ".join(synthetic_tables))
            + ". No number built from them describes real victims. The reported official counts are "
            "real, cited public figures.\n"
        )
    parts.append(_heading("The answer", "-"))
    sources: list[str] = []
    header, rows = answers_table(answers, notes=sources)
    parts.append(_list_table(header, rows, "Official, documented, estimated and undocumented, by event"))
    if sources:
        parts.append("Official counts, as cited:\n")
        parts.extend(f"{i}. {rst_text(c)}" for i, c in enumerate(sources, 1))
        parts.append("")
    parts.append(
        rst_text(
            "The undocumented number is the estimated total minus the people documented by any list. "
            "Its interval comes from the draws of the total where the method makes posterior draws "
            "(each draw minus the documented count), and otherwise from the total's interval minus "
            "the documented count; the column says which."
        )
        + "\n"
    )
    for a in answers:
        parts.append(_heading(f"{a.event_label}: {a.population.replace('_', ' ')}", "~"))
        parts.append(rst_text(paragraph(a)) + "\n")
        parts.append(rst_text("Why this estimate: " + a.choice.reason) + "\n")
        if a.result is not None and a.result.warnings:
            parts.append("Warnings of the headline estimate:\n")
            parts.extend(f"- {rst_text(w)}" for w in a.result.warnings)
            parts.append("")
        if a.undocumented.note:
            parts.append(rst_text("Note: " + a.undocumented.note) + "\n")
        env = a.envelope
        if not math.isnan(env.low):
            parts.append(
                rst_text(
                    f"Every method together: {interval(env.low, env.high)} "
                    f"({len(env.families)} families: {', '.join(env.families)})."
                )
                + "\n"
            )
        if env.warning:
            parts.append("**" + rst_text(env.warning) + "**\n")
    parts.append(_heading("What every estimate here assumes", "-"))
    parts.append(rst_text(hl.STANDING_CAVEAT) + "\n")
    parts.append(rst_text(hl.AGREEMENT_CAVEAT) + "\n")
    if figure_uri:
        parts.append(_heading("2022 beside 2011", "-"))
        # docutils refuses lines over 10,000 characters; an image URI may span lines (whitespace is dropped)
        chunks = [figure_uri[i : i + 76] for i in range(0, len(figure_uri), 76)]
        parts.append(
            ".. image:: "
            + "\n   ".join(chunks)
            + "\n   :width: 100%\n   :alt: official, documented and estimated, event beside event\n"
        )
    parts.append(_heading("Every estimate, by population", "-"))
    for population, frame in estimates.groupby("population", sort=False):
        sel = frame[frame["stratum"] == "all"]
        rows_est = [
            [
                r.event,
                r.method,
                count(r.n_observed),
                count(r.n_hat) if not _nan(r.n_hat) else "not estimable",
                interval(r.ci_low, r.ci_high),
                len([w for w in str(r.warnings if isinstance(r.warnings, str) else "").split(" | ") if w]),
            ]
            for r in sel.itertuples()
        ]
        parts.append(
            _list_table(
                ["event", "method", "documented", "estimated total", "interval", "warnings"],
                rows_est,
                str(population).replace("_", " "),
            )
        )
    refused = [
        [a.event_label, a.population.replace("_", " "), label, reason]
        for a in answers
        for label, reason in a.not_estimable.items()
    ]
    parts.append(_heading("Not estimable, and why", "-"))
    if refused:
        parts.append(
            rst_text("These estimates could not honestly be made; their figures are left out of the report.")
            + "\n"
        )
        parts.append(_list_table(["event", "population", "method", "why"], refused))
    else:
        parts.append("Every configured method gave an estimate for every table.\n")
    parts.append(
        rst_text(
            "Every estimate carries its interval, its method and settings and its warnings "
            "(results/estimates.csv; results/estimates.xlsx has one sheet per population). "
            "A number without its caveats should not be quoted."
        )
        + "\n"
    )
    return "\n".join(parts)


def _nan(value: Any) -> bool:
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True
