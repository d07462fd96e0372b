"""A whole ``undercount estimate --method mt`` process imports only what mt needs, and says the same.

The start-up work (issue 19, item 6) made the registry, the command line's parser
and the goodness-of-fit p-value lazy; these tests keep the gain from regressing
silently (a heavy import creeping back into the mt path) and check that the
output did not move: ``tests/fixtures/cli-mt-c33a44c/`` is what main printed at
c33a44c, before the change. The timings are in ``benchmarks/bench_startup.py``.
"""

from __future__ import annotations

import importlib
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TABLES

from undercount import cli
from undercount.estimators import _INDEX, REGISTRY, Registry

FIXTURES = Path(__file__).parent / "fixtures" / "cli-mt-c33a44c"
GOLDEN = ("spina_bifida", "UKdat_5", "Artificial_3")

#: Modules a whole mt process has no use for; each cost from 10 ms to 0.4 s of CPU to import. numba
#: and scipy (0.15-0.25 s each, and numba's cache load 0.2-0.4 s more) are left out since a small
#: fixed model is fitted by the plain-Python kernels (_kernels_py) with the standard library's
#: special functions (_scalar).
NOT_FOR_MT = (
    "pandas",
    "scipy",
    "numba",
    "undercount.estimators._kernels",
    "undercount.estimators.glm",
    "undercount.results.combine",
    "undercount.results.tidy",
    "concurrent.futures",
    "statistics",
    "statsmodels",
    "plotnine",
    "matplotlib",
    "snakemake",
    "splink",
    "duckdb",
    "jsonschema",
    "openpyxl",
    "undercount.linkage",
    "undercount.config",
    "undercount.figures",
    "undercount.records",
    "undercount.estimators.chapman",
    "undercount.estimators.closed",
    "undercount.estimators.coverage",
    "undercount.estimators.dga",
    "undercount.estimators.decomposable",
    "undercount.estimators.lcmcr",
    "undercount.estimators._lcmcr_sampler",
    "undercount.estimators.loglinear_cov",
    "undercount.estimators.search",
    "undercount.estimators.sensitivity",
    "undercount.estimators.stepwise",
)

#: Modules heavier than the standard library: none is imported by ``import undercount.cli`` nor by
#: building its parser.
HEAVY = ("numpy", "scipy", "numba", "undercount.estimators", "undercount.histories", *NOT_FOR_MT)


