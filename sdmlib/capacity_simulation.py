r"""Monte-Carlo SDM reads: real random neurons, or one neuron at every address.

Split from :mod:`sdmlib.capacity` (which re-exports every public name here, so
``from sdmlib.capacity import simulate_convergence`` keeps working). The functions
build actual memories and read from them, as the independent route against which
the formulas of :mod:`sdmlib.capacity` are tested:

* :func:`simulate_read_sums` -- per-bit read sums of a memory of ``r`` random neurons;
* :func:`simulate_convergence` -- iterated reads from noisy queries, for ``r`` random
  neurons or, with ``r=None``, one neuron at every address (the shared count of two
  addresses is then exactly the intersection count :math:`c_{n,d}`);
* :func:`simulated_critical_distance` and :func:`bootstrap_critical_distance` -- the
  critical distance of such a memory, with a bootstrap confidence interval over trials.

``r`` means the same as everywhere in :mod:`sdmlib`: a positive integer is that many
neurons at independent uniform random addresses; ``None`` is one neuron at every one
of the ``2**n`` addresses (deterministic; no neurons are drawn).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from sdmlib import geometry as _geo
from sdmlib._validate import check_bool, check_int, check_int_array, check_real, make_rng
from sdmlib.hamming import hamming_distance, pack_bits

__all__ = [
    "ReadSimulation",
    "simulate_read_sums",
    "simulate_convergence",
    "converged_trials",
    "critical_distance_from_fraction",
    "simulated_critical_distance",
    "bootstrap_critical_distance",
    "seeded_trial",
    "encode_converged",
    "decode_converged",
    "read_trial_table",
    "map_crossing",
    "bootstrap_map_crossing",
    "load_converged_table",
    "critical_distance_intervals",
    "one_read_crossings",
]


@lru_cache(maxsize=256)
def _log_counts_all(n: int, d: int) -> np.ndarray:
    """log c_{n,d}(k) for k = 0..n (-inf beyond 2d); cached, read-only."""
    k = np.arange(n + 1)
    out = np.full(n + 1, -np.inf)
    inside = k <= 2 * d
    out[inside] = np.asarray(_geo.log_hamming_ball_intersection(n, d, k[inside]), dtype=np.float64)
    out.setflags(write=False)
    return out


@dataclass(frozen=True)
class ReadSimulation:
    """Per-epoch statistics of simulated reads (see :func:`simulate_read_sums`).

    Fields: ``dv`` (query distances, shape ``(k,)``); ``target_counts`` (neurons shared by
    the query's and the target's circles, shape ``(epochs, k)``); ``bit_mean`` and
    ``bit_second`` (per epoch, the mean over the ``n`` bits of :math:`S_i b_{t,i}` and of
    its square, where :math:`S_i` is the per-bit read sum and :math:`b_t` the target's
    ±1 bits, shape ``(epochs, k)``).
    """

    dv: np.ndarray
    target_counts: np.ndarray
    bit_mean: np.ndarray
    bit_second: np.ndarray

    @property
    def epochs(self) -> int:
        return int(self.target_counts.shape[0])

    def intersection_mean(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean shared count with the target and its standard error, per ``dv``."""
        c = self.target_counts
        return c.mean(0), c.std(0, ddof=1) / math.sqrt(self.epochs)

    def read_mean(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean of :math:`S b_t` (pooled over epochs and bits) and its standard error."""
        a = self.bit_mean
        return a.mean(0), a.std(0, ddof=1) / math.sqrt(self.epochs)

    def read_variance(self) -> tuple[np.ndarray, np.ndarray]:
        """Pooled variance of :math:`S b_t` over epochs and bits, with a delta-method standard error.

        ``var = mean(S^2) - mean(S)^2``; epochs are independent, the bits of one epoch are not
        (they share the neuron counts), so the error is computed from per-epoch means.
        """
        a, b = self.bit_second, self.bit_mean
        ma, mb = a.mean(0), b.mean(0)
        var = ma - mb**2
        e = self.epochs
        cov_ab = ((a - ma) * (b - mb)).sum(0) / (e - 1)
        se2 = (a.var(0, ddof=1) - 4 * mb * cov_ab + 4 * mb**2 * b.var(0, ddof=1)) / e
        return var, np.sqrt(np.maximum(se2, 0.0))


def _flip(rng: np.random.Generator, x: np.ndarray, h: int) -> np.ndarray:
    y = x.copy()
    idx = rng.choice(x.shape[-1], size=h, replace=False)
    y[idx] ^= 1
    return y


#: Memory budget of one simulated epoch (neurons, activations), bytes.
_MAX_EPOCH_BYTES = 2**31


def simulate_read_sums(
    n: int,
    d: int,
    m: int,
    r: int,
    dv: Any,
    epochs: int,
    rng: np.random.Generator | int | None = None,
) -> ReadSimulation:
    r"""Monte-Carlo read statistics of a real random SDM (bit-packed, :mod:`sdmlib.hamming`).

    Each epoch draws ``r`` fresh uniform neurons and ``m`` uniform patterns (pattern 0 is the
    target), and for each ``dv`` a query with exactly ``dv`` bits of the target flipped.
    A neuron is active for an address within Hamming distance ``d``. For every query it
    records the count :math:`C_j` of neurons active for both the query and pattern ``j``
    and the per-bit read sum :math:`S_i = \sum_j C_j b_{j,i}` (:math:`b` the ±1 bits),
    which is exactly what a neuron-based SDM that stored all ``m`` patterns with ±1
    counters reads.

    Parameters
    ----------
    n, d, m, r : int
        ``n >= 1``, ``0 <= d <= n``, ``m >= 1``; ``r >= 1`` with
        ``r * (n + 16 (m + len(dv))) <= 2**31`` (one epoch's neurons and
        activations, about 2 GiB at the limit; ``r <= 1.4e7`` for n = 64, m = 100).
    dv : array of int
        Non-empty, each in ``0..n``.
    epochs : int (>= 2)
    rng : Generator or seed
        An integer ``>= 0``, a ``numpy.random.Generator`` or None.

    Returns
    -------
    ReadSimulation

    Examples
    --------
    The mean shared count with the target is the expected intersection (within 4 s.e.):

    >>> from sdmlib.geometry import expected_neurons_in_intersection
    >>> sim = simulate_read_sums(64, 22, 20, 2000, [0, 8], epochs=40, rng=0)
    >>> mean, se = sim.intersection_mean()
    >>> bool(np.all(np.abs(mean - expected_neurons_in_intersection(64, 22, [0, 8], 2000)) < 4 * se))
    True
    """
    n = check_int("n", n, lo=1)
    d = check_int("d", d, lo=0, hi=n)
    m = check_int("m", m, lo=1)
    dva = np.atleast_1d(check_int_array("dv", dv, lo=0, hi=n, nonempty=True))
    r = check_int("r", r, lo=1, hi=max(1, _MAX_EPOCH_BYTES // (n + 16 * (m + dva.size))))
    epochs = check_int("epochs", epochs, lo=2)
    rng = make_rng("rng", rng)
    k = dva.size
    tc = np.empty((epochs, k))
    bm = np.empty((epochs, k))
    bs = np.empty((epochs, k))
    for e in range(epochs):
        neurons = pack_bits(rng.integers(0, 2, size=(r, n), dtype=np.uint8))
        patterns = rng.integers(0, 2, size=(m, n), dtype=np.uint8)
        queries = np.stack([_flip(rng, patterns[0], int(h)) for h in dva])
        act_p = hamming_distance(pack_bits(patterns), neurons) <= d  # (m, r)
        act_q = hamming_distance(pack_bits(queries), neurons) <= d  # (k, r)
        counts = act_q.astype(np.float64) @ act_p.T.astype(np.float64)  # (k, m)
        bip = 2.0 * patterns - 1.0
        aligned = (counts @ bip) * bip[0]  # (k, n): S_i b_{t,i}
        tc[e] = counts[:, 0]
        bm[e] = aligned.mean(1)
        bs[e] = (aligned**2).mean(1)
    return ReadSimulation(dva, tc, bm, bs)


def simulate_convergence(
    n: int,
    d: int,
    m: int,
    r: Any,
    dv: Any,
    trials: int,
    rng: np.random.Generator | int | None = None,
    steps: int = 1,
) -> np.ndarray:
    r"""Simulated reads from noisy queries: distance to the target after ``steps`` reads.

    Each trial draws ``m`` fresh uniform patterns (and, for finite ``r``, fresh uniform
    neurons), writes all of them auto-associatively, and reads from queries with ``dv``
    bits of pattern 0 flipped; with ``steps > 1`` each read becomes the next query (the
    memory stays the same). A bit of the read is the sign of :math:`\sum_j C_j b_j`; a
    zero sum (no shared neuron) gives a fair coin flip, the convention of
    :func:`sdmlib.capacity.convergence_map`.

    ``r=None`` is one neuron at every address (the attention setting): the shared count
    of two addresses is then exactly the intersection count :math:`c_{n,d}` of
    :mod:`sdmlib.geometry` (deterministic), and no neurons are drawn. An integer ``r``
    builds a real memory of ``r`` random neurons with :mod:`sdmlib.hamming`; ``r=2**n``
    random neurons is *not* the same memory as ``r=None`` (random neurons repeat some
    addresses and miss others), and is too large to simulate for ``n = 64``.

    Returns
    -------
    ndarray, shape (trials, len(dv))
        Distance to the target after the last read, per trial and query distance.

    Examples
    --------
    A query on top of its pattern comes back exactly when nothing else is stored:

    >>> out = simulate_convergence(32, 6, 1, None, [0, 3], trials=5, rng=1)
    >>> out.tolist()
    [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]
    """
    n = check_int("n", n, lo=1)
    d = check_int("d", d, lo=0, hi=n)
    m = check_int("m", m, lo=1)
    trials = check_int("trials", trials, lo=1)
    steps = check_int("steps", steps, lo=1)
    dva = np.atleast_1d(check_int_array("dv", dv, lo=0, hi=n, nonempty=True))
    rng = make_rng("rng", rng)
    if r is None:
        lc = _log_counts_all(n, d)
        # scaled by the largest count: only the signs of the reads matter
        table = np.where(np.isfinite(lc), np.exp(lc - lc[0]), 0.0)
    else:
        r = check_int("r", r, lo=1, hi=max(1, _MAX_EPOCH_BYTES // (n + 16 * (m + dva.size))))
    out = np.empty((trials, dva.size))
    for t in range(trials):
        patterns = rng.integers(0, 2, size=(m, n), dtype=np.uint8)
        bip = 2.0 * patterns - 1.0
        pp = pack_bits(patterns)
        if r is not None:
            neurons = pack_bits(rng.integers(0, 2, size=(r, n), dtype=np.uint8))
            act_p = (hamming_distance(pp, neurons) <= d).astype(np.float64)
        queries = np.stack([_flip(rng, patterns[0], int(h)) for h in dva])
        for _ in range(steps):
            pq = pack_bits(queries)
            if r is None:
                w = table[hamming_distance(pq, pp)]  # (k, m)
            else:
                act_q = (hamming_distance(pq, neurons) <= d).astype(np.float64)
                w = act_q @ act_p.T
            s = w @ bip  # (k, n)
            coin = rng.integers(0, 2, size=s.shape, dtype=np.uint8)
            queries = np.where(s > 0, 1, np.where(s < 0, 0, coin)).astype(np.uint8)
        out[t] = (queries != patterns[0]).sum(1)
    return out


def converged_trials(
    n: int,
    d: int,
    m: int,
    r: Any,
    trials: int,
    steps: int = 10,
    max_distance: int | None = None,
    rng: np.random.Generator | int | None = None,
) -> np.ndarray:
    r"""Which simulated queries end exactly on their pattern after ``steps`` reads.

    Runs :func:`simulate_convergence` for every query distance ``x = 0..max_distance``
    (default ``n // 2``). Trial ``t`` uses one memory (fresh patterns, and fresh neurons
    for finite ``r``) for all ``x``, so the rows are independent and can be resampled
    (:func:`bootstrap_critical_distance`).

    Returns
    -------
    ndarray of bool, shape (trials, max_distance + 1)

    Examples
    --------
    >>> converged_trials(32, 5, 1, None, trials=2, steps=2, max_distance=12, rng=0).sum(1).tolist()
    [11, 11]
    """
    n = check_int("n", n, lo=1)
    top = n // 2 if max_distance is None else check_int("max_distance", max_distance, lo=0, hi=n)
    return simulate_convergence(n, d, m, r, np.arange(top + 1), trials, rng=rng, steps=steps) == 0


def critical_distance_from_fraction(frac: Any, level: float = 0.5, interpolate: bool = False) -> Any:
    r"""Critical distance from the converged fraction at ``x = 0, 1, ..., len(frac) - 1``.

    The largest ``x`` such that ``frac[x'] >= level`` for every ``x' <= x`` (``-1`` when
    already ``frac[0] < level``); without any failure, ``len(frac) - 1`` (a lower bound).
    With ``interpolate=True``: the real ``x`` where the straight line between that point
    and the next one crosses ``level`` (``0.0`` when ``x = 0`` fails).

    Examples
    --------
    >>> critical_distance_from_fraction([1.0, 1.0, 0.75, 0.25, 0.0])
    2
    >>> critical_distance_from_fraction([1.0, 1.0, 0.75, 0.25, 0.0], interpolate=True)
    2.5
    """
    interpolate = check_bool("interpolate", interpolate)
    frac = np.asarray(frac, dtype=np.float64)
    if frac.ndim != 1 or frac.size == 0:
        raise ValueError(f"frac must be a non-empty 1-D array of fractions, got shape {frac.shape}")
    level = check_real("level", level, lo=0.0, hi=1.0, lo_open=True)
    bad = np.nonzero(frac < level)[0]
    top = frac.size - 1
    if not bad.size:
        return float(top) if interpolate else top
    f = int(bad[0])
    if not interpolate:
        return f - 1
    if f == 0:
        return 0.0
    return float(f - 1 + (frac[f - 1] - level) / (frac[f - 1] - frac[f]))


def simulated_critical_distance(
    n: int,
    d: int,
    m: int,
    r: Any,
    trials: int,
    steps: int = 10,
    level: float = 0.5,
    max_distance: int | None = None,
    rng: np.random.Generator | int | None = None,
    interpolate: bool = False,
) -> tuple[Any, np.ndarray]:
    r"""Critical distance of a simulated memory: iterate reads from noisy queries.

    For every query distance ``x = 0..max_distance`` (default ``n // 2``) run
    :func:`simulate_convergence` with ``steps`` reads and record the fraction of trials
    that end exactly on the target (:func:`converged_trials`). The critical distance is
    :func:`critical_distance_from_fraction` of that fraction: the largest ``x`` such that
    it is at least ``level`` for every ``x' <= x``; with ``interpolate=True`` the real
    ``x`` where the straight line between that point and the next one crosses ``level``.

    Returns
    -------
    (int or float, ndarray)
        The critical distance and the converged fraction for each ``x``.

    Examples
    --------
    A single stored pattern with one neuron at every address converges from anywhere
    inside ``2d``:

    >>> cd, frac = simulated_critical_distance(32, 5, 1, None, trials=3, steps=2, rng=0)
    >>> cd
    10
    """
    interpolate = check_bool("interpolate", interpolate)
    frac = converged_trials(n, d, m, r, trials, steps, max_distance, rng).mean(0)
    return critical_distance_from_fraction(frac, level, interpolate), frac


def bootstrap_critical_distance(
    converged: Any,
    level: float = 0.5,
    resamples: int = 2000,
    confidence: float = 0.95,
    rng: np.random.Generator | int | None = None,
) -> tuple[float, float, float]:
    r"""Interpolated critical distance of simulated trials with a percentile bootstrap interval.

    ``converged`` is the boolean ``(trials, x)`` array of :func:`converged_trials`. The
    estimate is :func:`critical_distance_from_fraction` (interpolated) of the mean over
    trials; the interval is the ``(1 - confidence)/2`` and ``(1 + confidence)/2``
    percentiles of the same statistic over ``resamples`` resamplings of whole trials with
    replacement (trials are independent memories; the distances of one trial are not
    independent of each other, so rows are kept together).

    Returns
    -------
    (estimate, low, high)

    Examples
    --------
    Trials that all agree leave no uncertainty:

    >>> conv = np.array([[True, True, True, False]] * 5)
    >>> bootstrap_critical_distance(conv, resamples=50, rng=0)
    (2.5, 2.5, 2.5)
    """
    conv = np.asarray(converged)
    if conv.ndim != 2 or conv.shape[0] < 2 or conv.shape[1] < 1:
        raise ValueError(f"converged must be a (trials >= 2, distances) array, got shape {conv.shape}")
    resamples = check_int("resamples", resamples, lo=1)
    confidence = check_real("confidence", confidence, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    rng = make_rng("rng", rng)
    conv = conv.astype(np.float64)
    est = float(critical_distance_from_fraction(conv.mean(0), level, interpolate=True))
    t = conv.shape[0]
    idx = rng.integers(0, t, size=(resamples, t))
    fracs = conv[idx].mean(1)  # (resamples, x)
    boot = _interpolated_cd_rows(fracs, check_real("level", level, lo=0.0, hi=1.0, lo_open=True))
    lo, hi = np.quantile(boot, [(1 - confidence) / 2, (1 + confidence) / 2])
    return est, float(lo), float(hi)


def _interpolated_cd_rows(fracs: np.ndarray, level: float) -> np.ndarray:
    """:func:`critical_distance_from_fraction` (interpolated) of every row, vectorised."""
    bad = fracs < level
    f = np.argmax(bad, axis=1)
    rows = np.arange(fracs.shape[0])
    prev = fracs[rows, np.maximum(f - 1, 0)]
    with np.errstate(divide="ignore", invalid="ignore"):
        val = (f - 1) + (prev - level) / (prev - fracs[rows, f])
    val = np.where(f == 0, 0.0, val)
    return np.where(bad.any(axis=1), val, float(fracs.shape[1] - 1))


# ----------------------------------------------------------------------------------------------
# stored trials (book/data/critical_distance_sim_*.csv, benchmarks/critical_distance_simulations.py)
# ----------------------------------------------------------------------------------------------
def seeded_trial(
    n: int, d: int, m: int, r: Any, dv: Any, key: Any, steps: int = 1
) -> np.ndarray:
    """One trial of :func:`simulate_convergence` with its own generator ``default_rng(key)``.

    ``key`` is a sequence of non-negative ints (e.g. ``[seed, tag, d, trial]``), so that any
    single stored trial can be re-run alone and must come out identical.

    Examples
    --------
    >>> a = seeded_trial(32, 6, 20, None, [0, 8, 14], key=[1, 2, 3], steps=3)
    >>> bool(np.array_equal(a, seeded_trial(32, 6, 20, None, [0, 8, 14], key=[1, 2, 3], steps=3)))
    True
    """
    key = [int(k) for k in check_int_array("key", np.atleast_1d(key), lo=0, ndim=1)]
    if not key or min(key) < 0:
        raise ValueError(f"key must be a non-empty sequence of non-negative ints, got {key!r}")
    return simulate_convergence(n, d, m, r, dv, trials=1, rng=np.random.default_rng(key), steps=steps)[0]


def encode_converged(distances: Any) -> str:
    """Hexadecimal bit mask of the positions ``x`` whose final distance is 0.

    Examples
    --------
    >>> encode_converged([0, 0, 3, 0]), decode_converged("b", 4).tolist()
    ('b', [True, True, False, True])
    """
    dist = np.asarray(distances)
    return format(sum(1 << x for x, v in enumerate(dist.ravel()) if v == 0), "x")


def decode_converged(text: Any, width: int) -> np.ndarray:
    """Inverse of :func:`encode_converged`: boolean array of length ``width``.

    A sequence of masks (``width <= 62``) gives an array of shape ``(len(text), width)``.
    """
    width = check_int("width", width, lo=1)

    def hex_int(t: Any) -> int:
        if not isinstance(t, str):
            raise TypeError(f"text must be a hexadecimal string or a sequence of them, got {type(t).__name__} {t!r}")
        try:
            return int(t, 16)
        except ValueError:
            raise ValueError(f"text must be hexadecimal (from encode_converged), got {t!r}") from None

    if isinstance(text, str):
        v = hex_int(text)
        if v >> width:
            raise ValueError(f"mask {text!r} has bits beyond width={width}")
        return np.array([(v >> x) & 1 for x in range(width)], dtype=bool)
    if width > 62:
        raise ValueError(f"width must be <= 62 for a sequence of masks, got {width}")
    v = np.array([hex_int(t) for t in text], dtype=np.int64)
    if np.any(v >> width):
        raise ValueError(f"a mask has bits beyond width={width}")
    return ((v[:, None] >> np.arange(width)) & 1).astype(bool)


def read_trial_table(path: Any) -> tuple[dict[str, str], Any]:
    """Read a stored trial table: its ``# key: value`` provenance lines and its rows.

    Returns
    -------
    (dict, pandas.DataFrame)
    """
    import pandas as pd

    meta: dict[str, str] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            key, _, value = line[1:].partition(":")
            meta[key.strip()] = value.strip()
    return meta, pd.read_csv(path, comment="#", dtype={"converged": str})


def map_crossing(x: Any, y: Any) -> float:
    r"""Where a one-step map sampled at increasing ``x`` first reaches the identity, interpolated.

    The first grid point ``x[i]`` (``i >= 1``) with ``y[i] >= x[i]``, moved back along the
    straight line to ``y[i-1]``: :math:`x_{i-1} + (x_i - x_{i-1})\,g_{i-1}/(g_{i-1}-g_i)` with
    :math:`g = y - x`. ``x[-1]`` when the map never reaches the identity on the grid (a lower
    bound). On the unit grid this is the ``"interpolated"`` convention of
    :func:`sdmlib.capacity.critical_distance`.

    Examples
    --------
    >>> map_crossing([0, 4, 8, 12], [0.0, 2.0, 7.0, 13.0])
    10.0
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape or x.size < 2 or np.any(np.diff(x) <= 0):
        raise ValueError("x and y must be 1-D of the same length >= 2, with x strictly increasing")
    g = y - x
    fail = np.nonzero(g[1:] >= 0)[0]
    if not fail.size:
        return float(x[-1])
    i = int(fail[0]) + 1
    return float(x[i - 1] + (x[i] - x[i - 1]) * g[i - 1] / (g[i - 1] - g[i]))


def bootstrap_map_crossing(
    x: Any,
    distances: Any,
    resamples: int = 2000,
    confidence: float = 0.95,
    rng: np.random.Generator | int | None = None,
) -> tuple[float, float, float]:
    """:func:`map_crossing` of the mean simulated map, with a percentile bootstrap over trials.

    ``distances`` has shape ``(trials, len(x))``: the distance after one read, one row per
    independent memory (rows are resampled whole).

    Returns
    -------
    (estimate, low, high)

    Examples
    --------
    >>> D = np.array([[0, 2, 7, 13], [0, 2, 7, 13]], dtype=float)
    >>> bootstrap_map_crossing([0, 4, 8, 12], D, resamples=20, rng=0)
    (10.0, 10.0, 10.0)
    """
    D = np.asarray(distances, dtype=np.float64)
    if D.ndim != 2 or D.shape[0] < 2:
        raise ValueError(f"distances must be a (trials >= 2, len(x)) array, got shape {D.shape}")
    resamples = check_int("resamples", resamples, lo=1)
    confidence = check_real("confidence", confidence, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    rng = make_rng("rng", rng)
    est = map_crossing(x, D.mean(0))
    idx = rng.integers(0, D.shape[0], size=(resamples, D.shape[0]))
    boot = np.array([map_crossing(x, row) for row in D[idx].mean(1)])
    lo, hi = np.quantile(boot, [(1 - confidence) / 2, (1 + confidence) / 2])
    return est, float(lo), float(hi)


def load_converged_table(path: Any, width: int = 33) -> tuple[dict[str, str], dict[int, np.ndarray]]:
    """Stored iterated-read trials (``d,trial,converged`` rows): provenance and ``{d: (trials, width)}``.

    Rows are ordered by trial within each radius, so row ``t`` of ``out[d]`` is stored trial ``t``.
    """
    meta, tab = read_trial_table(path)
    tab = tab.sort_values(["d", "trial"])
    return meta, {int(d): decode_converged(g["converged"].tolist(), width) for d, g in tab.groupby("d")}


def critical_distance_intervals(
    converged: dict[int, np.ndarray], resamples: int = 1000, confidence: float = 0.95,
    rng: np.random.Generator | int | None = None,
) -> Any:
    """:func:`bootstrap_critical_distance` for every radius of ``{d: (trials, x) converged}``.

    Returns
    -------
    pandas.DataFrame
        Index ``d``; columns ``cd``, ``low``, ``high``, ``trials``.
    """
    import pandas as pd

    rng = make_rng("rng", rng)
    rows = {d: (*bootstrap_critical_distance(c, resamples=resamples, confidence=confidence, rng=rng), c.shape[0])
            for d, c in sorted(converged.items())}
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["cd", "low", "high", "trials"])
    out.index.name = "d"
    return out


def one_read_crossings(
    x: Any, sims: dict[tuple[int, int, int], np.ndarray], n: int, resamples: int = 1000,
    rng: np.random.Generator | int | None = None,
) -> Any:
    """Simulated one-read crossings with bootstrap intervals against three models, per ``(d, r, m)``.

    ``sims[(d, r, m)]``: distances after one read, shape ``(trials, len(x))``. Every model's
    crossing is :func:`map_crossing` on the same grid ``x``: the exact per-bit model, the
    Gaussian map with binomial cross-talk and the reconstruction
    (:func:`sdmlib.capacity.convergence_map`). Also the largest ``|z|`` of the simulated mean
    against the exact model for ``x >= 24`` and the smallest ``z`` for ``0 < x <= 16``.

    Returns
    -------
    pandas.DataFrame, index ``(d, r, m)``.
    """
    import pandas as pd

    from sdmlib.capacity import convergence_map

    x = np.asarray(x)
    rng = make_rng("rng", rng)
    rows = []
    for (d, r, m), dist in sims.items():
        est, lo, hi = bootstrap_map_crossing(x, dist, resamples=resamples, rng=rng)
        exact = convergence_map(n, d, m, r, x, method="exact")
        z = (dist.mean(0) - exact) / np.maximum(dist.std(0, ddof=1) / math.sqrt(dist.shape[0]), 1e-12)
        rows.append({"d": d, "r": r, "m": m, "trials": dist.shape[0], "simulated crossing": est,
                     "95 % low": lo, "95 % high": hi, "exact per-bit model": map_crossing(x, exact),
                     "Gaussian, binomial": map_crossing(x, convergence_map(n, d, m, r, x, variance="binomial")),
                     "reconstruction": map_crossing(x, convergence_map(n, d, m, r, x)),
                     "max |z|, x >= 24": float(np.abs(z[x >= 24]).max()),
                     "min z, x <= 16": float(z[(x > 0) & (x <= 16)].min())})
    return pd.DataFrame(rows).set_index(["d", "r", "m"])
