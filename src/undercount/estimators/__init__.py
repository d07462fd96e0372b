"""Population-size estimators, found by name in one registry.

The command line and the workflow both call :func:`estimate`; adding an
estimator means writing its module and adding its method names to
``_INDEX``.

The registry is lazy: ``_INDEX`` says which module registers which method, so
listing the names imports nothing, and looking a method up imports only its
module (the first time). A whole ``undercount estimate --method mt`` process
thus never imports dga, LCMCR or the covariate models, nor numba's kernels of
those methods. ``tests/estimators/test_registry.py`` checks that every module's
``METHODS`` registers exactly the names ``_INDEX`` gives it.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import replace
from typing import Any

import numpy as np

from ..errors import MethodError
from ..histories import CaptureTable
from .base import EstimateResult, Method, Setting, not_estimable
from .screen import check_result, screen

#: Numerical failures an estimator may meet on a hostile table; each becomes a reason, never a traceback.
NUMERICAL_FAILURES = (np.linalg.LinAlgError, ArithmeticError, MemoryError)

#: Estimator modules (each exposes METHODS, a tuple of Method) and the names each registers, in
#: registry order.
_INDEX: dict[str, tuple[str, ...]] = {
    "chapman": ("chapman",),
    "dga": ("dga",),
    "loglinear": ("mt", "loglinear", "loglinear-bca"),
    "closed": (
        "m0",
        "mh-chao",
        "mh-poisson",
        "mh-darroch",
        "mh-gamma",
        "mth-chao",
        "mth-poisson",
        "mth-darroch",
        "mth-gamma",
    ),
    "search": ("loglinear-aic", "loglinear-bic", "loglinear-aic-bca", "loglinear-bic-bca"),
    "stepwise": ("stepwise", "stepwise-bca"),
    "coverage": ("sample-coverage",),
    "lcmcr": ("lcmcr",),
    "loglinear_cov": ("loglinear-cov",),
}

#: The estimator modules, imported on first attribute access (``undercount.estimators.dga``).
_SUBMODULES = frozenset(_INDEX)


class Registry(MutableMapping[str, Method]):
    """Methods by name; a method's module is imported when the method is first looked up.

    Iterating, ``len`` and ``in`` read the index only. Assigning a name (as a
    test's ``monkeypatch.setitem`` does) stores that method in place of the
    registered one.
    """

    def __init__(self, index: Mapping[str, tuple[str, ...]]) -> None:
        self._entries: dict[str, Method | str] = {}
        for module, names in index.items():
            for name in names:
                if name in self._entries:
                    raise RuntimeError(f"two estimators are registered as {name!r}")
                self._entries[name] = module
        self._index = {module: tuple(names) for module, names in index.items()}

    def _load(self, module: str) -> None:
        found = importlib.import_module(f"{__name__}.{module}").METHODS
        names = tuple(m.name for m in found)
        if sorted(names) != sorted(self._index[module]) or len(set(names)) != len(names):
            raise RuntimeError(
                f"estimators.{module} registers {', '.join(names)}; the index (_INDEX) says "
                f"{', '.join(self._index[module])}"
            )
        for method in found:
            if self._entries.get(method.name) == module:  # not replaced meanwhile
                self._entries[method.name] = method

    def __getitem__(self, name: str) -> Method:
        entry = self._entries[name]
        if isinstance(entry, str):
            self._load(entry)
            entry = self._entries[name]
            assert not isinstance(entry, str)
        return entry

    def __setitem__(self, name: str, method: Method) -> None:
        self._entries[name] = method

    def __delitem__(self, name: str) -> None:
        del self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def loaded(self) -> list[str]:
        """Names whose module has been imported (or that were assigned)."""
        return [name for name, entry in self._entries.items() if not isinstance(entry, str)]

    def __repr__(self) -> str:
        return f"Registry({list(self._entries)})"


REGISTRY: Registry = Registry(_INDEX)


def __getattr__(name: str) -> object:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "EstimateResult",
    "Method",
    "REGISTRY",
    "Setting",
    "estimate",
    "get_method",
    "method_names",
    "not_estimable",
]


def method_names() -> list[str]:
    """Names of every registered estimator, sorted."""
    return sorted(REGISTRY)


def get_method(name: str) -> Method:
    """Look a method up by name, with the known names in the error."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise MethodError(f"unknown method {name!r}; known methods: {', '.join(method_names())}") from None


def estimate(
    table: CaptureTable,
    method: str,
    *,
    model: str | None = None,
    settings: Mapping[str, Any] | None = None,
    seed: int | None = None,
    level: float = 0.95,
) -> EstimateResult:
    """Estimate the total of ``table`` with the named method.

    Parameters
    ----------
    table
        Capture histories.
    method
        A name from :func:`method_names`.
    model
        A model formula, for methods that take one.
    settings
        Method settings by name; strings are converted to the setting's type.
    seed
        Seed of the random generator of a Monte Carlo method. Required there,
        so that every result can be reproduced.
    level
        Interval level, strictly between 0 and 1.
    """
    spec = get_method(method)
    if not 0.0 < float(level) < 1.0:
        raise MethodError(f"interval level must be between 0 and 1, got {level}")
    if table.k < spec.min_lists:
        raise MethodError(
            f"method '{spec.name}' needs at least {spec.min_lists} lists; "
            f"the table has {table.k} ({', '.join(table.lists)})"
        )
    if spec.max_lists is not None and table.k > spec.max_lists:
        raise MethodError(
            f"method '{spec.name}' handles at most {spec.max_lists} lists; "
            f"the table has {table.k} ({', '.join(table.lists)})"
        )
    kwargs: dict[str, Any] = spec.resolve(settings)
    if model is not None and not spec.accepts_model:
        raise MethodError(f"method '{spec.name}' takes no --model")
    if spec.accepts_model:
        kwargs["model"] = model
    if spec.stochastic:
        if seed is None:
            raise MethodError(f"method '{spec.name}' is a Monte Carlo method: give it a --seed")
        kwargs["rng"] = np.random.default_rng(seed)
    settings_used = {name: kwargs[name] for name in (s.name for s in spec.settings)}
    if spec.stochastic:
        settings_used["seed"] = seed
    if not spec.screens_own_lists:
        screening = screen(table)
        if screening.refusal is not None:
            return not_estimable(
                spec.name,
                table.lists,
                table.n_observed,
                screening.refusal,
                level=level,
                settings=settings_used,
            )
    try:
        result = spec.function(table, level=float(level), **kwargs)
    except NUMERICAL_FAILURES as exc:
        first = (str(exc).splitlines() or [""])[0]
        return not_estimable(
            spec.name,
            table.lists,
            table.n_observed,
            f"{spec.name} failed on this table ({type(exc).__name__}: {first}); no estimate is given",
            level=level,
            settings=settings_used,
        )
    if not spec.screens_own_lists and screening.warnings:
        result = replace(result, warnings=screening.warnings + tuple(result.warnings))
    result = check_result(result, table)
    if result.estimable and result.n_hat < result.n_observed * (1 - 1e-9):
        raise AssertionError(
            f"{spec.name} returned {result.n_hat} below the {result.n_observed} observed: a bug"
        )
    # the settings are the registry's (resolved, defaults included): one statement of them
    return replace(result, settings=settings_used)
