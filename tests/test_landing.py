"""The landing page: config and data text is shown as text, never read as markup, template or HTML."""

from __future__ import annotations

import pickle

import pandas as pd
from docutils.core import publish_parts
from jinja2 import Environment

from undercount import landing
from undercount.report_safe import report_safe
from undercount.results import EstimateResult

HOSTILE = (
    "Jan </script><script>alert(1)</script> {{ 7*7 }} {% if 1 %}x{% endif %} `code` *em* _link_ .. raw::"
)


def _render(rst: str) -> str:
    """As Snakemake's report does: Jinja first, then docutils to HTML."""
    text = Environment(trim_blocks=True, lstrip_blocks=True).from_string(rst).render()
    return publish_parts(text, writer="html")["html_body"]


def test_rst_text_survives_jinja_and_docutils_as_plain_text():
    html = _render("Label: " + landing.rst_text(HOSTILE) + "\n")
    assert "<script>" not in html and "</script>" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html and "{% if 1 %}x{% endif %}" in html and "49" not in html
    assert "<em>" not in html and "<code" not in html


def test_the_landing_page_shows_the_answer_and_escapes_labels():
    result = EstimateResult(
        "loglinear-bic", ("a", "b", "c"), 306, 313.4, 311.2, 316.8, warnings=("w <b>1</b>",)
    )
    meta = {"lists": ["a", "b", "c"], "n_observed": 306, "people_per_list": {"a": 200}}
    reported = pd.DataFrame(
        [["e", "2023-01-05", "deaths", "all", 238, "false", "Prosecutor <General>", "paper", "", "", "high"]],
        columns="event,as_of,quantity,scope,value,value_is_lower_bound,reported_by,publisher,title_or_note,url,certainty".split(
            ","
        ),
    )
    a = landing.answer(
        event="e",
        event_label=HOSTILE,
        population="deaths",
        meta=meta,
        results={"sel": result},
        reported=reported,
        official_source="a",
        synthetic=True,
    )
    assert a.choice.label == "sel" and a.official.value == 238 and a.undocumented.point == 313.4 - 306
    estimates = pd.DataFrame([result.to_frame(event="e", population="deaths", label="sel").iloc[0]])
    html = _render(
        landing.landing_rst([a], synthetic_tables=["e/deaths"], figure_uri=None, estimates=estimates)
    )
    assert "<script>" not in html.replace("<style>", "")
    for shown in ("238", "306", "313 (95%: 311 to 317)", "7 (95%: 5 to 11; from the interval)", "SYNTHETIC"):
        assert shown in html, shown
    assert "Prosecutor &lt;General&gt;" in html and "w &lt;b&gt;1&lt;/b&gt;" in html


def test_report_safe_params_show_no_tag_but_stay_the_same_values():
    value = report_safe({"e": "</script><script>x</script>"})
    assert "<" not in f"{value}" and "<" not in repr(value)
    back = pickle.loads(pickle.dumps(value))
    assert back == {"e": "</script><script>x</script>"} and back["e"] == "</script><script>x</script>"
    text = report_safe("a </script> b")
    assert str(text) == "a </script> b" and "<" not in f"{text}"


def test_a_span_headline_gives_the_range_and_each_models_estimate():
    lists = ("a", "b", "c", "d")
    lc = EstimateResult("lcmcr", lists, 306, 400.0, 350.0, 480.0)
    mg = EstimateResult("mth-gamma", lists, 306, 520.0, 420.0, 700.0, warnings=("misfit",))
    meta = {"lists": list(lists), "n_observed": 306, "people_per_list": {"a": 200}}
    a = landing.answer(
        event="e",
        event_label="E",
        population="deaths",
        meta=meta,
        results={"lc": lc, "mg": mg},
        reported=None,
        official_source="a",
    )
    assert a.choice.label == "span(lc, mg)" and a.undocumented.low == 350 - 306
    text = landing.paragraph(a)
    assert "between 350 and 700: the span of the 95% intervals of 2 models" in text
    assert "lc: about 400, 350 to 480; mg: about 520, 420 to 700" in text
    assert "about 94 deaths are on no list (44 to 394 over the span)" in text
    header, rows = landing.answers_table([a])
    assert rows[0][4] == "400 (lc) / 520 (mg); 95% span 350 to 700" and rows[0][-1] == "span(lc, mg)"
