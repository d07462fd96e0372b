"""Bayesian non-parametric latent-class capture-recapture (LCMCR).

The model of Manrique-Vallier (2016), the one behind most of HRDAG's published
estimates. Heterogeneity of capture (some people are far more likely to be
documented than others, and by the same lists) is absorbed by latent classes
instead of being chosen as a model:

- each person belongs to a latent class ``z`` in 1..K;
- given the class, being on list j is Bernoulli(``lambda_jk``), independently
  across lists (all dependence between lists comes from the mixing);
- class weights follow a truncated stick-breaking (Dirichlet process) prior,
  ``V_k ~ Beta(1, alpha)``, ``pi_k = V_k prod_{l<k} (1 - V_l)``, with
  ``alpha ~ Gamma(a_alpha, b_alpha)`` (shape, rate), so that classes the data
  do not need stay empty; K is an upper bound, not a choice;
- ``lambda_jk ~ Beta(1, 1)``;
- ``p(N)`` proportional to ``1/N`` (improper), which makes the number of
  people on no list, given the parameters, negative binomial.

The Gibbs sampler works on the counts of the capture patterns, never on
individuals, so a sweep costs the same for 100 or 100,000 people. Each sweep
draws, in turn and each from its exact conditional: the classes of the
observed people (a multinomial per pattern), the number unobserved and their
classes, the capture probabilities, the class weights, and alpha. There is no
proposal to accept or reject.

Assumptions: a closed population (everyone in N could have been documented,
no one counted twice or wrongly linked), lists independent *within* each latent
class, and enough lists (four or more) for the classes to be learnt from the
overlaps.

References
----------
Manrique-Vallier, D. (2016). Bayesian population size estimation using
Dirichlet process mixtures. Biometrics 72(4), 1246-1254.
Manrique-Vallier, D., Ball, P. and Sadinle, M. (2022). Capture-recapture for
casualty estimation and beyond: recent advances and research directions. In
Carriquiry, Tanur and Eddy (eds.), Statistics in the Public Interest, Springer.
Vehtari, A., Gelman, A., Simpson, D., Carpenter, B. and Burkner, P.-C. (2021).
Rank-normalization, folding, and localization: an improved R-hat for assessing
convergence of MCMC. Bayesian Analysis 16(2), 667-718.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time

import numpy as np

from ..errors import MethodError
from ..histories import CaptureTable
from ..progress import track
from . import diagnostics
from .base import CHAINS, POSTERIOR_DRAWS, ChainsSummary, Draws, EstimateResult, Method, Setting

#: No draw of the number unobserved may exceed this; far beyond any count a
#: table of people could support, and only there to keep integers exact. A
#: draw that reaches it is redrawn and, failing that, clamped, with a warning.
SAFETY_CAP = 10**12

#: Warn when the upper end of the interval is this many times the median, on
#: the scale of the number unobserved (the dark figure)...
HEAVY_TAIL_RATIO = 3.0
#: ...and at least this many times the median total: a dark figure of 9 whose
#: upper end is 35 (313 people, interval to 339) is well bounded, not heavy-tailed.
HEAVY_TAIL_TOTAL_RATIO = 1.5

#: Sweeps per call into the compiled sampler (progress is reported between calls).
_CHUNK = 5000


def _available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


# ---------------------------------------------------------------- list order
#: Up to this many lists, the canonical order is found by trying every order.
_EXHAUSTIVE_LISTS = 7


def canonical_cells(table: CaptureTable) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """Observed patterns as bit masks, and counts, in an order that ignores list order.

    The sampler visits lists and patterns in a fixed order, so two tables that
    differ only in the order of their lists would give different (equally
    valid) draws from the same seed. Relabelling the lists in a canonical
    order first makes the draws identical: the order chosen is the one whose
    sorted ``(bit mask, count)`` rows are lexicographically smallest, found by
    trying every order up to ``_EXHAUSTIVE_LISTS`` lists; beyond that lists are
    ranked by size and overlaps (ties keep their order, so invariance is then
    exact only for tables without such ties).

    Returns
    -------
    bits, counts, order
        ``order[i]`` is the index in ``table.lists`` of the list the sampler
        calls list i.
    """
    import itertools

    keep = table.counts > 0
    patterns = table.patterns[keep].astype(np.int64)
    counts = table.counts[keep].astype(np.int64)
    k = table.k
    if k <= _EXHAUSTIVE_LISTS:
        perms = np.array(list(itertools.permutations(range(k))), dtype=np.int64)
        weights = 1 << np.arange(k, dtype=np.int64)
        # codes[p, c]: bit mask of cell c when list perms[p][i] becomes list i
        codes = np.einsum("pic,i->pc", patterns.T[perms], weights)
        keys = np.sort(codes * (counts.max() + 1) + counts[None, :], axis=1)
        best = int(np.lexsort(keys.T[::-1])[0])
        order = tuple(int(v) for v in perms[best])
    else:
        sizes = counts @ patterns
        overlaps = (patterns * counts[:, None]).T @ patterns
        signature = [(int(sizes[j]), tuple(sorted(int(v) for v in overlaps[j]))) for j in range(k)]
        order = tuple(sorted(range(k), key=lambda j: signature[j]))
    bits = (patterns[:, list(order)] << np.arange(k, dtype=np.int64)).sum(axis=1)
    rows = np.lexsort((counts, bits))
    return bits[rows], counts[rows], order


# --------------------------------------------------------------------- chains
def _chain_seeds(rng: np.random.Generator, chains: int) -> list[np.random.SeedSequence]:
    """One independent seed sequence per chain, spawned from the generator's seed.

    Chain i gets the same seed whatever the number of workers, so results do
    not depend on how chains are spread over cores.
    """
    seq = getattr(rng.bit_generator, "seed_seq", None)
    if not isinstance(seq, np.random.SeedSequence):
        seq = np.random.SeedSequence(int(rng.integers(2**63)))
    return seq.spawn(chains)


def _initial_state(
    seq: np.random.SeedSequence, bits: np.ndarray, y: np.ndarray, k: int, K: int, start: str
) -> dict:
    """The starting point of one chain.

    ``start="one-class"``: everyone in one class, whose capture probabilities
    are drawn around each list's share of the observed people (a Beta with the
    weight of 1/50 of the observed, so that chains start apart); the other
    classes are empty, and are filled only as the data ask for them.
    ``start="random"``: class weights from a Beta(1, 1) stick-breaking draw
    and every class's capture probabilities drawn as above, close to the R
    package's start (which sets them all to the observed shares). alpha starts
    at 1, the prior mean at the defaults. Burn-in forgets the start, if long enough.
    """
    from ._random import seed_state

    init_seq, sampler_seq = seq.spawn(2)
    g = np.random.default_rng(init_seq)
    n = int(y.sum())
    on_list = np.array([y[(bits >> j) & 1 == 1].sum() for j in range(k)], dtype=float)
    weight = 1.0 / 50.0
    lam = g.beta(1.0 + weight * on_list[:, None], 1.0 + weight * (n - on_list[:, None]), size=(k, K))
    if start == "one-class":
        logpi = np.full(K, math.log(1e-6))
        logpi[0] = math.log1p(-1e-6 * (K - 1))
    else:
        v = g.beta(1.0, 1.0, size=K - 1)
        logpi = np.empty(K)
        acc = 0.0
        for i in range(K - 1):
            logpi[i] = acc + math.log(v[i])
            acc += math.log1p(-v[i])
        logpi[K - 1] = acc
    return {
        "rng": seed_state(sampler_seq),
        "lam": lam,
        "lam1m": 1.0 - lam,
        "logpi": logpi,
        "pi": np.exp(logpi),
        "alpha": np.array([1.0]),
        "z0": np.zeros(K, dtype=np.int64),
        "n0": np.zeros(1, dtype=np.int64),
        "cap_hits": np.zeros(1, dtype=np.int64),
    }


def chain_start(start: str, chain: int) -> str:
    """The starting point of chain ``chain`` (0-based) under the ``start`` setting."""
    if start == "mixed":
        return "one-class" if chain % 2 == 0 else "random"
    return start


_PROGRESS_QUEUE = None


def _set_progress_queue(queue) -> None:
    global _PROGRESS_QUEUE
    _PROGRESS_QUEUE = queue


def _run_chain(task: dict) -> dict:
    """Run one chain (in a worker process or in-process); returns its draws."""
    from . import _lcmcr_sampler as sampler

    bits, y, K = task["bits"], task["y"], task["K"]
    n = int(y.sum())
    st = _initial_state(task["seed"], bits, y, task["k"], K, task["start"])
    samples, thinning, burnin = task["samples"], task["thinning"], task["burnin"]
    out_n0 = np.zeros(samples, dtype=np.int64)
    out_alpha = np.zeros(samples)
    report = task.get("report")
    queue = _PROGRESS_QUEUE

    def advance(n_sweeps: int, record_every: int, offset: int) -> int:
        written = sampler.sweeps(
            st["rng"],
            bits,
            y,
            n,
            task["a_alpha"],
            task["b_alpha"],
            np.int64(task["cap"]),
            st["lam"],
            st["lam1m"],
            st["logpi"],
            st["pi"],
            st["alpha"],
            st["z0"],
            st["n0"],
            st["cap_hits"],
            n_sweeps,
            record_every,
            out_n0,
            out_alpha,
            offset,
        )
        if queue is not None:
            queue.put(n_sweeps)
        elif report is not None:
            report(n_sweeps)
        return written

    start = time.perf_counter()
    left = burnin
    while left > 0:
        step = min(_CHUNK, left)
        advance(step, 0, 0)
        left -= step
    burnin_seconds = time.perf_counter() - start
    per_chunk = max(1, _CHUNK // thinning)
    done = 0
    while done < samples:
        take = min(per_chunk, samples - done)
        done += advance(take * thinning, thinning, done)
    seconds = time.perf_counter() - start
    return {
        "n0": out_n0,
        "alpha": out_alpha,
        "cap_hits": int(st["cap_hits"][0]),
        "seconds": seconds,
        "burnin_seconds": burnin_seconds,
        "sweeps": burnin + samples * thinning,
    }


def _compile() -> float:
    """Import and compile (or load from numba's cache) the sampler; seconds taken."""
    start = time.perf_counter()
    from . import _lcmcr_sampler as sampler
    from ._random import seed_state

    K, k = 2, 2
    sampler.sweeps(
        seed_state(np.random.SeedSequence(0)),
        np.array([1, 2, 3], dtype=np.int64),
        np.array([1, 1, 1], dtype=np.int64),
        3,
        0.25,
        0.25,
        np.int64(SAFETY_CAP),
        np.full((k, K), 0.5),
        np.full((k, K), 0.5),
        np.log(np.full(K, 0.5)),
        np.full(K, 0.5),
        np.array([1.0]),
        np.zeros(K, dtype=np.int64),
        np.zeros(1, dtype=np.int64),
        np.zeros(1, dtype=np.int64),
        1,
        0,
        np.zeros(1, dtype=np.int64),
        np.zeros(1),
        0,
    )
    return time.perf_counter() - start


def _pool_context():
    """Worker start method: fork when safe (workers inherit the compiled sampler).

    Forking a process that already runs threads can deadlock, so then (and on
    systems without fork) workers start from a fresh server process and load
    the sampler from numba's on-disk cache.
    """
    import multiprocessing as mp

    methods = mp.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return mp.get_context("fork")
    if "forkserver" in methods:
        return mp.get_context("forkserver")
    return mp.get_context("spawn")


def _run_chains(tasks: list[dict], workers: int, progress: bool) -> list[dict]:
    """Run the chains, on ``workers`` processes when more than one."""
    total = sum(t["burnin"] + t["samples"] * t["thinning"] for t in tasks)
    bar = None
    if progress:
        from tqdm import tqdm

        def make_bar():
            return tqdm(
                total=total,
                unit="sweep",
                unit_scale=True,
                desc=f"lcmcr {len(tasks)} chains",
                file=sys.stderr,
                delay=1.0,
                leave=False,
            )

    # the workflow's progress view reads the tracker; the bar is for a terminal, when asked for
    tracker = track("MCMC sweeps", total)
    if workers <= 1:
        if progress:
            bar = make_bar()
        if progress or tracker.active:
            tracker.bar = bar
            for t in tasks:
                t["report"] = tracker.update
        try:
            return [_run_chain(t) for t in tasks]
        finally:
            for t in tasks:
                t.pop("report", None)
            if bar is not None:
                bar.close()

    from concurrent.futures import ProcessPoolExecutor

    ctx = _pool_context()
    queue = ctx.Queue() if (progress or tracker.active) else None
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_set_progress_queue, initargs=(queue,)
    ) as pool:
        futures = [pool.submit(_run_chain, t) for t in tasks]
        if queue is not None:
            import queue as queue_module

            tracker.bar = make_bar() if progress else None
            try:
                while not all(f.done() for f in futures):
                    try:
                        tracker.update(queue.get(timeout=0.2))
                    except queue_module.Empty:
                        pass
            finally:
                tracker.close()
        return [f.result() for f in futures]


