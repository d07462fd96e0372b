"""EstimateResult: its file (an exact round trip), its views and its intervals at other levels."""

import json
import math
import sys
from dataclasses import replace

import numpy as np
import pytest
from conftest import benchmark_table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from undercount.errors import MethodError
from undercount.estimators import REGISTRY, estimate
from undercount.histories import CaptureTable
from undercount.results import Draws, EstimateResult, combine, estimate_table, read_result

#: Settings that keep every method fast on a small table (the round trip does not depend on them).
FAST = {
    "lcmcr": {"burnin": 20, "samples": 8, "thinning": 2, "chains": 2, "workers": 1, "progress": False},
    "dga": {"progress": False, "draws": 200},
    "chapman": {"pair": "largest"},
    "sample-coverage": {"nboot": 40},
}
MODEL = "a*b + c"


def fast_settings(name: str) -> dict:
    spec = REGISTRY[name]
    out = dict(FAST.get(name, {}))
    names = {s.name for s in spec.settings}
    if "nboot" in names and name != "sample-coverage":
        out.update(nboot=20, workers=1, progress=False)
    return out


def run(name: str, table: CaptureTable, seed: int = 1, level: float = 0.95) -> EstimateResult:
    spec = REGISTRY[name]
    return estimate_table(
        table,
        {"notes": ["a note of the table"]},
        method=name,
        model=MODEL if spec.accepts_model else None,
        settings=fast_settings(name),
        seed=seed,
        level=level,
    )


tables = st.lists(st.integers(0, 40), min_size=7, max_size=7).map(
    lambda counts: CaptureTable.from_arrays(
        ["a", "b", "c"],
        [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]],
        counts,
    )
)


@pytest.mark.parametrize("name", sorted(REGISTRY))
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=tables, seed=st.integers(0, 2**32 - 1))
def test_write_then_read_gives_an_equal_result(tmp_path_factory, name, table, seed):
    """Every registered method, estimable or not: the file keeps every number, draw and detail."""
    if table.n_observed == 0:
        return
    result = run(name, table, seed)
    path = tmp_path_factory.mktemp("r") / f"{name}.json"
    result.write(path)
    back = read_result(path)
    assert back == result
    assert back.fit is None and back.runtime == {}
    assert type(back.details) is type(result.details)
    if result.draws is not None:
        assert back.draws.values.shape == result.draws.values.shape
        assert np.array_equal(back.draws.values, result.draws.values, equal_nan=True)
    # strict JSON: no NaN or Infinity tokens that other tools cannot read
    json.loads(path.read_text("utf-8"), parse_constant=lambda token: pytest.fail(f"{token} in {path}"))
    path.write_text(path.read_text("utf-8"))  # a second write of the read result is byte-identical
    again = path.with_suffix(".again.json")
    back.write(again)
    assert again.read_bytes() == path.read_bytes()


def test_equality_sees_every_difference(hiv):
    result = estimate(hiv, "stepwise-bca", seed=1, settings={"nboot": 20, "workers": 1, "progress": False})
    assert result == replace(result, fit=None, runtime={"seconds": 3.0})  # not kept, not compared
    values = np.array(result.draws.values)
    values[0, 3] += 1e-9
    assert result != replace(result, draws=Draws(values, "bootstrap"))
    assert result != replace(result, draws=Draws(result.draws.values, "posterior"))
    assert result != replace(result, warnings=result.warnings + ("x",))
    cells = result.details.cells
    changed = replace(cells[0], fitted=cells[0].fitted * (1 + 1e-12))
    assert result != replace(result, details=replace(result.details, cells=(changed,) + cells[1:]))
    assert result != replace(result, ci_high=math.inf)


def test_read_refuses_what_is_not_a_result(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"method": "mt"}')
    with pytest.raises(MethodError, match="x.json: cannot read an estimate: not an undercount result"):
        read_result(path)
    with pytest.raises(MethodError, match="cannot read an estimate"):
        read_result(tmp_path / "missing.json")


def test_infinite_upper_end_survives(tmp_path):
    result = EstimateResult("mt", ("a", "b"), 10, 12.0, 11.0, math.inf, details={"x": [math.nan, -math.inf]})
    result.write(tmp_path / "r.json")
    text = (tmp_path / "r.json").read_text()
    assert '"ci_high": "Infinity"' in text and '"NaN"' in text
    assert read_result(tmp_path / "r.json") == result


