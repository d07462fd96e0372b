"""Covariate-adjusted log-linear models: one Poisson model over capture pattern x covariate cell.

People differ in how catchable they are: one list finds young men in the capital, another those
who reached a hospital. Strata handle this coarsely (a separate model per stratum, each with few
people). This module puts categorical covariates into one log-linear model instead (Sekar and
Deming's stratification taken to its log-linear form; Fienberg 1972, section 5; the covariate
models of Rcapture's ``closedpCI.t`` with ``mX`` and of published mortality studies):

``log mu(x, c) = alpha_c + sum_j x_j (beta_j + sum_v gamma_{j, v(c)}) + sum_{T} lambda_T prod_{j in T} x_j``

for capture pattern ``x`` (``2**k - 1`` observable, and the all-zero one unobserved) in covariate
cell ``c`` (a combination of levels of the covariates: sex, age band, month of death, ...):

* ``alpha_c``: one free parameter per covariate cell with someone documented (the cell's
  population is unrestricted); ``exp(alpha_c)`` is the estimated number of people of that cell on
  no list, and the total's undocumented part is their sum;
* ``beta_j``: list main effects;
* ``gamma_{j, v}``: a list x covariate term, for the covariates in the model: the log odds of being
  on list j differ between the levels of covariate v (first level the reference);
* ``lambda_T``: a hierarchical set of list interactions, the same in every covariate cell.

The identifying assumption is the usual one, made within each covariate cell: the k-list
interaction is zero. A covariate that drives catchability of several lists at once no longer biases
the estimate once it is in the model (the dependence it induces between the lists is explained);
what it cannot fix is heterogeneity the covariates do not capture.

**Existence.** The same checks as :mod:`.loglinear`, on the extended design: the design has full
rank on its cells; no list x covariate-level margin is empty (nobody of that level on the list) or
full (everybody documented of that level on the list: the list would be a census of that level); no
list interaction has an empty margin; then the exact pre-check and the Fienberg-Rinaldo linear
programme of :func:`.loglinear.existence`. A candidate that fails is left out of the search with
its reason; when every candidate fails, the reasons are the result.

**Search and averaging.** The candidate set is every hierarchical list-interaction structure
(:func:`.search.hierarchical_models`) crossed with every subset of the covariates (a covariate in
the model interacts with every list), all fitted when there are at most
:data:`MAX_EXHAUSTIVE` candidates, else searched greedily (add or drop one list interaction or one
covariate term while the criterion improves). Models are weighted by ``exp(-delta/2)`` of AIC or
BIC (Burnham and Anderson 2002) and the total is the weighted mean of their totals, or the best
model's. The interval is a BCa bootstrap (:mod:`.bootstrap`) in which every replicate redraws the
documented people over the pattern x covariate cells and repeats the search and the weighting
(Buckland, Burnham and Augustin 1997, their bootstrap form): it carries the uncertainty of choosing
and weighting the models, and is never a weighted mean of the models' interval ends.

References
----------
Fienberg, S. E. (1972). The multiple recapture census for closed populations and incomplete 2^k
contingency tables. Biometrika 59, 591-603.
Buckland, S. T., Burnham, K. P. and Augustin, N. H. (1997). Model selection: an integral part of
inference. Biometrics 53, 603-618.
Burnham, K. P. and Anderson, D. R. (2002). Model Selection and Multimodel Inference, 2nd ed.
Fienberg, S. E. and Rinaldo, A. (2012). Maximum likelihood estimation in log-linear models.
Annals of Statistics 40, 996-1023.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import gammaln, xlogy

from ..errors import MethodError, TableError
from ..histories import CaptureTable, observable_patterns
from . import _kernels as K
from .base import BOOTSTRAP_DRAWS, CELLS, Cell, EstimateResult, LoglinearFit, Method, Setting, not_estimable
from .bootstrap import BOOTSTRAP_SETTINGS
from .loglinear import FIT_MAX_ITER, FIT_TOL, Term, existence, pattern_key, sort_terms, term_label
from .search import CRITERIA, MAX_EXHAUSTIVE_LISTS, hierarchical_models

#: Covariates that can be derived from the canonical person fields.
COVARIATES = ("sex", "age_band", "month", "week", "region", "victim_group")
#: The age bands when none are given (as the strata's default).
DEFAULT_AGE_BANDS = (0, 18, 30, 45, 60, 121)
#: Most candidates the search fits all of; beyond, the search is greedy.
MAX_EXHAUSTIVE = 256
#: Most levels one covariate may have (a covariate with more is too fine to be a model term).
MAX_LEVELS = 60
#: Models whose undocumented number is above this many times the documented count are flagged.
DOMINATED_RATIO = 5.0
#: How many models' weights the details list, best first.
TOP_MODELS = 10


# ------------------------------------------------------------------ the extended table
def _level_key(text: str) -> tuple:
    """Sort key: numbers inside a level sort as numbers (``5-9`` before ``10-14``)."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", text) if p)


def covariate_values(attributes: Any, name: str, age_bands: Sequence[int] | None = None) -> list[str | None]:
    """One covariate's level per person, from person attributes; None where the field is missing.

    ``attributes`` is a frame of :func:`undercount.linked.linked_attributes` (or
    :func:`undercount.strata.person_attributes`): ``sex``, ``age``, ``date`` (ISO date of death),
    ``region``, ``victim_group``. ``month`` is ``YYYY-MM`` of the date, ``week`` its ISO week
    ``YYYY-Www``, ``age_band`` the band of ``age`` between ``age_bands`` (edges in years, the last
    exclusive).
    """
    import pandas as pd

    if name not in COVARIATES:
        raise MethodError(f"unknown covariate {name!r}; the covariates are {', '.join(COVARIATES)}")

    def known(value: Any) -> bool:
        if value is None:
            return False
        try:
            if pd.isna(value):
                return False
        except (TypeError, ValueError):
            pass
        return str(value).strip() != ""

    if name == "age_band":
        edges = tuple(age_bands or DEFAULT_AGE_BANDS)
        out: list[str | None] = []
        for value in attributes["age"]:
            label = None
            if known(value):
                age = int(value)
                for lo, hi in zip(edges[:-1], edges[1:]):
                    if lo <= age < hi:
                        label = f"{lo}-{hi - 1}"
                        break
                if label is None:
                    label = "other"
            out.append(label)
        return out
    if name in ("month", "week"):
        from datetime import date

        out = []
        for value in attributes["date"]:
            if not known(value):
                out.append(None)
                continue
            day = date.fromisoformat(str(value)[:10])
            if name == "month":
                out.append(f"{day.year:04d}-{day.month:02d}")
            else:
                year, week, _ = day.isocalendar()
                out.append(f"{year:04d}-W{week:02d}")
        return out
    column = attributes[name]
    return [str(v).strip() if known(v) else None for v in column]


