import hashlib

from undercount.provenance import package_versions, provenance_rows, sha256, tree_digest


def test_digests(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("alpha")
    b.write_text("beta")
    assert sha256(a) == hashlib.sha256(b"alpha").hexdigest()
    assert tree_digest([a, b], tmp_path) == tree_digest([b, a], tmp_path)


def test_tree_digest_changes_with_content(tmp_path):
    f = tmp_path / "x.py"
    f.write_text("1")
    before = tree_digest([f], tmp_path)
    f.write_text("2")
    assert tree_digest([f], tmp_path) != before


def test_rows(tmp_path):
    src = tmp_path / "list.csv"
    src.write_text("record_id,full_name\n")
    cfg = tmp_path / "config.yaml"
    cfg.write_text("events: {}\n")
    rows = provenance_rows({"e/official": str(src)}, [str(cfg)], tmp_path, {"job seed x": 7}, 42)
    kinds = {r["kind"] for r in rows}
    assert kinds == {"input sha256", "config sha256", "code sha256", "version", "seed", "platform"}
    assert {"kind": "seed", "name": "job seed x", "value": "7"} in rows
    assert package_versions()["numpy"][0].isdigit()
