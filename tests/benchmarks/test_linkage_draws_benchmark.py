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
    assert "## Calibration" in text and "## Coverage of N = 320" in text and "## True partition" in text
    rows = pd.read_csv(out, sep="\t")
    # one dataset per noise level: 2 datasets x (mt, loglinear: 5 rows; lcmcr: 3 rows)
    assert len(rows) == 2 * 13
    assert set(rows["linkage"]) == {"true", "true-bootstrap", "single", "single-bootstrap", "averaged"}
    assert set(rows["noise"]) == {"low", "high"}
    assert (rows["ci_low"] <= rows["n_hat"]).all() and (rows["n_hat"] <= rows["ci_high"]).all()
    assert (rows["covered"] == ((rows["ci_low"] <= 320) & (rows["ci_high"] >= 320))).all()
    # the ceiling: every true person is documented by some list, so the true table observes them all
    true = rows[rows["linkage"].isin(["true", "true-bootstrap"])]
    assert len(true) == 2 * 5 and (true["n_observed"] == true["true_persons"]).all()
    assert "ceiling" in text and "target" in text
    # high noise blocks with the noisy lists' rules, low noise with the defaults
    per = rows.drop_duplicates("noise").set_index("noise")
    assert per.loc["low", "blocking"] == "default" and per.loc["high", "blocking"] == "noisy"
    assert per.loc["low", "blocking_recall"] == per.loc["low", "blocking_recall_default"]
    assert per.loc["high", "blocking_pairs"] > per.loc["high", "blocking_pairs_default"]
    assert per.loc["high", "blocking_recall"] >= per.loc["high", "blocking_recall_default"]
    assert "## Blocking recall" in text
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


def test_the_benchmarks_default_rules_are_the_projects():
    from undercount.linkage.engine import DEFAULT_BLOCKING

    assert linkage_draws.BLOCKING["default"] == DEFAULT_BLOCKING
    assert linkage_draws.BLOCKING["noisy"][: len(DEFAULT_BLOCKING)] == DEFAULT_BLOCKING


def test_proposed_pairs_are_the_rules_pairs():
    from undercount.linkage.engine import rule_pairs

    table = pd.DataFrame(
        {
            "surname": ["a", "a", "a", "b", None, "b"],
            "given_initial": ["x", "x", "y", "x", "x", "x"],
            "day": [1, 2, 1, 1, 1, None],
        }
    )
    codes = linkage_draws.proposed_pair_codes(table, [("surname", "given_initial"), ("day",)])
    # (0, 1) and (3, 5) agree on surname and initial; 0, 2, 3, 4 share day 1; a blank never agrees
    assert sorted((c // 6, c % 6) for c in codes) == [
        (0, 1),
        (0, 2),
        (0, 3),
        (0, 4),
        (2, 3),
        (2, 4),
        (3, 4),
        (3, 5),
    ]
    for rule, count in rule_pairs(table, [("surname", "given_initial"), ("day",)]).items():
        assert len(linkage_draws.proposed_pair_codes(table, [tuple(rule.split(" + "))])) == count
    truth = linkage_draws.true_pair_codes(["p", "q", "p", "p"])
    assert sorted((c // 4, c % 4) for c in truth) == [(0, 2), (0, 3), (2, 3)]


def test_blocking_study_counts_missed_pairs(capsys):
    table, missed = linkage_draws.study_blocking("high", seed=16, first=0, datasets=1)
    recall = table.set_index("rules")["recall"]
    # the defaults miss true pairs at high noise; every missed pair is counted by kind
    assert recall["default"] < 0.95
    assert table.set_index("rules").loc["default", "missed_per_dataset_median"] == len(missed)
    # the noisy lists' rule recovers most of them (the benchmark's high-noise blocking)
    assert recall["default + surname_initial + given_initial"] > 0.95
    assert (recall >= recall["default"]).all()
    assert set(missed.columns) == {"surname", "given", "day"}
    assert (missed["surname"] == "letters swapped").any() and (missed["given"] == "initials only").any()
    linkage_draws.main(["--blocking-study", "--datasets", "1", "--noise", "high"])
    assert "True pairs the default rules miss" in capsys.readouterr().out


def test_headline_verdicts_follow_the_issues_target():
    # 100 datasets per (method, linkage) with a given number covered
    covered = {
        ("a", "true"): 95,
        ("a", "single"): 96,
        ("a", "averaged"): 95,  # single not short
        ("b", "true"): 94,
        ("b", "single"): 80,
        ("b", "averaged"): 92,  # short, averaged within 3 points
        ("c", "true"): 80,
        ("c", "single"): 50,
        ("c", "averaged"): 91,  # ceiling short; 4 points off
    }
    rows = pd.DataFrame(
        [
            {
                "noise": "low",
                "method": m,
                "linkage": k,
                "covered": d < n,
                "rel_error": 0.0,
                "ci_low": 0.0,
                "ci_high": 1.0,
                "linkage_share": 0.1 if k == "averaged" else None,
                "distinct_tables": None,
            }
            for (m, k), n in covered.items()
            for d in range(100)
        ]
    )
    got = linkage_draws.headline(rows).set_index("method")
    assert got["target"].to_dict() == {"a": "not short", "b": "met", "c": "missed"}
    assert got["ceiling"].to_dict() == {"a": "ok", "b": "ok", "c": "short"}
    assert (
        got.loc["b", "averaged"] == 0.92
        and abs(got.loc["b", "averaged_se"] - (0.92 * 0.08 / 100) ** 0.5) < 1e-12
    )