# ------------------------------------------------------------------ estimator
def lcmcr(
    table: CaptureTable,
    *,
    level: float = 0.95,
    rng: np.random.Generator,
    K: int = 10,
    a_alpha: float = 0.25,
    b_alpha: float = 0.25,
    burnin: int = 10000,
    samples: int = 1000,
    thinning: int = 100,
    chains: int = 4,
    workers: int = 0,
    start: str = "mixed",
    max_unobserved: int | None = None,
    progress: bool = True,
) -> EstimateResult:
    """Posterior of N under the non-parametric latent-class model (Manrique-Vallier 2016).

    Model: see the module docstring. ``n_hat`` is the posterior median of N,
    the interval is equal-tailed (quantiles ``(1 -+ level) / 2`` of the
    draws); mean, sd, quantiles and convergence diagnostics are in
    ``details``, the draws of N in ``draws`` (one row per chain), timings in
    ``runtime`` (logged, never written) and the chains' raw output (draws of the
    unobserved count and of the concentration, per chain) in ``fit``.

    Parameters
    ----------
    table
        Capture histories; at least three lists (four or more recommended).
    level
        Interval level.
    rng
        Seeded generator; chain i runs from the i-th seed spawned from its
        seed sequence, so results are the same whatever ``workers``.
    K
        Maximum number of latent classes.
    a_alpha, b_alpha
        Shape and rate of the Gamma prior of the stick-breaking concentration.
    burnin, samples, thinning
        Per chain: sweeps discarded, draws kept, sweeps between kept draws.
        Every chain repeats the whole run (the R package's one chain), so the
        result pools ``chains * samples`` draws.
    chains
        Independent chains, from dispersed starting points; R-hat and ESS
        compare them.
    start
        Where chains start: ``"one-class"``, ``"random"`` (close to the R
        package's start) or ``"mixed"`` (the default: even chains one-class,
        odd chains random). Some tables (Ned, Ned_5, UKdat) have posteriors with
        two modes that a chain rarely leaves; starting chains differently is
        what makes R-hat see that, instead of every chain agreeing on one mode.
    workers
        Processes to run chains on; 0 uses every available core (at most one
        per chain). Does not change the result.
    max_unobserved
        Optional cap on the number unobserved (the R package silently uses
        20 times the number observed); reaching it is always a warning.
    progress
        Show a progress bar on standard error for runs longer than a second.

    Warnings
    --------
    R-hat above 1.01 or bulk ESS below 400 (the chains disagree or mix too
    slowly for the interval to be trusted); draws reaching a cap; a posterior
    whose upper tail is far above its median; three lists only.
    """
    lists = tuple(table.lists)
    n = table.n_observed
    if max_unobserved is not None and max_unobserved < 1:
        raise MethodError("setting 'max_unobserved' of method 'lcmcr' must be at least 1 when given")
    cap = SAFETY_CAP if max_unobserved is None else min(int(max_unobserved), SAFETY_CAP)
    k = table.k
    bits, y, _ = canonical_cells(table)

    started = time.perf_counter()
    compile_seconds = _compile()
    used_workers = workers if workers > 0 else _available_cores()
    used_workers = max(1, min(used_workers, chains))
    seeds = _chain_seeds(rng, chains)
    tasks = [
        {
            "seed": s,
            "bits": bits,
            "y": y,
            "k": k,
            "K": K,
            "a_alpha": float(a_alpha),
            "b_alpha": float(b_alpha),
            "burnin": burnin,
            "samples": samples,
            "thinning": thinning,
            "cap": cap,
            "start": chain_start(start, i),
        }
        for i, s in enumerate(seeds)
    ]
    runs = _run_chains(tasks, used_workers, progress)
    wall = time.perf_counter() - started

    n0 = np.stack([r["n0"] for r in runs])  # (chains, samples)
    by_chain = (n + n0).astype(float)
    draws = by_chain.ravel()
    tail = (1.0 - level) / 2.0
    median = float(np.median(draws))
    low, high = (float(v) for v in np.quantile(draws, [tail, 1.0 - tail]))
    quantiles = {str(q): float(np.quantile(draws, q)) for q in (0.025, 0.05, 0.25, 0.5, 0.75, 0.95, 0.975)}
    r_hat = diagnostics.rhat(by_chain)
    bulk = diagnostics.ess_bulk(by_chain)
    tail_ess = diagnostics.ess_tail(by_chain)
    cap_hits = sum(r["cap_hits"] for r in runs)
    sweeps_per_chain = burnin + samples * thinning
    chain_seconds = [r["seconds"] for r in runs]
    details = ChainsSummary(
        posterior_median=median,
        posterior_mean=float(np.mean(draws)),
        posterior_sd=float(np.std(draws, ddof=1)) if draws.size > 1 else math.nan,
        quantiles=quantiles,
        rhat=r_hat,
        ess_bulk=bulk,
        ess_tail=tail_ess,
        mcse_median=diagnostics.mcse_quantile(by_chain, 0.5) if samples >= 8 else math.nan,
        chain_medians=tuple(float(np.median(c)) for c in by_chain),
        chains=chains,
        draws_per_chain=samples,
        sweeps_per_chain=sweeps_per_chain,
        alpha_posterior_mean=float(np.mean([r["alpha"] for r in runs])),
        unobserved_cap=cap,
        cap_hits=cap_hits,
        extra={
            "sampler": "Gibbs on pattern counts; every step an exact conditional draw (nothing to accept or reject)"
        },
    )
    # wall-clock figures differ from run to run: they go to logs, never into the result's file
    runtime = {
        "workers": used_workers,
        "compile_seconds": compile_seconds,
        "seconds": wall,
        "sweeps_per_second_per_chain": float(np.mean([sweeps_per_chain / s for s in chain_seconds])),
        "ess_bulk_per_second": bulk / wall if math.isfinite(bulk) and wall > 0 else math.nan,
    }
    warnings = _warnings(
        k, n, chains, samples, median, high, r_hat, bulk, cap, cap_hits, max_unobserved, quantiles, level
    )
    caveats = (THREE_LISTS_CAVEAT,) if k == 3 else ()
    return EstimateResult(
        method="lcmcr",
        lists=lists,
        n_observed=n,
        n_hat=median,
        ci_low=low,
        ci_high=high,
        ci_level=level,
        model=f"latent classes (at most K={K}), stick-breaking prior, p(N) ~ 1/N",
        warnings=tuple(warnings),
        caveats=caveats,
        details=details,
        draws=Draws.posterior(by_chain),
        fit=runs,
        runtime=runtime,
    )


