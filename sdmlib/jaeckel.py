r"""Jaeckel's alternative SDM designs: neurons that look at only ``K`` of the ``n`` coordinates.

In Kanerva's design a neuron is active when the query lies within Hamming
distance ``d`` of its address: it looks at all ``n`` bits. Jaeckel proposed
neurons that look at a few:

*selected-coordinate design* (Jaeckel 1989, RIACS TR 89.28)
    each neuron draws ``K`` distinct coordinates :math:`S` and required values
    :math:`v \in \{0,1\}^K`; it is active for an address ``x`` iff
    :math:`x_S = v`. Activation probability :math:`2^{-K}`.
*hyperplane design* (Jaeckel 1989, RIACS TR 89.30)
    the required values are all 1: a neuron is active iff ``x`` has ones on all
    of its ``K`` coordinates. Activation probability :math:`\pi^K` for addresses
    whose bits are 1 with probability :math:`\pi` (the design targets sparse
    addresses; for :math:`\pi = 1/2` it is :math:`2^{-K}` again).

The analogue of the circle intersection is the expected number of neurons
active for two addresses at Hamming distance :math:`d_v`:

.. math::

    I_J(d_v) = r\,2^{-K}\,\frac{\binom{n-d_v}{K}}{\binom nK}
             = r\,2^{-K}\prod_{i=0}^{K-1}\frac{n-d_v-i}{n-i}

(the ``K`` coordinates must avoid the :math:`d_v` disagreements). For uniform
addresses both designs have this mean; the hyperplane design adds variance
because its count depends on how many ones the two addresses share. In cosine
units, :math:`1 - d_v/n = (1+x)/2`, so :math:`I_J \approx r2^{-K}((1+x)/2)^K`:
a power of the cosine, with the local softmax slope :math:`\beta \approx K/2`
at :math:`x = 1` and no cut-off at :math:`2d` (see :func:`jaeckel_local_beta`).

All functions work in log space (``r`` up to ``2**1000``). ``r`` is always a number
of *random* neurons here: ``r=None``, which everywhere in ``sdmlib`` means one neuron
at every address, has no counterpart in Jaeckel's designs (a neuron is a choice of
``K`` coordinates and their values, not an address) and raises ``TypeError``.

References
----------
* L. A. Jaeckel, *An Alternative Design for a Sparse Distributed Memory*,
  RIACS TR 89.28, NASA Ames, 1989.
* L. A. Jaeckel, *A Class of Designs for a Sparse Distributed Memory*,
  RIACS TR 89.30, NASA Ames, 1989.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import special

from sdmlib._validate import check_binary_array, check_bool, check_choice, check_int, check_int_array, check_real, make_rng
from sdmlib.capacity import ReadSimulation, _flip
from sdmlib.capacity import _log_r as _log_r_any

__all__ = [
    "JAECKEL_DESIGNS",
    "jaeckel_activation_probability",
    "jaeckel_intersection",
    "hyperplane_intersection",
    "jaeckel_read_variance",
    "jaeckel_local_beta",
    "JaeckelSDM",
    "simulate_jaeckel_read_sums",
]


def _log_r(n: int, r: Any) -> float:
    """``log r`` for ``r`` random neurons; ``r=None`` (one neuron per address) is refused."""
    if r is None:
        raise TypeError(
            "r=None means one neuron at every address, which Jaeckel's designs do not have (a neuron "
            "is K coordinates and their values, not an address): pass the number r of random neurons"
        )
    return _log_r_any(n, r)

#: Largest r * n of a simulated memory (its int64 counters, 800 MB).
_MAX_CELLS = 10**8

#: The two designs implemented here.
JAECKEL_DESIGNS = ("selected", "hyperplane")


def _lcomb(N: Any, k: Any) -> np.ndarray:
    """log C(N, k) for arrays, -inf where k > N or k < 0."""
    N = np.asarray(N, dtype=np.float64)
    k = np.asarray(k, dtype=np.float64)
    ok = (k >= 0) & (k <= N)
    with np.errstate(invalid="ignore"):
        val = special.gammaln(N + 1) - special.gammaln(k + 1) - special.gammaln(N - k + 1)
    return np.where(ok, val, -np.inf)


def _check_nk(n: Any, K: Any) -> tuple[int, int]:
    n = check_int("n", n, lo=1)
    K = check_int("K", K, lo=0, hi=n)
    return n, K


def _out(values: np.ndarray, scalar: bool, log: bool) -> Any:
    log = check_bool("log", log)
    if not log:
        with np.errstate(over="ignore"):
            values = np.exp(values)
        if np.any(np.isinf(values)):
            raise OverflowError("result exceeds the float64 range; call with log=True")
    return float(values.reshape(-1)[0]) if scalar else values


def jaeckel_activation_probability(K: int, design: str = "selected", density: float = 0.5) -> float:
    r"""Probability that a neuron is active for a random address.

    ``"selected"``: :math:`2^{-K}` for any bit density (the required values are
    uniform); ``"hyperplane"``: :math:`\pi^K` with :math:`\pi` = ``density``.

    Examples
    --------
    >>> jaeckel_activation_probability(10) == 2.0**-10
    True
    >>> jaeckel_activation_probability(3, "hyperplane", 0.1) == 0.1**3
    True
    """
    K = check_int("K", K, lo=0)
    check_choice("design", design, JAECKEL_DESIGNS)
    density = check_real("density", density, lo=0.0, hi=1.0)
    return 2.0**-K if design == "selected" else density**K


def jaeckel_intersection(n: int, K: int, dv: Any, r: Any = 1, log: bool = False) -> Any:
    r"""Expected number of neurons active for two uniform addresses at distance ``dv``.

    .. math:: I_J(d_v) = r\,2^{-K}\binom{n-d_v}{K}\Big/\binom nK

    Both designs share this mean for uniform addresses (for the hyperplane design
    it is :math:`E\,\binom aK` over the shared ones :math:`a\sim\mathrm{Bin}(n-d_v,\tfrac12)`).

    Parameters
    ----------
    n, K : int
        Dimension and number of coordinates per neuron, ``0 <= K <= n``.
    dv : int or array of int
        Distance between the two addresses, ``0..n``.
    r : int, float or None
        Number of random neurons; the default 1 gives the probability that one random
        neuron is active for both (``None`` raises ``TypeError``: see the module notes).
    log : bool
        Return the natural log.

    Examples
    --------
    Averaged over a uniformly random second address the two activations are
    independent (mean :math:`r p^2`), and at ``dv = 0`` it is :math:`rp`:

    >>> from math import comb
    >>> n, K, r = 30, 4, 1000.0
    >>> I = jaeckel_intersection(n, K, range(n + 1), r)
    >>> avg = sum(comb(n, k) * I[k] for k in range(n + 1)) / 2**n
    >>> bool(abs(avg / (r * 2.0**(-2 * K)) - 1) < 1e-12), bool(abs(I[0] - r / 16) < 1e-12)
    (True, True)
    """
    log = check_bool("log", log)
    n, K = _check_nk(n, K)
    scalar = np.ndim(dv) == 0
    dva = np.atleast_1d(check_int_array("dv", dv, lo=0, hi=n))
    val = _log_r(n, r) - K * math.log(2.0) + _lcomb(n - dva, K) - float(_lcomb(n, K))
    return _out(val, scalar, log)


def hyperplane_intersection(n: int, K: int, ones_in_common: Any, r: Any = 1, log: bool = False) -> Any:
    r"""Expected neurons of the hyperplane design active for two given addresses.

    .. math:: r\binom{a}{K}\Big/\binom nK,\qquad a = |x \wedge y| \ (\text{ones in common}).

    Examples
    --------
    One address (``a`` = its number of ones): the fraction of neurons whose
    ``K`` coordinates all fall on its ones.

    >>> round(hyperplane_intersection(10, 2, 5, r=45), 12)
    10.0
    """
    log = check_bool("log", log)
    n, K = _check_nk(n, K)
    scalar = np.ndim(ones_in_common) == 0
    a = np.atleast_1d(check_int_array("ones_in_common", ones_in_common, lo=0, hi=n))
    val = _log_r(n, r) + _lcomb(a, K) - float(_lcomb(n, K))
    return _out(val, scalar, log)


def _binom_logpmf(N: int, prob: float) -> np.ndarray:
    k = np.arange(N + 1)
    with np.errstate(divide="ignore"):
        return _lcomb(N, k) + k * np.log(prob) + (N - k) * np.log1p(-prob)


def _log_second_moment(log_q: np.ndarray, log_r: float, log_w: np.ndarray) -> float:
    """log E[C^2] for C ~ Bin(r, q), q random with log-weights log_w: E[rq(1-q) + r^2 q^2]."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log1mq = np.log1p(-np.exp(log_q))
        terms = np.logaddexp(log_r + log_q + log1mq, 2 * (log_r + log_q))
    return float(special.logsumexp(log_w + terms))


