r"""How SDM should be set: signal-to-noise, capacity, read variance, critical distance, coverage.

Every quantity here is a function of the dimension ``n``, the Hamming radius
``d`` of the read and write circles, the number of stored patterns ``m`` and
the number of neurons ``r``; ``p = p(d)`` is the fraction of the space inside one
circle.

The meaning of ``r`` (the same in every function of :mod:`sdmlib`)
--------------------------------------------------------------------
``r`` a positive number
    ``r`` neurons at independent uniform random addresses (Kanerva's model). The
    number of neurons two circles share is random (binomial, about Poisson) with
    mean :math:`I(d_v) = r\,c_{n,d}(d_v)/2^n` (see :mod:`sdmlib.geometry`), and the
    variance formulas carry its sampling variance (the Poisson terms :math:`pr`,
    :math:`p^2r`). ``r=2**n`` (an exact Python ``int``) is Kanerva's model with as
    many random neurons as addresses: the setting behind the paper's
    :math:`d^*_{SNR}=11` and :math:`d^*_{Mem}=5` for ``n = 64``.
``r=None``
    **One neuron at every address** (the attention setting): the shared counts are
    the exact intersection sizes :math:`c_{n,d}(d_v)`, with no sampling variance.
    The noise of a read is then only the cross-talk of the other patterns, the
    signal-to-noise ratio falls monotonically with ``d``, and the closed-form
    optima :math:`p^*_{SNR}`, :math:`p^*_{Mem}` (which exist only because of the
    Poisson terms) raise ``ValueError``; ``rule="argmax"`` gives ``d = 0``. Coverage
    is certain (:func:`neuron_coverage` is 1).

Everything is computed in log space, so that ``r`` up to ``2**1000`` (a Python
``int`` or a float), ``m`` up to ``1e12`` and ``n`` up to ``1e5`` never
overflow; the optimal fractions are kept as logs where they underflow float64
(``r = 2**n`` with ``n >= 3215``), so the radii stay exact.

Supported range: ``1 <= n <= 2*10**6`` (``MAX_N``; the functions tabulate
:math:`\log p(d)` for ``d = 0..n``), ``rule="argmax"`` with a model other than
``"kanerva"`` up to ``n = 1024``; larger values raise ``ValueError`` naming the limit.

Contents
--------
* Kanerva's signal-to-noise ratio and its optimum :math:`p^*_{SNR}=(2mr)^{-1/3}`
  (:func:`snr`, :func:`optimal_fraction_snr`, :func:`optimal_radius_snr`).
* Memory capacity at a retrieval probability and its optimum, the real root of a
  cubic (:func:`max_patterns`, :func:`optimal_fraction_memory`,
  :func:`optimal_radius_memory`).
* Variance of the per-bit read sum under four models (:func:`read_variance`).
* The one-step convergence map, the critical distance and its optimum
  (:func:`convergence_map`, :func:`critical_distance`,
  :func:`optimal_radius_critical_distance`).
* Neuron coverage (:func:`neuron_coverage`, :func:`radius_for_one_neuron`).
* Monte-Carlo checks with real memories, in :mod:`sdmlib.capacity_simulation` and
  re-exported here (:func:`simulate_read_sums`, :func:`simulate_convergence`,
  :func:`simulated_critical_distance`, :func:`bootstrap_critical_distance`).

References
----------
* P. Kanerva, *Sparse Distributed Memory*, MIT Press, 1988.
* L. A. Jaeckel, *An Alternative Design for a Sparse Distributed Memory*,
  RIACS TR 89.28, 1989 (the ``"jaeckel"`` variance model is attributed to Jaeckel
  only by a comment in the original code; this project has not verified it).
* T. Bricken, C. Pehlevan, *Attention Approximates Sparse Distributed
  Memory*, NeurIPS 2021.
"""

from __future__ import annotations

import math
import numbers
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import optimize, special

from sdmlib import geometry as _geo
from sdmlib._validate import check_bool, check_choice, check_int, check_int_array, check_real
from sdmlib.capacity_simulation import (  # noqa: F401  (re-exported; _flip for sdmlib.jaeckel)
    ReadSimulation,
    _flip,
    bootstrap_critical_distance,
    converged_trials,
    critical_distance_from_fraction,
    simulate_convergence,
    simulate_read_sums,
    simulated_critical_distance,
)

__all__ = [
    "VARIANCE_MODELS",
    "CD_CONVENTIONS",
    "snr",
    "optimal_fraction_snr",
    "optimal_radius_snr",
    "optimal_radius_snr_m_range",
    "bit_snr_threshold",
    "max_patterns",
    "optimal_fraction_memory",
    "optimal_radius_memory",
    "read_variance",
    "convergence_map",
    "critical_distance",
    "optimal_radius_critical_distance",
    "neuron_coverage",
    "radius_for_one_neuron",
    "ReadSimulation",
    "simulate_read_sums",
    "simulate_convergence",
    "simulated_critical_distance",
    "converged_trials",
    "critical_distance_from_fraction",
    "bootstrap_critical_distance",
]

#: Variance models of the per-bit read sum accepted by :func:`read_variance`.
VARIANCE_MODELS = ("kanerva", "jaeckel", "binomial", "original")
#: Conventions accepted by :func:`critical_distance`.
CD_CONVENTIONS = ("last_converging", "first_failing", "interpolated")

_LN2 = math.log(2.0)


# ----------------------------------------------------------------------------------------------
# validation and log-space building blocks
# ----------------------------------------------------------------------------------------------
def _log_r(n: int, r: Any) -> float:
    """``log r``; ``r`` is a positive int (any size), a positive finite float, or None.

    ``None`` (one neuron at every address) gives ``n log 2``, so that ``log I`` is the log of
    the exact count; whether the counts are random is decided by the callers (``r is None``).
    """
    if r is None:
        return n * _LN2
    if isinstance(r, (bool, np.bool_)):
        raise TypeError(f"r must be a positive number of neurons or None (one neuron per address), got bool {r!r}")
    if isinstance(r, numbers.Integral):
        if int(r) < 1:
            raise ValueError(f"r must be a number of neurons >= 1 or None (one neuron per address), got {int(r)}")
        return math.log(int(r))
    if isinstance(r, numbers.Real):
        rf = float(r)
        if not math.isfinite(rf) or rf <= 0:
            raise ValueError(f"r must be a finite number of neurons > 0 or None (one neuron per address), got {rf}")
        return math.log(rf)
    raise TypeError(
        f"r must be a positive number of neurons or None (one neuron per address), got {type(r).__name__}"
    )


def _no_interior_optimum(what: str) -> ValueError:
    return ValueError(
        f"{what} is Kanerva's optimum for r random neurons; with r=None (one neuron at every address, "
        "exact counts, no Poisson term) the signal-to-noise ratio falls monotonically with d and there is "
        "no interior optimum: pass r=2**n for Kanerva's model with as many random neurons as addresses, "
        "or use rule='argmax'"
    )


def _check_m(m: Any) -> float:
    return check_real("m", m, lo=1.0)


#: Largest dimension of the capacity functions: they tabulate log p(d) for d = 0..n (cost ~ n).
MAX_N = 2 * 10**6


