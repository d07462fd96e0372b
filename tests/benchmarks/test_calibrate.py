"""The coverage study (benchmarks/calibrate.py) on a few replicates of cheap methods.

The full study is run by hand (docs/calibration.md); here it runs 3 replicates
of two designs, and the tests check that what it prints is what it fitted,
that its seeds reproduce any row, and that the worker count changes nothing.
"""

from __future__ import annotations

import csv
import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import calibrate  # noqa: E402

DESIGNS = "independent-3,dependence-3"
# Cheap methods, two of them Monte Carlo (their seeds matter); stepwise-bca with a short bootstrap.
METHODS = "chapman,mt,stepwise,stepwise-bca,sample-coverage"
SHORT = ["--set", "stepwise-bca:nboot=100", "--set", "sample-coverage:nboot=100"]


def run(tmp_path: Path, capsys, name: str, *extra: str) -> tuple[str, list[dict[str, str]], bytes]:
    out = tmp_path / f"{name}.csv"
    calibrate.main(["--designs", DESIGNS, "--methods", METHODS, *SHORT, "--quiet", "--out", str(out), *extra])
    text = capsys.readouterr().out
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return text, rows, out.read_bytes()


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """Three replicates, one worker: the markdown, the CSV rows and bytes."""
    tmp = tmp_path_factory.mktemp("calibrate")
    out = tmp / "fits.csv"
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        calibrate.main(
            ["--reps", "3", "--designs", DESIGNS, "--methods", METHODS, *SHORT, "--quiet", "--out", str(out)]
        )
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return buffer.getvalue(), rows, out.read_bytes()


