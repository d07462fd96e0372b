"""Every fixed log-linear model's result on every table of ``benchmarks/tables``, as JSON lines.

Usage::

    PYTHONPATH=src python benchmarks/fixed_models_snapshot.py > after.jsonl
    PYTHONPATH=/path/to/other/checkout/src python benchmarks/fixed_models_snapshot.py > before.jsonl
    python benchmarks/fixed_models_snapshot.py --compare before.jsonl after.jsonl

A fixed model is one whose design is decided before the data are seen: mt, a stated
``loglinear`` formula, and Rcapture's heterogeneity models (m0, mh-*, mth-*). Each runs with
both intervals (profile, lognormal) at levels 0.95 and 0.8, and the stated formulas with both
empty-overlap rules. The snapshot is every number and word of ``to_dict()``; ``--compare``
prints, per field, how many results differ and the largest relative difference, so a change
meant to leave numbers alone can show they are byte-identical (or by how little they move).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

TABLES = Path(__file__).resolve().parent / "tables"
CLOSED = ("m0", "mh-chao", "mh-poisson", "mh-darroch", "mh-gamma", "mth-chao", "mth-poisson", "mth-darroch")


def _formulas(lists: list[str]) -> list[str]:
    k = len(lists)
    out = ["(.)^2"] if k > 3 else []
    out.append(f"{lists[0]}*{lists[1]} + " + " + ".join(lists[2:]))
    if k >= 4:
        out.append(f"{lists[0]}*{lists[1]} + {lists[2]}*{lists[3]}" + "".join(f" + {x}" for x in lists[4:]))
    return out


def snapshot() -> None:
    from undercount.errors import UndercountError
    from undercount.estimators import estimate
    from undercount.histories import CaptureTable

    for path in sorted(TABLES.glob("*.csv")):
        if path.name == "reference_R.csv":
            continue
        table = CaptureTable.from_csv(path)
        with open(path, newline="") as f:
            lists = next(csv.reader(f))[:-1]
        runs: list[tuple[str, str | None, dict]] = []
        for interval in ("profile", "lognormal"):
            runs.append(("mt", None, {"interval": interval}))
            for name in CLOSED:
                runs.append((name, None, {"interval": interval}))
            for formula in _formulas(lists):
                for eo in ("fail", "minus-infinity"):
                    runs.append(("loglinear", formula, {"interval": interval, "empty_overlaps": eo}))
        for method, model, settings in runs:
            for level in (0.95, 0.8):
                key = f"{path.stem} {method} {model or ''} {json.dumps(settings, sort_keys=True)} {level}"
                try:
                    r = estimate(table, method, model=model, settings=settings, level=level)
                    out = r.to_dict()
                except UndercountError as e:
                    out = {"error": str(e)}
                print(json.dumps({"key": key, "result": out}, sort_keys=True))


def _flat(d, prefix=""):
    if isinstance(d, dict):
        for k, v in d.items():
            yield from _flat(v, f"{prefix}.{k}" if prefix else k)
    elif isinstance(d, list):
        for v in d:
            yield from _flat(v, f"{prefix}[]")
    else:
        yield prefix, d


def compare(before: Path, after: Path) -> int:
    a = {}
    for line in before.read_text().splitlines():
        row = json.loads(line)
        a[row["key"]] = row
    b = {json.loads(line)["key"]: json.loads(line) for line in after.read_text().splitlines()}
    if set(a) != set(b):
        print(f"different runs: {sorted(set(a) ^ set(b))[:5]}")
        return 1
    identical = sum(json.dumps(a[k]) == json.dumps(b[k]) for k in a)
    print(f"{len(a)} results, {identical} byte-identical")
    worst: dict[str, list] = {}
    other = 0
    for key in a:
        fa, fb = list(_flat(a[key]["result"])), list(_flat(b[key]["result"]))
        if [f for f, _ in fa] != [f for f, _ in fb]:
            print(f"  fields differ: {key}")
            other += 1
            continue
        for (field, x), (_, y) in zip(fa, fb):
            if x == y:
                continue
            if isinstance(x, float) and isinstance(y, float):
                rel = abs(x - y) / max(abs(x), abs(y), 1e-300)
                w = worst.setdefault(field, [0, 0.0, ""])
                w[0] += 1
                if rel > w[1]:
                    w[1], w[2] = rel, key
            else:
                print(f"  {key} {field}: {x!r} -> {y!r}")
                other += 1
    if worst:
        print("| field | values that differ | largest relative difference | where |")
        print("|---|---|---|---|")
        for field, (count, rel, key) in sorted(worst.items()):
            print(f"| {field} | {count} | {rel:.2e} | {key} |")
    return 1 if other else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args()
    if args.compare:
        sys.exit(compare(*args.compare))
    snapshot()