def _loaded_after(code: str) -> set[str]:
    """Names in ``sys.modules`` of a fresh interpreter after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_importing_the_cli_and_building_its_parser_imports_nothing_heavy():
    loaded = _loaded_after("import undercount.cli as c\nc.build_parser()")
    assert "undercount.cli" in loaded
    assert sorted(m for m in HEAVY if m in loaded) == []


def test_an_mt_process_imports_only_what_mt_needs():
    table = TABLES / "spina_bifida.csv"
    loaded = _loaded_after(
        "import contextlib, io\nfrom undercount.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['estimate', {str(table)!r}, '--method', 'mt']) == 0"
    )
    # the probe sees the imports of a real run: mt's own module and its kernels are there
    assert {"undercount.estimators.loglinear", "undercount.estimators._kernels_py", "numpy"} <= loaded
    assert sorted(m for m in NOT_FOR_MT if m in loaded) == []


@pytest.mark.parametrize(
    "args",
    [
        ["UKdat_5", "--method", "mt", "--set", "interval=lognormal"],
        ["Ned", "--method", "mt"],
        ["HIV", "--method", "loglinear", "--model", "c1*c2 + c3*c4"],
        ["spina_bifida", "--method", "mth-chao"],
    ],
)
def test_other_small_fixed_models_need_neither_numba_nor_scipy(args):
    """The switch is by size (_kernels_py.use_plain), the same for every fixed model and caller."""
    table = str(TABLES / f"{args[0]}.csv")
    loaded = _loaded_after(
        "import contextlib, io\nfrom undercount.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['estimate', {table!r}, *{args[1:]!r}]) == 0"
    )
    assert not {"numba", "scipy", "undercount.estimators._kernels"} & loaded


@pytest.mark.parametrize("name", GOLDEN)
def test_estimate_mt_prints_what_main_printed_before(capsys, name):
    table = str(TABLES / f"{name}.csv")
    assert cli.main(["estimate", table, "--method", "mt"]) == 0
    assert capsys.readouterr().out == (FIXTURES / f"{name}.txt").read_text()
    assert cli.main(["estimate", table, "--method", "mt", "--format", "json"]) == 0
    _same_json(json.loads(capsys.readouterr().out), json.loads((FIXTURES / f"{name}.json").read_text()))


#: Fields that moved when the profile interval left scipy (mtlean, issue 19 item 6), with the
#: tolerance that bounds them. The profile likelihood now takes math.lgamma where it took scipy's
#: gammaln (a few units apart in the last place); the maximiser and the root finder are scipy's
#: iterations (tests/estimators/test_scalar.py), so only those last bits move the iterates. The
#: maximum's place is fixed by the function's values only to within the optimiser's tolerance
#: (xatol = 1e-6 n_hat): spina_bifida's moved 4e-10 relative. The interval's ends are roots found
#: to 1e-8 n_max (moved at most 1.3e-10 relative on every benchmark table and fixed model).
MOVED = {"$.details.n_hat_profile": 1e-6, "$.ci_low": 1e-8, "$.ci_high": 1e-8}


def _same_json(got, want, where="$"):
    """Equal keys, strings and integers; floats to 1e-12 relative (``MOVED``'s fields to theirs).

    Byte-identical on the machine that wrote the fixture (checked when it was
    written); the float tolerance leaves room for another libm's last bits in
    exp/log/lgamma and the standard-library special functions that replaced
    scipy's (rounding level: deviance_p moved 9e-14 relative at most, the
    standard errors 2e-14), far below any change of the computation.
    """
    assert type(got) is type(want), where
    if isinstance(want, dict):
        assert list(got) == list(want), where
        for key in want:
            _same_json(got[key], want[key], f"{where}.{key}")
    elif isinstance(want, list):
        assert len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want)):
            _same_json(g, w, f"{where}[{i}]")
    elif isinstance(want, float):
        rel = MOVED.get(where, 1e-12)
        assert math.isclose(got, want, rel_tol=rel, abs_tol=1e-300), (where, got, want)
    else:
        assert got == want, where


def test_the_whole_process_prints_the_same_bytes():
    """Through ``python -m undercount.cli`` (the console script's path, with its gc.freeze at exit)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "undercount.cli",
            "estimate",
            str(TABLES / "spina_bifida.csv"),
            "--method",
            "mt",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == (FIXTURES / "spina_bifida.txt").read_text() and done.stderr == ""


def test_help_still_lists_every_method(capsys):
    with pytest.raises(SystemExit):
        cli.main(["estimate", "--help"])
    out = capsys.readouterr().out
    for name in REGISTRY:
        assert f"\n  {name} " in out, name


def test_the_clis_copy_of_the_linkage_choices_agrees_with_linkage():
    from undercount import linkage

    assert cli.LINK_METHODS == linkage.METHODS
    assert cli.LINK_DEFAULT_THRESHOLD == linkage.DEFAULT_THRESHOLD


# ---------------------------------------------------------------- the lazy registry
@pytest.mark.parametrize("module", sorted(_INDEX))
def test_each_module_registers_exactly_the_names_of_the_index(module):
    found = importlib.import_module(f"undercount.estimators.{module}").METHODS
    assert sorted(m.name for m in found) == sorted(_INDEX[module])
    for method in found:
        assert REGISTRY[method.name] is method


def test_a_lookup_imports_only_that_methods_module():
    loaded = _loaded_after(
        "from undercount.estimators import REGISTRY\nassert len(REGISTRY) == 23\n"
        "assert 'dga' in REGISTRY and REGISTRY['chapman'].name == 'chapman'"
    )
    assert "undercount.estimators.chapman" in loaded
    assert not {"undercount.estimators.dga", "undercount.estimators.loglinear", "numba"} & loaded


def test_a_module_that_registers_other_names_than_the_index_says_is_refused():
    registry = Registry({"chapman": ("chapman", "chapman-2")})
    with pytest.raises(RuntimeError, match="registers chapman; the index"):
        registry["chapman"]
    with pytest.raises(RuntimeError, match="two estimators are registered as 'mt'"):
        Registry({"loglinear": ("mt",), "closed": ("mt",)})


def test_an_assigned_method_stays_when_its_module_loads_later():
    registry = Registry({"loglinear": ("mt", "loglinear", "loglinear-bca")})
    stand_in = REGISTRY["chapman"]
    registry["mt"] = stand_in
    assert registry["loglinear"].name == "loglinear"  # loads the module
    assert registry["mt"] is stand_in and list(registry) == ["mt", "loglinear", "loglinear-bca"]
    del registry["mt"]
    assert "mt" not in registry and len(registry) == 2


def test_submodules_are_reachable_as_attributes():
    import undercount.estimators as est

    assert est.dga is importlib.import_module("undercount.estimators.dga")
    with pytest.raises(AttributeError):
        est.no_such_module  # noqa: B018
