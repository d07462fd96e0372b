"""Rule answer: the report's landing page, the comparison figure and estimates.xlsx.

Which table each histories summary and result file belongs to comes as params,
in the order of the inputs: nothing is read off a path.
"""

import base64
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from undercount import tabular
from undercount.figures import save_figure
from undercount.figures.answer import events_compared_figure
from undercount.landing import answer, answers_table, landing_rst
from undercount.logs import script_logger
from undercount.results import read_result


def main(
    *,
    histories: Sequence[str],
    results: Sequence[str],
    estimates: str,
    reported: str | None,
    tables: Sequence[Mapping[str, Any]],
    labels: Sequence[str],
    headline: str,
    level: float,
    synthetic_tables: Sequence[str],
    landing: str,
    table: str,
    png: str,
    xlsx: str,
    log: str,
) -> None:
    """``tables[i]`` (event, population, event_label, official_source, synthetic) names ``histories[i]``;
    ``results`` holds, table after table, one result per label of ``labels``."""
    logger = script_logger(log, "answer")
    if len(histories) != len(tables) or len(results) != len(tables) * len(labels):
        raise ValueError(f"{len(histories)} summaries and {len(results)} results for {len(tables)} tables")
    import json

    frame = pd.read_csv(estimates)
    reported_frame = pd.read_csv(reported, dtype={"value": float}) if reported else None
    answers = []
    for i, (entry, path) in enumerate(zip(tables, histories, strict=True)):
        with open(path, encoding="utf-8") as fh:
            meta = json.load(fh)
        chunk = results[i * len(labels) : (i + 1) * len(labels)]
        by_label = {label: read_result(p) for label, p in zip(labels, chunk, strict=True)}
        a = answer(
            event=entry["event"],
            event_label=entry["event_label"],
            population=entry["population"],
            meta=meta,
            results=by_label,
            reported=reported_frame,
            official_source=entry["official_source"],
            headline=headline,
            synthetic=bool(entry["synthetic"]),
            level=level,
        )
        answers.append(a)
        logger.info(
            "%s/%s: headline %s (%s)", a.event, a.population, a.choice.label or "none", a.choice.reason
        )
        if a.envelope.warning:
            logger.warning("%s/%s: %s", a.event, a.population, a.envelope.warning)
    plot, data = events_compared_figure(answers, level, bool(synthetic_tables))
    save_figure(plot, data, png, width=8, height=2.6 * ((len(answers) + 1) // 2) + 1.5)
    header, rows = answers_table(answers)
    tabular.write_csv(pd.DataFrame(rows, columns=header), table, sep="\t")
    with open(png, "rb") as fh:
        uri = "data:image/png;base64," + base64.b64encode(fh.read()).decode("ascii")
    text = landing_rst(answers, synthetic_tables=synthetic_tables, figure_uri=uri, estimates=frame)
    with open(landing, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    sheets = {str(p): part.reset_index(drop=True) for p, part in frame.groupby("population", sort=False)}
    tabular.write_xlsx(sheets, xlsx)
    logger.info("%d tables answered; %d sheets in %s", len(answers), len(sheets), xlsx)


if "snakemake" in globals():
    main(
        histories=snakemake.input.histories,
        results=snakemake.input.results,
        estimates=snakemake.input.estimates,
        reported=snakemake.input.reported or None,
        tables=snakemake.params.tables,
        labels=snakemake.params.labels,
        headline=snakemake.params.headline,
        level=snakemake.params.level,
        synthetic_tables=snakemake.params.synthetic_tables,
        landing=snakemake.output.landing,
        table=snakemake.output.table,
        png=snakemake.output.png,
        xlsx=snakemake.output.xlsx,
        log=snakemake.log[0],
    )
