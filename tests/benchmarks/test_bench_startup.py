"""benchmarks/bench_startup.py on one table and one repetition: it runs, and both sides fit the same model.

No timing is asserted (timings are the script's output, not a test's); what is
checked is that every row is measured and that our N-hat and base R's glm()
N-hat agree to the script's tolerance, so the side-by-side compares one fit.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_startup  # noqa: E402


def test_the_side_by_side_runs_and_the_estimates_agree(capsys):
    if shutil.which("Rscript") is None:
        skip_or_fail("Rscript is not installed (Debian's r-base-core): the R side cannot run")
    code = bench_startup.main(
        ["--tables", "spina_bifida", "--repeat", "1", "--warm", "2", "--no-numba-cache"]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    for row in (
        "python -c pass",
        "Rscript -e 0",
        "undercount estimate --method mt (whole process)",
        "Rscript glm(family = poisson), main effects (whole process)",
        "in one process: first mt fit",  # plain Python since the lean mt path: no numba cache to load
        "in one process: warm glm fit (R)",
    ):
        assert re.search(re.escape(row) + r" \| \d+\.\d{3}", out), row
    agree = re.search(r"\| spina_bifida \| 763\.8879\d+ \| 763\.8879\d+ \| (\S+) agree \|", out)
    assert agree is not None, out
    assert float(agree[1]) <= bench_startup.AGREE_RTOL
