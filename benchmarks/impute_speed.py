"""Speed of multiple imputation: m imputations x 10 strata x log-linear (mt) and dga on a 30,000-person table.

The table is simulated (:func:`undercount.simulate.simulate_person_table`, enough
people for about 30,000 documented), written to CSV and read back as a linked table;
strata are sex x 5 age bands (10 strata). Timed, one process, as the command line
runs it: reading, the m imputations (chained equations), the strata of every
imputation, then per method the 10 x m estimates and the pools (every stratum, and
the total over strata, which dga's draws allow and mt's absence of draws refuses).
In the workflow the per-stratum jobs run in parallel (profiles/ sets the cores).

Run: ``nice -n 10 python benchmarks/impute_speed.py [--m 20] [--persons 30000]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np


def main(argv: list[str] | None = None) -> None:
    from undercount.impute import (
        estimate_imputations,
        imputation_seed,
        impute,
        imputed_strata,
        pool,
        pooled_total,
    )
    from undercount.linked import linked_attributes, linked_persons
    from undercount.records import SourceSpec, read_source
    from undercount.simulate import simulate_person_table
    from undercount.strata import Scheme

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--m", type=int, default=20)
    parser.add_argument("--persons", type=int, default=30000, help="documented persons (about)")
    args = parser.parse_args(argv)
    rows = []
    lists = ["A", "B", "C"]

    def step(name: str, start: float) -> None:
        rows.append((name, time.perf_counter() - start))
        print(f"{name}: {rows[-1][1]:.1f} s", flush=True)

    table, _ = simulate_person_table(np.random.default_rng(1), int(args.persons / 0.49))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "persons.csv"
        table.to_csv(path, index=False)
        t = time.perf_counter()
        frame = read_source(SourceSpec(id="p", path=str(path), kind="linked", lists=tuple(lists)))
        step(f"read the linked table ({len(frame):,} persons)", t)
    t = time.perf_counter()
    attributes = linked_attributes(frame, lists)
    persons = linked_persons(frame, lists)
    members = frame.set_index("person_id").loc[attributes["person_id"], lists].to_numpy()
    imputation = impute(attributes, members, ["sex", "age"], m=args.m, seed=1)
    step(f"{args.m} imputations of sex and age (10 iterations)", t)
    t = time.perf_counter()
    scheme = Scheme.from_config(
        "s", {"by": ["sex", "age_band"], "age_bands": [0, 18, 35, 50, 65, 121]}, "2020-01-01"
    )
    per, _counts = imputed_strata(persons, imputation, scheme, lists)
    names = sorted(per[0])
    step(f"strata of every imputation ({len(names)} strata)", t)
    for method, settings in (("mt", {}), ("dga", {"progress": False})):
        t = time.perf_counter()
        results = {
            s: estimate_imputations(
                [tables[s] for tables in per], method=method, settings=settings, seed=imputation_seed(2, s)
            )
            for s in names
        }
        step(f"{method}: {len(names)} strata x {args.m} imputations estimated", t)
        t = time.perf_counter()
        for s in names:
            pool(results[s], rng=np.random.default_rng(3))
        total, _ = pooled_total([{s: results[s][j] for s in names} for j in range(args.m)], seed=4)
        step(f"{method}: pooled (strata and total)", t)
    print()
    print(f"{'step':<60} {'seconds':>8}")
    for name, seconds in rows:
        print(f"{name:<60} {seconds:>8.1f}")
    print(f"{'total':<60} {sum(s for _, s in rows):>8.1f}")


if __name__ == "__main__":
    main()
