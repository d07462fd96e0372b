"""Scalar special functions, a bounded minimiser and a root finder, on the standard library only.

A whole ``undercount estimate --method mt`` process used to import scipy for
five scalar functions (``chdtrc``, ``gammaln``, ``ndtri``, ``xlogy``, and
``scipy.optimize``'s ``minimize_scalar`` and ``brentq`` for the profile
interval); scipy's import alone cost 0.15-0.25 CPU seconds. This module does
the same from the mathematics:

* :func:`xlogy` is ``x * log(y)`` with ``0 log 0 = 0``: the same double as
  scipy's (both call the C library's ``log``).
* :func:`lgamma` is :func:`math.lgamma` (the C library's); scipy's
  ``gammaln`` is Cephes' series. They agree to about 1e-16 relative for
  arguments above 13 and to a few units in the last place below (about half
  the values are the same double).
* :func:`normal_quantile` solves ``erfc(z / sqrt 2) / 2 = 1 - p`` by
  Halley's method from Abramowitz and Stegun's 26.2.23 start (``statistics``
  would do, but its import costs 10-20 ms, a tenth of the whole process);
  scipy's ``ndtri`` is Cephes'. They differ by a unit or two in the last
  place.
* :func:`chi2_sf` is the chi-square survival function for whole degrees of
  freedom in closed form: for ``df = 2m``,
  ``exp(-x/2) sum_{j<m} (x/2)^j / j!``; for ``df = 2m + 1``,
  ``erfc(sqrt(x/2)) + exp(-x/2) sum_{j=1..m} (x/2)^(j-1/2) / Gamma(j+1/2)``.
  Each term is formed in logarithms, so nothing overflows; relative
  differences from scipy's ``chdtrc`` are at rounding level (measured in
  ``tests/estimators/test_scalar.py``).
* :func:`minimize_bounded` is Brent's (1973, ch. 5) golden-section search
  with parabolic interpolation on a closed interval, with the stopping rule
  ``|x - m| <= 2 tol - (b - a)/2``, ``tol = sqrt(2.2e-16) |x| + xatol/3``;
  :func:`find_root` is Brent's bracketing root finder (1973, ch. 4) in the
  form that interpolates through the bracket's far end and the previous
  iterate, stopping when the half-bracket is below ``(xtol + rtol |x|)/2``.
  These are the rules scipy's ``minimize_scalar(method="bounded")`` and
  ``brentq`` use, so that the profile interval's ends are the ones the
  earlier scipy-based code gave: fed the same function, both give the same
  doubles (checked in the tests against scipy).

Reference: Brent, R. P. (1973). Algorithms for Minimization without
Derivatives. Prentice-Hall, chapters 4 and 5.
"""

from __future__ import annotations

import math
from collections.abc import Callable

#: sqrt of the machine epsilon in the minimiser's relative tolerance, as 2.2e-16 (the value
#: scipy's bounded minimiser takes), so that its iterations stop where the earlier code's did.
_SQRT_EPS = math.sqrt(2.2e-16)
#: (3 - sqrt 5) / 2: the golden-section fraction.
_GOLDEN = 0.5 * (3.0 - math.sqrt(5.0))
_SQRT2 = math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)

lgamma = math.lgamma


def xlogy(x: float, y: float) -> float:
    """``x * log(y)``, 0 when ``x`` is 0."""
    if x == 0:
        return 0.0
    return x * math.log(y)


