"""Coverage study of every registered method: do 95% intervals contain the true N?

Each design below is a population of N people with documented capture
probabilities. A replicate draws one capture-history table from it; every
selected method estimates N from that table, and the study records whether
the interval contains N, how far the point estimate is from N, how wide the
interval is and which warnings came with it.

Designs
-------
People fall into latent classes (``shares``); a person in class c is on list
j with probability ``capture[c][j]``, independently of the other lists,
except in the dependence designs, where list B's probability is raised to
``p_dependent`` for people who are on list A (positive dependence: being on
one list makes the other more likely). The lists are called L1, L2, ...

==================  =====  ======  =========================================================
design              lists  N       capture probabilities
==================  =====  ======  =========================================================
independent-3       3      2,000   one class: 0.30, 0.25, 0.20
independent-4       4      2,000   one class: 0.30, 0.25, 0.20, 0.15
independent-5       5      2,000   one class: 0.30, 0.25, 0.20, 0.15, 0.10
heterogeneity-4     4      2,000   30% visible: 0.45, 0.35, 0.50, 0.30;
                                   70% hard to reach: 0.12, 0.15, 0.10, 0.18
heterogeneity-5     5      2,000   30% visible: 0.45, 0.35, 0.50, 0.30, 0.40;
                                   70% hard to reach: 0.08, 0.12, 0.05, 0.10, 0.06
dependence-3        3      2,000   one class: 0.30, 0.15, 0.25; L2 is 0.60 for people on L1
dependence-5        5      2,000   one class: 0.30, 0.15, 0.25, 0.20, 0.15; L2 is 0.60 for
                                   people on L1
sparse-4            4      300     one class: 0.25, 0.20, 0.12, 0.10
sparse-5            5      300     40% visible: 0.35, 0.30, 0.25, 0.30, 0.20;
                                   60% hard to reach: 0.10, 0.08, 0.06, 0.08, 0.05
large-4             4      10,000  as heterogeneity-4
large-5             5      10,000  as heterogeneity-5
==================  =====  ======  =========================================================

The independent designs meet the assumptions of every method. In the
heterogeneity designs the classes make the lists dependent overall although
they are independent within a class (the model of ``lcmcr``): 55%
(heterogeneity-4) and 65% (heterogeneity-5) of the hard-to-reach class are
on no list, against 13% and 8% of the visible class, so the lists see the
hard-to-reach people mostly through the few they do catch.
heterogeneity-5 is the former ``calibrate_lcmcr.py --design hard``. In the
dependence designs the odds ratio between L1 and L2 is 8.5 (0.60 / 0.40
against 0.15 / 0.85). In the sparse designs half or more of the people are on no
list and several overlaps hold a handful of people or none. The large designs
are the heterogeneity designs at N = 10,000, where intervals are narrow and
any bias shows.

Reproducibility
---------------
Replicate r of design d (d its position in the table above) simulates from
``SeedSequence(seed, spawn_key=(d, r, 0))`` and runs a Monte Carlo method m
with the seed drawn from ``SeedSequence(seed, spawn_key=(d, r, 1, crc32(m)))``
(spawn keys are what ``SeedSequence.spawn`` gives its children). So a row
depends on the master seed, its design, replicate and method only: not on
``--reps``, ``--workers``, nor which other designs or methods run, and
``--replicate r`` reruns any one row; ``--first r --reps n`` runs replicates r to
r + n - 1, a chunk that ``--from-csv a.csv,b.csv`` merges with the others. Numba threads are set to one per
process; the study parallelises over replicates (``--workers``).

What is printed
---------------
Per design and method: fits run; failure rate (no number or no interval, or
a crash); coverage of the nominal 95% interval among fits with an interval,
with its Monte Carlo standard error ``sqrt(c (1 - c) / R)``; how many
intervals miss low (N above the interval) and high; the median relative error
``(N_hat - N) / N``; the median interval width over N; and the share of
missing and of covering intervals that carry any warning. Per method, pooled
over designs: for every kind of warning (texts with their numbers and list
names masked, cut at the first colon or semicolon), the share of missing and
of covering intervals it flags. Methods that cannot take a design's number
of lists (``get_method(name).min_lists``/``max_lists``) are listed as not run,
with the reason. ``chapman`` uses its two largest lists (``pair=largest``,
as in the demo config); ``loglinear`` and ``loglinear-bca`` fit every
two-list interaction, ``(.)^2``.

``--fast`` is the profile of the documented study (``FAST``): the two model
searches that repeat themselves in every bootstrap replicate
(``loglinear-aic-bca``, ``loglinear-bic-bca``) take 200 replicates instead of
1,000 and, on five lists, where one fit still costs about a minute, run on
the first 10 replicates of a design only. Every other method keeps its
defaults. ``--set METHOD:NAME=VALUE`` changes any setting of any method; the
settings used are printed above the tables. ``--out`` also writes a tidy CSV
of every fit (its rows do not depend on ``--workers``), ``--timings`` the CPU
seconds of every fit (its cost on one core, whatever else the machine runs),
and ``--from-csv`` renders the tables again from them. ``--compare LABEL=fits.csv``,
repeated, scores runs of the same methods under different settings side by side on the
replicates they share, and pairs each with the first table by table
(``LABEL=a.csv,b.csv:a-seconds.csv,b-seconds.csv`` merges chunks and adds their CPU
seconds; docs/calibration.md's lcmcr experiments).

    python benchmarks/calibrate.py [--reps 120] [--designs a,b] [--methods m,n] [--seed 2016]
        [--workers 2] [--fast] [--set METHOD:NAME=VALUE] [--replicate R] [--first R]
        [--out fits.csv] [--timings seconds.csv] [--from-csv fits.csv]
        [--compare LABEL=fits.csv[,more.csv][:seconds.csv[,more.csv]] --compare ...]
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import platform
import re
import sys
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from undercount.headline import AUTO_RULE as HEADLINE_RULE
from undercount.headline import members as rule_members
from undercount.headline import span_label

LEVEL = 0.95
DEFAULT_SEED = 2016
#: ``loglinear`` and ``loglinear-bca`` need a model: every two-list interaction.
FIXED_MODEL = "(.)^2"
#: Settings that every run gets where the method has them: no progress bars,
#: no process pool inside a fit (the study parallelises over replicates).
QUIET = {"progress": False, "workers": 1}
#: Settings beyond the defaults, per method.
BASE_SETTINGS: dict[str, dict[str, Any]] = {"chapman": {"pair": "largest"}}


@dataclass(frozen=True)
class Budget:
    """What ``--fast`` changes for one method: its settings, and on which replicates it runs.

    With ``replicates`` set, the method runs only on replicates ``0 .. replicates - 1``
    of designs with at least ``from_lists`` lists (every design when 0).
    """

    settings: Mapping[str, Any]
    replicates: int | None = None
    from_lists: int = 0

    def runs(self, replicate: int, k: int) -> bool:
        return self.replicates is None or k < self.from_lists or replicate < self.replicates


#: ``--fast``: what the study changes to fit in a few hours on 2 cores (measured costs per fit
#: in docs/calibration.md). The model searches repeated in every bootstrap replicate cost about
#: 0.25 s per replicate on five lists (the exhaustive search), so about 250 s per fit with
#: the default 1,000 replicates: fewer replicates, and fewer simulated tables on five lists.
#: Every other method, lcmcr included (2-6 s per fit), keeps its defaults.
FAST: dict[str, Budget] = {
    "loglinear-aic-bca": Budget({"nboot": 200}, replicates=10, from_lists=5),
    "loglinear-bic-bca": Budget({"nboot": 200}, replicates=10, from_lists=5),
}
CSV_COLUMNS = (
    "design",
    "replicate",
    "method",
    "N",
    "n_observed",
    "status",
    "n_hat",
    "ci_low",
    "ci_high",
    "covered",
    "warnings",
)
WARNING_SEPARATOR = " | "


# ------------------------------------------------------------------ designs
@dataclass(frozen=True)
class Design:
    """A simulated population: class shares, capture probabilities, optional dependence.

    ``capture[c][j]`` is the probability that a person of class ``c`` is on
    list ``j``. With ``dependent = (a, b, p)``, list ``b`` has probability
    ``p`` instead for people on list ``a`` (lists numbered from 0).
    """

    name: str
    N: int
    shares: tuple[float, ...]
    capture: tuple[tuple[float, ...], ...]
    dependent: tuple[int, int, float] | None = None

    def __post_init__(self) -> None:
        if not math.isclose(sum(self.shares), 1.0) or len(self.shares) != len(self.capture):
            raise ValueError(f"design {self.name}: class shares must sum to 1, one per class")
        if len({len(row) for row in self.capture}) != 1:
            raise ValueError(f"design {self.name}: every class needs a probability for every list")

    @property
    def k(self) -> int:
        return len(self.capture[0])

    @property
    def lists(self) -> tuple[str, ...]:
        return tuple(f"L{j + 1}" for j in range(self.k))

    def describe(self) -> str:
        """The capture probabilities in words, as in the module docstring."""

        def probs(row: Sequence[float]) -> str:
            return ", ".join(f"{p:.2f}" for p in row)

        if len(self.shares) == 1:
            text = f"one class: {probs(self.capture[0])}"
        else:
            names = (
                ["visible", "hard to reach"]
                if len(self.shares) == 2
                else [f"class {c + 1}" for c in range(9)]
            )
            text = "; ".join(
                f"{share:.0%} {names[c]}: {probs(self.capture[c])}" for c, share in enumerate(self.shares)
            )
        if self.dependent is not None:
            a, b, p = self.dependent
            text += f"; L{b + 1} is {p:.2f} for people on L{a + 1}"
        return text

    def simulate(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """One table as (observed patterns, counts): who of the N people is on which list."""
        classes = rng.choice(len(self.shares), size=self.N, p=np.asarray(self.shares))
        prob = np.asarray(self.capture)[classes]
        if self.dependent is not None:
            a, b, p = self.dependent
            first = rng.random(self.N) < prob[:, a]
            prob[first, b] = p
            on = rng.random((self.N, self.k)) < prob
            on[:, a] = first
        else:
            on = rng.random((self.N, self.k)) < prob
        seen = on[on.any(axis=1)].astype(np.int8)
        patterns, counts = np.unique(seen, axis=0, return_counts=True)
        return patterns, counts


_VISIBLE_4 = (0.45, 0.35, 0.50, 0.30)
_HARD_4 = (0.12, 0.15, 0.10, 0.18)
_VISIBLE_5 = (0.45, 0.35, 0.50, 0.30, 0.40)
_HARD_5 = (0.08, 0.12, 0.05, 0.10, 0.06)
#: Append new designs at the end: a design's position is part of its seeds.
DESIGNS: tuple[Design, ...] = (
    Design("independent-3", 2000, (1.0,), ((0.30, 0.25, 0.20),)),
    Design("independent-4", 2000, (1.0,), ((0.30, 0.25, 0.20, 0.15),)),
    Design("independent-5", 2000, (1.0,), ((0.30, 0.25, 0.20, 0.15, 0.10),)),
    Design("heterogeneity-4", 2000, (0.3, 0.7), (_VISIBLE_4, _HARD_4)),
    Design("heterogeneity-5", 2000, (0.3, 0.7), (_VISIBLE_5, _HARD_5)),
    Design("dependence-3", 2000, (1.0,), ((0.30, 0.15, 0.25),), dependent=(0, 1, 0.60)),
    Design("dependence-5", 2000, (1.0,), ((0.30, 0.15, 0.25, 0.20, 0.15),), dependent=(0, 1, 0.60)),
    Design("sparse-4", 300, (1.0,), ((0.25, 0.20, 0.12, 0.10),)),
    Design(
        "sparse-5",
        300,
        (0.4, 0.6),
        ((0.35, 0.30, 0.25, 0.30, 0.20), (0.10, 0.08, 0.06, 0.08, 0.05)),
    ),
    Design("large-4", 10000, (0.3, 0.7), (_VISIBLE_4, _HARD_4)),
    Design("large-5", 10000, (0.3, 0.7), (_VISIBLE_5, _HARD_5)),
)
DESIGN_INDEX = {d.name: i for i, d in enumerate(DESIGNS)}


def design_seed(seed: int, design: str, replicate: int) -> np.random.SeedSequence:
    """The seed sequence of one replicate's data (``SeedSequence(seed).spawn`` children)."""
    return np.random.SeedSequence(seed, spawn_key=(DESIGN_INDEX[design], replicate, 0))


