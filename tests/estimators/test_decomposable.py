"""Enumeration of decomposable graphs, checked against independent brute force."""

import itertools

import numpy as np
import pytest

from undercount.estimators.decomposable import (
    CHORDAL_COUNTS,
    clique_formula,
    decomposable_graphs,
    vertex_pairs,
    vertices,
)


@pytest.mark.parametrize("k, count", [(1, 1), (2, 2), (3, 8), (4, 61), (5, 822), (6, 18_154), (7, 617_675)])
def test_counts_are_oeis_a058862(k, count):
    graphs = decomposable_graphs(k)
    assert len(graphs) == count == CHORDAL_COUNTS[k]
    assert len(np.unique(graphs.edges)) == count


def _adjacency(code, k):
    adj = [set() for _ in range(k)]
    for e, (i, j) in enumerate(vertex_pairs(k)):
        if (code >> e) & 1:
            adj[i].add(j)
            adj[j].add(i)
    return adj


def _is_chordal(adj):
    """Independent test: repeatedly remove a simplicial vertex (Fulkerson and Gross 1965)."""
    left = set(range(len(adj)))
    while left:
        for v in sorted(left):
            nb = adj[v] & left
            if all(b in adj[a] for a, b in itertools.combinations(nb, 2)):
                left.remove(v)
                break
        else:
            return False
    return True


def _complete(mask, adj):
    vs = vertices(mask)
    return all(b in adj[a] for a, b in itertools.combinations(vs, 2))


def _maximal_cliques(adj):
    k = len(adj)
    complete = [m for m in range(1, 2**k) if _complete(m, adj)]
    return sorted(m for m in complete if not any(o != m and (o & m) == m for o in complete))


@pytest.mark.parametrize("k", [3, 4, 5])
def test_exactly_the_chordal_graphs(k):
    chordal = {code for code in range(2 ** (k * (k - 1) // 2)) if _is_chordal(_adjacency(code, k))}
    assert set(decomposable_graphs(k).edges.tolist()) == chordal


@pytest.mark.parametrize("k", [3, 4, 5])
def test_cliques_are_the_maximal_cliques(k):
    graphs = decomposable_graphs(k)
    for i, code in enumerate(graphs.edges.tolist()):
        adj = _adjacency(code, k)
        ours = sorted(int(c) for c in graphs.cliques[i] if c)
        assert ours == _maximal_cliques(adj), code


def _check_separators(graphs, rows):
    """For every non-empty vertex set A: (#cliques containing A) - (#separators containing A)
    is 1 when A is complete and 0 otherwise. This holds exactly for the clique and
    separator multisets of a junction tree (the cliques containing A form a subtree)."""
    k = graphs.k
    components = graphs.components()
    for i in rows:
        adj = _adjacency(int(graphs.edges[i]), k)
        cl = [int(c) for c in graphs.cliques[i] if c]
        sep = [int(s) for s in graphs.separators[i] if s]
        for A in range(1, 2**k):
            count = sum((A & c) == A for c in cl) - sum((A & s) == A for s in sep)
            assert count == int(_complete(A, adj)), (graphs.edges[i], A)
        assert len(cl) - len(sep) == components[i]


@pytest.mark.parametrize("k", [3, 4, 5])
def test_separators_form_a_junction_tree(k):
    graphs = decomposable_graphs(k)
    _check_separators(graphs, range(len(graphs)))


def test_separators_on_a_sample_of_seven_list_graphs():
    graphs = decomposable_graphs(7)
    rows = np.random.default_rng(5).choice(len(graphs), size=300, replace=False)
    _check_separators(graphs, rows)


def test_terms_merge_repeated_separators():
    # the star with centre 0 on four vertices: cliques {0,1},{0,2},{0,3}; separator {0} twice
    graphs = decomposable_graphs(4)
    star = [
        i
        for i in range(len(graphs))
        if sorted(int(c) for c in graphs.cliques[i] if c) == [0b0011, 0b0101, 0b1001]
    ]
    assert len(star) == 1
    idx, coef = graphs.terms
    terms = {int(a): float(c) for a, c in zip(idx[star[0]], coef[star[0]]) if c}
    assert terms == {0b0011: 1.0, 0b0101: 1.0, 0b1001: 1.0, 0b0001: -2.0}


def test_formula_and_components():
    graphs = decomposable_graphs(3)
    formulas = {graphs.formula(i, ["A", "B", "C"]) for i in range(len(graphs))}
    assert formulas == {
        "[A][B][C]",
        "[A,B][C]",
        "[A,C][B]",
        "[A][B,C]",
        "[A,B][A,C]",
        "[A,B][B,C]",
        "[A,C][B,C]",
        "[A,B,C]",
    }
    assert clique_formula([0b110, 0b001], ["x", "y", "z"]) == "[x][y,z]"
    assert graphs.components()[0] == 3  # the empty graph comes first


def test_out_of_range():
    with pytest.raises(ValueError, match="1 to 7"):
        decomposable_graphs(8)
