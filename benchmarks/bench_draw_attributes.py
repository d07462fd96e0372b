"""Persons' attributes once per linkage draw: the stratify checkpoint's loop against the grouped rule.

Rule stratify_draws gives every draw's persons their attributes from their records
(``undercount.linkage.draw_strata.draw_attributes``), once per draw and scheme; the
stratify checkpoint does it once with ``undercount.strata.person_attributes``, a loop
over persons. Both give the same frame (checked here, and in
``tests/test_linkage_draw_strata.py``). Synthetic records: three lists of
``--records`` each over ``--people`` people, random region, sex, age; prints seconds per
call (best of ``--repeat``) and the ratio, with the load average. Nothing is asserted.

    python benchmarks/bench_draw_attributes.py
    python benchmarks/bench_draw_attributes.py --people 600 --records 300
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from undercount.linkage.draw_strata import _all_records, draw_attributes
from undercount.strata import person_attributes


def records(people: int, per_list: int, seed: int) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    rng = np.random.default_rng(seed)
    by_source, rows = {}, []
    for s in ("a", "b", "c"):
        on = rng.choice(people, size=per_list, replace=False)
        by_source[s] = pd.DataFrame(
            {
                "record_id": [f"{s}{p}" for p in on],
                "region": rng.choice(["x", "y", "z", None], per_list),
                "sex": rng.choice(["M", "F", None], per_list),
                "age": pd.array(rng.integers(10, 80, per_list), dtype="Int64"),
                "date_of_death": rng.choice(["2022-01-05", "2022-01-06"], per_list),
                "_row": np.arange(per_list) + 2,
            }
        )
        rows += [(s, f"{s}{p}", f"d{p}") for p in on]
    return by_source, pd.DataFrame(rows, columns=["source", "record_id", "person_id"])


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=6000)
    ap.add_argument("--records", type=int, default=3000, help="records per list")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    by_source, persons = records(args.people, args.records, args.seed)
    table = _all_records(by_source)
    pd.testing.assert_frame_equal(
        draw_attributes(persons, table, "casualty"), person_attributes(persons, by_source, "casualty")
    )
    loop = best(lambda: person_attributes(persons, by_source, "casualty"), args.repeat)
    grouped = best(lambda: draw_attributes(persons, table, "casualty"), args.repeat)
    n = persons["person_id"].nunique()
    print(f"load average (after the timings): {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print("| persons | records | person_attributes s | draw_attributes s | ratio |")
    print("|---|---|---|---|---|")
    print(f"| {n} | {len(persons)} | {loop:.3f} | {grouped:.3f} | {loop / grouped:.1f} |")


if __name__ == "__main__":
    main()
