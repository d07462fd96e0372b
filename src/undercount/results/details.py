"""Typed details of an estimate, one small frozen dataclass per family of methods.

Each family names the diagnostics every method of the family reports (a
log-linear fit's deviance and cells, a grid posterior's probabilities, a
chains summary's R-hat, a bootstrap's bias correction); anything a single
method adds (the models a search compared, the steps of a selection) is in
``extra``, as plain JSON data. Details read like a mapping as well
(``details["rhat"]``, ``dict(details)``), which is how they appear in the JSON
of a result: one object, its ``family`` first, typed fields and extras side by
side.

Families: :class:`Details` (no family: a two-list estimate, a sample-coverage
estimate, or a result without a fit), :class:`LoglinearFit`,
:class:`GridPosterior`, :class:`ChainsSummary` and :class:`Combination`
(results combined by :mod:`undercount.results.combine`); a BCa bootstrap is a
:class:`Bootstrap` inside a log-linear fit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np

from ._json import number, plain, same


def _float(value: Any) -> float:
    return number(value)


def _int(value: Any) -> int:
    return int(value)


def _bool(value: Any) -> bool:
    return bool(value)


def _text(value: Any) -> str:
    return str(value)


def _texts(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value)


def _floats(value: Any) -> tuple[float, ...]:
    return tuple(_float(v) for v in value)


def _mapping(value: Any) -> Mapping[str, Any]:
    return plain(value)


def _mappings(value: Any) -> tuple[Mapping[str, Any], ...]:
    return tuple(plain(v) for v in value)


def _float_array(value: Any) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        numbers = np.asarray(value) if all(type(v) in (int, float) for v in value) else None
        value = numbers if numbers is not None and numbers.dtype.kind in "iuf" else [_float(v) for v in value]
    out = np.array(value, dtype=float)
    out.setflags(write=False)
    return out


def _int_array(value: Any) -> np.ndarray:
    out = np.array(value, dtype=np.int64)
    out.setflags(write=False)
    return out


def typed(coerce: Callable[[Any], Any], default: Any = None) -> Any:
    """A typed field: ``coerce`` turns JSON data (or a looser Python value) into the field's type."""
    return field(default=default, metadata={"coerce": coerce})


@dataclass(frozen=True, eq=False, kw_only=True)
class Record(Mapping[str, Any]):
    """Typed fields plus ``extra``; reads as a mapping of the fields that are set, then the extras."""

    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "extra":
                object.__setattr__(self, "extra", plain(value))
            elif value is not None and "coerce" in f.metadata:
                object.__setattr__(self, f.name, f.metadata["coerce"](value))

    @classmethod
    def typed_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls) if f.name != "extra")

    def __getitem__(self, key: str) -> Any:
        if key in self.typed_names():
            value = getattr(self, key)
            if value is None:
                raise KeyError(key)
            return value
        return self.extra[key]

    def __iter__(self) -> Iterator[str]:
        yield from (name for name in self.typed_names() if getattr(self, name) is not None)
        yield from self.extra

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.typed_names():
            value = getattr(self, name)
            if value is not None:
                out[name] = value.to_json() if isinstance(value, Record) else _json_value(value)
        out.update(self.extra)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Any:
        names = set(cls.typed_names())
        given = {k: v for k, v in data.items() if k in names}
        extra = {k: v for k, v in data.items() if k not in names and k != "family"}
        return cls(**given, extra=extra)

    def __same__(self, other: Record) -> bool:
        return all(same(getattr(self, n), getattr(other, n)) for n in self.typed_names()) and same(
            dict(self.extra), dict(other.extra)
        )

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.__same__(other)

    __hash__ = None  # type: ignore[assignment]


def _json_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return [v.to_json() if isinstance(v, Record) else plain(v) for v in value]
    return plain(value)


@dataclass(frozen=True, eq=False, kw_only=True)
class Details(Record):
    """Details of a method outside the families below: everything is in ``extra``."""

    family: ClassVar[str] = "none"

    def to_json(self) -> dict[str, Any]:
        return {"family": self.family, **super().to_json()}


