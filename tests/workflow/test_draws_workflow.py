"""The workflow with linkage.draws on a small config: averaged rows, their pooling, reruns, privacy.

One table (the demo's Zhanaozen deaths, 3 lists, about 40 people), R = 5 plausible
linkages, mt (bootstrap replicates) and dga (posterior draws: 1,000 for the single linkage, 500
for each linkage draw through linkage.draws_settings), and one
strata scheme by date window (its strata and total averaged over the draws too).
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
    "linkage": {
        "method": "splink",
        "threshold": 0.5,
        "thresholds": [0.5],
        "draws": R,
        "draws_settings": {"dga": {"draws": 500}},  # each draw's dga: half the single estimate's draws
    },
    "methods": {"mt": {}, "dga": {"settings": {"draws": 1000}}},
    "strata": {"timing": {"by": ["period"], "periods": {"first_day": [0, 0], "later": [1, 60]}}},
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


def test_each_draw_is_estimated_with_the_draws_settings(runs):
    """linkage.draws_settings reaches the draws' estimates (and their strata), not the single linkage's."""
    work = runs[0]
    assert read_result(work / TABLE / "estimates/dga.json").settings["draws"] == 1000
    for path in (f"{TABLE}/averaged/dga.json", f"{TABLE}/strata/timing/averaged_total/dga.json"):
        pooled = read_result(work / path)
        assert pooled.settings["draws"] == 500
        assert pooled.draws.values.shape == (R, 500)  # one row of 500 draws of N per linkage draw
    assert (
        read_result(work / TABLE / "averaged/mt.json").settings
        == read_result(work / TABLE / "estimates/mt.json").settings
    )
    log = (work / "logs/estimate_averaged/zhanaozen2011/deaths/dga.log").read_text("utf-8")
    assert "linkage.draws_settings: dga draws: 500 for each linkage draw (the method's: 1000)" in log


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
    est = est[est["stratum"] == "all"]  # the warning is the whole table's
    flagged = est["warnings"].str.contains("linkage explains more than half of the variance")
    assert bool(flagged.all()) == any(s > DOMINANT_SHARE for s in shares.values())
    assert bool(flagged.any()) == bool(flagged.all())
    kinds = pd.read_csv(work / TABLE / "linkage/draws/uncertain_pairs.csv", keep_default_na=False)
    assert list(kinds.columns) == ["disagreeing_fields", "pairs", "mean_probability", "mean_co_clustered"]
    assert (kinds["mean_co_clustered"].between(0.05, 0.95)).all()


SCHEME = f"{TABLE}/strata/timing"


def test_averaged_strata_and_total_stand_beside_the_single_ones(runs):
    work = runs[0]
    est = pd.read_csv(work / "results/estimates.csv", keep_default_na=False, na_values=[""])
    strata = pd.read_csv(work / SCHEME / "tables/strata.csv")["stratum"].tolist()
    assert "period-first-day" in strata and len(strata) >= 2
    mine = est[est["stratum"].str.startswith("timing:")]
    for linkage in ("single", "averaged"):
        rows = mine[mine["linkage"] == linkage]
        expected = sorted((f"timing:{s}", m) for s in [*strata, "total"] for m in ("dga", "mt"))
        assert sorted(zip(rows["stratum"], rows["method"])) == expected
    averaged = mine[mine["linkage"] == "averaged"].set_index(["stratum", "method"])
    for label in ("mt", "dga"):
        for stratum in strata:
            row = averaged.loc[(f"timing:{stratum}", label)]
            per_draw = pd.read_csv(work / SCHEME / f"averaged/{label}/{stratum}.per_draw.csv")
            assert list(per_draw["draw"]) == list(range(1, R + 1))
            pooled = read_result(work / SCHEME / f"averaged/{label}/{stratum}.json")
            if per_draw["usable"].any():
                assert pooled.estimable and row["ci_low"] <= row["n_hat"] <= row["ci_high"]
                assert f"pooled over {int(per_draw['usable'].sum())} plausible linkages" in row["warnings"]
                # the pool mixes the usable draws' draws of N: the mean of its draws is theirs
                usable = per_draw[per_draw["usable"]]
                assert np.mean(pooled.draws.finite) == pytest.approx(usable["draws_mean"].mean(), rel=1e-8)
                assert pooled.details.within_variance > 0 and 0 <= pooled.details.width_share_between <= 1
            else:
                assert not pooled.estimable and "not usable in any of the 5 linkage draws" in row["warnings"]
        total = read_result(work / SCHEME / f"averaged_total/{label}.json")
        assert total.estimable and total.details.between_variance >= 0
        assert f"the sum of {len(strata)} strata within each of {R} plausible linkages" in " ".join(
            total.warnings
        )


def test_strata_tables_of_each_draw_add_up_and_the_total_holds_everyone(runs):
    """Per draw, the strata's tables (and the people outside the known strata) are the whole table;
    each draw's total documents the draw's people, and its draws add the strata's, draw by draw."""
    work = runs[0]
    lists = json.loads((work / TABLE / "histories.json").read_text("utf-8"))["lists"]
    whole = pd.read_csv(work / TABLE / "linkage/draws/histories.csv")
    parts = pd.read_csv(work / TABLE / "linkage/draws/strata/timing/histories.csv")
    outside = pd.read_csv(work / TABLE / "linkage/draws/strata/timing/outside.csv")
    assert list(parts.columns) == ["draw", "stratum", *lists, "count"]
    for r in range(1, R + 1):
        a = whole[whole["draw"] == r].groupby(lists)["count"].sum()
        b = parts[parts["draw"] == r].groupby(lists)["count"].sum()
        away = int(outside.loc[outside["draw"] == r, "persons"].sum())
        assert int(a.sum()) == int(b.sum()) + away
        if not away:
            assert a.to_dict() == b.to_dict()
    documented = json.loads((work / TABLE / "linkage/draws/summary.json").read_text("utf-8"))[
        "documented_per_draw"
    ]
    strata = pd.read_csv(work / SCHEME / "tables/strata.csv")["stratum"].tolist()
    for label in ("mt", "dga"):
        totals = pd.read_csv(work / SCHEME / f"averaged_total/{label}.per_draw.csv")
        assert list(totals["n_observed"]) == documented
        # the pooled total's mean: per draw, the usable strata's draw means plus the others' documented
        per = {s: pd.read_csv(work / SCHEME / f"averaged/{label}/{s}.per_draw.csv") for s in strata}
        sums = [
            sum(
                float(f.loc[r, "draws_mean"]) if f.loc[r, "usable"] else float(f.loc[r, "n_observed"])
                for f in per.values()
            )
            + int(totals.loc[r, "outside"])
            for r in range(R)
        ]
        total = read_result(work / SCHEME / f"averaged_total/{label}.json")
        assert np.mean(total.draws.finite) == pytest.approx(np.mean(sums), rel=1e-8)


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


def test_imputed_schemes_get_no_averaged_strata_and_say_so(tmp_path):
    """Not with impute: a scheme made from an imputed field keeps single-linkage rows, and the
    workflow says so before any job runs (a dry run)."""
    work = make_workdir(tmp_path / "impute")
    config = json.loads(json.dumps(CONFIG))
    config["strata"]["people"] = {"by": ["sex"]}
    config["impute"] = {"fields": ["sex"], "m": 2}
    (work / "config/draws.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    proc = snakemake(work, "--configfile", "config/draws.yaml", "-n", "--quiet", "rules")
    assert proc.returncode == 0, proc.stderr[-4000:]
    text = proc.stdout + proc.stderr
    assert "imputed schemes (people) get no linkage-averaged strata (not with impute)" in text
