"""Every decomposable (chordal) graph on k labelled vertices, with its cliques and separators.

A graphical log-linear model is decomposable when its interaction graph is
chordal: every cycle of four or more vertices has a chord. Such a graph has a
junction tree of its maximal cliques, and its likelihood (and the marginal
likelihood under a hyper-Dirichlet prior, Dawid and Lauritzen 1993) factorises
as a product over cliques divided by a product over separators. That is all
:mod:`undercount.estimators.dga` needs from a graph: the multiset of its
cliques and of its separators.

The graphs are enumerated here rather than read from a list: all
``2**(k(k-1)/2)`` edge sets are tested at once, vectorised over graphs, with
maximum cardinality search (Tarjan and Yannakakis 1984): a graph is chordal
if and only if, in a maximum cardinality search order, the earlier neighbours
of every vertex form a clique. The same order yields the cliques and the
separators of a junction tree (Blair and Peyton 1993, section 4): with
``madj(v_i)`` the earlier neighbours of the i-th vertex, ``{v_i} + madj(v_i)``
is a maximal clique exactly when ``i`` is last or ``|madj(v_{i+1})| <=
|madj(v_i)|``, and the vertex that starts each later clique brings its
``madj`` as that clique's separator (empty when it starts a new connected
component).

The counts are OEIS A058862: 8, 61, 822, 18,154 and 617,675 graphs for k = 3
to 7. Graphs and vertex sets are bit masks: vertex ``j`` is bit ``j``.

References
----------
Tarjan, R. E. and Yannakakis, M. (1984). Simple linear-time algorithms to test
chordality of graphs... SIAM J. Comput. 13, 566-579.
Blair, J. R. S. and Peyton, B. (1993). An introduction to chordal graphs and
clique trees. In Graph Theory and Sparse Matrix Computation, 1-29. Springer.
Dawid, A. P. and Lauritzen, S. L. (1993). Hyper Markov laws in the statistical
analysis of decomposable graphical models. Ann. Statist. 21, 1272-1317.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

if TYPE_CHECKING:
    import scipy.sparse

#: Largest number of vertices enumerated: 2**28 edge sets for k = 8 would take
#: minutes and gigabytes with this method.
MAX_VERTICES = 7

#: Number of labelled chordal graphs on k vertices (OEIS A058862), k = 0..7.
CHORDAL_COUNTS = (1, 1, 2, 8, 61, 822, 18_154, 617_675)


@dataclass(frozen=True, eq=False)
class DecomposableGraphs:
    """All decomposable graphs on ``k`` vertices, as arrays (one row per graph).

    Attributes
    ----------
    k
        Number of vertices (lists).
    edges
        ``(g,)`` edge-set code of each graph: bit ``e`` is the e-th pair of
        :func:`vertex_pairs`.
    cliques
        ``(g, k)`` bit masks of the maximal cliques, padded with 0.
    separators
        ``(g, k - 1)`` bit masks of the junction-tree separators, with
        repetitions, padded with 0 (an empty separator, which joins two
        connected components, is also 0: it carries no term).
    """

    k: int
    edges: np.ndarray
    cliques: np.ndarray
    separators: np.ndarray

    def __len__(self) -> int:
        return len(self.edges)

    @functools.cached_property
    def terms(self) -> tuple[np.ndarray, np.ndarray]:
        """``(idx, coef)``, each ``(g, 2k - 1)``: graph i is ``sum_j coef[i, j] * term(idx[i, j])``.

        +1 per clique, -r per separator that occurs r times; padded with
        vertex set 0 (the empty set, which carries no term) and coefficient 0.
        """
        return _terms(self.cliques, self.separators)

    def signature(self) -> scipy.sparse.csr_matrix:
        """``(g, 2**k)`` sparse matrix of :attr:`terms`: row i times per-subset terms is graph i's weight."""
        from scipy import sparse

        idx, coef = self.terms
        rows = np.repeat(np.arange(len(self)), idx.shape[1])
        out = sparse.csr_matrix(
            (coef.ravel(), (rows, idx.ravel().astype(np.int64))), shape=(len(self), 2**self.k)
        )
        out.sum_duplicates()
        out.eliminate_zeros()
        return out

    def components(self) -> np.ndarray:
        """Number of connected components of each graph."""
        return (self.cliques > 0).sum(axis=1) - (self.separators > 0).sum(axis=1)

    def formula(self, i: int, names: Sequence[str]) -> str:
        """Graph ``i`` as its cliques over ``names``, e.g. ``[A,B][B,C]``."""
        return clique_formula(self.cliques[i], names)


