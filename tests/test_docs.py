"""The API reference builds from the docstrings, and documents the whole public API."""

import html
import re

import pytest

import undercount
from undercount.apidoc import MODULES, build, main


def _first_line(obj) -> str:
    doc = (obj.__doc__ or "").strip()
    return doc.splitlines()[0].strip() if doc else ""


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("api")
    index = build(out)
    assert index.exists()
    return out


def test_every_public_name_is_documented(reference):
    page = (reference / "undercount.html").read_text("utf-8")
    ids = set(re.findall(r'id="([A-Za-z_][\w.]*)"', page))
    public = [name for name in undercount.__all__ if name != "__version__"]
    assert {"estimate", "CaptureTable", "link", "read_result", "EstimateResult"} <= set(public)
    for name in public:
        obj = getattr(undercount, name)
        if name == "combine":  # a module: its own page, with add and mix
            combine_page = (reference / "undercount" / "results" / "combine.html").read_text("utf-8")
            assert 'id="add"' in combine_page and 'id="mix"' in combine_page
            continue
        assert name in ids, f"{name} has no entry in the API reference"
        if not callable(obj) or not hasattr(obj, "__module__") or not obj.__module__.startswith("undercount"):
            continue  # data (the registry): its entry is enough, its type's docstring is not ours
        first = _first_line(obj)
        assert first, f"{name} has no docstring"
        # the docstring's first line is on the page (pdoc renders it as HTML text)
        words = re.sub(r"[`*]", "", first).split()[:4]
        text = html.unescape(re.sub(r"<[^>]+>", "", page))
        assert " ".join(words) in " ".join(text.split()), f"{name}: '{first}' not rendered"


def test_the_reference_has_a_page_per_module(reference):
    for module in MODULES:
        path = reference / (module.replace(".", "/") + ".html")
        assert path.exists(), module
    # numpydoc sections are rendered, not left as underlined text
    estimate_page = (reference / "undercount.html").read_text("utf-8")
    assert "-------" not in re.sub(r"<pre.*?</pre>", "", estimate_page, flags=re.S)


def test_the_link_entry_says_it_takes_datetime_columns(reference):
    page = html.unescape((reference / "undercount" / "linkage.html").read_text("utf-8"))
    assert "pandas datetime column" in re.sub(r"<[^>]+>", "", page)


def test_the_command_needs_one_directory(capsys):
    assert main([]) == 2
    assert "usage: python -m undercount.apidoc OUTPUT_DIR" in capsys.readouterr().err