#: The person field each covariate is derived from (what ``--impute`` must fill for it).
COVARIATE_FIELD = {
    "sex": "sex",
    "age_band": "age",
    "month": "date_of_death",
    "week": "date_of_death",
    "region": "region",
    "victim_group": "victim_group",
}


def age_band_edges(text: str | Sequence[int] | None) -> tuple[int, ...] | None:
    """``"0,15,30,45,60"`` -> ``(0, 15, 30, 45, 60, 121)`` (the last band open up to 120); None when empty."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    try:
        edges = [int(v) for v in (text.split(",") if isinstance(text, str) else text)]
    except ValueError:
        raise MethodError(
            f"age_bands must be whole numbers of years, comma-separated, got {text!r}"
        ) from None
    if len(edges) < 2 or edges != sorted(set(edges)) or edges[0] < 0:
        raise MethodError(f"age_bands {text!r}: give at least two increasing edges from 0 up")
    if edges[-1] <= 120:
        edges.append(121)
    return tuple(edges)


def covariate_names(text: str) -> list[str]:
    """``"sex, age_band"`` -> ``["sex", "age_band"]``, checked (MethodError naming the problem)."""
    names = [x.strip() for x in str(text or "").split(",") if x.strip()]
    unknown = [x for x in names if x not in COVARIATES]
    if unknown:
        raise MethodError(
            f"unknown covariate {', '.join(unknown)}; the covariates are {', '.join(COVARIATES)}"
        )
    if len(set(names)) != len(names):
        raise MethodError("a covariate is named twice in covariates")
    return names


@dataclass(frozen=True, eq=False)
class CovariateTable(CaptureTable):
    """A capture-history table that also knows each documented person's covariate cell.

    ``patterns`` and ``counts`` are those of the table pooled over the covariates (so that every
    other method, and the screening, see an ordinary :class:`CaptureTable`); ``cell_patterns``,
    ``cell_codes`` and ``cell_counts`` give the people per (pattern, covariate cell): one row per
    combination that has someone, ``cell_codes[i, v]`` the index of the level of covariate ``v``
    in ``levels[v]``.
    """

    covariates: tuple[str, ...] = ()
    levels: tuple[tuple[str, ...], ...] = ()
    cell_patterns: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int8))
    cell_codes: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    cell_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("cell_patterns", "cell_codes", "cell_counts"):
            arr = np.array(getattr(self, name))
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        if int(self.cell_counts.sum()) != self.n_observed:
            raise TableError("the covariate cells do not add up to the table", file=self.source)

    @classmethod
    def from_people(
        cls,
        lists: Sequence[str],
        memberships: np.ndarray,
        covariates: Mapping[str, Sequence[str | None]],
        source: str | None = None,
    ) -> CovariateTable:
        """One row per documented person: 0/1 ``memberships`` (n, k) and each covariate's level.

        Raises
        ------
        TableError
            A person on no list, a covariate with a missing value (how many, and how to impute it),
            or a covariate with more than :data:`MAX_LEVELS` levels.
        """
        memberships = np.asarray(memberships, dtype=np.int8).reshape(-1, len(lists))
        n = len(memberships)
        if n and not memberships.any(axis=1).all():
            raise TableError("a person is on no list", file=source)
        names = tuple(covariates)
        levels: list[tuple[str, ...]] = []
        codes = np.zeros((n, len(names)), dtype=np.int64)
        for v, name in enumerate(names):
            values = list(covariates[name])
            if len(values) != n:
                raise TableError(f"covariate {name}: one value per person is needed", file=source)
            missing = sum(1 for x in values if x is None)
            if missing:
                raise TableError(
                    f"covariate {name} is missing for {missing:,} of {n:,} people: impute it (--impute, or "
                    "impute.fields in a config; for age_band impute age; for month or week impute date, in a "
                    "config only), or leave it out of the covariates",
                    file=source,
                )
            found = tuple(sorted({str(x) for x in values}, key=_level_key))
            if len(found) > MAX_LEVELS:
                raise TableError(
                    f"covariate {name} has {len(found)} levels, more than {MAX_LEVELS}: too fine for a "
                    "model term; use a coarser one (month rather than week, wider age bands)",
                    file=source,
                )
            index = {x: i for i, x in enumerate(found)}
            codes[:, v] = [index[str(x)] for x in values]
            levels.append(found)
        rows = np.hstack([memberships.astype(np.int64), codes])
        if n:
            uniq, cell_counts = np.unique(rows, axis=0, return_counts=True)
        else:
            uniq, cell_counts = rows, np.zeros(0, dtype=np.int64)
        pooled = CaptureTable.from_arrays(lists, memberships, np.ones(n, dtype=np.int64), source=source)
        return cls(
            pooled.lists,
            pooled.patterns,
            pooled.counts,
            source,
            covariates=names,
            levels=tuple(levels),
            cell_patterns=uniq[:, : len(lists)].astype(np.int8),
            cell_codes=uniq[:, len(lists) :].astype(np.int64),
            cell_counts=cell_counts.astype(np.int64),
        )

    @classmethod
    def from_capture(cls, table: CaptureTable) -> CovariateTable:
        """A capture-history table as a covariate table without covariates (one covariate cell)."""
        return cls(
            table.lists,
            table.patterns,
            table.counts,
            table.source,
            covariates=(),
            levels=(),
            cell_patterns=table.patterns,
            cell_codes=np.zeros((len(table.counts), 0), dtype=np.int64),
            cell_counts=table.counts,
        )

    def with_covariates(self, names: Sequence[str]) -> CovariateTable:
        """The same people with only ``names`` as covariates (pooled over the others)."""
        missing = [x for x in names if x not in self.covariates]
        if missing:
            raise MethodError(
                f"the table has no covariate {', '.join(missing)}; it has {', '.join(self.covariates) or 'none'}"
            )
        idx = [self.covariates.index(x) for x in names]
        if not idx:
            return CovariateTable.from_capture(self)
        rows = np.hstack([self.cell_patterns.astype(np.int64), self.cell_codes[:, idx]])
        uniq, inverse = np.unique(rows, axis=0, return_inverse=True)
        counts = np.bincount(inverse.ravel(), weights=self.cell_counts, minlength=len(uniq)).astype(np.int64)
        return CovariateTable(
            self.lists,
            self.patterns,
            self.counts,
            self.source,
            covariates=tuple(names),
            levels=tuple(self.levels[i] for i in idx),
            cell_patterns=uniq[:, : self.k].astype(np.int8),
            cell_codes=uniq[:, self.k :].astype(np.int64),
            cell_counts=counts,
        )


def covariate_table(
    attributes: Any,
    memberships: np.ndarray,
    lists: Sequence[str],
    names: Sequence[str],
    *,
    age_bands: Sequence[int] | None = None,
    source: str | None = None,
) -> CovariateTable:
    """The :class:`CovariateTable` of person attributes (one row per person) and their memberships."""
    values = {name: covariate_values(attributes, name, age_bands) for name in names}
    return CovariateTable.from_people(lists, memberships, values, source=source)


# ------------------------------------------------------------------ the expanded design
@dataclass(frozen=True, eq=False)
class Expanded:
    """Every observable pattern in every covariate cell that has someone documented.

    Row ``r = c * (2**k - 1) + i`` is pattern ``patterns[i]`` in covariate cell ``c``
    (``cells[c]``: one level index per covariate). Picklable: it is what bootstrap workers get.
    """

    lists: tuple[str, ...]
    covariates: tuple[str, ...]
    levels: tuple[tuple[str, ...], ...]
    patterns: np.ndarray  # (2**k - 1, k), canonical order
    cells: np.ndarray  # (Q, q) level index per covariate
    counts: np.ndarray  # (Q * (2**k - 1),)
    criterion: str = "aic"
    search: str = "auto"
    averaged: bool = True

    @property
    def k(self) -> int:
        return len(self.lists)

    @property
    def n_cells(self) -> int:
        return len(self.cells)

    @property
    def row_patterns(self) -> np.ndarray:
        return np.tile(self.patterns, (self.n_cells, 1))

    @property
    def row_cells(self) -> np.ndarray:
        return np.repeat(self.cells, len(self.patterns), axis=0)

    def cell_label(self, c: int) -> str:
        return ", ".join(
            f"{v}={self.levels[j][int(self.cells[c, j])]}" for j, v in enumerate(self.covariates)
        )


def expand(table: CovariateTable, **options: Any) -> Expanded:
    """The (pattern x covariate cell) table of ``table``: zero counts included, empty cells left out."""
    patterns = observable_patterns(table.k)
    index = {tuple(int(v) for v in p): i for i, p in enumerate(patterns)}
    codes = table.cell_codes.reshape(len(table.cell_counts), len(table.covariates))
    if codes.shape[1] == 0:  # no covariates: one covariate cell
        cells, inverse = np.zeros((1, 0), dtype=np.int64), np.zeros(len(codes), dtype=np.int64)
    else:
        cells, inverse = np.unique(codes, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    m = len(patterns)
    counts = np.zeros(len(cells) * m, dtype=np.int64)
    for p, c, y in zip(table.cell_patterns, inverse, table.cell_counts):
        counts[int(c) * m + index[tuple(int(v) for v in p)]] += int(y)
    return Expanded(
        table.lists, table.covariates, table.levels, patterns, cells.astype(np.int64), counts, **options
    )


@dataclass(frozen=True)
class Model:
    """A candidate: list interactions (main effects implied) and the covariates that interact with every list."""

    terms: tuple[Term, ...]
    covariates: tuple[str, ...]

    def label(self, lists: Sequence[str]) -> str:
        parts = [term_label((j,), lists) for j in range(len(lists))]
        parts += [term_label(t, lists) for t in sort_terms(self.terms)]
        parts += [f"[lists]:{v}" for v in self.covariates]
        return " + ".join(parts)


def design(ex: Expanded, model: Model) -> tuple[np.ndarray, list[str]]:
    """The Poisson design of ``model`` on the rows of ``ex``: covariate-cell dummies first.

    Columns: one indicator per covariate cell (``alpha_c``, the log of its unobserved count),
    the k list indicators, one product column per list interaction, and for each covariate of the
    model, each list and each level but the first, ``x_j * [level]``.
    """
    P = ex.row_patterns.astype(float)
    C = ex.row_cells
    m = len(ex.patterns)
    Q = ex.n_cells
    cols = [np.kron(np.eye(Q), np.ones((m, 1)))]
    names = [f"cell[{ex.cell_label(c)}]" for c in range(Q)]
    cols.append(P)
    names += list(ex.lists)
    for t in sort_terms(model.terms):
        cols.append(np.prod(P[:, list(t)], axis=1, keepdims=True))
        names.append(term_label(t, ex.lists))
    for v in model.covariates:
        j = ex.covariates.index(v)
        levels = ex.levels[j]
        for a, name in enumerate(ex.lists):
            for lv in range(1, len(levels)):
                cols.append((P[:, a] * (C[:, j] == lv))[:, None])
                names.append(f"{name}:{v}[{levels[lv]}]")
    return np.hstack(cols), names


@functools.lru_cache(maxsize=4096)
def _label(model: Model, lists: tuple[str, ...]) -> str:
    return model.label(lists)


@dataclass(frozen=True, eq=False)
class CovFit:
    """One fitted candidate: its fit statistics, or why it has none."""

    model: Model
    label: str
    reason: str | None
    beta: np.ndarray | None = None
    mu: np.ndarray | None = None  # fitted count of every observable row
    dark: np.ndarray | None = None  # fitted unobserved count per covariate cell
    loglik: float = math.nan
    deviance: float = math.nan
    n_params: int = 0
    converged: bool = False
    columns: tuple[str, ...] = ()
    cov: np.ndarray | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.reason is None

    @property
    def dark_total(self) -> float:
        return float(self.dark.sum()) if self.dark is not None else math.nan

    def criterion(self, name: str, n: int) -> float:
        penalty = 2.0 if name == "aic" else math.log(n)
        return -2.0 * self.loglik + penalty * self.n_params


def margins(ex: Expanded) -> dict[str, Any]:
    """The margins the existence pre-checks read: per list interaction, and per list x covariate level."""
    m = len(ex.patterns)
    y = ex.counts.reshape(ex.n_cells, m)
    by_pattern = y.sum(axis=0)
    on_cell = y @ ex.patterns.astype(np.int64)  # (Q, k): documented per cell on each list
    cell_total = y.sum(axis=1)
    per_cov = {}
    for j, v in enumerate(ex.covariates):
        L = len(ex.levels[j])
        total = np.bincount(ex.cells[:, j], weights=cell_total, minlength=L)
        on = np.stack(
            [np.bincount(ex.cells[:, j], weights=on_cell[:, a], minlength=L) for a in range(ex.k)], axis=1
        )
        per_cov[v] = (total, on)
    return {"by_pattern": by_pattern, "per_cov": per_cov}


def margin_reason(ex: Expanded, model: Model, known: dict[str, Any] | None = None) -> str | None:
    """Why the MLE cannot exist, read off an empty or full margin of the model's terms (None: no such margin).

    ``known`` (from :func:`margins`) also caches the answer per term and per covariate.
    """
    known = margins(ex) if known is None else known
    cache = known.setdefault("reasons", {})
    keys: list[Term | str] = [*sort_terms(model.terms), *model.covariates]
    for key in keys:
        if key not in cache:
            cache[key] = _term_reason(ex, key, known)
        if cache[key] is not None:
            return cache[key]
    return None


def _term_reason(ex: Expanded, key: Term | str, known: dict[str, Any]) -> str | None:
    if not isinstance(key, str):
        t = key
        if known["by_pattern"][np.all(ex.patterns[:, list(t)] == 1, axis=1)].sum() == 0:
            names = " and ".join(ex.lists[j] for j in t)
            return (
                f"the lists {names} share no one: the interaction {term_label(t, ex.lists)} has an empty "
                "margin and its maximum-likelihood estimate does not exist"
            )
        return None
    v = key
    total, on = known["per_cov"][v]
    j = ex.covariates.index(v)
    for lv, level in enumerate(ex.levels[j]):
        if total[lv] == 0:
            continue
        for a, name in enumerate(ex.lists):
            if on[lv, a] == 0:
                return (
                    f"no one with {v} {level} is on list {name}: the term {name}:{v} has an empty "
                    f"margin (its log odds for {v} {level} go to minus infinity), so the model's "
                    "maximum-likelihood estimate does not exist"
                )
            if on[lv, a] == total[lv]:
                return (
                    f"everyone documented with {v} {level} ({int(total[lv]):,}) is on list {name}: the term "
                    f"{name}:{v} makes {name} a census of {v} {level} (its log odds go to infinity), so "
                    "the model's maximum-likelihood estimate does not exist"
                )
    return None


def fit_model(
    ex: Expanded,
    model: Model,
    *,
    beta0: np.ndarray | None = None,
    check: bool = True,
    cov: bool = False,
    designs: dict | None = None,
    known: dict[str, Any] | None = None,
) -> CovFit:
    """Fit one candidate by Newton-Raphson (the compiled fitter of :mod:`.loglinear`) with its checks.

    ``designs`` caches each model's design and its rank (they depend on the covariate cells, not on
    the counts, so a bootstrap builds them once).
    """
    label = _label(model, ex.lists)
    reason = margin_reason(ex, model, known)
    if reason is not None:
        return CovFit(model, label, reason)
    if designs is not None and model in designs:
        X, names, rank = designs[model]
    else:
        X, names = design(ex, model)
        X = np.ascontiguousarray(X)
        rank = int(np.linalg.matrix_rank(X))
        if designs is not None:
            designs[model] = (X, names, rank)
    y = ex.counts.astype(float)
    p = X.shape[1]
    if rank < p:
        return CovFit(
            model,
            label,
            f"model {label} is not identifiable: its design has rank {rank} for {p} parameters",
        )
    use = beta0 is not None and len(beta0) == p
    # a warm start is the same model's MLE on the data (a bootstrap replicate's neighbour): trusted, so
    # the least-squares start is skipped; Newton with step halving climbs from any start all the same
    beta, mu, ll_core, converged, _ = K.newton_poisson(
        X, y, np.asarray(beta0, dtype=float) if use else np.zeros(p), 2 if use else 0, FIT_TOL, FIT_MAX_ITER
    )
    exists = existence(X, y, mu, bool(converged)) if check else bool(converged)
    if not exists:
        return CovFit(
            model,
            label,
            f"the maximum-likelihood estimate of model {label} does not exist for this table "
            "(Fienberg-Rinaldo check on the pattern x covariate design): some fitted counts go to zero "
            "and coefficients diverge",
        )
    Q = ex.n_cells
    dark = np.exp(np.minimum(beta[:Q], K.ETA_LIMIT))
    loglik = float(ll_core - np.sum(gammaln(y + 1.0)))
    deviance = float(2.0 * np.sum(xlogy(y, y) - xlogy(y, mu) - (y - mu)))
    covariance = K.inverse_information(X, mu) if cov else None
    return CovFit(
        model, label, None, beta, mu, dark, loglik, deviance, rank, bool(converged), tuple(names), covariance
    )


# ----------------------------------------------------------------------- the search
def candidate_models(ex: Expanded) -> list[Model]:
    """Every hierarchical list structure x every subset of the covariates (the exhaustive set)."""
    subsets = [c for r in range(len(ex.covariates) + 1) for c in itertools.combinations(ex.covariates, r)]
    return [Model(tuple(t), tuple(s)) for s in subsets for t in hierarchical_models(ex.k)]


def candidate_count(ex: Expanded) -> int:
    if ex.k > MAX_EXHAUSTIVE_LISTS:
        return -1
    return len(hierarchical_models(ex.k)) * 2 ** len(ex.covariates)


def exhaustive(ex: Expanded) -> bool:
    if ex.search == "exhaustive":
        return True
    if ex.search == "greedy":
        return False
    count = candidate_count(ex)
    return 0 < count <= MAX_EXHAUSTIVE


def candidate_text(ex: Expanded) -> str:
    """The candidate set, stated."""
    covs = ", ".join(ex.covariates)
    if exhaustive(ex):
        return (
            f"every hierarchical list-interaction structure on {ex.k} lists ({len(hierarchical_models(ex.k))}, "
            f"main effects always, never the {ex.k}-list term) x every subset of the covariates {{{covs}}} "
            f"interacting with every list ({2 ** len(ex.covariates)}): {candidate_count(ex)} models, all fitted"
        )
    return (
        f"hierarchical list-interaction structures on {ex.k} lists x subsets of the covariates {{{covs}}} "
        "interacting with every list, searched greedily from the independence model without covariate "
        f"terms (one list interaction or one covariate term added or dropped at a time while {ex.criterion.upper()} "
        "improves); the models fitted on the way are the candidates"
    )


def run_search(
    ex: Expanded,
    warm: Mapping[Model, np.ndarray] | None = None,
    check: bool = True,
    designs: dict | None = None,
) -> list[CovFit]:
    """Fit the candidate set (exhaustively or greedily); every fitted candidate, in order of fitting."""
    warm = warm or {}
    designs = {} if designs is None else designs
    known = margins(ex)
    n = int(ex.counts.sum())
    if exhaustive(ex):
        return [
            fit_model(ex, m, beta0=warm.get(m), check=check, designs=designs, known=known)
            for m in candidate_models(ex)
        ]
    cache: dict[Model, CovFit] = {}

    def get(m: Model) -> CovFit:
        key = Model(sort_terms(m.terms), tuple(v for v in ex.covariates if v in m.covariates))
        if key not in cache:
            cache[key] = fit_model(ex, key, beta0=warm.get(key), check=check, designs=designs, known=known)
        return cache[key]

    inter = [t for r in range(2, ex.k) for t in itertools.combinations(range(ex.k), r)]
    current = Model((), ())
    best = get(current)
    best_value = best.criterion(ex.criterion, n) if best.ok else math.inf
    while True:
        moves: list[Model] = []
        terms = set(current.terms)
        for t in inter:
            if t in terms:
                if not any(set(t) < set(u) for u in terms):
                    moves.append(Model(tuple(terms - {t}), current.covariates))
            else:
                subs = [tuple(x for x in t if x != j) for j in t] if len(t) > 2 else []
                if all(s in terms for s in subs):
                    moves.append(Model(tuple(terms | {t}), current.covariates))
        for v in ex.covariates:
            covs = set(current.covariates) ^ {v}
            moves.append(Model(current.terms, tuple(sorted(covs))))
        improved = None
        for m in moves:
            cand = get(m)
            if not cand.ok:
                continue
            value = cand.criterion(ex.criterion, n)
            if value < best_value - 1e-9:
                best_value, improved = value, (m, cand)
        if improved is None:
            break
        current, best = improved
    return list(cache.values())


def weights(fits: Sequence[CovFit], criterion: str, n: int) -> tuple[list[CovFit], np.ndarray]:
    """The estimable candidates, best first, and their ``exp(-delta/2)`` weights."""
    ok = [f for f in fits if f.ok]
    ok.sort(key=lambda f: (f.criterion(criterion, n), f.label))
    if not ok:
        return [], np.zeros(0)
    values = np.array([f.criterion(criterion, n) for f in ok])
    w = np.exp(-(values - values[0]) / 2.0)
    return ok, w / w.sum()


def combined_dark(fits: Sequence[CovFit], ex: Expanded) -> float:
    """The undocumented number of the procedure: averaged over the candidates, or the best one's."""
    ok, w = weights(fits, ex.criterion, int(ex.counts.sum()))
    if not ok:
        return math.nan
    if not ex.averaged:
        return ok[0].dark_total
    return float(np.sum(w * np.array([f.dark_total for f in ok])))


