"""dga: exact Bayesian model averaging over decomposable graphs, against R and brute force."""

import itertools

import numpy as np
import pytest
from conftest import benchmark_table, reference
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from scipy.special import gammaln

from undercount.errors import MethodError
from undercount.estimators import dga as dga_module
from undercount.estimators import estimate
from undercount.estimators.decomposable import decomposable_graphs, vertices
from undercount.estimators.dga import add_posteriors, dga_posterior, posterior_of, sample_posterior
from undercount.histories import CaptureTable

QUIET = {"progress": False, "draws": 0}


# ---------------------------------------------------------------- an independent dense reference
def dense_posterior(table, delta, prior, m):
    """The (graph x m) posterior computed the slow, obvious way, straight from the formulas.

    For every graph and every m: the Dirichlet-multinomial marginal likelihood of each
    clique's and separator's marginal table (parameter delta * 2**(k - |A|) per cell,
    the all-zero cell holding the observed people on none of A's lists plus m), cliques
    over separators, times N! / (m! prod y!) and the prior. Returns (p(m), p(G)).
    """
    k, n = table.k, table.n_observed
    m = np.asarray(m, dtype=float)
    N = n + m
    rows = [tuple(int(v) for v in r) for r in table.patterns]
    counts = [int(c) for c in table.counts]

    def marginal_loglik(mask):
        lists = vertices(mask)
        d = delta * 2.0 ** (k - len(lists))
        cells = {}
        for r, c in zip(rows, counts):
            key = tuple(r[j] for j in lists)
            cells[key] = cells.get(key, 0) + c
        zero = tuple(0 for _ in lists)
        out = gammaln(2**k * delta) - gammaln(N + 2**k * delta) - 2 ** len(lists) * gammaln(d)
        for key in itertools.product((0, 1), repeat=len(lists)):
            y = cells.get(key, 0) + (m if key == zero else 0)
            out = out + gammaln(y + d)
        return out

    cache = {}
    graphs = decomposable_graphs(k)
    logs = np.empty((len(graphs), len(m)))
    for i in range(len(graphs)):
        total = np.zeros(len(m))
        for c in graphs.cliques[i]:
            if c:
                total += cache.setdefault(int(c), marginal_loglik(int(c)))
        for s in graphs.separators[i]:
            if s:
                total -= cache.setdefault(int(s), marginal_loglik(int(s)))
        logs[i] = total
    logs += gammaln(N + 1) - gammaln(m + 1) + prior.logpdf(m, n)
    logs -= logs.max()
    w = np.exp(logs)
    w /= w.sum()
    return w.sum(axis=0), w.sum(axis=1)


def small_table(k, counts):
    pats = [p for p in itertools.product((0, 1), repeat=k) if any(p)]
    return CaptureTable.from_arrays([chr(65 + j) for j in range(k)], pats, counts[: len(pats)])


# ---------------------------------------------------------------- R's dga, row by row
REFERENCE = [(row.dataset, row.method) for row in reference("dga").itertuples()] + [
    (row.dataset, row.method) for row in reference("dga-invN").itertuples()
]


@pytest.mark.parametrize("dataset, method", REFERENCE)
def test_reference_rows_exactly(dataset, method):
    """Every dga row of reference_R.csv (all tables with k <= 5), exactly on the integer grid.

    R's dga reports values of N on its grid; the definition that reproduces every
    row is the smallest N with P(N' <= N) >= q (R's quantile type 1 on the weighted
    grid). Equality is exact: the posterior is computed to 1e-12 and no reported
    quantile sits that close to a step of the distribution function.
    """
    row = reference(method).set_index("dataset").loc[dataset]
    table = benchmark_table(dataset)
    prior = "lognormal" if method == "dga" else "invN"
    result = estimate(table, "dga", settings={"prior": prior, "max_missing": "20n", **QUIET})
    assert (result.n_hat, result.ci_low, result.ci_high) == (row.n_hat, float(row.ci_low), float(row.ci_high))
    assert result.details["grid"]["max_missing"] == 20 * table.n_observed