def test_draws_are_shaped_chain_by_draw(hiv):
    lcmcr = estimate(benchmark_table("NewOrl_5"), "lcmcr", seed=2, settings=FAST["lcmcr"])
    assert lcmcr.draws.kind == "posterior" and lcmcr.draws.values.shape == (2, 8)
    assert lcmcr.details.chains == 2 and lcmcr.details.draws_per_chain == 8
    boot = estimate(hiv, "stepwise-bca", seed=1, settings={"nboot": 20, "workers": 1, "progress": False})
    assert boot.draws.kind == "bootstrap" and boot.draws.values.shape == (1, 20)  # a bootstrap is one chain
    with pytest.raises(MethodError, match=r"shaped \(chain, draw\)"):
        Draws(np.zeros(3), "posterior")
    with pytest.raises(MethodError, match="posterior or bootstrap"):
        Draws(np.zeros((1, 3)), "quantiles")


def test_summary_is_the_command_line_table(hiv):
    text = estimate(hiv, "mt").summary()
    assert text.splitlines()[:6] == [
        "method            mt",
        "model             c1 + c2 + c3 + c4",
        "lists             c1, c2, c3, c4",
        "observed          1,896",
        "estimate          11,124.6",
        "95% interval      9,531.7 to 13,114.1",
    ]


def test_the_fit_stays_in_memory(hiv):
    mt = estimate(hiv, "mt")
    assert mt.fit.deviance == pytest.approx(mt.details.deviance) and mt.fit.n_hat == mt.n_hat
    dga = estimate(benchmark_table("NewOrl_5"), "dga", settings={"progress": False})
    assert dga.fit.median == dga.n_hat  # the DgaPosterior answers more than the details keep
    assert dga.fit.quantile(0.5) == dga.n_hat


def test_timings_are_logged_not_written(tmp_path):
    result = estimate(benchmark_table("NewOrl_5"), "lcmcr", seed=2, settings=FAST["lcmcr"])
    assert result.runtime["seconds"] > 0 and "sweeps_per_second_per_chain" in result.runtime
    result.write(tmp_path / "r.json")
    assert "seconds" not in (tmp_path / "r.json").read_text()


# ------------------------------------------------------------------ conf_int
@pytest.mark.parametrize(
    "name, table, extra",
    [
        ("lcmcr", "NewOrl_5", {}),  # quantiles of the posterior draws
        ("dga", "NewOrl_5", {}),  # the exact grid posterior
        ("stepwise-bca", "HIV", {}),  # BCa from the replicates
        ("loglinear-bic-bca", "HIV", {}),
        ("chapman", "HIV", {"pair": "c1,c2"}),  # log-normal on the undocumented number
        ("stepwise", "HIV", {}),  # log-normal from the intercept's standard error
        ("sample-coverage", "HIV", {"nboot": 200}),  # log-normal with the bootstrap's standard error
        ("mt", "HIV", {}),  # profile likelihood, from the fit in memory
        ("mh-chao", "HIV", {}),
    ],
)
def test_conf_int_at_another_level_is_the_methods_own(tmp_path, name, table, extra):
    """conf_int(0.8) of a 95% result is what the method itself gives at 80%, to the last digit."""
    t = benchmark_table(table)
    spec = REGISTRY[name]
    given_settings = {**fast_settings(name), **extra}
    wide = estimate(t, name, settings=given_settings, seed=5 if spec.stochastic else None)
    narrow = estimate(t, name, settings=given_settings, seed=5 if spec.stochastic else None, level=0.8)
    assert wide.conf_int() == (wide.ci_low, wide.ci_high) == wide.conf_int(0.95)
    assert wide.conf_int(0.8) == (narrow.ci_low, narrow.ci_high)
    wide.write(tmp_path / "r.json")
    back = read_result(tmp_path / "r.json")
    if name in ("mt", "mh-chao"):
        with pytest.raises(MethodError, match="profile likelihood.*needs the fitted model"):
            back.conf_int(0.8)
    else:
        assert back.conf_int(0.8) == (narrow.ci_low, narrow.ci_high)


def test_conf_int_of_no_estimate(hiv):
    result = estimate_table(hiv, {"unusable_reason": "too few"}, method="mt")
    assert all(math.isnan(v) for v in result.conf_int(0.8))
    with pytest.raises(MethodError, match="between 0 and 1"):
        result.conf_int(80)