#: Holds for every lcmcr estimate of a three-list table: a caveat of the table, not a warning.
THREE_LISTS_CAVEAT = (
    "only three lists: even a two-class latent model has more parameters (7) than the "
    "table has free cell proportions (6), so the data cannot determine the number of "
    "people on no list; this estimate and its interval come largely from the priors "
    "(K, a_alpha, b_alpha)"
)


def _warnings(
    k, n, chains, samples, median, high, r_hat, bulk, cap, cap_hits, max_unobserved, quantiles, level
) -> list[str]:
    out: list[str] = []
    if math.isfinite(r_hat) and r_hat > diagnostics.RHAT_THRESHOLD:
        out.append(
            f"the {chains} chains disagree (R-hat {r_hat:.3f}, above {diagnostics.RHAT_THRESHOLD}): "
            "either the chains are too short, or the data cannot locate a group that the lists "
            "rarely reach (each chain settles on a different size for it), and then longer chains "
            "will not help; the estimate and interval depend on the seed. Run longer (burnin, "
            "samples x thinning) and compare seeds; if the chains still disagree, the table "
            "cannot say how large the hard-to-reach group is"
        )
    elif not math.isfinite(r_hat) and samples >= 4:
        out.append("R-hat could not be computed (every draw equal): convergence is not checked")
    if math.isfinite(bulk) and bulk < diagnostics.ESS_THRESHOLD:
        out.append(
            f"effective sample size of N only {bulk:.0f} (below {diagnostics.ESS_THRESHOLD}): the "
            "chains move slowly, so the median and above all the interval are imprecise; "
            "run longer (more samples or thinning)"
        )
    if cap_hits:
        which = (
            f"the cap of {cap:,} set by max_unobserved"
            if max_unobserved is not None
            else f"the safety cap of {cap:,}"
        )
        out.append(
            f"the number of people on no list reached {which} in {cap_hits} sweep(s): the "
            "posterior extends beyond it and is truncated there, so the upper end of the "
            "interval (and possibly the median) is too low"
        )
    dark_median = median - n
    dark_high = high - n
    if (
        dark_median > 0
        and dark_high > HEAVY_TAIL_RATIO * dark_median
        and high > HEAVY_TAIL_TOTAL_RATIO * median
    ):
        out.append(
            f"the posterior of N is heavy-tailed: the upper {100 * level:.0f}% bound implies "
            f"{dark_high / dark_median:.1f} times as many undocumented people as the median does; "
            "the data say little about how large the total could be, and the upper bound moves "
            "with the priors and the seed"
        )
    return out