def test_spina_bifida_published_numbers():
    """Madigan and York (1997): delta = 1, their negative-binomial-type prior, grid 1..300."""
    table = benchmark_table("spina_bifida")
    result = estimate(
        table,
        "dga",
        settings={"prior": "negbin", "delta": 1.0, "min_missing": 1, "max_missing": 300, **QUIET},
    )
    top = result.details["top_graphs"][0]
    assert top["graph"] == "[BC][DC,MR]"
    assert round(top["probability"], 2) == 0.37
    assert round(result.details["bayes_relative_loss"]) == 731
    assert result.details["posterior_mode"] == 728


def test_quantile_convention():
    post = dga_posterior(benchmark_table("spina_bifida"), max_missing=400)
    p, N = post.p, post.N
    cdf = np.cumsum(p)
    for q in (0.025, 0.5, 0.975):
        i = np.flatnonzero(cdf >= q)[0]
        assert post.quantile(q) == N[i]
        assert i == 0 or cdf[i - 1] < q


# ---------------------------------------------------------------- against brute force
@pytest.mark.parametrize(
    "name, grid, prior",
    [
        ("Artificial_3", 400, "invN"),
        ("spina_bifida", 500, "lognormal"),
        ("HIV", 4000, "negbin"),
        ("NewOrl_5", 700, "invN"),
    ],
)
def test_matches_dense_computation(name, grid, prior):
    table = benchmark_table(name)
    chosen = dga_module.Prior(prior, a=2.0, b=float(table.n_observed))
    post = dga_posterior(table, prior=chosen, max_missing=grid)
    p_dense, g_dense = dense_posterior(table, 2.0**-table.k, chosen, post.missing)
    # both are exact up to rounding and the 1e-12 pruning budget
    assert np.abs(post.p - p_dense).sum() < 1e-11
    assert np.abs(post.graph_probabilities() - g_dense).max() < 1e-11


def test_pruned_path_matches_dense_computation(monkeypatch):
    """Force the fine bounds (normally used only on large problems) and check what they drop."""
    monkeypatch.setattr(dga_module, "_DIRECT", 0)
    table = benchmark_table("dga_MY5")
    prior = dga_module.Prior("lognormal")
    post = dga_posterior(table, prior=prior, max_missing=5 * table.n_observed)
    assert post.stats["exact_terms"] < post.stats["all_terms"] / 5  # the bounds did prune
    p_dense, g_dense = dense_posterior(table, 2.0**-5, prior, post.missing)
    assert np.abs(post.p - p_dense).sum() < 1e-11
    assert np.abs(post.graph_probabilities() - g_dense).max() < 1e-11


def sparse_table(k, population, seed):
    """Lists documenting 1%-5% of a population independently: few people, most overlaps empty."""
    rng = np.random.default_rng(seed)
    x = rng.random((population, k)) < np.linspace(0.05, 0.01, k)
    seen = x.any(axis=1)
    pats, counts = np.unique(x[seen].astype(np.int8), axis=0, return_counts=True)
    return CaptureTable.from_arrays([chr(65 + j) for j in range(k)], pats, counts)


@pytest.mark.parametrize(
    "k, population, seed, prior, grid", [(6, 700, 2, "invN", "10n"), (5, 900, 3, "lognormal", None)]
)
def test_shared_prefix_path_matches_dense_computation(monkeypatch, k, population, seed, prior, grid):
    """The exact pass of sparse tables with many lists (graphs sharing prefixes of their
    products, chunks of m), forced on a small sparse table, against every graph at every
    grid point straight from the formulas.

    Tolerance: the pruning budget (PRUNED_MASS of the mass, absolute) plus rounding. A log
    weight sums at most 4k + 1 lgamma values, none larger than lgamma(N_max + 1) in size,
    each exact to a few ulps; so each weight, and each probability after normalising, is
    exact to a relative 2 * (4k + 1) * 4 * eps * lgamma(N_max + 1) (about 1e-10 here).
    """
    table = sparse_table(k, population, seed)
    chosen = dga_module.Prior(prior)
    hi = None if grid is None else dga_module.parse_grid_end(grid, table.n_observed, "grid")
    monkeypatch.setattr(dga_module, "_SHARED_TERMS", 0)
    post = dga_posterior(table, prior=chosen, max_missing=hi)
    assert post.stats["exact_pass"] == "shared prefixes"
    assert post.automatic_grid == (grid is None)
    p_dense, g_dense = dense_posterior(table, 2.0**-k, chosen, post.missing)
    rounding = 2 * (4 * k + 1) * 4 * np.finfo(float).eps * gammaln(float(post.N[-1]) + 1)
    assert np.all(np.abs(post.p - p_dense) <= dga_module.PRUNED_MASS + rounding * p_dense)
    assert np.abs(post.p - p_dense).sum() <= dga_module.PRUNED_MASS + rounding
    g = post.graph_probabilities()
    assert np.all(np.abs(g - g_dense) <= dga_module.PRUNED_MASS + rounding * g_dense)
    # the same point estimate and interval as the dense posterior (R's quantile type 1)
    cdf = np.cumsum(p_dense)
    expected = [post.N[np.searchsorted(cdf, q * cdf[-1])] for q in (0.5, 0.025, 0.975)]
    assert list(post.quantile([0.5, 0.025, 0.975])) == expected
    # and the same as the segment-by-segment pass
    monkeypatch.setattr(dga_module, "_SHARED_TERMS", 1 << 62)
    segments = dga_posterior(table, prior=chosen, max_missing=hi)
    assert segments.stats["exact_pass"] == "segments"
    assert np.abs(post.p - segments.p).sum() <= 2 * dga_module.PRUNED_MASS + 2 * rounding
    assert list(segments.quantile([0.5, 0.025, 0.975])) == expected