class Statistic:
    """The bootstrap statistic: the search and the weighting rerun on a replicate's counts.

    Warm-started from the fits on the data; picklable (worker processes get a copy).
    """

    def __init__(self, ex: Expanded, fits: Sequence[CovFit], check: bool = True) -> None:
        self.warm = {f.model: f.beta for f in fits if f.beta is not None}
        self.check = check
        self.designs: dict = {}

    def __getstate__(self) -> dict:
        # the designs are rebuilt in each worker: cheaper than sending them with every chunk
        return {"warm": self.warm, "check": self.check, "designs": {}}

    def __call__(self, ex: Expanded, counts: np.ndarray, lists: Sequence[str]) -> float:
        from dataclasses import replace

        counts = np.asarray(counts, dtype=np.int64)
        m = len(ex.patterns)
        present = counts.reshape(ex.n_cells, m).sum(axis=1) > 0
        if present.all():
            replicate = replace(ex, counts=counts)
            fits = run_search(replicate, self.warm, check=self.check, designs=self.designs)
        else:
            # a covariate cell nobody of this replicate is documented in leaves the model, as on the data
            replicate = replace(
                ex, cells=ex.cells[present], counts=counts.reshape(ex.n_cells, m)[present].ravel()
            )
            key = present.tobytes()
            designs = self.designs.setdefault(("cells", key), {})
            fits = run_search(replicate, None, check=self.check, designs=designs)
        return int(replicate.counts.sum()) + combined_dark(fits, replicate)