def design_row(text: str, design: str, method: str) -> list[str]:
    """The cells of one method's row in one design's table of the markdown."""
    section = text.split(f"### {design} (", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
    for line in section.splitlines():
        if line.startswith(f"| {method} |"):
            return [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
    raise AssertionError(f"no row for {method} in {design}")


def test_every_design_and_method_has_its_rows(study):
    _, rows, _ = study
    methods = METHODS.split(",")
    expected = [(d, str(r), m) for d in DESIGNS.split(",") for r in range(3) for m in methods]
    assert [(row["design"], row["replicate"], row["method"]) for row in rows] == expected
    assert all(row["status"] == "ok" for row in rows), [row for row in rows if row["status"] != "ok"]


def test_printed_coverage_is_the_csv_count(study):
    text, rows, _ = study
    for design in DESIGNS.split(","):
        for method in METHODS.split(","):
            mine = [row for row in rows if row["design"] == design and row["method"] == method]
            covered = sum(row["covered"] == "1" for row in mine)
            n_hat = np.array([float(row["n_hat"]) for row in mine])
            N = float(mine[0]["N"])
            low = sum(N > float(row["ci_high"]) for row in mine)
            cells = design_row(text, design, method)
            fits, _, cover, printed_low, _, error = cells[1:7]
            c = covered / len(mine)
            assert int(fits) == len(mine)
            assert cover == f"{c:.3f} ± {math.sqrt(c * (1 - c) / len(mine)):.3f}"
            assert int(printed_low) == low
            assert error == f"{np.median((n_hat - N) / N):+.1%}"
            # the CSV's covered column agrees with its interval columns
            for row in mine:
                inside = float(row["ci_low"]) <= N <= float(row["ci_high"])
                assert row["covered"] == str(int(inside))


def test_chapman_under_dependence_misses_low_and_says_so(study):
    # dependence-3: chapman uses L1 and L2, which are strongly dependent (odds ratio 8.5): the
    # estimate is about half of N, far below any interval width, so every replicate misses low.
    text, rows, _ = study
    mine = [row for row in rows if row["design"] == "dependence-3" and row["method"] == "chapman"]
    assert all(float(row["ci_high"]) < 0.7 * float(row["N"]) for row in mine)
    assert design_row(text, "dependence-3", "chapman")[3:5] == ["0.000 ± 0.000", "3"]
    # the two-list note is a standing caveat now (issue 13 item 3), not a warning of each fit;
    # what chapman warns is that it fell below the people the three lists document
    assert not any("two-list estimate" in row["warnings"] for row in mine)
    for row in mine:
        below = float(row["n_hat"]) < int(row["n_observed"])
        assert below == ("below the" in row["warnings"] and "people documented" in row["warnings"])


def fit(low: float, high: float, status: str = "ok", warnings: tuple[str, ...] = ()) -> calibrate.Fit:
    return calibrate.Fit("independent-3", 0, "mt", 1000, 600, status, 990.0, low, high, warnings)


def test_scoring_of_covering_missing_and_failed_fits():
    fits = [
        fit(900, 1100),  # covers
        fit(1000, 1200),  # covers: N on the lower end
        fit(800, math.inf, warnings=("upper end unbounded",)),  # covers, warned
        fit(700, 950, warnings=("overlap of only 3 people: rough",)),  # misses low, warned
        fit(1001, 1300),  # misses high, unwarned
        fit(math.nan, math.nan, status="not estimable", warnings=("no MLE",)),
    ]
    assert [f.covered for f in fits] == [True, True, True, False, False, None]
    score = calibrate.tally(fits)["independent-3", "mt"]
    assert (score.fits, score.failures, score.with_interval, score.covered) == (6, 1, 5, 3)
    assert (score.miss_low, score.miss_high, score.missing) == (1, 1, 2)
    assert score.coverage == pytest.approx(0.6)
    assert score.coverage_se == pytest.approx(math.sqrt(0.6 * 0.4 / 5))
    assert (score.flagged_missing, score.flagged_covering) == (1, 1)
    assert score.kinds_missing == {"overlap of only # people": 1}
    assert score.kinds_covering == {"upper end unbounded": 1}


def test_warning_kinds_mask_numbers_and_list_names():
    kind = calibrate.warning_kind
    assert kind("the 4 chains disagree (R-hat 1.234, above 1.01): the sampler ...") == (
        "the # chains disagree (R-hat #, above #)"
    )
    assert kind("two-list estimate from the two largest lists (L1, L3); 2 other list(s) ignored") == (
        "two-list estimate from the two largest lists (L#, L#)"
    )
    assert kind(
        "3 models are within 2 AIC points of the selected one and estimate from 1,204 to 12,000: x"
    ) == (kind("12 models are within 2 AIC points of the selected one and estimate from 980 to 2,114: y"))
    # model formulas hold colons: they are masked before the text is cut
    assert kind(
        "the maximum-likelihood estimate of model L1 + L2 + L3 + L1:L2 + L2:L3 does not exist: x"
    ) == (kind("the maximum-likelihood estimate of model L1 + L2 + L3 + L1:L3 does not exist: y"))
    assert kind(
        "following SparseMSE, the selection added L1:L2, L3:L4, pairs of lists that share no one: x"
    ) == ("following SparseMSE, the selection added <terms>, pairs of lists that share no one")


def test_a_single_replicate_reproduces_its_rows(study, tmp_path, capsys):
    _, rows, _ = study
    # other designs and methods, in another order: the rows of replicate 2 are the same
    out = tmp_path / "one.csv"
    calibrate.main(
        ["--replicate", "2", "--designs", "dependence-3", "--methods", "sample-coverage,stepwise-bca"]
        + SHORT
        + ["--quiet", "--out", str(out)]
    )
    capsys.readouterr()
    with out.open(newline="", encoding="utf-8") as handle:
        again = list(csv.DictReader(handle))
    expected = {
        row["method"]: row for row in rows if row["design"] == "dependence-3" and row["replicate"] == "2"
    }
    assert len(again) == 2
    for row in again:
        assert row == expected[row["method"]]


def test_worker_count_does_not_change_the_fits(study, tmp_path, capsys):
    _, _, one_worker = study
    _, _, two_workers = run(tmp_path, capsys, "two", "--reps", "3", "--workers", "2")
    assert two_workers == one_worker


def test_another_seed_gives_other_tables(study, tmp_path, capsys):
    _, rows, _ = study
    _, other, _ = run(tmp_path, capsys, "seed", "--reps", "3", "--seed", "7")
    assert [r["n_observed"] for r in other] != [r["n_observed"] for r in rows]


def test_rendering_from_the_csv_gives_the_same_tables(study, tmp_path, capsys):
    text, _, data = study
    path = tmp_path / "fits.csv"
    path.write_bytes(data)
    calibrate.main(["--designs", DESIGNS, "--methods", METHODS, *SHORT, "--from-csv", str(path)])
    again = capsys.readouterr().out

    def tables(markdown: str) -> str:  # everything from the designs on, without the timing table
        return markdown.split("## Designs", 1)[1].split("## Cost per fit", 1)[0].rstrip()

    assert tables(again) == tables(text)


def test_simulation_follows_the_documented_probabilities():
    # Large populations, so that observed shares estimate the probabilities to about 0.002.
    rng = np.random.default_rng(11)
    independent = calibrate.Design("t", 200_000, (1.0,), ((0.30, 0.25, 0.20),))
    patterns, counts = independent.simulate(rng)
    on_list = (patterns * counts[:, None]).sum(axis=0) / independent.N
    se = np.sqrt(np.array([0.30, 0.25, 0.20]) * (1 - np.array([0.30, 0.25, 0.20])) / independent.N)
    assert np.all(np.abs(on_list - [0.30, 0.25, 0.20]) < 4 * se)
    assert counts.sum() == pytest.approx(200_000 * (1 - 0.7 * 0.75 * 0.8), abs=4 * math.sqrt(200_000 * 0.1))

    dependent = calibrate.Design("d", 200_000, (1.0,), ((0.30, 0.15, 0.25),), dependent=(0, 1, 0.60))
    patterns, counts = dependent.simulate(rng)
    on_1 = patterns[:, 0] == 1
    p_2_given_1 = counts[on_1 & (patterns[:, 1] == 1)].sum() / counts[on_1].sum()
    assert p_2_given_1 == pytest.approx(0.60, abs=4 * math.sqrt(0.24 / 60_000))
    # people on neither L1 nor L2 are not all observed, so check L2 among those on L3 but not L1
    on_3_not_1 = (patterns[:, 2] == 1) & ~on_1
    p_2_given_not_1 = counts[on_3_not_1 & (patterns[:, 1] == 1)].sum() / counts[on_3_not_1].sum()
    assert p_2_given_not_1 == pytest.approx(0.15, abs=4 * math.sqrt(0.15 * 0.85 / 35_000))

    two_classes = calibrate.Design("h", 200_000, (0.3, 0.7), ((0.9, 0.9), (0.1, 0.1)))
    patterns, counts = two_classes.simulate(rng)
    both = counts[(patterns == 1).all(axis=1)].sum() / two_classes.N
    assert both == pytest.approx(0.3 * 0.81 + 0.7 * 0.01, abs=4 * math.sqrt(0.25 / 200_000))


def test_methods_that_cannot_take_a_design_say_why():
    assert calibrate.not_run_reason("dga", 8) == "takes at most 7 lists"
    assert calibrate.not_run_reason("mh-chao", 2) == "needs at least 3 lists"
    assert calibrate.not_run_reason("mt", 5) is None


def test_fast_profile_caps_the_searches_in_the_bootstrap_on_five_lists():
    plan = calibrate.Plan(fast=True)
    assert plan.settings("loglinear-bic-bca")["nboot"] == 200
    assert plan.runs("loglinear-bic-bca", 9, 5) and not plan.runs("loglinear-bic-bca", 10, 5)
    assert plan.runs("loglinear-bic-bca", 119, 4)
    assert calibrate.Plan().runs("loglinear-bic-bca", 10, 5)
    assert plan.settings("lcmcr") == {"progress": False, "workers": 1}


def test_bad_options_stop_with_a_message():
    with pytest.raises(SystemExit, match="unknown method"):
        calibrate.main(["--methods", "mt,nosuch"])
    with pytest.raises(SystemExit, match="has no setting 'nboots'"):
        calibrate.main(["--methods", "stepwise-bca", "--set", "stepwise-bca:nboots=10"])
    with pytest.raises(SystemExit, match="METHOD:NAME=VALUE"):
        calibrate.main(["--methods", "mt", "--set", "mt=3"])


def test_headline_takes_the_rules_first_estimator_with_an_interval():
    def f(method: str, low: float, high: float, status: str = "ok") -> calibrate.Fit:
        return calibrate.Fit(
            "heterogeneity-4", 3, method, 2000, 1200, status, (low + high) / 2, low, high, ()
        )

    rule = ((4, ("lcmcr", "dga")), (3, ("loglinear-bic",)))
    fits = [f("lcmcr", math.nan, math.nan, "crashed"), f("dga", 1500, 1900), f("loglinear-bic", 2100, 2400)]
    derived = {d.method: d for d in calibrate.derived_fits(fits, rule)}
    head = derived["headline"]
    assert (head.ci_low, head.ci_high, head.covered) == (1500, 1900, False)  # dga: lcmcr gave no interval
    env = derived["envelope"]  # dga and loglinear-bic: their intervals do not overlap
    assert (env.ci_low, env.ci_high) == (1500, 2400) and env.covered
    assert env.warnings == ("the families disagree: their intervals do not overlap",)
    agree, wrong, tables = calibrate.agreement(fits, ["heterogeneity-4"])["heterogeneity-4"]
    assert (agree, wrong, tables) == (0, 0, 1)
    assert calibrate.parse_rule("3:a,b;4:c") == ((4, ("c",)), (3, ("a", "b")))


def test_a_span_entry_of_the_rule_is_scored_as_the_span_of_its_members():
    def f(method: str, low: float, high: float, warnings=()) -> calibrate.Fit:
        return calibrate.Fit("heterogeneity-4", 3, method, 2000, 1200, "ok", low + 10, low, high, warnings)

    rule = ((4, ("lcmcr|mth-gamma", "lcmcr")),)
    fits = [f("lcmcr", 1500, 1900), f("mth-gamma", 1800, 2600, ("the model does not fit the table",))]
    head = {d.method: d for d in calibrate.derived_fits(fits, rule)}["headline"]
    assert (head.n_hat, head.ci_low, head.ci_high, head.covered) == (1510, 1500, 2600, True)
    assert head.warnings == ("model mth-gamma: the model does not fit the table",)
    # without mth-gamma's interval the span is not formed: lcmcr alone, which misses
    fits[1] = calibrate.Fit("heterogeneity-4", 3, "mth-gamma", 2000, 1200, "crashed", *(math.nan,) * 3, ())
    head = {d.method: d for d in calibrate.derived_fits(fits, rule)}["headline"]
    assert (head.ci_low, head.ci_high, head.covered) == (1500, 1900, False)
    assert calibrate.parse_rule("4:lcmcr|mth-gamma,dga") == ((4, ("lcmcr|mth-gamma", "dga")),)
