"""The workflow with linkage.draws on a small config: averaged rows, their pooling, reruns, privacy.

One table (the demo's Zhanaozen deaths, 3 lists, about 40 people), R = 5 plausible
linkages, mt (bootstrap replicates) and dga (posterior draws, 1,000 of them).
"""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml
from test_workflow import WORD, _name_tokens, _public_words, make_workdir, snakemake

from undercount.histories import CaptureTable
from undercount.linkage.averaging import DOMINANT_SHARE, linkage_share
from undercount.results import read_result

pytestmark = pytest.mark.workflow

R = 5
TABLE = "results/zhanaozen2011/deaths"
CONFIG = {
    "seed": 11,
    "private_dir": "private",
    "reported_figures": None,
    "populations": ["deaths"],
    "linkage": {"method": "splink", "threshold": 0.5, "thresholds": [0.5], "draws": R},
    "methods": {"mt": {}, "dga": {"settings": {"draws": 1000}}},
    "events": {
        "zhanaozen2011": {
            "label": "Zhanaozen, December 2011",
            "start_date": "2011-12-16",
            "sources": {
                "official": {
                    "kind": "casualty",
                    "path": "data/demo/zhanaozen2011_official_deaths.csv",
                    "date_format": "%d.%m.%Y",
                    "columns": {
                        "№": "record_id",
                        "ФИО": "full_name",
                        "Пол": "sex",
                        "Возраст": "age",
                        "Дата": "date_of_death",
                        "Населённый пункт": "place",
                    },
                },
                "residents": {
                    "kind": "casualty",
                    "path": "data/demo/zhanaozen2011_residents_deaths.csv",
                    "columns": {
                        "Реттік нөмір": "record_id",
                        "Аты-жөні": "full_name",
                        "Жасы": "age",
                        "Күні": "date_of_death",
                        "Елді мекен": "place",
                    },
                },
                "press": {"kind": "casualty", "path": "data/demo/zhanaozen2011_press_deaths.csv"},
            },
        }
    },
}


def _cache(work):
    return work / ".cache" / "undercount"


