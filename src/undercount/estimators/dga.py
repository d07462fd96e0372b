"""Bayesian model averaging over decomposable graphical models (Madigan and York 1997).

The model
---------
The ``k`` lists cross-classify the N people of the population into a
``2**k`` contingency table whose all-zero cell (people on no list) holds the
unknown ``m = N - n``. For a decomposable graph G on the lists, the cell
probabilities follow the graphical log-linear model of G with a
hyper-Dirichlet prior (Dawid and Lauritzen 1993) that gives every full-table
cell the Dirichlet parameter ``delta``; the marginal table of a list subset A
(``2**|A|`` cells) then has parameter ``delta_A = delta * 2**(k - |A|)`` per
cell. Given N, the counts are multinomial, and the marginal likelihood of the
completed table factorises over the cliques and separators of G:

    log p(y, m | G) = sum_C T_C(m) - sum_S T_S(m) + log [N! / (m! prod_c y_c!)]

    T_A(m) = sum_{cells a of A} [lgamma(y_A[a] + delta_A) - lgamma(delta_A)]
             + lgamma(2**k delta) - lgamma(N + 2**k delta)

where ``y_A`` is the marginal table of A with the people on none of A's lists
(``z_A`` observed ones plus the m unobserved) in its all-zero cell. The
posterior over (G, m) multiplies by a prior on N and a uniform prior over all
decomposable graphs; summing over graphs gives the model-averaged posterior
of N, summing over m the posterior probability of each graph.

Computing it fast and exactly
-----------------------------
``T_A`` depends only on the subset A, so it is computed once per subset and
shared by every graph (a graph is a signed sum of its clique and separator
terms). On the integer grid of m the posterior is computed exactly, but only
where it can matter: every ``T_A`` is strictly convex in m (its second
derivative ``psi'(z_A + delta_A + m) - psi'(n + 2**k delta + m)`` is positive
for non-empty A), so on an interval of m a graph's log weight is bounded
above by the chords of its clique terms plus the tangents of its separator
terms plus the exact excess of the graph-independent terms over their chord.
(graph, interval) pairs whose bound shows they carry less than 1e-12 of the
posterior mass in total are skipped; every other (graph, m) term is computed
exactly. The pruned mass is bounded, not estimated.

When the bounds leave most terms (a wide posterior on a sparse table, where
every graph matters everywhere: 9.7 billion terms for the sparse 7-list case
of ``benchmarks/bench_dga.py --sparse``), the terms left are computed by
:mod:`._dga_trie` instead: in chunks of m, each graph's weight is its exact
value at the chunk's start times a product of per-subset vectors, and graphs
whose sorted term lists share a prefix share its product. Same terms, same
exactness, about 20 times less work per term.

References
----------
Madigan, D. and York, J. C. (1997). Bayesian methods for estimation of the
size of a closed population. Biometrika 84, 19-31.
Dawid, A. P. and Lauritzen, S. L. (1993). Hyper Markov laws in the statistical
analysis of decomposable graphical models. Ann. Statist. 21, 1272-1317.
Johndrow, J., Lum, K. and Ball, P. (2015). dga: Capture-Recapture Estimation
using Bayesian Model Averaging. R package (version 2.0.2 used for the
reference values).
"""

from __future__ import annotations

import math
import types
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np
from numba import njit, prange
from scipy.special import gammaln, logsumexp, psi

from ..errors import MethodError
from ..histories import CaptureTable
from ..progress import track
from ._dga_trie import shared_prefix_pass
from .base import (
    GRID_POSTERIOR,
    POSTERIOR_DRAWS,
    Draws,
    EstimateResult,
    GridPosterior,
    Method,
    Setting,
    not_estimable,
)
from .decomposable import DecomposableGraphs, decomposable_graphs

#: Upper bound on the posterior mass, relative to the total, that pruning may skip.
PRUNED_MASS = 1e-12
#: Tails of the posterior of N below this mass are not kept in ``posterior_p``.
TRIMMED_MASS = 1e-12

PRIORS = ("invN", "lognormal", "negbin")

#: Entries of one block of (graphs x grid points) computed at once.
_TILE = 1 << 20
#: Below this many (graph, grid point) terms every term is computed, without fine bounds.
_DIRECT = 1 << 21
#: The exact log weight is recomputed from lgamma every this many grid points.
_ANCHOR_EVERY = 512
#: Grid points 0.._LADDER_START-1 are probed one by one, then on a geometric ladder.
_LADDER_START = 16
_LADDER_RATIO = 2**0.5
#: Probes go this far beyond the end of the grid to estimate the mass beyond it.
_PROBE_REACH = 1000.0
#: From this many exact (graph, grid point) terms on, they are computed by graphs sharing
#: prefixes of their products (:mod:`._dga_trie`) rather than segment by segment: 15 times
#: faster on the sparse 7-list case, 2 to 3 times on UKdat and Ned (6 lists). Below it (every
#: table with R reference values, every table of the tests, the demo) the segment pass runs,
#: bit for bit as before: both passes are exact to rounding, but round differently, by up to
#: 1.5e-9 of the posterior mass where lgamma reaches 2e6 (Ned_5, N up to 172,915).
_SHARED_TERMS = 1 << 28
#: When the coarse bounds keep this share of all terms and the shared-prefix pass will run,
#: the fine bounds are skipped: they could not save the time they take.
_KEEP_COARSE = 0.5
#: Relative width of the intervals of the fine bound (and of the tiles of exact terms).
_FINE_RATIO = 1 / 32


# ------------------------------------------------------------------ priors
@dataclass(frozen=True)
class Prior:
    """A prior on the total N, as a log density on the grid of the unobserved m.

    ``invN``: p(N) proportional to 1/N (dga's default). ``lognormal``: the
    multiplier m/n is log-normal(meanlog, sdlog), HRDAG's setting (m = 0 gets
    probability 0). ``negbin``: Madigan and York's negative-binomial-type
    prior ``p(N) = Gamma(N+a) / (Gamma(N+1) Gamma(a)) b**N / (1+b)**(N+a)``
    (mean a*b).
    """

    kind: str = "invN"
    meanlog: float = 0.7
    sdlog: float = 0.6
    a: float = 13.14
    b: float = 55.17

    def logpdf(self, m: np.ndarray, n: int) -> np.ndarray:
        m = np.asarray(m, dtype=float)
        N = n + m
        if self.kind == "invN":
            return -np.log(N)
        if self.kind == "lognormal":
            out = np.full(m.shape, -np.inf)
            pos = m > 0
            lx = np.log(m[pos] / n)
            out[pos] = (
                -lx
                - math.log(self.sdlog)
                - 0.5 * math.log(2 * math.pi)
                - (lx - self.meanlog) ** 2 / (2 * self.sdlog**2)
            )
            return out
        if self.kind == "negbin":
            return (
                N * math.log(self.b)
                - (N + self.a) * math.log1p(self.b)
                + gammaln(N + self.a)
                - gammaln(N + 1)
                - gammaln(self.a)
            )
        raise ValueError(f"unknown prior {self.kind!r}; known: {', '.join(PRIORS)}")

    def log_ratio(self, m: np.ndarray, n: int) -> np.ndarray:
        """``log p(m + 1) - log p(m)``, accurate to rounding (no difference of large numbers)."""
        m = np.asarray(m, dtype=float)
        N = n + m
        if self.kind == "invN":
            return -np.log1p(1.0 / N)
        if self.kind == "negbin":
            return np.log((N + self.a) / (N + 1)) + math.log(self.b) - math.log1p(self.b)
        with np.errstate(invalid="ignore"):
            out = self.logpdf(m + 1, n) - self.logpdf(m, n)  # log densities of order 10: no cancellation
        return np.where(m > 0, out, np.inf)

    def describe(self) -> str:
        if self.kind == "invN":
            return "p(N) proportional to 1/N"
        if self.kind == "lognormal":
            return f"(N - n)/n log-normal(meanlog {self.meanlog:g}, sdlog {self.sdlog:g})"
        return f"negative-binomial-type p(N), a = {self.a:g}, b = {self.b:g} (Madigan and York 1997)"


