"""benchmarks/bench_workflow.py on a handful of strata: the estimate cache in the workflow.

One event of benchmarks/config-large.yaml with 3 regions (3 strata tables x 2 of its methods). One
estimate job per table runs both methods (a cache line each in its log). A cold run estimates
everything. A change to one person of one region reruns only the jobs of that
stratum and of the whole table: Snakemake itself finds the other strata's tables unchanged
(by their checksums). A rerun after ``make clean`` (results, logs and .snakemake gone, the
cache kept) is answered by the cache for every estimate, with the same bytes in every result
file as the runs that computed them. A changed setting of one method reruns every table's job,
and the cache answers the other method.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_workflow  # noqa: E402

pytestmark = pytest.mark.workflow

REGIONS = 3
METHODS = ["mt", "dga"]  # deterministic, with and without draws


def digests(workdir: Path) -> dict[str, str]:
    """SHA-256 of every file under results/ (estimates.csv, every result, draws and total file)."""
    files = sorted(p for p in (workdir / "results").rglob("*") if p.is_file())
    return {str(p.relative_to(workdir)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def test_cache_answers_a_clean_rerun_with_the_same_bytes(tmp_path):
    work = tmp_path / "run"
    config = bench_workflow.prepare(work, events=1, methods=METHODS)
    bench_workflow.write_lists(work, config, REGIONS, duplicates=0.0)
    cache = str(work / ".cache" / "undercount")

    cold = bench_workflow.snakemake(work, "cold", cores=2, cache=cache)
    tables = REGIONS + 1  # every stratum and the whole table: one estimate job each
    estimates = tables * len(METHODS)
    assert cold.estimate_jobs == tables
    assert cold.lookups["miss"] == estimates and cold.lookups["hit"] == 0

    _event, changed = bench_workflow.change_one_source(work, config, 1)
    assert len(changed) == 1
    again = bench_workflow.snakemake(work, "one source changed", cores=2, cache=cache)
    # only the changed stratum and the whole table are estimated again: both are new tables
    assert again.estimate_jobs == 2
    assert again.lookups["miss"] == 2 * len(METHODS) and again.lookups["hit"] == 0
    computed = digests(work)  # every file computed, none taken from the cache
    results = [k for k in computed if "/estimates/" in k and k.endswith((".json", ".draws.csv"))]
    assert len(results) == estimates * 2 and "results/estimates.csv" in computed

    bench_workflow.clean(work)
    rerun = bench_workflow.snakemake(work, "after make clean", cores=2, cache=cache)
    assert rerun.estimate_jobs == tables
    assert rerun.lookups["hit"] == estimates and rerun.lookups["miss"] == rerun.lookups["corrupt"] == 0
    # every estimate file again, each with the bytes it had when it was computed
    rewritten = digests(work)
    assert set(results) <= set(rewritten)
    assert {k: computed[k] for k in rewritten} == rewritten

    # one method's setting changed: every table's job reruns (its params changed), mt is a hit
    path = work / "config" / "large.yaml"
    large = yaml.safe_load(path.read_text("utf-8"))
    large["methods"]["dga"]["settings"]["draws"] = 500
    path.write_text(yaml.safe_dump(large, allow_unicode=True), "utf-8")
    setting = bench_workflow.snakemake(work, "dga setting changed", cores=2, cache=cache)
    assert setting.estimate_jobs == tables
    assert setting.lookups["hit"] == tables and setting.lookups["miss"] == tables
    after = digests(work)
    assert all(after[k] == computed[k] for k in results if "/mt." in k)
    assert any(after[k] != computed[k] for k in results if k.endswith("/dga.draws.csv"))
