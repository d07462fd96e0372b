"""Multiple imputation of missing stratification fields, and pooling over the completed data sets.

A person whose sex or age no list records falls in the stratum ``unknown``,
which can never be estimated: stratified totals then lose those people, or
(with a coarser scheme) mis-place them. Multiple imputation (Rubin 1987) fills
each missing field ``m`` times from its predictive distribution; each completed
data set is stratified and estimated on its own, and the ``m`` estimates are
pooled (:func:`pool`), so the interval carries the uncertainty of what was
imputed.

The imputation model: chained equations
----------------------------------------
Fully conditional specification (van Buuren 2018, *Flexible Imputation of
Missing Data*, 2nd ed., ch. 4): every field with gaps is predicted in turn
from the other fields (their current values, imputed ones included) and from
the person's list memberships (one 0/1 term per list and one per pair of
lists, so that the capture pattern, which is what the missingness depends on
when a list records no ages, enters the model), for ``iterations`` cycles.
Each of the ``m`` imputations is its own chain from its own seed (spawned from
the master seed), so the imputations are independent and reproducible.

Why not statsmodels' ``MICE``: its imputer (``MICEData``) fits every field with
a linear model and predictive mean matching. For a numeric field such as age
that is what we do too; for categorical fields (sex, region, place, victim
group) a linear model of 0/1 codes is not a model of a category, and
predictive mean matching on it can only copy whole rows. Here each field gets
the model of its type, as R's ``mice`` does (``pmm``, ``logreg``,
``polyreg``):

* **age** and **date** (of death, or of detention: the date a ``period``
  scheme reads): predictive mean matching (``mice.impute.pmm``, type-1
  matching): a linear regression of the field (age in years, the date as a day
  number) on the predictors, its coefficients and variance drawn from their
  posterior (flat prior); each missing value is the observed value of a person
  drawn at random among the ``donors`` (5) observed whose predicted values are
  nearest (ties included), so imputed ages and dates are real ones, of people
  alike in lists and fields. A date is imputed as a day, and the person's
  period (the config's windows of days, weeks or months) follows from it in
  each completed data set; as a predictor of the other fields a date enters,
  like age, standardised and squared.
* **sex, region, place, victim group**: multinomial logistic regression
  (logistic for two values), fitted by Newton's method with a N(0, 1) prior on
  every coefficient but the intercepts (a ridge that keeps the fit finite when
  a list records only one sex: separation), its coefficients drawn from the
  normal approximation of their posterior, then each missing value drawn from
  its predicted probabilities.

Region and place stand in for each other as in
:class:`~undercount.strata.Scheme`: a person with a place but no region is not
missing a region. The date is imputed only when it is named under ``fields``
(``date``); a ``period`` scheme without it keeps the stratum ``unknown`` for
undated people, which the usable-stratum rule then judges like any other.

Pooling
-------
:func:`pool` uses :func:`undercount.results.combine.mix`: methods with draws
(posterior draws, bootstrap replicates) pool their draws into one mixture;
methods without use Rubin's rules on ``log(N - n_observed)``, as HRDAG's
verdata does. Fewer than two imputations cannot be pooled (there is no
between-imputation variance to estimate), and fewer than ten get a warning
(verdata's threshold).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from .errors import ConfigError, MethodError

#: Fields that can be imputed, as :func:`undercount.strata.person_attributes` names them.
IMPUTABLE = ("sex", "age", "date", "region", "place", "victim_group")
#: Numeric fields (predictive mean matching); the others are categories.
NUMERIC = ("age", "date")
#: The field each stratification attribute is made from.
ATTRIBUTE_FIELD = {
    "sex": "sex",
    "age_band": "age",
    "region": "region",
    "place": "place",
    "victim_group": "victim_group",
    "period": "date",
}
MIN_IMPUTATIONS = 2
#: verdata warns below this many imputations.
FEW_IMPUTATIONS = 10
#: A categorical field with more values than this is refused (group them first).
MAX_LEVELS = 40
DEFAULTS = {"m": 20, "iterations": 10, "donors": 5}
#: Precision of the normal prior on the logistic coefficients (not the intercepts).
RIDGE = 1.0


@dataclass(frozen=True)
class Imputation:
    """``m`` completed copies of a table's person attributes.

    Attributes
    ----------
    fields
        The fields imputed (in the order of the chained equations).
    completed
        ``m`` frames like the input attributes, with every gap of ``fields`` filled.
    missing
        Per field, which persons (rows of the input) had it missing.
    settings
        m, iterations, donors, seed: what reproduces the imputations.
    """

    fields: tuple[str, ...]
    completed: tuple[pd.DataFrame, ...]
    missing: Mapping[str, np.ndarray]
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def m(self) -> int:
        return len(self.completed)

    def counts(self) -> dict[str, int]:
        """Values imputed per field (in every completed data set)."""
        return {f: int(self.missing[f].sum()) for f in self.fields}


def _known_mask(values: pd.Series) -> np.ndarray:
    return values.notna().to_numpy() & ~values.astype(object).isin([""]).to_numpy()


def _prepare(attributes: pd.DataFrame, fields: Sequence[str]) -> dict[str, pd.Series]:
    """Each field's values, region and place standing in for each other."""
    out = {}
    for f in fields:
        values = attributes[f].astype(object).copy()
        if f in ("region", "place"):
            other = attributes["place" if f == "region" else "region"].astype(object)
            gap = ~_known_mask(values)
            values[gap] = other[gap]
        out[f] = values
    return out