def _check_n(n: Any) -> int:
    return check_int("n", n, lo=1, hi=MAX_N)


@lru_cache(maxsize=64)
def _log_ball_fractions(n: int) -> np.ndarray:
    """``log p(d)`` for ``d = 0..n`` (:func:`sdmlib.geometry.space_fraction`, cached)."""
    out = np.array(_geo.space_fraction(n, np.arange(n + 1), log=True), dtype=np.float64)
    out.setflags(write=False)
    return out


def _log_p(n: int, d: int) -> float:
    return float(_log_ball_fractions(n)[d])


def _radius_for_log_fraction(n: int, log_p: float) -> int:
    """Smallest ``d`` with ``p(d) >= exp(log_p)``: :func:`sdmlib.geometry.hamming_radius_for_fraction`."""
    if log_p >= 0.0:
        return n
    p = math.exp(log_p)
    if p > 0.0:
        return int(_geo.hamming_radius_for_fraction(n, p))
    return int(np.searchsorted(_log_ball_fractions(n), log_p, side="left"))  # below float range


def _log_counts(n: int, d: int, dv: np.ndarray) -> np.ndarray:
    """log of the number of addresses within ``d`` of both centres (``-inf`` when empty)."""
    out = np.full(dv.shape, -np.inf)
    inside = dv <= 2 * d
    if np.any(inside):
        vals = np.asarray(_geo.log_hamming_ball_intersection(n, d, dv[inside]), dtype=np.float64)
        out[inside] = vals
    return out


def _log_intersection(n: int, d: int, dv: np.ndarray, log_r: float) -> np.ndarray:
    """log of the expected number of neurons inside both circles, ``log I(dv)``."""
    return _log_counts(n, d, dv) + (log_r - n * _LN2)


def _lse(*terms: Any) -> np.ndarray:
    """Element-wise log(sum(exp(t))) of broadcastable arrays, -inf safe."""
    arrs = np.broadcast_arrays(*[np.asarray(t, dtype=np.float64) for t in terms])
    stacked = np.stack(arrs)
    with np.errstate(divide="ignore", invalid="ignore"):
        return special.logsumexp(stacked, axis=0)


def _log_m_minus_1(m: float) -> float:
    return math.log(m - 1.0) if m > 1.0 else -math.inf


