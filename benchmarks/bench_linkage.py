"""Benchmark: linkage of 10,000 to 1,000,000 synthetic records across 4 sources, Splink and numpy.

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

The demo generator's surname pool (about 130 surnames) makes nearly everyone a
namesake of someone at 100,000 records and more, which no list of real victims
looks like; the benchmark widens it (``--pool``, default 2,000 surnames: every root
of the pool joined with a second root's first syllable, "Жагипар" + "Нұр" ->
"Жагипарнұр") inside the benchmark only; ``--pool 0`` keeps the demo's pool.

Each engine (``--engines splink probabilistic``) runs in its own child process;
the numpy engine is skipped above ``--numpy-max`` records (its candidate pairs no
longer fit in memory).

Usage::

    python benchmarks/bench_linkage.py                          # 10k, 100k and 1M records
    python benchmarks/bench_linkage.py --sizes 100000 --engines splink
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
#: The default rules, but given name + day also needs the surname's initial: at 1,000,000
#: records given name + day alone proposes more pairs than linkage.max_pairs (and stops).
BLOCKING = [
    ("surname", "given_initial"),
    ("given", "surname_initial", "day"),
    ("surname", "day"),
    ("name_key",),
]


def widen_surnames(size: int) -> None:
    """Replace the generator's surname pool by ``size`` compound surnames (benchmark only)."""
    import undercount.simulate as sim

    roots = sim.SURNAME_ROOTS
    out = []
    for a in roots:
        for b in roots:
            if a != b and len(out) < size:
                part = b[:3].lower()
                root = a + part
                out.append((sim.russian_surname(root), root))
    sim.SURNAMES[:] = out


def make_records(target: int, seed: int = 1, pool: int = 2000) -> tuple[pd.DataFrame, int]:
    """About ``target`` canonical detention records across 4 sources, with the true person of each."""
    from undercount.records import SourceSpec, canonicalise
    from undercount.simulate import DETENTION_HEADERS_EN, SourceDesign, designs, simulate_population

    if pool:
        widen_surnames(pool)

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


def independent_records(target: int, seed: int = 7) -> pd.DataFrame:
    """About ``target`` casualty records from the independent generator (``independent_lists.py``)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from independent_lists import make_lists

    # about 1.75 records per person (four lists: 0.6 + 0.45 + 0.4 + 0.3, duplicates)
    frame, truth = make_lists(int(round(target / 1.76)), seed=seed)
    frame["_row"] = range(2, len(frame) + 2)
    return frame.assign(person=truth)


def child(path: str, engine: str, kind: str = "detention") -> None:
    """Link the records in ``path`` with one engine and print what was measured as JSON."""
    from undercount.linkage import fit_linkage, pairwise_accuracy
    from undercount.records import read_records

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    truth = frame.pop("person").tolist()
    sources = frame.pop("source")
    frame.to_csv(path + ".records.csv", index=False)
    records = read_records(path + ".records.csv", kind).assign(source=sources.to_numpy())
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    date = "date_detained" if kind == "detention" else "date_of_death"
    fitted = fit_linkage(records, date_column=date, method=engine, blocking=BLOCKING)
    persons = fitted.persons(THRESHOLD)
    wall = time.perf_counter() - start
    acc = pairwise_accuracy(persons["person_id"], truth)
    print(
        json.dumps(
            {
                "engine": engine,
                "records": len(records),
                "sources": int(sources.nunique()),
                "wall_s": wall,
                "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "rss_before_mib": baseline / 1024,
                "pairs": int(len(fitted.i)),
                "em_iterations": fitted.model.iterations if fitted.model is not None else 0,
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
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--engines", nargs="+", default=["splink", "probabilistic"])
    parser.add_argument("--numpy-max", type=int, default=150_000)
    parser.add_argument("--pool", type=int, default=2000, help="surnames in the widened pool (0: the demo's)")
    parser.add_argument(
        "--generator", choices=("demo", "independent"), default="demo", help="which generator makes the lists"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--kind", default="detention", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.engine, args.kind)
        return
    kind = "detention" if args.generator == "demo" else "casualty"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            t0 = time.perf_counter()
            if args.generator == "demo":
                records, _total = make_records(size, pool=args.pool)
            else:
                records = independent_records(size)
            made = time.perf_counter() - t0
            path = str(Path(tmp) / f"records_{size}.csv")
            records.to_csv(path, index=False)
            for engine in args.engines:
                if engine == "probabilistic" and len(records) > args.numpy_max:
                    print(f"... {size}: numpy engine skipped (above --numpy-max)", file=sys.stderr)
                    continue
                out = subprocess.run(
                    [sys.executable, __file__, "--child", path, "--engine", engine, "--kind", kind],
                    capture_output=True,
                    text=True,
                )
                if out.returncode != 0:
                    print(f"... {size} {engine}: failed\n{out.stderr[-2000:]}", file=sys.stderr)
                    continue
                row = json.loads(out.stdout.strip().splitlines()[-1])
                row["simulated_s"] = made
                rows.append(row)
                print(f"... {size} {engine}: {json.dumps(row)}", file=sys.stderr, flush=True)
    table = pd.DataFrame(rows)
    cols = [
        "engine",
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
        f"Linkage ({args.generator} generator, threshold {THRESHOLD}, surname pool "
        f"{args.pool or 'demo' if args.generator == 'demo' else 'its own'}), one child process per size "
        "and engine; "
        f"wall = linking only; peak RSS includes the interpreter (rss_before)."
    )
    print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
