"""Combining estimates: totals over strata (:func:`add`), pools over replicates (:func:`mix`) and
the span of several models' intervals (:func:`span`).

Both work on draws of N, never on interval ends: :func:`add` sums one draw of
every stratum at a time, :func:`mix` pools the draws of replicates of one
quantity (multiple imputations of a missing field, plausible linkages). Both
carry every input's warnings, each saying which input it came from, and both
refuse, with the reason and without a number, to combine results that give
no draws, or draws of different kinds, unless the caller says how:
``kinds=`` names the kind that draws of different kinds are to be treated
as, and :func:`mix` takes ``how="rubin"`` (Rubin's rules on the log of the
undocumented number) for methods without draws.

:func:`span` is of another kind: it joins the intervals of *different models*
of one table (from the lowest lower end to the highest upper end), for when no
single model can be trusted in every situation the lists may be in and the
report must not bet on one (docs/calibration.md, "The headline rule").
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import MethodError
from .details import Combination, Part
from .draws import KINDS, Draws
from .result import EstimateResult, not_estimable

#: How :func:`mix` pools: ``draws`` (the replicates' draws) or ``rubin`` (Rubin's rules).
MIX_HOWS = ("draws", "rubin")


def carried_warnings(results: Mapping[str, EstimateResult], what: str, *, grouped: bool = False) -> list[str]:
    """Every input's warnings, each prefixed by its origin (``stratum a: ...``).

    A warning that every input carries is given once, as ``every stratum: ...``.
    With ``grouped``, a warning that several inputs carry is also given once, naming
    them and how many they are (``linkage draws 1-3, 7 (4 of 50): ...``): fifty
    linkage draws would otherwise repeat one R-hat warning fifty times.
    """
    return carried_texts({name: r.warnings for name, r in results.items()}, what, grouped=grouped)


def carried_texts(warnings: Mapping[str, Sequence[str]], what: str, *, grouped: bool = False) -> list[str]:
    """:func:`carried_warnings` on the warnings themselves, by input's name (a figure's table rows)."""
    names = list(warnings)
    holders: dict[str, list[str]] = {}
    for name, texts in warnings.items():
        for w in texts:
            holders.setdefault(w, [])
            if name not in holders[w]:
                holders[w].append(name)
    out: list[str] = []
    shared = {w for w, who in holders.items() if len(names) > 1 and len(who) == len(names)}
    out += [f"every {what}: {w}" for w in holders if w in shared]
    if grouped:
        for w, who in holders.items():
            if w in shared:
                continue
            if len(who) == 1:
                out.append(f"{what} {who[0]}: {w}")
            else:
                out.append(f"{_plural(what)} {name_list(who)} ({len(who)} of {len(names)}): {w}")
        return out
    for name, texts in warnings.items():
        seen: set[str] = set()
        for w in texts:
            if w not in shared and w not in seen:
                out.append(f"{what} {name}: {w}")
                seen.add(w)
    return out


def name_list(names: Sequence[str]) -> str:
    """Names joined by commas, runs of consecutive whole numbers shortened: ``1-3, 7, b``."""
    out: list[str] = []
    run: list[int] = []

    def close() -> None:
        if run:
            out.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
            run.clear()

    for name in names:
        if name.isdigit() and run and int(name) == run[-1] + 1:
            run.append(int(name))
        elif name.isdigit() and not name.startswith("0"):
            close()
            run.append(int(name))
        else:
            close()
            out.append(name)
    close()
    return ", ".join(out)


def _named(results: Mapping[str, EstimateResult] | Sequence[EstimateResult]) -> dict[str, EstimateResult]:
    if isinstance(results, Mapping):
        named = {str(k): v for k, v in results.items()}
    else:
        named = {str(i): r for i, r in enumerate(results, start=1)}
    if not named:
        raise MethodError("nothing to combine: no results given")
    for name, r in named.items():
        if not isinstance(r, EstimateResult):
            raise MethodError(
                f"input {name} is a {type(r).__name__}, not an EstimateResult (read it with read_result)"
            )
    return named


def _part(name: str, r: EstimateResult, weight: float | None = None) -> Part:
    return Part(
        name=name,
        n_observed=r.n_observed,
        n_hat=r.n_hat,
        ci_low=r.ci_low,
        ci_high=r.ci_high,
        draws=None if r.draws is None else r.draws.size,
        weight=weight,
    )


def _kind(named: Mapping[str, EstimateResult], kinds: str | None, what: str) -> tuple[str | None, str | None]:
    """(kind of the combined draws, or None; reason to refuse, or None)."""
    found = {name: r.draws.kind for name, r in named.items() if r.draws is not None}
    if kinds is not None and kinds not in KINDS:
        raise MethodError(f"kinds must be one of {list(KINDS)}, got {kinds!r}")
    distinct = sorted(set(found.values()))
    if len(distinct) <= 1:
        return (distinct[0] if distinct else kinds), None
    if kinds is not None:
        return kinds, None
    detail = "; ".join(f"{k} for {', '.join(n for n, v in found.items() if v == k)}" for k in distinct)
    return None, (
        f"the {what} draws are of different kinds ({detail}), and a sum or mixture of them is neither a "
        "posterior nor a bootstrap distribution; to combine them anyway, say which kind the result "
        "is to be (kinds='posterior' or kinds='bootstrap')"
    )


def _add(
    results: Mapping[str, EstimateResult],
    *,
    rng: np.random.Generator,
    level: float | None = None,
    kinds: str | None = None,
    what: str = "stratum",
) -> EstimateResult:
    """The total over strata, added draw by draw.

    The draws of different strata come from independent analyses, so each
    stratum's draws are put in random order (``rng``) before being added
    (draws that happen to be sorted, or that share a seed, would otherwise be
    added as if perfectly correlated); strata with fewer draws are resampled
    to the longest length. The total's point estimate is the median of the
    summed draws and its interval their equal-tailed quantiles at ``level``
    (default: the first stratum's level).

    A stratum without an estimate is added at its documented count, a lower
    bound for it, and the total says so. A draw without an estimate (a failed
    bootstrap replicate) is left out, with a warning. The total is not
    estimable, and says why, when no stratum has an estimate, when an
    estimable stratum has no draws (its interval ends would have to be
    added, which is never done), or when strata's draws are of different
    kinds and ``kinds`` does not say what their sum is.

    ``results`` maps each stratum's name to its result; ``what`` names the
    inputs in the warnings (``stratum a: ...``).
    """
    named = _named(results)
    first = next(iter(named.values()))
    level = first.ci_level if level is None else float(level)
    lists = tuple(sorted({name for r in named.values() for name in r.lists}))
    n_observed = int(sum(r.n_observed for r in named.values()))
    warnings = carried_warnings(named, what)
    details = Combination(
        how="sum",
        combination=f"sum of draws, each {what}'s draws in random order",
        parts=tuple(_part(name, r) for name, r in named.items()),
    )

    def refused(reason: str) -> EstimateResult:
        return not_estimable(
            first.method,
            lists,
            n_observed,
            f"not estimable as a total: {reason}",
            level=level,
            model=first.model,
            settings=first.settings,
            details=details,
            warnings=tuple(warnings),
        )

    if not any(r.estimable for r in named.values()):
        return refused(f"no {what} has an estimate")
    if any(r.estimable and r.draws is None for r in named.values()):
        return refused(
            f"{first.method} gives no draws or bootstrap replicates, and adding interval ends across "
            f"{_plural(what)} is never done"
        )
    kind, reason = _kind(named, kinds, what)
    if reason:
        return refused(reason)
    usable: dict[str, np.ndarray] = {}
    for name, r in named.items():
        if r.draws is None or not r.draws.size:
            continue
        d = r.draws.pooled
        finite = d[np.isfinite(d)]
        if len(finite) < len(d):
            warnings.append(
                f"{what} {name}: {len(d) - len(finite)} of {len(d)} draws had no estimate and are left "
                "out of the sum"
            )
        if len(finite):
            usable[name] = finite
    if not usable:
        return refused(f"no {what} has draws to add")
    size = max(len(d) for d in usable.values())
    total = np.zeros(size)
    for name in sorted(usable):
        d = usable[name]
        total += rng.permutation(d) if len(d) == size else rng.choice(d, size=size, replace=True)
    for name in sorted(set(named) - set(usable)):
        n = named[name].n_observed
        total += n
        warnings.append(
            f"{what} {name} has no estimate: its {n} documented people are added as they are, "
            f"so the total is a lower bound for that {what}"
        )
    alpha = (1 - level) / 2
    low, mid, high = np.quantile(total, [alpha, 0.5, 1 - alpha])
    return EstimateResult(
        method=first.method,
        lists=lists,
        n_observed=n_observed,
        n_hat=float(mid),
        ci_low=float(low),
        ci_high=float(high),
        ci_level=level,
        model=first.model,
        settings=first.settings,
        warnings=tuple(warnings),
        details=details,
        draws=Draws(total.reshape(1, -1), kind or "posterior"),
    )


def _mix(
    results: Mapping[str, EstimateResult] | Sequence[EstimateResult],
    weights: Sequence[float] | None = None,
    *,
    how: str = "draws",
    rng: np.random.Generator | None = None,
    level: float | None = None,
    kinds: str | None = None,
    what: str = "replicate",
    grouped: bool = False,
) -> EstimateResult:
    """Pool replicates of one quantity: multiple imputations, plausible linkages.

    Every replicate estimates the same total with the same method on the same
    lists; they differ by what was imputed or linked. ``weights`` (default:
    equal) are the replicates' probabilities.

    ``how="draws"`` (the default) pools the replicates' draws into one mixture
    (each replicate's share of the pooled draws is its weight) and reports its
    median and equal-tailed interval at ``level``. Replicates with equal
    weights and equally many draws are pooled as they are; otherwise each is
    resampled (``rng``, required then) to its share of ``replicates x`` the
    longest length. Draws without an estimate are left out, with a warning.

    ``how="rubin"`` is for methods without draws: Rubin's (1987) rules on
    ``q = log(N - n_observed)``, the scale on which capture-recapture intervals
    are close to normal: the pooled ``q`` is the mean, its variance
    ``W + (1 + 1/m) B`` (``W`` the mean within-replicate variance of ``q``,
    from the method's standard error, or from its interval as a normal
    interval on that scale; ``B`` the variance of the replicates' ``q``), and
    the interval uses Student's t with Rubin's degrees of freedom. Weights are
    not taken (the rules assume equally likely replicates).

    The details (:class:`~undercount.results.details.Combination`) give the
    within- and between-replicate variance and the share of the interval's
    width that each accounts for: ``width_share_within`` is the width the
    interval keeps when every replicate is centred on the pooled centre,
    as a share of its full width.

    ``grouped`` gives a warning that several replicates carry once, naming them
    (:func:`carried_warnings`), as many plausible linkages would repeat it.

    Refused, with the reason and no number: a replicate without an estimate;
    with ``how="draws"``, a replicate without draws, or draws of different
    kinds unless ``kinds`` says what the mixture is.
    """
    named = _named(results)
    if how not in MIX_HOWS:
        raise MethodError(f"how must be one of {list(MIX_HOWS)}, got {how!r}")
    first = next(iter(named.values()))
    methods = sorted({r.method for r in named.values()})
    if len(methods) > 1:
        raise MethodError(f"replicates of one quantity come from one method; got {', '.join(methods)}")
    list_sets = {tuple(sorted(r.lists)) for r in named.values()}
    if len(list_sets) > 1:
        raise MethodError("replicates of one quantity use the same lists; these use different ones")
    level = first.ci_level if level is None else float(level)
    m = len(named)
    w = _weights(weights, m, how)
    warnings = carried_warnings(named, what, grouped=grouped)
    n_values = [r.n_observed for r in named.values()]
    n_observed = int(round(float(np.dot(w, n_values))))
    if len(set(n_values)) > 1:
        warnings.append(
            f"the {_plural(what)} document from {min(n_values):,} to {max(n_values):,} people; the pooled "
            f"documented count is their weighted mean, {n_observed:,}"
        )
    parts = tuple(_part(name, r, float(wi)) for (name, r), wi in zip(named.items(), w))

    def refused(reason: str, details: Combination) -> EstimateResult:
        return not_estimable(
            first.method,
            first.lists,
            n_observed,
            f"not estimable as a pool of {_plural(what)}: {reason}",
            level=level,
            model=first.model,
            settings=first.settings,
            details=details,
            warnings=tuple(warnings),
        )

    failed = [name for name, r in named.items() if not r.estimable]
    names = name_list if grouped else ", ".join
    if how == "rubin":
        details = Combination(how="rubin", combination=RUBIN_TEXT, parts=parts)
        if failed:
            return refused(f"{what} {names(failed)} has no estimate", details)
        return _rubin(named, first, level, n_observed, warnings, details, refused)
    details = Combination(how="mixture", combination=f"mixture of the {what}s' draws", parts=parts)
    if failed:
        return refused(f"{what} {names(failed)} has no estimate", details)
    without = [name for name, r in named.items() if r.draws is None]
    if without:
        return refused(
            f"{first.method} gives no draws ({what} {names(without)}); pool such {_plural(what)} with "
            "how='rubin' (Rubin's rules), never by averaging interval ends",
            details,
        )
    kind, reason = _kind(named, kinds, what)
    if reason:
        return refused(reason, details)
    finite: list[np.ndarray] = []
    for name, r in named.items():
        assert r.draws is not None
        d = r.draws.finite
        if d.size < r.draws.size:
            warnings.append(
                f"{what} {name}: {r.draws.size - d.size} of {r.draws.size} draws had no estimate and are "
                "left out of the pool"
            )
        if not d.size:
            return refused(f"{what} {name} has no draw with an estimate", details)
        finite.append(d)
    sizes = [len(d) for d in finite]
    equal = len(set(sizes)) == 1 and np.allclose(w, w[0])
    if equal:
        counts = sizes
        pooled = [d for d in finite]
    else:
        if rng is None:
            raise MethodError(
                f"the {_plural(what)} have unequal weights or numbers of draws, so their draws are resampled: give rng"
            )
        counts = _allocate(w, m * max(sizes))
        pooled = [rng.choice(d, size=k, replace=True) for d, k in zip(finite, counts)]
    values = np.concatenate(pooled)
    centre = float(np.mean(values))
    centred = np.concatenate([p - np.mean(d) + centre for p, d in zip(pooled, finite)])
    alpha = (1 - level) / 2
    low, mid, high = np.quantile(values, [alpha, 0.5, 1 - alpha])
    c_low, c_high = np.quantile(centred, [alpha, 1 - alpha])
    means = np.array([np.mean(d) for d in finite])
    within = float(np.dot(w, [np.var(d, ddof=1) if len(d) > 1 else 0.0 for d in finite]))
    between = float(np.dot(w, (means - float(np.dot(w, means))) ** 2))
    width = float(high - low)
    share = float((c_high - c_low) / width) if width > 0 else 1.0
    details = Combination(
        how="mixture",
        combination=details.combination,
        parts=parts,
        within_variance=within,
        between_variance=between,
        width_share_within=share,
        width_share_between=1.0 - share,
    )
    if equal and len({r.draws.values.shape[1] for r in named.values() if r.draws is not None}) == 1:
        shaped = np.vstack([r.draws.values for r in named.values() if r.draws is not None])
        draws = (
            Draws(shaped, kind or "posterior")
            if np.isfinite(shaped).all()
            else Draws(values.reshape(1, -1), kind or "posterior")
        )
    else:
        draws = Draws(values.reshape(1, -1), kind or "posterior")
    return EstimateResult(
        method=first.method,
        lists=first.lists,
        n_observed=n_observed,
        n_hat=float(mid),
        ci_low=float(low),
        ci_high=float(high),
        ci_level=level,
        model=first.model,
        settings=first.settings,
        warnings=tuple(warnings),
        details=details,
        draws=draws,
    )


def _plural(what: str) -> str:
    return {"stratum": "strata"}.get(what, f"{what}s")


RUBIN_TEXT = "Rubin's rules on log(N - n_observed), Student's t with Rubin's (1987) degrees of freedom"


def _weights(weights: Sequence[float] | None, m: int, how: str) -> np.ndarray:
    if weights is None:
        return np.full(m, 1.0 / m)
    if how == "rubin":
        raise MethodError("Rubin's rules pool equally likely replicates: give no weights with how='rubin'")
    w = np.asarray(weights, dtype=float)
    if w.shape != (m,):
        raise MethodError(f"give one weight per replicate: {m} replicates, {w.size} weights")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise MethodError("weights must be finite, non-negative and not all zero")
    return w / w.sum()


def _allocate(w: np.ndarray, total: int) -> list[int]:
    """Largest-remainder split of ``total`` draws by the weights (every replicate with weight gets one)."""
    raw = w * total
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts), kind="stable")[: total - int(counts.sum())]:
        counts[i] += 1
    return [int(max(c, 1 if wi > 0 else 0)) for c, wi in zip(counts, w)]


def _log_dark_variance(r: EstimateResult, z: float) -> float | None:
    """Variance of log(N - n) within one replicate: the method's own, or from its interval."""
    details = r.details
    dark = r.n_hat - r.n_observed
    se = details.get("log_dark_se")
    if (
        isinstance(se, float)
        and math.isfinite(se)
        and se > 0
        and details.get("interval", "").startswith("log-normal")
    ):
        return se**2
    variance = details.get("variance")
    if r.method == "chapman" and isinstance(variance, float) and dark > 0:
        return math.log(1.0 + variance / dark**2)
    low, high = r.ci_low - r.n_observed, r.ci_high - r.n_observed
    if low > 0 and math.isfinite(high) and high > low:
        return ((math.log(high) - math.log(low)) / (2 * z)) ** 2
    return None


def _rubin(
    named: Mapping[str, EstimateResult],
    first: EstimateResult,
    level: float,
    n_observed: int,
    warnings: list[str],
    details: Combination,
    refused: Any,
) -> EstimateResult:
    from scipy import stats

    m = len(named)
    z = float(stats.norm.ppf(0.5 + level / 2))
    q, u = [], []
    for name, r in named.items():
        dark = r.n_hat - r.n_observed
        variance = _log_dark_variance(r, z)
        if dark <= 0 or variance is None:
            return refused(
                f"replicate {name} gives no undocumented number above zero with a finite interval, so "
                "log(N - n_observed) has no variance to pool",
                details,
            )
        q.append(math.log(dark))
        u.append(variance)
    q_bar = float(np.mean(q))
    within = float(np.mean(u))
    between = float(np.var(q, ddof=1)) if m > 1 else 0.0
    total = within + (1 + 1 / m) * between
    if between > 0 and m > 1:
        df = (m - 1) * (1 + within / ((1 + 1 / m) * between)) ** 2
        t = float(stats.t.ppf(0.5 + level / 2, df))
    else:
        t = z
    if m < 2:
        warnings.append("one replicate only: Rubin's rules have no between-replicate variance to add")
    n_bar = float(n_observed)
    low, high = n_bar + math.exp(q_bar - t * math.sqrt(total)), n_bar + math.exp(q_bar + t * math.sqrt(total))
    inner = math.exp(q_bar + z * math.sqrt(within)) - math.exp(q_bar - z * math.sqrt(within))
    share = inner / (high - low) if high > low else 1.0
    details = Combination(
        how="rubin",
        combination=RUBIN_TEXT + " (variances on that scale)",
        parts=details.parts,
        within_variance=within,
        between_variance=between,
        width_share_within=share,
        width_share_between=1.0 - share,
    )
    return EstimateResult(
        method=first.method,
        lists=first.lists,
        n_observed=n_observed,
        n_hat=n_bar + math.exp(q_bar),
        ci_low=low,
        ci_high=high,
        ci_level=level,
        model=first.model,
        settings=first.settings,
        warnings=tuple(warnings),
        details=details,
    )


def _with_caveats(
    result: EstimateResult, inputs: Mapping[str, EstimateResult] | Sequence[EstimateResult]
) -> EstimateResult:
    """The combination carries every input's standing caveats, each once (they hold for every part)."""
    from .result import with_caveats

    parts = inputs.values() if isinstance(inputs, Mapping) else inputs
    return with_caveats(result, tuple(c for r in parts for c in r.caveats))


def span_refusal(missing: Sequence[str]) -> str:
    """Why a span is not estimable when the models ``missing`` gave no estimate."""
    them = "it" if len(missing) == 1 else "them"
    return (
        f"not estimable as a span: {name_list(list(missing))} gave no estimate, and a span without "
        f"{them} would be narrower than the span asked for"
    )


def span(results: Mapping[str, EstimateResult], *, what: str = "model") -> EstimateResult:
    """The span of several models' intervals for one table: lowest lower end to highest upper end.

    ``results`` maps each model's name to its result, the preferred model first:
    the span's point estimate is that model's (a span has no point of its own,
    and the report names every model's), its interval runs from the lowest lower
    end to the highest upper end. The span covers the true total whenever any of
    its models' intervals does, so its coverage is at least the best of theirs on
    every table, at the price of width; it is not a posterior or a confidence
    interval of any one model, and its details (``how="span"``) keep every part.

    Every model must be estimable and of the same table (the same documented
    count and interval level); a span of fewer models would silently be a
    narrower interval, so a model without an estimate makes the span refuse,
    with the reason. Warnings are carried, each naming its model; an
    uninformative upper end of any model is the span's.
    """
    named = _named(results)
    if len(named) < 2:
        raise MethodError(f"a span needs at least two {_plural(what)}, got {len(named)}")
    first = next(iter(named.values()))
    counts = {r.n_observed for r in named.values()}
    levels = {r.ci_level for r in named.values()}
    if len(counts) > 1 or len(levels) > 1:
        detail = "; ".join(f"{n}: {r.n_observed} documented, level {r.ci_level:g}" for n, r in named.items())
        raise MethodError(f"a span joins intervals of one table at one level, got {detail}")
    members = name_list(list(named))
    lists = tuple(dict.fromkeys(name for r in named.values() for name in r.lists))
    details = Combination(
        how="span",
        combination=f"span of the intervals of {members}; point estimate of {next(iter(named))}",
        parts=tuple(_part(name, r) for name, r in named.items()),
    )
    warnings = carried_warnings(named, what)
    missing = [name for name, r in named.items() if not r.estimable]
    if missing:
        return _with_caveats(
            not_estimable(
                "span",
                lists,
                first.n_observed,
                span_refusal(missing),
                level=first.ci_level,
                model=members,
                settings={"members": list(named)},
                details=details,
                warnings=tuple(warnings),
            ),
            named,
        )
    return _with_caveats(
        EstimateResult(
            method="span",
            lists=lists,
            n_observed=first.n_observed,
            n_hat=first.n_hat,
            ci_low=min(r.ci_low for r in named.values()),
            ci_high=max(r.ci_high for r in named.values()),
            ci_level=first.ci_level,
            model=members,
            settings={"members": list(named)},
            warnings=tuple(warnings),
            upper_uninformative=any(
                r.upper_uninformative and r.ci_high == max(x.ci_high for x in named.values())
                for r in named.values()
            ),
            details=details,
        ),
        named,
    )


def add(
    results: Mapping[str, EstimateResult],
    *,
    rng: np.random.Generator,
    level: float | None = None,
    kinds: str | None = None,
    what: str = "stratum",
) -> EstimateResult:
    return _with_caveats(_add(results, rng=rng, level=level, kinds=kinds, what=what), results)


def mix(
    results: Mapping[str, EstimateResult] | Sequence[EstimateResult],
    weights: Sequence[float] | None = None,
    *,
    how: str = "draws",
    rng: np.random.Generator | None = None,
    level: float | None = None,
    kinds: str | None = None,
    what: str = "replicate",
    grouped: bool = False,
) -> EstimateResult:
    return _with_caveats(
        _mix(results, weights, how=how, rng=rng, level=level, kinds=kinds, what=what, grouped=grouped),
        results,
    )


add.__doc__ = _add.__doc__
mix.__doc__ = _mix.__doc__