METHODS = (
    Method(
        name="lcmcr",
        function=lcmcr,
        summary="Bayesian non-parametric latent-class model (Manrique-Vallier 2016), posterior median and interval",
        reference="Manrique-Vallier (2016), Biometrics 72:1246",
        settings=(
            Setting(
                "K",
                int,
                10,
                "maximum number of latent classes (1: the Bayesian independence model)",
                minimum=1,
            ),
            Setting(
                "a_alpha",
                float,
                0.25,
                "shape of the Gamma prior on the stick-breaking concentration",
                minimum=1e-6,
            ),
            Setting(
                "b_alpha",
                float,
                0.25,
                "rate of the Gamma prior on the stick-breaking concentration",
                minimum=1e-6,
            ),
            Setting("burnin", int, 10000, "sweeps discarded at the start of each chain", minimum=0),
            Setting("samples", int, 1000, "draws kept per chain", minimum=4),
            Setting("thinning", int, 100, "sweeps between kept draws", minimum=1),
            Setting("chains", int, 4, "independent chains (compared by R-hat and ESS)", minimum=1),
            Setting(
                "workers",
                int,
                0,
                "processes for the chains; 0 = all available cores (does not change results)",
                minimum=0,
            ),
            Setting(
                "start",
                str,
                "mixed",
                "chains start from one class, from random classes, or mixed (alternating: exposes posteriors with several modes)",
                choices=("one-class", "random", "mixed"),
            ),
            Setting(
                "max_unobserved",
                int,
                None,
                "optional cap on the number unobserved (R's LCMCR silently uses 20 x observed)",
                minimum=1,
            ),
            Setting("progress", bool, True, "progress bar on standard error for runs over a second"),
        ),
        stochastic=True,
        min_lists=3,
        produces=frozenset({POSTERIOR_DRAWS, CHAINS}),
    ),
)
