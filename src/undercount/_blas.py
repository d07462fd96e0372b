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
    if not sys.platform.startswith("linux"):
        return None
    machine = (
        machine or os.uname().machine
    ).lower()  # not platform.machine(): platform costs ~20 ms to import
    if machine not in ("x86_64", "amd64"):
        return None
    have = _cpu_flags() if flags is None else flags
    if not all(f in have for f in NEEDED_FLAGS):
        return None
    env[VARIABLE] = PORTABLE_X86
    return PORTABLE_X86


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
