"""The clerical-review page in a real browser (Debian's chromium driven by Playwright), and the loop
back into the workflow: three pairs labelled on the page become constraints of the next run."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, playwright_or_skip

pytestmark = pytest.mark.long  # workflow runs and a browser: minutes


def _workdir(tmp_path: Path) -> Path:
    work = tmp_path / "w"
    work.mkdir()
    for part in ["Snakefile", "workflow", "scripts", "data", "profiles"]:
        src = ROOT / part
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, work / part)
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text("utf-8"))
    config["events"] = {"zhanaozen2011": config["events"]["zhanaozen2011"]}
    config["methods"] = {"mt": {}}
    config["strata"] = {}
    config["populations"] = ["deaths", "detentions"]
    config["linkage"] = {"threshold": 0.5, "thresholds": [0.5], "truth": None, "review": {"uncertain": 20}}
    (work / "config").mkdir()
    (work / "config" / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    return work


def _snakemake(work: Path, *targets: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", *targets],
        cwd=work,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


def _person(persons: pd.DataFrame, source: str, record: str) -> str:
    row = persons[(persons["source"] == source) & (persons["record_id"] == record)]
    return row["person_id"].item()


@pytest.mark.workflow
def test_labels_from_the_page_become_constraints(tmp_path):
    sync_playwright = playwright_or_skip()
    work = _workdir(tmp_path)
    page_path = work / "private" / "review" / "zhanaozen2011" / "deaths.html"
    _snakemake(work, str(page_path.relative_to(work)), "results/zhanaozen2011/deaths/persons.csv")
    assert page_path.exists() and not list((work / "results").rglob("*.html"))
    before = pd.read_csv(work / "results" / "zhanaozen2011" / "deaths" / "persons.csv", dtype=str)
    with sync_playwright() as p:
        # a fresh profile folder: this machine has no network beyond package registries
        browser = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            accept_downloads=True,
        )
        page = browser.new_page()
        page.goto(page_path.as_uri())
        pairs = page.evaluate("pairs")
        # the page shows the pairs the linkage scored (pairs.csv), not those of a second fit
        scored = pd.read_csv(
            work / "results" / "zhanaozen2011" / "deaths" / "linkage" / "pairs.csv", dtype=str
        )
        key = ("source_a", "record_id_a", "source_b", "record_id_b")
        written = {tuple(r[k] for k in key): float(r["match_probability"]) for _, r in scored.iterrows()}
        assert all(round(written[tuple(q[k] for k in key)], 4) == q["probability"] for q in pairs)
        log = (work / "logs" / "review" / "zhanaozen2011" / "deaths.log").read_text("utf-8")
        assert "candidate pairs from the linkage's fit" in log and "pairs.csv" in log
        linked = [q for q in pairs if q["probability"] >= 0.5]
        apart = [q for q in pairs if q["probability"] < 0.5]
        assert linked and len(apart) >= 2
        # split a linked pair, join an unlinked one, and leave one unsure
        choices = [(linked[0], "non-match"), (apart[0], "match"), (apart[1], "unsure")]
        for pair, label in choices:
            page.check(f"#p{pair['n']}-{label}")
        assert page.text_content("#count").startswith("3 of")
        with page.expect_download() as download:
            page.click("#save")
        labels = work / "labels.csv"
        download.value.save_as(labels)
        browser.close()
    rows = list(csv.DictReader(labels.open(encoding="utf-8")))
    assert {tuple(r[k] for k in key): r["label"] for r in rows} == {
        tuple(q[k] for k in key): label for q, label in choices
    }
    assert list(rows[0]) == ["source_a", "record_id_a", "source_b", "record_id_b", "label"]
    assert "Ж" not in labels.read_text("utf-8")  # ids and labels only
    config = yaml.safe_load((work / "config" / "config.yaml").read_text("utf-8"))
    config["linkage"]["labels"] = {"zhanaozen2011": ["labels.csv"]}
    (work / "config" / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    _snakemake(work, "results/zhanaozen2011/deaths/persons.csv", "results/linkage/accuracy.csv")
    after = pd.read_csv(work / "results" / "zhanaozen2011" / "deaths" / "persons.csv", dtype=str)
    split, joined, _ = (q for q, _ in choices)
    assert _person(before, split["source_a"], split["record_id_a"]) == _person(
        before, split["source_b"], split["record_id_b"]
    )
    assert _person(after, split["source_a"], split["record_id_a"]) != _person(
        after, split["source_b"], split["record_id_b"]
    )
    assert _person(after, joined["source_a"], joined["record_id_a"]) == _person(
        after, joined["source_b"], joined["record_id_b"]
    )
    accuracy = pd.read_csv(work / "results" / "linkage" / "accuracy.csv")
    assert set(accuracy["basis"]) == {"labels"}
    deaths = accuracy[accuracy["population"] == "deaths"].iloc[0]
    assert deaths["labelled_pairs"] == 2  # unsure is not used


def _zhanaozen_deaths() -> pd.DataFrame:
    from undercount.config import load_config, sources
    from undercount.linkage.core import _population_records
    from undercount.records import read_source

    config = load_config(ROOT / "config" / "config.yaml")
    lists = {}
    for spec in sources(config, "zhanaozen2011", "casualty"):
        spec = type(spec)(**{**spec.__dict__, "path": str(ROOT / spec.path)})
        lists[spec.id] = read_source(spec)
    return _population_records(lists)


def test_the_page_reuses_the_linkage_fit(tmp_path):
    """The review rule builds its page from the pairs the linkage wrote, not from a second fit:
    the page is the one the fit itself gives, pair for pair and weight for weight."""
    from undercount.errors import InputError
    from undercount.linkage import fit_linkage
    from undercount.linkage.core import linkage_from_pairs, pairs_table, read_pairs
    from undercount.review import review_page

    records = _zhanaozen_deaths()
    fitted = fit_linkage(records, date_column="date_of_death")
    path = tmp_path / "pairs.csv"
    pairs_table(fitted).to_csv(path, index=False, lineterminator="\n", float_format="%.6g")
    again = linkage_from_pairs(records, read_pairs(path), date_column="date_of_death", file=str(path))
    assert again.keys == fitted.keys and (again.order == fitted.order).all()
    assert (again.i == fitted.i).all() and (again.j == fitted.j).all()
    # what the file keeps: probabilities to 6 significant digits
    assert abs(again.probability - fitted.probability).max() <= 5e-6
    options = {"threshold": 0.5, "title": "zhanaozen2011 deaths", "uncertain": 10, "per_band": 3}
    page = review_page(records, again, **options)
    assert page == review_page(records, fitted, **options)
    assert page.count('"n": ') > 10  # the uncertain pairs and a sample from the bands
    # a pairs file from other lists is refused, naming the file, row and column
    bad = read_pairs(path)
    bad.loc[2, "record_id_b"] = "no-such-record"
    with pytest.raises(InputError, match=r"pairs\.csv, row 4, column 'record_id_b'"):
        linkage_from_pairs(records, bad, date_column="date_of_death", file=str(path))