# ------------------------------------------------------------------ ArviZ
def test_inference_data_for_arviz():
    az = pytest.importorskip("arviz", reason="the optional extra undercount[arviz] is not installed")
    result = estimate(benchmark_table("NewOrl_5"), "lcmcr", seed=2, settings=FAST["lcmcr"])
    data = result.to_inference_data()
    assert dict(data.posterior.sizes) == {"chain": 2, "draw": 8}
    np.testing.assert_array_equal(data.posterior["N"].values, result.draws.values)
    summary = az.summary(data, var_names=["N"], kind="stats")
    assert summary.loc["N", "mean"] == pytest.approx(np.mean(result.draws.values))
    assert data.attrs["method"] == "lcmcr"
    boot = estimate(
        benchmark_table("HIV"),
        "stepwise-bca",
        seed=1,
        settings={"nboot": 20, "workers": 1, "progress": False},
    )
    boot_data = boot.to_inference_data()
    assert "posterior" not in boot_data.groups()
    assert dict(boot_data.bootstrap.sizes) == {"chain": 1, "draw": 20}
    stats = az.summary(boot_data, group="bootstrap", kind="stats")
    assert stats.loc["N", "mean"] == pytest.approx(np.nanmean(boot.draws.values))


def test_inference_data_names_the_extra_when_arviz_is_missing(monkeypatch, hiv):
    monkeypatch.setitem(sys.modules, "arviz", None)  # an import of arviz now fails, as if not installed
    result = estimate(hiv, "stepwise-bca", seed=1, settings={"nboot": 20, "workers": 1, "progress": False})
    with pytest.raises(MethodError, match=r"pip install 'undercount\[arviz\]'"):
        result.to_inference_data()


def test_combined_results_round_trip(tmp_path, hiv):
    parts = {
        s: estimate(hiv, "stepwise-bca", seed=s, settings={"nboot": 20, "workers": 1, "progress": False})
        for s in (1, 2)
    }
    for result in (
        combine.add({str(k): v for k, v in parts.items()}, rng=np.random.default_rng(0)),
        combine.mix(list(parts.values())),
        combine.mix([estimate(hiv, "mt"), estimate(hiv, "mt")], how="rubin"),
    ):
        result.write(tmp_path / "c.json")
        assert read_result(tmp_path / "c.json") == result


def _walked(fn, value):
    """``fn`` (encode, decode or plain of undercount.results._json) with its long-list shortcut off."""
    from undercount.results import _json

    saved = _json._LONG
    _json._LONG = sys.maxsize
    try:
        return fn(value)
    finally:
        _json._LONG = saved


#: what may follow a long run of finite floats: nothing, or one item that stops the shortcut or not
_TAILS = [
    [],
    [math.nan],
    [math.inf],
    [-math.inf],
    ["NaN"],
    ["Infinity"],
    [None],
    [2**70],
    ["text"],
    [True],
    [7],
]


@pytest.mark.parametrize("tail", _TAILS, ids=repr)
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    head=st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=64, max_size=80),
    at=st.integers(min_value=0, max_value=80),
    nested=st.booleans(),
)
def test_long_lists_of_numbers_take_the_shortcut_with_the_same_json(tail, head, at, nested):
    """A posterior of 10^5-10^6 grid points is written and read without walking it item by item:
    the shortcut gives the same data as the walk, for lists of finite numbers and for lists that
    hold a non-finite float, a NON_FINITE name, a huge int, None or text anywhere (no shortcut)."""
    from undercount.results._json import decode, encode, plain

    value = head + tail
    data = {
        "posterior": [value, value] if nested else value,
        "array": np.asarray(head),
        "tuple": tuple(value),
    }
    ready = plain(data)
    assert json.dumps(ready, default=repr) == json.dumps(_walked(plain, data), default=repr)
    coded = encode(ready)
    assert json.dumps(coded, allow_nan=True) == json.dumps(_walked(encode, ready), allow_nan=True)
    back = decode(json.loads(json.dumps(coded, allow_nan=True)))
    assert json.dumps(back, allow_nan=True) == json.dumps(
        _walked(decode, json.loads(json.dumps(coded))), allow_nan=True
    )
