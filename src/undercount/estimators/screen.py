"""What every estimator is told about a table before it runs, and checked on after.

Some tables leave no honest number to any method: everyone on every list (the
data cannot tell how many were missed), a list that documents no one, two
lists that share no one. Others leave numbers that need a warning: a list
that shares no one with the other lists. :func:`screen` says which, once for
every method, in the same words; :func:`check_result` adds what a result
alone cannot know (an estimate below the table's documented count, an upper
end that is uninformative).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from ..histories import CaptureTable
from ..results.result import UNINFORMATIVE_UPPER, EstimateResult

EVERYONE_ON_EVERY_LIST = (
    "every person is on every list: the data cannot bound the number missed (nothing in the table "
    "shows how the lists miss people, so no model can say how many all of them missed)"
)


@dataclass(frozen=True)
class Screening:
    """What :func:`screen` found: a reason to refuse (or None) and warnings for the estimate."""

    refusal: str | None
    warnings: tuple[str, ...] = ()


def empty_lists(table: CaptureTable) -> list[str]:
    """Lists that document no one."""
    return [name for name, size in table.list_sizes().items() if size == 0]


def isolated_lists(table: CaptureTable) -> list[str]:
    """Lists (documenting someone) whose people are on no other list."""
    out = []
    patterns = table.patterns.astype(bool)
    counts = table.counts
    for j, name in enumerate(table.lists):
        on = patterns[:, j] & (counts > 0)
        if not on.any():
            continue
        shared = patterns[on].sum(axis=1) > 1
        if not shared.any():
            out.append(name)
    return out


def screen(table: CaptureTable) -> Screening:
    """Refuse tables that leave no honest number; warn about those that leave a doubtful one."""
    if table.n_observed == 0:
        return Screening("no one is documented on any list")
    empty = empty_lists(table)
    if empty:
        names = ", ".join(empty)
        return Screening(
            f"a list documents no one ({names}): it carries no information on who was missed and "
            "breaks every model that includes it; leave it out of the table"
        )
    k = table.k
    if len(table.counts) == 1 and int(table.patterns[0].sum()) == k:
        return Screening(EVERYONE_ON_EVERY_LIST)
    isolated = isolated_lists(table)
    if k == 2 and isolated:
        return Screening(
            f"the two lists ({table.lists[0]}, {table.lists[1]}) share no one: two lists that share no "
            "one do not bound the total (any number of people could be missed by both), so no "
            "estimate is given"
        )
    warnings = []
    for name in isolated:
        size = table.list_sizes()[name]
        warnings.append(
            f"a list shares no one with the other lists: the {size:,} {'person' if size == 1 else 'people'} "
            f"on {name} {'is' if size == 1 else 'are'} on no other "
            "list, so the data cannot tell how it overlaps them (a different population, or lists "
            "that avoid each other); every model reads it as a separate, barely sampled group and "
            "the estimate is not credible"
        )
    return Screening(None, tuple(warnings))


def check_result(result: EstimateResult, table: CaptureTable) -> EstimateResult:
    """Warnings a result cannot give itself: below the table's documented count, an uninformative upper end."""
    if not result.estimable:
        return result
    added: list[str] = []
    documented = table.n_observed
    if result.n_hat < documented * (1 - 1e-9):
        used = ", ".join(result.lists)
        added.append(
            f"the estimate {result.n_hat:,.1f} is below the {documented:,} people documented on the "
            f"table's {table.k} lists (it uses only {used}, which document {result.n_observed:,}): the "
            f"total is at least {documented:,}, and an estimate from all the lists is needed"
        )
    elif math.isfinite(result.ci_low) and result.ci_low < documented * (1 - 1e-9):
        added.append(
            f"the interval's lower end {result.ci_low:,.1f} is below the {documented:,} people "
            f"documented on the table's {table.k} lists: the total is at least {documented:,}"
        )
    uninformative = bool(
        math.isnan(result.ci_high) is False
        and (math.isinf(result.ci_high) or result.ci_high > UNINFORMATIVE_UPPER * result.n_hat)
    )
    if uninformative and not math.isinf(result.ci_high):
        added.append(
            f"the upper end of the interval ({result.ci_high:,.0f}) is more than "
            f"{UNINFORMATIVE_UPPER:g} times the estimate: it says only that the total could be much "
            "larger, not how much, and is drawn as open-ended"
        )
    if not added and uninformative == result.upper_uninformative:
        return result
    return replace(
        result,
        warnings=tuple(result.warnings) + tuple(added),
        upper_uninformative=uninformative or result.upper_uninformative,
    )