def normal_quantile(p: float) -> float:
    """The standard normal quantile at ``p`` in (0, 1)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"normal_quantile needs 0 < p < 1, got {p}")
    if p == 0.5:
        return 0.0
    tail = 1.0 - p if p > 0.5 else p  # exact for p in [0.5, 1) (Sterbenz)
    # Abramowitz and Stegun 26.2.23: absolute error below 4.5e-4
    t = math.sqrt(-2.0 * math.log(tail))
    z = t - (2.515517 + t * (0.802853 + t * 0.010328)) / (
        1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308))
    )
    centre = p - 0.5 if p > 0.5 else 0.5 - p  # 0.5 - tail, exact for p in [0.25, 0.75]
    for _ in range(8):
        # Halley's step on Q(z) - tail, Q the upper tail 0.5 erfc(z / sqrt 2), Q' = -phi, Q'' = z phi;
        # near the centre Q(z) - tail is formed as centre - erf(z / sqrt 2) / 2, without cancellation
        if tail > 0.25:
            gap = centre - 0.5 * math.erf(z / _SQRT2)
        else:
            gap = 0.5 * math.erfc(z / _SQRT2) - tail
        r = gap / (math.exp(-0.5 * z * z) / _SQRT_2PI)
        dz = r / (1.0 + 0.5 * z * r)
        z += dz
        if abs(dz) <= 1e-17 * abs(z):
            break
    return z if p > 0.5 else -z


def chi2_sf(df: int, x: float) -> float:
    """``P(X > x)`` for X chi-square on ``df`` (a whole number >= 1) degrees of freedom."""
    if df < 1 or int(df) != df:
        raise ValueError(f"chi2_sf needs whole degrees of freedom >= 1, got {df}")
    df = int(df)
    if x <= 0:
        return 1.0
    if math.isinf(x):
        return 0.0
    h = 0.5 * x
    log_h = math.log(h)
    m = df // 2
    if df % 2 == 0:
        terms = [math.exp(-h + j * log_h - math.lgamma(j + 1.0)) for j in range(m)]
        return math.fsum(terms)
    terms = [math.erfc(math.sqrt(h))]
    terms += [math.exp(-h + (j - 0.5) * log_h - math.lgamma(j + 0.5)) for j in range(1, m + 1)]
    return math.fsum(terms)


def minimize_bounded(
    f: Callable[[float], float], a: float, b: float, xatol: float, max_evaluations: int = 500
) -> tuple[float, float]:
    """``(x, f(x))`` at a local minimum of ``f`` on ``[a, b]`` (Brent's method)."""
    if not a < b:
        raise ValueError(f"minimize_bounded needs a < b, got {a} and {b}")
    x = v = w = a + _GOLDEN * (b - a)
    fx = f(x)
    fv = fw = fx
    d = e = 0.0
    evaluations = 1
    m = 0.5 * (a + b)
    tol = _SQRT_EPS * abs(x) + xatol / 3.0
    tol2 = 2.0 * tol
    while abs(x - m) > tol2 - 0.5 * (b - a):
        golden = True
        if abs(e) > tol:  # try a parabola through x, v, w
            r = (x - w) * (fx - fv)
            q = (x - v) * (fx - fw)
            p = (x - v) * q - (x - w) * r
            q = 2.0 * (q - r)
            if q > 0.0:
                p = -p
            q = abs(q)
            e_before = e
            e = d
            if abs(p) < abs(0.5 * q * e_before) and q * (a - x) < p < q * (b - x):
                d = p / q
                u = x + d
                golden = False
                if (u - a) < tol2 or (b - u) < tol2:  # not too near an end
                    d = tol if m - x >= 0 else -tol
        if golden:
            e = (a - x) if x >= m else (b - x)
            d = _GOLDEN * e
        step = max(abs(d), tol)
        u = x + (step if d >= 0 else -step)
        fu = f(u)
        evaluations += 1
        if fu <= fx:
            if u >= x:
                a = x
            else:
                b = x
            v, fv = w, fw
            w, fw = x, fx
            x, fx = u, fu
        else:
            if u < x:
                a = u
            else:
                b = u
            if fu <= fw or w == x:
                v, fv = w, fw
                w, fw = u, fu
            elif fu <= fv or v == x or v == w:
                v, fv = u, fu
        m = 0.5 * (a + b)
        tol = _SQRT_EPS * abs(x) + xatol / 3.0
        tol2 = 2.0 * tol
        if evaluations >= max_evaluations:
            break
    return x, fx


def find_root(
    f: Callable[[float], float], a: float, b: float, xtol: float, rtol: float, max_iter: int = 100
) -> float:
    """A root of ``f`` in ``[a, b]``, where ``f(a)`` and ``f(b)`` differ in sign (Brent's method)."""
    x_prev, x = a, b
    f_prev, fx = f(x_prev), f(x)
    if f_prev * fx > 0:
        raise ValueError(f"find_root needs a sign change on [{a}, {b}]: f = {f_prev} and {fx}")
    if f_prev == 0:
        return x_prev
    if fx == 0:
        return x
    x_far = f_far = step_prev = step = 0.0
    for _ in range(max_iter):
        if f_prev != 0 and fx != 0 and (math.copysign(1.0, f_prev) != math.copysign(1.0, fx)):
            x_far, f_far = x_prev, f_prev  # the far end of the bracket
            step_prev = step = x - x_prev
        if abs(f_far) < abs(fx):  # keep x the better end
            x_prev, x, x_far = x, x_far, x
            f_prev, fx, f_far = fx, f_far, fx
        delta = (xtol + rtol * abs(x)) / 2.0
        half = (x_far - x) / 2.0
        if fx == 0 or abs(half) < delta:
            return x
        if abs(step_prev) > delta and abs(fx) < abs(f_prev):
            if x_prev == x_far:  # secant through the two points known
                trial = -fx * (x - x_prev) / (fx - f_prev)
            else:  # inverse quadratic interpolation through x, x_prev and x_far
                d_prev = (f_prev - fx) / (x_prev - x)
                d_far = (f_far - fx) / (x_far - x)
                trial = -fx * (f_far * d_far - f_prev * d_prev) / (d_far * d_prev * (f_far - f_prev))
            if 2.0 * abs(trial) < min(abs(step_prev), 3.0 * abs(half) - delta):
                step_prev, step = step, trial
            else:
                step_prev = step = half
        else:
            step_prev = step = half
        x_prev, f_prev = x, fx
        if abs(step) > delta:
            x += step
        else:
            x += delta if half > 0 else -delta
        fx = f(x)
    raise ArithmeticError(f"find_root did not converge in {max_iter} iterations on [{a}, {b}]")
