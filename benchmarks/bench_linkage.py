"""Benchmark: probabilistic linkage of up to 100,000 synthetic records across 4 sources.

Builds synthetic detention lists with the demo generator's functions
(``undercount.simulate``: the same name pools, romanisations, name orders,
missing fields, day-off dates and duplicates), scaled up: the January 2022
detention design with a fourth source (a press list in English and German
spellings), a larger true population and detentions spread over 60 days
instead of 10 (a longer event; with 10 days the fixed name pools would make
most people namesakes of someone detained the same day). Nothing is written
to the repository.

Each size is linked in a fresh child process, which reports the wall time of
linking alone (reading the records, blocking, comparing, EM, clustering at
one threshold), its peak resident memory (``ru_maxrss``, which includes the
interpreter with numpy and pandas loaded) and the pairwise F1 against the
generator's truth.

Usage::

    python benchmarks/bench_linkage.py                 # 10k, 30k and 100k records
    python benchmarks/bench_linkage.py --sizes 100000  # one size
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

THRESHOLD = 0.5


def make_records(target: int, seed: int = 1) -> tuple[pd.DataFrame, int]:
    """About ``target`` canonical detention records across 4 sources, with the true person of each."""
    from undercount.records import SourceSpec, canonicalise
    from undercount.simulate import DETENTION_HEADERS_EN, SourceDesign, designs, simulate_population

    base = next(d for d in designs() if d.event == "jan2022" and d.kind == "detention")
    press = SourceDesign(
        id="press",
        label="Press (synthetic)",
        filename="press.csv",
        systems={"english": 0.6, "german": 0.4},
        order="GS",
        headers=DETENTION_HEADERS_EN,
        id_prefix="PR-",
        id_width=6,
        missing={"sex": 0.3, "age": 0.5, "date_detained": 0.2, "facility": 0.8},
        date_error=0.05,
        age_error=0.1,
        surname_variant=0.1,
        place_style="latin",
    )
    sources = tuple(
        replace(
            s,
            headers=DETENTION_HEADERS_EN,
            date_format="%Y-%m-%d",
            sex_words=("M", "F"),
            bool_words=("yes", "no"),
            id_width=6,
        )
        for s in base.sources
    ) + (press,)
    groups = tuple(
        replace(g, capture=g.capture | {"press": 0.1 if g.name != "activists" else 0.3}) for g in base.groups
    )
    # about 0.95 records per person (measured: mvd 0.58, press 0.13, ngo and lawyers
    # with the tortured seeking them out, duplicates)
    total = int(round(target / 0.95))
    days = tuple([1.0] * 60)
    design = replace(base, total=total, sources=sources, groups=groups, day_weights=days)
    _people, simulated = simulate_population(design, np.random.default_rng(seed))
    frames = []
    for sim in simulated:
        spec = SourceSpec(id=sim.design.id, path=f"<{sim.design.id}>", kind="detention")
        records = canonicalise(sim.frame, spec).assign(source=sim.design.id)
        frames.append(records.merge(sim.truth[["record_id", "person"]], on="record_id", how="left"))
    return pd.concat(frames, ignore_index=True), total


def child(path: str) -> None:
    """Link the records in ``path`` and print what was measured as JSON."""
    from undercount.linkage import fit_linkage, pairwise_accuracy
    from undercount.records import read_records

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    truth = frame.pop("person").tolist()
    sources = frame.pop("source")
    frame.to_csv(path + ".records.csv", index=False)
    records = read_records(path + ".records.csv", "detention").assign(source=sources.to_numpy())
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    fitted = fit_linkage(records, date_column="date_detained")
    persons = fitted.persons(THRESHOLD)
    wall = time.perf_counter() - start
    acc = pairwise_accuracy(persons["person_id"], truth)
    print(
        json.dumps(
            {
                "records": len(records),
                "sources": int(sources.nunique()),
                "wall_s": wall,
                "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "rss_before_mib": baseline / 1024,
                "pairs": int(len(fitted.i)),
                "em_iterations": fitted.model.iterations,
                "precision": acc["precision"],
                "recall": acc["recall"],
                "f1": acc["f1"],
                "persons_found": acc["persons_found"],
                "true_persons": acc["true_persons"],
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            t0 = time.perf_counter()
            records, total = make_records(size)
            made = time.perf_counter() - t0
            path = str(Path(tmp) / f"records_{size}.csv")
            records.to_csv(path, index=False)
            out = subprocess.run(
                [sys.executable, __file__, "--child", path], capture_output=True, text=True, check=True
            )
            row = json.loads(out.stdout.strip().splitlines()[-1])
            row["simulated_s"] = made
            rows.append(row)
            print(f"... {size}: done", file=sys.stderr)
    table = pd.DataFrame(rows)
    cols = [
        "records",
        "sources",
        "true_persons",
        "persons_found",
        "pairs",
        "wall_s",
        "peak_rss_mib",
        "rss_before_mib",
        "em_iterations",
        "precision",
        "recall",
        "f1",
    ]
    print(
        f"Probabilistic linkage (threshold {THRESHOLD}), one child process per size; "
        f"wall = linking only; peak RSS includes the interpreter (rss_before)."
    )
    print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
