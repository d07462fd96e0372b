"""benchmarks/bench_workflow.py on a handful of strata: the estimate cache in the workflow.

One event of benchmarks/config-large.yaml with 4 regions (4 strata tables x 4 methods). A cold
run estimates everything; a change to one person of one region reruns every stratum's jobs
(the stratify checkpoint rewrites its tables), and the cache answers for the 3 regions whose
tables the change left as they were. A run without the cache then gives the same bytes in
every result file.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_workflow  # noqa: E402

pytestmark = pytest.mark.workflow

REGIONS = 4
METHODS = 4  # mt, chapman, mth-chao, dga: all deterministic


def digests(workdir: Path) -> dict[str, str]:
    """SHA-256 of results/estimates.csv and of every result and draws file."""
    files = [workdir / "results/estimates.csv", *sorted((workdir / "results").rglob("estimates/**/*.*"))]
    return {
        str(p.relative_to(workdir)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files if p.is_file()
    }


def test_cache_answers_for_unchanged_strata_with_the_same_bytes(tmp_path):
    work = tmp_path / "run"
    config = bench_workflow.prepare(work, events=1)
    bench_workflow.write_lists(work, config, REGIONS, duplicates=0.0)
    cache = str(work / ".cache" / "undercount")

    cold = bench_workflow.snakemake(work, "cold", cores=2, cache=cache)
    estimates = (REGIONS + 1) * METHODS  # every stratum and the whole table
    assert cold.estimate_jobs == estimates
    assert cold.lookups["miss"] == estimates and cold.lookups["hit"] == 0

    event, changed = bench_workflow.change_one_source(work, config, 1)
    assert len(changed) == 1
    warm = bench_workflow.snakemake(work, "one source changed", cores=2, cache=cache)
    # Snakemake reruns every job downstream of the changed table ...
    assert warm.estimate_jobs == estimates
    # ... and the cache estimates only the changed region and the whole table again
    assert warm.lookups["miss"] == 2 * METHODS
    assert warm.lookups["hit"] == (REGIONS - 1) * METHODS
    assert warm.lookups["corrupt"] == 0
    cached = digests(work)
    assert len(cached) >= estimates * 2 + 1

    # the same lists without the cache: byte-identical results
    plain = tmp_path / "plain"
    bench_workflow.prepare(plain, events=1)
    shutil.copytree(work / "data", plain / "data", dirs_exist_ok=True)
    off = bench_workflow.snakemake(plain, "off", cores=2, cache="off")
    assert off.lookups["off"] == estimates and off.lookups["hit"] == off.lookups["miss"] == 0
    assert digests(plain) == cached
