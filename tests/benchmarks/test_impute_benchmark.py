"""The validation and speed scripts of multiple imputation (benchmarks/impute*.py) on a few replicates.

The full runs are by hand (docs/imputation.md); here the validation runs on two
small datasets with mt (no draws: strata only) and one with dga (the total), and
the tests check that the printed table is what the datasets gave; the speed
script runs on a small table.
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import impute as validation  # noqa: E402
import impute_speed  # noqa: E402

LINE = re.compile(
    r"^(complete cases|unknown stratum|multiple imputation|no gaps \(reference\))\s+(\S+)\s+(\S+)"
)


def _lines(text: str) -> list[tuple[str, float, float]]:
    return [(m[1], float(m[2]), float(m[3])) for m in map(LINE.match, text.splitlines()) if m]


def test_validation_prints_what_the_datasets_gave(capsys):
    validation.main(["--datasets", "2", "--n", "1500", "--m", "2", "--method", "mt"])
    text = capsys.readouterr().out
    lines = _lines(text)
    assert len(lines) == 8  # the total, then the strata: four ways each
    totals, strata = lines[:4], lines[4:]
    assert all(cov == 0.0 for _, cov, _ in totals)  # mt has no draws: no total, counted as misses
    assert "no estimate" in text and text.count("2 datasets") == 1
    rows = [validation.one((i, 1500, 2, 1000, "mt")) for i in range(2)]
    for way, coverage, se in strata:
        pairs = [(row[way]["strata"][s], n) for row in rows for s, n in row["truth"]["strata"].items()]
        hits = [lo <= n <= hi for (n_hat, lo, hi), n in pairs if math.isfinite(n_hat)]
        assert coverage == pytest.approx(sum(hits) / len(pairs), abs=5e-4)
        assert se == pytest.approx(math.sqrt(coverage * (1 - coverage) / len(pairs)), abs=5e-4)
    # the reference is the table before blanking: every stratum's true size is its people
    row = rows[0]
    assert len(row["truth"]["strata"]) == 8 and row["truth"]["total"] == sum(row["truth"]["strata"].values())


def test_validation_with_draws_gives_a_total(capsys):
    row = validation.one((0, 1500, 2, 200, "dga"))
    for way in validation.WAYS:
        n_hat, low, high = row[way]["total"]
        assert math.isfinite(n_hat) and low <= n_hat <= high
    assert 0.0 <= row["between"]["total"] <= 1.0
    # complete cases lose the people with a blank field, so their total is below the documented count's
    assert row["complete cases"]["total"][0] < row["no gaps (reference)"]["total"][0]


def test_speed_script_prints_its_table(capsys):
    impute_speed.main(["--m", "2", "--persons", "1500"])
    text = capsys.readouterr().out
    for step in (
        "read the linked table",
        "2 imputations",
        "strata of every imputation",
        "mt:",
        "dga:",
        "total",
    ):
        assert step in text
    assert np.isfinite(float(text.strip().splitlines()[-1].split()[-1]))
