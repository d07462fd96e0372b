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
        result = estimate.main(
            table=str(table),
            meta=str(meta),
            estimate=str(out),
            draws=str(tmp_path / f"{stratum}.draws.csv"),
            log=str(tmp_path / "logs" / f"{stratum}.log"),
            method={"method": "stepwise-bca", "settings": {"nboot": 20}},
            seed=seed,
            level=0.95,
        )
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
