"""The method registry's types: :class:`Method`, :class:`Setting` and what a method produces.

The result type every estimator returns lives in :mod:`undercount.results`
(:class:`~undercount.results.EstimateResult`); it is re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import MethodError
from ..results.details import (
    Bootstrap,
    Cell,
    ChainsSummary,
    Details,
    GridPosterior,
    LoglinearFit,
)
from ..results.draws import Draws
from ..results.result import EstimateResult, not_estimable

#: What a method's results carry, for figures and rules to ask (never guessed from a module name).
POSTERIOR_DRAWS = "posterior-draws"  # draws of N from its posterior
BOOTSTRAP_DRAWS = "bootstrap-draws"  # bootstrap replicates of N-hat
CELLS = "cells"  # fitted counts and Pearson residuals of every observable cell (a log-linear fit)
CHAINS = "chains"  # Markov chains (several), with convergence diagnostics
GRID_POSTERIOR = "grid-posterior"  # an exact posterior of N on an integer grid, per graph
CAPABILITIES = frozenset({POSTERIOR_DRAWS, BOOTSTRAP_DRAWS, CELLS, CHAINS, GRID_POSTERIOR})

#: The per-table figures of each posterior capability, in the order they are drawn.
POSTERIOR_FIGURES = {CHAINS: ("trace", "density"), GRID_POSTERIOR: ("posterior",)}


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
    when ``stochastic``. ``settings`` are the one statement of the method's
    settings: :func:`~undercount.estimators.estimate` records them (resolved,
    defaults included) in every result, and a test checks that they agree
    with the function's keyword arguments.

    ``produces`` says what the results carry (:data:`CAPABILITIES`): draws of
    N and their kind, per-cell fits, chains or a grid posterior, so that
    figures and workflow rules ask the method rather than guess.
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
    produces: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = set(self.produces) - CAPABILITIES
        if unknown:
            raise ValueError(
                f"method {self.name!r}: unknown capabilities {sorted(unknown)}; known: {sorted(CAPABILITIES)}"
            )
        if {POSTERIOR_DRAWS, BOOTSTRAP_DRAWS} <= set(self.produces):
            raise ValueError(f"method {self.name!r} declares draws of two kinds")
        object.__setattr__(self, "produces", frozenset(self.produces))

    @property
    def draws_kind(self) -> str | None:
        """``"posterior"``, ``"bootstrap"``, or None when the method makes no draws of N."""
        if POSTERIOR_DRAWS in self.produces:
            return "posterior"
        if BOOTSTRAP_DRAWS in self.produces:
            return "bootstrap"
        return None

    @property
    def has_cells(self) -> bool:
        """Whether results carry a per-cell fit (residuals can be drawn)."""
        return CELLS in self.produces

    @property
    def posterior_figures(self) -> tuple[str, ...]:
        """Names of the per-table posterior figures of the method's results (empty if none)."""
        out: tuple[str, ...] = ()
        for capability, names in POSTERIOR_FIGURES.items():
            if capability in self.produces:
                out += names
        return out

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
        out: dict[str, Any] = {}
        for name, spec in known.items():
            out[name] = spec.parse(given[name], self.name) if name in given else spec.default
        return out


__all__ = [
    "BOOTSTRAP_DRAWS",
    "CAPABILITIES",
    "CELLS",
    "CHAINS",
    "GRID_POSTERIOR",
    "POSTERIOR_DRAWS",
    "Bootstrap",
    "Cell",
    "ChainsSummary",
    "Details",
    "Draws",
    "EstimateResult",
    "GridPosterior",
    "LoglinearFit",
    "Method",
    "Setting",
    "not_estimable",
]
