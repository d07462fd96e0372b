"""The result type shared by every estimator, and the method registry's types."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import MethodError


@dataclass(frozen=True, eq=False)
class EstimateResult:
    """One estimate of a population total, with everything needed to judge it.

    Attributes
    ----------
    method
        Registry name of the method that produced it.
    lists
        Lists the estimate used, in order.
    n_observed
        People documented by at least one of ``lists``.
    n_hat
        Point estimate of the total N (documented plus undocumented). NaN when
        no estimate can honestly be given; ``warnings`` then says why.
    ci_low, ci_high
        Interval for N at level ``ci_level``; ``inf`` for an unbounded upper end.
    ci_level
        Nominal coverage of the interval.
    model
        The model the estimate rests on, when the method has one.
    settings
        Every setting the method ran with, defaults included (and the seed).
    warnings
        Plain-language caveats that must travel with the number.
    details
        Method-specific diagnostics (fit statistics, selected model, ...).
    draws
        Posterior draws or bootstrap replicates of N, when the method makes
        them; used to add strata together draw by draw.
    draws_kind
        ``"posterior"`` or ``"bootstrap"`` when ``draws`` is set.
    """

    method: str
    lists: tuple[str, ...]
    n_observed: int
    n_hat: float
    ci_low: float
    ci_high: float
    ci_level: float = 0.95
    model: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    draws: np.ndarray | None = None
    draws_kind: str | None = None

    @property
    def estimable(self) -> bool:
        """True when a finite point estimate was produced."""
        return math.isfinite(self.n_hat)

    @property
    def n_unobserved(self) -> float:
        """Estimated number of people on no list (the dark figure)."""
        return self.n_hat - self.n_observed

    def to_dict(self, include_draws: bool = False) -> dict[str, Any]:
        """A JSON-ready dictionary (NaN becomes ``None``, infinity stays a float)."""
        out: dict[str, Any] = {
            "method": self.method,
            "lists": list(self.lists),
            "n_observed": int(self.n_observed),
            "n_hat": _jsonable(self.n_hat),
            "ci_low": _jsonable(self.ci_low),
            "ci_high": _jsonable(self.ci_high),
            "ci_level": self.ci_level,
            "model": self.model,
            "settings": _jsonable(dict(self.settings)),
            "warnings": list(self.warnings),
            "details": _jsonable(dict(self.details)),
        }
        if include_draws and self.draws is not None:
            out["draws_kind"] = self.draws_kind
            out["draws"] = _jsonable(np.asarray(self.draws))
        return out


def not_estimable(
    method: str,
    lists: tuple[str, ...],
    n_observed: int,
    reason: str,
    *,
    level: float = 0.95,
    model: str | None = None,
    settings: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
    warnings: tuple[str, ...] = (),
) -> EstimateResult:
    """A result that carries no number, only the reason why."""
    nan = float("nan")
    return EstimateResult(
        method=method,
        lists=tuple(lists),
        n_observed=int(n_observed),
        n_hat=nan,
        ci_low=nan,
        ci_high=nan,
        ci_level=level,
        model=model,
        settings=dict(settings or {}),
        warnings=tuple(warnings) + (reason,),
        details=dict(details or {}),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return None if math.isnan(value) else value
    if isinstance(value, np.bool_):
        return bool(value)
    return value


# ---------------------------------------------------------------- registry types
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Setting:
    """One named setting of a method, with its type, default and meaning."""

    name: str
    kind: type
    default: Any
    help: str
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None

    def parse(self, value: Any, method: str) -> Any:
        """Coerce a value (a string from the command line, or YAML) and check it."""
        where = f"setting '{self.name}' of method '{method}'"
        if value is None:
            if self.default is None:
                return None
            raise MethodError(f"{where} needs a value")
        try:
            if self.kind is bool:
                if isinstance(value, bool):
                    parsed: Any = value
                elif str(value).strip().lower() in _TRUE:
                    parsed = True
                elif str(value).strip().lower() in _FALSE:
                    parsed = False
                else:
                    raise ValueError(value)
            elif self.kind is int:
                if isinstance(value, bool):
                    raise ValueError(value)
                as_float = float(value)
                if as_float != int(as_float):
                    raise ValueError(value)
                parsed = int(as_float)
            elif self.kind is float:
                if isinstance(value, bool):
                    raise ValueError(value)
                parsed = float(value)
                if math.isnan(parsed):
                    raise ValueError(value)
            else:
                if isinstance(value, (dict, list, tuple, set)):
                    raise MethodError(
                        f'{where} must be text such as "A,B", got a {type(value).__name__} '
                        f"({value!r}); in YAML, quote a value that holds a comma"
                    )
                parsed = self.kind(value)
        except (TypeError, ValueError):
            raise MethodError(f"{where} must be {self.kind.__name__}, got {value!r}") from None
        if self.choices is not None and parsed not in self.choices:
            raise MethodError(f"{where} must be one of {list(self.choices)}, got {parsed!r}")
        if self.minimum is not None and parsed < self.minimum:
            raise MethodError(f"{where} must be at least {self.minimum}, got {parsed!r}")
        if self.maximum is not None and parsed > self.maximum:
            raise MethodError(f"{where} must be at most {self.maximum}, got {parsed!r}")
        return parsed


@dataclass(frozen=True)
class Method:
    """A registry entry: how to call one estimator and what it accepts.

    ``function(table, level=..., [model=...], [rng=...], **settings)`` returns
    an :class:`EstimateResult`. ``model`` is passed only when
    ``accepts_model``; ``rng`` (a seeded :class:`numpy.random.Generator`) only
    when ``stochastic``.
    """

    name: str
    function: Callable[..., EstimateResult]
    summary: str
    reference: str
    settings: tuple[Setting, ...] = ()
    accepts_model: bool = False
    stochastic: bool = False
    min_lists: int = 2
    max_lists: int | None = None

    def resolve(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """Defaults overridden by ``given``; unknown names are an error."""
        given = dict(given or {})
        known = {s.name: s for s in self.settings}
        unknown = sorted(set(given) - set(known))
        if unknown:
            offer = ", ".join(sorted(known)) or "none"
            hint = ""
            if any(given[name] is None for name in unknown):
                hint = (
                    " (a setting without a value: in YAML's {...} form, `pair: A,B` is read as "
                    'two keys; write `pair: "A,B"`)'
                )
            raise MethodError(
                f"method '{self.name}' has no setting {', '.join(map(repr, unknown))}; "
                f"its settings are: {offer}{hint}"
            )
        out = {}
        for name, spec in known.items():
            out[name] = spec.parse(given[name], self.name) if name in given else spec.default
        return out