def jaeckel_read_variance(
    n: int, K: int, dv: Any, m: float, r: Any, design: str = "selected", log: bool = False
) -> Any:
    r"""Variance of the per-bit read sum of a Jaeckel memory (exact for random neurons and patterns).

    With ``r`` i.i.d. random neurons, ``m - 1`` i.i.d. uniform other patterns
    and ±1 stored bits, the read sum times the target's bit is
    :math:`S = C_t + \sum_{j\ne t} C_j b_j b_t` and

    .. math:: \operatorname{Var} S = \operatorname{Var} C_t + (m-1)\,E[C_j^2].

    ``"selected"``: :math:`C \mid d_v \sim \mathrm{Bin}(r, q(d_v))`,
    :math:`q(k) = 2^{-K}\binom{n-k}K/\binom nK`, a random pattern at
    :math:`k\sim\mathrm{Bin}(n,\tfrac12)`.
    ``"hyperplane"``: :math:`C \mid a \sim \mathrm{Bin}(r, h(a))`,
    :math:`h(a)=\binom aK/\binom nK`, with the shared ones
    :math:`a\sim\mathrm{Bin}(n-d_v,\tfrac12)` for the target and
    :math:`a\sim\mathrm{Bin}(n,\tfrac14)` for another pattern (uniform addresses).

    Examples
    --------
    With one stored pattern and ``dv = 0`` the selected design's count is
    :math:`\mathrm{Bin}(r, 2^{-K})`:

    >>> r, K = 10_000, 5
    >>> v = jaeckel_read_variance(100, K, 0, 1, r)
    >>> bool(abs(v - r * 2.0**-K * (1 - 2.0**-K)) < 1e-9)
    True
    """
    log = check_bool("log", log)
    n, K = _check_nk(n, K)
    m = check_real("m", m, lo=1.0)
    log_r = _log_r(n, r)
    check_choice("design", design, JAECKEL_DESIGNS)
    scalar = np.ndim(dv) == 0
    dva = np.atleast_1d(check_int_array("dv", dv, lo=0, hi=n))
    lcn = float(_lcomb(n, K))
    lm1 = math.log(m - 1) if m > 1 else -math.inf
    k = np.arange(n + 1)
    if design == "selected":
        logq = -K * math.log(2.0) + _lcomb(n - k, K) - lcn
        other = _log_second_moment(logq, log_r, _binom_logpmf(n, 0.5))
        lq_t = logq[dva]
        with np.errstate(divide="ignore", invalid="ignore"):
            var_t = log_r + lq_t + np.log1p(-np.exp(lq_t))
    else:
        logh = _lcomb(k, K) - lcn  # h(a), a = 0..n
        other = _log_second_moment(logh, log_r, _binom_logpmf(n, 0.25))
        var_t = np.empty(dva.shape)
        for i, v in enumerate(dva):
            w = _binom_logpmf(n - int(v), 0.5)
            lh = logh[: n - int(v) + 1]
            second = _log_second_moment(lh, log_r, w)
            mean = float(special.logsumexp(w + lh)) + log_r
            # Var = E[C^2] - (E C)^2, computed as a log of a positive difference
            var_t[i] = second + math.log(-math.expm1(min(2 * mean - second, 0.0))) if second > 2 * mean else -np.inf
    with np.errstate(divide="ignore"):
        val = np.logaddexp(var_t, lm1 + other)
    return _out(val, scalar, log)