def test_shared_prefix_chunks_stay_in_range():
    """Chunk widths keep every graph's product within exp(+-300) (no overflow, and what
    underflows stays far below rounding): checked on the sparse 7-list case's subsets."""
    from undercount.estimators import _dga_trie

    table = sparse_table(7, 1000, 7)
    w = dga_module._Weights(table, decomposable_graphs(7), 2.0**-7, dga_module.Prior("invN"))
    widest = _dga_trie.trie_order(7)[-1]
    assert widest == 11  # at most 7 cliques and their separators, sum of |coefficients|
    starts = _dga_trie.chunk_ends(w.x[1:], w.n + w.beta, 0, 4000, _dga_trie._RANGE / widest)
    assert starts[0] == 0 and starts[-1] == 4001 and np.all(np.diff(starts) >= 1)
    ends = starts[1:] - 1
    fall = w.subset_values(starts[:-1])[1:] - w.subset_values(ends)[1:]  # T_A decreases in m
    assert np.all(fall >= 0) and widest * fall.max() <= _dga_trie._RANGE


# ---------------------------------------------------------------- properties
@hsettings(max_examples=25, deadline=None)
@given(
    k=st.sampled_from([3, 4]),
    counts=st.lists(st.integers(0, 40), min_size=15, max_size=15),
    perm_seed=st.integers(0, 1000),
    prior=st.sampled_from(["invN", "lognormal"]),
)
def test_invariant_to_list_order_and_never_below_observed(k, counts, perm_seed, prior):
    counts = [c + 1 if i < k else c for i, c in enumerate(counts)]  # every list documents someone
    table = small_table(k, counts)
    order = list(np.random.default_rng(perm_seed).permutation(table.lists))
    a = estimate(table, "dga", settings={"prior": prior, "max_missing": "10n", **QUIET})
    b = estimate(table.select(order), "dga", settings={"prior": prior, "max_missing": "10n", **QUIET})
    np.testing.assert_equal((a.n_hat, a.ci_low, a.ci_high), (b.n_hat, b.ci_low, b.ci_high))
    if not a.estimable:  # a table the screening refuses (everyone on every list) refuses in any order
        assert a.warnings[-1] == b.warnings[-1]
        return
    pa = dga_posterior(table, prior=prior, max_missing=10 * table.n_observed).p
    pb = dga_posterior(table.select(order), prior=prior, max_missing=10 * table.n_observed).p
    assert np.abs(pa - pb).max() < 1e-13
    assert a.ci_low >= table.n_observed and a.n_hat >= a.ci_low and a.ci_high >= a.n_hat


# ---------------------------------------------------------------- grid and warnings
def test_automatic_grid_holds_the_mass():
    table = benchmark_table("dga_MY5")
    auto = estimate(table, "dga", settings={"prior": "lognormal", **QUIET})
    wide = estimate(table, "dga", settings={"prior": "lognormal", "max_missing": "40n", **QUIET})
    assert auto.details["grid"]["automatic"] and not auto.details["grid"]["capped"]
    assert auto.details["tail_mass_beyond_grid"] < 1e-9
    assert auto.details["grid"]["max_missing"] < wide.details["grid"]["max_missing"]
    assert (auto.n_hat, auto.ci_low, auto.ci_high) == (wide.n_hat, wide.ci_low, wide.ci_high)
    assert auto.warnings == ()