def method_seed(seed: int, design: str, replicate: int, method: str) -> int:
    """The seed one Monte Carlo method gets on one replicate; stable whatever else runs."""
    key = (DESIGN_INDEX[design], replicate, 1, zlib.crc32(method.encode()))
    return int(np.random.SeedSequence(seed, spawn_key=key).generate_state(1)[0])


# ------------------------------------------------------------------ one fit
@dataclass(frozen=True)
class Fit:
    """What the study keeps of one estimate."""

    design: str
    replicate: int
    method: str
    N: int
    n_observed: int  # people on at least one list of the simulated table
    status: str  # ok | not estimable | no interval | crashed
    n_hat: float
    ci_low: float
    ci_high: float
    warnings: tuple[str, ...]
    seconds: float = field(default=0.0, compare=False)  # CPU seconds of the fit

    @property
    def has_interval(self) -> bool:
        return self.status == "ok"

    @property
    def covered(self) -> bool | None:
        """True or False for a fit with an interval, None otherwise."""
        if not self.has_interval:
            return None
        return bool(self.ci_low <= self.N <= self.ci_high)

    def row(self) -> dict[str, str]:
        """The CSV row: full-precision numbers, so that a rerun can be compared exactly."""
        covered = self.covered
        return {
            "design": self.design,
            "replicate": str(self.replicate),
            "method": self.method,
            "N": str(self.N),
            "n_observed": str(self.n_observed),
            "status": self.status,
            "n_hat": repr(float(self.n_hat)),
            "ci_low": repr(float(self.ci_low)),
            "ci_high": repr(float(self.ci_high)),
            "covered": "" if covered is None else str(int(covered)),
            "warnings": WARNING_SEPARATOR.join(self.warnings),
        }


