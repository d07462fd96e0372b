"""Chapman's two-list estimator (bias-corrected Lincoln-Petersen)."""

from __future__ import annotations

import math

from ..errors import MethodError
from ..histories import CaptureTable
from .base import Details, EstimateResult, Method, Setting, not_estimable
from .screen import screen

#: What holds for every two-list estimate, whatever the data: a standing caveat, not a warning.
TWO_LIST_CAVEAT = (
    "two lists cannot reveal dependence between them: if being on one list makes being "
    "on the other more likely (common in casualty documentation), the true total is higher"
)

#: Chapman's estimator is nearly unbiased once the overlap reaches this size
#: (Robson and Regier 1964, via Seber 1982, section 3.1.1).
MIN_RELIABLE_OVERLAP = 7


def choose_pair(table: CaptureTable, pair: str | None) -> tuple[tuple[str, str], list[str]]:
    """The two lists to use, and a note when the choice was made for the user."""
    notes: list[str] = []
    if pair is None:
        if table.k != 2:
            raise MethodError(
                f"chapman uses two lists and this table has {table.k} "
                f"({', '.join(table.lists)}): pass --set pair=A,B or pair=largest"
            )
        return (table.lists[0], table.lists[1]), notes
    if pair == "largest":
        sizes = table.list_sizes()
        ranked = sorted(table.lists, key=lambda name: (-sizes[name], table.lists.index(name)))
        chosen = (ranked[0], ranked[1])
        if table.k > 2:
            notes.append(_ignored_note(table, chosen, "the two largest lists "))
        return chosen, notes
    names = tuple(part.strip() for part in pair.split(","))
    if len(names) != 2 or names[0] == names[1]:
        raise MethodError(f"pair must name two different lists as A,B (or be 'largest'), got {pair!r}")
    for name in names:
        if name not in table.lists:
            raise MethodError(f"pair names {name!r}, which is not a list of this table: {list(table.lists)}")
    if table.k > 2:
        notes.append(_ignored_note(table, (names[0], names[1]), ""))
    return (names[0], names[1]), notes


def _ignored_note(table: CaptureTable, pair: tuple[str, str], which: str) -> str:
    """The caveat of a two-list estimate from a table of more lists: what the others offer."""
    others = [name for name in table.lists if name not in pair]
    return (
        f"two-list estimate from {which}({pair[0]}, {pair[1]}); {len(others)} other list(s) ignored "
        f"({', '.join(others)}). The multi-list methods (mt, loglinear-bic, dga, lcmcr) use all "
        f"{table.k} lists: they can see, and model, dependence between lists that two lists cannot, "
        "and their estimates and goodness-of-fit tests on all the lists are the ones to compare with"
    )


def chapman(table: CaptureTable, *, level: float = 0.95, pair: str | None = None) -> EstimateResult:
    """Chapman's estimator ``(n1+1)(n2+1)/(m+1) - 1`` for two lists.

    Assumes the two lists are independent and everyone is equally likely to
    be on each; with m the overlap and n1, n2 the list sizes. The interval is
    Chao's (1987) log-normal interval on the undocumented number
    ``f0 = N - n``: ``n + f0/C`` to ``n + f0*C`` with
    ``C = exp(z sqrt(log(1 + var/f0^2)))`` and Seber's variance
    ``(n1+1)(n2+1)(n1-m)(n2-m) / ((m+1)^2 (m+2))``; it never falls below the
    number observed.

    References
    ----------
    Chapman, D. G. (1951). Some properties of the hypergeometric distribution
    with applications to zoological sample censuses. UC Publ. Stat. 1, 131-160.
    Seber, G. A. F. (1982). The Estimation of Animal Abundance, 2nd ed.
    Chao, A. (1987). Estimating the population size for capture-recapture data
    with unequal catchability. Biometrics 43, 783-791.
    """
    (a, b), notes = choose_pair(table, pair)
    sub = table.select([a, b])
    sizes = sub.list_sizes()
    n1, n2 = sizes[a], sizes[b]
    n = sub.n_observed
    m = n1 + n2 - n
    details = {
        "n1": n1,
        "n2": n2,
        "overlap": m,
        "interval": "log-normal on the undocumented number (Chao 1987)",
    }
    warnings: list[str] = []
    caveats = tuple(notes) + (TWO_LIST_CAVEAT,)
    screening = screen(sub)
    if screening.refusal is not None:
        return not_estimable(
            "chapman", (a, b), n, screening.refusal, level=level, details=details, caveats=caveats
        )
    n_hat = (n1 + 1) * (n2 + 1) / (m + 1) - 1
    var = (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))
    details["variance"] = var
    if m < MIN_RELIABLE_OVERLAP:
        warnings.append(
            f"overlap of only {m} people: Chapman's estimator is reliable from about "
            f"{MIN_RELIABLE_OVERLAP} (Robson and Regier 1964); the interval is rough"
        )
    f0 = n_hat - n
    if f0 <= 0 or var <= 0:
        # n_hat - n = (n1 - m)(n2 - m) / (m + 1) >= 0: zero when one list holds the other
        low = high = max(n_hat, float(n))
        inner, outer = (a, b) if n1 == m else (b, a)
        warnings.append(
            f"everyone on {inner} is also on {outer}: under independence {outer} then missed no one, "
            "so the estimate is the number documented and the interval has no width; the data "
            "cannot bound the number missed by both lists"
        )
    else:
        z = _normal_quantile(0.5 + level / 2)
        c = math.exp(z * math.sqrt(math.log(1 + var / f0**2)))
        low, high = n + f0 / c, n + f0 * c
    return EstimateResult(
        method="chapman",
        lists=(a, b),
        n_observed=n,
        n_hat=float(n_hat),
        ci_low=float(low),
        ci_high=float(high),
        ci_level=level,
        model="independence of two lists",
        warnings=tuple(warnings),
        caveats=caveats,
        details=Details(extra=details),
    )


def _normal_quantile(p: float) -> float:
    # the library's one normal quantile (results.intervals recomputes intervals with it too)
    from ._scalar import normal_quantile

    return normal_quantile(p)


METHODS = (
    Method(
        name="chapman",
        function=chapman,
        summary="two-list bias-corrected Lincoln-Petersen estimate, log-normal interval",
        reference="Chapman (1951); Seber (1982); Chao (1987)",
        screens_own_lists=True,
        settings=(
            Setting(
                "pair",
                str,
                None,
                "two lists as A,B, or 'largest' for the two largest lists (needed when the table has more than two)",
            ),
        ),
    ),
)
