"""Population-size estimators, found by name in one registry.

The command line and the workflow both call :func:`estimate`; adding an
estimator means writing its module and adding one line to ``_MODULES``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from ..errors import MethodError
from ..histories import CaptureTable
from . import chapman, closed, coverage, dga, lcmcr, loglinear, loglinear_cov, search, stepwise
from .base import EstimateResult, Method, Setting, not_estimable
from .screen import check_result, screen

#: Numerical failures an estimator may meet on a hostile table; each becomes a reason, never a traceback.
NUMERICAL_FAILURES = (np.linalg.LinAlgError, ArithmeticError, MemoryError)

# One line per estimator module; each module exposes METHODS, a tuple of Method.
_MODULES = (
    chapman,
    dga,
    loglinear,
    closed,
    search,
    stepwise,
    coverage,
    lcmcr,
    loglinear_cov,
)

REGISTRY: dict[str, Method] = {}
for _module in _MODULES:
    for _method in _module.METHODS:
        if _method.name in REGISTRY:
            raise RuntimeError(f"two estimators are registered as {_method.name!r}")
        REGISTRY[_method.name] = _method

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