@lru_cache(maxsize=512)
def _log_crosstalk(n: int, d: int, log_r: float, kind: str, det: bool = False) -> float:
    """log of the second moment of one other pattern's shared count, ``E[C^2]``.

    ``kind="half"``: Poisson counts at the typical distance, ``I + I**2`` with ``I = I(floor(n/2))``.
    ``kind="binomial"``: exact for ``r`` i.i.d. uniform neurons and a uniform random pattern:
    ``sum_k P(k) [r q_k (1 - q_k) + (r q_k)**2]``, ``k ~ Bin(n, 1/2)``, ``q_k = c(k)/2**n``.
    ``det=True`` (one neuron per address): the counts are exact, ``c(n/2)**2`` or
    ``sum_k P(k) c(k)**2``.
    """
    if kind == "half":
        li = float(_log_intersection(n, d, np.array([n // 2]), log_r)[0])
        if not np.isfinite(li):
            return -math.inf
        return 2 * li if det else float(np.logaddexp(li, 2 * li))
    k = np.arange(0, min(n, 2 * d) + 1)
    logc = _log_counts(n, d, k)
    logq = logc - n * _LN2
    logpk0 = special.gammaln(n + 1.0) - special.gammaln(k + 1.0) - special.gammaln(n - k + 1.0) - n * _LN2
    if det:
        return float(special.logsumexp(logpk0 + 2 * logc))
    li = logq + log_r
    with np.errstate(divide="ignore", invalid="ignore"):
        log1mq = np.log1p(-np.exp(logq))
        second = _lse(li + log1mq, 2 * li)
    logpk = special.gammaln(n + 1.0) - special.gammaln(k + 1.0) - special.gammaln(n - k + 1.0) - n * _LN2
    return float(special.logsumexp(logpk + second)) if np.any(np.isfinite(second)) else -math.inf


def _log_variance(
    n: int, d: int, dv: np.ndarray, m: float, log_r: float, model: str, det: bool = False
) -> np.ndarray:
    """log Var of the per-bit read sum; ``det``: one neuron per address (no sampling variance)."""
    lm1 = _log_m_minus_1(m)
    if model == "kanerva":
        lp = _log_p(n, d)
        lpr, lp2r = lp + log_r, 2 * lp + log_r
        if det:  # m patterns, each sharing its mean count p^2 2^n, exactly: m (p^2 2^n)^2
            return np.full(dv.shape, math.log(m) + 2 * lp2r)
        val = float(_lse(lpr, math.log(m) + lp2r, math.log(m) + 2 * lp2r))
        return np.full(dv.shape, val)
    if det and model == "original":
        raise ValueError(
            "model='original' is the original repository's formula for random neurons; it has no "
            "version for r=None (one neuron at every address): pass r=2**n"
        )
    if det:
        return np.full(dv.shape, lm1 + _log_crosstalk(n, d, log_r, "half" if model == "jaeckel" else "binomial", True))
    if model == "original":
        lp = _log_p(n, d)
        cp = (d - n / 2.0) / math.sqrt(n / 4.0)
        log_h = -math.log(math.pi) - cp * cp
        log_ratio = 2 * log_h + log_r - math.log(4.0) - 2 * lp - math.log(n)
        val = 2 * lp + log_r + math.log(m) + float(np.logaddexp(0.0, log_ratio))
        return np.full(dv.shape, val)
    li = _log_intersection(n, d, dv, log_r)
    if model == "jaeckel":
        return _lse(li, lm1 + _log_crosstalk(n, d, log_r, "half"))
    # binomial: exact variance of the count of the target, r q (1 - q)
    with np.errstate(divide="ignore", invalid="ignore"):
        log1mq = np.log1p(-np.exp(li - log_r))
    return _lse(li + log1mq, lm1 + _log_crosstalk(n, d, log_r, "binomial"))


def _dv_array(n: int, dv: Any) -> np.ndarray:
    return check_int_array("dv", dv, lo=0, hi=n)


def _finish(values: np.ndarray, scalar: bool) -> Any:
    return float(values.reshape(-1)[0]) if scalar else values


def _exp_checked(logv: np.ndarray, what: str) -> np.ndarray:
    with np.errstate(over="ignore"):
        out = np.exp(logv)
    if np.any(np.isinf(out)):
        raise OverflowError(f"{what} exceeds the float64 range; call with log=True")
    return out


# ----------------------------------------------------------------------------------------------
# read variance
# ----------------------------------------------------------------------------------------------
def read_variance(
    n: int, d: int, dv: Any, m: float, r: Any, model: str = "jaeckel", log: bool = False
) -> Any:
    r"""Variance of the per-bit read sum for a query at distance ``dv`` from its target.

    A read sums, for each bit, the stored ±1 bits of all ``m`` patterns, each
    weighted by the number of neurons shared by the query's read circle and
    that pattern's write circle. Multiplied by the target's own bit, the sum is
    :math:`S = C_t + \sum_{j\ne t} C_j\,b_j b_t`, with mean :math:`I(d_v)`.
    Four models of :math:`\operatorname{Var} S`:

    ``"kanerva"``
        Kanerva's constant variance (Kanerva 1988, ch. 7, the variance behind
        his signal-to-noise ratio): :math:`pr\,(1+pm(1+p^2r))`. Exact in
        expectation at :math:`d_v=0` for Poisson counts, with ``m`` instead of
        ``m - 1`` other patterns; it does not depend on :math:`d_v`.
    ``"jaeckel"``
        The original code's "new" model, used for the critical distance (a comment
        in that code attributes it to Jaeckel 1989, which this project has not
        verified; the name is kept for compatibility): Poisson neuron counts, ±1 bits of the other ``m - 1``
        patterns, each at the typical distance ``floor(n/2)``:
        :math:`I(d_v) + (m-1)(I_\perp+I_\perp^2)`, :math:`I_\perp=I(\lfloor n/2\rfloor)`.
    ``"binomial"``
        Exact for ``r`` i.i.d. uniform neurons and ``m - 1`` i.i.d. uniform
        other patterns: :math:`rq_t(1-q_t) + (m-1)\sum_k \binom nk 2^{-n}
        [rq_k(1-q_k) + r^2q_k^2]`, :math:`q_k = c_{n,d}(k)/2^n`. It averages the
        cross-talk over the binomial distance of a random pattern instead of
        evaluating it at ``n/2``.
    ``"original"``
        The original repository's "old" constant variance,
        :math:`(1 + h^2 r/(4p^2 n))\,p^2 r m` with :math:`h = -e^{-c_p^2}/\pi`,
        :math:`c_p=(d-n/2)/\sqrt{n/4}`; its link to Kanerva's text is not
        documented. Kept for comparison only.

    With ``r=None`` (one neuron at every address) every count is exact, so each
    model loses its sampling-variance terms: the target's own count contributes
    nothing, ``"kanerva"`` becomes :math:`m\,(p^2 2^n)^2`, ``"jaeckel"``
    :math:`(m-1)\,c_{n,d}(\lfloor n/2\rfloor)^2`, ``"binomial"``
    :math:`(m-1)\sum_k\binom nk2^{-n}c_{n,d}(k)^2` (exact for uniform other
    patterns), and ``"original"`` raises ``ValueError``. ``r=2**n`` is the
    random-neuron model with as many neurons as addresses.

    Parameters
    ----------
    n, d : int
        Dimension and Hamming radius, ``0 <= d <= n``.
    dv : int or array of int
        Distance of the query from its target, ``0..n``.
    m : float
        Number of stored patterns, ``>= 1``.
    r : int, float or None
        Number of random neurons; ``None``: one neuron at every address (exact counts).
    model : {"kanerva", "jaeckel", "binomial", "original"}
    log : bool
        Return the natural log of the variance (never overflows).

    Returns
    -------
    float or ndarray
        Same shape as ``dv``.

    See Also
    --------
    snr, convergence_map, simulate_read_sums

    References
    ----------
    P. Kanerva, *Sparse Distributed Memory*, 1988. The ``"jaeckel"`` model's attribution
    to L. A. Jaeckel (1989) comes from a comment in the original code only.

    Examples
    --------
    At :math:`d_v = 0` the Jaeckel model is Kanerva's with ``m - 1`` other
    patterns when the cross-talk count is :math:`p^2 r` (here checked through
    the exact identity for ``m = 1``, where both reduce to :math:`pr`):

    >>> from sdmlib.geometry import space_fraction
    >>> n, d, r = 100, 35, 10_000
    >>> v = read_variance(n, d, 0, 1, r, model="jaeckel")
    >>> bool(abs(v / (space_fraction(n, d) * r) - 1) < 1e-10)
    True
    >>> bool(read_variance(n, d, 0, 100, r, "kanerva") == read_variance(n, d, 50, 100, r, "kanerva"))
    True

    One neuron per address: with two stored patterns the variance is the mean square
    of the exact shared count over a uniform second pattern:

    >>> from math import comb
    >>> from sdmlib.geometry import hamming_ball_intersection
    >>> ec2 = sum(comb(20, k) * hamming_ball_intersection(20, 4, k) ** 2 for k in range(21)) / 2**20
    >>> bool(abs(read_variance(20, 4, 3, 2, None, "binomial") / ec2 - 1) < 1e-12)
    True
    """
    log = check_bool("log", log)
    n = _check_n(n)
    d = check_int("d", d, lo=0, hi=n)
    m = _check_m(m)
    log_r = _log_r(n, r)
    check_choice("model", model, VARIANCE_MODELS)
    scalar = np.ndim(dv) == 0
    dva = np.atleast_1d(_dv_array(n, dv))
    logv = _log_variance(n, d, dva, m, log_r, model, r is None)
    return _finish(logv if log else _exp_checked(logv, "the variance"), scalar)


# ----------------------------------------------------------------------------------------------
# signal-to-noise ratio
# ----------------------------------------------------------------------------------------------
def snr(n: int, d: int, m: float, r: Any, dv: Any = 0, model: str = "kanerva") -> Any:
    r"""Signal-to-noise ratio of one bit of a read, :math:`I(d_v)/\sigma(d_v)`.

    With the default ``model="kanerva"``, ``dv=0`` and ``r`` random neurons this is Kanerva's

    .. math:: \mathrm{SNR}^2 = \frac{pr}{1 + pm + p^3 m r},\qquad p = p(d).

    With ``r=None`` (one neuron at every address, exact counts) the same model gives
    :math:`1/(p\sqrt m)`, and ``model="binomial"`` the exact
    :math:`c(0)/\sqrt{(m-1)\,E_k\,c(k)^2}` (``k`` the distance of a uniform pattern);
    both fall monotonically with ``d``.

    Parameters
    ----------
    n, d : int
        Dimension and radius.
    m : float
        Number of stored patterns (>= 1).
    r : int, float or None
        Number of random neurons; ``None``: one neuron at every address.
    dv : int or array of int
        Query distance from its target.
    model : str
        Variance model, see :func:`read_variance`.

    Returns
    -------
    float or ndarray

    See Also
    --------
    optimal_fraction_snr, read_variance

    Examples
    --------
    The closed form above:

    >>> from sdmlib.geometry import space_fraction
    >>> n, d, m, r = 64, 11, 1024, 2**64
    >>> p = space_fraction(n, d)
    >>> closed = (p * r / (1 + p * m + p**3 * m * r)) ** 0.5
    >>> bool(abs(snr(n, d, m, r) / closed - 1) < 1e-10)
    True

    One neuron per address (no Poisson terms):

    >>> bool(abs(snr(n, d, m, None) * p * m**0.5 - 1) < 1e-10)
    True
    """
    n = _check_n(n)
    d = check_int("d", d, lo=0, hi=n)
    m = _check_m(m)
    log_r = _log_r(n, r)
    check_choice("model", model, VARIANCE_MODELS)
    scalar = np.ndim(dv) == 0
    dva = np.atleast_1d(_dv_array(n, dv))
    li = _log_intersection(n, d, dva, log_r)
    lv = _log_variance(n, d, dva, m, log_r, model, r is None)
    with np.errstate(invalid="ignore", over="ignore"):
        out = np.where(np.isfinite(li), np.exp(li - 0.5 * lv), 0.0)
    return _finish(out, scalar)


def optimal_fraction_snr(n: int, m: float, r: Any) -> float:
    r"""Space fraction that maximises Kanerva's SNR: :math:`p^* = (2mr)^{-1/3}` (capped at 1).

    From :math:`\partial_p\,\mathrm{SNR}^2 \propto r - 2p^3 m r^2`. Defined for ``r`` random
    neurons only: ``r=None`` (one neuron at every address) raises ``ValueError``, because
    without the Poisson terms the SNR falls monotonically with ``p`` (see :func:`snr`).

    Examples
    --------
    The derivative of :math:`\mathrm{SNR}^2` vanishes at :math:`p^*`:

    >>> m, r = 1024, 2.0**64
    >>> p = optimal_fraction_snr(64, m, r)
    >>> f = lambda q: q * r / (1 + q * m + q**3 * m * r)
    >>> h = 1e-6 * p
    >>> bool(abs(f(p + h) - f(p - h)) / f(p) < 1e-9)
    True
    >>> bool(abs(p - 2.0**-25) < 1e-20)
    True
    """
    return math.exp(_log_optimal_fraction_snr(n, m, r))


def _log_optimal_fraction_snr(n: Any, m: Any, r: Any) -> float:
    """log p*_SNR, finite where p*_SNR itself underflows (large r)."""
    n = _check_n(n)
    m = _check_m(m)
    log_r = _log_r(n, r)
    if r is None:
        raise _no_interior_optimum("p*_SNR = (2mr)^(-1/3)")
    return min(0.0, -(_LN2 + math.log(m) + log_r) / 3.0)


_ARGMAX_MAX_N = 1024


def optimal_radius_snr(n: int, m: float, r: Any, rule: str = "quantile", model: str = "kanerva") -> int:
    r"""SNR-optimal Hamming radius :math:`d^*_{SNR}`.

    Supported range: any ``n >= 1`` for ``model="kanerva"`` (closed-form variance,
    cost ~ n); ``n <= 1024`` for ``rule="argmax"`` with the other models (an exact
    variance per radius).

    ``rule="quantile"`` (the paper's): the smallest ``d`` with
    :math:`p(d) \ge p^* = (2mr)^{-1/3}` (:func:`sdmlib.geometry.hamming_radius_for_fraction`);
    random neurons and ``model="kanerva"`` only.
    ``rule="argmax"``: the integer radius ``0..n`` with the largest :func:`snr` at ``dv = 0``
    under the variance ``model`` (ties to the smallest). With ``r=None`` (one neuron at
    every address) only ``"argmax"`` is defined, and it gives 0: the SNR falls
    monotonically with ``d``.

    Examples
    --------
    The paper's radius for n = 64, r = 2**64 random neurons, m = 1024, and the argmax
    for one neuron at every address:

    >>> optimal_radius_snr(64, 1024, 2**64), optimal_radius_snr(64, 1024, None, rule="argmax")
    (11, 0)
    """
    n = _check_n(n)
    check_choice("rule", rule, ("quantile", "argmax"))
    check_choice("model", model, VARIANCE_MODELS)
    if rule == "quantile":
        if model != "kanerva":
            raise ValueError(f"rule='quantile' is the closed form of model='kanerva', got model={model!r}")
        return _radius_for_log_fraction(n, _log_optimal_fraction_snr(n, m, r))
    m = _check_m(m)
    log_r = _log_r(n, r)
    if model == "kanerva":
        lp = _log_ball_fractions(n)
        if r is None:  # exact counts: SNR^2 = 1 / (m p^2) falls with p, so the argmax is d = 0
            log_snr2 = -math.log(m) - 2 * lp
        else:
            lpr = lp + log_r
            log_snr2 = lpr - _lse(0.0, lp + math.log(m), 3 * lp + math.log(m) + log_r)
        return int(np.argmax(log_snr2))
    if n > _ARGMAX_MAX_N:
        raise ValueError(
            f"n must be <= {_ARGMAX_MAX_N} for rule='argmax' with model={model!r} (one exact variance per"
            f" radius, cost ~ n**2); got n = {n}; model='kanerva' has a closed form for any n"
        )
    dv0 = np.zeros(1, dtype=np.int64)
    log_snr = np.array([
        float(_log_intersection(n, d, dv0, log_r)[0] - 0.5 * _log_variance(n, d, dv0, m, log_r, model, r is None)[0])
        for d in range(n + 1)
    ])
    return int(np.argmax(log_snr))


def optimal_radius_snr_m_range(
    n: int, r: Any, d: int, rule: str = "quantile", m_max: float = 1e15
) -> tuple[int, int] | None:
    r"""The integer numbers of stored patterns ``m`` for which :math:`d^*_{SNR} = d`.

    :math:`d^*_{SNR}` is non-increasing in ``m`` (:math:`p^* \propto m^{-1/3}`), so the set is
    an interval ``[lo, hi]`` of integers in ``1..m_max``. ``rule="quantile"`` uses the closed
    form: :math:`d^* \le d \iff p(d) \ge (2mr)^{-1/3} \iff m \ge 1/(2r\,p(d)^3)`;
    ``rule="argmax"`` bisects on ``m`` (monotonicity checked by a scan in the tests).
    Random neurons (Kanerva's SNR) only. Returns ``None`` when no ``m <= m_max`` gives ``d``;
    ``hi = m_max`` means "at least up to ``m_max``".

    Examples
    --------
    The paper's radius 11 for n = 64, r = 2**64 random neurons:

    >>> optimal_radius_snr_m_range(64, 2**64, 11), optimal_radius_snr_m_range(64, 2**64, 11, "argmax")
    ((214, 27247), (17, 1791))
    >>> optimal_radius_snr(64, 213, 2**64), optimal_radius_snr(64, 214, 2**64)
    (12, 11)
    """
    n = _check_n(n)
    d = check_int("d", d, lo=0, hi=n)
    check_choice("rule", rule, ("quantile", "argmax"))
    top = int(check_real("m_max", m_max, lo=1.0))
    log_r = _log_r(n, r)
    if r is None:
        raise _no_interior_optimum("d*_SNR as a function of m")

    def first_m_at_most(k: int) -> int:
        """Smallest integer m in 1..top+1 with d*(m) <= k (top + 1: none)."""
        if k < 0:
            return top + 1
        if rule == "quantile":
            # m >= 1 / (2 r p(k)^3), in logs
            log_m = -(_LN2 + log_r + 3 * _log_p(n, k))
            if log_m > math.log(top):
                return top + 1
            m0 = max(1, math.ceil(math.exp(log_m) * (1 - 1e-12)))
            while m0 > 1 and optimal_radius_snr(n, m0 - 1, r) <= k:  # guard the rounding
                m0 -= 1
            while m0 <= top and optimal_radius_snr(n, m0, r) > k:
                m0 += 1
            return m0
        lo, hi = 1, top + 1
        if optimal_radius_snr(n, 1, r, "argmax") <= k:
            return 1
        while hi - lo > 1:  # invariant: d*(lo) > k, d*(hi) <= k (hi = top + 1: unknown)
            mid = (lo + hi) // 2
            if optimal_radius_snr(n, mid, r, "argmax") <= k:
                hi = mid
            else:
                lo = mid
        return hi

    lo, hi = first_m_at_most(d), first_m_at_most(d - 1) - 1
    if lo > top or lo > hi:
        return None
    return lo, min(hi, top)


# ----------------------------------------------------------------------------------------------
# memory capacity
# ----------------------------------------------------------------------------------------------
def bit_snr_threshold(n: int, retrieval_probability: float = 0.5) -> float:
    r"""Per-bit SNR :math:`z=\Phi^{-1}(P^{1/n})` needed to retrieve all ``n`` bits with probability ``P``.

    Examples
    --------
    >>> from scipy.stats import norm
    >>> z = bit_snr_threshold(64, 0.5)
    >>> bool(abs(norm.cdf(z) ** 64 - 0.5) < 1e-12)
    True
    """
    n = _check_n(n)
    P = check_real("retrieval_probability", retrieval_probability, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    one_minus = -math.expm1(math.log(P) / n)  # 1 - P**(1/n), accurate for large n
    if one_minus >= 0.5:
        raise ValueError(
            f"retrieval_probability must exceed 2**-n = {2.0**-n:.3g} (a coin flip per bit), got {P}"
        )
    return float(-special.ndtri(one_minus))


def _log_max_patterns_minus_1(lp: np.ndarray, log_r: float, z: float, det: bool = False) -> np.ndarray:
    """log(m_max - 1) = log[(pr/z^2 - 1) / (p (1 + p^2 r))], -inf where pr <= z^2.

    ``det`` (one neuron per address, ``r = 2**n`` exact counts): log[1 / (z p)^2].
    """
    if det:
        return -2 * math.log(z) - 2 * lp
    lpr = lp + log_r
    x = lpr - 2 * math.log(z)
    with np.errstate(divide="ignore", invalid="ignore"):
        num = np.where(x > 0, x + np.log(-np.expm1(-np.maximum(x, 1e-300))), -np.inf)
    return num - lp - np.logaddexp(0.0, 2 * lp + log_r)


def max_patterns(n: int, d: Any, r: Any, retrieval_probability: float = 0.5) -> Any:
    r"""Largest number of patterns retrievable with probability ``P`` (all bits right).

    Requiring :math:`pr/\sigma \ge z` with :math:`\sigma^2 = pr + (m-1)(p^2r + p^4r^2)`:

    .. math:: m_{\max}(p) = 1 + \frac{(pr)^2/z^2 - pr}{p^2 r + p^4 r^2},\qquad z = \Phi^{-1}(P^{1/n}).

    Values below 1 (even one pattern fails, :math:`pr < z^2`) are returned as 0.

    With ``r=None`` (one neuron at every address) the counts are exact and the
    Poisson terms :math:`pr`, :math:`p^2r` vanish: :math:`\sigma^2=(m-1)(p^2 2^n)^2`
    and :math:`m_{\max} = 1 + 1/(zp)^2`, which falls monotonically with ``d``.

    Parameters
    ----------
    n : int
    d : int or array of int
        Radius (radii).
    r : int, float or None
        Number of random neurons; ``None``: one neuron at every address.
    retrieval_probability : float
        ``P`` in ``(2**-n, 1)``; the paper used 0.5.

    Examples
    --------
    At ``m_max`` patterns the Jaeckel-model SNR (``m - 1`` other patterns, cross-talk
    :math:`p^2 r`) equals ``z`` exactly:

    >>> from sdmlib.geometry import space_fraction
    >>> n, d, r = 100, 35, 1e6
    >>> p, z, M = space_fraction(n, d), bit_snr_threshold(n), max_patterns(n, d, r)
    >>> bool(abs(p * r / (p * r + (M - 1) * (p**2 * r + p**4 * r**2)) ** 0.5 - z) < 1e-9)
    True
    >>> bool(abs(max_patterns(n, d, None) - 1 - 1 / (z * p) ** 2) < 1e-6 * max_patterns(n, d, None))
    True
    """
    n = _check_n(n)
    log_r = _log_r(n, r)
    z = bit_snr_threshold(n, retrieval_probability)
    scalar = np.ndim(d) == 0
    da = np.atleast_1d(check_int_array("d", d, lo=0, hi=n))
    lp = _log_ball_fractions(n)[da]
    lm = _log_max_patterns_minus_1(lp, log_r, z, r is None)
    with np.errstate(over="ignore"):
        out = np.where(np.isfinite(lm), 1.0 + np.exp(lm), 0.0)
    if np.any(np.isinf(out)):
        raise OverflowError("max_patterns exceeds the float64 range")
    return _finish(out, scalar)


def optimal_fraction_memory(
    n: int, r: Any, retrieval_probability: float = 0.5, method: str = "cardano"
) -> float:
    r"""Space fraction :math:`p^*_{Mem}` that maximises :func:`max_patterns`.

    :math:`\partial_p m_{\max} = 0 \iff 2r^2p^3 - 3rz^2p^2 - z^2 = 0`. With
    :math:`p = s z^2/r` and :math:`K = r/z^4` this is :math:`2s^3 - 3s^2 = K`, whose
    only real root is (Cardano, one real root since the discriminant
    :math:`K(1+K)/16 > 0`)

    .. math:: s = \tfrac12\,(1 + w + 1/w),\qquad w = (\sqrt K + \sqrt{1+K})^{2/3}.

    This is the paper's :math:`\tfrac12(z^4/A^{1/3} + A^{1/3}/r^2 + z^2/r)` with
    :math:`A^{1/3} = z^2 r w`, written without cancellation or overflow.

    Defined for ``r`` random neurons only; ``r=None`` (one neuron at every address)
    raises ``ValueError``: without the Poisson terms :func:`max_patterns` falls
    monotonically with ``p``.

    Parameters
    ----------
    method : {"cardano", "numerical"}
        Closed form, or a bracketing root finder (``brentq``) on the same cubic.

    Examples
    --------
    The root solves the cubic, and the numerical root agrees:

    >>> z, r = 2.33, 1e9
    >>> from scipy.stats import norm
    >>> P = norm.cdf(z) ** 100
    >>> p = optimal_fraction_memory(100, r, P)
    >>> bool(abs(2 * r**2 * p**3 - 3 * r * z**2 * p**2 - z**2) / z**2 < 1e-8)
    True
    >>> q = optimal_fraction_memory(100, r, P, method="numerical")
    >>> bool(abs(p / q - 1) < 1e-12)
    True
    """
    return math.exp(_log_optimal_fraction_memory(n, r, retrieval_probability, method))


def _log_optimal_fraction_memory(n: Any, r: Any, retrieval_probability: Any, method: str = "cardano") -> float:
    """log p*_Mem, finite where p*_Mem itself underflows (large r)."""
    n = _check_n(n)
    log_r = _log_r(n, r)
    if r is None:
        raise _no_interior_optimum("p*_Mem (the root of the capacity cubic)")
    z = bit_snr_threshold(n, retrieval_probability)
    check_choice("method", method, ("cardano", "numerical"))
    log_k = log_r - 4 * math.log(z)
    if method == "cardano":
        # log w = (2/3) log(sqrt K + sqrt(1 + K)) = (2/3) [log K / 2 + log(1 + sqrt(1 + 1/K))]
        log_w = (2.0 / 3.0) * (0.5 * log_k + math.log1p(math.sqrt(1.0 + math.exp(-log_k))))
        log_s = float(_lse(0.0, log_w, -log_w)) - _LN2
    else:
        # 2 log s + log(2 s - 3) = log K on s > 3/2, solved for t = log(s - 3/2)
        # all in logs (log s = logaddexp(log 1.5, t)), so no exp overflows at large K
        ln15 = math.log(1.5)

        def g(t: float) -> float:
            return 2 * float(np.logaddexp(ln15, t)) + _LN2 + t - log_k

        lo, hi = -50.0, max(2.0, log_k)
        while g(lo) > 0:
            lo -= 50.0
        while g(hi) < 0:
            hi *= 2
        t = optimize.brentq(g, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)
        log_s = float(np.logaddexp(ln15, t))
    return min(0.0, log_s + 2 * math.log(z) - log_r)


def optimal_radius_memory(
    n: int, r: Any, retrieval_probability: float = 0.5, rule: str = "quantile"
) -> int:
    r"""Memory-optimal radius :math:`d^*_{Mem}`.

    ``rule="quantile"`` (the paper's): smallest ``d`` with :math:`p(d)\ge p^*_{Mem}`
    (random neurons only); ``rule="argmax"``: the integer ``d`` with the largest
    :func:`max_patterns` (ties to the smallest). With ``r=None`` (one neuron at every
    address) only ``"argmax"`` is defined, and it gives 0.

    Examples
    --------
    The paper's radius for n = 64, r = 2**64 random neurons, P = 0.5, and the argmax
    for one neuron at every address:

    >>> optimal_radius_memory(64, 2**64, 0.5), optimal_radius_memory(64, None, 0.5, rule="argmax")
    (5, 0)
    """
    n = _check_n(n)
    check_choice("rule", rule, ("quantile", "argmax"))
    if rule == "quantile":
        return _radius_for_log_fraction(n, _log_optimal_fraction_memory(n, r, retrieval_probability))
    log_r = _log_r(n, r)
    z = bit_snr_threshold(n, retrieval_probability)
    lm = _log_max_patterns_minus_1(_log_ball_fractions(n), log_r, z, r is None)
    return int(np.argmax(lm))


# ----------------------------------------------------------------------------------------------
# convergence map and critical distance
# ----------------------------------------------------------------------------------------------
def _map_values(
    n: int, d: int, m: float, log_r: float, variance: str, x: np.ndarray, det: bool = False
) -> np.ndarray:
    li = _log_intersection(n, d, x, log_r)
    lv = _log_variance(n, d, x, m, log_r, variance, det)
    with np.errstate(invalid="ignore", over="ignore"):
        s = np.where(np.isfinite(li), np.exp(li - 0.5 * lv), 0.0)
    return n * special.ndtr(-s)


_EXACT_MAX_GRID = 1 << 22
_EXHAUSTIVE_RADII = 2048
_COARSE_RADII = 256


def _exact_bit_error(n: int, d: int, m: int, r: int, x: np.ndarray) -> np.ndarray:
    """Mean per-bit error over the n bits, P(S < 0) + P(S = 0)/2, by inverse DFT.

    For bit i, S = C_t + sum_j C_j s_j with s_j = +1 when pattern j agrees with the
    target at bit i. Because the stored data are the addresses (auto-association),
    the sign is tied to the count: pattern j agrees with the query at bit i or not,
    which moves its distance to the query by one. With k' ~ Bin(n - 1, 1/2) the
    distance over the other bits, an *unflipped* bit (query = target there) sees
    +Bin(r, q(k')) or -Bin(r, q(k' + 1)) with probability 1/2 each, a *flipped* bit
    sees +Bin(r, q(k' + 1)) or -Bin(r, q(k')). C_t ~ Bin(r, q(x)). All counts are
    treated as independent (the neurons they share are ignored).
    """
    kmax = min(n, 2 * d + 1)
    k = np.arange(0, kmax + 1)
    q = np.exp(_log_counts(n, d, k) - n * _LN2)  # q(k), zero beyond 2d
    kp = np.arange(0, min(n - 1, 2 * d) + 1)  # k' values with q(k') > 0 possible
    logpk = special.gammaln(n * 1.0) - special.gammaln(kp + 1.0) - special.gammaln(n - kp * 1.0) - (n - 1) * _LN2
    pk = np.exp(logpk)
    p_far = max(0.0, 1.0 - float(pk.sum()))
    q0, q1 = q[kp], q[np.minimum(kp + 1, kmax)]
    second = 0.5 * np.sum(pk * (r * q0 * (1 - q0) + (r * q0) ** 2 + r * q1 * (1 - q1) + (r * q1) ** 2))
    var_noise = (m - 1) * float(second)
    qx = np.exp(_log_counts(n, d, x) - n * _LN2)
    mean_t, var_t = r * qx, r * qx * (1 - qx)
    shift = (m - 1) * 0.5 * r * float(np.sum(pk * np.abs(q0 - q1)))
    half = float(np.max(mean_t + shift + 40.0 * np.sqrt(var_t + var_noise))) + 16.0
    L = 1 << int(math.ceil(math.log2(2 * half + 1)))
    if L > _EXACT_MAX_GRID:
        raise ValueError(
            f"method='exact' needs a grid of {L} points (read sums too spread out); use a smaller r or m,"
            " or method='gaussian'"
        )
    t = 2 * np.pi * np.arange(L) / L
    em1 = np.exp(1j * t) - 1.0
    cf_plus0 = np.full(L, 0.0, dtype=np.complex128)  # E e^{+itC(k')}
    cf_plus1 = np.full(L, 0.0, dtype=np.complex128)  # E e^{+itC(k'+1)}
    for pj, a, b in zip(pk, q0, q1):
        if pj > 0:
            cf_plus0 += pj * np.exp(r * np.log1p(a * em1))
            cf_plus1 += pj * np.exp(r * np.log1p(b * em1))
    # unflipped bit: +C(k') or -C(k'+1); flipped bit: +C(k'+1) or -C(k')
    one_u = 0.5 * (cf_plus0 + np.conj(cf_plus1)) + p_far
    one_f = 0.5 * (cf_plus1 + np.conj(cf_plus0)) + p_far
    log_u, log_f = (m - 1) * np.log(one_u), (m - 1) * np.log(one_f)
    out = np.empty(x.shape)
    for i, (qt, h) in enumerate(zip(qx, x)):
        lt = r * np.log1p(qt * em1)
        err = []
        for log_noise in (log_u, log_f):
            pmf = np.real(np.fft.fft(np.exp(lt + log_noise))) / L
            err.append(min(1.0, max(0.0, float(np.sum(pmf[L // 2 :])) + 0.5 * float(pmf[0]))))
        out[i] = ((n - h) * err[0] + h * err[1]) / n
    return out


def convergence_map(
    n: int,
    d: int,
    m: float,
    r: Any,
    dv: Any = None,
    variance: str = "jaeckel",
    method: str = "gaussian",
) -> Any:
    r"""Expected distance to the target after one read, as a function of the query's distance.

    ``method="gaussian"`` (the reconstruction of the lost notebook): each bit is
    wrong with probability :math:`\Phi(-I(x)/\sigma(x))`, so

    .. math:: d_{\text{new}}(x) = n\,\Phi\!\left(-\frac{I(x)}{\sigma(x)}\right).

    Where no neuron is shared with the target (:math:`I(x) = 0`) the bit is a
    coin flip, :math:`d_{new} = n/2`, whatever the noise; where there is no
    cross-talk, :math:`\sigma^2 = I(x)` and the SNR is :math:`\sqrt{I(x)}`.

    With ``r=None`` (one neuron at every address) :math:`I(x) = c_{n,d}(x)` exactly
    and :math:`\sigma^2` is the cross-talk alone (see :func:`read_variance`); where
    that is zero and the circles meet, the read is exact (:math:`d_{new} = 0`).

    ``method="exact"`` (an integer number ``r`` of random neurons only, ``variance``
    ignored; ``r=None`` raises ``TypeError``): the per-bit
    error :math:`P(S<0) + \tfrac12 P(S=0)` of the integer read sum
    :math:`S = C_t + \sum_{j\ne t} C_j\epsilon_j`, from its exact distribution
    (inverse discrete Fourier transform of its characteristic function) with
    :math:`C_t\sim\mathrm{Bin}(r, q(x))`, :math:`C_j\sim\mathrm{Bin}(r, q(k_j))`,
    all counts treated as independent, and -- unlike the Gaussian model -- the
    auto-associative coupling of sign and count kept: a pattern that agrees with
    the query at bit ``i`` is one bit closer to it, so the cross-talk pushes each
    bit towards the *query's* value (helping the ``n - x`` bits the query has
    right, hurting the ``x`` it has wrong). It also keeps the heavy tails of the
    cross-talk. Agrees with :func:`simulate_convergence` (see the tests).

    Parameters
    ----------
    n, d, m, r
        As in :func:`read_variance`.
    dv : int or array of int, optional
        Query distances; default ``0..n``.
    variance : str
        Variance model (:data:`VARIANCE_MODELS`); the reconstruction uses ``"jaeckel"``.

    Returns
    -------
    float or ndarray
        Expected new distance (real-valued).

    See Also
    --------
    critical_distance, simulate_convergence

    Examples
    --------
    Beyond ``2d`` the circles do not meet and the read is a coin flip per bit:

    >>> y = convergence_map(64, 11, 1024, 2**64)
    >>> float(y[23]), bool(y[22] < 1e-6)
    (32.0, True)
    >>> y0 = convergence_map(64, 11, 1024, None)
    >>> float(y0[23]), float(y0[22])
    (32.0, 0.0)
    """
    n = _check_n(n)
    d = check_int("d", d, lo=0, hi=n)
    m = _check_m(m)
    log_r = _log_r(n, r)
    check_choice("variance", variance, VARIANCE_MODELS)
    check_choice("method", method, ("gaussian", "exact"))
    scalar = dv is not None and np.ndim(dv) == 0
    x = np.arange(n + 1) if dv is None else np.atleast_1d(_dv_array(n, dv))
    if method == "exact":
        if r is None or not isinstance(r, numbers.Integral) or isinstance(r, bool):
            raise TypeError(
                f"method='exact' needs an integer number r of random neurons (r=None, one neuron at "
                f"every address, has deterministic counts too large for its grid), got {r!r}"
            )
        mi = check_int("m", m, lo=1)
        return _finish(n * _exact_bit_error(n, d, mi, int(r), x), scalar)
    return _finish(_map_values(n, d, m, log_r, variance, x, r is None), scalar)


def _critical_from_map(y: np.ndarray, convention: str) -> float:
    """``y[x]`` for ``x = 0..n``; see :func:`critical_distance`."""
    n = len(y) - 1
    x = np.arange(n + 1)
    fail = np.nonzero(y[1:] >= x[1:])[0]
    if fail.size == 0:
        return float(n)
    f = int(fail[0]) + 1  # first failing integer distance >= 1
    if convention == "last_converging":
        return float(f - 1)
    if convention == "first_failing":
        return float(f)
    if f == 1:
        return 0.0
    g0, g1 = y[f - 1] - (f - 1), y[f] - f
    return float((f - 1) + (-g0) / (g1 - g0))


def critical_distance(
    n: int,
    d: int,
    m: float,
    r: Any,
    variance: str = "jaeckel",
    convention: str = "last_converging",
    method: str = "gaussian",
    max_distance: int | None = None,
) -> Any:
    r"""Largest query distance from which one read moves every query closer to its target.

    ``convention``:

    ``"last_converging"`` (default)
        :math:`\max\{x : d_{new}(x') < x'\ \forall x' \in \{1..x\}\}` (0 if ``x = 1`` fails).
    ``"first_failing"``
        The first integer :math:`x \ge 1` with :math:`d_{new}(x) \ge x`, i.e. one more.
    ``"interpolated"``
        Where the straight line between those two points crosses :math:`y = x`
        (a real number; the "crossing of the map with the identity").

    Without any failure up to ``n`` the result is ``n``. ``variance`` and ``method``
    are passed to :func:`convergence_map`. ``max_distance`` evaluates the map only on
    ``0..max_distance`` (faster for ``method="exact"``); without a failure there, the
    result is ``max_distance`` (a lower bound).

    Returns
    -------
    int (float for ``"interpolated"``)

    Examples
    --------
    Without cross-talk (``2d < n/2``) the map fails exactly where the circles
    stop meeting, at ``2d + 1``:

    >>> critical_distance(64, 11, 1024, 2**64), critical_distance(64, 11, 1024, 2**64, convention="first_failing")
    (22, 23)
    """
    check_choice("convention", convention, CD_CONVENTIONS)
    n = _check_n(n)
    top = n if max_distance is None else check_int("max_distance", max_distance, lo=1, hi=n)
    y = convergence_map(n, d, m, r, np.arange(top + 1), variance=variance, method=method)
    cd = _critical_from_map(np.asarray(y), convention)
    return cd if convention == "interpolated" else int(cd)


def optimal_radius_critical_distance(
    n: int,
    m: float,
    r: Any,
    variance: str = "jaeckel",
    convention: str = "last_converging",
    radii: Any = None,
    return_all: bool = False,
    method: str = "gaussian",
) -> Any:
    r"""Radius with the largest :func:`critical_distance`, :math:`d^*_{CD}`.

    Ties go to the smallest radius. ``radii`` defaults to ``0..n//2``, all evaluated
    when there are at most 2048 of them. For larger ``n`` the search skips the radii
    whose circles hold less than one neuron on average (their critical distance is 0)
    and then refines a grid of at most 256 radii around its best point (coarse to
    fine; a maximum narrower than the first grid step could be missed). With
    ``return_all=True`` returns ``(d_star, radii, critical_distances)`` for the radii
    evaluated.

    Examples
    --------
    >>> optimal_radius_critical_distance(64, 1024, 2**64, convention="first_failing")
    15
    """
    return_all = check_bool("return_all", return_all)
    n = _check_n(n)

    def cd_of(d: int) -> float:
        return float(critical_distance(n, int(d), m, r, variance, convention, method))

    if radii is not None or n // 2 + 1 <= _EXHAUSTIVE_RADII:
        rad = np.arange(n // 2 + 1) if radii is None else np.atleast_1d(check_int_array("radii", radii, lo=0, hi=n))
        cds = np.array([cd_of(d) for d in rad], dtype=float)
    else:
        # below the one-neuron radius (r p(d) < 1) every read of a bit is wrong with
        # probability > Phi(-1), so the critical distance is 0: search d_lo..n//2 only,
        # coarse to fine when that range is still long
        lo = 0 if r is None else min(radius_for_one_neuron(n, r) if _log_r(n, r) >= 0 else n // 2, n // 2)
        seen: dict[int, float] = {}
        step = max(1, -(-(n // 2 - lo + 1) // _COARSE_RADII))
        window = range(lo, n // 2 + 1, step)
        while True:
            for d in window:
                if d not in seen:
                    seen[d] = cd_of(d)
            if step == 1:
                break
            best_d = max(seen, key=lambda k: (seen[k], -k))
            if seen[best_d] == 0.0:  # nothing found on the grid: look around the SNR optimum
                best_d = min(max(optimal_radius_snr(n, m, r), lo), n // 2)
            step = max(1, step // 4)
            window = range(max(lo, best_d - 4 * step), min(n // 2, best_d + 4 * step) + 1, step)
        rad = np.array(sorted(seen))
        cds = np.array([seen[d] for d in rad], dtype=float)
    best = int(rad[int(np.argmax(cds))])
    return (best, rad, cds) if return_all else best


# ----------------------------------------------------------------------------------------------
# neuron coverage
# ----------------------------------------------------------------------------------------------
def neuron_coverage(n: int, d: Any, r: Any, method: str = "exact") -> Any:
    r"""Probability that at least one of ``r`` random neurons lies within ``d`` of a random query.

    .. math:: P = 1 - (1 - p_d)^r \approx 1 - e^{-r p_d}.

    ``r=None`` (one neuron at every address) gives exactly 1 for every ``d >= 0`` (the
    query's own address holds a neuron), whatever ``method``. ``r=2**n`` random neurons
    give :math:`1-(1-2^{-n})^{2^n}\approx 1-1/e` at ``d = 0``: random addresses repeat and miss.

    ``method``:

    ``"exact"``
        Exact binomial :math:`p_d = F_n(d)` in :math:`1-(1-p_d)^r`.
    ``"poisson"``
        :math:`1 - e^{-r p_d}` with the exact :math:`p_d`.
    ``"normal"``
        :math:`p_d \approx \Phi((d - n/2)/\sqrt{n/4})` (the original's, no continuity correction).
    ``"normal_cc"``
        :math:`p_d \approx \Phi((d + 1/2 - n/2)/\sqrt{n/4})`.

    Examples
    --------
    With one neuron the probability is the space fraction itself:

    >>> from sdmlib.geometry import space_fraction
    >>> bool(abs(neuron_coverage(1000, 451, 1) - space_fraction(1000, 451)) < 1e-15)
    True
    >>> round(float(neuron_coverage(1000, 451, 10**6)), 6)
    1.0
    >>> float(neuron_coverage(64, 0, None)), round(float(neuron_coverage(64, 0, 2**64)), 4)
    (1.0, 0.6321)
    """
    n = _check_n(n)
    log_r = _log_r(n, r)
    check_choice("method", method, ("exact", "poisson", "normal", "normal_cc"))
    scalar = np.ndim(d) == 0
    da = np.atleast_1d(check_int_array("d", d, lo=0, hi=n))
    if r is None:
        return _finish(np.ones(da.shape), scalar)
    if method in ("exact", "poisson"):
        lp = _log_ball_fractions(n)[da]
    else:
        shift = 0.5 if method == "normal_cc" else 0.0
        lp = special.log_ndtr((da + shift - n / 2.0) / math.sqrt(n / 4.0))
    p = np.exp(lp)
    with np.errstate(divide="ignore"):
        if method == "poisson":
            log_lam = lp + log_r
        else:
            # -log(1 - p), accurate for small and for large p
            if method == "exact":
                log1m = np.where(p < 0.5, np.log1p(-p), _log_upper_tail(n, da))
            else:
                z = (da + (0.5 if method == "normal_cc" else 0.0) - n / 2.0) / math.sqrt(n / 4.0)
                log1m = np.where(p < 0.5, np.log1p(-p), special.log_ndtr(-z))
            log_lam = np.log(-log1m) + log_r
    with np.errstate(over="ignore"):
        out = -np.expm1(-np.exp(log_lam))
    return _finish(out, scalar)


def _log_upper_tail(n: int, d: np.ndarray) -> np.ndarray:
    """log(1 - p(d)) = log p_{>d}, by symmetry log F_n(n - d - 1); -inf at d = n."""
    lf = _log_ball_fractions(n)
    idx = n - d - 1
    return np.where(idx >= 0, lf[np.clip(idx, 0, n)], -np.inf)


def radius_for_one_neuron(n: int, r: Any, method: str = "exact") -> Any:
    r"""Radius at which the expected number of neurons in a circle, :math:`r p_d`, reaches 1.

    ``"exact"``: the smallest integer ``d`` with :math:`r\,p(d) \ge 1`;
    ``"normal"``: :math:`\max(0, n/2 + \sqrt{n/4}\,\Phi^{-1}(1/r))` (real-valued; clipped
    at 0, where the approximation would give a negative radius for ``r`` near or above ``2**n``).
    ``r=None`` (one neuron at every address) gives 0 with either method: the
    circle of radius 0 holds exactly one neuron.

    Examples
    --------
    >>> from sdmlib.geometry import space_fraction
    >>> d1 = radius_for_one_neuron(1000, 10**6)
    >>> bool(space_fraction(1000, d1) * 1e6 >= 1 > space_fraction(1000, d1 - 1) * 1e6)
    True
    """
    n = _check_n(n)
    log_r = _log_r(n, r)
    check_choice("method", method, ("exact", "normal"))
    if r is None:
        return 0 if method == "exact" else 0.0
    if log_r < 0:
        raise ValueError(f"r must be >= 1 for an expected count of one neuron, got r = {math.exp(log_r):.3g}")
    if method == "exact":
        d1 = _radius_for_log_fraction(n, -log_r)
        while d1 > 0 and _log_p(n, d1 - 1) + log_r >= -1e-12:  # r p = 1 exactly, lost to rounding
            d1 -= 1
        return d1
    # the normal approximation goes below 0 once 1/r is beyond its left tail; the circle of
    # radius 0 then already holds r/2**n >= 1 neurons on average (as "exact" says)
    return max(0.0, n / 2.0 + math.sqrt(n / 4.0) * float(special.ndtri_exp(-log_r)))


def cli_main(command: str, argv: list[str]) -> int:
    """Compatibility entry point: ``python -m sdmlib radii`` lives in :mod:`sdmlib.cli`."""
    from sdmlib.cli import main

    return main([command, *argv])
