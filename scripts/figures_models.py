"""Rule figures_models: every per-table model figure of every configured method, in one process.

Log-linear methods get the Pearson residuals of each table (``residuals/<label>/``);
latent-class methods trace and density, dga the posterior with its graphs
(``lcmcr/<label>/``, ``dga/<label>/``). Which figures a method gets is the
registry's answer (``Method.has_cells``, ``Method.posterior_figures``), passed as
params. A table a method could not estimate gets no image (never a placeholder):
its row of the folder's ``index.tsv`` says why, and the report's first page lists it
under "Not estimable, and why".

One job draws them all: each figure job's Python, pandas, matplotlib and plotnine
start-up cost more than most of its drawing (README, "Figure jobs").
"""

from collections.abc import Mapping, Sequence
from pathlib import Path

from undercount.config import population_label
from undercount.figures import save_figure
from undercount.figures.common import NothingToDraw, write_index
from undercount.figures.posterior import posterior_figure
from undercount.figures.residuals import residuals_or_reason
from undercount.logs import script_logger
from undercount.results import read_result


def residuals(
    *,
    estimates: Sequence[str],
    directory: str | Path,
    tables: Sequence[str],
    label: str,
    event_labels: Mapping[str, str],
    source_labels: Mapping[str, Mapping[str, str]],
    synthetic: Mapping[str, bool],
    logger,
) -> None:
    """Into ``directory``: ``{event}_{population}.png`` per table the method estimated, and ``index.tsv``."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    index = []
    for path, table in zip(estimates, tables, strict=True):
        result = read_result(path)
        event, population = table.split("/")
        name = f"{event}_{population}"
        title = f"{event_labels[event]}, {population_label(population).lower()}: fit of {label}"
        try:
            plot, data = residuals_or_reason(
                result, synthetic=synthetic[table], title=title, labels=source_labels[event]
            )
        except NothingToDraw as none:
            index.append({"table": name, "figure": "residuals", "file": "", "reason": none.reason})
            logger.info("%s %s: no figure (%s)", label, table, none.reason)
            continue
        save_figure(plot, data, out / f"{name}.png", width=8, height=4.5)
        index.append({"table": name, "figure": "residuals", "file": f"{name}.png", "reason": ""})
        logger.info("%s %s: %d cells", label, table, len(data))
    write_index(index, out)


def posterior(
    *,
    estimates: Sequence[str],
    directory: str | Path,
    tables: Sequence[str],
    figures: Sequence[str],
    label: str,
    event_labels: Mapping[str, str],
    synthetic: Mapping[str, bool],
    logger,
) -> None:
    """Into ``directory``: ``{event}_{population}_{figure}.png`` (or ``{event}_{population}.png`` for a
    method with one figure) per estimable table and name in ``figures``, and ``index.tsv``."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    index = []
    for path, table in zip(estimates, tables, strict=True):
        result = read_result(path)
        event, population = table.split("/")
        for figure in figures:
            name = f"{event}_{population}" + (f"_{figure}" if len(figures) > 1 else "")
            title = f"{event_labels[event]}, {population_label(population).lower()}: {label} ({figure})"
            try:
                plot, data = posterior_figure(result, figure, title=title, synthetic=synthetic[table])
            except NothingToDraw as none:
                index.append(
                    {"table": f"{event}_{population}", "figure": figure, "file": "", "reason": none.reason}
                )
                logger.info("%s %s %s: no figure (%s)", label, table, figure, none.reason)
                continue
            save_figure(plot, data, out / f"{name}.png", width=8, height=5.5)
            index.append(
                {"table": f"{event}_{population}", "figure": figure, "file": f"{name}.png", "reason": ""}
            )
            logger.info("%s %s %s: %d rows of figure data", label, table, figure, len(data))
    write_index(index, out)


def main(
    *,
    estimates: Sequence[str],
    folders: Mapping[str, str],
    methods: Mapping[str, Mapping[str, object]],
    tables: Sequence[str],
    event_labels: Mapping[str, str],
    source_labels: Mapping[str, Mapping[str, str]],
    synthetic: Mapping[str, bool],
    log: str,
) -> None:
    """Draw every method of ``methods`` (label -> ``{"kind": ..., "figures": [...]}``, in order).

    ``kind`` is ``residuals``, ``lcmcr`` or ``dga``, and the figures of a label go to
    ``folders[kind]/label``. ``estimates[i * len(tables) + j]`` is the i-th label's
    result of table ``tables[j]``.
    """
    logger = script_logger(log, "figures_models")
    n = len(tables)
    if len(estimates) != n * len(methods):
        raise ValueError(f"{len(estimates)} estimates for {len(methods)} methods of {n} tables")
    for i, (label, method) in enumerate(methods.items()):
        kind = str(method["kind"])
        common = {
            "estimates": estimates[i * n : (i + 1) * n],
            "directory": Path(folders[kind]) / label,
            "tables": tables,
            "label": label,
            "event_labels": event_labels,
            "synthetic": synthetic,
            "logger": logger,
        }
        if kind == "residuals":
            residuals(**common, source_labels=source_labels)
        else:
            posterior(**common, figures=list(method["figures"]))  # type: ignore[call-overload]


if "snakemake" in globals():
    main(
        estimates=snakemake.input.estimates,
        folders=dict(snakemake.output.items()),  # residuals, lcmcr, dga: those a configured method has
        methods=snakemake.params.methods,
        tables=snakemake.params.tables,
        event_labels=snakemake.params.event_labels,
        source_labels=snakemake.params.source_labels,
        synthetic=snakemake.params.synthetic,
        log=snakemake.log[0],
    )
