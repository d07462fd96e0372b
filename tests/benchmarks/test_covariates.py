"""The covariate coverage benchmark (benchmarks/covariates.py) on a handful of replicates.

The full study (100 datasets) is run by hand (docs/covariates.md); here 3 small datasets with a
short bootstrap check that the table it prints is what it computed, and that a rerun prints the same.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import covariates  # noqa: E402

ARGS = ["--replicates", "3", "--N", "3000", "--nboot", "40", "--workers", "1", "--quiet"]


def test_the_table_is_what_was_computed(capsys):
    covariates.main(ARGS)
    text = capsys.readouterr().out
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^(\S+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d,]+)\s+(\d+)$", line)
        if m:
            rows[m.group(1)] = [float(g.replace(",", "")) for g in m.groups()[1:]]
    assert set(rows) == set(covariates.METHODS)
    for coverage, se, _, _, failed in rows.values():
        assert coverage in (0.0, 1 / 3, 2 / 3, 1.0) or abs(coverage * 3 - round(coverage * 3)) < 0.01
        assert abs(se - np.sqrt(coverage * (1 - coverage) / 3)) < 0.001
        assert failed == 0
    # (the bias of each method is too noisy to test on 3 datasets: tests/estimators/test_loglinear_cov.py
    # checks the covariate model's against Monte Carlo error on 12)
    covariates.main(ARGS)
    assert capsys.readouterr().out.split("(")[:-1] == text.split("(")[:-1]  # all but the seconds
