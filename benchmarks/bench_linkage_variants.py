"""Benchmark: F1 of each variant process of the independent generator, one process at a time.

``independent_lists.py`` applies seven variant processes at once (its ``LISTS``).
To tell which of them costs the matcher what, this script makes the same
population with every process switched off ("none"), then with exactly one
switched on at the rates of ``LISTS``, then with all of them ("all"), and links
each set of lists with every engine (``--engines``) in a fresh child process of
``bench_linkage.py`` (same blocking rules, threshold 0.5). Missing fields and
day-off dates are not variant processes here: they stay on in every row.

A process switched off means: ``typos`` no typing errors; ``transliteration``
every record of a list in that list's most common system; ``patronymics`` none
missing or misplaced; ``swap`` no surname/given swap; ``nicknames`` the given
name always in full; ``age_vs_birth`` every list gives an age in years, exact;
``place_levels`` every place given as the city.

Usage::

    python benchmarks/bench_linkage_variants.py --size 10000
    python benchmarks/bench_linkage_variants.py --size 100000 --engines splink --only none all
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

import independent_lists as gen  # noqa: E402

ORIGINAL = gen.LISTS


def _off(style: gen.ListStyle, process: str) -> gen.ListStyle:
    r = dataclasses.replace
    if process == "typos":
        return r(style, typo=0.0)
    if process == "transliteration":
        return r(style, systems=((max(style.systems, key=lambda s: s[1])[0], 1.0),))
    if process == "patronymics":
        return r(style, patronymic_missing=0.0, patronymic_misplaced=0.0)
    if process == "swap":
        return r(style, swap=0.0)
    if process == "nicknames":
        return r(style, nickname=0.0)
    if process == "age_vs_birth":
        return r(style, birth_date=0.0, age_rounded=0.0, age_off=0.0)
    if process == "place_levels":
        return r(style, place_levels=(("city", 1.0),))
    raise ValueError(process)


PROCESSES = ("typos", "transliteration", "patronymics", "swap", "nicknames", "age_vs_birth", "place_levels")


def lists_with(on: set[str]) -> tuple[gen.ListStyle, ...]:
    out = []
    for style in ORIGINAL:
        for process in PROCESSES:
            if process not in on:
                style = _off(style, process)
        out.append(style)
    return tuple(out)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=10_000, help="records, about")
    parser.add_argument("--engines", nargs="+", default=["splink", "probabilistic"])
    parser.add_argument("--only", nargs="+", help="rows to run: none, all, or process names")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rows = [("none", set()), *((p, {p}) for p in PROCESSES), ("all", set(PROCESSES))]
    if args.only:
        rows = [row for row in rows if row[0] in args.only]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, on in rows:
            gen.LISTS = lists_with(on)
            frame, truth = gen.make_lists(int(round(args.size / 1.76)), seed=args.seed)
            frame["_row"] = range(2, len(frame) + 2)
            path = str(Path(tmp) / f"{label}.csv")
            frame.assign(person=truth).to_csv(path, index=False)
            for engine in args.engines:
                out = subprocess.run(
                    [sys.executable, str(HERE / "bench_linkage.py"), "--child", path, "--engine", engine]
                    + ["--kind", "casualty"],
                    capture_output=True,
                    text=True,
                )
                if out.returncode != 0:
                    print(f"... {label} {engine}: failed\n{out.stderr[-2000:]}", file=sys.stderr)
                    continue
                row = {"variant": label, **json.loads(out.stdout.strip().splitlines()[-1])}
                results.append(row)
                print(f"... {label} {engine}: F1 {row['f1']:.3f}", file=sys.stderr, flush=True)
    gen.LISTS = ORIGINAL
    cols = [
        "variant",
        "engine",
        "records",
        "true_persons",
        "persons_found",
        "wall_s",
        "precision",
        "recall",
        "f1",
    ]
    print(
        f"Independent generator, one variant process at a time (about {args.size} records, seed {args.seed}, "
        "threshold 0.5)"
    )
    print(pd.DataFrame(results)[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