def run_fit(
    patterns: np.ndarray,
    counts: np.ndarray,
    lists: Sequence[str],
    method: str,
    settings: Mapping[str, Any],
    seed: int,
) -> tuple[str, float, float, float, tuple[str, ...]]:
    """The study's only contact with the estimator API: one estimate, reduced to what is scored.

    Returns ``(status, n_hat, ci_low, ci_high, warnings)``; status is ``ok``,
    ``not estimable`` (no number), ``no interval`` or ``crashed`` (the
    exception, caught, is then the one warning).
    """
    from undercount.estimators import estimate, get_method
    from undercount.histories import CaptureTable

    table = CaptureTable.from_arrays(list(lists), patterns, counts)
    spec = get_method(method)
    try:
        result = estimate(
            table,
            method,
            model=FIXED_MODEL if spec.accepts_model else None,
            settings=settings,
            seed=seed if spec.stochastic else None,
            level=LEVEL,
        )
    except Exception as exc:  # a crash is a result of the study, not the end of it
        first_line = (str(exc).splitlines() or [""])[0]
        return "crashed", math.nan, math.nan, math.nan, (f"crashed: {type(exc).__name__}: {first_line}",)
    low, high = float(result.ci_low), float(result.ci_high)
    if not result.estimable:
        status = "not estimable"
    elif math.isnan(low) or math.isnan(high):
        status = "no interval"
    else:
        status = "ok"
    return status, float(result.n_hat), low, high, tuple(result.warnings)


def not_run_reason(method: str, k: int) -> str | None:
    """Why a method cannot take a table of ``k`` lists, or None."""
    from undercount.estimators import get_method

    if method in PSEUDO_METHODS:
        return "none of the estimators it draws on ran"

    spec = get_method(method)
    if k < spec.min_lists:
        return f"needs at least {spec.min_lists} lists"
    if spec.max_lists is not None and k > spec.max_lists:
        return f"takes at most {spec.max_lists} lists"
    return None


@dataclass(frozen=True)
class Plan:
    """How every fit of the study is run: master seed, profile and settings given on the command line."""

    seed: int = DEFAULT_SEED
    fast: bool = False
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def settings(self, method: str) -> dict[str, Any]:
        """Settings a method runs with (its defaults for everything not named here)."""
        from undercount.estimators import get_method

        known = {s.name for s in get_method(method).settings}
        out = {name: value for name, value in QUIET.items() if name in known}
        out.update(BASE_SETTINGS.get(method, {}))
        if self.fast and method in FAST:
            out.update(FAST[method].settings)
        out.update(self.overrides.get(method, {}))
        return out

    def runs(self, method: str, replicate: int, k: int) -> bool:
        """Whether the profile runs ``method`` on this replicate of a ``k``-list design."""
        return not (self.fast and method in FAST) or FAST[method].runs(replicate, k)


def run_replicate(design: str, replicate: int, methods: Sequence[str], plan: Plan) -> list[Fit]:
    """Simulate one table of ``design`` and fit every method that can take it."""
    spec = DESIGNS[DESIGN_INDEX[design]]
    patterns, counts = spec.simulate(np.random.default_rng(design_seed(plan.seed, design, replicate)))
    n_observed = int(counts.sum())
    fits = []
    for method in methods:
        if not_run_reason(method, spec.k) is not None or not plan.runs(method, replicate, spec.k):
            continue
        start = time.process_time()  # CPU time: a fit's cost on one core, however busy the machine
        status, n_hat, low, high, warnings = run_fit(
            patterns,
            counts,
            spec.lists,
            method,
            plan.settings(method),
            method_seed(plan.seed, design, replicate, method),
        )
        seconds = time.process_time() - start
        fits.append(
            Fit(design, replicate, method, spec.N, n_observed, status, n_hat, low, high, warnings, seconds)
        )
    return fits


def _single_thread() -> None:
    """One numba thread per process: the study's parallelism is over replicates."""
    import numba

    numba.set_num_threads(1)


def _pool_context():
    """Fork when no other thread runs (children inherit compiled code), else a fresh process."""
    import multiprocessing as mp
    import threading

    methods = mp.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return mp.get_context("fork")
    return mp.get_context("forkserver" if "forkserver" in methods else "spawn")