def test_heavy_tail_and_mass_on_no_one_missed_are_reported():
    # Artificial_3 under p(N) ~ 1/N: graphs with the A:B interaction leave the unobserved cell
    # almost free, so the posterior decays like a power of N, and 15% of it sits on N = n
    result = estimate(benchmark_table("Artificial_3"), "dga", settings=QUIET)
    assert result.details["grid"]["capped"]
    assert any("heavy upper tail" in w and "grid_cap=100n" in w for w in result.warnings)
    assert any("on N = 96 (no one missed" in w for w in result.warnings)
    assert result.ci_low == 96


def test_truncating_grid_is_reported():
    table = benchmark_table("NewOrl_5")
    result = estimate(table, "dga", settings={"max_missing": "2n", **QUIET})
    assert result.details["tail_mass_beyond_grid"] > 0.05
    assert any(
        "grid ends at N = 555 (max_missing=2n)" in w and "set by where the grid stops" in w
        for w in result.warnings
    )
    low = estimate(
        benchmark_table("spina_bifida"),
        "dga",
        settings={"prior": "negbin", "delta": 1, "min_missing": 100, "max_missing": 300, **QUIET},
    )
    assert any("lies below N = 726" in w for w in low.warnings)


def test_settings_from_the_command_line():
    table = benchmark_table("spina_bifida")
    result = estimate(
        table,
        "dga",
        settings={
            "max_missing": "5000",
            "delta": "0.5",
            "prior": "lognormal",
            "progress": "false",
            "draws": "0",
        },
    )
    assert result.details["grid"]["max_missing"] == 5000
    assert result.details["delta"] == 0.5
    assert result.draws is None
    with pytest.raises(MethodError, match="max_missing"):
        estimate(table, "dga", settings={"max_missing": "lots", **QUIET})
    with pytest.raises(MethodError, match="prior"):
        estimate(table, "dga", settings={"prior": "uniform", **QUIET})
    with pytest.raises(MethodError, match="at least 3 lists"):
        estimate(table.select(["BC", "DC"]), "dga", settings=QUIET)


# ---------------------------------------------------------------- what the result carries
def test_posterior_draws_and_samples():
    table = benchmark_table("spina_bifida")
    result = estimate(table, "dga", settings={"max_missing": "5n", "progress": False})
    N, p = posterior_of(result)
    assert np.all(np.diff(N) == 1) and N[0] >= table.n_observed
    trimmed = result.details["posterior_trimmed_mass"]
    assert 0 <= trimmed <= 2e-12 and abs(p.sum() - (1 - trimmed)) < 1e-12
    mean, sd = result.details["posterior_mean"], result.details["posterior_sd"]
    assert result.draws.kind == "posterior" and result.draws.size == 4000
    # evenly spaced quantiles: midpoint rule on the quantile function, error well under sd/100
    assert abs(result.draws.pooled.mean() - mean) < sd / 100 + 1
    draws = sample_posterior(N, p, 40_000, np.random.default_rng(3))
    assert abs(draws.mean() - mean) < 4 * sd / np.sqrt(40_000)  # Monte Carlo error, 4 standard errors


def test_top_graphs_and_model_text():
    result = estimate(benchmark_table("spina_bifida"), "dga", settings={"max_missing": "20n", **QUIET})
    graphs = result.details["top_graphs"]
    assert len(graphs) == 8 and graphs[0]["graph"] == "[BC][DC,MR]"
    assert abs(sum(g["probability"] for g in graphs) - 1) < 1e-12
    assert result.model.startswith(
        "average over all 8 decomposable graphical models; most probable [BC][DC,MR]"
    )


def test_adding_strata_exactly():
    rng = np.random.default_rng(0)
    parts = []
    for start, size in ((10, 5), (3, 7), (100, 1)):
        q = rng.random(size)
        parts.append((np.arange(start, start + size), q / q.sum()))
    N, p = add_posteriors(parts)
    brute = {}
    for (a, pa), (b, pb), (c, pc) in itertools.product(*[list(zip(*part)) for part in parts]):
        brute[a + b + c] = brute.get(a + b + c, 0.0) + pa * pb * pc
    assert N[0] == 113 and len(N) == 5 + 7 + 1 - 2
    assert np.allclose(p, [brute[x] for x in N], atol=1e-15)


