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


# ------------------------------------------------- one statement of settings and capabilities
import inspect  # noqa: E402

import numpy as np  # noqa: E402

from undercount.estimators.base import CAPABILITIES  # noqa: E402
from undercount.results.details import ChainsSummary, GridPosterior, LoglinearFit  # noqa: E402

#: Keyword arguments every estimator function takes beside its settings.
NOT_SETTINGS = {"level", "model", "rng"}


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_settings_and_signature_agree(name):
    """Each Setting is a keyword argument of the function with the same default, and nothing else is."""
    spec = REGISTRY[name]
    params = dict(inspect.signature(spec.function).parameters)
    params.pop(next(iter(params)))  # the table
    keywords = {k: p for k, p in params.items() if k not in NOT_SETTINGS}
    assert set(keywords) == {s.name for s in spec.settings}, name
    for setting in spec.settings:
        assert keywords[setting.name].default == setting.default, (name, setting.name)
        assert keywords[setting.name].kind is inspect.Parameter.KEYWORD_ONLY
    assert ("model" in params) == spec.accepts_model and ("rng" in params) == spec.stochastic
    assert params["level"].default == 0.95


def test_a_disagreement_is_caught(monkeypatch):
    """The check above fails for a function whose signature lost a setting (it can fail)."""
    spec = REGISTRY["mt"]

    def mt(table, *, level=0.95):  # no 'interval'
        return spec.function(table, level=level)

    with pytest.raises(AssertionError):
        monkeypatch.setitem(REGISTRY, "mt", Method("mt", mt, "s", "r", settings=spec.settings))
        test_settings_and_signature_agree("mt")


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_results_carry_what_the_method_says_it_produces(hiv, name):
    """Draws of the declared kind, cells, chains or a grid posterior: declared exactly when present."""
    spec = REGISTRY[name]
    assert spec.produces <= CAPABILITIES
    settings = {"progress": False} if "progress" in {s.name for s in spec.settings} else {}
    if "nboot" in {s.name for s in spec.settings}:
        settings["nboot"] = 40
    if "workers" in {s.name for s in spec.settings}:
        settings["workers"] = 1
    if name == "lcmcr":
        settings.update(burnin=20, samples=8, thinning=2, chains=2)
    if name == "chapman":
        settings["pair"] = "largest"
    result = estimate(
        hiv, name, settings=settings, model="c1*c2 + c3 + c4" if spec.accepts_model else None, seed=1
    )
    assert result.estimable, name  # HIV gives every method a number
    assert (result.draws.kind if result.draws is not None else None) == spec.draws_kind
    assert isinstance(result.details, LoglinearFit) == spec.has_cells
    if spec.has_cells:
        assert len(result.details.cells) == 15 and result.fit is not None
    assert isinstance(result.details, ChainsSummary) == ("chains" in spec.produces)
    assert isinstance(result.details, GridPosterior) == ("grid-posterior" in spec.produces)
    assert np.isfinite(result.n_hat)


def test_posterior_figures_come_from_capabilities():
    assert REGISTRY["lcmcr"].posterior_figures == ("trace", "density")
    assert REGISTRY["dga"].posterior_figures == ("posterior",)
    assert REGISTRY["mt"].posterior_figures == () and REGISTRY["mt"].has_cells
    assert REGISTRY["stepwise-bca"].draws_kind == "bootstrap" and REGISTRY["chapman"].draws_kind is None
    with pytest.raises(ValueError, match="unknown capabilities"):
        Method("x", lambda t, *, level: None, "s", "r", produces=frozenset({"residues"}))
