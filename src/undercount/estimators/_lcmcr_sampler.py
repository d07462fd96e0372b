"""Numba kernel of the latent-class capture-recapture Gibbs sampler.

Private to :mod:`undercount.estimators.lcmcr`, which documents the model. This
module is imported only when the method runs, so that the registry (and every
command-line call) does not pay for importing numba.

The sampler works on the counts of the observed capture patterns, never on
individuals, so the cost of a sweep does not grow with the number of people:
the class membership of the ``y_c`` people with pattern ``c`` is a
multinomial draw, made as a chain of conditional binomial draws.

State of one chain (all arrays are updated in place):

``lam``, ``lam1m``  (J, K) capture probability of list j in class k, and its
                    complement (kept separately: 1 - lam loses digits near 1)
``logpi``, ``pi``   (K,) log class weights and weights
``alpha``           (1,) stick-breaking concentration
``z0``, ``n0``      (K,) unobserved people per class, (1,) their total
``cap_hits``        (1,) how often the unobserved count reached the safety cap

Random numbers come from a xoshiro256** state ``rng`` (see :mod:`._random`),
so a chain is reproducible from its seed, and chains seeded from
``SeedSequence.spawn`` are independent streams.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._random import binomial, gamma, log_gamma, poisson, uniform

#: Multinomial draws switch from conditional binomials to one categorical
#: draw per person once at most this many people are left to place.
_SMALL_CELL = 8

#: Redraws of the unobserved count above the cap before it is clamped there.
_CAP_REDRAWS = 50


@njit(cache=True, error_model="numpy")
def _pattern_probabilities(lam, lam1m, pi, table):
    """``table[p, k] = pi_k * prod_j P(pattern p on list j | class k)``.

    Patterns are bit masks (bit j set = on list j); built one list at a time,
    with products of probabilities only, so nothing underflows that the true
    value would not.
    """
    J, K = lam.shape
    for k in range(K):
        table[0, k] = pi[k]
    size = 1
    for j in range(J):
        for p in range(size):
            for k in range(K):
                base = table[p, k]
                table[p + size, k] = base * lam[j, k]
                table[p, k] = base * lam1m[j, k]
        size *= 2


@njit(cache=True, error_model="numpy")
def _sorted_classes(pi, order):
    """Class indices by decreasing weight (insertion sort; K is small).

    The multinomial draws visit heavy classes first so that they stop as soon
    as every person of a cell is placed.
    """
    K = pi.shape[0]
    for k in range(K):
        order[k] = k
    for i in range(1, K):
        cur = order[i]
        w = pi[cur]
        j = i - 1
        while j >= 0 and pi[order[j]] < w:
            order[j + 1] = order[j]
            j -= 1
        order[j + 1] = cur


@njit(cache=True, error_model="numpy")
def _multinomial_into(rng, total, weights, order, tail, out):
    """Add a Multinomial(total, weights / sum) draw to ``out`` (weights unnormalised).

    Classes are visited in ``order`` (heaviest first). While many people are
    left, the count of the next class is a binomial draw conditional on the
    people left; once at most ``_SMALL_CELL`` are left, each of them draws
    their class among the remaining ones (one uniform per person), which is
    cheaper than several binomial draws. Both are exact.

    Returns False when the weights carry no mass (all zero or not finite).
    """
    K = weights.shape[0]
    acc = 0.0
    for i in range(K - 1, -1, -1):
        acc += weights[order[i]]
        tail[i] = acc
    if not (acc > 0.0) or not np.isfinite(acc):
        return False
    left = total
    for i in range(K):
        if left == 0:
            break
        k = order[i]
        if i == K - 1:
            out[k] += left
            break
        if left <= _SMALL_CELL:
            # categorical draws among classes i..K-1: a person lands in class
            # r when tail[r + 1] < u <= tail[r] (tails decrease along the order)
            for _ in range(left):
                u = uniform(rng) * tail[i]
                r = i
                while r < K - 1 and u <= tail[r + 1]:
                    r += 1
                out[order[r]] += 1
            break
        x = binomial(rng, left, weights[k] / tail[i])
        out[k] += x
        left -= x
    return True


@njit(cache=True, error_model="numpy")
def _log_space_weights(lam, lam1m, logpi, bits, J, w):
    """Class weights of one pattern computed on the log scale, rescaled to max 1."""
    K = logpi.shape[0]
    top = -np.inf
    for k in range(K):
        s = logpi[k]
        for j in range(J):
            if (bits >> j) & 1:
                s += np.log(lam[j, k])
            else:
                s += np.log(lam1m[j, k])
        w[k] = s
        if s > top:
            top = s
    for k in range(K):
        w[k] = np.exp(w[k] - top) if np.isfinite(top) else 1.0


@njit(cache=True, error_model="numpy")
def step_observed(rng, bits, y, lam, lam1m, logpi, pi, table, order, w, tail, cell, nk, m):
    """Step 1: classes of the observed people, cell by cell (multinomial per cell).

    Leaves the people per class in ``nk`` and, per list and class, those on
    the list in ``m``.
    """
    J, K = lam.shape
    _pattern_probabilities(lam, lam1m, pi, table)
    _sorted_classes(pi, order)
    nk[:] = 0
    m[:, :] = 0
    for c in range(bits.shape[0]):
        b = bits[c]
        for k in range(K):
            w[k] = table[b, k]
        cell[:] = 0
        if not _multinomial_into(rng, y[c], w, order, tail, cell):
            _log_space_weights(lam, lam1m, logpi, b, J, w)
            _multinomial_into(rng, y[c], w, order, tail, cell)
        for k in range(K):
            x = cell[k]
            if x > 0:
                nk[k] += x
                for j in range(J):
                    if (b >> j) & 1:
                        m[j, k] += x


@njit(cache=True, error_model="numpy")
def step_unobserved(rng, n, cap, table, order, w, tail, z0, n0, cap_hits):
    """Step 2: the number of people on no list, then their classes.

    ``table`` holds pi_k P(pattern | class k) for the current parameters (as
    left by :func:`step_observed`). With the prior p(N) proportional to 1/N,
    the unobserved count given the parameters is negative binomial: the
    failures before the n-th success, success probability 1 - p0, where p0 =
    sum_k table[0, k] is the probability of being on no list. It is drawn as
    a Poisson whose mean is Gamma(n, p0 / (1 - p0)), redrawn when above
    ``cap`` and clamped there (counted in ``cap_hits``) after ``_CAP_REDRAWS``
    tries. 1 - p0 is summed over the observable patterns, never computed as a
    difference, so it keeps its digits when almost no one is observable. The
    classes of the unobserved are multinomial, proportional to table[0, k].
    """
    P, K = table.shape
    p0 = 0.0
    q = 0.0
    for k in range(K):
        p0 += table[0, k]
        w[k] = table[0, k]
    for p in range(1, P):
        for k in range(K):
            q += table[p, k]
    if q <= 0.0:
        draw = cap
        cap_hits[0] += 1
    else:
        scale = p0 / q
        draw = cap + 1
        for _ in range(_CAP_REDRAWS):
            g = gamma(rng, float(n)) * scale
            if g > 4.0 * cap:
                continue
            draw = poisson(rng, g)
            if draw <= cap:
                break
        if draw > cap:
            draw = cap
            cap_hits[0] += 1
    n0[0] = draw
    z0[:] = 0
    if draw > 0 and not _multinomial_into(rng, draw, w, order, tail, z0):
        # no class has a representable probability of being unseen: spread
        # evenly (only reachable when the cap was forced by q == 0)
        for k in range(K):
            w[k] = 1.0
        _multinomial_into(rng, draw, w, order, tail, z0)


@njit(cache=True, error_model="numpy")
def step_lambda(rng, nk, z0, m, lam, lam1m):
    """Step 3: capture probabilities, Beta(1 + on list j, 1 + not on list j) per class.

    The people not on list j include the unobserved of the class. Drawn as
    two gamma variates, so that lam and 1 - lam both keep full precision.
    """
    J, K = lam.shape
    for k in range(K):
        total = nk[k] + z0[k]
        for j in range(J):
            if total == 0:  # Beta(1, 1)
                u = uniform(rng)
                lam[j, k] = u
                lam1m[j, k] = 1.0 - u
                continue
            ga = gamma(rng, 1.0 + m[j, k])
            gb = gamma(rng, 1.0 + (total - m[j, k]))
            s = ga + gb
            lam[j, k] = ga / s
            lam1m[j, k] = gb / s


@njit(cache=True, error_model="numpy")
def step_weights(rng, nk, z0, alpha, logpi, pi):
    """Step 4: stick-breaking weights, V_k ~ Beta(1 + n_k, alpha + sum_{l>k} n_l).

    Kept on the log scale (log-gamma draws), since a weight can be far below
    the smallest double when alpha is small.
    """
    K = pi.shape[0]
    above = 0
    for k in range(K):
        above += nk[k] + z0[k]
    acc = 0.0
    for k in range(K - 1):
        size = nk[k] + z0[k]
        above -= size
        b = alpha[0] + above
        if size == 0:
            # Beta(1, b): 1 - V = U**(1/b) exactly, one uniform
            log1m_v = np.log(uniform(rng)) / b
            log_v = np.log(-np.expm1(log1m_v))
        else:
            la = log_gamma(rng, 1.0 + size)
            lb = log_gamma(rng, b)
            top = la if la > lb else lb
            lse = top + np.log(np.exp(la - top) + np.exp(lb - top))
            log_v = la - lse
            log1m_v = lb - lse
        logpi[k] = acc + log_v
        acc += log1m_v
    logpi[K - 1] = acc
    for k in range(K):
        pi[k] = np.exp(logpi[k])


@njit(cache=True, error_model="numpy")
def step_alpha(rng, a_alpha, b_alpha, logpi, alpha):
    """Step 5: concentration, Gamma(a + K - 1, rate b - log pi_K)."""
    K = logpi.shape[0]
    alpha[0] = gamma(rng, a_alpha + K - 1.0) / (b_alpha - logpi[K - 1])


@njit(cache=True, error_model="numpy")
def sweeps(
    rng,
    bits,
    y,
    n,
    a_alpha,
    b_alpha,
    cap,
    lam,
    lam1m,
    logpi,
    pi,
    alpha,
    z0,
    n0,
    cap_hits,
    n_sweeps,
    record_every,
    out_n0,
    out_alpha,
    out_offset,
):
    """Run ``n_sweeps`` Gibbs sweeps; every ``record_every``-th one is recorded.

    Parameters (beyond the chain state described in the module docstring)
    ----------
    bits, y
        Observed patterns as bit masks and their counts (zero counts excluded).
    n
        Number of people observed.
    cap
        Safety cap of the unobserved count.
    out_n0, out_alpha, out_offset
        Recorded unobserved counts and concentrations are written from
        ``out_offset`` on (``record_every = 0`` records nothing).

    Returns
    -------
    int
        Number of draws written.
    """
    J, K = lam.shape
    table = np.empty((1 << J, K))
    w = np.empty(K)
    tail = np.empty(K)
    order = np.empty(K, dtype=np.int64)
    nk = np.empty(K, dtype=np.int64)
    m = np.empty((J, K), dtype=np.int64)
    cell = np.empty(K, dtype=np.int64)
    written = 0
    for sweep in range(n_sweeps):
        step_observed(rng, bits, y, lam, lam1m, logpi, pi, table, order, w, tail, cell, nk, m)
        step_unobserved(rng, n, cap, table, order, w, tail, z0, n0, cap_hits)
        step_lambda(rng, nk, z0, m, lam, lam1m)
        step_weights(rng, nk, z0, alpha, logpi, pi)
        step_alpha(rng, a_alpha, b_alpha, logpi, alpha)
        if record_every > 0 and (sweep + 1) % record_every == 0:
            out_n0[out_offset + written] = n0[0]
            out_alpha[out_offset + written] = alpha[0]
            written += 1
    return written