def population_tables(
    counts: np.ndarray, dark: np.ndarray, rng: np.random.Generator, nboot: int
) -> np.ndarray:
    """Replicate tables drawn from the estimated population, then the undocumented left out.

    The pseudo-population is the documented people (``counts``, one per observable row) plus the
    estimated undocumented of each covariate cell (``dark``); ``round(N-hat)`` people are drawn from
    it with replacement and those on no list dropped. Unlike redrawing the n documented people, the
    replicates' documented count varies as it does between samples of a fixed population (binomially),
    and the interval carries that part of the variance of N-hat (Buckland and Garthwaite 1991).
    """
    counts = np.asarray(counts, dtype=float)
    dark = np.asarray(dark, dtype=float)
    Q = len(dark)
    m = len(counts) // Q
    total = counts.sum() + dark.sum()
    size = int(round(total))
    probs = np.concatenate([counts, dark]) / total
    drawn = rng.multinomial(size, probs, size=nboot)
    return drawn[:, : Q * m].astype(np.int64)


# --------------------------------------------------------------------------- results
def catchability(ex: Expanded, fit: CovFit, level: float = 0.95) -> list[dict[str, Any]]:
    """Per covariate level and list: the estimated share of that level's people whom the list documented.

    From the fitted counts, unobserved included: ``s = sum(mu on list j) / (sum(mu) + dark)`` over the
    covariate cells of the level. This says which people each list misses.

    Each share carries a Wald interval at ``level`` on the logit scale, from the fitted model's
    covariance (the inverse Fisher information ``V``) by the delta method:
    ``logit s = log A - log B`` with ``A`` the fitted people of the level on list j and ``B`` those
    not on it (the unobserved included), so its gradient is
    ``g = sum_on mu_r x_r / A - (sum_off mu_r x_r + sum_c dark_c e_c) / B`` and
    ``se = sqrt(g' V g)``; the interval is ``expit(logit s -/+ z se)``, inside (0, 1). The interval is
    that of the selected model's share, conditional on the model: unlike the total's bootstrap it does
    not carry the uncertainty of choosing it (``ci_method`` says so in every row).
    """
    from scipy.special import expit
    from scipy.stats import norm

    assert fit.mu is not None and fit.dark is not None
    m = len(ex.patterns)
    mu = fit.mu.reshape(ex.n_cells, m)
    total = mu.sum(axis=1) + fit.dark
    z = float(norm.ppf(0.5 + level / 2.0))
    grad_rows: np.ndarray | None = None
    if fit.cov is not None:
        X, _ = design(ex, fit.model)
        grad_rows = fit.mu[:, None] * X  # d mu_r / d beta, one row per observable row
        Q = ex.n_cells
    out = []
    for v, name in enumerate(ex.covariates):
        for lv, lvl in enumerate(ex.levels[v]):
            here = ex.cells[:, v] == lv
            if not here.any():
                continue
            people = float(total[here].sum())
            rows_here = np.repeat(here, m)
            for a, lst in enumerate(ex.lists):
                on_pattern = ex.patterns[:, a] == 1
                on = float(mu[here][:, on_pattern].sum())
                share = on / people if people > 0 else math.nan
                low = high = se = math.nan
                if grad_rows is not None and 0 < on < people:
                    on_rows = rows_here & np.tile(on_pattern, ex.n_cells)
                    off_rows = rows_here & ~np.tile(on_pattern, ex.n_cells)
                    d_off = grad_rows[off_rows].sum(axis=0)
                    d_off[:Q][here] += fit.dark[here]  # d dark_c / d alpha_c = dark_c
                    g = grad_rows[on_rows].sum(axis=0) / on - d_off / (people - on)
                    var = float(g @ fit.cov @ g)
                    if var >= 0:
                        se = math.sqrt(var)
                        centre = math.log(on) - math.log(people - on)
                        low, high = float(expit(centre - z * se)), float(expit(centre + z * se))
                out.append(
                    {
                        "covariate": name,
                        "level": lvl,
                        "list": lst,
                        "estimated_people": people,
                        "documented_by_list": on,
                        "share_documented": share,
                        "ci_low": low,
                        "ci_high": high,
                        "se_logit": se,
                        "ci_level": level,
                        "ci_method": CATCHABILITY_INTERVAL,
                    }
                )
    return out


