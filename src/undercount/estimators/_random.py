"""Random variates for numba kernels: xoshiro256** and the draws a Gibbs sampler needs.

Numba can call a :class:`numpy.random.Generator` from compiled code, but every
draw then goes through a function pointer and NumPy's general-purpose
algorithms; a latent-class sweep makes hundreds of small draws, and these cost
more than the arithmetic around them. This module keeps the generator state in
a ``uint64[4]`` array and implements each distribution from its textbook
algorithm, inlined into the kernel:

- bits: xoshiro256** (Blackman & Vigna 2021, ACM TOMS 47:36), seeded from
  :class:`numpy.random.SeedSequence`, so chains spawned from one seed are
  independent streams;
- uniform on the open interval (0, 1), 53 random bits;
- standard normal: Marsaglia's polar method;
- gamma, shape >= 1: Marsaglia & Tsang (2000, ACM TOMS 26:363); shape < 1 by
  ``Gamma(a) = Gamma(a + 1) * U**(1/a)``, also available on the log scale for
  shapes so small that the draw underflows;
- binomial: inversion (sequential search) when the mean is small, otherwise
  Hormann's (1993) transformed rejection with squeeze, BTRS (J. Stat. Comput.
  Simul. 46:101);
- Poisson: inversion for small means, Hormann's (1993) PTRS otherwise
  (Insurance Math. Econom. 12:39);
- log-factorials from a table, Stirling's series beyond it.

Every distribution is checked against its exact law in
``tests/estimators/test_random.py``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_U64 = np.uint64
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_N_LOGFACT = 256
#: Whole shapes up to this are drawn as sums of exponentials (one log).
_SMALL_INTEGER_SHAPE = 8.0
#: log(k!) for k < 256; Stirling's series (error < 1e-15 there) beyond.
LOG_FACTORIAL = np.array([math.lgamma(k + 1.0) for k in range(_N_LOGFACT)])


def seed_state(seed_sequence: np.random.SeedSequence) -> np.ndarray:
    """A xoshiro256** state (four 64-bit words, not all zero) from a seed sequence."""
    state = seed_sequence.generate_state(4, dtype=np.uint64)
    if not state.any():  # the one forbidden state; probability 2**-256
        state[0] = 1
    return state


@njit(cache=True, error_model="numpy", inline="always")
def _rotl(x, k):
    return (x << _U64(k)) | (x >> _U64(64 - k))


@njit(cache=True, error_model="numpy", inline="always")
def next_u64(s):
    """Next 64-bit output of xoshiro256**; advances ``s`` in place."""
    s0 = s[0]
    s1 = s[1]
    s2 = s[2]
    s3 = s[3]
    result = _rotl(s1 * _U64(5), 7) * _U64(9)
    t = s1 << _U64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    s[0] = s0
    s[1] = s1
    s[2] = s2
    s[3] = s3
    return result


@njit(cache=True, error_model="numpy", inline="always")
def uniform(s):
    """Uniform on (0, 1): never exactly 0 or 1, so its log is always finite."""
    return (float(next_u64(s) >> _U64(11)) + 0.5) * (1.0 / 9007199254740992.0)


@njit(cache=True, error_model="numpy", inline="always")
def normal(s):
    """Standard normal (Marsaglia's polar method, one of the pair kept)."""
    while True:
        u = 2.0 * uniform(s) - 1.0
        v = 2.0 * uniform(s) - 1.0
        r = u * u + v * v
        if 0.0 < r < 1.0:
            return u * math.sqrt(-2.0 * math.log(r) / r)


@njit(cache=True, error_model="numpy")
def _gamma_mt(s, shape):
    """Gamma(shape, 1) for shape >= 1 (Marsaglia & Tsang)."""
    d = shape - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        x = normal(s)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        u = uniform(s)
        x2 = x * x
        if u < 1.0 - 0.0331 * x2 * x2:
            return d * v
        if math.log(u) < 0.5 * x2 + d * (1.0 - v + math.log(v)):
            return d * v


@njit(cache=True, error_model="numpy")
def gamma(s, shape):
    """Gamma(shape, 1) for shape > 0 (may underflow to 0 for tiny shapes: see log_gamma)."""
    if shape <= _SMALL_INTEGER_SHAPE and shape == math.floor(shape) and shape >= 1.0:
        # Gamma(k) for whole k is a sum of k exponentials: -log(U_1 ... U_k)
        prod = uniform(s)
        for _ in range(int(shape) - 1):
            prod *= uniform(s)
        return -math.log(prod)
    if shape > 1.0:
        return _gamma_mt(s, shape)
    return _gamma_mt(s, shape + 1.0) * math.exp(math.log(uniform(s)) / shape)


@njit(cache=True, error_model="numpy")
def log_gamma(s, shape):
    """log of a Gamma(shape, 1) draw, finite even when the draw itself underflows."""
    if shape >= 1.0:
        return math.log(gamma(s, shape))
    return math.log(_gamma_mt(s, shape + 1.0)) + math.log(uniform(s)) / shape


@njit(cache=True, error_model="numpy")
def log_factorial(k):
    """log(k!) for integer k >= 0."""
    if k < _N_LOGFACT:
        return LOG_FACTORIAL[k]
    x = float(k) + 1.0
    x2 = x * x
    return (
        (x - 0.5) * math.log(x)
        - x
        + _LOG_SQRT_2PI
        + (1.0 / 12.0 - (1.0 / 360.0 - 1.0 / (1260.0 * x2)) / x2) / x
    )


@njit(cache=True, error_model="numpy")
def _binomial_inversion(s, n, p):
    """Binomial(n, p), p <= 1/2, by sequential search from 0 (mean small)."""
    q = 1.0 - p
    ratio = p / q
    while True:
        prob = math.exp(n * math.log1p(-p))
        u = uniform(s)
        k = 0
        while u > prob:
            u -= prob
            k += 1
            if k > n:
                break
            prob *= ratio * (n - k + 1) / k
        if k <= n:
            return k
        # rounding left mass unaccounted (u beyond the summed pmf): draw again


@njit(cache=True, error_model="numpy")
def _binomial_btrs(s, n, p):
    """Binomial(n, p), p <= 1/2, n p >= 10: Hormann's transformed rejection (BTRS)."""
    q = 1.0 - p
    spq = math.sqrt(n * p * q)
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    vr = 0.92 - 4.2 / b
    alpha = (2.83 + 5.1 / b) * spq
    lpq = math.log(p / q)
    m = int(math.floor((n + 1) * p))
    h = log_factorial(m) + log_factorial(n - m)
    while True:
        u = uniform(s) - 0.5
        v = uniform(s)
        us = 0.5 - abs(u)
        k = int(math.floor((2.0 * a / us + b) * u + c))
        if k < 0 or k > n:
            continue
        if us >= 0.07 and v <= vr:
            return k
        v = math.log(v * alpha / (a / (us * us) + b))
        if v <= h - log_factorial(k) - log_factorial(n - k) + (k - m) * lpq:
            return k


@njit(cache=True, error_model="numpy")
def binomial(s, n, p):
    """Binomial(n, p) for integer n >= 0 and 0 <= p <= 1."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if p > 0.5:
        return n - binomial(s, n, 1.0 - p)
    if n * p < 10.0:
        return _binomial_inversion(s, n, p)
    return _binomial_btrs(s, n, p)


@njit(cache=True, error_model="numpy")
def poisson(s, lam):
    """Poisson(lam) for 0 <= lam < 2**62."""
    if lam <= 0.0:
        return 0
    if lam < 10.0:
        prob = math.exp(-lam)
        u = uniform(s)
        k = 0
        while u > prob:
            u -= prob
            k += 1
            prob *= lam / k
            if prob == 0.0:  # rounding exhausted the pmf: start again
                prob = math.exp(-lam)
                u = uniform(s)
                k = 0
        return k
    slam = math.sqrt(lam)
    loglam = math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    while True:
        u = uniform(s) - 0.5
        v = uniform(s)
        us = 0.5 - abs(u)
        k = int(math.floor((2.0 * a / us + b) * u + lam + 0.43))
        if us >= 0.07 and v <= vr:
            return k
        if k < 0 or (us < 0.013 and v > us):
            continue
        if math.log(v * inv_alpha / (a / (us * us) + b)) <= -lam + k * loglam - log_factorial(k):
            return k


# ------------------------------------------------- arrays of draws (for tests)
@njit(cache=True, error_model="numpy")
def draw_many(s, kind, size, a, b):
    """``size`` draws of one distribution, for checking it against its law.

    ``kind``: 0 uniform, 1 normal, 2 gamma(a), 3 log_gamma(a), 4 binomial(int(a), b),
    5 poisson(a).
    """
    out = np.empty(size)
    for i in range(size):
        if kind == 0:
            out[i] = uniform(s)
        elif kind == 1:
            out[i] = normal(s)
        elif kind == 2:
            out[i] = gamma(s, a)
        elif kind == 3:
            out[i] = log_gamma(s, a)
        elif kind == 4:
            out[i] = binomial(s, np.int64(a), b)
        else:
            out[i] = poisson(s, a)
    return out