def check_fields(fields: Sequence[str]) -> tuple[str, ...]:
    """The fields, checked: known, not repeated (ConfigError otherwise)."""
    unknown = [f for f in fields if f not in IMPUTABLE]
    if unknown:
        hint = (
            " (the date of death, or of detention, is imputed as 'date': the field a period scheme reads)"
            if any(f.startswith("date_") for f in unknown)
            else ""
        )
        raise ConfigError(
            f"cannot impute {', '.join(map(repr, unknown))}: the fields that can be are {', '.join(IMPUTABLE)}"
            + hint
        )
    if len(set(fields)) != len(fields):
        raise ConfigError("a field to impute is named twice")
    return tuple(fields)


def imputation_seed(seed: int, *parts: Any) -> int:
    """A 32-bit seed from a master seed and names (as :func:`undercount.config.job_seed`)."""
    text = "|".join([str(int(seed)), *map(str, parts)])
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:4], "big")


def impute(
    attributes: pd.DataFrame,
    memberships: np.ndarray,
    fields: Sequence[str],
    *,
    m: int = DEFAULTS["m"],
    iterations: int = DEFAULTS["iterations"],
    donors: int = DEFAULTS["donors"],
    seed: int,
    progress: Any = None,
) -> Imputation:
    """Impute the gaps of ``fields`` ``m`` times by chained equations (see the module's notes).

    Parameters
    ----------
    attributes
        One row per person (:func:`undercount.strata.person_attributes` or
        :func:`undercount.linked.linked_attributes`).
    memberships
        ``(n, k)`` 0/1: person ``i`` is on list ``j`` (rows as ``attributes``).
    seed
        Master seed: imputation ``j`` runs from its own seed derived from it.
    progress
        Called as ``progress(j, m)`` after each imputation (for logs).

    Raises
    ------
    ConfigError
        A field that cannot be imputed, ``m`` below 1, or a field that no person has
        (nothing to impute from).
    """
    fields = check_fields(fields)
    if m < 1:
        raise ConfigError(f"the number of imputations must be at least 1, got {m}")
    if iterations < 1 or donors < 1:
        raise ConfigError("iterations and donors must be at least 1")
    memberships = np.asarray(memberships, dtype=float)
    n = len(attributes)
    if memberships.shape[0] != n:
        raise ValueError("one row of memberships per person is needed")
    values = _prepare(attributes, fields)
    missing = {f: ~_known_mask(values[f]) for f in fields}
    for f in fields:
        if missing[f].all() and n:
            raise ConfigError(
                f"no person has a known {f}: there is nothing to impute it from (leave it out of impute.fields)"
            )
    codes: dict[str, np.ndarray] = {}
    levels: dict[str, list[Any]] = {}
    for f in fields:
        if f in NUMERIC:
            continue
        known = values[f][~missing[f]]
        levels[f] = sorted({str(v) for v in known})
        if len(levels[f]) > MAX_LEVELS:
            raise ConfigError(
                f"{f} has {len(levels[f])} distinct values, more than {MAX_LEVELS}: too many to impute as "
                "categories; stratify by a coarser field, or group the values before"
            )
        index = {v: i for i, v in enumerate(levels[f])}
        codes[f] = np.array([index[str(v)] if ok else -1 for v, ok in zip(values[f], ~missing[f])], dtype=int)
    numbers: dict[str, np.ndarray] = {}
    if "age" in fields:
        numbers["age"] = np.array(
            [float(v) if ok else np.nan for v, ok in zip(values["age"], ~missing["age"])]
        )
    if "date" in fields:
        numbers["date"] = _day_numbers(values["date"], ~missing["date"])
    base = _list_terms(memberships)
    completed = []
    for j in range(m):
        rng = np.random.default_rng(imputation_seed(seed, "imputation", j + 1))
        current: dict[str, np.ndarray] = {}
        for f in fields:  # start from random draws of the observed values (hot deck)
            source = numbers[f] if f in NUMERIC else codes[f]
            filled = source.copy()
            gap = missing[f]
            if gap.any():
                filled[gap] = rng.choice(source[~gap], size=int(gap.sum()), replace=True)
            current[f] = filled
        warm: dict[str, np.ndarray] = {}
        for _ in range(iterations):
            for f in fields:
                gap = missing[f]
                if not gap.any():
                    continue
                X = np.hstack([base, *(_encode(g, current[g], levels.get(g)) for g in fields if g != f)])
                if f in NUMERIC:
                    current[f][gap] = _pmm(X, current[f], gap, donors, rng)
                else:
                    drawn, warm[f] = _polyreg(X, current[f], gap, len(levels[f]), rng, warm.get(f))
                    current[f][gap] = drawn
        frame = attributes.copy()
        for f in fields:
            if f == "age":
                frame["age"] = pd.array(np.rint(current["age"]).astype(int), dtype="Int64")
            elif f == "date":  # the known dates stay as they were; the gaps get a donor's date (ISO text)
                dates = attributes["date"].astype(object).to_numpy(copy=True)
                gap = missing["date"]
                dates[gap] = [_iso_day(x) for x in current["date"][gap]]
                frame["date"] = dates
            else:
                frame[f] = np.array([levels[f][c] for c in current[f]], dtype=object)
        completed.append(frame)
        if progress is not None:
            progress(j + 1, m)
    return Imputation(
        fields=fields,
        completed=tuple(completed),
        missing=missing,
        settings={"m": m, "iterations": iterations, "donors": donors, "seed": int(seed)},
    )