class _Progress:
    """Replicates done and time left on stderr: one updating line on a terminal, else a line a minute."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled = total, enabled
        self.start = self.last = time.perf_counter()
        self.tty = sys.stderr.isatty()

    def update(self, done: int, label: str) -> None:
        now = time.perf_counter()
        if not self.enabled or (not self.tty and now - self.last < 60 and done < self.total):
            return
        self.last = now
        elapsed = now - self.start
        left = elapsed / done * (self.total - done)
        text = f"{done}/{self.total} replicates ({label}), {elapsed / 60:.1f} min, about {left / 60:.1f} min left"
        if self.tty:
            print(f"\r{text}\x1b[K", end="\n" if done == self.total else "", file=sys.stderr, flush=True)
        else:
            print(text, file=sys.stderr, flush=True)


def run_study(
    designs: Sequence[str],
    replicates: Sequence[int],
    methods: Sequence[str],
    plan: Plan,
    workers: int,
    progress: bool = True,
) -> list[Fit]:
    """Every fit of the study, in design, replicate and method order (whatever ``workers``)."""
    tasks = [(d, r) for d in designs for r in replicates]
    done: dict[tuple[str, int], list[Fit]] = {}
    bar = _Progress(len(tasks), progress)
    if workers <= 1:
        _single_thread()
        for i, (d, r) in enumerate(tasks, 1):
            done[d, r] = run_replicate(d, r, methods, plan)
            bar.update(i, f"{d} {r}")
    else:
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=_pool_context(), initializer=_single_thread
        ) as pool:
            futures = {pool.submit(run_replicate, d, r, methods, plan): (d, r) for d, r in tasks}
            for i, future in enumerate(as_completed(futures), 1):
                d, r = futures[future]
                done[d, r] = future.result()
                bar.update(i, f"{d} {r}")
    order = {m: i for i, m in enumerate(methods)}
    return [fit for task in tasks for fit in sorted(done[task], key=lambda f: order[f.method])]


# ------------------------------------------------------------------ headline and envelope
#: The automatic headline rule the study scores: (fewest lists, entries in order of
#: preference), ``undercount.headline.AUTO_RULE``; the first entry of the first row that fits
#: the table's number of lists and gave an interval is the headline (an entry ``a|b``: the span
#: of a's and b's intervals, when both gave one). The rule and its reasons, from this study's
#: numbers: docs/calibration.md.
#: The families whose intervals the envelope spans: one estimator each (the report's families).
ENVELOPE_FAMILIES: dict[str, str] = {
    "loglinear-bic": "log-linear",
    "dga": "graph averaging",
    "lcmcr": "latent classes",
}
HEADLINE, ENVELOPE = "headline", "envelope"
#: The rule the printed tables used (``--rule`` replaces it).
RULE_IN_USE: tuple[tuple[int, tuple[str, ...]], ...] = tuple(HEADLINE_RULE)
PSEUDO_METHODS = (HEADLINE, ENVELOPE)


def parse_rule(text: str) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """``"4:lcmcr,dga;3:loglinear-bic"`` as rule rows, most lists first."""
    rows = []
    for part in text.split(";"):
        fewest, sep, names = part.partition(":")
        if not sep or not fewest.strip().isdigit():
            raise SystemExit(f"calibrate.py: --rule takes K:METHOD,METHOD;K:METHOD, got {text!r}")
        rows.append((int(fewest), tuple(n.strip() for n in names.split(",") if n.strip())))
    return tuple(sorted(rows, key=lambda r: -r[0]))


#: A rule entry ``"mth-gamma+fit"``: that estimator only when its goodness-of-fit test does not
#: reject its model (no "the model does not fit the table" warning).
FITS_SUFFIX = "+fit"
MISFIT = "the model does not fit the table"


def usable(table: Mapping[str, Fit], entry: str) -> bool:
    """Whether a rule entry can be the headline on this table: an interval (every member's, for a
    span), and a fit if asked."""
    for member in rule_members(entry):
        fit = table.get(member.removesuffix(FITS_SUFFIX))
        if fit is None or not fit.has_interval:
            return False
        if member.endswith(FITS_SUFFIX) and any(w.startswith(MISFIT) for w in fit.warnings):
            return False
    return True


def headline_fit(table: Mapping[str, Fit], entry: str) -> Fit:
    """The headline fit of a usable entry: the estimator's fit, or for a span ``a|b`` the span of
    their intervals with a's point and every member's warnings (as undercount.results.combine.span)."""
    fits = [table[m.removesuffix(FITS_SUFFIX)] for m in rule_members(entry)]
    first = fits[0]
    if len(fits) == 1:
        warnings = first.warnings
    else:
        warnings = tuple(f"model {f.method}: {w}" for f in fits for w in f.warnings)
    return Fit(
        first.design,
        first.replicate,
        HEADLINE,
        first.N,
        first.n_observed,
        "ok",
        first.n_hat,
        min(f.ci_low for f in fits),
        max(f.ci_high for f in fits),
        warnings,
    )


def preferred(k: int, rule: Sequence[tuple[int, Sequence[str]]]) -> tuple[str, ...]:
    for fewest, names in rule:
        if k >= fewest:
            return tuple(names)
    return ()


def derived_fits(fits: Sequence[Fit], rule: Sequence[tuple[int, Sequence[str]]] = HEADLINE_RULE) -> list[Fit]:
    """The headline (the rule applied to each table) and the envelope, as fits of two pseudo-methods.

    headline: the fit of the first estimator the rule prefers that gave an interval (with its
    warnings, and which estimator it was as the first); none ran or none gave an interval: a
    failure. envelope: from the lowest lower end to the highest upper end of the families'
    intervals (:data:`ENVELOPE_FAMILIES`, those that ran and gave one), with the warning
    "the families disagree" when the intervals share no point; no point estimate.
    """
    by_table: dict[tuple[str, int], dict[str, Fit]] = defaultdict(dict)
    for f in fits:
        by_table[f.design, f.replicate][f.method] = f
    out = []
    for (design, replicate), table in by_table.items():
        spec = DESIGNS[DESIGN_INDEX[design]]
        any_fit = next(iter(table.values()))
        order = [
            m
            for m in preferred(spec.k, rule)
            if all(p.removesuffix(FITS_SUFFIX) in table for p in rule_members(m))
        ]
        chosen = next((m for m in order if usable(table, m)), None)
        if chosen is not None:
            out.append(headline_fit(table, chosen))
        elif order:
            out.append(
                Fit(
                    design,
                    replicate,
                    HEADLINE,
                    any_fit.N,
                    any_fit.n_observed,
                    "not estimable",
                    math.nan,
                    math.nan,
                    math.nan,
                    ("none of the rule's estimators gave an interval",),
                )
            )
        spans = [table[m] for m in ENVELOPE_FAMILIES if m in table and table[m].has_interval]
        if len(spans) >= 2:
            low = min(f.ci_low for f in spans)
            high = max(f.ci_high for f in spans)
            overlap = max(f.ci_low for f in spans) <= min(f.ci_high for f in spans)
            warnings = () if overlap else ("the families disagree: their intervals do not overlap",)
            out.append(
                Fit(
                    design,
                    replicate,
                    ENVELOPE,
                    any_fit.N,
                    any_fit.n_observed,
                    "ok",
                    math.nan,
                    low,
                    high,
                    warnings,
                )
            )
    return out


def agreement(fits: Sequence[Fit], designs: Sequence[str]) -> dict[str, tuple[int, int, int]]:
    """Per design: (tables where the families' intervals overlap, of those how many have every
    family's interval missing N, tables with at least two families' intervals)."""
    by_table: dict[tuple[str, int], list[Fit]] = defaultdict(list)
    for f in fits:
        if f.method in ENVELOPE_FAMILIES and f.has_interval:
            by_table[f.design, f.replicate].append(f)
    out = {}
    for d in designs:
        tables = [v for (design, _), v in by_table.items() if design == d and len(v) >= 2]
        agree = [v for v in tables if max(f.ci_low for f in v) <= min(f.ci_high for f in v)]
        wrong = [v for v in agree if not any(f.covered for f in v)]
        out[d] = (len(agree), len(wrong), len(tables))
    return out


# ------------------------------------------------------------------ scoring
_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?(?:e[+-]?\d+)?")


_TERM = re.compile(r"L#(?::L#)+")  # an interaction of lists, L1:L2, once numbers are masked
_MODEL = re.compile(r"(?:L#|<term>)(?:\s*\+\s*(?:L#|<term>))+")
_TERMS = re.compile(r"<term>(?:, <term>)+")


def warning_kind(text: str) -> str:
    """A warning's template: numbers, list names and models masked, cut at the first colon or semicolon."""
    masked = _NUMBER.sub("#", text)
    masked = _MODEL.sub("<model>", _TERM.sub("<term>", masked))
    masked = _TERMS.sub("<terms>", masked)
    head = re.split(r"[:;]", masked, maxsplit=1)[0]
    return re.sub(r"\s+", " ", head).strip()


