"""Which estimate leads the report, how far the methods disagree, and what every report must say.

The report opens on one number per event and population: the *headline*
estimate. Which one it is is a config choice (``headline:`` in the config):
a method label, or ``auto`` (the default), which applies :data:`AUTO_RULE`.

The automatic rule is data, not code: a table from the number of lists in the
table to the estimators to prefer, in order. :func:`choose` takes the first of
them that gave an estimate. An entry ``"lcmcr|mth-gamma"`` is a *span*: the
interval from the lowest to the highest end of those estimators' intervals
(:func:`undercount.results.combine.span`), usable only when every one of them
gave an estimate. With four or more lists the rule leads with such a span,
because no single estimator covered the true total in every simulated design
(docs/calibration.md, "The headline rule"). Methods absent from the row are never chosen
automatically: ``mt`` (no heterogeneity at all, so biased downwards when
capture probabilities vary between people, as they always do) is in no row,
and ``chapman`` only in the row for two lists, since with more lists it
discards what the other lists say.

:func:`envelope` gives the span of the method families' intervals and warns
when they do not overlap. Agreement between methods is never confirmation:
they share the assumptions that matter most, and :data:`STANDING_CAVEAT` says
the one that no interval shows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .results import EstimateResult

#: The caveat every report shows, whatever the estimates are.
STANDING_CAVEAT = (
    "Every method here assumes that what the lists cannot see does not matter. If some people "
    "were less likely to be recorded by every list at once (because of where they died, who "
    "their family is, or whether anyone dared report them), all the estimates are too low, and "
    "no interval shows it: the true number can lie above every interval in this report."
)

#: What agreement between methods means, said wherever methods are compared.
AGREEMENT_CAVEAT = (
    "Methods that agree are not thereby confirmed: they rest on the same lists and share the "
    "assumption above."
)

#: Joins the estimators of a span entry of the rule (``"lcmcr|mth-gamma"``), and the
#: config labels of a configured span (``headline: lc|mthg``).
SPAN = "|"

#: The automatic headline rule: (fewest lists, estimators in order of preference).
#: A table with k lists uses the first row whose fewest-lists is at most k. Rows
#: are in decreasing order of lists. Tune it from coverage evidence (benchmarks/
#: calibrate.py); the reasons below say why each entry is where it is.
AUTO_RULE: tuple[tuple[int, tuple[str, ...]], ...] = (
    # chosen from the coverage study (benchmarks/calibrate.py, 40-120 simulated tables per
    # design; the numbers behind each row are in docs/calibration.md)
    (4, ("lcmcr|mth-gamma", "lcmcr", "mth-gamma", "dga", "loglinear-bic")),
    (3, ("lcmcr", "sample-coverage", "loglinear-bic")),
    (2, ("chapman",)),
)

#: Why an estimator leads when the automatic rule picks it (one clause each).
REASONS: Mapping[str, str] = {
    "lcmcr|mth-gamma": (
        "no single model covered the true total in every simulated design (the latent-class model "
        "missed where a hard-to-reach majority or sparse lists hide people from it, the heterogeneity "
        "log-linear model mth-gamma where lists depend on each other), and the span of their two "
        "intervals covered it in at least 93% of the simulated tables of every design, at the price "
        "of a wider interval"
    ),
    "lcmcr": (
        "the latent-class model allows capture probabilities to differ between unseen groups of "
        "people, which the other models do not, and with four or more lists the data can inform it"
    ),
    "dga": "it averages over the dependence between lists instead of betting on one model",
    "mth-gamma": (
        "its capture probabilities vary between people and lists, which covered the true total "
        "in the simulated heterogeneous designs where the latent-class model did not"
    ),
    "sample-coverage": (
        "the sample-coverage estimator allows capture probabilities to vary between people and "
        "covered the true total in the simulated three-list designs"
    ),
    "loglinear-bic": "the log-linear model is chosen by BIC, with an interval averaged over the top models",
    "stepwise-bca": (
        "the log-linear model is chosen from the data, and its bootstrap interval repeats the "
        "choice, so the interval includes the uncertainty of choosing"
    ),
    "loglinear-bic-bca": "the log-linear model is chosen by BIC and its bootstrap interval repeats the choice",
    "loglinear-aic-bca": "the log-linear model is chosen by AIC and its bootstrap interval repeats the choice",
    "stepwise": "the log-linear model is chosen from the data (its interval does not include the choice)",
    "chapman": "Chapman's estimator is the standard two-list estimator, nearly unbiased",
    "loglinear-bca": "the saturated two-list log-linear model with a bootstrap interval",
    "loglinear": "the two-list log-linear model",
}

#: Method families, for :func:`envelope`: estimators that share their model.
FAMILIES: Mapping[str, str] = {
    "chapman": "two-list (Chapman)",
    "lcmcr": "latent classes (LCMCR)",
    "dga": "graph averaging (DGA)",
    "sample-coverage": "sample coverage",
}

#: The headline setting that applies the automatic rule.
AUTO = "auto"


def members(entry: str) -> tuple[str, ...]:
    """The estimators (or labels) of a rule entry or headline setting: one, or the members of a span."""
    return tuple(part.strip() for part in entry.split(SPAN) if part.strip())


def span_label(labels: Sequence[str]) -> str:
    """The name the report gives a span of these labels: ``span(lcmcr, mth-gamma)``."""
    return f"span({', '.join(labels)})"


def family(estimator: str) -> str:
    """The family of a registry estimator: log-linear unless :data:`FAMILIES` says otherwise."""
    return FAMILIES.get(estimator, "log-linear")


@dataclass(frozen=True)
class Headline:
    """The estimate that leads the report, and why.

    ``label`` is the method's label in the config (None when nothing could be
    chosen), or for a span ``span(a, b)``; ``result`` its result; ``reason`` one
    plain sentence. A span keeps its members' results, by label, in ``members``
    (empty for one method).
    """

    label: str | None
    result: EstimateResult | None
    reason: str
    members: Mapping[str, EstimateResult] = field(default_factory=dict)

    @property
    def is_span(self) -> bool:
        return bool(self.members)

    @property
    def estimable(self) -> bool:
        return self.result is not None and self.result.estimable


def preferred(n_lists: int, rule: Sequence[tuple[int, Sequence[str]]] = AUTO_RULE) -> tuple[str, ...]:
    """The estimators the automatic rule prefers for a table of ``n_lists`` lists, best first."""
    for fewest, methods in rule:
        if n_lists >= fewest:
            return tuple(methods)
    return ()


def choose(
    results: Mapping[str, EstimateResult],
    *,
    n_lists: int,
    headline: str = AUTO,
    rule: Sequence[tuple[int, Sequence[str]]] = AUTO_RULE,
) -> Headline:
    """The headline among ``results`` (config label -> result) of one table of ``n_lists`` lists.

    ``headline`` is the config's choice: a label of ``results``, labels joined
    by ``|`` for the span of their intervals, or ``"auto"`` for the first entry
    of ``rule`` (default :data:`AUTO_RULE`) that gave an estimate (a span entry:
    every member did). A chosen label without an estimate is still the headline
    (the report then says "not estimable" and why); ``auto`` with nothing usable
    gives a headline without a result, and the reason says what was missing.
    When the rule's first choice was a span that could not be formed, the
    reason of the headline taken instead says which member was missing.
    """
    from .results import combine

    if headline != AUTO:
        labels = members(headline)
        for label in labels:
            if label not in results:
                raise KeyError(
                    f"headline {label!r} is not a configured method (configured: {sorted(results)})"
                )
        if len(labels) > 1:
            parts = {label: results[label] for label in labels}
            result = combine.span(parts)
            name = span_label(labels)
            reason = (
                f"{name} is the headline because the configuration chooses it (headline: {headline}): "
                f"its interval runs from the lowest to the highest end of the intervals of {', '.join(labels)}."
            )
            if not result.estimable:
                reason += " It gave no estimate for this table."
            return Headline(name, result, reason, parts)
        result = results[headline]
        reason = f"{headline} is the headline because the configuration chooses it (headline: {headline})."
        if not result.estimable:
            reason += " It gave no estimate for this table."
        return Headline(headline, result, reason)
    order = preferred(n_lists, rule)
    by_estimator: dict[str, list[str]] = {}
    for label, result in results.items():
        by_estimator.setdefault(result.method, []).append(label)

    def usable(estimator: str) -> str | None:
        return next((lb for lb in by_estimator.get(estimator, ()) if results[lb].estimable), None)

    passed: list[str] = []
    for entry in order:
        wanted = members(entry)
        found = [usable(estimator) for estimator in wanted]
        if len(wanted) > 1:
            if all(found):
                picked = [str(lb) for lb in found]
                parts = {lb: results[lb] for lb in picked}
                why = REASONS.get(entry, "it comes first in the automatic rule")
                name = span_label(picked)
                return Headline(
                    name,
                    combine.span(parts),
                    f"The headline is the span of the intervals of {', '.join(picked)} because, with "
                    f"{n_lists} lists, {why} (the automatic rule, headline: {AUTO}). Its point is "
                    f"{picked[0]}'s estimate.",
                    parts,
                )
            lacking = [
                e + (" (gave no estimate)" if e in by_estimator else " (not configured)")
                for e, lb in zip(wanted, found, strict=True)
                if lb is None
            ]
            passed.append(
                f"The rule prefers the span of {', '.join(wanted)} with {n_lists} lists, which could not "
                f"be formed: {', '.join(lacking)}; the estimate taken instead covered the true total less "
                "often than the span in the simulated designs (docs/calibration.md)."
            )
            continue
        pick = found[0]
        if pick is not None:
            why = REASONS.get(entry, "it comes first in the automatic rule")
            return Headline(
                pick,
                results[pick],
                " ".join(
                    [
                        f"{pick} is the headline because, with {n_lists} lists, {why} "
                        f"(the automatic rule, headline: {AUTO}).",
                        *passed,
                    ]
                ),
            )
    if n_lists < 2:
        return Headline(
            None,
            None,
            f"No headline: with {n_lists} list{'s' if n_lists != 1 else ''}, no capture-recapture "
            "estimate is possible (it needs at least two lists).",
        )
    tried = ", ".join(order) if order else "none for this number of lists"
    return Headline(
        None,
        None,
        f"No headline: none of the estimators the automatic rule prefers with {n_lists} lists "
        f"({tried}) gave an estimate; choose one in the configuration (headline: <label>).",
    )


@dataclass(frozen=True)
class Envelope:
    """The span of the method families' intervals.

    ``families`` maps each family to ``(low, high, labels)``: the span of its
    members' intervals. ``low``/``high`` span every family (NaN without any
    estimate); ``overlap`` is True when one point lies in every family's span;
    ``warning`` says so plainly when they do not.
    """

    low: float
    high: float
    families: Mapping[str, tuple[float, float, tuple[str, ...]]] = field(default_factory=dict)
    overlap: bool = True
    warning: str | None = None


def envelope(results: Mapping[str, EstimateResult]) -> Envelope:
    """The span of the intervals of every family of estimable ``results`` (label -> result)."""
    spans: dict[str, list] = {}
    for label, result in sorted(results.items()):
        if not result.estimable:
            continue
        fam = family(result.method)
        low, high = result.ci_low, result.ci_high
        if fam in spans:
            spans[fam][0] = min(spans[fam][0], low)
            spans[fam][1] = max(spans[fam][1], high)
            spans[fam][2].append(label)
        else:
            spans[fam] = [low, high, [label]]
    if not spans:
        return Envelope(math.nan, math.nan)
    families = {f: (lo, hi, tuple(labels)) for f, (lo, hi, labels) in sorted(spans.items())}
    low = min(lo for lo, _, _ in families.values())
    high = max(hi for _, hi, _ in families.values())
    overlap = max(lo for lo, _, _ in families.values()) <= min(hi for _, hi, _ in families.values())
    warning = None
    if not overlap:
        parts = "; ".join(f"{f}: {_count(lo)} to {_count(hi)}" for f, (lo, hi, _) in families.items())
        warning = (
            f"The families of methods disagree: their intervals do not overlap ({parts}). "
            "At least one family's assumptions are wrong for these lists, and no single interval "
            "shows the uncertainty; report the whole span, not one number."
        )
    return Envelope(low, high, families, overlap, warning)


@dataclass(frozen=True)
class Undocumented:
    """The estimated number of people on no list: total minus documented, with its interval.

    ``source`` says where the interval comes from: ``"draws"`` (quantiles of
    each draw of N minus the documented count) or ``"interval"`` (the total's
    interval minus the documented count). ``note`` is set when the lower end
    was cut at zero.
    """

    point: float
    low: float
    high: float
    source: str
    note: str | None = None


def undocumented(result: EstimateResult, documented: int) -> Undocumented:
    """Total minus ``documented`` (the people on any list of the table), with its interval.

    Posterior draws give the interval from the draws themselves (equal-tailed
    quantiles of N - documented at the result's level); otherwise (bootstrap
    intervals, which are not plain quantiles, and analytic intervals) it is the
    total's interval minus the documented count. Nobody can be undocumented a
    negative number of times: ends below zero are cut at zero, and ``note``
    says so.
    """
    if not result.estimable:
        return Undocumented(math.nan, math.nan, math.nan, "none")
    point = result.n_hat - documented
    draws = result.draws
    if draws is not None and draws.kind == "posterior" and draws.finite.size:
        tails = [(1.0 - result.ci_level) / 2.0, (1.0 + result.ci_level) / 2.0]
        low, high = (float(x) for x in np.quantile(draws.finite - documented, tails))
        source = "draws"
    else:
        low, high = result.ci_low - documented, result.ci_high - documented
        source = "interval"
    note = None
    if low < 0 or point < 0:
        note = (
            "the total's interval reaches below the number documented; the number undocumented "
            "cannot be negative, so its lower end is shown as 0"
        )
        low, point = max(low, 0.0), max(point, 0.0)
        high = max(high, 0.0)
    return Undocumented(point, low, high, source, note)


def _count(value: float) -> str:
    if math.isinf(value):
        return "unbounded"
    return f"{value:,.0f}"