@dataclass(frozen=True, eq=False, kw_only=True)
class Cell(Record):
    """One observable capture pattern of a log-linear fit."""

    pattern: str = typed(_text, "")
    observed: int = typed(_int, 0)
    fitted: float = typed(_float, math.nan)
    #: (observed - fitted) / sqrt(fitted); NaN for a deleted cell
    pearson: float = typed(_float, math.nan)
    #: set to zero by a minus-infinity term (a structural zero)
    deleted: bool = typed(_bool, False)


def _cells(value: Any) -> tuple[Cell, ...]:
    return tuple(v if isinstance(v, Cell) else Cell.from_json(v) for v in value)


@dataclass(frozen=True, eq=False, kw_only=True)
class Bootstrap(Record):
    """A BCa bootstrap that repeats the estimation in every replicate (Efron 1987)."""

    interval: str = typed(_text, "")
    nboot: int = typed(_int, 0)
    replicates_without_estimate: int = typed(_int, 0)
    bias_correction_z0: float = typed(_float, math.nan)
    acceleration: float = typed(_float, math.nan)
    #: quantile levels of the interval's two ends
    quantile_levels: tuple[float, ...] = typed(_floats, (math.nan, math.nan))
    #: Monte Carlo standard errors of the two ends
    monte_carlo_se: tuple[float, ...] = typed(_floats, (math.nan, math.nan))
    bootstrap_median: float | None = typed(_float)
    bootstrap_percentile_interval: tuple[float, ...] | None = typed(_floats)
    #: the grouped jackknife behind the acceleration: estimate without one person of each pattern
    jackknife_n_hat: np.ndarray | None = typed(_float_array)
    jackknife_weights: np.ndarray | None = typed(_float_array)


def _bootstrap(value: Any) -> Bootstrap:
    return value if isinstance(value, Bootstrap) else Bootstrap.from_json(value)


@dataclass(frozen=True, eq=False, kw_only=True)
class LoglinearFit(Details):
    """A fitted Poisson log-linear model, and how its interval was made."""

    family: ClassVar[str] = "loglinear-fit"
    deviance: float = typed(_float, math.nan)
    df: int = typed(_int, 0)
    #: p-value of the deviance goodness-of-fit test (chi-square on ``df``); None when df is 0.
    deviance_p: float | None = typed(_float)
    aic: float = typed(_float, math.nan)
    bic: float = typed(_float, math.nan)
    n_params: int = typed(_int, 0)
    converged: bool = typed(_bool, False)
    #: coefficient per design column, the intercept (log of the unobserved cell) first
    coefficients: Mapping[str, float] = typed(_mapping, None)
    minus_infinity_terms: tuple[str, ...] = typed(_texts, ())
    cells: tuple[Cell, ...] = typed(_cells, ())
    #: delta-method standard error of N-hat
    n_hat_se: float = typed(_float, math.nan)
    #: standard error of the intercept, the log of the unobserved number (log-normal intervals)
    log_dark_se: float = typed(_float, math.nan)
    interval: str = typed(_text, "")
    #: the profile likelihood's own maximiser (profile intervals only)
    n_hat_profile: float | None = typed(_float)
    bootstrap: Bootstrap | None = typed(_bootstrap)

    @property
    def pearson_residuals(self) -> dict[str, float]:
        """Pearson residual per capture pattern (NaN for deleted cells)."""
        return {c.pattern: c.pearson for c in self.cells}


@dataclass(frozen=True, eq=False, kw_only=True)
class GridPosterior(Details):
    """A posterior of N computed exactly on an integer grid (dga), and its graphs."""

    family: ClassVar[str] = "grid-posterior"
    #: the grid points kept (tails below 1e-12 trimmed) and their posterior probabilities
    posterior_N: np.ndarray = typed(_int_array, None)
    posterior_p: np.ndarray = typed(_float_array, None)
    posterior_trimmed_mass: float = typed(_float, 0.0)
    posterior_mean: float = typed(_float, math.nan)
    posterior_sd: float = typed(_float, math.nan)
    posterior_mode: int = typed(_int, 0)
    bayes_relative_loss: float = typed(_float, math.nan)
    prior: str = typed(_text, "")
    delta: float = typed(_float, math.nan)
    graphs: int = typed(_int, 0)
    top_graphs: tuple[Mapping[str, Any], ...] = typed(_mappings, ())
    posterior_by_graph: Mapping[str, Any] = typed(_mapping, None)
    grid: Mapping[str, Any] = typed(_mapping, None)
    tail_mass_beyond_grid: float = typed(_float, 0.0)
    mass_below_grid: float = typed(_float, 0.0)
    computation: Mapping[str, Any] = typed(_mapping, None)

    def quantile(self, q: Any) -> np.ndarray:
        """Smallest grid N whose posterior probability P(N' <= N) reaches ``q`` (the method's rule).

        Exact up to the trimmed tails (each at most 1e-12 of the mass).
        """
        below = self.posterior_trimmed_mass / 2.0  # the trimmed mass, split evenly between the tails
        cdf = below + np.cumsum(self.posterior_p)
        total = cdf[-1] + below
        idx = np.minimum(np.searchsorted(cdf, np.atleast_1d(q) * total, side="left"), len(cdf) - 1)
        return self.posterior_N[idx]