@dataclass
class Tally:
    """Scores of one method on a set of fits."""

    fits: int = 0
    failures: int = 0
    with_interval: int = 0
    covered: int = 0
    miss_low: int = 0  # N above the interval: the estimate is too low
    miss_high: int = 0
    rel_errors: list[float] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)
    flagged_missing: int = 0
    flagged_covering: int = 0
    kinds_missing: Counter = field(default_factory=Counter)
    kinds_covering: Counter = field(default_factory=Counter)
    seconds: list[float] = field(default_factory=list)

    def add(self, fit: Fit) -> None:
        self.fits += 1
        self.seconds.append(fit.seconds)
        if math.isfinite(fit.n_hat):
            self.rel_errors.append((fit.n_hat - fit.N) / fit.N)
        if not fit.has_interval:
            self.failures += 1
            return
        self.with_interval += 1
        self.widths.append((fit.ci_high - fit.ci_low) / fit.N)
        kinds = {warning_kind(w) for w in fit.warnings}
        if fit.covered:
            self.covered += 1
            self.flagged_covering += bool(kinds)
            self.kinds_covering.update(kinds)
        else:
            self.miss_low += fit.N > fit.ci_high
            self.miss_high += fit.N < fit.ci_low
            self.flagged_missing += bool(kinds)
            self.kinds_missing.update(kinds)

    @property
    def missing(self) -> int:
        return self.with_interval - self.covered

    @property
    def coverage(self) -> float:
        return self.covered / self.with_interval if self.with_interval else math.nan

    @property
    def coverage_se(self) -> float:
        c = self.coverage
        return math.sqrt(c * (1 - c) / self.with_interval) if self.with_interval else math.nan


def tally(fits: Iterable[Fit]) -> dict[tuple[str, str], Tally]:
    """Tallies keyed by (design, method), plus ("all", method) pooled over designs."""
    out: dict[tuple[str, str], Tally] = defaultdict(Tally)
    for fit in fits:
        out[fit.design, fit.method].add(fit)
        out["all", fit.method].add(fit)
    return dict(out)


# ------------------------------------------------------------------ printing
def _share(part: int, whole: int) -> str:
    return f"{part / whole:.0%} ({part}/{whole})" if whole else "–"


def _median(values: list[float], fmt: str) -> str:
    return format(float(np.median(values)), fmt) if values else "–"


def _settings_text(methods: Sequence[str], plan: Plan) -> list[str]:
    from undercount.estimators import get_method

    lines = []
    for m in methods:
        if m in PSEUDO_METHODS:
            continue
        spec = get_method(m)
        resolved = spec.resolve(plan.settings(m))
        shown = {k: v for k, v in resolved.items() if k not in QUIET}
        if spec.accepts_model:
            shown = {"model": FIXED_MODEL, **shown}
        text = ", ".join(f"{k}={v}" for k, v in shown.items()) or "no settings"
        changed = dict(BASE_SETTINGS.get(m, {}))
        if plan.fast and m in FAST:
            changed.update(FAST[m].settings)
        changed.update(plan.overrides.get(m, {}))
        note = ", ".join(f"{k}={v}" for k, v in changed.items()) or "defaults"
        if plan.fast and m in FAST and FAST[m].replicates is not None:
            b = FAST[m]
            note += f"; only replicates 0–{b.replicates - 1}" + (
                f" on designs of {b.from_lists}+ lists" if b.from_lists else ""
            )
        lines.append(f"| {m} | {note} | {text} |")
    return lines


@dataclass(frozen=True)
class Meta:
    """How the study was run, for the header of its tables."""

    command: str
    workers: int
    wall_seconds: float | None
    day: str = field(default_factory=lambda: date.today().isoformat())


