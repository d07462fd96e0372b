"""Convergence diagnostics of Markov chains: split-R-hat and effective sample size.

Implements the rank-normalised diagnostics of Vehtari, Gelman, Simpson,
Carpenter and Burkner (2021), "Rank-normalization, folding, and localization:
an improved R-hat for assessing convergence of MCMC", Bayesian Analysis 16(2),
667-718 (sections 3 and 4, with the effective-sample-size estimator of their
section 3.2, Geyer's initial monotone sequence):

- every chain is split in two halves, so that a chain that drifts disagrees
  with itself;
- draws are replaced by the normal scores of their ranks over all chains
  (``rank_normalize``), so that the diagnostics exist for heavy-tailed
  posteriors (a posterior of N often has no finite variance);
- R-hat is the larger of the R-hat of the rank-normalised draws (location)
  and of the rank-normalised distances from the median (``folded``, scale);
- bulk ESS is the ESS of the rank-normalised split chains; tail ESS the
  smaller ESS of the indicators of the 5% and 95% quantiles.

All functions take ``draws`` shaped ``(chains, iterations)``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtri

#: Thresholds recommended by Vehtari et al. (2021): R-hat below 1.01 and a
#: bulk ESS of at least 100 per chain (400 for four chains).
RHAT_THRESHOLD = 1.01
ESS_THRESHOLD = 400


def _as_chains(draws) -> np.ndarray:
    x = np.asarray(draws, dtype=float)
    if x.ndim == 1:
        x = x[np.newaxis, :]
    if x.ndim != 2:
        raise ValueError("draws must be shaped (chains, iterations)")
    return x


def split_chains(draws) -> np.ndarray:
    """Each chain cut into its first and second half (the middle draw of an odd chain dropped)."""
    x = _as_chains(draws)
    half = x.shape[1] // 2
    return np.concatenate([x[:, :half], x[:, x.shape[1] - half :]], axis=0)


def rank_normalize(draws) -> np.ndarray:
    """Normal scores of the pooled ranks: ``Phi^-1((r - 3/8) / (S + 1/4))``, ties averaged."""
    x = _as_chains(draws)
    from scipy.stats import rankdata  # scipy.stats takes 0.6 s to import: only when diagnosing

    ranks = rankdata(x, method="average").reshape(x.shape)
    return ndtri((ranks - 0.375) / (x.size + 0.25))


def _rhat_basic(x: np.ndarray) -> float:
    """Potential scale reduction of chains ``x`` (no splitting, no ranks)."""
    m, n = x.shape
    if m < 2 or n < 2:
        return math.nan
    within = float(np.mean(np.var(x, axis=1, ddof=1)))
    between_over_n = float(np.var(np.mean(x, axis=1), ddof=1))
    if within <= 0.0:
        return math.nan
    var_plus = (n - 1) / n * within + between_over_n
    return math.sqrt(var_plus / within)


def rhat(draws) -> float:
    """Rank-normalised split-R-hat: the larger of the bulk and the folded (tail) R-hat.

    NaN when there are fewer than two iterations per half-chain or every draw is equal.
    """
    x = _as_chains(draws)
    if x.shape[1] < 4 or np.all(x == x.flat[0]):
        return math.nan
    split = split_chains(x)
    bulk = _rhat_basic(rank_normalize(split))
    folded = _rhat_basic(rank_normalize(np.abs(split - np.median(x))))
    return max(bulk, folded)


def _autocovariance(x: np.ndarray) -> np.ndarray:
    """Biased (divide by n) autocovariances of each chain at lags 0..n-1, by FFT."""
    m, n = x.shape
    centred = x - x.mean(axis=1, keepdims=True)
    size = 1 << (2 * n - 1).bit_length()
    spectrum = np.fft.rfft(centred, n=size, axis=1)
    acov = np.fft.irfft(spectrum * np.conjugate(spectrum), n=size, axis=1)[:, :n]
    return acov / n


def ess(draws) -> float:
    """Effective sample size of ``draws`` as given (no splitting, no ranks).

    ``tau = -1 + 2 sum_t' P_t'`` over Geyer's (1992) initial positive, monotone
    sequence of pair sums ``P_t' = rho_2t' + rho_2t'+1`` of the combined
    autocorrelations ``rho_t = 1 - (W - mean_m acov_m(t)) / var_plus``; ESS is
    ``chains * iterations / tau``, at most ``S log10(S)`` (Vehtari et al. 2021,
    eq. 10-11). NaN when every draw is equal.
    """
    x = _as_chains(draws)
    m, n = x.shape
    if n < 4:
        return math.nan
    acov = _autocovariance(x)
    chain_var = acov[:, 0] * n / (n - 1)
    within = float(chain_var.mean())
    var_plus = within * (n - 1) / n
    if m > 1:
        var_plus += float(np.var(x.mean(axis=1), ddof=1))
    if not var_plus > 0.0:
        return math.nan
    rho = 1.0 - (within - acov.mean(axis=0)) / var_plus
    rho[0] = 1.0
    pairs = rho[: 2 * (n // 2)].reshape(-1, 2).sum(axis=1)
    negative = np.flatnonzero(pairs < 0.0)
    pairs = pairs[: negative[0]] if negative.size else pairs
    pairs = np.minimum.accumulate(pairs)
    tau = -1.0 + 2.0 * float(pairs.sum())
    total = m * n
    tau = max(tau, 1.0 / math.log10(total))
    return total / tau


def ess_bulk(draws) -> float:
    """Bulk effective sample size: ESS of the rank-normalised split chains."""
    x = _as_chains(draws)
    if x.shape[1] < 8 or np.all(x == x.flat[0]):
        return math.nan
    return ess(rank_normalize(split_chains(x)))


def ess_tail(draws) -> float:
    """Tail effective sample size: the smaller ESS of the 5% and 95% quantile indicators."""
    x = _as_chains(draws)
    if x.shape[1] < 8 or np.all(x == x.flat[0]):
        return math.nan
    split = split_chains(x)
    values = []
    for q in (0.05, 0.95):
        indicator = (split <= np.quantile(x, q)).astype(float)
        values.append(ess(indicator))
    finite = [v for v in values if math.isfinite(v)]
    return min(finite) if finite else math.nan


def mcse_quantile(draws, prob: float) -> float:
    """Monte Carlo standard error of the ``prob`` quantile (Vehtari et al. 2021, section 4.3).

    From the ESS of the indicator ``draws <= q``: a beta interval for the
    probability of the quantile, mapped back through the pooled draws to a
    +-1 sd interval on the draws' scale, half its width.
    """
    from scipy.stats import beta

    x = _as_chains(draws)
    pooled = np.sort(x.ravel())
    split = split_chains(x)
    q = np.quantile(pooled, prob)
    n_eff = ess((split <= q).astype(float))
    if not math.isfinite(n_eff):
        return math.nan
    a = beta.ppf(0.158655, n_eff * prob + 1, n_eff * (1 - prob) + 1)
    b = beta.ppf(0.841345, n_eff * prob + 1, n_eff * (1 - prob) + 1)
    size = pooled.size
    lo = pooled[min(max(int(math.floor(a * size)), 0), size - 1)]
    hi = pooled[min(max(int(math.ceil(b * size)), 0), size - 1)]
    return float(hi - lo) / 2.0
