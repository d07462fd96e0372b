import pytest

from undercount.errors import MethodError
from undercount.estimators.formula import parse_formula

LISTS = ["EXH", "ABA", "OSCE", "HRW"]


def names(terms, lists=LISTS):
    return [":".join(lists[j] for j in t) for t in terms]


def test_issue_example():
    terms = parse_formula("EXH*ABA*OSCE + EXH:HRW + OSCE:HRW", LISTS)
    assert names(terms) == [
        "EXH",
        "ABA",
        "OSCE",
        "HRW",
        "EXH:ABA",
        "EXH:OSCE",
        "EXH:HRW",
        "ABA:OSCE",
        "OSCE:HRW",
        "EXH:ABA:OSCE",
    ]


@pytest.mark.parametrize("text", ["(.)^2", "~ .^2", "(EXH + ABA + OSCE + HRW)^2", "~(.)^2"])
def test_all_two_list_interactions(text):
    terms = parse_formula(text, LISTS)
    assert len(terms) == 4 + 6 and all(len(t) <= 2 for t in terms)


def test_hierarchical_closure_and_main_effects_always_present():
    # a lone three-list term brings its pairs; lists not named keep their main effect
    terms = parse_formula("EXH:ABA:OSCE", LISTS)
    assert names(terms) == ["EXH", "ABA", "OSCE", "HRW", "EXH:ABA", "EXH:OSCE", "ABA:OSCE", "EXH:ABA:OSCE"]
    assert names(parse_formula("HRW", LISTS)) == LISTS


def test_removal_and_quoted_names():
    terms = parse_formula("(.)^2 - EXH:HRW - ABA:HRW", LISTS)
    assert "EXH:HRW" not in names(terms) and "ABA:OSCE" in names(terms)
    lists = ["list one", "B-2", "C"]
    assert names(parse_formula("`list one`*`B-2` + C", lists), lists)[-1] == "list one:B-2"


@pytest.mark.parametrize(
    "text, message",
    [
        ("EXH*ABA*OSCE*HRW", "interaction of all 4 lists is never estimable"),
        ("EXH*ZZZ", "no list named 'ZZZ'"),
        ("EXH*ABA*OSCE - EXH:ABA", "cannot be removed"),
        ("(.)^2 - EXH", "cannot be removed"),
        ("EXH + (ABA", "not closed|ends too early"),
        ("EXH ^ x", "positive whole number"),
        ("", "empty"),
        ("EXH +* ABA", "unexpected"),
    ],
)
def test_errors_say_what_is_wrong(text, message):
    with pytest.raises(MethodError, match=message):
        parse_formula(text, LISTS)
