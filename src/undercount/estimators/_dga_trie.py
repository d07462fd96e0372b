"""Exact dga weights when pruning cannot help: graphs share the products of their terms.

On a sparse table with many lists the posterior of N is wide, every graph
matters at every grid point, and the bounds of :mod:`.dga` skip almost nothing
(the sparse 7-list case of ``benchmarks/bench_dga.py --sparse``: 9.73 of 9.76
billion (graph, m) terms computed). The cost is then the number of terms
times the cost of one. This module lowers the cost of one term, exactly.

Chunks of m
-----------
The grid is cut into chunks ``a..a+h-1``. Within a chunk each subset term is
written as its exact value at the chunk's start plus an increment,

    T_A(a + t) = T_A(a) + D_A(t),   D_A(t) = sum_{u<t} log((x_A + a + u) / (n + 2**k delta + a + u)),

the increment summed with compensation (no large lgamma values are
subtracted). A graph's weight at ``a + t`` is then ``exp(L_G(a))`` times
``q_G(t) = prod_A exp(s_G(A) D_A(t))``: a product of the per-subset vectors
``exp(s D_A)`` over the graph's terms, with no exp or log per (graph, m).

Every T_A decreases in m (``x_A < n + 2**k delta``) and is convex, so its
steepest descent on a chunk is at the chunk's start; the width ``h`` is chosen
from those slopes so that every ``|s D_A| <= V`` and every ``q_G`` lies within
``exp(+-300)``: nothing overflows, and a graph whose weight at the chunk's
start underflows against the largest one (below ``exp(-708)``) stays below
``exp(-108)`` of it across the chunk, far below rounding.

Sharing prefixes
----------------
The graphs' term lists, each sorted by term, are sorted as words; in that
order consecutive graphs share long prefixes (the 617,675 graphs on 7 lists
form a prefix tree of 1.8 million nodes for 4.6 million terms). The products
are kept on a stack, one level per prefix length, so each node of the tree
costs one vector product per chunk and each graph one fused pass that adds
its weights into the posterior of N and sums its own mass.

Nothing is dropped: every (graph, m) term that the bounds of :mod:`.dga` keep
is computed (whole chunks are computed, a superset), so the result is the
same exact posterior, to rounding (about 1e-13 relative: a product of at most
13 factors, each exact to a few ulps, and an anchor from lgamma at each chunk).
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from scipy.special import gammaln, psi

from .decomposable import decomposable_graphs

if TYPE_CHECKING:
    from .dga import _Weights

#: Largest ``|log q_G|`` within a chunk (see the module docstring).
_RANGE = 300.0
#: Widest chunk (grid points): the per-subset vectors of a chunk stay in cache.
_WIDTH = 512


@functools.cache
def trie_order(
    k: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """The graphs on ``k`` lists as sorted words of labels, in word order.

    Returns ``(order, words, lengths, lcp, label_subset, label_coef, widest)``:
    graph ``order[i]`` is the i-th word; ``words[i, :lengths[i]]`` its labels
    (a label is a (subset, coefficient) pair, ``label_subset`` and
    ``label_coef``), ``lcp[i]`` the length of the prefix it shares with word
    ``i - 1``; ``widest`` is the largest sum of ``|coefficient|`` over a graph.
    """
    idx, coef = decomposable_graphs(k).terms
    used = coef != 0
    code = np.where(used, idx.astype(np.int32) * 64 + (coef.astype(np.int32) + 32), 0)
    present = np.zeros(int(code.max()) + 1, dtype=bool)
    present[code[used]] = True
    keys = np.flatnonzero(present)
    label_subset, label_coef = keys // 64, (keys % 64 - 32).astype(float)
    label_of = np.cumsum(present) - 1
    labels = np.where(used, label_of[code], len(keys)).astype(np.int16)  # padding sorts last
    del code, label_of
    labels.sort(axis=1)
    # sort the words: labels packed into 64-bit keys, the first label most significant
    bits = int(len(keys)).bit_length()
    per = 64 // bits
    packed = []
    for s in range(0, labels.shape[1], per):
        key = np.zeros(len(labels), dtype=np.uint64)
        for j in range(s, min(s + per, labels.shape[1])):
            key = (key << np.uint64(bits)) | labels[:, j].astype(np.uint64)
        packed.append(key)
    order = np.lexsort(packed[::-1])
    words = np.ascontiguousarray(labels[order])
    del labels, packed
    lengths = (words < len(keys)).sum(axis=1).astype(np.int64)
    differ = words[1:] != words[:-1]
    lcp = np.zeros(len(words), dtype=np.int64)
    lcp[1:] = np.where(differ.any(axis=1), differ.argmax(axis=1), words.shape[1])
    lcp[1:] = np.minimum(lcp[1:], np.minimum(lengths[1:], lengths[:-1]))
    widest = float(np.abs(coef).sum(axis=1).max())
    return order, words, lengths, lcp, label_subset, label_coef, widest


@njit(cache=True)
def _increments(x, nb, start, width):
    """``D_A(t)`` for t < width, every subset: compensated sums of log((x + m) / (nb + m))."""
    out = np.zeros((len(x), width))
    for r in range(len(x)):
        total = 0.0
        carry = 0.0
        for t in range(1, width):
            m = start + t - 1
            y = math.log((x[r] + m) / (nb + m)) - carry
            s = total + y
            carry = (s - total) - y
            total = s
            out[r, t] = total
    return out


@njit(cache=True, fastmath={"reassoc", "contract", "nsz", "arcp"})
def _chunk_kernel(words, lengths, lcp, active, anchor, E, cw, col, gmx, gsm, scale):
    """One chunk: weights of the active graphs (word order) into ``col``; masses into (gmx, gsm).

    ``anchor[i]`` is word i's exact log weight at the chunk's start less the
    shift, ``E[label]`` the chunk's vector ``exp(coef * D_subset)``, ``cw`` the
    common term ``exp(c(m) - c_ref)``; ``scale`` = shift + c_ref is added to the
    log masses.
    """
    n_words, depth = words.shape
    W = E.shape[1]
    stack = np.ones((depth + 1, W))
    valid = 0  # stack rows 1..valid hold the products of the previous active word's prefix
    shared = depth
    for i in range(n_words):
        shared = min(shared, lcp[i])
        if not active[i]:
            continue
        L = lengths[i]
        start = min(shared, valid, L - 1)
        for d in range(start, L - 1):
            e = words[i, d]
            below = stack[d]
            row = stack[d + 1]
            Ee = E[e]
            for w in range(W):
                row[w] = below[w] * Ee[w]
        valid = L - 1
        shared = depth
        s = math.exp(anchor[i])
        last = E[words[i, L - 1]]
        parent = stack[L - 1]
        dot = 0.0
        for w in range(W):
            y = parent[w] * last[w]
            col[w] += s * y
            dot += y * cw[w]
        if dot > 0.0:
            v = anchor[i] + scale + math.log(dot)
            if v > gmx[i]:
                gsm[i] = gsm[i] * math.exp(gmx[i] - v) + 1.0
                gmx[i] = v
            else:
                gsm[i] += math.exp(v - gmx[i])


@njit(cache=True)
def _anchors(words, lengths, active, label_subset, label_coef, Ta, out):
    """Exact log weight of each active word at the chunk's start (without the common term)."""
    top = -np.inf
    for i in range(len(words)):
        if not active[i]:
            out[i] = -np.inf
            continue
        v = 0.0
        for d in range(lengths[i]):
            e = words[i, d]
            v += label_coef[e] * Ta[label_subset[e]]
        out[i] = v
        if v > top:
            top = v
    return top