def _day_numbers(values: pd.Series, known: np.ndarray) -> np.ndarray:
    """Known dates as day numbers (proleptic Gregorian ordinals), NaN elsewhere.

    Dates reach here validated (ISO ``YYYY-MM-DD`` text or :class:`datetime.date`);
    a value that is neither is refused, naming the person's position only (dates are
    not shown: with a place they can identify someone).
    """
    from datetime import date

    out = np.full(len(values), np.nan)
    for i, (value, ok) in enumerate(zip(values, known)):
        if not ok:
            continue
        try:
            out[i] = float(date.fromisoformat(str(value)).toordinal())
        except ValueError:
            raise ConfigError(
                f"the date of person {i + 1} (in the order of the person table) is not an ISO date "
                "(YYYY-MM-DD), so it cannot be used to impute the missing dates"
            ) from None
    return out


def _iso_day(number: float) -> str:
    from datetime import date

    return date.fromordinal(int(round(float(number)))).isoformat()


def _list_terms(memberships: np.ndarray) -> np.ndarray:
    """Intercept, one term per list and one per pair of lists."""
    n, k = memberships.shape
    cols = [np.ones((n, 1)), memberships]
    for a in range(k):
        for b in range(a + 1, k):
            cols.append((memberships[:, a] * memberships[:, b])[:, None])
    X = np.hstack(cols)
    # a term constant over the table (a list documenting everyone, a pair never together) says nothing
    keep = [0] + [i for i in range(1, X.shape[1]) if np.ptp(X[:, i]) > 0]
    return X[:, keep]