# ------------------------------------------------------------------ the log weights
class _Weights:
    """Log posterior weight of (graph, m), up to one constant: ``sum_A s_G(A) T_A(m) + c(m)``.

    ``c(m) = lgamma(n + m + 1) - lgamma(m + 1) + log prior(m)`` is the part
    shared by all graphs. Subsets are bit masks (list j is bit j); index 0 of
    every per-subset array is the empty set, whose term is 0. Each graph is a
    row of ``idx`` (subsets) and ``coef`` (+1 per clique, -1 per separator
    occurrence), padded with subset 0.
    """

    def __init__(self, table: CaptureTable, graphs: DecomposableGraphs, delta: float, prior: Prior) -> None:
        k, n = table.k, table.n_observed
        self.k, self.n, self.prior = k, n, prior
        self.beta = 2.0**k * delta
        bits = (table.patterns.astype(np.int64) << np.arange(k)).sum(axis=1)
        x = np.empty(2**k)
        const = np.zeros(2**k)
        x[0] = n + self.beta  # with const 0 this makes T_empty = 0 identically
        for A in range(1, 2**k):
            size = bin(A).count("1")
            d = delta * 2.0 ** (k - size)
            marginal = np.bincount(bits & A, weights=table.counts, minlength=2**k)
            cells = _submasks(A)
            const[A] = gammaln(marginal[cells] + d).sum() - 2**size * gammaln(d) + gammaln(self.beta)
            x[A] = marginal[0] + d
        self.x, self.const = x, const
        self.idx, self.coef = graphs.terms

    @property
    def n_graphs(self) -> int:
        return len(self.idx)

    def subset_values(self, m: np.ndarray) -> np.ndarray:
        """``T_A(m)`` at arbitrary points: one row per subset, one column per m."""
        m = np.asarray(m, dtype=float)[None, :]
        return self.const[:, None] + gammaln(self.x[:, None] + m) - gammaln(self.n + self.beta + m)

    def subset_slopes(self, m: np.ndarray) -> np.ndarray:
        """``dT_A/dm``: one row per subset, one column per m."""
        m = np.asarray(m, dtype=float)[None, :]
        return psi(self.x[:, None] + m) - psi(self.n + self.beta + m)

    def subset_run(self, rows: np.ndarray, start: int, width: int) -> np.ndarray:
        """``T_A(m)`` for the subsets ``rows`` at the consecutive integers start..start+width-1."""
        return _subset_run(self.x[rows], self.const[rows], self.n + self.beta, float(start), int(width))

    def common(self, m: np.ndarray) -> np.ndarray:
        m = np.asarray(m, dtype=float)
        return gammaln(self.n + m + 1) - gammaln(m + 1) + self.prior.logpdf(m, self.n)

    def common_ratio(self, m: np.ndarray) -> np.ndarray:
        """``exp(c(m + 1) - c(m))``, computed without subtracting large numbers."""
        m = np.asarray(m, dtype=float)
        with np.errstate(over="ignore"):
            return (self.n + m + 1) / (m + 1) * np.exp(self.prior.log_ratio(m, self.n))

    def graph_values(self, graphs: np.ndarray, start: int, stop: int) -> np.ndarray:
        """Exact log weights of ``graphs`` at the integers start..stop-1 (a small number of graphs)."""
        used = np.unique(self.idx[graphs])
        local = np.searchsorted(used, self.idx[graphs])
        values = self.subset_run(used, start, stop - start)
        out = np.repeat(self.common(np.arange(start, stop))[None, :], len(graphs), axis=0)
        for j in range(local.shape[1]):
            out += self.coef[graphs, j, None] * values[local[:, j]]
        return out


def _submasks(A: int) -> np.ndarray:
    """The non-empty subsets of bit mask A."""
    out, s = [], A
    while s:
        out.append(s)
        s = (s - 1) & A
    return np.array(out, dtype=np.int64)


# ------------------------------------------------------------------ compiled kernels
# Each kernel runs over graphs (rows of idx/coef) and points or intervals of m;
# log-sum-exp accumulators are kept per block of graphs so that blocks can run
# in parallel, and the blocks are combined afterwards in a fixed order (the
# result does not depend on the number of threads). Every kernel is compiled
# twice: serial, and parallel over blocks of graphs for calls with more than
# _PARALLEL_WORK terms, where waking a second thread pays off even on a busy
# machine.
_BLOCKS = 64
_PARALLEL_WORK = 1 << 22


def _compiled(function):
    """(serial, parallel) compiled versions of a kernel (prange is range when serial).

    Each gets its own name, so that numba's on-disk cache keeps them apart.
    """
    out = []
    for suffix, parallel in (("_serial", False), ("_parallel", True)):
        clone = types.FunctionType(
            function.__code__,
            function.__globals__,
            function.__name__ + suffix,
            function.__defaults__,
            function.__closure__,
        )
        clone.__qualname__ = function.__qualname__ + suffix
        out.append(njit(parallel=parallel, cache=True)(clone))
    return tuple(out)


def _pick(pair, work: int):
    return pair[1] if work > _PARALLEL_WORK else pair[0]


@njit(cache=True)
def _lse_add(mx: float, s: float, v: float):
    """Add exp(v) to the running sum s * exp(mx)."""
    if v == -np.inf:
        return mx, s
    if v > mx:
        return v, s * math.exp(mx - v) + 1.0
    return mx, s + math.exp(v - mx)


@njit(cache=True)
def _subset_run(x, const, nb, start, width):
    """T_A(start + j) for j < width: lgamma at the start, then the exact recurrence
    T(m + 1) = T(m) + log((x + m) / (nb + m)) with compensated (Kahan) summation."""
    out = np.empty((len(x), width))
    base = math.lgamma(nb + start)
    for r in range(len(x)):
        v0 = const[r] + math.lgamma(x[r] + start) - base
        out[r, 0] = v0
        total = 0.0
        carry = 0.0
        for j in range(1, width):
            m = start + j - 1
            y = math.log((x[r] + m) / (nb + m)) - carry
            t = total + y
            carry = (t - total) - y
            total = t
            out[r, j] = v0 + total
    return out


def _mixture_kernel_py(idx, coef, T, c):
    """Per block of graphs: running log-sum-exp over graphs of the exact log weights at points."""
    G, P = idx.shape
    Q = T.shape[1]
    mx = np.full((_BLOCKS, Q), -np.inf)
    sm = np.zeros((_BLOCKS, Q))
    size = (G + _BLOCKS - 1) // _BLOCKS
    for blk in prange(_BLOCKS):
        row = np.empty(Q)
        for g in range(blk * size, min(G, (blk + 1) * size)):
            for q in range(Q):
                row[q] = c[q]
            for j in range(P):
                cf = coef[g, j]
                if cf != 0.0:
                    A = idx[g, j]
                    for q in range(Q):
                        row[q] += cf * T[A, q]
            for q in range(Q):
                mx[blk, q], sm[blk, q] = _lse_add(mx[blk, q], sm[blk, q], row[q])
    return mx, sm


def _bound_kernel_py(idx, coef, rows, Ta, Tb, Ga, Gb, ca, cb, excess, logw, out):
    """Upper bounds of the log mass of graphs ``rows`` on intervals [a_i, b_i], into ``out``.

    The bound of graph g on interval i is the larger end value of the linear
    function made of the chords of its clique terms (Ta, Tb: exact values at
    the ends), the tangents of its separator terms (Ga, Gb: tangent values at
    the ends) and the chord of c (ca, cb), plus c's excess over its chord;
    ``logw`` adds the log of the number of grid points in the interval.
    """
    R = len(rows)
    P = idx.shape[1]
    n_terms = Ta.shape[1]
    size = (R + _BLOCKS - 1) // _BLOCKS
    for blk in prange(_BLOCKS):
        ua = np.empty(n_terms)
        ub = np.empty(n_terms)
        for r in range(blk * size, min(R, (blk + 1) * size)):
            g = rows[r]
            for i in range(n_terms):
                ua[i] = ca[i]
                ub[i] = cb[i]
            for j in range(P):
                cf = coef[g, j]
                if cf > 0.0:
                    A = idx[g, j]
                    for i in range(n_terms):
                        ua[i] += cf * Ta[A, i]
                        ub[i] += cf * Tb[A, i]
                elif cf < 0.0:
                    A = idx[g, j]
                    for i in range(n_terms):
                        ua[i] += cf * Ga[A, i]
                        ub[i] += cf * Gb[A, i]
            for i in range(n_terms):
                out[r, i] = max(ua[i], ub[i]) + excess[i] + logw[i]


