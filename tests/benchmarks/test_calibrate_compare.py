"""calibrate.py --compare: variants of one method scored on the same tables, paired."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import calibrate  # noqa: E402

RHAT = "the 4 chains disagree (R-hat 1.050, above 1.01): either the chains are too short"


def fit(replicate: int, low: float, high: float, warnings: tuple[str, ...] = (), seconds: float = 1.0):
    return calibrate.Fit(
        "large-5", replicate, "lcmcr", 10000, 5200, "ok", (low + high) / 2, low, high, warnings, seconds
    )


def row(text: str, label: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith(f"| {label} |"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_variants_are_scored_on_the_shared_replicates_and_paired():
    reference = [
        fit(0, 9000, 11000),  # covers
        fit(1, 8000, 9500, (RHAT,)),  # misses low
        fit(2, 8500, 9900),  # misses low
        fit(3, 9500, 10500),  # covers; the variant has no replicate 3, so it is left out
    ]
    variant = [
        fit(0, 8000, 9800, seconds=4.0),  # lost
        fit(1, 9000, 12000, seconds=4.0),  # gained
        fit(2, 9200, 10800, (RHAT, "effective sample size of N only 200 (below 400)"), seconds=5.0),  # gained
    ]
    text = calibrate.compare([("default", reference), ("longer", variant)], ["large-5"], ["lcmcr"])
    assert "## large-5, lcmcr: 3 replicates (0–2)" in text
    ref = row(text, "default")
    # fits, fail, cover, low, high, error, width, R-hat, warned, CPU s, gained, lost
    assert ref[1:6] == ["3", "0%", "0.333 ± 0.272", "2", "0"]
    assert ref[8:] == ["33% (1/3)", "33% (1/3)", "1", "0", "0"]
    var = row(text, "longer")
    assert var[1:6] == ["3", "0%", "0.667 ± 0.272", "1", "0"]
    assert var[8:] == ["33% (1/3)", "33% (1/3)", "4", "2", "1"]


def test_compare_reads_the_csvs_it_names_and_merges_chunks(tmp_path, capsys):
    a, b0, b1 = tmp_path / "a.csv", tmp_path / "b0.csv", tmp_path / "b1.csv"
    s0, s1 = tmp_path / "b0-seconds.csv", tmp_path / "b1-seconds.csv"
    calibrate.write_csv([fit(0, 9000, 11000), fit(1, 8000, 9000)], str(a))
    first, second = [fit(0, 9000, 11000, seconds=2.5)], [fit(1, 9000, 11000, seconds=3.5)]
    calibrate.write_csv(first, str(b0))
    calibrate.write_csv(second, str(b1))
    calibrate.write_timings(first, str(s0))
    calibrate.write_timings(second, str(s1))
    calibrate.main(
        ["--designs", "large-5", "--methods", "lcmcr", "--compare", f"ref={a}"]
        + ["--compare", f"K=20={b0},{b1}:{s0},{s1}"]
    )
    text = capsys.readouterr().out
    assert "## large-5, lcmcr: 2 replicates (0–1)" in text
    assert row(text, "ref")[3] == "0.500 ± 0.354"
    k20 = row(text, "K=20")
    assert k20[3] == "1.000 ± 0.000"
    assert k20[10:] == ["3", "1", "0"]  # median CPU s of 2.5 and 3.5; one table gained


def test_compare_refuses_repeated_labels(tmp_path):
    with pytest.raises(SystemExit, match="labels must differ"):
        calibrate.compare([("a", [fit(0, 1, 2)]), ("a", [fit(0, 1, 2)])], ["large-5"], ["lcmcr"])


def test_a_later_chunk_has_the_rows_of_the_whole_run(tmp_path, capsys):
    """--first R --reps n runs replicates R..R+n-1 with the seeds of the whole study."""
    whole, chunk = tmp_path / "whole.csv", tmp_path / "chunk.csv"
    common = ["--designs", "independent-3", "--methods", "chapman,mt", "--quiet"]
    calibrate.main([*common, "--reps", "3", "--out", str(whole)])
    calibrate.main([*common, "--first", "1", "--reps", "2", "--out", str(chunk)])
    capsys.readouterr()
    whole_rows = whole.read_text().splitlines()
    chunk_rows = chunk.read_text().splitlines()
    assert chunk_rows[0] == whole_rows[0]  # the header
    assert chunk_rows[1:] == whole_rows[3:]  # two methods per replicate: replicates 1 and 2
    assert {line.split(",")[1] for line in chunk_rows[1:]} == {"1", "2"}
