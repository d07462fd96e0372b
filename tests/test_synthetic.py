"""Synthetic lists are recognised by their bytes, and no config setting hides them."""

from __future__ import annotations

import shutil

from conftest import ROOT

from undercount.config import is_synthetic, load_config, synthetic_sources, validate_config
from undercount.synthetic import MANIFEST, format_manifest, is_synthetic_file, parse_manifest

DEMO = ROOT / "data" / "demo"


def test_packaged_manifest_is_the_committed_demo_manifest():
    packaged = (ROOT / "src" / "undercount" / "data" / "demo.sha256").read_text("utf-8")
    assert packaged == (DEMO / MANIFEST).read_text("utf-8")
    listed = parse_manifest(packaged)
    assert set(listed) == {p.name for p in DEMO.iterdir()} - {MANIFEST}
    assert format_manifest([DEMO / name for name in listed]) == packaged


def test_demo_lists_are_synthetic_wherever_they_are_copied(tmp_path):
    official = DEMO / "jan2022_official_deaths.csv"
    assert is_synthetic_file(official)
    copy = tmp_path / "renamed.csv"
    shutil.copy(official, copy)
    assert is_synthetic_file(copy)  # no manifest beside it: the packaged one knows the bytes
    copy.write_bytes(copy.read_bytes() + b"1,x\n")
    assert not is_synthetic_file(copy)  # other bytes: another list
    assert not is_synthetic_file(tmp_path / "missing.csv")
    assert not is_synthetic_file(tmp_path)  # a directory


def test_a_folder_manifest_marks_lists_written_by_simulate(tmp_path):
    own = tmp_path / "mine.csv"
    own.write_text("record_id,full_name\n1,A\n", encoding="utf-8")
    assert not is_synthetic_file(own)
    (tmp_path / MANIFEST).write_text(format_manifest([own]), encoding="utf-8")
    assert is_synthetic_file(own)


def _config(tmp_path, top=None, source_flag=None):
    real = tmp_path / "real.csv"
    real.write_text("record_id,full_name\n1,A\n", encoding="utf-8")
    demo = str(DEMO / "zhanaozen2011_press_deaths.csv")
    sources = {
        "a": {"path": str(real), "kind": "casualty"},
        "b": {"path": demo, "kind": "casualty"},
        "c": {"path": str(real), "kind": "detention"},
    }
    if source_flag is not None:
        sources["c"]["synthetic"] = source_flag
    config = {"events": {"e": {"label": "E", "start_date": "2022-01-02", "sources": sources}}}
    if top is not None:
        config["synthetic"] = top
    return validate_config(config)


def test_the_top_level_flag_can_add_the_label_never_remove_it(tmp_path):
    config = _config(tmp_path, top=False)
    assert synthetic_sources(config, "e") == ["b"]
    assert is_synthetic(config, "e", "deaths") and not is_synthetic(config, "e", "detentions")
    assert is_synthetic(config)
    forced = _config(tmp_path, top=True)
    assert synthetic_sources(forced, "e") == ["a", "b", "c"]
    marked = _config(tmp_path, source_flag=True)
    assert is_synthetic(marked, "e", "detentions")


def test_demo_config_is_synthetic_without_a_switch():
    import yaml

    assert "synthetic" not in yaml.safe_load((ROOT / "config" / "config.yaml").read_text("utf-8"))
    config = load_config(ROOT / "config" / "config.yaml")
    for event in config["events"]:
        assert synthetic_sources(config, event) == list(config["events"][event]["sources"])