def _segment_kernel_py(
    idx, coef, seg_graph, seg_a, seg_b, R, Rinv, kappa, c, x, const, nb, start, shift, every
):
    """Exact weights on segments: graph ``seg_graph[s]`` at the block's points seg_a[s]..seg_b[s].

    The weight moves from one grid point to the next by an exact ratio: with
    ``R[A, w] = (x_A + m) / (n + 2**k delta + m)`` (= exp(T_A(m+1) - T_A(m)))
    and ``kappa[w] = exp(c(m+1) - c(m))``, graph g's weight at m+1 is its
    weight at m times ``kappa * prod_A R[A]**s_g(A)``: no exp or log per
    term. Every ``every`` points (and at each segment start) the log weight
    is recomputed exactly from lgamma, so rounding cannot build up; the
    running value is renormalised (scale kept apart) so it never under- or
    overflows. Returns, scaled by exp(-shift), the summed weight of each
    segment and at each point, and the largest log weight met.
    """
    S = len(seg_graph)
    P = idx.shape[1]
    W = R.shape[1]
    nb_ = min(_BLOCKS, max(S, 1))
    part = np.zeros((nb_, W))
    seg_sum = np.zeros(S)
    tops = np.full(nb_, -np.inf)
    size = (S + nb_ - 1) // nb_
    for blk in prange(nb_):
        r = np.empty(W)
        for s in range(blk * size, min(S, (blk + 1) * size)):
            g = seg_graph[s]
            a = seg_a[s]
            b = seg_b[s]
            for w in range(a, b):
                r[w] = kappa[w]
            for j in range(P):
                cf = coef[g, j]
                if cf == 0.0:
                    continue
                A = idx[g, j]
                if cf == 1.0:
                    for w in range(a, b):
                        r[w] *= R[A, w]
                elif cf == -1.0:
                    for w in range(a, b):
                        r[w] *= Rinv[A, w]
                else:
                    for w in range(a, b):
                        r[w] *= R[A, w] ** cf
            total = 0.0
            need = True
            v = 0.0
            f = 0.0
            scale = 0.0
            vmax = 0.0
            top = -np.inf
            for w in range(a, b + 1):
                if need or (w - a) % every == 0:
                    if vmax > 0.0:
                        top = max(top, scale + math.log(vmax))
                    L = c[w]
                    if L == -np.inf:
                        need = True
                        vmax = 0.0
                        continue
                    m = start + w
                    base = math.lgamma(nb + m)
                    for j in range(P):
                        cf = coef[g, j]
                        if cf != 0.0:
                            A = idx[g, j]
                            L += cf * (const[A] + math.lgamma(x[A] + m) - base)
                    scale = L - shift
                    v = 1.0
                    f = math.exp(scale)
                    vmax = 1.0
                    need = False
                else:
                    v *= r[w - 1]
                    if v > 1e150 or v < 1e-150:
                        top = max(top, scale + math.log(vmax))
                        scale += math.log(v)
                        v = 1.0
                        f = math.exp(scale)
                        vmax = 1.0
                    elif v > vmax:
                        vmax = v
                y = v * f
                part[blk, w] += y
                total += y
            if vmax > 0.0:
                top = max(top, scale + math.log(vmax))
            seg_sum[s] = total
            if top > tops[blk]:
                tops[blk] = top
    col = np.zeros(W)
    for blk in range(nb_):
        for w in range(W):
            col[w] += part[blk, w]
    return seg_sum, col, shift + tops.max()


_MIXTURE = _compiled(_mixture_kernel_py)
_BOUND = _compiled(_bound_kernel_py)
_SEGMENTS = _compiled(_segment_kernel_py)


def _combine_blocks(mx: np.ndarray, sm: np.ndarray, axis: int = 0) -> np.ndarray:
    """log sum over blocks of sm * exp(mx)."""
    with np.errstate(divide="ignore"):
        return logsumexp(np.where(sm > 0, mx + np.log(np.where(sm > 0, sm, 1.0)), -np.inf), axis=axis)


# ------------------------------------------------------------------ grids and bounds
def _ladder(start: int, stop: float, ratio: float) -> np.ndarray:
    """Every integer from ``start`` to _LADDER_START, then a geometric ladder, through ``stop``."""
    points = list(range(start, min(_LADDER_START, int(stop)) + 1))
    x = float(max(points[-1] if points else start, 1))
    while x < stop:
        x = max(math.ceil(x * ratio), x + 1)
        points.append(int(min(x, stop)))
    return np.unique(np.array(points, dtype=np.int64))