def render(
    fits: Sequence[Fit], designs: Sequence[str], methods: Sequence[str], plan: Plan, meta: Meta
) -> str:
    """The study as markdown: set-up, summary matrices, per-design tables, warning hit rates."""
    from importlib.metadata import version

    scores = tally(fits)
    reps = sorted({f.replicate for f in fits})
    out: list[str] = []
    emit = out.append
    emit("# Coverage study of undercount's estimators\n")
    emit(f"- command: `{meta.command}`")
    wall = "" if meta.wall_seconds is None else f"; wall time {meta.wall_seconds / 60:.1f} min"
    emit(
        f"- {meta.day}; undercount {version('undercount')}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores; {meta.workers} worker "
        f"process(es){wall}"
    )
    span = f" ({reps[0]}–{reps[-1]})" if len(reps) > 1 else (f" (replicate {reps[0]})" if reps else "")
    emit(
        f"- master seed {plan.seed}; {len(reps)} replicate(s) per design{span}; nominal level {LEVEL:.0%}; "
        f"profile: {'fast' if plan.fast else 'defaults'}\n"
    )
    emit("## Designs\n")
    emit("| design | lists | N | capture probabilities | mean observed | share on no list |")
    emit("|---|---|---|---|---|---|")
    for d in designs:
        spec = DESIGNS[DESIGN_INDEX[d]]
        observed = {(f.replicate, f.n_observed) for f in fits if f.design == d}
        mean_obs = float(np.mean([n for _, n in observed])) if observed else math.nan
        emit(
            f"| {d} | {spec.k} | {spec.N:,} | {spec.describe()} | {mean_obs:,.0f} "
            f"| {1 - mean_obs / spec.N:.0%} |"
        )
    emit("\n## Settings\n")
    emit(
        "Changed from the method's defaults, then every setting it ran with; every fit also runs with "
        "`progress=False, workers=1` where the method has them.\n"
    )
    emit("| method | changed | settings |")
    emit("|---|---|---|")
    out.extend(_settings_text(methods, plan))
    emit("\n## Coverage of the 95% interval (± Monte Carlo s.e.)\n")
    emit(
        "Among fits that gave an interval; `n/a`: the method cannot take this number of lists; "
        "a failure rate follows in brackets when some fits gave no interval.\n"
    )
    emit("| method | " + " | ".join(designs) + " |")
    emit("|---|" + "---|" * len(designs))
    for m in methods:
        cells = []
        for d in designs:
            s = scores.get((d, m))
            if s is None:
                cells.append("n/a")
                continue
            text = f"{s.coverage:.2f} ± {s.coverage_se:.2f}" if s.with_interval else "–"
            if s.failures:
                text += f" [{s.failures / s.fits:.0%} fail]"
            cells.append(text)
        emit(f"| {m} | " + " | ".join(cells) + " |")

    families = list(dict.fromkeys(d.rsplit("-", 1)[0] for d in designs))
    if len(families) < len(designs):
        emit("\n## Coverage by kind of design (lowest–highest over its designs)\n")
        emit("| method | " + " | ".join(families) + " |")
        emit("|---|" + "---|" * len(families))
        for m in methods:
            cells = []
            for family in families:
                values = [
                    scores[d, m].coverage
                    for d in designs
                    if d.rsplit("-", 1)[0] == family and (d, m) in scores and scores[d, m].with_interval
                ]
                low, high = (min(values), max(values)) if values else (math.nan, math.nan)
                cells.append(
                    "n/a" if not values else f"{low:.0%}" if low == high else f"{low:.0%}–{high:.0%}"
                )
            emit(f"| {m} | " + " | ".join(cells) + " |")

    emit("\n## Median relative error of the point estimate, (N̂ − N) / N\n")
    emit("| method | " + " | ".join(designs) + " |")
    emit("|---|" + "---|" * len(designs))
    for m in methods:
        cells = []
        for d in designs:
            s = scores.get((d, m))
            cells.append("n/a" if s is None else _median(s.rel_errors, "+.1%"))
        emit(f"| {m} | " + " | ".join(cells) + " |")

    if any(f.method in PSEUDO_METHODS for f in fits):
        emit("\n## Headline and envelope\n")
        emit(
            "`headline`: on each simulated table, the first entry of the rule below (for the "
            "table's number of lists) that gave an interval, as the report's `headline: auto` chooses; "
            "an entry span(a, b) is the span of a's and b's intervals (lowest lower to highest upper "
            "end, a's point), when both gave one. "
            "`envelope`: from the lowest to the highest end of the intervals of "
            + ", ".join(f"{name} ({m})" for m, name in ENVELOPE_FAMILIES.items())
            + ". Agreement between families is not confirmation: the table below counts the tables "
            "where their intervals overlap and, of those, the ones where every family's interval misses N.\n"
        )
        emit("| fewest lists | estimators, in order of preference |")
        emit("|---|---|")
        for fewest, names in RULE_IN_USE:
            shown = [span_label(rule_members(n)) if len(rule_members(n)) > 1 else n for n in names]
            emit(f"| {fewest} | {', '.join(shown)} |")
        emit("")
        emit("| design | tables | families agree | agree and all miss N |")
        emit("|---|---|---|---|")
        for d, (agree, wrong, tables) in agreement(fits, designs).items():
            if tables:
                emit(f"| {d} | {tables} | {_share(agree, tables)} | {_share(wrong, agree)} |")

    emit("\n## Per design\n")
    emit(
        "fits: replicates the method ran on; fail: no number, no interval or a crash; cover: coverage "
        "± s.e.; low / high: intervals entirely below / above N; error: median (N̂ − N)/N; width: median "
        "interval width / N; warned | miss and warned | cover: share of missing and of covering intervals "
        "that carry at least one warning.\n"
    )
    for d in designs:
        spec = DESIGNS[DESIGN_INDEX[d]]
        emit(f"### {d} ({spec.k} lists, N = {spec.N:,})\n")
        emit(
            "| method | fits | fail | cover | low | high | error | width | warned \\| miss | warned \\| cover |"
        )
        emit("|---|---|---|---|---|---|---|---|---|---|")
        for m in methods:
            s = scores.get((d, m))
            if s is None:
                emit(f"| {m} | not run: {not_run_reason(m, spec.k)} | | | | | | | | |")
                continue
            cover = f"{s.coverage:.3f} ± {s.coverage_se:.3f}" if s.with_interval else "–"
            emit(
                f"| {m} | {s.fits} | {s.failures / s.fits:.0%} | {cover} | {s.miss_low} | {s.miss_high} "
                f"| {_median(s.rel_errors, '+.1%')} | {_median(s.widths, '.3g')} "
                f"| {_share(s.flagged_missing, s.missing)} | {_share(s.flagged_covering, s.covered)} |"
            )
        emit("")

    emit("## Warnings, per method (pooled over designs)\n")
    emit(
        "Does a warning single out the intervals that miss? Per method: the share of missing and of "
        "covering intervals flagged by any warning (the issue's target: at least 80% and at most 20%), "
        "then by each kind of warning (numbers masked as #, text cut at the first colon or semicolon).\n"
    )
    emit("| method | intervals | missing | any warning \\| miss | any warning \\| cover |")
    emit("|---|---|---|---|---|")
    for m in methods:
        s = scores.get(("all", m))
        if s is None:
            continue
        emit(
            f"| {m} | {s.with_interval} | {s.missing} | {_share(s.flagged_missing, s.missing)} "
            f"| {_share(s.flagged_covering, s.covered)} |"
        )
    emit("")
    emit("| method | warning | flags missing | flags covering |")
    emit("|---|---|---|---|")
    for m in methods:
        s = scores.get(("all", m))
        if s is None:
            continue
        kinds = sorted(set(s.kinds_missing) | set(s.kinds_covering))
        kinds.sort(key=lambda k: -(s.kinds_missing[k] + s.kinds_covering[k]))
        for kind in kinds:
            text = kind.replace("|", "\\|")
            emit(
                f"| {m} | {text} | {_share(s.kinds_missing[kind], s.missing)} "
                f"| {_share(s.kinds_covering[kind], s.covered)} |"
            )

    failures: dict[str, Counter] = defaultdict(Counter)
    for f in fits:
        if not f.has_interval:
            failures[f.method][f"{f.status}: {warning_kind(f.warnings[-1]) if f.warnings else ''}"] += 1
    if failures:
        emit("\n## Why fits failed\n")
        emit("| method | status: last warning | fits |")
        emit("|---|---|---|")
        for m in methods:
            for reason, n in failures.get(m, Counter()).most_common():
                emit(f"| {m} | {reason.replace('|', chr(92) + '|')} | {n} |")

    if any(math.isfinite(f.seconds) for f in fits):
        emit("\n## Cost per fit (median CPU seconds, one core)\n")
        emit("| method | " + " | ".join(designs) + " | all fits (CPU s) |")
        emit("|---|" + "---|" * (len(designs) + 1))
        for m in methods:
            cells = []
            for d in designs:
                s = scores.get((d, m))
                cells.append("n/a" if s is None else f"{np.median(s.seconds):.3g}")
            total = sum(f.seconds for f in fits if f.method == m)
            emit(f"| {m} | " + " | ".join(cells) + f" | {total:,.0f} |")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ variants of one method
