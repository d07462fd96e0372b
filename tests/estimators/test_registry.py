import pytest

from undercount.errors import MethodError
from undercount.estimators import REGISTRY, estimate, get_method, method_names
from undercount.estimators.base import Method, Setting


def test_foundation_methods_registered():
    assert {"chapman", "mt"} <= set(method_names())
    for name, spec in REGISTRY.items():
        assert spec.name == name
        assert spec.summary and spec.reference


def test_unknown_method_lists_known_ones(hiv):
    with pytest.raises(MethodError, match="known methods: .*mt"):
        estimate(hiv, "nope")


def test_unknown_setting_lists_known_ones(hiv):
    with pytest.raises(MethodError, match="its settings are: pair"):
        estimate(hiv, "chapman", settings={"pairs": "c1,c2"})


def test_model_rejected_where_not_taken(hiv):
    with pytest.raises(MethodError, match="takes no --model"):
        estimate(hiv, "mt", model="c1*c2")


def test_level_checked(hiv):
    with pytest.raises(MethodError, match="between 0 and 1"):
        estimate(hiv, "mt", level=95)


def test_narrower_level_narrower_interval(hiv):
    wide, narrow = estimate(hiv, "mt", level=0.95), estimate(hiv, "mt", level=0.8)
    assert wide.ci_low < narrow.ci_low < narrow.ci_high < wide.ci_high


@pytest.mark.parametrize(
    "kind, raw, parsed",
    [
        (int, "12", 12),
        (int, 3.0, 3),
        (float, "0.25", 0.25),
        (bool, "yes", True),
        (bool, "0", False),
        (str, "a", "a"),
    ],
)
def test_setting_coercion(kind, raw, parsed):
    assert Setting("x", kind, None, "").parse(raw, "m") == parsed


@pytest.mark.parametrize("kind, raw", [(int, "1.5"), (int, "ten"), (float, "nan"), (bool, "maybe")])
def test_setting_rejects(kind, raw):
    with pytest.raises(MethodError, match="setting 'x' of method 'm'"):
        Setting("x", kind, None, "").parse(raw, "m")


def test_bounds_and_choices():
    with pytest.raises(MethodError, match="at least 1"):
        Setting("x", int, 5, "", minimum=1).parse("0", "m")
    with pytest.raises(MethodError, match="one of"):
        Setting("x", str, "a", "", choices=("a", "b")).parse("c", "m")


def test_stochastic_method_needs_seed(hiv, monkeypatch):
    seen = {}

    def fake(table, *, level, rng):
        seen["draw"] = rng.integers(1_000_000)
        return get_method("mt").function(table, level=level)

    monkeypatch.setitem(REGISTRY, "fake", Method("fake", fake, "s", "r", stochastic=True))
    with pytest.raises(MethodError, match="--seed"):
        estimate(hiv, "fake")
    first = estimate(hiv, "fake", seed=7)
    draw = seen["draw"]
    estimate(hiv, "fake", seed=7)
    assert seen["draw"] == draw
    assert first.settings["seed"] == 7