def jaeckel_local_beta(n: int, K: int, dv: Any = 0) -> Any:
    r"""Local softmax inverse temperature of the selected-coordinate intersection, in cosine units.

    The log-intersection drops by :math:`-\log(1 - K/(n-d_v))` from :math:`d_v` to
    :math:`d_v+1`; one Hamming step is :math:`\Delta x = 2/n` in cosine, so

    .. math:: \beta(d_v) = \frac n2\,\Big[-\log\Big(1 - \frac{K}{n-d_v}\Big)\Big]
              \;\xrightarrow[n\to\infty]{d_v=0}\; \frac K2 .

    Examples
    --------
    It is the finite difference of :func:`jaeckel_intersection`:

    >>> n, K = 1000, 10
    >>> li = jaeckel_intersection(n, K, [100, 101], log=True)
    >>> bool(abs((li[0] - li[1]) * n / 2 - jaeckel_local_beta(n, K, 100)) < 1e-9)
    True
    """
    n, K = _check_nk(n, K)
    scalar = np.ndim(dv) == 0
    dva = np.atleast_1d(check_int_array("dv", dv, lo=0, hi=n - K - 1 if n - K - 1 >= 0 else 0))
    val = (n / 2.0) * -np.log1p(-K / (n - dva))
    return float(val[0]) if scalar else val