#: lcmcr's R-hat warning ("the 4 chains disagree (R-hat ...)"), counted on its own by ``--compare``.
RHAT_WARNING = re.compile(r"chains disagree \(R-hat")


def compare(
    variants: Sequence[tuple[str, Sequence[Fit]]], designs: Sequence[str], methods: Sequence[str]
) -> str:
    """Several runs of the same methods with different settings, scored on the same tables.

    ``variants`` are (label, fits) pairs, the first being the reference. Per design and
    method, only the replicates that every variant ran enter (so every row is scored on the
    same simulated tables, with the same method seeds), and the last two columns pair each
    variant's fits with the reference's, table by table: how many intervals cover N here
    but not in the reference, and the reverse.
    """
    out: list[str] = []
    emit = out.append
    labels = [label for label, _ in variants]
    if len(set(labels)) != len(labels):
        raise SystemExit(f"calibrate.py: --compare labels must differ, got {', '.join(labels)}")
    keyed = [{(f.design, f.method, f.replicate): f for f in fits} for _, fits in variants]
    emit("# Variants of one method on the same simulated tables\n")
    emit(
        "fits: replicates every variant ran (the same tables and method seeds in every row); cover: "
        "coverage ± Monte Carlo s.e.; low / high: intervals entirely below / above N; error: median "
        "(N̂ − N)/N; width: median interval width / N; R-hat: share of fits with the R-hat warning; "
        "warned: share with any warning; CPU s: median CPU seconds per fit (one core); gained / lost: "
        f"tables whose interval covers N with this variant and not with `{labels[0]}`, and the reverse.\n"
    )
    for d in designs:
        for m in methods:
            common = set.intersection(
                *({r for (design, method, r) in k if design == d and method == m} for k in keyed)
            )
            if not common:
                continue
            reps = sorted(common)
            span = f"{reps[0]}–{reps[-1]}" if len(reps) == reps[-1] - reps[0] + 1 else "see the CSVs"
            emit(f"## {d}, {m}: {len(reps)} replicates ({span})\n")
            emit(
                "| variant | fits | fail | cover | low | high | error | width | R-hat | warned | CPU s | gained | lost |"
            )
            emit("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
            reference = [keyed[0][d, m, r] for r in reps]
            for (label, _), k in zip(variants, keyed, strict=True):
                fits = [k[d, m, r] for r in reps]
                s = Tally()
                for f in fits:
                    s.add(f)
                rhat = sum(any(RHAT_WARNING.search(w) for w in f.warnings) for f in fits)
                warned = sum(bool(f.warnings) for f in fits)
                gained = sum(
                    bool(f.covered) and not ref.covered for f, ref in zip(fits, reference, strict=True)
                )
                lost = sum(
                    bool(ref.covered) and not f.covered for f, ref in zip(fits, reference, strict=True)
                )
                cover = f"{s.coverage:.3f} ± {s.coverage_se:.3f}" if s.with_interval else "–"
                seconds = [f.seconds for f in fits if math.isfinite(f.seconds)]
                emit(
                    f"| {label} | {s.fits} | {s.failures / s.fits:.0%} | {cover} | {s.miss_low} | {s.miss_high} "
                    f"| {_median(s.rel_errors, '+.1%')} | {_median(s.widths, '.3g')} | {_share(rhat, s.fits)} "
                    f"| {_share(warned, s.fits)} | {_median(seconds, '.3g')} | {gained} | {lost} |"
                )
            emit("")
    if not out[2:]:
        emit("No design and method was run by every variant.\n")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ command line
def read_csv(paths: Sequence[str], timings: Sequence[str] = ()) -> list[Fit]:
    """Fits written by ``--out`` (and their seconds from ``--timings``), to render them again."""
    seconds: dict[tuple[str, int, str], float] = {}
    for path in timings:
        with open(path, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                seconds[row["design"], int(row["replicate"]), row["method"]] = float(row["cpu_seconds"])
    rows = []
    for path in paths:
        with open(path, newline="", encoding="utf-8") as handle:
            rows.extend(csv.DictReader(handle))
    fits = []
    for row in rows:
        key = (row["design"], int(row["replicate"]), row["method"])
        fits.append(
            Fit(
                design=key[0],
                replicate=key[1],
                method=key[2],
                N=int(row["N"]),
                n_observed=int(row["n_observed"]),
                status=row["status"],
                n_hat=float(row["n_hat"]),
                ci_low=float(row["ci_low"]),
                ci_high=float(row["ci_high"]),
                warnings=tuple(row["warnings"].split(WARNING_SEPARATOR)) if row["warnings"] else (),
                seconds=seconds.get(key, math.nan),
            )
        )
    return fits


def write_csv(fits: Sequence[Fit], path: str) -> None:
    """One row per fit; the same bytes whatever the number of workers."""
    for fit in fits:
        if any(WARNING_SEPARATOR in w for w in fit.warnings):
            raise ValueError(f"a warning of {fit.method} contains the separator {WARNING_SEPARATOR!r}")
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for fit in fits:
            writer.writerow(fit.row())


def write_timings(fits: Sequence[Fit], path: str) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["design", "replicate", "method", "cpu_seconds"])
        for fit in fits:
            writer.writerow([fit.design, fit.replicate, fit.method, f"{fit.seconds:.4f}"])


def _choose(given: str | None, known: Sequence[str], what: str) -> list[str]:
    if given is None:
        return list(known)
    chosen = [part.strip() for part in given.split(",") if part.strip()]
    unknown = [c for c in chosen if c not in known]
    if unknown or not chosen:
        raise SystemExit(
            f"calibrate.py: unknown {what} {', '.join(unknown) or '(none given)'}; known: {', '.join(known)}"
        )
    return chosen


def _overrides(given: Sequence[str], methods: Sequence[str]) -> dict[str, dict[str, str]]:
    """``--set METHOD:NAME=VALUE`` options as settings per method."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for text in given:
        method, sep, rest = text.partition(":")
        name, eq, value = rest.partition("=")
        if not sep or not eq or not name:
            raise SystemExit(f"calibrate.py: --set takes METHOD:NAME=VALUE, got {text!r}")
        if method not in methods:
            raise SystemExit(f"calibrate.py: --set names {method!r}, which is not among the methods run")
        out[method][name.strip()] = value.strip()
    return dict(out)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--reps", type=int, default=120, help="replicates per design (default 120)")
    parser.add_argument(
        "--replicate", type=int, help="run only this replicate (0-based), to reproduce its rows"
    )
    parser.add_argument(
        "--first",
        type=int,
        default=0,
        help="run replicates FIRST .. FIRST + reps - 1 (default 0): a later chunk of a study, for --from-csv to merge",
    )
    parser.add_argument("--designs", help="comma-separated design names (default: all)")
    parser.add_argument("--methods", help="comma-separated method names (default: every registered method)")
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"master seed (default {DEFAULT_SEED})"
    )
    parser.add_argument("--workers", type=int, default=1, help="processes over replicates (default 1)")
    parser.add_argument(
        "--fast", action="store_true", help="the study's profile: fewer BCa replicates for the model searches"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="METHOD:NAME=VALUE",
        help="change one setting of one method",
    )
    parser.add_argument("--out", help="also write every fit to this CSV")
    parser.add_argument("--timings", help="also write the CPU seconds of every fit to this CSV")
    parser.add_argument(
        "--from-csv", help="render the fits of an earlier --out (with its --timings) instead of running"
    )
    parser.add_argument(
        "--rule",
        help="the headline rule to score, as K:METHOD,METHOD;K:METHOD (default: undercount.headline's)",
    )
    parser.add_argument("--command", help="the command to name in the header (default: this one)")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="LABEL=FITS.csv[,MORE.csv][:SECONDS.csv[,MORE.csv]]",
        help="score earlier --out runs of the same methods with other settings side by side "
        "(repeat; the first is the reference)",
    )
    args = parser.parse_args(argv)
    if args.reps < 1 or args.workers < 1:
        parser.error("--reps and --workers must be at least 1")
    if args.first < 0:
        parser.error("--first must be 0 or more")
    if args.replicate is not None and args.replicate < 0:
        parser.error("--replicate must be 0 or more")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    from undercount.errors import MethodError
    from undercount.estimators import get_method, method_names

    args = parse_args(argv)
    designs = _choose(args.designs, [d.name for d in DESIGNS], "design(s)")
    methods = _choose(args.methods, method_names(), "method(s)")
    plan = Plan(seed=args.seed, fast=args.fast, overrides=_overrides(args.set, methods))
    for m in methods:  # a bad setting stops the study before it starts, not on its first fit
        try:
            get_method(m).resolve(plan.settings(m))
        except MethodError as exc:
            raise SystemExit(f"calibrate.py: {exc}") from None
    command = args.command or "python benchmarks/calibrate.py " + " ".join(
        sys.argv[1:] if argv is None else argv
    )
    if args.compare:
        variants = []
        for text in args.compare:
            label, eq, paths = text.rpartition("=")
            if not eq or not label.strip() or not paths:
                raise SystemExit(
                    f"calibrate.py: --compare takes LABEL=FITS.csv[,MORE.csv][:SECONDS.csv[,MORE.csv]], got {text!r}"
                )
            fits_path, _, seconds_path = paths.partition(":")
            seconds = seconds_path.split(",") if seconds_path else []
            variants.append((label.strip(), read_csv(fits_path.split(","), seconds)))
        sys.stdout.write(compare(variants, designs, methods))
        return
    if args.from_csv:
        timings = args.timings.split(",") if args.timings else []
        fits = [
            f
            for f in read_csv(args.from_csv.split(","), timings)
            if f.design in designs and f.method in methods
        ]
        position = {name: i for i, name in enumerate([*designs, *methods])}
        fits.sort(key=lambda f: (position[f.design], f.replicate, position[f.method]))
        fits, shown = with_derived(fits, methods, args.rule)
        sys.stdout.write(render(fits, designs, shown, plan, Meta(command, args.workers, None)))
        return
    replicates = (
        [args.replicate] if args.replicate is not None else list(range(args.first, args.first + args.reps))
    )
    start = time.perf_counter()
    fits = run_study(designs, replicates, methods, plan, args.workers, progress=not args.quiet)
    wall = time.perf_counter() - start
    if args.out:
        write_csv(fits, args.out)
    if args.timings:
        write_timings(fits, args.timings)
    fits, shown = with_derived(fits, methods, args.rule)
    sys.stdout.write(render(fits, designs, shown, plan, Meta(command, args.workers, wall)))


def with_derived(fits: list[Fit], methods: Sequence[str], rule: str | None) -> tuple[list[Fit], list[str]]:
    """The fits plus the headline and envelope pseudo-methods (never written to --out), and the methods shown."""
    global RULE_IN_USE
    if rule:
        RULE_IN_USE = parse_rule(rule)
    derived = derived_fits(fits, RULE_IN_USE)
    present = [m for m in PSEUDO_METHODS if any(f.method == m for f in derived)]
    return list(fits) + derived, [*methods, *present]


if __name__ == "__main__":
    main()
