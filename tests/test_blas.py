"""The BLAS kernels are pinned before numpy loads, so a number does not depend on the CPU (undercount._blas)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from undercount import _blas


def test_pinned_where_unset_on_x86_64_linux_with_avx2_and_fma(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    env: dict[str, str] = {}
    assert _blas.pin(env, machine="x86_64", flags={"avx2", "fma", "sse2"}) == "Haswell"
    assert env == {"OPENBLAS_CORETYPE": "Haswell"}


def test_an_analysts_own_choice_is_kept():
    env = {"OPENBLAS_CORETYPE": "SkylakeX"}
    assert _blas.pin(env, machine="x86_64", flags={"avx2", "fma"}) == "SkylakeX"
    assert env == {"OPENBLAS_CORETYPE": "SkylakeX"}


@pytest.mark.parametrize(
    ("machine", "flags"),
    [("aarch64", {"avx2", "fma"}), ("x86_64", {"sse2", "avx"}), ("x86_64", {"avx2"})],
)
def test_not_pinned_where_the_kernels_cannot_run(monkeypatch, machine, flags):
    monkeypatch.setattr(sys, "platform", "linux")
    env: dict[str, str] = {}
    assert _blas.pin(env, machine=machine, flags=flags) is None
    assert env == {}


def _fresh_process(code: str, *, without: str):
    """What ``code`` prints as JSON, run in a fresh interpreter whose environment lacks ``without``."""
    env = {k: v for k, v in os.environ.items() if k != without}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_import_undercount_pins_the_kernels_numpy_and_scipy_load():
    """In a fresh process without the variable: import undercount, then numpy and scipy's BLAS."""
    if not (sys.platform.startswith("linux") and os.uname().machine == "x86_64"):
        pytest.skip(f"the pin applies to Linux x86-64 only; this is {sys.platform} {os.uname().machine}")
    if not all(f in _blas._cpu_flags() for f in _blas.NEEDED_FLAGS):
        pytest.skip("this CPU lacks AVX2 or FMA: OpenBLAS runs its own kernels, nothing is pinned")
    code = (
        "import os, json, undercount, numpy, scipy.linalg\n"
        "from undercount._blas import loaded_cores\n"
        "print(json.dumps([os.environ.get('OPENBLAS_CORETYPE'), loaded_cores()]))\n"
    )
    value, cores = _fresh_process(code, without="OPENBLAS_CORETYPE")
    assert value == "Haswell"
    assert cores and set(cores.values()) == {"Haswell"}, cores  # numpy's and scipy's OpenBLAS alike


def test_this_test_process_runs_the_pinned_kernels():
    """conftest imports undercount before anything numerical, so the suite's numbers are the pinned ones."""
    pinned = os.environ.get("OPENBLAS_CORETYPE")
    if not pinned:
        pytest.skip("nothing pinned on this machine (another architecture or a CPU without AVX2/FMA)")
    import numpy  # noqa: F401

    cores = _blas.loaded_cores()
    assert cores and set(cores.values()) <= {pinned}, cores


def test_numpy_is_kept_off_avx512_only_where_the_cpu_has_it():
    env: dict[str, str] = {}
    assert _blas.pin_numpy(env, machine="x86_64", flags={"avx2", "fma"}, numpy_version="2.4.6") is None
    assert env == {}  # nothing to disable: numpy already runs the kernels an AVX2 machine runs
    assert (
        _blas.pin_numpy(env, machine="x86_64", flags={"avx512f"}, numpy_version="2.4.6")
        == "X86_V4 AVX512_ICL AVX512_SPR"
    )
    older: dict[str, str] = {}
    assert (
        "AVX512F"
        in _blas.pin_numpy(older, machine="x86_64", flags={"avx512f"}, numpy_version="2.2.1").split()
    )
    own = {"NPY_DISABLE_CPU_FEATURES": "AVX2"}
    assert _blas.pin_numpy(own, machine="x86_64", flags={"avx512f"}) == "AVX2" and own == {
        "NPY_DISABLE_CPU_FEATURES": "AVX2"
    }
    assert _blas.pin_numpy({}, machine="aarch64", flags={"avx512f"}, numpy_version="2.4.6") is None


def test_import_undercount_keeps_numpy_off_its_avx512_kernels():
    """In a fresh process without the variable: after import undercount, numpy dispatches to no AVX-512 kernel."""
    code = (
        "import os, json, undercount, numpy\n"
        "from numpy._core._multiarray_umath import __cpu_features__ as f\n"
        "print(json.dumps([os.environ.get('NPY_DISABLE_CPU_FEATURES'), sorted(k for k, v in f.items() if v)]))\n"
    )
    value, enabled = _fresh_process(code, without="NPY_DISABLE_CPU_FEATURES")
    assert not [f for f in enabled if f.startswith("AVX512") or f == "X86_V4"], enabled
    avx512 = (
        sys.platform.startswith("linux")
        and os.uname().machine == "x86_64"
        and "avx512f" in _blas._cpu_flags()
    )
    assert (value is not None) == avx512, value  # set exactly where there is something to disable