def _subdivide(a: np.ndarray, b: np.ndarray, ratio: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split each interval [a_c, b_c] into pieces of relative width about ``ratio``.

    Returns the pieces' ends and the index of the interval each comes from.
    """
    starts: list[int] = []
    parents: list[int] = []
    for c, (lo, hi) in enumerate(zip(a.tolist(), b.tolist())):
        x = lo
        while x <= hi:
            starts.append(x)
            parents.append(c)
            x += max(1, int(ratio * x))
    a1 = np.array(starts, dtype=np.int64)
    parent = np.array(parents, dtype=np.int64)
    b1 = np.append(a1[1:] - 1, b[-1])
    return a1, b1, parent


class _IntervalTerms:
    """Per-subset chord and tangent values on a set of intervals, shared by all graphs.

    Every T_A (A non-empty) is strictly convex in m: its second derivative
    ``psi'(x_A + m) - psi'(n + 2**k delta + m)`` is positive because
    ``x_A < n + 2**k delta``. So a clique term (sign +) lies below its chord
    and a separator term (sign -) below its tangent at the midpoint; the
    graph-independent c(m), known exactly at every integer, lies below its
    chord plus its largest excess over it. The sum is linear on the interval,
    so the bound is its larger end value.
    """

    def __init__(self, w: _Weights, a: np.ndarray, b: np.ndarray, common: np.ndarray, lo: int) -> None:
        mid = (a + b) / 2.0
        self.Ta, self.Tb = w.subset_values(a), w.subset_values(b)
        Tm, Dm = w.subset_values(mid), w.subset_slopes(mid)
        self.Ga, self.Gb = Tm + Dm * (a - mid), Tm + Dm * (b - mid)
        self.ca, self.cb = common[a - lo], common[b - lo]
        self.excess = _chord_excess(common, a - lo, b - lo)
        self.logw = np.log((b - a + 1).astype(float))

    def bounds(self, w: _Weights, rows: np.ndarray, cols: slice = slice(None)) -> np.ndarray:
        """``(len(rows), intervals)`` upper bounds of each graph's log mass on each interval."""
        pick = [
            np.ascontiguousarray(v[..., cols])
            for v in (self.Ta, self.Tb, self.Ga, self.Gb, self.ca, self.cb, self.excess, self.logw)
        ]
        out = np.empty((len(rows), pick[0].shape[1]))
        _pick(_BOUND, len(rows) * w.idx.shape[1] * out.shape[1] * 2)(w.idx, w.coef, rows, *pick, out)
        return out


def _chord_excess(values: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per interval [a_i, b_i] of indices: max over the interval of values minus its chord (>= 0)."""
    width = b - a
    with np.errstate(invalid="ignore"):
        slope = np.where(width > 0, (values[b] - values[a]) / np.maximum(width, 1), 0.0)
    which = np.repeat(np.arange(len(a)), width + 1)
    starts = np.cumsum(width + 1) - (width + 1)
    pos = np.arange(len(which)) - starts[which]
    with np.errstate(invalid="ignore"):
        gap = values[a[which] + pos] - (values[a[which]] + slope[which] * pos)
    gap = np.where(np.isnan(gap), 0.0, gap)
    return np.maximum(np.maximum.reduceat(gap, starts), 0.0)


def _log_bin_mass(log_f0: np.ndarray, log_f1: np.ndarray, p0: np.ndarray, p1: np.ndarray) -> np.ndarray:
    """log of the integral of f from p0 to p1, f a power law through (p0, f0) and (p1, f1).

    This estimates the posterior mass of the grid points p0..p1-1 between two
    probes; only the estimate of the mass beyond the grid (and below it) uses it.
    """
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        e = np.asarray(log_f1 - log_f0, dtype=float)  # = (1 - a) log r, with f ~ m^-a
        ratio = np.zeros_like(e)  # log((exp(e) - 1) / e), stable for either sign; 0 at e = 0
        pos = np.isfinite(e) & (e > 1e-12)
        neg = np.isfinite(e) & (e < -1e-12)
        ratio[pos] = e[pos] + np.log(-np.expm1(-e[pos])) - np.log(e[pos])
        ratio[neg] = np.log(-np.expm1(e[neg])) - np.log(-e[neg])
        # integral of f0 (m/p0)^-a from p0 to p1 = f0 p0 log(r) (exp(e) - 1)/e, r = p1/p0
        out = log_f0 + np.log(p0) + np.log(np.log(p1 / p0)) + ratio
    # a bin of one point is that point; a bin starting where f vanishes: crude, f1 times the width
    out = np.where(np.isneginf(log_f0), log_f1 + np.log(p1 - p0), out)
    return np.where(p1 - p0 == 1, log_f0, out)


def _log_tail_beyond(log_f_prev: float, log_f: float, p_prev: float, p: float) -> float:
    """log of the integral from p to infinity of the power law through the last two probes."""
    if not np.isfinite(log_f):
        return -np.inf
    a = -(log_f - log_f_prev) / math.log(p / p_prev)
    if not a > 1.0:
        return np.inf
    return log_f + math.log(p) - math.log(a - 1.0)


#: Below this share of a bin's mass, the figure's "all other graphs" band is 0. It is the bin's mass
#: less the top graphs' masses, and the two come by different paths (the grid's posterior and each
#: graph's own joint), which agree to about 1e-11 of the bin (the top graphs of spina bifida add up
#: to 3.8e-12 more than their bin): a residual under 1e-4 of the bin would carry that roundoff,
#: which differs from CPU to CPU, into the six digits the figure data keep. No figure can show a
#: band that thin.
OTHER_FLOOR = 1e-4


@dataclass(frozen=True, eq=False)
class DgaPosterior:
    """The exact model-averaged posterior of N on a grid, and of the graphs.

    Attributes
    ----------
    lists, n_observed
        The table's lists and observed count.
    delta, prior
        Hyper-Dirichlet parameter and prior on N.
    missing
        The grid of the unobserved count m (consecutive integers).
    p
        Posterior probability of each grid point (sums to 1).
    graphs
        Every decomposable graph on the lists.
    graph_log_mass
        Unnormalised log posterior mass of each graph (-inf: pruned, below
        1e-12 of the total).
    log_evidence
        Log of the total unnormalised mass (the normaliser of ``p``).
    top_joint
        ``(t, len(missing))`` joint posterior p(G, N) of the ``t`` most
        probable graphs, for figures.
    tail_beyond
        Estimated posterior mass beyond the end of the grid, as a fraction of
        the mass on and beyond the grid (power-law extrapolation between
        probes); 0 when negligible.
    mass_below
        Estimated mass below the start of the grid, same basis.
    automatic_grid, capped
        Whether the grid end was chosen automatically and whether it stopped
        at its cap.
    stats
        Work done: graphs bounded, graphs and (graph, m) terms computed exactly.
    """

    lists: tuple[str, ...]
    n_observed: int
    delta: float
    prior: Prior
    missing: np.ndarray
    p: np.ndarray
    graphs: DecomposableGraphs
    graph_log_mass: np.ndarray
    log_evidence: float
    top_joint: np.ndarray
    top_index: np.ndarray
    tail_beyond: float
    mass_below: float
    automatic_grid: bool
    capped: bool
    stats: dict = field(default_factory=dict)

    # ------------------------------------------------------------ N
    @property
    def N(self) -> np.ndarray:
        """The grid of N = n + m."""
        return self.n_observed + self.missing

    @property
    def cdf(self) -> np.ndarray:
        return np.cumsum(self.p)

    @overload
    def quantile(self, q: float) -> int: ...

    @overload
    def quantile(self, q: Sequence[float] | np.ndarray) -> np.ndarray: ...

    def quantile(self, q: float | Sequence[float] | np.ndarray) -> np.ndarray | int:
        """Smallest N on the grid whose posterior probability P(N' <= N) reaches q.

        This inverse of the distribution function (R's quantile type 1 on the
        weighted grid) reproduces every posterior median and 95% bound that
        R's dga reports in the reference table.
        """
        qs = np.atleast_1d(np.asarray(q, dtype=float))
        cdf = self.cdf
        idx = np.minimum(np.searchsorted(cdf, qs * cdf[-1], side="left"), len(cdf) - 1)
        out = self.N[idx]
        return int(out[0]) if np.ndim(q) == 0 else out

    @property
    def median(self) -> int:
        return int(self.quantile(0.5))

    @property
    def mean(self) -> float:
        return float(np.dot(self.p, self.N))

    @property
    def sd(self) -> float:
        return float(math.sqrt(max(np.dot(self.p, (self.N - self.mean) ** 2), 0.0)))

    @property
    def mode(self) -> int:
        return int(self.N[np.argmax(self.p)])

    @property
    def bayes_relative(self) -> float:
        """Bayes estimate under relative squared error loss, ``E[1/N] / E[1/N^2]`` (Madigan and York)."""
        N = self.N.astype(float)
        return float(np.dot(self.p, 1 / N) / np.dot(self.p, 1 / N**2))

    def sample(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """``size`` independent draws of N from the exact posterior."""
        return sample_posterior(self.N, self.p, size, rng)

    def quantile_draws(self, size: int) -> np.ndarray:
        """N at the probabilities (i - 1/2)/size: a deterministic, evenly weighted sample."""
        return np.asarray(self.quantile((np.arange(size) + 0.5) / size), dtype=np.int64)

    def trimmed(self, mass: float = TRIMMED_MASS) -> tuple[np.ndarray, np.ndarray, float]:
        """(N, p, dropped): the pmf without its outer tails of at most ``mass`` each."""
        cdf = self.cdf
        lo = int(np.searchsorted(cdf, mass, side="right"))
        upper_tail = cdf[-1] - cdf
        hi = int(np.searchsorted(-upper_tail, -mass, side="left"))
        hi = max(hi, lo)
        keep = slice(lo, hi + 1)
        dropped = float(self.p[:lo].sum() + self.p[hi + 1 :].sum())
        return self.N[keep], self.p[keep], dropped

    # ------------------------------------------------------------ graphs
    def graph_probabilities(self) -> np.ndarray:
        """Posterior probability of every graph (0 for pruned graphs)."""
        with np.errstate(under="ignore"):
            return np.exp(self.graph_log_mass - self.log_evidence)

    def graph_conditional(self, j: int, level: float = 0.95) -> dict[str, float]:
        """Posterior of N given the j-th most probable graph: median, interval, mean."""
        q = self.top_joint[j]
        cdf = np.cumsum(q)
        alpha = (1.0 - level) / 2.0
        idx = np.minimum(
            np.searchsorted(cdf, np.array([0.5, alpha, 1 - alpha]) * cdf[-1], side="left"), len(q) - 1
        )
        median, low, high = (int(v) for v in self.N[idx])
        return {"median": median, "ci_low": low, "ci_high": high, "mean": float(np.dot(q, self.N) / cdf[-1])}

    def binned_by_graph(self, graphs: int = 4, bins: int = 200, mass: float = 1e-3) -> dict[str, Any]:
        """The posterior of N in at most ``bins`` equal bins over its central 1 - mass, split into the
        ``graphs`` most probable graphs and all others: ``{"N_low", "N_high", "graphs", "probability"}``
        (probability[g][b] = P(graph g, N in bin b); the last row is the other graphs)."""
        low, high = (int(v) for v in self.quantile([mass / 2, 1 - mass / 2]))
        width = max(1, math.ceil((high - low + 1) / bins))
        edges = np.arange(low, high + 1, width)
        cut = edges - self.N[0]
        t = min(graphs, len(self.top_index))
        total = np.add.reduceat(self.p, cut)
        parts = [np.add.reduceat(self.top_joint[j], cut) for j in range(t)]
        last = min(high - self.N[0] + 1, len(self.p))
        # reduceat's last bin runs to the end of the grid: cut it at `high`
        total[-1] = self.p[cut[-1] : last].sum()
        for j in range(t):
            parts[j][-1] = self.top_joint[j][cut[-1] : last].sum()
        if t:
            # a difference of sums: below OTHER_FLOOR of the bin it is roundoff (the demo's read
            # 1.87189e-14 on one CPU and 1.8719e-14 on another, in a bin of 7e-4), written as 0
            other = total - np.sum(parts, axis=0)
            other = np.where(other > OTHER_FLOOR * total, other, 0.0)
        else:
            other = total
        return {
            "N_low": edges.tolist(),
            "N_high": (np.append(edges[1:] - 1, high)).tolist(),
            "graphs": [self.graphs.formula(int(i), self.lists) for i in self.top_index[:t]]
            + ["all other graphs"],
            "probability": [q.tolist() for q in parts] + [other.tolist()],
        }

    def top_graphs(self, count: int = 10) -> list[tuple[str, float]]:
        """The ``count`` most probable graphs as (formula, probability)."""
        probs = self.graph_probabilities()
        order = np.argsort(-probs, kind="stable")[:count]
        return [(self.graphs.formula(int(i), self.lists), float(probs[i])) for i in order if probs[i] > 0]


#: Memory budget of the exact grid posterior, GiB (the setting ``memory_gib``).
MEMORY_GIB = 4.0
#: Bytes the computation holds per grid point at its peak: the grid, its common term, the log
#: posterior, the cumulative distribution and the per-graph work arrays of a block (peak
#: measured with tracemalloc on 3 to 5 lists and a grid of 2 million points: 87 to 96 bytes).
BYTES_PER_GRID_POINT = 100


def grid_memory_gib(points: int) -> float:
    """Estimated peak memory of a grid of ``points`` unobserved counts, in GiB."""
    return points * BYTES_PER_GRID_POINT / 2**30


class GridTooLarge(MethodError):
    """The exact posterior's grid would need more memory than the budget."""

    def __init__(self, points: int, need: float, budget: float) -> None:
        self.points, self.need, self.budget = points, need, budget
        super().__init__(
            f"the exact posterior of N would need about {need:,.1f} GiB of memory (a grid of "
            f"{points:,} values of the unobserved count, {BYTES_PER_GRID_POINT} bytes each), above the "
            f"budget of {budget:g} GiB (setting memory_gib); the grid grows with the number "
            "documented and how far the posterior reaches: raise memory_gib if the machine has the "
            "memory, or set max_missing to a smaller grid end"
        )


def dga_posterior(
    table: CaptureTable,
    *,
    delta: float | None = None,
    prior: Prior | str = "invN",
    min_missing: int = 0,
    max_missing: int | None = None,
    tail_tol: float = 1e-9,
    grid_cap: int | None = None,
    top: int = 5,
    progress: bool = False,
    memory_gib: float = MEMORY_GIB,
) -> DgaPosterior:
    """Model-averaged posterior of N over all decomposable graphs, exactly on an integer grid.

    Parameters
    ----------
    table
        Capture histories on 2 to 7 lists.
    delta
        Hyper-Dirichlet parameter per full-table cell; default ``2**-k``.
    prior
        A :class:`Prior` or its kind (``invN``, ``lognormal``, ``negbin``).
    min_missing, max_missing
        Grid of the unobserved count m (the prior is restricted to it).
        ``max_missing=None`` chooses the end automatically: the first point of
        a geometric ladder (ratio sqrt 2) beyond which the estimated posterior
        mass is below ``tail_tol / 10``, but not beyond ``grid_cap``
        (default 100 n).
    top
        Number of most probable graphs whose joint posterior with N is kept.
    progress
        Show a progress bar on stderr.
    memory_gib
        Memory budget of the grid: once the grid's end is known, and before
        anything of its size is allocated, the memory it needs
        (:data:`BYTES_PER_GRID_POINT` per point) is estimated; above the budget
        this raises :class:`GridTooLarge`, which says how much it would need.

    Notes
    -----
    Four passes: (1) every graph at probe points from 0 to far beyond the
    grid (a rough picture of the posterior, used to choose the grid end and
    to estimate the mass beyond it); (2) bounds on coarse intervals drop
    graphs that cannot matter; (3) bounds on fine intervals (about 3% of m
    wide) drop (graph, interval) pairs that cannot matter; (4) exact weights
    of the pairs left. The mass dropped in (2) and (3) is at most 1e-12 of
    the total, by construction of the bounds.
    """
    k, n = table.k, table.n_observed
    if not 2 <= k <= 7:
        raise ValueError(f"dga handles 2 to 7 lists, not {k}")
    if n <= 0:
        raise ValueError("no one is observed")
    prior = Prior(prior) if isinstance(prior, str) else prior
    delta = 2.0**-k if delta is None else float(delta)
    if not delta > 0:
        raise ValueError(f"delta must be positive, got {delta}")
    cap = int(grid_cap) if grid_cap is not None else 100 * n
    lo = int(min_missing)
    automatic = max_missing is None
    if lo < 0 or (max_missing is not None and int(max_missing) < lo):
        raise ValueError(f"the grid of unobserved counts is empty or negative: {lo}..{max_missing}")
    graphs = decomposable_graphs(k)
    w = _Weights(table, graphs, delta, prior)
    G = w.n_graphs
    log_eps = math.log(PRUNED_MASS / 2)  # budget for each of: coarse pairs, fine pairs
    bar = track("dga passes over the grid", 4.0, _progress(progress))

    # 1. every graph at probe points from 0 to far beyond the grid
    reach = (max(cap, lo) if max_missing is None else int(max_missing)) * _PROBE_REACH
    probes = _ladder(0, max(reach, lo + 2), _LADDER_RATIO)
    mx, sm = _pick(_MIXTURE, w.idx.size * len(probes))(
        w.idx, w.coef, w.subset_values(probes), w.common(probes)
    )
    log_density = _combine_blocks(mx, sm)
    log_bins = _log_bin_mass(
        log_density[:-1], log_density[1:], probes[:-1].astype(float), probes[1:].astype(float)
    )
    log_far = _log_tail_beyond(log_density[-2], log_density[-1], probes[-2], probes[-1])
    bar.update(1)

    # 2. the end of the grid
    capped = False
    if automatic:
        beyond = np.logaddexp.accumulate(np.append(log_bins, log_far)[::-1])[::-1]  # mass from probe j on
        start = int(np.searchsorted(probes, lo, side="left"))
        ok = np.flatnonzero(
            (probes > lo) & (probes <= cap) & (beyond - beyond[start] < math.log(tail_tol / 10))
        )
        if len(ok):
            hi = int(probes[ok[0]])
        else:
            hi, capped = max(cap, lo), True
    else:
        assert max_missing is not None  # not automatic
        hi = int(max_missing)
    need = grid_memory_gib(hi - lo + 1)
    if need > memory_gib:
        raise GridTooLarge(hi - lo + 1, need, memory_gib)
    grid = np.arange(lo, hi + 1)
    common = w.common(grid)

    # A lower bound of the total mass: the exact mixture at the probes on the grid.
    on_grid = (probes >= lo) & (probes <= hi)
    log_lower = float(logsumexp(log_density[on_grid])) if on_grid.any() else -np.inf
    if not np.isfinite(log_lower):
        log_lower = float(
            logsumexp(
                w.common(grid[:1])
                + _combine_blocks(*_MIXTURE[0](w.idx, w.coef, w.subset_values(grid[:1]), w.common(grid[:1])))
            )
        )

    # 3. coarse bounds on the intervals between probes: keep the (graph, interval) pairs that can matter
    a0 = np.unique(np.concatenate([[lo, min(lo + 1, hi)], probes[(probes > lo) & (probes <= hi)]]))
    b0 = np.append(a0[1:] - 1, hi)
    coarse = _IntervalTerms(w, a0, b0, common, lo)
    threshold = log_eps + log_lower - math.log(float(G) * len(a0))
    keep0 = np.zeros((G, len(a0)), dtype=bool)
    coarse_hull = _Hull(G)
    for part in _chunks(G, len(a0)):
        bound = coarse.bounds(w, part)
        keep0[part] = bound >= threshold
        coarse_hull.add(part, bound, keep0[part], 0)
    alive = int(keep0.any(axis=1).sum())
    bar.update(1)

    # 4. fine bounds on subintervals of the coarse intervals kept, skipped when computing
    #    every term is cheap anyway, or when the coarse bounds keep so many terms that the
    #    shared-prefix pass will compute them whatever the fine bounds say. Each graph gets one
    #    segment of consecutive grid points: from its first to its last interval that can matter.
    coarse_terms = coarse_hull.terms(a0, b0)
    if G * len(grid) <= _DIRECT or (
        coarse_terms >= _SHARED_TERMS and coarse_terms >= _KEEP_COARSE * G * len(grid)
    ):
        a1, b1, hull = a0, b0, coarse_hull
    else:
        hull = _Hull(G)
        a1, b1, parent = _subdivide(a0, b0, _FINE_RATIO)
        fine = _IntervalTerms(w, a1, b1, common, lo)
        first = np.searchsorted(parent, np.arange(len(a0) + 1))
        candidates = float((keep0.sum(axis=0) * np.diff(first)).sum())
        threshold = log_eps + log_lower - math.log(max(candidates, 1.0))
        for c in range(len(a0)):
            rows = np.flatnonzero(keep0[:, c]).astype(np.int64)
            for part in _chunks(len(rows), int(first[c + 1] - first[c])):
                bound = fine.bounds(w, rows[part], slice(first[c], first[c + 1]))
                hull.add(rows[part], bound, bound >= threshold, int(first[c]))
    del keep0
    segments = hull.segments(a1, b1)
    bar.update(1)

    # 5. exact weights on the segments: block of grid points by block, or, when the bounds
    #    left most terms (a wide posterior that every graph shares), graphs sharing products
    terms = int((segments.b - segments.a + 1).sum())
    shared = terms >= _SHARED_TERMS
    if shared:
        log_p, graph_log_mass = shared_prefix_pass(w, segments.graph, segments.a, segments.b, lo, hi, common)
        bar.update(1)
    else:
        log_p = np.full(len(grid), -np.inf)
        graph_log_mass = np.full(G, -np.inf)
        block = max(1024, _TILE // max(1, 2**k))
        for start in range(lo, hi + 1, block):
            stop = min(start + block, hi + 1)
            segments.add_block(w, start, stop, common, lo, log_p, graph_log_mass)
            bar.update((stop - start) / len(grid))
    computed = segments.graph
    n_fine = len(a1)
    bar.close()
    log_z = float(logsumexp(log_p))
    if not np.isfinite(log_z):
        raise FloatingPointError("the posterior has no mass on the grid")
    p = np.exp(log_p - log_z)

    # 6. mass beyond and below the grid (estimated from the probes), top graphs
    tail = _log_mass_beyond(hi, log_p[-1], probes, log_density, log_bins, log_far)
    below = _log_mass_below(lo, probes, log_density, log_bins)
    total = float(logsumexp([log_z, tail, below]))
    top_index = np.argsort(-graph_log_mass, kind="stable")[:top]
    top_index = top_index[np.isfinite(graph_log_mass[top_index])]
    top_joint = np.zeros((len(top_index), len(grid)))
    for start in range(lo, hi + 1, _TILE // 16):
        stop = min(start + _TILE // 16, hi + 1)
        if len(top_index):
            top_joint[:, start - lo : stop - lo] = np.exp(w.graph_values(top_index, start, stop) - log_z)
    stats = {
        "graphs": int(G),
        "graphs_after_coarse_bound": alive,
        "graphs_computed_exactly": int(len(computed)),
        "exact_terms": int(terms),
        "grid_points": int(len(grid)),
        "all_terms": int(G) * int(len(grid)),
        "probes": int(len(probes)),
        "coarse_intervals": int(len(a0)),
        "fine_intervals": int(n_fine),
        "exact_pass": "shared prefixes" if shared else "segments",
    }
    return DgaPosterior(
        lists=table.lists,
        n_observed=n,
        delta=delta,
        prior=prior,
        missing=grid,
        p=p,
        graphs=graphs,
        graph_log_mass=graph_log_mass,
        log_evidence=log_z,
        top_joint=top_joint,
        top_index=top_index,
        tail_beyond=_fraction(tail, total),
        mass_below=_fraction(below, total),
        automatic_grid=automatic,
        capped=capped,
        stats=stats,
    )


def _fraction(log_part: float, log_total: float) -> float:
    if log_part == np.inf:
        return 1.0
    if not np.isfinite(log_part):
        return 0.0
    return float(min(1.0, math.exp(log_part - log_total)))


def _chunks(total: int, columns: int):
    step = max(1, _TILE // max(columns, 1))
    for start in range(0, total, step):
        yield np.arange(start, min(start + step, total))


class _Hull:
    """Per graph, the first and last interval that can matter, and the largest bound there."""

    def __init__(self, G: int) -> None:
        self.first = np.full(G, np.iinfo(np.int64).max)
        self.last = np.full(G, -1)
        self.bound = np.full(G, -np.inf)

    def add(self, rows: np.ndarray, bound: np.ndarray, keep: np.ndarray, offset: int) -> None:
        """Intervals offset.. of graphs ``rows``: their bounds and which may matter."""
        hit = keep.any(axis=1)
        if not hit.any():
            return
        rows, bound, keep = rows[hit], bound[hit], keep[hit]
        width = keep.shape[1]
        first = keep.argmax(axis=1) + offset
        last = width - 1 - keep[:, ::-1].argmax(axis=1) + offset
        self.first[rows] = np.minimum(self.first[rows], first)
        self.last[rows] = np.maximum(self.last[rows], last)
        self.bound[rows] = np.maximum(self.bound[rows], np.where(keep, bound, -np.inf).max(axis=1))

    def terms(self, a: np.ndarray, b: np.ndarray) -> int:
        """Number of grid points in the graphs' segments, intervals ``a..b``."""
        graphs = self.last >= 0
        return int((b[self.last[graphs]] - a[self.first[graphs]] + 1).sum())

    def segments(self, a: np.ndarray, b: np.ndarray) -> _Segments:
        graphs = np.flatnonzero(self.last >= 0)
        return _Segments(graphs, a[self.first[graphs]], b[self.last[graphs]], self.bound[graphs])


@dataclass
class _Segments:
    """Runs of consecutive grid points a..b on which one graph's weight is computed exactly
    (one run per graph: from the first to the last of its intervals that can matter)."""

    graph: np.ndarray
    a: np.ndarray
    b: np.ndarray
    bound: np.ndarray  # upper bound of the graph's log weight on the run

    def add_block(
        self,
        w: _Weights,
        start: int,
        stop: int,
        common: np.ndarray,
        lo: int,
        log_p: np.ndarray,
        graph_log_mass: np.ndarray,
    ) -> None:
        """Exact weights of the segments' points in start..stop-1, added into the totals."""
        hit = (self.a < stop) & (self.b >= start)
        if not hit.any():
            return
        graph = self.graph[hit]
        sa = np.maximum(self.a[hit], start) - start
        sb = np.minimum(self.b[hit], stop - 1) - start
        shift = float(self.bound[hit].max())
        m = np.arange(start, stop, dtype=float)
        nb = w.n + w.beta
        R = (w.x[:, None] + m[None, :]) / (nb + m[None, :])
        kappa = w.common_ratio(m)
        kernel = _pick(_SEGMENTS, int((sb - sa + 1).sum()) * w.idx.shape[1])
        args = (
            w.idx,
            w.coef,
            graph,
            sa,
            sb,
            R,
            1.0 / R,
            kappa,
            common[start - lo : stop - lo],
            w.x,
            w.const,
            nb,
            float(start),
        )
        seg_sum, col, top = kernel(*args, shift, _ANCHOR_EVERY)
        if top < shift - 600:  # the bound was far too loose to scale by: scale by the true maximum
            shift = float(top)
            seg_sum, col, top = kernel(*args, shift, _ANCHOR_EVERY)
        with np.errstate(divide="ignore"):
            np.logaddexp(
                log_p[start - lo : stop - lo], shift + np.log(col), out=log_p[start - lo : stop - lo]
            )
            graph_log_mass[graph] = np.logaddexp(graph_log_mass[graph], shift + np.log(seg_sum))


def _log_mass_beyond(hi: int, log_f_hi: float, probes, log_density, log_bins, log_far) -> float:
    """Estimated log mass of the grid points beyond ``hi`` (power law between probes)."""
    j = int(np.searchsorted(probes, hi, side="right"))  # first probe beyond hi
    if j >= len(probes):
        return _log_tail_beyond(log_density[-1], log_f_hi, probes[-1], hi) if hi > probes[-1] else log_far
    first = _log_bin_mass(
        np.array([log_f_hi]), np.array([log_density[j]]), np.array([float(hi)]), np.array([float(probes[j])])
    )[0]
    # the bin [hi, probe_j) counts the point hi itself once too often: remove it
    first = _log_sub(first, log_f_hi)
    return float(logsumexp(np.concatenate([[first], log_bins[j:], [log_far]])))


def _log_mass_below(lo: int, probes, log_density, log_bins) -> float:
    """Estimated log mass of the grid points below ``lo``."""
    if lo <= 0:
        return -np.inf
    j = int(np.searchsorted(probes, lo, side="right")) - 1  # last probe <= lo
    parts = list(log_bins[:j])
    if probes[j] < lo:  # part of the bin [probe_j, probe_j+1) below lo
        f0, f1 = log_density[j], log_density[j + 1]
        p0, p1 = float(probes[j]), float(probes[j + 1])
        slope = (f1 - f0) / math.log(p1 / p0) if np.isfinite(f0) and np.isfinite(f1) else 0.0
        f_lo = f0 + slope * math.log(lo / p0) if p0 > 0 else f1
        parts.append(
            _log_bin_mass(np.array([f0]), np.array([f_lo]), np.array([p0]), np.array([float(lo)]))[0]
        )
    return float(logsumexp(parts)) if parts else -np.inf


def _log_sub(log_a: float, log_b: float) -> float:
    """log(exp(a) - exp(b)), floored at -inf when b >= a."""
    if not np.isfinite(log_a) or log_b >= log_a:
        return -np.inf
    return log_a + math.log(-math.expm1(log_b - log_a))


class _NoBar:
    def update(self, _n: float = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(enabled: bool):
    """A bar on stderr over the four passes (shown only when a run takes over a second)."""
    if not enabled:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(
        total=4.0,
        desc="dga",
        leave=False,
        delay=1.0,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}",
    )


# ------------------------------------------------------------------ using the posterior
def posterior_of(result: EstimateResult) -> tuple[np.ndarray, np.ndarray]:
    """The exact posterior of N kept in a dga result (or its JSON form): ``(N, p)``."""
    details = result.details if isinstance(result, EstimateResult) else result["details"]
    return np.asarray(details["posterior_N"], dtype=np.int64), np.asarray(details["posterior_p"], dtype=float)


def add_posteriors(parts: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Exact posterior of the sum of independent totals (strata), by convolution.

    Each part is ``(N, p)`` on consecutive integers, as from :func:`posterior_of`.
    Returns the pmf of the sum on consecutive integers (normalised).
    """
    from scipy.signal import fftconvolve

    if not parts:
        raise ValueError("no posteriors to add")
    start, p = 0, np.ones(1)
    for N, q in parts:
        N, q = np.asarray(N, dtype=np.int64), np.asarray(q, dtype=float)
        if len(N) != len(q) or (len(N) > 1 and not np.all(np.diff(N) == 1)):
            raise ValueError("each posterior must be given on consecutive integers, one probability each")
        start += int(N[0])
        p = np.convolve(p, q) if len(p) * len(q) <= 1 << 22 else np.clip(fftconvolve(p, q), 0.0, None)
    p = p / p.sum()
    return start + np.arange(len(p)), p


def sample_posterior(N: np.ndarray, p: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` independent draws from the pmf ``p`` on ``N`` (e.g. to mix with Monte Carlo methods)."""
    cdf = np.cumsum(p)
    u = rng.random(size) * cdf[-1]
    return np.asarray(N)[np.minimum(np.searchsorted(cdf, u, side="right"), len(cdf) - 1)]


# ------------------------------------------------------------------ the estimator
def parse_grid_end(value: Any, n: int, what: str) -> int | None:
    """``'auto'`` -> None; ``'20n'`` -> 20 * n; ``'5000'`` -> 5000 (unobserved people)."""
    text = str(value).strip().lower().replace(" ", "")
    if text in ("auto", "none", ""):
        return None
    try:
        if text.endswith("n"):
            factor = float(text[:-1] or 1)
            if not factor >= 0:
                raise ValueError(text)
            return int(math.ceil(factor * n))
        number = float(text)
        if number < 0 or number != int(number):
            raise ValueError(text)
        return int(number)
    except ValueError:
        raise MethodError(
            f"{what} must be 'auto', a whole number of unobserved people, or a multiple of the "
            f"observed count such as '20n'; got {value!r}"
        ) from None


def dga(
    table: CaptureTable,
    *,
    level: float = 0.95,
    delta: float | None = None,
    prior: str = "invN",
    lognormal_meanlog: float = 0.7,
    lognormal_sdlog: float = 0.6,
    negbin_a: float = 13.14,
    negbin_b: float = 55.17,
    min_missing: int = 0,
    max_missing: str = "auto",
    grid_cap: str = "100n",
    tail_tol: float = 1e-9,
    top: int = 10,
    draws: int = 4000,
    progress: bool = True,
    memory_gib: float = MEMORY_GIB,
) -> EstimateResult:
    """Bayesian model averaging over all decomposable graphical models (Madigan and York 1997).

    Model: the lists cross-classify the N people into a 2**k table; for each
    decomposable graph on the lists, a graphical log-linear model with a
    hyper-Dirichlet prior (``delta`` per full-table cell); a uniform prior
    over graphs; a prior on N (``prior``) restricted to the grid
    ``min_missing..max_missing`` of unobserved people. The posterior of N is
    computed exactly on the grid and averaged over every graph (8, 61, 822,
    18,154 and 617,675 graphs for 3 to 7 lists).

    Assumptions: a closed population; within each graph's model, lists are
    conditionally independent given their neighbours, and the all-zero cell
    follows the same log-linear model as the observed cells (no untestable
    k-way interaction). Heterogeneity and dependence are absorbed only as far
    as the graphs' interactions can describe them.

    Returns the posterior median as ``n_hat`` and equal-tailed posterior
    quantiles as the interval, the exact posterior of N (``details``:
    ``posterior_N``, ``posterior_p``), the most probable graphs, and
    ``draws`` evenly spaced posterior quantiles of N for adding strata.

    References
    ----------
    Madigan, D. and York, J. C. (1997). Bayesian methods for estimation of the
    size of a closed population. Biometrika 84, 19-31.
    Johndrow, J., Lum, K. and Ball, P. (2015). dga: Capture-Recapture
    Estimation using Bayesian Model Averaging (R package).
    """
    n = table.n_observed
    if n == 0:
        return not_estimable("dga", table.lists, n, "not estimable: no one is observed", level=level)
    hi = parse_grid_end(max_missing, n, "max_missing")
    cap = parse_grid_end(grid_cap, n, "grid_cap")
    if cap is None:
        raise MethodError("grid_cap must be a number or a multiple of n such as '100n', not 'auto'")
    if hi is not None and hi < min_missing:
        raise MethodError(f"the grid is empty: max_missing ({hi}) is below min_missing ({min_missing})")
    if prior == "negbin":
        chosen = Prior("negbin", a=negbin_a, b=negbin_b)
    elif prior == "lognormal":
        chosen = Prior("lognormal", meanlog=lognormal_meanlog, sdlog=lognormal_sdlog)
    else:
        chosen = Prior(prior)
    try:
        post = dga_posterior(
            table,
            delta=delta,
            prior=chosen,
            min_missing=min_missing,
            max_missing=hi,
            tail_tol=tail_tol,
            grid_cap=max(cap, min_missing),
            top=max(top, 4),
            progress=progress,
            memory_gib=memory_gib,
        )
    except GridTooLarge as exc:
        return not_estimable("dga", table.lists, n, f"not computed: {exc}", level=level)
    alpha = (1.0 - level) / 2.0
    low, median, high = (int(v) for v in post.quantile([alpha, 0.5, 1.0 - alpha]))
    warnings = _warnings(post, level, max_missing, grid_cap)
    N, p, trimmed = post.trimmed()
    graphs = post.top_graphs(top)
    G = len(post.graphs)
    details = GridPosterior(
        posterior_mean=post.mean,
        posterior_sd=post.sd,
        posterior_mode=post.mode,
        bayes_relative_loss=post.bayes_relative,
        top_graphs=tuple(
            {
                "graph": g,
                "probability": prob,
                **(post.graph_conditional(j, level) if j < len(post.top_index) else {}),
            }
            for j, (g, prob) in enumerate(graphs)
        ),
        posterior_by_graph=post.binned_by_graph(),
        graphs=G,
        prior=chosen.describe(),
        delta=post.delta,
        grid={
            "min_missing": int(post.missing[0]),
            "max_missing": int(post.missing[-1]),
            "N_min": int(post.N[0]),
            "N_max": int(post.N[-1]),
            "automatic": post.automatic_grid,
            "capped": post.capped,
        },
        tail_mass_beyond_grid=post.tail_beyond,
        mass_below_grid=post.mass_below,
        posterior_N=N,
        posterior_p=p,
        posterior_trimmed_mass=trimmed,
        computation=dict(post.stats),
        extra={
            "quantiles": "smallest N on the grid whose posterior probability P(N' <= N) reaches the level",
            "graphs_above_1e-12": int((post.graph_probabilities() > 1e-12).sum()),
        },
    )
    model = (
        (
            f"average over all {G:,} decomposable graphical models; most probable {graphs[0][0]} "
            f"(posterior probability {graphs[0][1]:.2f})"
        )
        if graphs
        else f"average over all {G:,} decomposable graphs"
    )
    return EstimateResult(
        method="dga",
        lists=table.lists,
        n_observed=n,
        n_hat=float(median),
        ci_low=float(low),
        ci_high=float(high),
        ci_level=level,
        model=model,
        warnings=tuple(warnings),
        details=details,
        draws=Draws.posterior(post.quantile_draws(draws)) if draws > 0 else None,
        fit=post,
    )


def _warnings(post: DgaPosterior, level: float, max_missing: Any, grid_cap: Any) -> list[str]:
    """Plain-language caveats: mass at either end of the grid, mass on no one missed."""
    out = []
    alpha = (1.0 - level) / 2.0
    n = post.n_observed
    top_N, bottom_N = int(post.N[-1]), int(post.N[0])
    if post.tail_beyond > _WARN_MASS:
        share = _share(post.tail_beyond)
        if post.automatic_grid and post.capped:
            text = (
                f"the posterior of N has a heavy upper tail: the automatic grid stopped at its cap "
                f"(grid_cap={grid_cap}, N = {top_N:,}) with an estimated {share} of the posterior mass "
                f"beyond it, so the results are those of a prior that stops at N = {top_N:,}"
            )
        else:
            text = (
                f"the grid ends at N = {top_N:,} (max_missing={max_missing}) but an estimated {share} of "
                f"the posterior mass lies beyond it: the results are those of a prior truncated there"
            )
        if post.tail_beyond > alpha:
            text += "; the upper end of the interval is set by where the grid stops, not by the data"
        out.append(text)
    if post.mass_below > _WARN_MASS:
        out.append(
            f"an estimated {_share(post.mass_below)} of the posterior mass lies below N = {bottom_N:,} "
            f"(min_missing={int(post.missing[0])}), which the grid leaves out"
        )
    full = (1 << len(post.lists)) - 1
    complete = np.flatnonzero(post.graphs.cliques[:, 0] == full)
    p_complete = float(post.graph_probabilities()[complete].sum()) if complete.size else 0.0
    if p_complete > _WARN_COMPLETE:
        out.append(
            f"the graph that joins every list has posterior probability {p_complete:.2f}: under it the "
            "lists carry no information about the people on no list, so that share of the estimate "
            f"is the prior on N ({post.prior.describe()}) and moves with it; compare priors, or add a list"
        )
    if post.missing[0] == 0 and post.p[0] > alpha:
        out.append(
            f"{post.p[0]:.1%} of the posterior mass is on N = {n:,} (no one missed by every list): "
            "the lower end of the interval is the observed count"
        )
    return out


#: Posterior probability of the complete graph above which the estimate is said to lean on the prior.
_WARN_COMPLETE = 0.05

#: Posterior mass beyond an end of the grid above which a warning is given (smaller
#: masses cannot move a reported quantile by more than a grid step or so).
_WARN_MASS = 1e-4


def _share(x: float) -> str:
    return f"{x:.1%}" if x >= 0.001 else f"{x:.1e}"


METHODS = (
    Method(
        name="dga",
        function=dga,
        summary="Bayesian model averaging over all decomposable graphical models (exact grid posterior)",
        reference="Madigan and York (1997); R package dga (Johndrow, Lum and Ball)",
        min_lists=3,
        max_lists=7,
        produces=frozenset({POSTERIOR_DRAWS, GRID_POSTERIOR}),
        settings=(
            Setting(
                "delta",
                float,
                None,
                "hyper-Dirichlet parameter per cell of the full table (default 2^-k)",
                minimum=1e-12,
            ),
            Setting(
                "prior",
                str,
                "invN",
                "prior on N: invN (p(N) ~ 1/N), lognormal (on (N-n)/n, HRDAG) or negbin (Madigan and York)",
                choices=PRIORS,
            ),
            Setting("lognormal_meanlog", float, 0.7, "meanlog of the log-normal prior on (N-n)/n"),
            Setting("lognormal_sdlog", float, 0.6, "sdlog of the log-normal prior on (N-n)/n", minimum=1e-9),
            Setting(
                "negbin_a",
                float,
                13.14,
                "a of the negative-binomial-type prior (prior mean a*b)",
                minimum=1e-9,
            ),
            Setting("negbin_b", float, 55.17, "b of the negative-binomial-type prior", minimum=1e-9),
            Setting("min_missing", int, 0, "smallest number of unobserved people on the grid", minimum=0),
            Setting(
                "max_missing",
                str,
                "auto",
                "largest number of unobserved people on the grid: 'auto', a "
                "number, or a multiple of the observed count such as '20n'",
            ),
            Setting(
                "grid_cap", str, "100n", "the furthest an automatic grid may reach (number or multiple of n)"
            ),
            Setting(
                "tail_tol",
                float,
                1e-9,
                "posterior mass an automatic grid may leave beyond its end",
                minimum=1e-15,
                maximum=0.1,
            ),
            Setting("top", int, 10, "number of most probable graphs listed in the details", minimum=1),
            Setting(
                "draws",
                int,
                4000,
                "evenly spaced posterior quantiles of N kept as draws (0: none)",
                minimum=0,
            ),
            Setting("progress", bool, True, "show a progress bar on stderr for long runs"),
            Setting(
                "memory_gib",
                float,
                MEMORY_GIB,
                "memory budget of the exact grid posterior (GiB): a grid that would need more is "
                "refused, with the memory it would need, before anything is allocated",
                minimum=0.001,
            ),
        ),
    ),
)