#: How the catchability shares' intervals are made (in every row of the details and the figure's data).
CATCHABILITY_INTERVAL = (
    "Wald on the logit scale, delta method, the selected model's covariance (given the model)"
)


def dominance_warning(
    ok: Sequence[CovFit], w: np.ndarray, n: int, ratio: float
) -> tuple[str | None, list[str]]:
    """A warning when most of the averaged undocumented number comes from models putting more than
    ``ratio`` times the documented count outside the lists; and those models."""
    darks = np.array([f.dark_total for f in ok])
    big = darks > ratio * n
    if not big.any():
        return None, []
    share = float(np.sum(w[big] * darks[big]) / max(np.sum(w * darks), 1e-300))
    names = [f.label for f, b in zip(ok, big) if b]
    if share <= 0.5:
        return None, names
    listed = "; ".join(
        f"{f.label} (weight {wi:.3f}, {f.dark_total:,.0f} undocumented)" for f, wi, b in zip(ok, w, big) if b
    )
    return (
        f"{share:.0%} of the averaged undocumented number comes from models that put more than {ratio:g} times "
        f"the {n:,} documented people outside the lists: {listed}. The total rests on extrapolations "
        "far beyond the data; read it as an upper scenario, not a finding",
        names,
    )


def loglinear_cov(
    table: CaptureTable,
    *,
    level: float = 0.95,
    rng: np.random.Generator,
    covariates: str = "",
    age_bands: str = "",
    criterion: str = "aic",
    estimate: str = "averaged",
    search: str = "auto",
    nboot: int = 1000,
    workers: int = 0,
    progress: bool = True,
    max_hours: float = 1.0,
    dominated_ratio: float = DOMINATED_RATIO,
) -> EstimateResult:
    """Covariate-adjusted log-linear model over pattern x covariate cells, searched and averaged.

    Model, search and interval: see the module's notes. ``covariates`` names the covariates
    (``sex,age_band,month``) of a :class:`CovariateTable`; the total is the documented count plus
    the estimated unobserved count of every covariate cell, summed; with ``estimate=averaged``,
    averaged over the candidates with weights ``exp(-delta/2)`` of the criterion. The interval is a
    BCa bootstrap that repeats the search and the weighting in every replicate.

    Assumptions: within each covariate cell, the k-list interaction is zero; heterogeneity of
    catchability not explained by the covariates or the list interactions biases the estimate.
    Covariate cells with nobody documented are outside the model (it estimates no one missed there).

    References
    ----------
    Fienberg (1972); Buckland, Burnham and Augustin (1997); Burnham and Anderson (2002).
    """
    from dataclasses import replace

    from .bootstrap import _duration, available_cores, bca_bootstrap, time_one_fit

    names = covariate_names(covariates)
    method = "loglinear-cov"
    if not isinstance(table, CovariateTable):
        if names:
            raise MethodError(
                "method 'loglinear-cov' needs the covariates of each person: give a person-level table "
                "(undercount estimate persons.csv --lists A,B,C --set covariates=sex,age_band), not a "
                "capture-history table of counts (in the workflow, the strata of a scheme estimated by multiple "
                "imputation get no covariate tables: the covariate model runs on the whole table and in the "
                "strata of the other schemes)"
            )
        table = CovariateTable.from_capture(table)
    no_covariates = (
        "no covariates given (setting covariates): the model averages over list-interaction structures "
        "only, and heterogeneity of catchability between people is not modelled"
    )
    ctable = table.with_covariates(names)
    ex = expand(ctable, criterion=criterion, search=search, averaged=estimate == "averaged")
    n = ctable.n_observed
    single = [v for v, lv in zip(ex.covariates, ex.levels) if len(lv) < 2]
    if single:
        return not_estimable(
            method,
            table.lists,
            n,
            f"covariate {', '.join(single)} has one level only among the documented people: it cannot "
            "explain differences in catchability; leave it out",
            level=level,
        )
    fits = run_search(ex)
    ok, w = weights(fits, criterion, n)
    candidates = candidate_text(ex)
    refused = [f for f in fits if not f.ok]
    if not ok:
        reasons = "; ".join(dict.fromkeys(f.reason or "" for f in refused[:5]))
        return not_estimable(
            method,
            table.lists,
            n,
            f"no candidate model has a maximum-likelihood estimate on the pattern x covariate table ({reasons})",
            level=level,
            details={"candidates": candidates, "candidates_fitted": len(fits)},
        )
    best = fit_model(ex, ok[0].model, beta0=ok[0].beta, cov=True)
    assert best.dark is not None and best.mu is not None and best.beta is not None  # ok[0] has a fit
    darks = np.array([f.dark_total for f in ok])
    dark = float(np.sum(w * darks)) if ex.averaged else best.dark_total
    n_hat = n + dark
    warnings: list[str] = [] if names else [no_covariates]
    dominated, big = dominance_warning(ok, w, n, dominated_ratio)
    if dominated is not None:
        warnings.append(dominated)
    statistic = Statistic(ex, fits)
    used = available_cores() if workers == 0 else workers
    one = time_one_fit(statistic, ex, ex.counts, ex.lists)
    jack = int(np.count_nonzero(ex.counts))
    total_cost = one * (nboot + jack) / max(1, used)
    if total_cost > max_hours * 3600:
        return not_estimable(
            method,
            table.lists,
            n,
            f"not computed: the bootstrap would take about {_duration(total_cost)} ({nboot:,} replicates and "
            f"{jack:,} jackknife tables, one per observed pattern x covariate cell, at {one:.2g} s per search "
            f"on {used} process(es)), beyond the limit of {max_hours:g} hours (setting max_hours); lower "
            "nboot, use fewer or coarser covariates, or raise max_hours",
            level=level,
        )
    if progress and total_cost > 60:
        import sys

        print(f"{method}: the bootstrap will take about {_duration(total_cost)}", file=sys.stderr)
    # the pseudo-population: the documented people and, per covariate cell, the estimated undocumented
    dark_cells = np.sum(w[:, None] * np.array([f.dark for f in ok]), axis=0) if ex.averaged else best.dark
    boot = bca_bootstrap(
        statistic,
        ex,
        ex.counts,
        ex.lists,
        estimate=n_hat,
        rng=rng,
        nboot=nboot,
        level=level,
        workers=workers,
        progress=progress,
        desc=method,
        tables=population_tables(ex.counts, dark_cells, rng, nboot),
    )
    warnings.extend(boot.warnings)
    if not math.isfinite(boot.low):
        return not_estimable(
            method,
            table.lists,
            n,
            "no estimate: the bootstrap gave no interval (" + "; ".join(boot.warnings) + ")",
            level=level,
        )
    empty_cells = int(np.prod([len(lv) for lv in ex.levels])) - ex.n_cells
    if empty_cells:
        warnings.append(
            f"{empty_cells:,} of the {int(np.prod([len(lv) for lv in ex.levels])):,} covariate cells (combinations of "
            f"{', '.join(ex.covariates)}) have no one documented: the model estimates no one missed there"
        )
    from ..results.details import Bootstrap
    from ..results.draws import Draws

    crit = np.array([f.criterion(criterion, n) for f in ok])
    top = [
        {
            "model": f.label,
            "weight": float(wi),
            "delta": float(ci - crit[0]),
            criterion: float(ci),
            "n_hat": float(n + f.dark_total),
            "undocumented": float(f.dark_total),
            "n_params": int(f.n_params),
        }
        for f, wi, ci in zip(ok[:TOP_MODELS], w[:TOP_MODELS], crit[:TOP_MODELS])
    ]
    mpat = len(ex.patterns)
    mu_pattern = best.mu.reshape(ex.n_cells, mpat).sum(axis=0)
    y_pattern = ex.counts.reshape(ex.n_cells, mpat).sum(axis=0)
    cells = tuple(
        Cell(
            pattern=pattern_key(p),
            observed=int(y),
            fitted=float(mu_i),
            pearson=float((y - mu_i) / math.sqrt(mu_i)) if mu_i > 0 else math.nan,
        )
        for p, y, mu_i in zip(ex.patterns, y_pattern, mu_pattern)
    )
    from scipy.stats import chi2

    df = len(ex.counts) - best.n_params
    extra = {
        "covariates": list(ex.covariates),
        "levels": {v: list(lv) for v, lv in zip(ex.covariates, ex.levels)},
        "covariate_cells": ex.n_cells,
        "criterion": criterion,
        "estimate": estimate,
        "candidates": candidates,
        "candidates_fitted": len(fits),
        "candidates_without_estimate": len(refused),
        "reasons_without_estimate": sorted({f.reason or "" for f in refused})[:10],
        "selected_model": best.label,
        "selected_n_hat": float(n + best.dark_total),
        "top_models": top,
        "weight_of_selected": float(w[0]),
        "models_beyond_ratio": big,
        "dominated_ratio": dominated_ratio,
        "undocumented_by_cell": {ex.cell_label(c): float(d) for c, d in enumerate(best.dark)},
        "catchability": catchability(ex, best, level),
    }
    se = np.sqrt(np.clip(np.diag(best.cov), 0, None)) if best.cov is not None else None
    details = LoglinearFit(
        deviance=best.deviance,
        df=df,
        deviance_p=float(chi2.sf(max(best.deviance, 0.0), df)) if df > 0 else None,
        aic=best.criterion("aic", n),
        bic=best.criterion("bic", n),
        n_params=best.n_params,
        converged=best.converged,
        coefficients={c: float(b) for c, b in zip(best.columns, best.beta) if not c.startswith("cell[")},
        cells=cells,
        interval="BCa bootstrap, the search and the weighting repeated in every replicate",
        bootstrap=Bootstrap(
            **boot.details(), jackknife_n_hat=boot.jackknife, jackknife_weights=boot.jackknife_weights
        ),
        extra={
            **extra,
            "coefficient_se": (
                {c: float(s) for c, s in zip(best.columns, se) if not c.startswith("cell[")}
                if se is not None
                else {}
            ),
        },
    )
    details = replace(details, interval=details.interval + " (" + boot.details()["interval"] + ")")
    return EstimateResult(
        method=method,
        lists=table.lists,
        n_observed=n,
        n_hat=n_hat,
        ci_low=boot.low,
        ci_high=boot.high,
        ci_level=level,
        model=best.label if not ex.averaged else f"average of {len(ok)} models (best: {best.label})",
        warnings=tuple(warnings),
        caveats=(
            "the covariate model assumes, within each covariate cell, no interaction among all the lists: "
            "heterogeneity that the covariates and the list interactions do not capture still biases it",
        ),
        details=details,
        draws=Draws.bootstrap(boot.replicates),
        fit=best,
    )


