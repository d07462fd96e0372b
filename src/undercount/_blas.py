"""One set of BLAS kernels on every x86-64 machine, so that a number does not depend on the CPU.

numpy and scipy ship OpenBLAS built for many CPUs at once (``DYNAMIC_ARCH``): at load it picks
the kernels of the CPU it finds (Haswell's on an AVX2 machine, SkylakeX's on an AVX-512 one).
Those kernels add in another order, so a matrix product or a solve can differ in its last bits
from one machine to the next, and a bootstrap's percentile or a stepwise selection can turn such
bits into printed digits: the demo's stepwise-bca lower end for the Zhanaozen deaths read
43.48764 on an AVX2 machine and 43.4875 on an AVX-512 one, from the same code and inputs.

:func:`pin` sets ``OPENBLAS_CORETYPE=Haswell`` (the AVX2 kernels) before numpy loads, on Linux
x86-64 machines whose CPU has AVX2 and FMA, unless the variable is already set (an analyst's own
choice is kept). OpenBLAS reads the variable once, when the library loads, and processes
inherit it, so ``import undercount`` (the command line, every workflow job, the Snakefile's own
process and so every job it starts) pins before any numerical library is imported. A process
that imported numpy before undercount keeps the kernels it loaded; :func:`loaded_cores` tells
which (the provenance table records the variable every job inherits).

numpy's own SIMD loops are dispatched by CPU too (float64 ``exp`` and ``log`` have AVX-512
kernels, and on other CPUs call the C library): :func:`pin_numpy` keeps numpy off its AVX-512
kernels with ``NPY_DISABLE_CPU_FEATURES``, on machines that have AVX-512, where that variable is
unset. (The demo's dga figure data read 1.8719e-14 in the regression fixture, written on an
Intel Xeon, and 1.87189e-14 in CI and on an AMD EPYC without AVX-512; that value was a
difference of sums, roundoff of about 1e-11 of its bin, and the figure now writes it as 0:
``undercount.estimators.dga.OTHER_FLOOR``. Whether that Xeon had AVX-512 was not recorded.)

This module imports nothing numerical.
"""

from __future__ import annotations

import os
import sys

#: The OpenBLAS kernels every x86-64 machine with AVX2 and FMA uses (Intel since 2013, AMD since 2015).
PORTABLE_X86 = "Haswell"
#: The CPU flags those kernels need.
NEEDED_FLAGS = ("avx2", "fma")
VARIABLE = "OPENBLAS_CORETYPE"


def _cpu_flags(path: str = "/proc/cpuinfo") -> set[str]:
    try:
        with open(path, encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return set(line.partition(":")[2].split())
    except OSError:
        pass
    return set()


def _linux_x86_64(machine: str | None) -> bool:
    """Linux on x86-64 (``machine``, or this machine's; not platform.machine(): platform costs ~20 ms)."""
    return sys.platform.startswith("linux") and (machine or os.uname().machine).lower() in ("x86_64", "amd64")


def pin(
    environ: dict[str, str] | None = None, *, machine: str | None = None, flags: set[str] | None = None
) -> str | None:
    """Set ``OPENBLAS_CORETYPE`` to the portable kernels where it is unset and the CPU has them.

    Returns the value in force afterwards (None where nothing is pinned: another
    architecture, another system, or a CPU without AVX2 and FMA, whose own kernels then run).
    """
    env = os.environ if environ is None else environ
    if env.get(VARIABLE):
        return env[VARIABLE]
    if not _linux_x86_64(machine):
        return None
    have = _cpu_flags() if flags is None else flags
    if not all(f in have for f in NEEDED_FLAGS):
        return None
    env[VARIABLE] = PORTABLE_X86
    return PORTABLE_X86


#: numpy's own SIMD kernels are picked by the CPU as well: on an AVX-512 machine float64 ``exp``
#: and ``log`` (and the sorts) run AVX-512 code, elsewhere the C library's, and the two may differ
#: in the last bit. The AVX-512 dispatch targets of numpy 2.4 and newer, then of older releases
#: (numpy ignores a name it does not dispatch to).
NUMPY_VARIABLE = "NPY_DISABLE_CPU_FEATURES"
NUMPY_AVX512 = (
    "X86_V4 AVX512_ICL AVX512_SPR",
    "AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL AVX512_SPR",
)


def pin_numpy(
    environ: dict[str, str] | None = None,
    *,
    machine: str | None = None,
    flags: set[str] | None = None,
    numpy_version: str | None = None,
) -> str | None:
    """Keep numpy off its AVX-512 kernels, so that an AVX-512 machine computes as an AVX2 one does.

    Sets ``NPY_DISABLE_CPU_FEATURES`` where it is unset, on Linux x86-64 machines whose CPU has
    AVX-512 (elsewhere there is nothing to disable). Returns the value in force afterwards, or
    None. numpy reads the variable once, when it loads.
    """
    env = os.environ if environ is None else environ
    if env.get(NUMPY_VARIABLE):
        return env[NUMPY_VARIABLE]
    if not _linux_x86_64(machine):
        return None
    have = _cpu_flags() if flags is None else flags
    if "avx512f" not in have:
        return None
    if numpy_version is None:
        from importlib import metadata

        try:
            numpy_version = metadata.version("numpy")
        except metadata.PackageNotFoundError:
            return None
    major, minor = (int(part) for part in numpy_version.split(".")[:2])
    env[NUMPY_VARIABLE] = NUMPY_AVX512[0] if (major, minor) >= (2, 4) else NUMPY_AVX512[1]
    return env[NUMPY_VARIABLE]


def loaded_cores() -> dict[str, str]:
    """The kernels each OpenBLAS loaded in this process uses (library file name -> core name).

    Read from the libraries themselves (their ``*get_corename*`` function), so it says what ran,
    not what was asked for. Empty where none is loaded or the system has no ``/proc/self/maps``.
    """
    import ctypes

    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
            paths = sorted({line.split()[-1] for line in fh if "openblas" in line.lower() and "/" in line})
    except OSError:
        return {}
    out: dict[str, str] = {}
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in (
            "scipy_openblas_get_corename64_",
            "scipy_openblas_get_corename",
            "openblas_get_corename",
        ):
            func = getattr(lib, name, None)
            if func is not None:
                func.restype = ctypes.c_char_p
                out[os.path.basename(path)] = func().decode("ascii", errors="replace").strip()
                break
    return out
