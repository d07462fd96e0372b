"""One estimate, from the fit to the figure: :class:`EstimateResult` and its file."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import MethodError
from . import _json
from .details import Bootstrap, Details, GridPosterior, LoglinearFit, as_details, details_from_json
from .draws import Draws

if TYPE_CHECKING:  # pandas only where frames are built: estimate jobs start fast
    import pandas as pd

#: Written into every result file; read_result refuses files of another format.
FORMAT = "undercount-result/1"


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
        Typed diagnostics of the method's family (:mod:`undercount.results.details`);
        a plain mapping given here becomes :class:`~undercount.results.details.Details`.
    draws
        Posterior draws or bootstrap replicates of N, shaped ``(chain, draw)``,
        when the method makes them; combined draw by draw by
        :mod:`undercount.results.combine`.
    fit
        The fitted object in memory (a log-linear ``ModelFit``, a ``DgaPosterior``,
        the LCMCR chains), for questions in a notebook. Never written to a file:
        a result read back has ``fit=None``.
    runtime
        How the run went (seconds, processes used). Logged, never written to a
        file, never compared: it differs from run to run.
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
    details: Details = field(default_factory=Details)
    draws: Draws | None = None
    fit: Any = field(default=None, repr=False)
    runtime: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lists", tuple(str(x) for x in self.lists))
        object.__setattr__(self, "n_observed", int(self.n_observed))
        for name in ("n_hat", "ci_low", "ci_high", "ci_level"):
            object.__setattr__(self, name, _json.number(getattr(self, name)))
        object.__setattr__(self, "settings", _json.plain(dict(self.settings)))
        object.__setattr__(self, "warnings", tuple(str(w) for w in self.warnings))
        object.__setattr__(self, "details", as_details(self.details))
        if self.draws is not None and not isinstance(self.draws, Draws):
            raise TypeError("draws must be a Draws (Draws.posterior(...) or Draws.bootstrap(...))")

    # ------------------------------------------------------------ properties
    @property
    def estimable(self) -> bool:
        """True when a finite point estimate was produced."""
        return math.isfinite(self.n_hat)

    @property
    def n_unobserved(self) -> float:
        """Estimated number of people on no list (the dark figure)."""
        return self.n_hat - self.n_observed

    # ------------------------------------------------------------ equality
    def __eq__(self, other: object) -> bool:
        """Equal in everything a file keeps (``fit`` and ``runtime`` are not compared)."""
        if not isinstance(other, EstimateResult):
            return NotImplemented
        return _json.same(self._compared(), other._compared())

    __hash__ = None  # type: ignore[assignment]

    def _compared(self) -> tuple[Any, ...]:
        return (
            self.method,
            self.lists,
            self.n_observed,
            self.n_hat,
            self.ci_low,
            self.ci_high,
            self.ci_level,
            self.model,
            dict(self.settings),
            self.warnings,
            self.details,
            self.draws,
        )

    # ------------------------------------------------------------ files
    def to_dict(self, include_draws: bool = False) -> dict[str, Any]:
        """The JSON form: plain data, non-finite numbers as ``"NaN"``, ``"Infinity"``.

        ``include_draws`` adds the draws (``{"kind", "chains", "per_chain", "values"}``).
        """
        out: dict[str, Any] = {
            "format": FORMAT,
            "method": self.method,
            "lists": list(self.lists),
            "n_observed": self.n_observed,
            "n_hat": self.n_hat,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "ci_level": self.ci_level,
            "model": self.model,
            "settings": dict(self.settings),
            "warnings": list(self.warnings),
            "details": self.details.to_json(),
        }
        if include_draws:
            out["draws"] = None if self.draws is None else self.draws.to_json()
        return _json.encode(_json.plain(out))

    def write(self, path: str | Path) -> None:
        """Write the result, draws included, as one JSON file that :func:`read_result` reads back equal."""
        _json.dump(self.to_dict(include_draws=True), path)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EstimateResult:
        """The inverse of :meth:`to_dict` (``fit`` and ``runtime`` are empty)."""
        data = _json.decode(dict(data))
        fmt = data.get("format")
        if fmt != FORMAT:
            raise MethodError(f"not an undercount result of format {FORMAT!r} (format: {fmt!r})")
        draws = data.get("draws")
        return cls(
            method=data["method"],
            lists=tuple(data["lists"]),
            n_observed=data["n_observed"],
            n_hat=_json.number(data["n_hat"]),
            ci_low=_json.number(data["ci_low"]),
            ci_high=_json.number(data["ci_high"]),
            ci_level=_json.number(data["ci_level"]),
            model=data.get("model"),
            settings=data.get("settings") or {},
            warnings=tuple(data.get("warnings") or ()),
            details=details_from_json(data.get("details")),
            draws=None if draws is None else Draws.from_json(draws),
        )

    # ------------------------------------------------------------ views
    def summary(self) -> str:
        """The result as a small table of text, as ``undercount estimate`` prints it."""
        level = round(100 * self.ci_level)
        rows = [
            ("method", self.method),
            ("model", self.model or "-"),
            ("lists", ", ".join(self.lists)),
            ("observed", f"{self.n_observed:,}"),
            ("estimate", _format_count(self.n_hat)),
            (f"{level}% interval", f"{_format_count(self.ci_low)} to {_format_count(self.ci_high)}"),
        ]
        for key, value in self.settings.items():
            rows.append((f"setting {key}", str(value)))
        if self.draws is not None:
            rows.append(("draws", f"{self.draws.kind}, {self.draws.chains} x {self.draws.per_chain}"))
        width = max(len(k) for k, _ in rows)
        text = "\n".join(f"{k:<{width}}  {v}" for k, v in rows)
        if self.warnings:
            text += "\nwarnings:\n" + "\n".join(f"  - {w}" for w in self.warnings)
        return text

    def to_frame(
        self,
        *,
        event: str = "",
        population: str = "",
        stratum: str = "all",
        label: str | None = None,
        synthetic: bool = False,
    ) -> pd.DataFrame:
        """The result as one tidy row of ``results/estimates.csv`` (its columns, in its order).

        ``label`` is the method's name in the config (default: the method);
        ``synthetic`` says the table rests on a synthetic list.
        """
        from .tidy import estimates_frame, result_row

        row = result_row(
            self, event=event, population=population, stratum=stratum, label=label, synthetic=synthetic
        )
        return estimates_frame([row])

    def conf_int(self, level: float | None = None) -> tuple[float, float]:
        """The interval for N at ``level`` (default: the result's own level).

        At the result's own level this is always ``(ci_low, ci_high)``, the
        method's interval. At another level it is made the way the method makes
        its interval:

        * posterior draws of a sampler (``lcmcr``): the equal-tailed quantiles
          of the pooled draws, computed from the draws;
        * a grid posterior (``dga``): the smallest N whose posterior probability
          reaches each tail, from the exact posterior (``fit``) or from the
          posterior kept in the details (exact up to its trimmed tails of at
          most 1e-12);
        * a BCa bootstrap (``*-bca``): the BCa interval at ``level``, from the
          replicates and the bias correction and acceleration already estimated;
        * log-normal intervals (``chapman``, ``sample-coverage``, log-linear
          models with ``interval=lognormal``): the same formula at ``level``,
          from the standard error in the details (for ``sample-coverage``, the
          standard error of its bootstrap draws);
        * profile-likelihood intervals: the profile at ``level``, which needs the
          fitted model in memory (``fit``); a result read from a file has none,
          and then this is an error that says so.

        A result without an estimate has no interval: ``(nan, nan)``.
        """
        if level is None or level == self.ci_level:
            return self.ci_low, self.ci_high
        if not 0.0 < float(level) < 1.0:
            raise MethodError(f"interval level must be between 0 and 1, got {level}")
        if not self.estimable:
            return math.nan, math.nan
        from . import intervals

        return intervals.conf_int(self, float(level))

    def to_inference_data(self) -> Any:
        """The draws as an ArviZ ``InferenceData`` (needs the extra ``undercount[arviz]``).

        Posterior draws go in the ``posterior`` group (``az.summary``,
        ``az.plot_trace`` work on them); bootstrap replicates, which are not a
        posterior, go in a group of their own, ``bootstrap``
        (``az.summary(data, group="bootstrap")``). The observed count is
        ``constant_data``; method, model, lists, level and warnings are
        attributes. A ``dga`` result's draws are evenly spaced quantiles of
        its exact posterior, in order: summaries of them are right, chain
        diagnostics (R-hat, ESS) are not meaningful.
        """
        try:
            import arviz as az
        except ImportError:
            raise MethodError(
                "to_inference_data needs ArviZ, an optional extra: pip install 'undercount[arviz]'"
            ) from None
        if self.draws is None:
            raise MethodError(f"the {self.method} result has no draws of N to give ArviZ")
        values = np.array(self.draws.values)
        attrs = {
            "method": self.method,
            "model": self.model or "",
            "lists": ",".join(self.lists),
            "ci_level": self.ci_level,
            "draws_kind": self.draws.kind,
            "warnings": " | ".join(self.warnings),
        }
        draws = {"N": values}
        constant = {"n_observed": np.array(self.n_observed)}
        if self.draws.kind == "posterior":
            return az.from_dict(posterior=draws, constant_data=constant, attrs=attrs)
        return az.InferenceData(
            bootstrap=az.dict_to_dataset(draws, attrs=attrs),
            constant_data=az.dict_to_dataset(constant, attrs=attrs, default_dims=[]),
        )


def read_result(path: str | Path) -> EstimateResult:
    """Read a result written by :meth:`EstimateResult.write` (draws included)."""
    path = Path(path)
    try:
        data = _json.load(path)
        return EstimateResult.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError, MethodError) as exc:
        raise MethodError(f"{path}: cannot read an estimate: {exc}") from None


def not_estimable(
    method: str,
    lists: tuple[str, ...],
    n_observed: int,
    reason: str,
    *,
    level: float = 0.95,
    model: str | None = None,
    settings: Mapping[str, Any] | None = None,
    details: Details | Mapping[str, Any] | None = None,
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
        details=as_details(details),
    )


def with_warnings(
    result: EstimateResult, before: tuple[str, ...] = (), after: tuple[str, ...] = ()
) -> EstimateResult:
    """The same result with more warnings around its own."""
    return replace(result, warnings=tuple(before) + tuple(result.warnings) + tuple(after))


def _format_count(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if math.isinf(value):
        return "unbounded"
    return f"{value:,.1f}"


__all__ = [
    "FORMAT",
    "Bootstrap",
    "Details",
    "Draws",
    "EstimateResult",
    "GridPosterior",
    "LoglinearFit",
    "not_estimable",
    "read_result",
    "with_warnings",
]