@dataclass(frozen=True, eq=False, kw_only=True)
class ChainsSummary(Details):
    """Markov chains of a posterior sampler (LCMCR): where they put N and whether they agree."""

    family: ClassVar[str] = "chains-summary"
    chains: int = typed(_int, 0)
    draws_per_chain: int = typed(_int, 0)
    sweeps_per_chain: int = typed(_int, 0)
    posterior_median: float = typed(_float, math.nan)
    posterior_mean: float = typed(_float, math.nan)
    posterior_sd: float = typed(_float, math.nan)
    quantiles: Mapping[str, float] = typed(_mapping, None)
    rhat: float = typed(_float, math.nan)
    ess_bulk: float = typed(_float, math.nan)
    ess_tail: float = typed(_float, math.nan)
    mcse_median: float = typed(_float, math.nan)
    chain_medians: tuple[float, ...] = typed(_floats, ())
    alpha_posterior_mean: float = typed(_float, math.nan)
    unobserved_cap: int = typed(_int, 0)
    cap_hits: int = typed(_int, 0)


@dataclass(frozen=True, eq=False, kw_only=True)
class Part(Record):
    """One input of a combination: a stratum added, or a replicate mixed."""

    name: str = typed(_text, "")
    n_observed: int = typed(_int, 0)
    n_hat: float = typed(_float, math.nan)
    ci_low: float = typed(_float, math.nan)
    ci_high: float = typed(_float, math.nan)
    #: number of draws it has (None: none)
    draws: int | None = typed(_int)
    weight: float | None = typed(_float)


def _parts(value: Any) -> tuple[Part, ...]:
    return tuple(v if isinstance(v, Part) else Part.from_json(v) for v in value)


@dataclass(frozen=True, eq=False, kw_only=True)
class Combination(Details):
    """Results combined into one (:mod:`undercount.results.combine`): how, and from what."""

    family: ClassVar[str] = "combination"
    #: ``sum`` (strata), ``mixture`` (replicates' draws pooled), ``rubin`` (Rubin's rules) or
    #: ``span`` (several models' intervals joined)
    how: str = typed(_text, "")
    combination: str = typed(_text, "")
    parts: tuple[Part, ...] = typed(_parts, ())
    #: replicates only: mean within-replicate variance and between-replicate variance of N
    within_variance: float | None = typed(_float)
    between_variance: float | None = typed(_float)
    #: replicates only: share of the interval's width that remains when every replicate is
    #: centred on the pooled centre (within), and the rest (between)
    width_share_within: float | None = typed(_float)
    width_share_between: float | None = typed(_float)


FAMILIES: dict[str, type[Details]] = {
    cls.family: cls for cls in (Details, LoglinearFit, GridPosterior, ChainsSummary, Combination)
}


def details_from_json(data: Mapping[str, Any] | None) -> Details:
    """The details object of a result's JSON form."""
    data = dict(data or {})
    family = data.get("family", "none")
    try:
        cls = FAMILIES[family]
    except KeyError:
        raise ValueError(f"unknown details family {family!r}; known: {', '.join(FAMILIES)}") from None
    return cls.from_json(data)


def as_details(value: Details | Mapping[str, Any] | None) -> Details:
    """A :class:`Details` object from a details object or a plain mapping (all of it ``extra``)."""
    if isinstance(value, Details):
        return value
    return Details(extra=dict(value or {}))