def test_six_and_seven_lists():
    hare = estimate(benchmark_table("hare"), "dga", settings=QUIET)
    assert hare.details["graphs"] == 18_154
    assert 68 <= hare.ci_low <= hare.n_hat <= hare.ci_high
    rng = np.random.default_rng(11)
    x = rng.random((400, 7)) < 0.15
    seen = x.any(axis=1)
    pats, counts = np.unique(x[seen].astype(np.int8), axis=0, return_counts=True)
    table = CaptureTable.from_arrays(list("ABCDEFG"), pats, counts)
    seven = estimate(table, "dga", settings={"prior": "lognormal", **QUIET})
    assert seven.details["graphs"] == 617_675
    assert table.n_observed <= seven.ci_low <= seven.n_hat <= seven.ci_high
    # lists drawn independently: the independence graph and its near neighbours lead
    assert seven.details["top_graphs"][0]["graph"].count("[") >= 5


def test_weight_on_the_complete_graph_is_a_warning():
    """When the graph joining every list dominates, the unobserved count is the prior's.

    Under the complete graph the margin over all lists is saturated, so its
    marginal likelihood is flat in m and the posterior of N is the prior times
    N!/m!: a different prior gives a different answer. Three lists with a large
    all-three cell (the synthetic January 2022 deaths table) put nearly all
    posterior weight there under the log-normal prior; spina bifida does not.
    """
    heavy = CaptureTable.from_arrays(
        ["A", "B", "C"],
        [(1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 0), (1, 0, 1), (0, 1, 1), (1, 1, 1)],
        [32, 9, 20, 37, 53, 30, 123],
    )
    lognormal = estimate(heavy, "dga", settings={"prior": "lognormal", "max_missing": "20n", **QUIET})
    inv_n = estimate(heavy, "dga", settings={"prior": "invN", "max_missing": "20n", **QUIET})
    # HRDAG's log-normal prior concentrates the complete graph's marginal likelihood near
    # its own median (N about 3n), so that graph wins and the estimate is the prior's;
    # under 1/N the same graph spreads its mass thinly and loses to the simpler graphs
    assert lognormal.details["top_graphs"][0]["graph"] == "[A,B,C]"
    assert any(
        w.startswith("the graph that joins every list has posterior probability 1.00")
        for w in lognormal.warnings
    )
    assert not any("joins every list" in w for w in inv_n.warnings)
    assert lognormal.n_hat > 2 * inv_n.n_hat
    calm = estimate(benchmark_table("spina_bifida"), "dga", settings={"max_missing": "20n", **QUIET})
    assert not any("joins every list" in w for w in calm.warnings)


def test_the_other_graphs_band_is_zero_below_its_roundoff():
    """binned_by_graph's last row (all other graphs) is a difference of sums: where it is under
    OTHER_FLOOR of its bin it is roundoff and written as 0; above, the bands add up to the bin."""
    from undercount.estimators.dga import OTHER_FLOOR

    post = dga_posterior(benchmark_table("spina_bifida"), max_missing=400)
    for graphs in (1, 4):
        binned = post.binned_by_graph(graphs=graphs)
        probs = np.asarray(binned["probability"])
        assert len(binned["graphs"]) == graphs + 1 and binned["graphs"][-1] == "all other graphs"
        total, other = probs.sum(axis=0), probs[-1]
        assert np.all(other >= 0) and np.all((other == 0) | (other > OTHER_FLOOR * (total - other)))
        # what is dropped is at most the floor of each bin, and the kept bands are untouched
        rest = probs[:-1].sum(axis=0)
        exact = [
            post.p[lo - post.N[0] : hi - post.N[0] + 1].sum()
            for lo, hi in zip(binned["N_low"], binned["N_high"])
        ]
        assert np.all(np.abs(total - exact) <= OTHER_FLOOR * np.asarray(exact) + 1e-15)
        # the top graphs' own joint masses agree with the grid's to about 1e-11 (OTHER_FLOOR's note)
        assert np.all(rest <= np.asarray(exact) * (1 + 1e-10))
