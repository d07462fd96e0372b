"""undercount: multiple systems estimation of undocumented victims.

The library is layered the way data flows through the workflow::

    records -> linkage -> histories -> estimators -> results -> figures

Every stage is a plain function of its inputs; nothing here knows about
Snakemake or about paths under ``results/``.

The public API, for a notebook::

    import undercount
    table = undercount.CaptureTable.from_frame(df)   # 0/1 list columns and a count column
    result = undercount.estimate(table, "lcmcr", seed=1)
    result.summary(); result.conf_int(0.9); result.to_frame()

``estimate``, ``CaptureTable``, the registry (``REGISTRY``, ``method_names``,
``get_method``), ``EstimateResult``, ``read_result``, ``combine`` and ``link``
(records into persons; date columns as ISO text or pandas datetimes) are
imported on first use, so that ``import undercount`` itself stays light (no
numerical or plotting library is loaded by it).
"""

from __future__ import annotations

import importlib

from . import _blas

# the same BLAS kernels on every x86-64 machine, and numpy off its AVX-512 kernels, set before
# numpy or scipy loads (undercount._blas)
_blas.pin()
_blas.pin_numpy()

#: ``typing`` costs more to import than the rest of this module; mypy reads this name as typing's.
TYPE_CHECKING = False

__version__ = "0.1.0"

#: Public name -> module it lives in (imported on first access).
_PUBLIC = {
    "estimate": "undercount.estimators",
    "REGISTRY": "undercount.estimators",
    "method_names": "undercount.estimators",
    "get_method": "undercount.estimators",
    "Method": "undercount.estimators",
    "Setting": "undercount.estimators",
    "CaptureTable": "undercount.histories",
    "EstimateResult": "undercount.results",
    "read_result": "undercount.results",
    "combine": "undercount.results",
    "link": "undercount.linkage",
}

__all__ = [
    "REGISTRY",
    "CaptureTable",
    "EstimateResult",
    "Method",
    "Setting",
    "__version__",
    "combine",
    "estimate",
    "get_method",
    "link",
    "method_names",
    "read_result",
]

if TYPE_CHECKING:
    from .estimators import REGISTRY, Method, Setting, estimate, get_method, method_names
    from .histories import CaptureTable
    from .linkage import link
    from .results import EstimateResult, combine, read_result


def __getattr__(name: str) -> object:
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'undercount' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