def _search_choices() -> tuple[str, ...]:
    return ("auto", "exhaustive", "greedy")


METHODS = (
    Method(
        name="loglinear-cov",
        function=loglinear_cov,
        summary=(
            "covariate-adjusted log-linear model over pattern x covariate cells (--set covariates=sex,age_band,"
            "month; a person-level table), searched by AIC/BIC and averaged, BCa bootstrap repeating the search"
        ),
        reference="Fienberg (1972); Buckland, Burnham & Augustin (1997); Burnham & Anderson (2002)",
        settings=(
            Setting("covariates", str, "", f"covariates, comma-separated, from {', '.join(COVARIATES)}"),
            Setting(
                "age_bands",
                str,
                "",
                "edges of the age bands of age_band, in years (e.g. 0,15,30,45,60; the last band open); "
                "empty: 0,18,30,45,60 (on the command line, --bands age=... sets it)",
            ),
            Setting(
                "criterion",
                str,
                "aic",
                "aic or bic: the criterion of the search and the weights",
                choices=CRITERIA,
            ),
            Setting(
                "estimate",
                str,
                "averaged",
                "averaged (weighted by exp(-delta/2)) or selected (the best model)",
                choices=("averaged", "selected"),
            ),
            Setting(
                "search",
                str,
                "auto",
                f"auto (exhaustive up to {MAX_EXHAUSTIVE} candidates, else greedy), exhaustive or greedy",
                choices=_search_choices(),
            ),
            *BOOTSTRAP_SETTINGS,
            Setting(
                "dominated_ratio",
                float,
                DOMINATED_RATIO,
                "warn when most of the averaged total comes from models whose undocumented number exceeds "
                "this many times the documented count",
                minimum=1.0,
            ),
        ),
        stochastic=True,
        min_lists=2,
        produces=frozenset({CELLS, BOOTSTRAP_DRAWS}),
    ),
)
