"""benchmarks/bench_linkage_within_list.py on the demo's jan2022 detention lists.

The counts it prints are the evidence of docs/linkage.md section 3 (why jan2022 torture stays
below its F1 target): the fit is deterministic, so they are asserted exactly. If a change to the
linkage moves them, section 3 must be re-measured with the script.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_linkage_within_list as bench  # noqa: E402


def test_within_list_rules_on_the_demo(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    heading, table, rules = bench.measure()
    assert heading.startswith("jan2022 detentions: 8000 records, 3082 candidate pairs kept")
    # the pairs of one list in the bands where the torture misses sit: 16 pairs, 3 one person
    one_list = table.loc["one list"]
    sel = [b for b in one_list.index if 0.05 <= b.left < 0.3]
    assert int(one_list.loc[sel, "pairs"].sum()) == 16
    assert int(one_list.loc[sel, "truly_one_person"].sum()) == 3
    # no pair of two lists below 0.5 is one person (the model is cautious there)
    two = table.loc["two lists"]
    assert int(two.loc[[b for b in two.index if b.right <= 0.5], "truly_one_person"].sum()) == 0
    counts = {r["rule"]: (r["pairs it would join"], r["truly one person"]) for _, r in rules.iterrows()}
    assert counts == {"missing only": (3, 1), "a day or a year": (11, 3), "common third record": (12, 1)}
    assert (rules["pairs it would join"] == rules["truly one person"] + rules["not one person"]).all()
    # printed: counts and band labels only
    bench.main([])
    out = capsys.readouterr().out
    assert "Candidate rules" in out and "common third record" in out
    vocabulary = set(
        "jan detentions records candidate pairs kept p rules of one list with and no conflict "
        "Calibration by band match probability mean two lists "
        "Candidate rule it would join truly person not missing only a day or year common third "
        "record band".split()
    )
    assert set(re.findall(r"[^\W\d_]+", out)) <= vocabulary  # no name, only counts and labels
