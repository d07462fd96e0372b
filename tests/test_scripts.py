"""The workflow's scripts: each is a main(...) that tests can call, and that Snakemake can run."""

import importlib.util
import json

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, TABLES

from undercount.results import read_result

SCRIPTS = sorted((ROOT / "scripts").glob("*.py"))
#: scripts without a main(...): none left (kept so that a new exception has to be named here)
NOT_YET: set[str] = set()


def load(name: str):
    """Import scripts/<name>.py as a module: without Snakemake's `snakemake` object, nothing runs."""
    spec = importlib.util.spec_from_file_location(f"script_{name}", ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_scripts_can_be_run_by_snakemake(path):
    text = path.read_text("utf-8")
    # Snakemake puts its preamble above the script: a __future__ import after a docstring breaks it
    assert "from __future__" not in text, path.name
    if path.name not in NOT_YET:
        assert "def main(" in text and 'if "snakemake" in globals():' in text, path.name
        assert callable(load(path.stem).main)


def test_estimate_then_total_then_gather(tmp_path):
    estimate, total, gather = load("estimate"), load("stratified_total"), load("gather_estimates")
    table = tmp_path / "histories.csv"
    table.write_bytes((TABLES / "HIV.csv").read_bytes())
    meta = tmp_path / "histories.json"
    meta.write_text(json.dumps({"notes": ["a table note"], "lists": ["c1", "c2", "c3", "c4"]}))
    paths = []
    for stratum, seed in (("a", 1), ("b", 2)):
        out = tmp_path / f"{stratum}.json"
        results = estimate.main(
            table=str(table),
            meta=str(meta),
            estimates=[str(out)],
            draws=[str(tmp_path / f"{stratum}.draws.csv")],
            log=str(tmp_path / "logs" / f"{stratum}.log"),
            methods={"sw": {"method": {"method": "stepwise-bca", "settings": {"nboot": 20}}, "seed": seed}},
            level=0.95,
        )
        result = results["sw"]
        assert read_result(out) == result and result.caveats == ("a table note",)
        draws = pd.read_csv(tmp_path / f"{stratum}.draws.csv")
        assert list(draws.columns) == ["chain", "draw", "N"] and len(draws) == 20
        np.testing.assert_allclose(draws["N"], result.draws.pooled, rtol=1e-9)
        paths.append(str(out))
    summed = total.main(
        strata=["a", "b"],
        estimates=paths,
        total=str(tmp_path / "total.json"),
        log=str(tmp_path / "logs" / "total.log"),
        seed=7,
        level=0.95,
    )
    assert summed.n_observed == 2 * 1896 and read_result(tmp_path / "total.json") == summed
    assert "a table note" in summed.caveats  # a caveat of every stratum, once
    entries = [
        {"event": "e", "population": "deaths", "stratum": s, "label": "sw", "synthetic": True}
        for s in ("city:a", "city:b", "city:total")
    ]
    frame = gather.main(
        estimates=paths + [str(tmp_path / "total.json")],
        entries=entries,
        output=str(tmp_path / "estimates.csv"),
        log=str(tmp_path / "logs" / "gather.log"),
    )
    assert list(frame["stratum"]) == ["city:a", "city:b", "city:total"] and frame["synthetic"].all()
    assert frame.loc[2, "n_hat"] == summed.n_hat
    with pytest.raises(ValueError, match="3 result files but 1 entries"):
        gather.main(estimates=paths + paths[:1], entries=entries[:1], output="x", log=str(tmp_path / "g.log"))


def _estimate_job(tmp_path, name, methods, *, cache=True):
    """Run scripts/estimate.py's main on HIV.csv with ``methods`` (label -> method entry, seed)."""
    table = tmp_path / "histories.csv"
    table.write_bytes((TABLES / "HIV.csv").read_bytes())
    meta = tmp_path / "histories.json"
    meta.write_text(json.dumps({"notes": [], "lists": ["c1", "c2", "c3", "c4"]}))
    out = tmp_path / name
    return load("estimate").main(
        table=str(table),
        meta=str(meta),
        estimates=[str(out / f"{label}.json") for label in methods],
        draws=[str(out / f"{label}.draws.csv") for label in methods],
        log=str(out / "job.log"),
        methods=methods,
        level=0.95,
        where=name,
    )


#: three methods of one table, each with its own seed (stepwise-bca's bootstrap draws on it)
BATCH = {
    "mt": {"method": {"method": "mt"}, "seed": 3},
    "chapman": {"method": {"method": "chapman", "settings": {"pair": "largest"}}, "seed": 4},
    "sw": {"method": {"method": "stepwise-bca", "settings": {"nboot": 20}}, "seed": 5},
}


def test_one_job_for_every_method_writes_the_files_of_one_job_per_method(tmp_path, monkeypatch):
    """A table's job runs its methods one after another in one process: every file is the bytes
    that a job of the method alone writes (same seed, settings and cache key), cache or no cache."""
    monkeypatch.setenv("UNDERCOUNT_CACHE", "off")
    together = _estimate_job(tmp_path, "together", BATCH)
    assert list(together) == list(BATCH)
    for label, entry in BATCH.items():
        _estimate_job(tmp_path, f"alone-{label}", {label: entry})
        for suffix in (".json", ".draws.csv"):
            alone = (tmp_path / f"alone-{label}" / f"{label}{suffix}").read_bytes()
            assert (tmp_path / "together" / f"{label}{suffix}").read_bytes() == alone, (label, suffix)
    log = (tmp_path / "together" / "job.log").read_text("utf-8")
    # one cache line per method, each starting with its label (python -m undercount.cache counts them)
    assert [line.split(": ")[0] for line in log.splitlines() if ": cache: " in line] == [
        "INFO mt",
        "INFO chapman",
        "INFO sw",
    ]


def test_a_failing_method_fails_the_job_after_the_others_are_estimated_and_cached(tmp_path, monkeypatch):
    """The first method raises: the other two still run, their files are written and cached, the
    job fails naming the failed method, and the rerun of the fixed job finds the others in the cache."""
    from undercount.cache import count_lookups
    from undercount.errors import UndercountError

    cache = tmp_path / "cache"
    monkeypatch.setenv("UNDERCOUNT_CACHE", str(cache))
    broken = {"bad": {"method": {"method": "zzz"}, "seed": 2}, **BATCH}
    with pytest.raises(
        UndercountError,
        match=r"first: method\(s\) bad failed \(tracebacks in .*job.log\); "
        r"mt, chapman, sw succeeded and are in the estimate cache",
    ):
        _estimate_job(tmp_path, "first", broken)
    log = tmp_path / "first" / "job.log"
    text = log.read_text("utf-8")
    assert "ERROR bad: failed:\nTraceback" in text and "unknown method 'zzz'" in text
    assert count_lookups([log])["miss"] == 3 and sum(count_lookups([log]).values()) == 3
    assert not (tmp_path / "first" / "bad.json").exists()
    for label in BATCH:
        assert read_result(tmp_path / "first" / f"{label}.json").method == BATCH[label]["method"]["method"]
    fixed = {"bad": {"method": {"method": "mth-chao"}, "seed": 2}, **BATCH}
    _estimate_job(tmp_path, "second", fixed)
    second = count_lookups([tmp_path / "second" / "job.log"])
    assert (second["miss"], second["hit"], sum(second.values())) == (1, 3, 4)
    for label in BATCH:
        assert (tmp_path / "second" / f"{label}.json").read_bytes() == (
            tmp_path / "first" / f"{label}.json"
        ).read_bytes()


def test_an_estimate_job_checks_it_has_a_file_for_every_method(tmp_path):
    with pytest.raises(ValueError, match="2 methods, but 1 result and 2 draws files"):
        load("estimate").main(
            table="t.csv",
            meta="t.json",
            estimates=["a.json"],
            draws=["a.csv", "b.csv"],
            log=str(tmp_path / "job.log"),
            methods={"a": {}, "b": {}},
            level=0.95,
        )


def test_provenance_shows_paths_relative_to_the_project(tmp_path):
    project = tmp_path / "checkout"
    (project / "config").mkdir(parents=True)
    (project / "data").mkdir()
    (project / "config" / "config.yaml").write_text("seed: 1\n")
    (project / "data" / "list.csv").write_text("record_id,full_name\n")
    outside = tmp_path / "home" / "analyst" / "my-lists.yaml"
    outside.parent.mkdir(parents=True)
    outside.write_text("seed: 2\n")
    frame = load("provenance").main(
        sources=[str(project / "data" / "list.csv")],
        source_ids=["e/official"],
        reported=None,
        config_files=[str(project / "config" / "config.yaml"), str(outside), "config/config.yaml"],
        seeds={"e/deaths/all/mt": 11},
        master_seed=5,
        output=str(tmp_path / "provenance.tsv"),
        log=str(tmp_path / "provenance.log"),
        project=str(project),
    )
    names = list(frame["name"])
    assert "e/official: data/list.csv" in names
    assert names.count("config/config.yaml") == 2 and "my-lists.yaml (outside the project)" in names
    assert not any(str(tmp_path) in str(v) for v in frame.to_numpy().ravel())
    assert {"kind": "seed", "name": "job seed e/deaths/all/mt", "value": "11"} in frame.to_dict("records")


# ---------------------------------------------------------------------- link_fit and its cache
FIT_SETTINGS = ("method", "backend", "blocking_rules", "max_pairs", "reference_frequencies", "conflicts")


def _link_fit_job(tmp_path, name, *, thresholds=(0.5, 0.9)):
    """scripts/link_fit.py's job on the demo's Zhanaozen casualty records (64), as the workflow builds it."""
    from types import SimpleNamespace

    from undercount.config import load_config, sources
    from undercount.records import read_source, write_records

    config = load_config(ROOT / "config" / "config.yaml")
    records = []
    ids = []
    for spec in sources(config, "zhanaozen2011", "casualty"):
        spec = type(spec)(**{**spec.__dict__, "path": str(ROOT / spec.path)})
        path = tmp_path / "records" / f"{spec.id}.csv"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_records(read_source(spec), path)
        records.append(str(path))
        ids.append(spec.id)
    out = tmp_path / name
    out.mkdir(parents=True, exist_ok=True)
    return SimpleNamespace(
        input=SimpleNamespace(records=records, labels=[]),
        output=SimpleNamespace(
            **{k: str(out / f"{k}.out") for k in ("linked", "model", "pairs", "label_accuracy")}
        ),
        params=SimpleNamespace(
            sources=ids,
            other_sources=[],
            thresholds=list(thresholds),
            linkage={k: config["linkage"][k] for k in FIT_SETTINGS},
        ),
        wildcards=SimpleNamespace(event="zhanaozen2011", kind="casualty"),
        log=[str(out / "job.log")],
    )


def _outputs(job):
    return {
        k: open(getattr(job.output, k), "rb").read() for k in ("linked", "model", "pairs", "label_accuracy")
    }


def test_link_fit_is_looked_up_by_content_and_a_damaged_entry_is_fitted_again(tmp_path, monkeypatch):
    """A second fit of the same records and settings is a hit: the same bytes in every output and
    the fit's own log lines; another threshold is a miss; a truncated entry is refitted, not used."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("UNDERCOUNT_CACHE", str(cache))
    script = load("link_fit")
    first = _link_fit_job(tmp_path, "first")
    script.main(first)
    first_log = open(first.log[0], encoding="utf-8").read()
    assert "fit cache: stored" in first_log and "candidate pairs scored:" in first_log
    entries = sorted((cache / "linkage").rglob("*.json"))
    assert len(entries) == 1
    # ids and numbers only: the records' names never reach the entry
    names = pd.read_csv(first.input.records[0], dtype=str)["full_name"].dropna()
    text = entries[0].read_text("utf-8")
    assert names.size and not any(n in text for n in names)

    second = _link_fit_job(tmp_path, "second")
    script.main(second)
    assert _outputs(second) == _outputs(first)
    second_log = open(second.log[0], encoding="utf-8").read()
    assert "fit cache: hit" in second_log

    def said(log):  # the fit's own lines, without the cache's
        return [line for line in log.splitlines() if not line.startswith("INFO fit cache:")]

    assert said(second_log) == said(first_log)

    other = _link_fit_job(tmp_path, "other", thresholds=(0.5,))
    script.main(other)
    assert "fit cache: stored" in open(other.log[0], encoding="utf-8").read()
    assert len(sorted((cache / "linkage").rglob("*.json"))) == 2

    data = entries[0].read_bytes()
    entries[0].write_bytes(data[: len(data) // 2])
    third = _link_fit_job(tmp_path, "third")
    script.main(third)
    third_log = open(third.log[0], encoding="utf-8").read()
    assert "truncated" in third_log and "fitting again" in third_log and "fit cache: stored" in third_log
    assert _outputs(third) == _outputs(first)
    assert entries[0].read_bytes() == data  # replaced by a whole entry


def test_link_fit_without_the_cache_fits_and_stores_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("UNDERCOUNT_CACHE", "off")
    job = _link_fit_job(tmp_path, "alone")
    load("link_fit").main(job)
    log = open(job.log[0], encoding="utf-8").read()
    assert "fit cache" not in log and "EM:" in log
    assert not (tmp_path / "cache").exists()
