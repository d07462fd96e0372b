"""Benchmark: would a looser rule for two records of one list help, on the demo's detentions?

jan2022 torture falls short of its F1 target (docs/linkage.md, section 3) because
the clustering keeps apart records of one list whose own match probability is
below the threshold. This script measures, on the demo's jan2022 detention
lists (torture is linked with every detention record), what each candidate
relaxation would add: how many pairs of one list below the threshold it would
join, and how many of them are truly one person (``data/demo/truth.csv``).
It also prints how well the model's probabilities of within-list and
cross-list pairs are calibrated, band by band. Only counts are printed, no
names.

Candidate rules (each a pair of one list, probability between the conflict
floor and the threshold, no conflict rule firing):

``missing only``
    every compared field known on both sides agrees and both give the name
    and a place, but the day may be missing on one side (today's rule for an
    entry written twice needs the day on both);
``a day or a year``
    surname, given name, sex and place agree, and nothing else disagrees
    except the day by one or the age by one year (missing fields allowed);
``common third record``
    both records match one record of another list at or above the threshold.

Usage::

    python benchmarks/bench_linkage_within_list.py [--config config/config.yaml]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

#: Bands of match probability of the calibration table.
BANDS = [0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.99, 1.000001]


def measure(
    config_path: str = "config/config.yaml", event: str = "jan2022", threshold: float = 0.5
) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    """(a heading line, the calibration table, the rules table) for the detention lists of ``event``."""
    from undercount.config import POPULATIONS, load_config, population_sources
    from undercount.linkage import link_population_thresholds, read_truth
    from undercount.linkage.core import fit_options
    from undercount.records import read_source

    config = load_config(config_path)
    truth = read_truth(config["linkage"]["truth"])
    kind, _ = POPULATIONS["detentions"]
    records = {s.id: read_source(s) for s in population_sources(config, event, "detentions")}
    options = fit_options(config["linkage"])
    _, fitted = link_population_thresholds(records, kind=kind, flag=None, thresholds=[threshold], **options)
    t = truth[(truth["event"] == event) & (truth["kind"] == kind)]
    lookup = dict(zip(zip(t["source"], t["record_id"]), t["person"]))
    person = np.array([lookup[(s, r)] for s, r in zip(fitted.sources, fitted.record_ids)], dtype=object)
    pairs = fitted.pairs
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    p = pairs["probability"].to_numpy()
    true = person[i] == person[j]
    src = np.asarray(fitted.sources, dtype=object)
    within = src[i] == src[j]

    frame = pd.DataFrame(
        {
            "pairs of": np.where(within, "one list", "two lists"),
            "band": pd.cut(p, BANDS, right=False),
            "true": true,
            "p": p,
        }
    )
    table = frame.groupby(["pairs of", "band"], observed=True).agg(
        pairs=("true", "size"), truly_one_person=("true", "sum"), mean_probability=("p", "mean")
    )
    heading = f"{event} detentions: {fitted.n} records, {len(pairs)} candidate pairs kept (p >= 0.001)"

    floor = fitted.conflicts.probability
    pool = within & (p >= floor) & (p < threshold) & ~fitted.conflict(i, j)
    tab = fitted.features.table
    codes = fitted.features.codes  # name_key, day, surname, given, given_initial, patronymic, ...
    ca, cb = codes[i], codes[j]
    agree = (ca < 0) | (cb < 0) | (ca == cb)
    named = (ca[:, 0] >= 0) & (cb[:, 0] >= 0)
    missing_only = named & ((ca[:, 1] >= 0) | (cb[:, 1] >= 0)) & agree.all(axis=1) & fitted.placed(i, j)

    def close(column: str, most: float) -> np.ndarray:
        x = pd.to_numeric(tab[column], errors="coerce").to_numpy(dtype=float)
        d = np.abs(x[i] - x[j])
        return np.isnan(d) | (d <= most)

    def equal(column: str) -> np.ndarray:
        x = tab[column].astype(object).to_numpy()
        return np.array([a == b for a, b in zip(x[i], x[j])], dtype=bool)

    def fits(column: str) -> np.ndarray:
        x = tab[column].astype(object).to_numpy()
        return np.array([pd.isna(a) or pd.isna(b) or a == b for a, b in zip(x[i], x[j])], dtype=bool)

    day_or_year = (
        equal("surname")
        & equal("given")
        & equal("sex")
        & fits("place")
        & fits("patronymic")
        & close("age", 1)
        & close("day", 1)
    )
    strong = p >= threshold
    neighbours: dict[int, set[int]] = {}
    for a, b in zip(i[strong & ~within], j[strong & ~within]):
        neighbours.setdefault(int(a), set()).add(int(b))
        neighbours.setdefault(int(b), set()).add(int(a))
    third = np.array(
        [bool(neighbours.get(int(a), set()) & neighbours.get(int(b), set())) for a, b in zip(i, j)]
    )

    rows = []
    for name, rule in (
        ("missing only", missing_only),
        ("a day or a year", day_or_year),
        ("common third record", third),
    ):
        sel = pool & rule
        rows.append(
            {
                "rule": name,
                "pairs it would join": int(sel.sum()),
                "truly one person": int((sel & true).sum()),
                "not one person": int((sel & ~true).sum()),
            }
        )
    heading += f"; rules: pairs of one list with {floor} <= p < {threshold} and no conflict"
    return heading, table, pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--config", default="config/config.yaml")
    parser.add_argument("--event", default="jan2022")
    parser.add_argument("--threshold", type=float, default=0.5)
    args = parser.parse_args(argv)
    heading, table, rules = measure(args.config, args.event, args.threshold)
    print(heading)
    print("Calibration: candidate pairs by band of match probability")
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    print("\nCandidate rules")
    print(rules.to_string(index=False))


if __name__ == "__main__":
    main()
