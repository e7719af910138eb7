r"""Why a circle intersection looks exponential: the largest summand and its approximations.

The binary circle intersection is a double sum of products of binomials
(theory §4.1),

.. math::

    c_{n,d}(d_v)=\sum_{a}\sum_{b}\binom{n-d_v}{a}\binom{d_v}{b},
    \qquad I(d_v)=\frac{r}{2^n}\,c_{n,d}(d_v).

This module follows the chain of steps that turns it into an exponential in the
cosine similarity :math:`x=1-2d_v/n` (theory §7). Each function is named after
what it *is*:

=====================================  =================================================  ==============================
function                               what it computes                                   relation to :math:`I`
=====================================  =================================================  ==============================
`largest_summand`                      the largest term :math:`S_{\max}`                  true lower bound
`summand_count`                        number of terms :math:`N_{\rm sum}`                exact
`count_times_largest_summand`          :math:`N_{\rm sum}S_{\max}`                        true upper bound
`gaussian_summand`                     Gaussian approximation of :math:`S_{\max}`         approximation
`gaussian_count_approximation`         :math:`N_{\rm sum}\times` the Gaussian             approximation
`taylor_summand`                       the Gaussian with a linearised exponent            approximation
`constant_prefactor_approximations`    exponentials with constant prefactors              approximations
`prefactor_bounds`                     range of :math:`2^{n+1}/(\pi\sqrt{d_v(n-d_v)})`    true bounds of the prefactor
`taylor_rate`                          :math:`\beta_{\rm Taylor}=(n-2d)^2/(4n)`           decay rate in cosine units
`local_decay_rate`                     :math:`\tfrac n4\log\frac{c(2k)}{c(2k+2)}`         exact local rate, closed form
`ols_difference_weights`               OLS slope as a weighted mean of differences        exact identity
=====================================  =================================================  ==============================

The original analysis called the Gaussian curves "lower" and "upper bounds".
They are not bounds: the normal approximation of a binomial coefficient
*over*-estimates far tails, so for :math:`n=64` the Gaussian "lower bound" lies
above the exact intersection at every distance of the support for
:math:`d\le11` (by factors from about 1.2 to 400 at :math:`d=11` and from about
26 to 3800 at :math:`d=5`), and every Gaussian curve stays positive beyond
:math:`d_v=2d`, where the intersection is exactly zero. ``tests/test_bounds.py``
checks exhaustively, for every :math:`n\le200`, every :math:`d<n/2` and every
:math:`d_v`, which of these inequalities hold.

Conventions: ``r=None`` means one neuron at every address (exact counts, not :math:`2^n` random neurons), so
the curves are address *counts*; a number ``r`` gives expected *neurons*
(:math:`r/2^n` times the count). Every function has a ``log=True`` variant
(natural logarithm, ``-inf`` for zero) that never overflows; with ``log=False`` a
value too large for ``float64`` raises :class:`OverflowError` instead of returning
``inf``. All functions require :math:`0\le d<n/2`, where the derivation holds.

Examples
--------
The largest summand is a lower bound and :math:`N_{\rm sum}S_{\max}` an upper
bound of the exact count (here computed from Kanerva's lune formula):

>>> from math import comb
>>> n, d = 64, 11
>>> lune = lambda dv: sum(comb(n, i) for i in range(d + 1)) - sum(
...     comb(2 * k, k) * comb(n - 2 * k - 1, d - k) for k in range((dv - 1) // 2 + 1))
>>> dv = np.arange(1, 2 * d + 1)
>>> exact = np.array([float(lune(int(v))) for v in dv])
>>> bool(np.all(largest_summand(n, d, dv) <= exact * (1 + 1e-12)))
True
>>> bool(np.all(exact <= count_times_largest_summand(n, d, dv) * (1 + 1e-12)))
True
>>> bool(np.all(gaussian_summand(n, d, dv) > exact))   # the "lower bound" is above the truth
True
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import gammaln

from sdmlib._validate import check_bool, check_choice, check_int, check_int_array

__all__ = [
    "taylor_rate",
    "prefactor",
    "prefactor_bounds",
    "summand_count",
    "largest_summand",
    "count_times_largest_summand",
    "gaussian_summand",
    "gaussian_count_approximation",
    "taylor_summand",
    "constant_prefactor_approximations",
    "component_spans",
    "local_decay_rate",
    "ols_difference_weights",
]

_LOG2 = math.log(2.0)


# --------------------------------------------------------------------------- helpers
def _check_n_d(n: Any, d: Any) -> tuple[int, int]:
    n = check_int("n", n, lo=2)
    d = check_int("d", d, lo=0)
    if 2 * d >= n:
        raise ValueError(f"d must be an integer >= 0 and < n/2 = {n / 2:g} (the derivation needs d < n/2), got {d}")
    return n, d


def _log_r_over_2n(n: int, r: Any) -> float:
    """log(r / 2**n); ``r=None`` means one neuron at every address (exact counts)."""
    if r is None:
        return 0.0
    if isinstance(r, (bool, np.bool_)) or not isinstance(r, numbers.Real):
        raise TypeError(f"r must be a positive number of neurons or None, got {type(r).__name__} {r!r}")
    if isinstance(r, numbers.Integral):
        if r <= 0:
            raise ValueError(f"r must be a positive number of neurons or None (one neuron at every address), got {r}")
        return math.log(int(r)) - n * _LOG2
    rf = float(r)
    if not np.isfinite(rf) or rf <= 0:
        raise ValueError(f"r must be a positive finite number of neurons or None (one neuron at every address), got {r!r}")
    return math.log(rf) - n * _LOG2


def _dv_array(n: int, dv: ArrayLike, lo: int = 0, hi: int | None = None) -> np.ndarray:
    return check_int_array("dv", dv, lo=lo, hi=n if hi is None else hi)


def _log_binom(N: np.ndarray, k: np.ndarray) -> np.ndarray:
    N = np.asarray(N, dtype=np.float64)
    k = np.asarray(k, dtype=np.float64)
    return gammaln(N + 1.0) - gammaln(k + 1.0) - gammaln(N - k + 1.0)


def _finish(logv: np.ndarray, log: bool, name: str) -> np.ndarray | float:
    log = check_bool("log", log)
    logv = np.asarray(logv, dtype=np.float64)
    if log:
        out = logv
    else:
        if np.any(logv > 709.0):
            raise OverflowError(
                f"{name} exceeds the float64 range for these arguments; call it with log=True"
            )
        out = np.exp(logv)
    return float(out) if out.ndim == 0 else out


# --------------------------------------------------------------------------- closed forms
def taylor_rate(n: int, d: int) -> float:
    r"""Decay rate of the Taylor-linearised largest summand, in cosine units.

    .. math:: \beta_{\rm Taylor}(n,d)=\frac{(n-2d)^2}{4n}

    Linearising :math:`1/(n-d_v)\approx(1+d_v/n)/n` in the Gaussian exponent
    :math:`-(n-2d)^2/(2(n-d_v))` gives a factor :math:`e^{-(n-2d)^2 d_v/(2n^2)}`;
    with :math:`d_v=n(1-x)/2` this is :math:`e^{\beta_{\rm Taylor}x}` up to a
    constant.

    Parameters
    ----------
    n : int
        Dimension, ``n >= 2``.
    d : int
        Radius, ``0 <= d < n/2``.

    Returns
    -------
    float

    Notes
    -----
    The Taylor rate gets the *trend* of the fitted softmax β, not its value:
    for :math:`n=64` the log-linear regression β is roughly two to three times
    :math:`\beta_{\rm Taylor}` (see the exponential-bounds chapter).

    Examples
    --------
    The Taylor exponent in Hamming units, rewritten in cosine units:

    >>> n, d = 64, 11
    >>> dv = np.arange(0, 23)
    >>> x = 1 - 2 * dv / n
    >>> hamming = -(n - 2 * d) ** 2 / (2 * n ** 2) * dv
    >>> bool(np.allclose(hamming - hamming[0], taylor_rate(n, d) * (x - 1)))
    True
    """
    n, d = _check_n_d(n, d)
    return (n - 2 * d) ** 2 / (4.0 * n)


def prefactor(n: int, dv: ArrayLike, *, log: bool = False) -> np.ndarray | float:
    r"""Prefactor of the Gaussian largest summand, :math:`2^{n+1}/(\pi\sqrt{d_v(n-d_v)})`.

    Parameters
    ----------
    n : int
        Dimension, ``n >= 2``.
    dv : int or array_like of int
        Distances between the centres, each in ``1 .. n-1``.
    log : bool
        Return the natural logarithm.

    Returns
    -------
    float or ndarray

    See Also
    --------
    prefactor_bounds : its minimum and maximum over ``dv = 1 .. n-1``.

    Examples
    --------
    The prefactor is symmetric about ``n/2``, where it is smallest:

    >>> p = prefactor(64, np.arange(1, 64), log=True)
    >>> bool(np.allclose(p, p[::-1])), int(np.argmin(p)) + 1
    (True, 32)
    """
    log = check_bool("log", log)
    n = check_int("n", n, lo=2)
    dv = _dv_array(n, dv, lo=1, hi=n - 1)
    logv = (n + 1) * _LOG2 - math.log(math.pi) - 0.5 * (np.log(dv.astype(float)) + np.log((n - dv).astype(float)))
    return _finish(logv, log, "prefactor")


def prefactor_bounds(n: int, *, log: bool = False) -> tuple[float, float]:
    r"""True bounds of the prefactor over ``dv = 1 .. n-1``.

    Because :math:`n-1\le d_v(n-d_v)\le n^2/4` for :math:`1\le d_v\le n-1`,

    .. math::

        \frac{2^{n+2}}{\pi n}\;\le\;\frac{2^{n+1}}{\pi\sqrt{d_v(n-d_v)}}\;\le\;
        \frac{2^{n+1}}{\pi\sqrt{n-1}} .

    Parameters
    ----------
    n : int
        Dimension, ``n >= 2``.
    log : bool
        Return natural logarithms.

    Returns
    -------
    (lower, upper) : tuple of float

    Examples
    --------
    The bounds are attained (at ``dv = n/2`` and ``dv = 1``):

    >>> lo, hi = prefactor_bounds(64, log=True)
    >>> p = prefactor(64, np.arange(1, 64), log=True)
    >>> bool(np.isclose(p.min(), lo)), bool(np.isclose(p.max(), hi))
    (True, True)
    """
    n = check_int("n", n, lo=2)
    log = check_bool("log", log)
    lo = (n + 2) * _LOG2 - math.log(math.pi) - math.log(n)
    hi = (n + 1) * _LOG2 - math.log(math.pi) - 0.5 * math.log(n - 1) if n > 1 else lo
    if log:
        return lo, hi
    if hi > 709.0:
        raise OverflowError("prefactor_bounds exceeds the float64 range for this n; call it with log=True")
    return math.exp(lo), math.exp(hi)


def summand_count(n: int, d: int, dv: ArrayLike) -> np.ndarray | int:
    r"""Number of :math:`(a,b)` terms in the double sum for :math:`c_{n,d}(d_v)`.

    The double sum (theory §4.1) runs over
    :math:`a=n-d-\lfloor d_v/2\rfloor,\dots,n-d_v` and, for each :math:`a`, over
    :math:`b=\max(0,n-d-a),\dots,\min(d_v,\,d_v-(n-d-a))`. Writing :math:`j=n-d-a`,

    .. math::

        N_{\rm sum}(d_v)=\sum_{j=\max(0,\,d_v-d)}^{\lfloor d_v/2\rfloor}(d_v+1-2j)
        \;+\;\max(0,\,d-d_v)\,(d_v+1),

    and :math:`N_{\rm sum}=0` for :math:`d_v>2d`.

    Parameters
    ----------
    n : int
        Dimension, ``n >= 2``.
    d : int
        Radius, ``0 <= d < n/2``.
    dv : int or array_like of int
        Distances, each in ``0 .. n``.

    Returns
    -------
    int or ndarray of int64
        Exact for any ``n``: above ``n = 2**31`` (where the count can pass
        ``2**63``) the arithmetic is done in Python integers and the array has
        dtype ``object``.

    Notes
    -----
    The original analysis left out the "+1" of each inner range, so its count
    (and its "upper bound") was 0 at :math:`d_v=2d`, where the intersection is
    :math:`\binom{2d}{d}\ne0`. It also did not clip the inner range at
    :math:`d_v`, which over-counts for :math:`d_v<d`.

    Examples
    --------
    At ``dv = 2d`` there is exactly one term (a = n - 2d, b = d):

    >>> int(summand_count(64, 11, 22)), int(summand_count(64, 11, 23))
    (1, 0)
    """
    n, d = _check_n_d(n, d)
    dv = _dv_array(n, dv)
    shape = dv.shape
    dv = dv.ravel()
    if n > 2**31:  # counts up to ~n**2/2 would overflow int64
        dv = dv.astype(object)
    j0 = np.maximum(0, dv - d)
    j1 = dv // 2
    m = j1 - j0 + 1
    part1 = np.where(m > 0, m * (dv + 1) - (j1 * (j1 + 1) - (j0 - 1) * j0), 0)
    part2 = np.maximum(0, d - dv) * (dv + 1)
    out = np.where(dv <= 2 * d, part1 + part2, 0)
    out = out.astype(object if n > 2**31 else np.int64).reshape(shape)
    return int(out) if out.ndim == 0 else out


def largest_summand(
    n: int, d: int, dv: ArrayLike, r: Any = None, *, log: bool = False
) -> np.ndarray | float:
    r"""The largest term of the intersection double sum (a true lower bound of :math:`I`).

    .. math::

        S_{\max}(d_v)=\frac{r}{2^n}\binom{n-d_v}{a^*}\binom{d_v}{\lfloor d_v/2\rfloor},
        \qquad a^*=n-d-\lfloor d_v/2\rfloor,

    for :math:`d_v\le2d`, and 0 beyond (where the intersection is empty).
    :math:`\binom{n-d_v}{a}` decreases in :math:`a` for :math:`a>(n-d_v)/2`, and
    every admissible :math:`a` satisfies this when :math:`d<n/2`, so the smallest
    admissible :math:`a^*` wins; its :math:`b`-range
    :math:`\{\lfloor d_v/2\rfloor,\lceil d_v/2\rceil\}` holds the mode of
    :math:`\binom{d_v}{b}`.

    Parameters
    ----------
    n : int
        Dimension, ``n >= 2``.
    d : int
        Radius, ``0 <= d < n/2``.
    dv : int or array_like of int
        Distances between the two centres, each in ``0 .. n``.
    r : int, float or None
        Number of neurons; ``None`` means one neuron at every address (exact address counts).
    log : bool
        Return the natural logarithm (``-inf`` where the summand is 0).

    Returns
    -------
    float or ndarray

    See Also
    --------
    count_times_largest_summand : the matching upper bound.
    gaussian_summand : its normal approximation.

    Examples
    --------
    At ``dv = 2d`` the largest summand is the only one, so it equals the exact
    count :math:`\binom{2d}{d}`; at ``dv = 0`` it is the ball's outer shell:

    >>> from math import comb
    >>> round(largest_summand(64, 11, 22)) == comb(22, 11)
    True
    >>> round(largest_summand(64, 11, 0)) == comb(64, 11)
    True
    """
    log = check_bool("log", log)
    n, d = _check_n_d(n, d)
    dv = _dv_array(n, dv)
    lr = _log_r_over_2n(n, r)
    half = dv // 2
    a_star = n - d - half
    inside = dv <= 2 * d
    with np.errstate(invalid="ignore"):
        logv = _log_binom(n - dv, np.where(inside, a_star, 0)) + _log_binom(dv, half) + lr
    logv = np.where(inside, logv, -np.inf)
    return _finish(logv, log, "largest_summand")


def count_times_largest_summand(
    n: int, d: int, dv: ArrayLike, r: Any = None, *, log: bool = False
) -> np.ndarray | float:
    r""":math:`N_{\rm sum}(d_v)\,S_{\max}(d_v)`: a true upper bound of the intersection.

    Every term of the double sum is at most :math:`S_{\max}` and there are
    :math:`N_{\rm sum}` of them, so :math:`I\le N_{\rm sum}S_{\max}`, with equality
    at :math:`d_v=2d` (a single term).

    Parameters
    ----------
    n, d, dv, r, log
        As in `largest_summand`.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> from math import comb
    >>> round(count_times_largest_summand(64, 11, 22)) == comb(22, 11)
    True
    """
    log = check_bool("log", log)
    n, d = _check_n_d(n, d)
    cnt = np.asarray(summand_count(n, d, dv))
    ls = np.asarray(largest_summand(n, d, dv, r, log=True))
    with np.errstate(divide="ignore"):
        logv = np.where(cnt > 0, np.log(np.maximum(cnt, 1)) + ls, -np.inf)
    return _finish(logv, log, "count_times_largest_summand")


def _gaussian_exponent(n: int, d: int, dv: np.ndarray) -> np.ndarray:
    half = dv // 2
    mu_a = (n - d - half) - (n - dv) / 2.0
    mu_b = half - dv / 2.0
    return -2.0 * mu_a**2 / (n - dv) - 2.0 * mu_b**2 / dv


def gaussian_summand(
    n: int, d: int, dv: ArrayLike, r: Any = None, *, log: bool = False
) -> np.ndarray | float:
    r"""Normal approximation of the largest summand (the original's "lower bound").

    Each binomial is replaced by its normal approximation
    :math:`\binom Nk\approx 2^N(\pi N/2)^{-1/2}\exp(-2(k-N/2)^2/N)`, giving

    .. math::

        G(d_v)=\frac{r}{2^n}\,\frac{2^{n+1}}{\pi\sqrt{d_v(n-d_v)}}
        \exp\!\Big(-\frac{2\mu_a^2}{n-d_v}-\frac{2\mu_b^2}{d_v}\Big),
        \quad \mu_a=a^*-\tfrac{n-d_v}{2},\ \mu_b=\lfloor d_v/2\rfloor-\tfrac{d_v}{2},

    which for even :math:`d_v` is
    :math:`\frac{r}{2^n}\frac{2^{n+1}}{\pi\sqrt{d_v(n-d_v)}}e^{-(n-2d)^2/(2(n-d_v))}`.

    Parameters
    ----------
    n, d, r, log
        As in `largest_summand`.
    dv : int or array_like of int
        Distances, each in ``1 .. n-1`` (the approximation of
        :math:`\binom{d_v}{b}` needs :math:`d_v\ge1`, that of
        :math:`\binom{n-d_v}{a}` needs :math:`d_v\le n-1`).

    Returns
    -------
    float or ndarray

    Notes
    -----
    **Not a bound.** The normal approximation over-estimates binomial
    coefficients far in their tails, and :math:`a^*` sits
    :math:`(n-2d)/\sqrt{n-d_v}` standard deviations from the mean. For
    :math:`n=64` and :math:`d\le11` this curve lies *above* the exact
    intersection at every :math:`d_v` of the support; for :math:`n=1000,\ d=451` it lies below at small
    :math:`d_v` and above in the far tail. It is also positive for
    :math:`d_v>2d`, where the intersection is exactly zero (the formula does not
    know that :math:`\binom{n-d_v}{a^*}=0` there). It always lies *below* the
    Taylor form (`taylor_summand`).

    Examples
    --------
    For even ``dv`` the exponent is :math:`-(n-2d)^2/(2(n-d_v))`:

    >>> n, d, dv = 64, 11, np.array([2, 8, 20])
    >>> direct = np.log(prefactor(n, dv)) - (n - 2 * d) ** 2 / (2 * (n - dv))
    >>> bool(np.allclose(gaussian_summand(n, d, dv, log=True), direct))
    True
    """
    log = check_bool("log", log)
    n, d = _check_n_d(n, d)
    dv = _dv_array(n, dv, lo=1, hi=n - 1)
    lr = _log_r_over_2n(n, r)
    logv = np.asarray(prefactor(n, dv, log=True)) + _gaussian_exponent(n, d, dv) + lr
    return _finish(logv, log, "gaussian_summand")


def gaussian_count_approximation(
    n: int, d: int, dv: ArrayLike, r: Any = None, *, log: bool = False
) -> np.ndarray | float:
    r""":math:`N_{\rm sum}\times` the Gaussian summand (the original's "upper bound").

    Parameters
    ----------
    n, d, r, log
        As in `largest_summand`.
    dv : int or array_like of int
        Distances, each in ``1 .. n-1``.

    Returns
    -------
    float or ndarray
        Zero (``-inf`` in log) for :math:`d_v>2d`, where :math:`N_{\rm sum}=0`.

    Notes
    -----
    An approximation, not a bound: where the Gaussian under-estimates the
    largest summand by more than the factor :math:`N_{\rm sum}`, it falls below
    the exact intersection. With the corrected summand count it is non-zero at
    :math:`d_v=2d`; the original's count (without the "+1") made it 0 there.

    Examples
    --------
    At ``dv = 2d`` (a single summand) it equals the Gaussian summand:

    >>> bool(np.isclose(gaussian_count_approximation(64, 11, 22), gaussian_summand(64, 11, 22)))
    True
    """
    log = check_bool("log", log)
    n, d = _check_n_d(n, d)
    dv = _dv_array(n, dv, lo=1, hi=n - 1)
    cnt = np.asarray(summand_count(n, d, dv))
    g = np.asarray(gaussian_summand(n, d, dv, r, log=True))
    with np.errstate(divide="ignore"):
        logv = np.where(cnt > 0, np.log(np.maximum(cnt, 1)) + g, -np.inf)
    return _finish(logv, log, "gaussian_count_approximation")


def _taylor_exponent(n: int, d: int, dv: np.ndarray) -> np.ndarray:
    s = float((n - 2 * d) ** 2)
    return -s / (2.0 * n) - s / (2.0 * n * n) * dv


def taylor_summand(
    n: int, d: int, dv: ArrayLike, r: Any = None, *, log: bool = False
) -> np.ndarray | float:
    r"""The Gaussian summand with its exponent linearised in :math:`d_v` (Taylor step).

    Using :math:`1/(n-d_v)\approx(1+d_v/n)/n`,

    .. math::

        T(d_v)=\frac{r}{2^n}\,\frac{2^{n+1}}{\pi\sqrt{d_v(n-d_v)}}\,
        e^{-\frac{(n-2d)^2}{2n}}\,e^{-\frac{(n-2d)^2}{2n^2}d_v},

    whose exponential decays at rate `taylor_rate` in cosine units.

    Parameters
    ----------
    n, d, r, log
        As in `largest_summand`.
    dv : int or array_like of int
        Distances, each in ``1 .. n-1``.

    Returns
    -------
    float or ndarray

    Notes
    -----
    Because :math:`1/(1-t)\ge1+t`, the linearised exponent is never below the
    Gaussian one, so :math:`T\ge G` (`gaussian_summand`) for every
    :math:`d_v`; the two agree to first order at small :math:`d_v/n`. An
    approximation of the intersection, not a bound.

    Examples
    --------
    Equal to the Gaussian at first order: the log-ratio grows like
    :math:`(n-2d)^2 d_v^2/(2n^3)` for small even ``dv``:

    >>> n, d, dv = 1000, 451, np.array([2, 4, 8])
    >>> gap = taylor_summand(n, d, dv, log=True) - gaussian_summand(n, d, dv, log=True)
    >>> bool(np.all(gap >= 0)), bool(np.allclose(gap, (n - 2*d)**2 * dv**2 / (2 * n**3), rtol=0.02))
    (True, True)
    """
    log = check_bool("log", log)
    n, d = _check_n_d(n, d)
    dv = _dv_array(n, dv, lo=1, hi=n - 1)
    lr = _log_r_over_2n(n, r)
    logv = np.asarray(prefactor(n, dv, log=True)) + _taylor_exponent(n, d, dv) + lr
    return _finish(logv, log, "taylor_summand")


def constant_prefactor_approximations(
    n: int,
    d: int,
    dv: ArrayLike,
    r: Any = None,
    *,
    exponent: str = "gaussian",
    log: bool = False,
) -> tuple[np.ndarray | float, np.ndarray | float]:
    r"""Pure-exponential curves with constant prefactors (the original's fixed-constant "bounds").

    .. math::

        L(d_v)=\frac{r}{2^n}\,P_{\min}\,e^{E(d_v)},\qquad
        U(d_v)=\frac{r}{2^n}\,\max_{d_v'} N_{\rm sum}(d_v')\;P_{\max}\,e^{E(d_v)},

    where :math:`P_{\min},P_{\max}` are `prefactor_bounds` and :math:`E` is the
    Gaussian exponent :math:`-(n-2d)^2/(2(n-d_v))` (``exponent="gaussian"``) or its
    Taylor linearisation :math:`-(n-2d)^2(1+d_v/n)/(2n)` (``exponent="taylor"``).
    With the Taylor exponent both curves are exactly exponential in
    :math:`x=1-2d_v/n`, with rate `taylor_rate`.

    Parameters
    ----------
    n, d, r, log
        As in `largest_summand`.
    dv : int or array_like of int
        Distances, each in ``1 .. n-1``.
    exponent : {"gaussian", "taylor"}
        Which exponent to use.

    Returns
    -------
    (lower, upper) : tuple of float or ndarray

    Notes
    -----
    The prefactor bounds are true bounds *of the prefactor*, and :math:`U\ge L`
    always, but the curves inherit the Gaussian's errors: they bracket the
    Gaussian approximation, not the intersection. The original took the
    constants over the plotted :math:`d_v` range; here they are the global
    ones (:math:`1\le d_v\le n-1` for the prefactor, :math:`0\le d_v\le2d` for
    :math:`N_{\rm sum}`), so the curves do not depend on what is plotted. The
    exponent uses the even-:math:`d_v` form at every :math:`d_v`.

    Examples
    --------
    The Taylor curves are exact exponentials with rate ``taylor_rate`` in cosine:

    >>> n, d = 64, 11
    >>> dv = np.arange(1, 40)
    >>> lo, hi = constant_prefactor_approximations(n, d, dv, exponent="taylor", log=True)
    >>> slope = np.polyfit(1 - 2 * dv / n, lo, 1)[0]
    >>> bool(np.isclose(slope, taylor_rate(n, d))), bool(np.all(hi >= lo))
    (True, True)
    """
    n, d = _check_n_d(n, d)
    check_choice("exponent", exponent, ("gaussian", "taylor"))
    log = check_bool("log", log)
    dv = _dv_array(n, dv, lo=1, hi=n - 1)
    lr = _log_r_over_2n(n, r)
    pmin, pmax = prefactor_bounds(n, log=True)
    nmax = int(np.max(summand_count(n, d, np.arange(0, 2 * d + 1))))
    if exponent == "gaussian":
        e = -float((n - 2 * d) ** 2) / (2.0 * (n - dv))
    else:
        e = _taylor_exponent(n, d, dv)
    lower = lr + pmin + e
    upper = lr + math.log(nmax) + pmax + e
    return (
        _finish(lower, log, "constant_prefactor_approximations"),
        _finish(upper, log, "constant_prefactor_approximations"),
    )


def component_spans(n: int, d: int, dv: ArrayLike) -> dict[str, float]:
    r"""How much each factor of the "upper bound" varies over ``dv``: log10 of max/min.

    The Gaussian count approximation is the product of the summand count
    :math:`N_{\rm sum}`, the prefactor and the exponential
    :math:`e^{-2\mu_a^2/(n-d_v)-2\mu_b^2/d_v}`. The spans say how much each
    factor moves the curve over ``dv``; comparable spans mean that no factor
    alone shapes it.

    Parameters
    ----------
    n, d
        As in `largest_summand`.
    dv : array_like of int
        Distances, each in ``1 .. min(2d, n-1)`` (where :math:`N_{\rm sum}>0`).

    Returns
    -------
    dict
        ``{"count": ..., "prefactor": ..., "exponential": ...}``, each
        :math:`\log_{10}(\max/\min)` over ``dv``.

    Examples
    --------
    For Kanerva's memory the exponential varies most, but the summand count
    nearly as much (10^1.88 against 10^2.16):

    >>> s = component_spans(1000, 451, np.arange(1, 501))
    >>> {k: round(v, 2) for k, v in s.items()}
    {'count': 1.88, 'prefactor': 1.2, 'exponential': 2.16}
    """
    n, d = _check_n_d(n, d)
    dv = _dv_array(n, dv, lo=1, hi=min(2 * d, n - 1))
    if dv.size == 0:
        raise ValueError("dv must hold at least one distance")
    cnt = np.log10(np.asarray(summand_count(n, d, dv), dtype=float))
    pre = np.asarray(prefactor(n, dv, log=True)) / math.log(10)
    ex = _gaussian_exponent(n, d, dv) / math.log(10)
    return {
        "count": float(cnt.max() - cnt.min()),
        "prefactor": float(pre.max() - pre.min()),
        "exponential": float(ex.max() - ex.min()),
    }


# --------------------------------------------------------------------------- local decay rate
def _ball_and_lune(n: int, d: int, kmax: int) -> tuple[int, list[int]]:
    """|O_n(d)| and the lune terms L_k = C(2k, k) C(n-2k-1, d-k), k = 0..kmax (exact)."""
    ball = sum(math.comb(n, i) for i in range(d + 1))
    lune = [math.comb(2 * k, k) * math.comb(n - 2 * k - 1, d - k) if d - k >= 0 else 0
            for k in range(kmax + 1)]
    return ball, lune


def local_decay_rate(n: int, d: int, dv: ArrayLike, *, pair: bool = True) -> np.ndarray | float:
    r"""Exact local decay rate of the circle intersection, in cosine units, in closed form.

    By Kanerva's lune step, moving one centre from distance :math:`2k` to
    :math:`2k+1` removes :math:`L_k=\binom{2k}{k}\binom{n-2k-1}{d-k}` addresses and
    the step from :math:`2k+1` to :math:`2k+2` removes none, so with
    :math:`c(2k)=|O_n(d)|-\sum_{j<k}L_j`

    .. math::

        \frac{c(2k+1)}{c(2k)}=1-\frac{L_k}{c(2k)},\qquad \frac{c(2k+2)}{c(2k+1)}=1 .

    One Hamming step is :math:`\Delta x=-2/n` in cosine, so the local rate of
    :math:`\log I` per unit cosine is :math:`\tfrac n2\log\frac{c(d_v)}{c(d_v+1)}`:
    :math:`-\tfrac n2\log(1-L_k/c(2k))` at :math:`d_v=2k` and 0 at odd
    :math:`d_v`. ``pair=True`` (default) returns the mean over the pair
    :math:`\{2k, 2k+1\}` containing ``dv``,

    .. math::

        \beta_{\rm loc}(k)=\frac n4\log\frac{c(2k)}{c(2k+2)}
        =-\frac n4\log\Big(1-\frac{L_k}{c(2k)}\Big),

    the slope of the staircase over one pair. It does not depend on ``r``.

    Parameters
    ----------
    n, d : int
        Dimension and radius, ``0 <= d < n/2``.
    dv : int or array_like of int
        Distances, each in ``0 .. 2d-1`` (beyond, the intersection is 0).
    pair : bool
        Pair-averaged rate (default) or the rate of the single step ``dv -> dv+1``.

    Returns
    -------
    float or ndarray

    Notes
    -----
    At :math:`d_v=0`, :math:`L_0/c(0)=\binom{n-1}{d}/|O_n(d)|`, which tends to
    :math:`1-2d/n` when :math:`n\to\infty` at fixed :math:`d/n<1/2`; so
    :math:`\beta_{\rm loc}(0)\approx\frac n4\log\frac{n}{2d}`, against the Taylor rate
    :math:`\frac n4(1-\frac{2d}{n})^2`.

    Examples
    --------
    The closed form equals the ratio of exact intersections:

    >>> from sdmlib.geometry import hamming_ball_intersection as c
    >>> n, d = 64, 11
    >>> rate = local_decay_rate(n, d, np.arange(0, 2 * d))
    >>> direct = [n / 4 * math.log(c(n, d, 2 * (k // 2)) / c(n, d, 2 * (k // 2) + 2)) for k in range(2 * d)]
    >>> bool(np.allclose(rate, direct, rtol=1e-12))
    True
    >>> float(local_decay_rate(n, d, 1, pair=False))       # odd step: I(2k+1) = I(2k+2)
    0.0
    """
    pair = check_bool("pair", pair)
    n, d = _check_n_d(n, d)
    if d == 0:
        raise ValueError("d must be >= 1 for a decay rate (d = 0 has a single point, dv = 0)")
    dv_arr = check_int_array("dv", dv, lo=0, hi=2 * d - 1)
    ks = dv_arr // 2
    kmax = int(ks.max()) if ks.size else 0
    ball, lune = _ball_and_lune(n, d, kmax)
    rates = np.empty(kmax + 1)
    c = ball
    for k in range(kmax + 1):
        rates[k] = -math.log1p(-float(Fraction(lune[k], c)))
        c -= lune[k]
    per_pair = n / 4.0 * rates[ks]
    out = per_pair if pair else np.where(dv_arr % 2 == 0, 2.0 * per_pair, 0.0)
    return float(out) if np.ndim(out) == 0 else out


def ols_difference_weights(n_points: int) -> np.ndarray:
    r"""Weights that write an OLS slope on equally spaced points as a mean of differences.

    For :math:`N` points at equal spacing :math:`h`,

    .. math::

        \hat\beta_{\rm OLS}=\sum_{j=1}^{N-1}w_j\,\frac{y_j-y_{j-1}}{h},\qquad
        w_j=\frac{6\,j\,(N-j)}{N(N^2-1)},\qquad \sum_jw_j=1 ,

    a weighted mean of the local slopes that weights the middle of the window
    most (points indexed :math:`0..N-1`). With `local_decay_rate` (``pair=False``)
    this writes the regression β of a window as a weighted mean of exact local
    rates.

    Parameters
    ----------
    n_points : int
        Number of points ``N >= 2``.

    Returns
    -------
    ndarray of shape (N - 1,)

    Examples
    --------
    >>> y = np.array([0.0, 1.0, 4.0, 9.0, 16.0])
    >>> w = ols_difference_weights(5)
    >>> bool(np.isclose(w.sum(), 1)), bool(np.isclose(np.dot(w, np.diff(y)), np.polyfit(np.arange(5), y, 1)[0]))
    (True, True)
    """
    big_n = check_int("n_points", n_points, lo=2)
    j = np.arange(1, big_n, dtype=np.float64)
    return 6.0 * j * (big_n - j) / (big_n * (big_n**2 - 1.0))