def _run(work):
    (work / "config/draws.yaml").write_text(yaml.safe_dump(CONFIG, allow_unicode=True), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:  # the checkout's own estimate cache, cold
        mp.setenv("UNDERCOUNT_CACHE", str(_cache(work)))
        proc = snakemake(work, "--configfile", "config/draws.yaml")
    assert proc.returncode == 0, proc.stderr[-4000:]
    return work


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two runs in two checkouts at different paths, each with its own (cold) estimate cache."""
    return [_run(make_workdir(tmp_path_factory.mktemp("draws") / name)) for name in ("run1", "other/run2")]


def _files(root):
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_averaged_rows_stand_beside_the_single_ones(runs):
    est = pd.read_csv(runs[0] / "results/estimates.csv", keep_default_na=False, na_values=[""])
    assert list(est.columns[:5]) == ["event", "population", "stratum", "method", "linkage"]
    mine = est[est["stratum"] == "all"]
    assert sorted(zip(mine["method"], mine["linkage"])) == [
        ("dga", "averaged"),
        ("dga", "single"),
        ("mt", "averaged"),
        ("mt", "single"),
    ]
    averaged = mine[mine["linkage"] == "averaged"]
    assert averaged["n_hat"].notna().all()
    assert (averaged["ci_low"] <= averaged["n_hat"]).all() and (
        averaged["n_hat"] <= averaged["ci_high"]
    ).all()
    for w in averaged["warnings"]:
        assert f"pooled over {R} plausible linkages" in w
    # the details carry within- and between-linkage variance and the width share
    for label in ("mt", "dga"):
        d = read_result(runs[0] / TABLE / f"averaged/{label}.json").details
        assert d.within_variance > 0 and d.between_variance >= 0
        assert 0 <= d.width_share_between <= 1


def test_per_draw_tables_are_the_draws_and_estimates_recompute(runs):
    """Each draw's table re-estimated gives its per-draw row; the pooled draws are the draws' draws mixed."""
    from undercount.estimators import estimate

    work = runs[0]
    meta = json.loads((work / TABLE / "histories.json").read_text("utf-8"))
    lists = meta["lists"]
    tables = pd.read_csv(work / TABLE / "linkage/draws/histories.csv")
    assert sorted(tables["draw"].unique()) == list(range(1, R + 1))
    assert list(tables.columns) == ["draw", *lists, "count"]
    summary = json.loads((work / TABLE / "linkage/draws/summary.json").read_text("utf-8"))
    assert summary["R"] == R
    assert summary["documented_per_draw"] == [int(b["count"].sum()) for _, b in tables.groupby("draw")]
    per_draw = pd.read_csv(work / TABLE / "averaged/mt.per_draw.csv")
    assert list(per_draw["draw"]) == list(range(1, R + 1))
    for (_, block), row in zip(tables.groupby("draw"), per_draw.itertuples()):
        table = CaptureTable.from_arrays(lists, block[lists].to_numpy(), block["count"].to_numpy())
        assert table.n_observed == row.n_observed
        again = estimate(table, "mt")  # deterministic: the per-draw estimate, recomputed
        assert again.n_hat == pytest.approx(row.n_hat, rel=1e-9)  # written with 10 significant digits
    for label in ("mt", "dga"):
        pooled = read_result(work / TABLE / f"averaged/{label}.json")
        rows = pd.read_csv(work / TABLE / f"averaged/{label}.per_draw.csv")
        values = pooled.draws.values
        assert values.shape[0] == R  # one chain of the pool per linkage draw, in draw order
        assert np.mean(values, axis=1) == pytest.approx(rows["draws_mean"].to_numpy(), rel=1e-9)
        # the mixture's median and equal-tailed interval, recomputed from the pooled draws
        low, mid, high = np.quantile(values.ravel(), [0.025, 0.5, 0.975])
        assert (pooled.ci_low, pooled.n_hat, pooled.ci_high) == pytest.approx((low, mid, high), rel=1e-12)
        # within: the draws' mean variance; between: the variance of their means (equal weights),
        # from the pooled draws themselves (the per-draw table's 10 digits lose the between part's
        # small differences of large means)
        within = np.mean(np.var(values, axis=1, ddof=1))
        assert pooled.details.within_variance == pytest.approx(within, rel=1e-12)
        assert pooled.details.between_variance == pytest.approx(np.var(np.mean(values, axis=1)), rel=1e-12)
        assert within == pytest.approx(rows["draws_variance"].mean(), rel=1e-9)
        est = pd.read_csv(work / "results/estimates.csv")
        row = est[(est["method"] == label) & (est["linkage"] == "averaged")].iloc[0]
        assert row["n_hat"] == pytest.approx(pooled.n_hat, rel=1e-6)  # estimates.csv: 7 significant digits


def test_linkage_warning_follows_the_rule(runs):
    """Every estimate of the table says linkage dominates exactly when a method's share passes one half."""
    work = runs[0]
    shares = {
        label: linkage_share(read_result(work / TABLE / f"averaged/{label}.json")) for label in ("mt", "dga")
    }
    assert all(s is not None and 0 <= s <= 1 for s in shares.values())
    est = pd.read_csv(work / "results/estimates.csv", keep_default_na=False)
    flagged = est["warnings"].str.contains("linkage explains more than half of the variance")
    assert bool(flagged.all()) == any(s > DOMINANT_SHARE for s in shares.values())
    assert bool(flagged.any()) == bool(flagged.all())
    kinds = pd.read_csv(work / TABLE / "linkage/draws/uncertain_pairs.csv", keep_default_na=False)
    assert list(kinds.columns) == ["disagreeing_fields", "pairs", "mean_probability", "mean_co_clustered"]
    assert (kinds["mean_co_clustered"].between(0.05, 0.95)).all()


def test_figure_of_the_draws(runs):
    data = pd.read_csv(runs[0] / "results/figures/linkage_draws_zhanaozen2011_deaths.tsv", sep="\t")
    assert (runs[0] / "results/figures/linkage_draws_zhanaozen2011_deaths.png").stat().st_size > 10_000
    for label in ("mt", "dga"):
        mine = data[data["method"] == label]
        assert (mine["kind"] == "linkage draw").sum() == R
        assert set(mine["kind"]) == {"linkage draw", "averaged", "single"}
        pooled = read_result(runs[0] / TABLE / f"averaged/{label}.json")
        assert mine[mine["kind"] == "averaged"]["n_hat"].iloc[0] == pytest.approx(pooled.n_hat)


def test_reruns_are_byte_identical_and_the_cache_answers(runs, monkeypatch):
    first, second = (r / "results" for r in runs)
    assert _files(first) == _files(second)
    # a rerun of the averaged estimates in the first checkout: every distinct table a cache hit
    work = runs[0]
    before = _files(first)
    shutil.rmtree(work / TABLE / "averaged")
    assert any(_cache(work).rglob("*.json"))  # the first run stored its estimates there
    monkeypatch.setenv("UNDERCOUNT_CACHE", str(_cache(work)))
    proc = snakemake(work, "--configfile", "config/draws.yaml", "--forcerun", "estimate_averaged")
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert _files(first) == before
    log = (work / "logs/estimate_averaged/zhanaozen2011/deaths/mt.log").read_text("utf-8")
    assert "cache: hit" in log and "cache: miss" not in log


def test_no_name_reaches_results_or_logs(runs):
    tokens = _name_tokens() - _public_words()
    checked = 0
    for folder in ("results", "logs"):
        for path in (runs[0] / folder).rglob("*"):
            if path.is_file() and path.suffix != ".png":
                leaked = set(WORD.findall(path.read_text("utf-8", errors="replace"))) & tokens
                assert not leaked, f"{path}: {sorted(leaked)[:5]}"
                checked += 1
    assert checked > 20