def vertex_pairs(k: int) -> list[tuple[int, int]]:
    """The ``k(k-1)/2`` vertex pairs ``(i, j)``, ``i < j``, in edge-bit order."""
    return [(i, j) for i in range(k) for j in range(i + 1, k)]


def vertices(mask: int) -> list[int]:
    """The vertices of a bit mask, in increasing order."""
    return [j for j in range(int(mask).bit_length()) if (int(mask) >> j) & 1]


def clique_formula(cliques: Sequence[int], names: Sequence[str]) -> str:
    """Cliques as ``[A,B][C]``: vertices in list order, cliques by their first vertex."""
    cliques = sorted((int(c) for c in cliques if c), key=lambda c: vertices(c))
    return "".join("[" + ",".join(names[j] for j in vertices(c)) + "]" for c in cliques)


@functools.cache
def decomposable_graphs(k: int) -> DecomposableGraphs:
    """Enumerate every decomposable graph on ``k`` labelled vertices (1 <= k <= 7).

    All ``2**(k(k-1)/2)`` edge sets are searched (about 0.3 s for the
    2,097,152 edge sets of k = 7; instant for k <= 5); the result is cached
    for the life of the process. Graphs come in increasing order of edge
    code, so the empty graph (independence of all lists) is first.
    """
    if not 1 <= k <= MAX_VERTICES:
        raise ValueError(f"decomposable graphs are enumerated for 1 to {MAX_VERTICES} vertices, not {k}")
    pairs = np.array(vertex_pairs(k), dtype=np.int64).reshape(-1, 2)
    codes, cliques, separators = _enumerate(k, pairs, CHORDAL_COUNTS[k])
    return DecomposableGraphs(k, codes, cliques, separators)


@njit(cache=True)
def _enumerate(k, pairs, expected):
    """Test every edge set by maximum cardinality search; keep the chordal ones with
    their cliques and separators (Blair and Peyton 1993, section 4)."""
    codes = np.empty(expected, dtype=np.uint32)
    cliques = np.zeros((expected, k), dtype=np.uint8)
    separators = np.zeros((expected, max(k - 1, 1)), dtype=np.uint8)
    adj = np.zeros(k, dtype=np.int64)
    order = np.zeros(k, dtype=np.int64)
    madj = np.zeros(k, dtype=np.int64)
    size = np.zeros(k, dtype=np.int64)
    found = 0
    for code in range(1 << len(pairs)):
        adj[:] = 0
        for e in range(len(pairs)):
            if (code >> e) & 1:
                adj[pairs[e, 0]] |= 1 << pairs[e, 1]
                adj[pairs[e, 1]] |= 1 << pairs[e, 0]
        numbered = 0
        chordal = True
        for step in range(k):
            best, best_w = -1, -1
            for v in range(k):
                if not (numbered >> v) & 1:
                    wgt = _bits(adj[v] & numbered)
                    if wgt > best_w:
                        best, best_w = v, wgt
            ma = adj[best] & numbered
            # the earlier neighbours must form a clique
            for u in range(k):
                if (ma >> u) & 1 and ((adj[u] | (1 << u)) & ma) != ma:
                    chordal = False
                    break
            if not chordal:
                break
            order[step] = best
            madj[step] = ma
            size[step] = best_w
            numbered |= 1 << best
        if not chordal:
            continue
        codes[found] = code
        n_cl = 0
        for i in range(1, k + 1):
            if i == k or size[i] <= size[i - 1]:
                cliques[found, n_cl] = madj[i - 1] | (1 << order[i - 1])
                if i < k:
                    separators[found, n_cl] = madj[i]
                n_cl += 1
        found += 1
    return codes[:found], cliques[:found], separators[:found]


@njit(cache=True)
def _bits(x):
    count = 0
    while x:
        x &= x - 1
        count += 1
    return count


@njit(cache=True)
def _terms(cliques, separators):
    g, k = cliques.shape
    width = k + separators.shape[1]
    idx = np.zeros((g, width), dtype=np.int32)
    coef = np.zeros((g, width))
    for i in range(g):
        n = 0
        for c in cliques[i]:
            if c:
                idx[i, n] = c
                coef[i, n] = 1.0
                n += 1
        for s in separators[i]:
            if s:
                seen = False
                for j in range(n):
                    if idx[i, j] == s:
                        coef[i, j] -= 1.0
                        seen = True
                        break
                if not seen:
                    idx[i, n] = s
                    coef[i, n] = -1.0
                    n += 1
    return idx, coef
