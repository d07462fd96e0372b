"""Time to read and validate source lists (the check that runs before any job).

Reads each demo list (config/config.yaml) and two generated lists of ``--rows`` records, a
UTF-8 CSV and an XLSX (with and without a merged title above the header, which takes
openpyxl's full reader), and prints the fastest of ``--repeat`` reads of each.

    python benchmarks/bench_ingest.py
    PYTHONPATH=<other checkout>/src python benchmarks/bench_ingest.py   # the same lists, other code

The machine is shared: compare numbers measured in one run, and rerun when the load average
(printed) is high.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fastest(action, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def generated(folder: Path, rows: int) -> dict[str, tuple[Path, int]]:
    """A CSV and two XLSX lists of ``rows`` records: name -> (path, header row)."""
    from openpyxl import Workbook

    header = ["record_id", "full_name", "sex", "age", "date_of_death", "place"]
    body = [
        [f"a{i}", f"Фамилия{i} Имя{i % 97}", "M", 20 + i % 60, datetime(2022, 1, 5), "Алматы"]
        for i in range(rows)
    ]
    csv = folder / "list.csv"
    lines = [",".join(header)] + [",".join(map(str, r[:4])) + ",2022-01-05," + r[5] for r in body]
    csv.write_text("\n".join(lines) + "\n", "utf-8")
    out = {f"csv, {rows:,} rows": (csv, 1)}
    for title in (False, True):
        book = Workbook()
        sheet = book.active
        if title:
            sheet.append(["Список"])
            sheet.merge_cells("A1:F1")
        sheet.append(header)
        for r in body:
            sheet.append(r)
        path = folder / f"list{int(title)}.xlsx"
        book.save(path)
        out[f"xlsx, {rows:,} rows" + (", merged title" if title else "")] = (path, 2 if title else 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import undercount
    from undercount.config import load_config, sources
    from undercount.records import SourceSpec, read_source

    print(f"undercount from {Path(undercount.__file__).parent}; load average {os.getloadavg()[0]:.2f}")
    print(f"{'list':<44} {'records':>8} {'seconds':>8}")
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        config = load_config(ROOT / "config" / "config.yaml")
        for event in config["events"]:
            for spec in sources(config, event):
                n = len(read_source(spec))
                print(
                    f"{Path(spec.path).name:<44} {n:>8} {fastest(lambda s=spec: read_source(s), args.repeat):>8.3f}"
                )
    finally:
        os.chdir(cwd)
    with tempfile.TemporaryDirectory() as folder:
        for name, (path, header_row) in generated(Path(folder), args.rows).items():
            try:
                spec = SourceSpec(id="s", path=str(path), kind="casualty", header_row=header_row)
            except TypeError:  # code without header_row: the list without a title only
                if header_row != 1:
                    continue
                spec = SourceSpec(id="s", path=str(path), kind="casualty")
            n = len(read_source(spec))
            print(f"{name:<44} {n:>8} {fastest(lambda s=spec: read_source(s), args.repeat):>8.3f}")


if __name__ == "__main__":
    main()
