"""Checkpoint stratify: persons of one table -> one capture-history table per stratum.

With multiple imputation (config ``impute``, for schemes made from an imputed
field), every stratum folder holds one table per completed data set
(``imputations/<j>.csv`` and ``.json``) and a summary ``histories.json`` with the
number of values imputed per field; ``imputation.json`` sums them up.
"""

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from undercount import tabular
from undercount.config import POPULATIONS
from undercount.impute import imputation_summary_meta, impute, imputed_strata, imputed_summary
from undercount.linked import caveat, linked_attributes, memberships_matrix, read_linked_records
from undercount.logs import script_logger
from undercount.records import read_records
from undercount.strata import Scheme, person_attributes, stratify, usable


def _write_table(folder: Path, stem: str, table: Any, meta: Mapping[str, Any]) -> None:
    tabular.write_csv(table.to_frame(), folder / f"{stem}.csv", index=False, lineterminator="\n")
    with open(folder / f"{stem}.json", "w", encoding="utf-8") as fh:
        json.dump(meta, fh, indent=2, ensure_ascii=False)
        fh.write("\n")


def main(
    *,
    persons: str,
    records: Sequence[str],
    output: str,
    log: str,
    population: str,
    scheme_name: str,
    sources: Sequence[str],
    scheme: Mapping[str, Any],
    start_date: str,
    usable_rule: Mapping[str, int],
    linkage: str,
    impute_settings: Mapping[str, Any] | None = None,
    impute_seed: int | None = None,
) -> None:
    logger = script_logger(log, "stratify")
    linked = pd.read_csv(persons, dtype=str)
    if linkage == "linked":
        attributes = linked_attributes(read_linked_records(records[0], sources), sources)
    else:
        kind, _flag = POPULATIONS[population]
        by_source = {s: read_records(p, kind) for s, p in zip(sources, records, strict=True)}
        attributes = person_attributes(linked, by_source, kind)
    chosen = Scheme.from_config(scheme_name, scheme, start_date)
    caveats = [caveat(linkage)]
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    summary = []

    def check(meta: dict) -> dict:
        ok, reason = usable(meta["people_per_list"], usable_rule["min_sources"], usable_rule["min_records"])
        return {**meta, "usable": ok, "unusable_reason": reason or None}

    if impute_settings is None:
        tables = stratify(linked, attributes, chosen, sources, caveats)
        for stratum, (table, meta) in tables.items():
            meta = check(meta)
            folder = out / stratum
            folder.mkdir(parents=True, exist_ok=True)
            _write_table(folder, "histories", table, meta)
            summary.append({"stratum": stratum, "n_observed": meta["n_observed"], "usable": meta["usable"]})
            logger.info("%-40s %6d people; usable: %s", stratum, meta["n_observed"], meta["usable"])
    else:
        assert impute_seed is not None
        memberships = memberships_matrix(linked, attributes["person_id"].tolist(), sources)
        fields = list(impute_settings["fields"])
        logger.info(
            "multiple imputation of %s: %d imputations, %d iterations of chained equations",
            ", ".join(fields),
            impute_settings["m"],
            impute_settings["iterations"],
        )
        imputation = impute(
            attributes,
            memberships,
            fields,
            m=int(impute_settings["m"]),
            iterations=int(impute_settings["iterations"]),
            donors=int(impute_settings["donors"]),
            seed=int(impute_seed),
            progress=lambda j, m: logger.info("imputation %d of %d done", j, m),
        )
        for name, count in imputation.counts().items():
            logger.info("values imputed: %-14s %6d of %d persons", name, count, len(attributes))
        per, counts = imputed_strata(linked, imputation, chosen, sources, caveats)
        for stratum in sorted(per[0]):
            folder = out / stratum
            (folder / "imputations").mkdir(parents=True, exist_ok=True)
            metas = []
            for j, tables in enumerate(per, start=1):
                table, meta = tables[stratum]
                meta = check(meta)
                metas.append(meta)
                _write_table(folder / "imputations", f"{j:03d}", table, meta)
            meta = imputation_summary_meta(metas, counts[stratum], sources)
            with open(folder / "histories.json", "w", encoding="utf-8") as fh:
                json.dump(meta, fh, indent=2, ensure_ascii=False)
                fh.write("\n")
            mean = imputed_summary(counts[stratum])
            shown = ", ".join(f"{f} {v['mean']:.1f}" for f, v in mean.items())
            summary.append({"stratum": stratum, "n_observed": meta["n_observed"], "usable": meta["usable"]})
            logger.info(
                "%-40s %8.1f people (mean over imputations); usable in %d of %d; imputed: %s",
                stratum,
                meta["n_observed"],
                sum(m["usable"] for m in metas),
                len(metas),
                shown,
            )
        info = {
            "fields": list(imputation.fields),
            "persons": int(len(attributes)),
            "imputed": imputation.counts(),
            "by_stratum": {s: imputed_summary(c) for s, c in counts.items()},
            "settings": dict(imputation.settings),
        }
        with open(out / "imputation.json", "w", encoding="utf-8") as fh:
            json.dump(info, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
    tabular.write_csv(pd.DataFrame(summary), out / "strata.csv", index=False, lineterminator="\n")
    logger.info(
        "%d persons; %d with conflicting attributes across records",
        len(attributes),
        int((attributes["conflicts"] > 0).sum()),
    )


if "snakemake" in globals():
    main(
        persons=snakemake.input.persons,
        records=snakemake.input.records,
        output=snakemake.output[0],
        log=snakemake.log[0],
        population=snakemake.wildcards.population,
        scheme_name=snakemake.wildcards.scheme,
        sources=snakemake.params.sources,
        scheme=snakemake.params.scheme,
        start_date=snakemake.params.start_date,
        usable_rule=snakemake.params.usable,
        linkage=snakemake.params.linkage,
        impute_settings=snakemake.params.impute,
        impute_seed=snakemake.params.impute_seed,
    )