def chunk_ends(x: np.ndarray, nb: float, lo: int, hi: int, limit: float) -> np.ndarray:
    """Starts of the chunks covering lo..hi (and hi + 1 at the end).

    Width ``h`` at start ``a``: every ``|D_A|`` over the chunk is at most
    ``|T_A'(a)| (h - 1) <= limit`` (T_A decreasing and convex: steepest at a).
    """
    starts = [lo]
    a = lo
    while a <= hi:
        slope = float(np.max(psi(nb + a) - psi(x + a)))
        h = _WIDTH if slope <= 0 else int(min(_WIDTH, 1 + math.floor(limit / slope)))
        a = min(a + max(h, 1), hi + 1)
        starts.append(a)
    return np.array(starts, dtype=np.int64)


def shared_prefix_pass(
    w: _Weights, graph: np.ndarray, seg_a: np.ndarray, seg_b: np.ndarray, lo: int, hi: int, common: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Exact log posterior weights on lo..hi and log masses of graphs, over the segments kept.

    ``w`` is the :class:`~undercount.estimators.dga._Weights` of the table;
    graph ``graph[j]`` is computed on (at least) its segment ``seg_a[j]..seg_b[j]``.
    Returns ``(log_p, graph_log_mass)`` as the block loop of :mod:`.dga` would.
    """
    order, words, lengths, lcp, label_subset, label_coef, widest = trie_order(w.k)
    G = len(order)
    rank = np.empty(G, dtype=np.int64)
    rank[order] = np.arange(G)
    where = rank[graph]  # word index of each computed graph
    ua = np.full(G, np.iinfo(np.int64).max)
    ub = np.full(G, -1)
    ua[where], ub[where] = seg_a, seg_b
    nb = w.n + w.beta
    starts = chunk_ends(w.x[1:], nb, lo, hi, _RANGE / max(widest, 1.0))
    log_p = np.full(hi - lo + 1, -np.inf)
    gmx = np.full(G, -np.inf)
    gsm = np.zeros(G)
    anchor = np.empty(G)
    for a, b in zip(starts[:-1].tolist(), (starts[1:] - 1).tolist()):
        active = (ua <= b) & (ub >= a)
        if not active.any():
            continue
        width = b - a + 1
        D = _increments(w.x, nb, float(a), width)
        E = np.exp(label_coef[:, None] * D[label_subset])
        Ta = w.const + gammaln(w.x + a) - math.lgamma(nb + a)
        Ta[0] = 0.0
        shift = _anchors(words, lengths, active, label_subset, label_coef, Ta, anchor)
        anchor -= shift
        c = common[a - lo : b - lo + 1]
        c_ref = float(np.max(c))
        if not np.isfinite(c_ref):
            continue
        with np.errstate(under="ignore"):
            cw = np.exp(c - c_ref)
        col = np.zeros(width)
        _chunk_kernel(words, lengths, lcp, active, anchor, E, cw, col, gmx, gsm, shift + c_ref)
        with np.errstate(divide="ignore"):
            log_p[a - lo : b - lo + 1] = shift + np.log(col) + c
    with np.errstate(divide="ignore"):
        mass = np.where(gsm > 0, gmx + np.log(np.where(gsm > 0, gsm, 1.0)), -np.inf)
    graph_log_mass = np.full(G, -np.inf)
    graph_log_mass[order] = mass
    return log_p, graph_log_mass
