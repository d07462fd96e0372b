"""benchmarks/linkage_draws.py on two small datasets (no coverage asserted: that is the
benchmark's job, run by hand, docs/linkage.md section 13); it runs end to end and what it
writes is what it computed."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import linkage_draws  # noqa: E402


def test_benchmark_runs_on_two_datasets(tmp_path, capsys):
    png, out, pairs = tmp_path / "calibration.png", tmp_path / "part.rows.tsv", tmp_path / "part.pairs.tsv"
    args = ["--datasets", "1", "--R", "3", "--nboot", "20", "--figure", str(png)]
    linkage_draws.main([*args, "--out", str(out), "--pairs-out", str(pairs)])
    text = capsys.readouterr().out
    assert "## Calibration" in text and "## Coverage of N = 320" in text
    rows = pd.read_csv(out, sep="\t")
    # one dataset per noise level: 2 datasets x (mt, loglinear: 3 rows; lcmcr: 2 rows)
    assert len(rows) == 2 * 8
    assert set(rows["linkage"]) == {"single", "single-bootstrap", "averaged"}
    assert set(rows["noise"]) == {"low", "high"}
    assert (rows["ci_low"] <= rows["n_hat"]).all() and (rows["n_hat"] <= rows["ci_high"]).all()
    assert (rows["covered"] == ((rows["ci_low"] <= 320) & (rows["ci_high"] >= 320))).all()
    averaged = rows[rows["linkage"] == "averaged"]
    assert averaged["distinct_tables"].between(1, 3).all()
    assert png.stat().st_size > 10_000
    data = pd.read_csv(png.with_suffix(".tsv"), sep="\t")
    assert set(data["stage"]) == {"before", "after"}
    assert set(data["noise"]) == {"name noise: low", "name noise: high"}
    # the parts it wrote give the same tables when summarised again
    linkage_draws.main([*args, "--combine", str(tmp_path / "part")])
    again = capsys.readouterr().out
    assert again[again.index("## Calibration") :] == text[text.index("## Calibration") :]