class JaeckelSDM:
    r"""A simulated memory of the selected-coordinate or hyperplane design.

    ``r`` neurons, each with ``K`` distinct random coordinates and required
    values (uniform for ``"selected"``, all ones for ``"hyperplane"``), and
    ``n`` integer counters. ``write`` adds the ±1 data to the counters of the
    active neurons; ``read`` returns the per-bit sums of the active counters.

    Parameters
    ----------
    n, r, K : int
        ``n >= 1``, ``0 <= K <= n``, ``1 <= r`` with ``r * n <= 10**8`` (the
        counters are an ``(r, n)`` int64 array, 800 MB at the limit).
    design : {"selected", "hyperplane"}
    rng : Generator or seed
        An integer ``>= 0``, a ``numpy.random.Generator`` or None.

    Examples
    --------
    A stored pattern is read back from its own address:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> mem = JaeckelSDM(64, 2000, 4, rng=rng)
    >>> x = rng.integers(0, 2, size=(3, 64))
    >>> _ = mem.write(x)
    >>> bool(np.array_equal(mem.retrieve(x), x))
    True
    """

    def __init__(
        self,
        n: int,
        r: int,
        K: int,
        design: str = "selected",
        rng: np.random.Generator | int | None = None,
    ) -> None:
        self.n, self.K = _check_nk(n, K)
        self.r = check_int("r", r, lo=1, hi=max(1, _MAX_CELLS // self.n))
        self.design = check_choice("design", design, JAECKEL_DESIGNS)
        self.rng = make_rng("rng", rng)
        self.coords = self._draw_coords()
        if design == "selected":
            self.values = self.rng.integers(0, 2, size=(self.r, self.K), dtype=np.uint8)
        else:
            self.values = np.ones((self.r, self.K), dtype=np.uint8)
        self.counters = np.zeros((self.r, self.n), dtype=np.int64)

    def _draw_coords(self) -> np.ndarray:
        """``K`` distinct coordinates per neuron (redraw rows with repeats)."""
        n, K, r = self.n, self.K, self.r
        # rejection keeps a row with probability ~exp(-K^2 / 2n): fine while K^2 <= 4n,
        # hopeless beyond (K = 100 of n = 200: 7e-14), where a random permutation is used
        if 2 * K > n or K * K > 4 * n:
            return np.argsort(self.rng.random((r, n)), axis=1)[:, :K]
        c = self.rng.integers(0, n, size=(r, K))
        while True:
            s = np.sort(c, axis=1)
            bad = np.any(s[:, 1:] == s[:, :-1], axis=1) if K > 1 else np.zeros(r, bool)
            if not bad.any():
                return c
            c[bad] = self.rng.integers(0, n, size=(int(bad.sum()), K))

    def active(self, addresses: Any) -> np.ndarray:
        """Boolean ``(q, r)``: which neurons each address activates."""
        x = check_binary_array("addresses", addresses, ndim=(1, 2))
        x = np.atleast_2d(x)
        if x.shape[1] != self.n:
            raise ValueError(f"addresses must have {self.n} columns, got {x.shape[1]}")
        out = np.empty((x.shape[0], self.r), dtype=bool)
        step = max(1, (16 << 20) // max(1, self.r * self.K))
        for s in range(0, x.shape[0], step):
            out[s : s + step] = np.all(x[s : s + step][:, self.coords] == self.values, axis=-1)
        return out

    def write(self, addresses: Any, data: Any = None) -> "JaeckelSDM":
        """Store ``data`` (default: the addresses themselves) at ``addresses``."""
        a = self.active(addresses).astype(np.int64)
        y = np.atleast_2d(check_binary_array("data", addresses if data is None else data, ndim=(1, 2)))
        self.counters += a.T @ (2 * y.astype(np.int64) - 1)
        return self

    def read(self, addresses: Any) -> np.ndarray:
        """Per-bit sums of the active counters, shape ``(q, n)``."""
        return self.active(addresses).astype(np.int64) @ self.counters

    def retrieve(self, addresses: Any) -> np.ndarray:
        """Thresholded read (sum > 0 -> 1; a zero sum keeps the query's bit)."""
        x = np.atleast_2d(np.asarray(addresses))
        s = self.read(x)
        return np.where(s > 0, 1, np.where(s < 0, 0, x)).astype(np.uint8)


def simulate_jaeckel_read_sums(
    n: int,
    K: int,
    m: int,
    r: int,
    dv: Any,
    epochs: int,
    design: str = "selected",
    rng: np.random.Generator | int | None = None,
) -> ReadSimulation:
    r"""Monte-Carlo read statistics of a :class:`JaeckelSDM` (same protocol as
    :func:`sdmlib.capacity.simulate_read_sums`).

    Each epoch draws a fresh memory and ``m`` uniform patterns (pattern 0 the
    target), stores them, and reads from queries with ``dv`` bits of the target
    flipped.

    Examples
    --------
    >>> sim = simulate_jaeckel_read_sums(64, 4, 10, 2000, [0, 16], epochs=30, rng=3)
    >>> mean, se = sim.intersection_mean()
    >>> bool(np.all(np.abs(mean - jaeckel_intersection(64, 4, [0, 16], 2000)) < 4 * se))
    True
    """
    n, K = _check_nk(n, K)
    m = check_int("m", m, lo=1)
    epochs = check_int("epochs", epochs, lo=2)
    dva = np.atleast_1d(check_int_array("dv", dv, lo=0, hi=n, nonempty=True))
    rng = make_rng("rng", rng)
    check_choice("design", design, JAECKEL_DESIGNS)
    check_int("r", r, lo=1, hi=max(1, _MAX_CELLS // n))
    k = dva.size
    tc, bm, bs = np.empty((epochs, k)), np.empty((epochs, k)), np.empty((epochs, k))
    for e in range(epochs):
        mem = JaeckelSDM(n, r, K, design, rng)
        patterns = rng.integers(0, 2, size=(m, n), dtype=np.uint8)
        queries = np.stack([_flip(rng, patterns[0], int(h)) for h in dva])
        ap = mem.active(patterns).astype(np.float64)
        aq = mem.active(queries).astype(np.float64)
        counts = aq @ ap.T
        bip = 2.0 * patterns - 1.0
        aligned = (counts @ bip) * bip[0]
        tc[e], bm[e], bs[e] = counts[:, 0], aligned.mean(1), (aligned**2).mean(1)
    return ReadSimulation(dva, tc, bm, bs)