def _encode(name: str, current: np.ndarray, levels: list[Any] | None) -> np.ndarray:
    """A predictor's columns: age or date standardised (and squared), a category one-hot (first dropped)."""
    if name in NUMERIC:
        sd = float(np.std(current)) or 1.0
        z = (current - float(np.mean(current))) / sd
        return np.column_stack([z, z**2])
    assert levels is not None
    if len(levels) < 2:
        return np.zeros((len(current), 0))
    return (current[:, None] == np.arange(1, len(levels))[None, :]).astype(float)


def _polyreg(
    X: np.ndarray,
    y: np.ndarray,
    gap: np.ndarray,
    n_levels: int,
    rng: np.random.Generator,
    start: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw the missing categories from a multinomial logistic model (ridge prior, Laplace draw)."""
    if n_levels == 1:
        return np.zeros(int(gap.sum()), dtype=int), np.zeros(0)
    Xo, yo = X[~gap], y[~gap]
    theta, H = _fit_mnl(Xo, yo, n_levels, start)
    L = np.linalg.cholesky(H)
    draw = theta + np.linalg.solve(L.T, rng.standard_normal(theta.size))
    p = X.shape[1]
    B = draw.reshape(n_levels - 1, p).T
    eta = np.hstack([np.zeros((int(gap.sum()), 1)), X[gap] @ B])
    eta -= eta.max(axis=1, keepdims=True)
    prob = np.exp(eta)
    prob /= prob.sum(axis=1, keepdims=True)
    u = rng.random(len(prob))
    drawn = (prob.cumsum(axis=1) < u[:, None]).sum(axis=1)
    return np.minimum(drawn, n_levels - 1), theta


def _fit_mnl(
    X: np.ndarray, y: np.ndarray, n_levels: int, start: np.ndarray | None, tol: float = 1e-8, steps: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mode and Hessian of a multinomial logit with a N(0, 1/RIDGE) prior off the intercept."""
    n, p = X.shape
    K = n_levels - 1
    theta = np.zeros(K * p) if start is None or start.size != K * p else start.copy()
    Y = (y[:, None] == np.arange(1, n_levels)[None, :]).astype(float)
    penalty = np.tile(np.r_[0.0, np.full(p - 1, RIDGE)], K)
    for _ in range(steps):
        B = theta.reshape(K, p).T
        eta = np.hstack([np.zeros((n, 1)), X @ B])
        eta -= eta.max(axis=1, keepdims=True)
        P = np.exp(eta)
        P /= P.sum(axis=1, keepdims=True)
        P = P[:, 1:]
        grad = ((Y - P).T @ X).ravel() - penalty * theta
        H = np.empty((K * p, K * p))
        for a in range(K):
            for b in range(a, K):
                w = P[:, a] * ((a == b) - P[:, b])
                block = X.T @ (X * w[:, None])
                H[a * p : (a + 1) * p, b * p : (b + 1) * p] = block
                H[b * p : (b + 1) * p, a * p : (a + 1) * p] = block.T
        H[np.diag_indices_from(H)] += penalty + 1e-9
        step = np.linalg.solve(H, grad)
        theta = theta + step
        if np.max(np.abs(step)) < tol:
            break
    return theta, H


def _pmm(X: np.ndarray, y: np.ndarray, gap: np.ndarray, donors: int, rng: np.random.Generator) -> np.ndarray:
    """Predictive mean matching (type 1) of the missing values of a numeric field.

    Predictors that the observed rows cannot tell apart from earlier ones are
    left out (:func:`_independent_columns`), as R's ``lm`` and ``mice`` do:
    when a list records the field for no one, the people on that list alone
    form a capture pattern with no observed value, and the list terms, one per
    list and pair, then have one direction the data do not fix. Kept in, that
    direction's posterior is as wide as the numerical ridge allows, and every
    imputation would place those people at a random end of the predicted range.
    """
    Xo, yo = X[~gap], y[~gap]
    gram = Xo.T @ Xo
    keep = _independent_columns(gram)
    if len(keep) < X.shape[1]:
        X, Xo, gram = X[:, keep], Xo[:, keep], gram[np.ix_(keep, keep)]
    n, p = Xo.shape
    XtX = gram + 1e-6 * np.eye(p)
    L = np.linalg.cholesky(XtX)
    beta = np.linalg.solve(XtX, Xo.T @ yo)
    rss = float(np.sum((yo - Xo @ beta) ** 2))
    dof = max(n - p, 1)
    sigma = math.sqrt(max(rss, 1e-12) / rng.chisquare(dof))
    beta_star = beta + sigma * np.linalg.solve(L.T, rng.standard_normal(p))
    donor_mean = Xo @ beta
    target = X[gap] @ beta_star
    order = np.argsort(donor_mean, kind="stable")
    sorted_mean, sorted_y = donor_mean[order], yo[order]
    d = min(donors, n)
    # the d-th nearest distance for each target, from the 2d candidates around its position
    pos = np.searchsorted(sorted_mean, target)
    offsets = np.arange(-d, d)
    cand = np.clip(pos[:, None] + offsets[None, :], 0, n - 1)
    dist = np.abs(sorted_mean[cand] - target[:, None])
    dth = np.sort(dist, axis=1)[:, d - 1]
    lo = np.searchsorted(sorted_mean, target - dth - 1e-12, side="left")
    hi = np.searchsorted(sorted_mean, target + dth + 1e-12, side="right")
    pick = lo + np.floor(rng.random(len(target)) * (hi - lo)).astype(int)
    return sorted_y[np.minimum(pick, n - 1)]


def _independent_columns(gram: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Indices of the columns kept, in order, dropping each that earlier kept ones span.

    ``gram`` is ``X'X`` of the observed rows; column ``j``'s squared distance to the
    span of the kept ones is its Schur complement in ``gram``. It is dropped when
    that is below ``tol`` times its squared norm (the predictors are 0/1 terms and
    standardised fields, so aliasing is exact and the complement is at rounding
    level; columns of zeros go too). On the Gram matrix, so the check costs
    nothing next to the regression.
    """
    kept: list[int] = []
    for j in range(gram.shape[0]):
        norm2 = float(gram[j, j])
        if norm2 <= 0.0:
            continue
        if kept:
            G = gram[np.ix_(kept, kept)]
            g = gram[kept, j]
            residual2 = norm2 - float(g @ np.linalg.solve(G, g))
        else:
            residual2 = norm2
        if residual2 > tol * norm2:
            kept.append(j)
    return np.asarray(kept, dtype=int)


# -------------------------------------------------------------- strata per imputation
def scheme_fields(by: Sequence[str]) -> set[str]:
    """The person fields a scheme's attributes are made from."""
    return {ATTRIBUTE_FIELD[a] for a in by}


def imputed_by_stratum(
    imputation: Imputation, strata: Sequence[pd.Series]
) -> dict[str, dict[str, list[int]]]:
    """Per stratum and field, how many persons have an imputed value, in each imputation.

    ``strata[j]`` is the stratum of every person in imputation ``j``.
    """
    names = sorted({s for labels in strata for s in labels})
    out: dict[str, dict[str, list[int]]] = {s: {f: [] for f in imputation.fields} for s in names}
    for labels in strata:
        arr = labels.to_numpy()
        for s in names:
            here = arr == s
            for f in imputation.fields:
                out[s][f].append(int((here & imputation.missing[f]).sum()))
    return out


def imputed_summary(counts: Mapping[str, Sequence[int]]) -> dict[str, dict[str, float]]:
    """Per field: mean, min and max over imputations of the values imputed (for logs and details)."""
    return {
        f: {"mean": float(np.mean(v)), "min": int(min(v)), "max": int(max(v))}
        for f, v in counts.items()
        if len(v)
    }


def imputed_note(counts: Mapping[str, Sequence[int]], m: int, where: str = "in this stratum") -> str | None:
    """'2 imputed sex and 30 imputed ages (mean over 20 imputations)...' or None when nothing was imputed."""
    parts = []
    for f, v in counts.items():
        if len(v) and max(v) > 0:
            mean = float(np.mean(v))
            lo, hi = min(v), max(v)
            spread = f" ({lo}-{hi})" if lo != hi else ""
            parts.append(f"{mean:.1f}{spread} with an imputed {f.replace('_', ' ')}")
    if not parts:
        return None
    return f"multiple imputation: {' and '.join(parts)} {where} (mean over {m} imputations)"


# -------------------------------------------------------------------------- pooling
def condensed_warnings(named: Mapping[str, Any], what: str = "imputation") -> list[str]:
    """The replicates' warnings, one line per kind: shared ones once, the others with who has them.

    A warning that differs between imputations only in its numbers (a grid cap at
    N = 14,948 in one, 13,231 in another) is one kind: it is given once, as the first
    imputation that has it words it, with the number of imputations that carry it.
    Every imputation's own warnings stay in its own result.
    """
    import re

    names = list(named)
    texts = [list(dict.fromkeys(r.warnings)) for r in named.values()]
    shared = [w for w in texts[0] if all(w in t for t in texts[1:])] if len(names) > 1 else []
    groups: dict[str, tuple[str, list[str]]] = {}
    for name, warnings in zip(names, texts):
        for w in warnings:
            if w in shared:
                continue
            key = re.sub(r"\d[\d,.]*(e[+-]?\d+)?", "#", w)
            first, who = groups.setdefault(key, (f"{what} {name}: {w}", []))
            if name not in who:
                who.append(name)
    out = [f"every {what}: {w}" for w in shared]
    for first, who in groups.values():
        if len(who) == 1:
            out.append(first)
        else:
            shown = ", ".join(who[:5]) + (f" and {len(who) - 5} more" if len(who) > 5 else "")
            out.append(f"in {len(who)} of {len(names)} {what}s ({shown}), as {first}")
    return out


def pool(
    results: Mapping[str, Any] | Sequence[Any],
    *,
    level: float | None = None,
    rng: np.random.Generator | None = None,
    notes: Sequence[str] = (),
    imputed: Mapping[str, Any] | None = None,
) -> Any:
    """Pool the estimates of one quantity over imputations (through :func:`combine.mix`).

    Methods with draws mix them; methods without use Rubin's rules on
    ``log(N - n_observed)``. Fewer than :data:`MIN_IMPUTATIONS` are refused with the
    reason (no between-imputation variance to estimate); fewer than
    :data:`FEW_IMPUTATIONS` get a warning. Replicates that differ in their lists
    (a list documenting no one in a stratum in some imputations) are refused
    too, with the reason. ``notes`` are added to the warnings; ``imputed`` goes to
    the details (``extra["imputed"]``).
    """
    from .results import not_estimable, with_warnings
    from .results.combine import carried_warnings, mix

    named = (
        {str(k): v for k, v in results.items()}
        if isinstance(results, Mapping)
        else {str(i): r for i, r in enumerate(results, start=1)}
    )
    if not named:
        raise MethodError("nothing to pool: no imputations")
    first = next(iter(named.values()))
    level = first.ci_level if level is None else level
    m = len(named)
    extra = {"imputations": m, **({"imputed": dict(imputed)} if imputed is not None else {})}

    def refused(reason: str) -> Any:
        n = int(round(float(np.mean([r.n_observed for r in named.values()]))))
        return not_estimable(
            first.method,
            first.lists,
            n,
            f"not estimable as a pool of imputations: {reason}",
            level=level,
            model=first.model,
            settings=first.settings,
            details={"how": "imputations", **extra},
            warnings=tuple(notes),
        )

    if m < MIN_IMPUTATIONS:
        return refused(
            f"{m} imputation(s) only: pooling needs at least {MIN_IMPUTATIONS}, for the between-imputation "
            "variance (set impute.m, or --m, to 20 or more)"
        )
    estimable = [r for r in named.values() if r.estimable]
    how = "draws" if estimable and all(r.draws is not None for r in estimable) else "rubin"
    if len({tuple(sorted(r.lists)) for r in named.values()}) > 1:
        return refused(
            "the imputations do not all have the same lists (in some, a list documents no one here), so "
            "they do not estimate the same quantity with the same model"
        )
    try:
        pooled = mix(named, how=how, rng=rng, level=level, what="imputation")
    except MethodError as exc:
        return refused(str(exc))
    details = replace(pooled.details, extra={**dict(pooled.details.extra), **extra})
    carried = set(carried_warnings(named, "imputation"))
    own = tuple(w for w in pooled.warnings if w not in carried)
    pooled = replace(pooled, warnings=tuple(condensed_warnings(named)) + own)
    after = []
    if m < FEW_IMPUTATIONS:
        after.append(
            f"only {m} imputations: the between-imputation variance is poorly estimated with fewer than "
            f"{FEW_IMPUTATIONS} (verdata's threshold); use more"
        )
    return with_warnings(replace(pooled, details=details), before=tuple(notes), after=tuple(after))


# ------------------------------------------------------- strata and estimates per imputation
def imputed_strata(
    persons: pd.DataFrame,
    imputation: Imputation,
    scheme: Any,
    lists: Sequence[str],
    caveats: Sequence[str] = (),
) -> tuple[list[dict[str, tuple[Any, dict]]], dict[str, dict[str, list[int]]]]:
    """Capture-history tables per stratum in every completed data set, and the imputed counts.

    Returns ``(tables, counts)``: ``tables[j]`` is :func:`undercount.strata.stratify`'s
    answer for imputation ``j``; ``counts[stratum][field][j]`` the persons of that
    stratum whose ``field`` was imputed in imputation ``j``. Every stratum of any
    imputation is in every ``tables[j]`` (an empty table where no one fell in it),
    and every person is in exactly one stratum: none is dropped. Each table's meta
    also gives ``imputed_stratum``: how many of its people are in it by an imputed
    value (a field of the scheme that was missing), for the documented-versus-estimated
    figure.
    """
    from .histories import CaptureTable
    from .strata import assign_strata, stratify

    per: list[dict[str, tuple[Any, dict]]] = []
    labels = []
    total = persons["person_id"].nunique()
    used = scheme_fields(scheme.by)
    by_imputation = np.zeros(len(imputation.completed[0]) if imputation.completed else 0, dtype=bool)
    for f in imputation.fields:
        if f in used:
            by_imputation |= imputation.missing[f]
    for frame in imputation.completed:
        these = assign_strata(frame, scheme)
        tables = stratify(persons, frame, scheme, lists, caveats, labels_of_attributes=these)
        placed = sum(meta["n_observed"] for _, meta in tables.values())
        if placed != total:  # pragma: no cover - stratify puts every person in one stratum
            raise RuntimeError(f"{total - placed} persons fell in no stratum")
        imputed_here = these[by_imputation].value_counts()
        for s, (_table, meta) in tables.items():
            meta["imputed_stratum"] = int(imputed_here.get(s, 0))
        per.append(tables)
        labels.append(these)
    names = sorted({s for tables in per for s in tables})
    for tables in per:
        for s in names:
            if s not in tables:
                empty = CaptureTable((), np.zeros((0, 0), dtype=np.int8), np.zeros(0, dtype=np.int64))
                tables[s] = (
                    empty,
                    {
                        "scheme": scheme.name,
                        "stratum": s,
                        "by": list(scheme.by),
                        "lists": [],
                        "dropped_lists": list(lists),
                        "people_per_list": {},
                        "records_per_list": {},
                        "n_observed": 0,
                        "imputed_stratum": 0,
                        "notes": [*caveats, "no one falls in this stratum in this imputation"],
                    },
                )
    return per, imputed_by_stratum(imputation, labels)


def estimate_imputations(
    tables: Sequence[tuple[Any, Mapping[str, Any]]],
    *,
    method: str,
    model: str | None = None,
    settings: Mapping[str, Any] | None = None,
    seed: int,
    level: float = 0.95,
    cache: Any = None,
) -> list[Any]:
    """Estimate one stratum's table in every imputation (imputation ``j`` from its own seed).

    ``cache`` (an :class:`undercount.cache.EstimateCache`) looks each imputation's table up
    by its content first; its ``lookups`` then say how each went.
    """
    from .cache import cached_estimate_table

    return [
        cached_estimate_table(
            cache,
            table,
            meta,
            method=method,
            model=model,
            settings=settings,
            seed=imputation_seed(seed, "imputation", j + 1),
            level=level,
        )[0]
        for j, (table, meta) in enumerate(tables)
    ]


def pooled_total(
    by_imputation: Sequence[Mapping[str, Any]],
    *,
    seed: int,
    level: float | None = None,
    notes: Sequence[str] = (),
    imputed: Mapping[str, Any] | None = None,
) -> tuple[Any, list[Any]]:
    """The total over strata in each imputation (draw by draw), pooled over imputations.

    ``by_imputation[j]`` maps each stratum to its result in imputation ``j``.
    Returns the pooled total and the per-imputation totals.
    """
    from .results.combine import add

    totals = [
        add(dict(results), rng=np.random.default_rng(imputation_seed(seed, "total", j + 1)), level=level)
        for j, results in enumerate(by_imputation)
    ]
    rng = np.random.default_rng(imputation_seed(seed, "pool"))
    return pool(totals, level=level, rng=rng, notes=notes, imputed=imputed), totals


def imputation_summary_meta(
    metas: Sequence[Mapping[str, Any]], counts: Mapping[str, Sequence[int]], lists: Sequence[str]
) -> dict[str, Any]:
    """A stratum's ``histories.json`` over its imputations: means, and the values imputed.

    ``n_observed`` and ``people_per_list`` are means over the imputations (people
    whose stratum was imputed are counted in the stratum they were imputed to);
    ``imputed`` gives, per field, the mean, least and most values imputed;
    ``imputed_stratum`` the mean, least and most people in the stratum by an
    imputed value (a person with both sex and age imputed counts once).
    """
    first = metas[0]
    m = len(metas)
    note = imputed_note(counts, m)
    return {
        "scheme": first["scheme"],
        "stratum": first["stratum"],
        "by": first["by"],
        "lists": [name for name in lists if any(name in meta["lists"] for meta in metas)],
        "imputations": m,
        "n_observed": float(np.mean([meta["n_observed"] for meta in metas])),
        "n_observed_range": [
            int(min(x["n_observed"] for x in metas)),
            int(max(x["n_observed"] for x in metas)),
        ],
        "people_per_list": {
            name: float(np.mean([meta["people_per_list"].get(name, 0) for meta in metas])) for name in lists
        },
        "imputed": imputed_summary(counts),
        "imputed_stratum": imputed_summary(
            {"persons": [int(meta.get("imputed_stratum", 0)) for meta in metas]}
        )["persons"],
        "usable": all(meta["usable"] for meta in metas),
        "usable_in": int(sum(bool(meta["usable"]) for meta in metas)),
        "notes": list(first["notes"]) + ([note] if note else []),
    }
