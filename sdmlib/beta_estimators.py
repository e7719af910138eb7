r"""Fits of the normalised read weights: the softmax-MSE β and the KL-optimal β.

`sdmlib.beta` fits a straight line to :math:`\log I(d_v)` over a window of
distances (a regression). This module fits the *normalised weights* instead:
with one pattern at each distance :math:`d_v` (or :math:`w_{d_v}` patterns, see
below), the SDM read gives the pattern class at distance :math:`d_v` the mass

.. math::

    q_{d_v}=\frac{w_{d_v}I(d_v)}{\sum_k w_kI(k)},\qquad
    q^\beta_{d_v}=\frac{w_{d_v}e^{\beta x_{d_v}}}{\sum_k w_ke^{\beta x_k}},
    \qquad x=1-2d_v/n,

and a softmax of temperature β gives :math:`q^\beta`. Each estimator answers
its own question:

* `fit_softmax_beta`: the β whose softmax is closest to the normalised curve in
  mean squared error (one pattern per distance);
* `kl_beta` (``fit_beta(..., estimator="kl")``): the β minimising
  :math:`\mathrm{KL}(q\,\|\,q^\beta)`. The softmax is an exponential family with
  sufficient statistic :math:`x`, so

  .. math::

      \frac{d}{d\beta}\mathrm{KL}(q\,\|\,q^\beta)=\mathbb E_{q^\beta}[x]-\mathbb E_q[x],
      \qquad \frac{d^2}{d\beta^2}\mathrm{KL}=\mathrm{Var}_{q^\beta}(x)>0 :

  the KL-optimal β is unique and is *the* moment-matching β (the softmax
  reproduces the mean cosine of the SDM read). It is also the maximum-likelihood
  β for the distance of the pattern an SDM read picks.

**Distance weights.** ``distance_weights=None`` (or ``"uniform"``) puts one pattern
at every distance :math:`d_v=0..n`, the book's comparison curve.
``"binomial"`` uses :math:`w_{d_v}=\binom{n}{d_v}2^{-n}`, how often each distance
occurs between a query and *random* keys: then :math:`q` is the attention mass
that a read of a memory of random patterns puts on each distance, and
:math:`\mathrm{KL}(q\,\|\,q^\beta)` equals the KL divergence between the
per-pattern SDM and softmax weights of such a memory (both are constant within a
distance class, so the sum over patterns groups by distance). An array of
:math:`n+1` non-negative numbers gives any other distance histogram (e.g. the
distances of an experiment).

The log intersection curves used here and by `sdmlib.beta` also live here.

Examples
--------
The KL-optimal β matches the mean cosine of the SDM read, and it lies next to the
paper's (as-published) β, not next to the least-squares slope:

>>> from sdmlib.beta import fit_beta
>>> kl = fit_beta(64, 11, estimator="kl")
>>> w = kl_target(64, 11)
>>> x = 1 - 2 * np.arange(65) / 64
>>> bool(np.isclose(np.dot(w, x), np.dot(softmax_weights(kl.beta, x), x), rtol=1e-12))
True
>>> [round(fit_beta(64, 11, estimator=e).beta, 2) for e in ("ols", "as-published", "kl")]
[14.41, 15.85, 15.92]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq, minimize_scalar

from sdmlib._validate import check_choice, check_int, check_real, check_real_array
from sdmlib.geometry import cap_intersection, log_hamming_ball_intersection

__all__ = [
    "BETA_SPACES",
    "DISTANCE_WEIGHTS",
    "SoftmaxBetaFit",
    "distance_log_weights",
    "kl_target",
    "kl_beta",
    "fit_softmax_beta",
    "softmax_loss",
    "softmax_approximation_error",
    "softmax_weights",
]

#: Intersection geometries.
BETA_SPACES = ("binary", "continuous")
#: Named distance histograms (an array of n + 1 weights is also accepted).
DISTANCE_WEIGHTS = ("uniform", "binomial")


def _check_space(space: Any) -> str:
    return check_choice("space", space, BETA_SPACES)


# --------------------------------------------------------------------------- log intersections
@lru_cache(maxsize=256)
def _full_log_curve(n: int, d: int, space: str) -> np.ndarray:
    """log I for r = 2**n at every dv = 0..n (cached: the cap needs one quadrature per point)."""
    dv = np.arange(0, n + 1, dtype=np.int64)
    if space == "binary":
        out = np.asarray(log_hamming_ball_intersection(n, d, dv), dtype=np.float64)
    else:
        x = 1.0 - 2.0 * dv / n
        out = np.asarray(cap_intersection(n, d, x, r=1, log=True), dtype=np.float64) + n * math.log(2.0)
    out.setflags(write=False)
    return out


def _log_count_curve(n: int, d: int, dv: np.ndarray, space: str) -> np.ndarray:
    """log of the intersection for r = 2**n (an address count for binary circles)."""
    if dv.size > n // 2:
        return _full_log_curve(n, d, space)[dv]
    if space == "binary":
        return np.asarray(log_hamming_ball_intersection(n, d, dv), dtype=np.float64)
    x = 1.0 - 2.0 * dv / n
    return np.asarray(cap_intersection(n, d, x, r=1, log=True), dtype=np.float64) + n * math.log(2.0)




# --------------------------------------------------------------------------- softmax fit
def softmax_weights(beta: float, cosines: ArrayLike) -> np.ndarray:
    r"""Softmax of :math:`\beta x` along the last axis, computed stably.

    .. math:: \mathrm{softmax}_\beta(x)_\mu=\frac{e^{\beta(x_\mu-\max_\nu x_\nu)}}{\sum_\nu e^{\beta(x_\nu-\max_\nu x_\nu)}}

    Subtracting the maximum (of :math:`\beta x`) leaves the result unchanged and
    keeps every exponent :math:`\le0`, so no overflow occurs for any β.

    Parameters
    ----------
    beta : float
        Inverse temperature (any finite real).
    cosines : array_like
        Cosine similarities, shape ``(..., m)`` with ``m >= 1``; each in
        ``[-1, 1]`` up to 1e-6.

    Returns
    -------
    ndarray
        Same shape, non-negative, summing to 1 along the last axis.

    Examples
    --------
    Invariant to shifting all cosines, and finite for huge β:

    >>> x = np.array([0.9, 0.5, -0.2])
    >>> bool(np.allclose(softmax_weights(10.0, x), softmax_weights(10.0, x - 0.3)))
    True
    >>> softmax_weights(1e6, x).round(6).tolist()
    [1.0, 0.0, 0.0]
    """
    beta = check_real("beta", beta)
    x = check_real_array("cosines", cosines, lo=-1.0 - 1e-6, hi=1.0 + 1e-6)
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ValueError("cosines must have at least one entry along the last axis")
    # shift before scaling: beta * x itself can overflow near the float limit
    ref = x.max(axis=-1, keepdims=True) if beta >= 0 else x.min(axis=-1, keepdims=True)
    with np.errstate(over="ignore"):
        z = beta * (x - ref)  # <= 0 everywhere; -inf is fine (weight 0)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _normalised_target(n: int, d: int, space: str) -> tuple[np.ndarray, np.ndarray]:
    dv = np.arange(0, n + 1, dtype=np.int64)
    logi = _log_count_curve(n, d, dv, space)
    if not np.any(np.isfinite(logi)):
        raise ValueError(f"the intersection is zero at every distance for n = {n}, d = {d}")
    w = np.exp(logi - np.max(logi))
    return 1.0 - 2.0 * dv / n, w / w.sum()


def softmax_loss(beta: float | ArrayLike, x: ArrayLike, target: ArrayLike) -> np.ndarray | float:
    r"""Mean squared error :math:`\frac1N\sum_i(t_i-\mathrm{softmax}_\beta(x)_i)^2`.

    Parameters
    ----------
    beta : float or array_like
        One or several inverse temperatures (vectorised).
    x, target : array_like
        Cosines and the normalised target weights (1-D, same length).

    Returns
    -------
    float or ndarray

    Examples
    --------
    Zero when the target is itself a softmax:

    >>> x = np.linspace(-1, 1, 9)
    >>> float(softmax_loss(3.0, x, softmax_weights(3.0, x)))
    0.0
    """
    x = check_real_array("x", x, lo=-1.0 - 1e-6, hi=1.0 + 1e-6, nonempty=True)
    t = check_real_array("target", target)
    if x.ndim != 1 or t.shape != x.shape:
        raise ValueError("x and target must be 1-D arrays of the same length")
    b = check_real_array("beta", beta)
    ref = np.where(b[..., None] >= 0, x.max(), x.min())
    with np.errstate(over="ignore", invalid="ignore"):
        z = b[..., None] * (x - ref)
    e = np.exp(z)
    s = e / e.sum(axis=-1, keepdims=True)
    out = np.mean((s - t) ** 2, axis=-1)
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class SoftmaxBetaFit:
    r"""Result of `fit_softmax_beta`.

    Attributes
    ----------
    beta : float
        Minimiser of the mean squared error.
    loss : float
        The error at ``beta``.
    n, d : int
        Dimension and radius.
    space : str
        ``"binary"`` or ``"continuous"``.
    x, target, fitted
        Cosines of ``dv = 0..n``, the normalised intersection and the fitted
        softmax weights.
    """

    beta: float
    loss: float
    n: int
    d: int
    space: str
    x: np.ndarray = field(repr=False)
    target: np.ndarray = field(repr=False)
    fitted: np.ndarray = field(repr=False)


def fit_softmax_beta(n: int, d: int, *, space: str = "binary") -> SoftmaxBetaFit:
    r"""β minimising the squared error between the normalised intersection and a softmax.

    .. math::

        \hat\beta_{\rm sm}=\arg\min_\beta\frac1{n+1}\sum_{d_v=0}^{n}
        \Big(t_{d_v}-\mathrm{softmax}_\beta(x)_{d_v}\Big)^2,\qquad
        t_{d_v}=\frac{I(d_v)}{\sum_{d_v'}I(d_v')},

    over the whole curve :math:`d_v=0..n` (zero tail included).

    The minimiser is deterministic: the loss is scanned on 241 log-spaced values
    of β in :math:`[10^{-3},\,50n]`, and the best grid point's bracket is refined
    by bounded Brent minimisation (``scipy.optimize.minimize_scalar``) to a
    relative tolerance of about :math:`10^{-10}`.

    Parameters
    ----------
    n : int
        Dimension, ``n >= 2``.
    d : int
        Radius.
    space : {"binary", "continuous"}
        Hamming circles or spherical caps.

    Returns
    -------
    SoftmaxBetaFit

    Notes
    -----
    The original minimised this loss with Adam from a random starting β, so its
    values were not reproducible and in one case not converged.

    Examples
    --------
    The fit is a minimum: the loss is larger on both sides.

    >>> f = fit_softmax_beta(64, 11)
    >>> bool(softmax_loss(f.beta * 0.999, f.x, f.target) > f.loss < softmax_loss(f.beta * 1.001, f.x, f.target))
    True
    """
    n = check_int("n", n, lo=2)
    d = check_int("d", d, lo=0, hi=n)
    space = _check_space(space)
    x, t = _normalised_target(n, d, space)
    grid = np.geomspace(1e-3, 50.0 * n, 241)
    losses = np.asarray(softmax_loss(grid, x, t))
    i = int(np.argmin(losses))
    if i == 0 or i == grid.size - 1:
        raise RuntimeError(
            f"softmax-MSE minimum for n = {n}, d = {d} lies at the edge of the searched range "
            f"[{grid[0]:g}, {grid[-1]:g}]"
        )
    lo, hi = grid[i - 1], grid[i + 1]
    res = minimize_scalar(
        lambda b: softmax_loss(b, x, t), bounds=(lo, hi), method="bounded",
        options={"xatol": 1e-10 * grid[i], "maxiter": 500},
    )
    beta = float(res.x)
    loss = float(softmax_loss(beta, x, t))
    if loss > losses[i]:  # never worse than the grid
        beta, loss = float(grid[i]), float(losses[i])
    return SoftmaxBetaFit(beta=beta, loss=loss, n=n, d=d, space=space, x=x, target=t,
                          fitted=softmax_weights(beta, x))


def softmax_approximation_error(
    n: int,
    d: int,
    beta: float | None = None,
    *,
    space: str = "binary",
    window: str | tuple[int, int] | None = None,
    estimator: str = "ols",
    distance_weights: Any = None,
) -> dict[str, float]:
    r"""How closely :math:`\mathrm{softmax}_\beta` matches the normalised intersection curve.

    With :math:`t_{d_v}=w_{d_v}I(d_v)/\sum_kw_kI(k)` and
    :math:`s_{d_v}=w_{d_v}e^{\beta x_{d_v}}/\sum_kw_ke^{\beta x_k}` over
    :math:`d_v=0..n` (``distance_weights=None``: :math:`w=1`, one pattern at each
    distance, so :math:`t` is the normalised curve and :math:`s` the softmax),
    this returns

    .. math::

        \max_{d_v}|t_{d_v}-s_{d_v}|,\qquad
        \mathrm{KL}(t\,\|\,s)=\sum_{d_v:\,t_{d_v}>0}t_{d_v}\log\frac{t_{d_v}}{s_{d_v}},\qquad
        \tfrac12\sum_{d_v}|t_{d_v}-s_{d_v}| ,

    all computed in log space (no underflow). With distance weights, :math:`t`
    and :math:`s` are the attention masses per distance class; the KL divergence
    is then also the per-pattern KL divergence of a memory with that distance
    histogram (module docstring).

    Parameters
    ----------
    n, d : int
        Dimension and radius.
    beta : float, optional
        The softmax β; default `sdmlib.beta.fit_beta` with ``space``, ``window``,
        ``estimator`` (and ``distance_weights`` for ``estimator="kl"``).
    space, window, estimator
        As in `sdmlib.beta.fit_beta`.
    distance_weights : None, {"uniform", "binomial"} or array_like
        How many patterns sit at each distance (`distance_log_weights`).

    Returns
    -------
    dict
        ``beta``, ``max_abs_error``, ``worst_dv`` (the distance of the largest
        error), ``kl_divergence`` (nats) and ``total_variation``.

    Examples
    --------
    KL is zero exactly when the curve is a softmax; here it is small but positive,
    the softmax-MSE β has the smaller maximum error, and the KL-optimal β the
    smallest KL divergence:

    >>> e_ols = softmax_approximation_error(64, 11)
    >>> e_sm = softmax_approximation_error(64, 11, fit_softmax_beta(64, 11).beta)
    >>> e_kl = softmax_approximation_error(64, 11, estimator="kl")
    >>> 0 < e_ols["kl_divergence"] < 0.1, e_sm["max_abs_error"] < e_ols["max_abs_error"]
    (True, True)
    >>> e_kl["kl_divergence"] < min(e_ols["kl_divergence"], e_sm["kl_divergence"])
    True
    """
    n = check_int("n", n, lo=2)
    d = check_int("d", d, lo=0, hi=n)
    space = _check_space(space)
    log_w = distance_log_weights(n, distance_weights)
    if beta is None:
        from sdmlib.beta import fit_beta

        kw = {"distance_weights": distance_weights} if estimator == "kl" else {}
        beta = fit_beta(n, d, space=space, window=window, estimator=estimator, **kw).beta
    beta = check_real("beta", beta)
    dv = np.arange(0, n + 1, dtype=np.int64)
    x = 1.0 - 2.0 * dv / n
    logi = _log_count_curve(n, d, dv, space) + log_w
    top = np.max(logi)
    if not np.isfinite(top):
        raise ValueError(f"the intersection is zero at every distance for n = {n}, d = {d}")
    log_t = logi - (top + np.log(np.sum(np.exp(logi - top))))
    log_s = _log_softmax(beta, x, log_w)
    t, s_ = np.exp(log_t), np.exp(log_s)
    pos = np.isfinite(log_t)
    err = np.abs(t - s_)
    return {
        "beta": float(beta),
        "max_abs_error": float(np.max(err)),
        "worst_dv": int(np.argmax(err)),
        "kl_divergence": float(np.sum(t[pos] * (log_t[pos] - log_s[pos]))),
        "total_variation": float(0.5 * np.sum(err)),
    }


# --------------------------------------------------------------------------- distance weights
def distance_log_weights(n: int, distance_weights: Any = None) -> np.ndarray:
    r"""Log multiplicity :math:`\log w_{d_v}` of each distance :math:`d_v=0..n`.

    Parameters
    ----------
    n : int
        Dimension, ``n >= 2``.
    distance_weights : None, {"uniform", "binomial"} or array_like
        ``None``/``"uniform"``: one pattern per distance (all zeros returned);
        ``"binomial"``: :math:`\log\big(\binom{n}{d_v}2^{-n}\big)`, the distance
        distribution between a query and random keys; an array of ``n + 1``
        finite non-negative numbers, not all zero (zeros give ``-inf``).

    Returns
    -------
    ndarray of shape (n + 1,)

    Examples
    --------
    >>> w = np.exp(distance_log_weights(10, "binomial"))
    >>> bool(np.isclose(w.sum(), 1.0)), bool(np.isclose(w[5], 252 / 1024))
    (True, True)
    """
    n = check_int("n", n, lo=2)
    if distance_weights is None or (isinstance(distance_weights, str) and distance_weights == "uniform"):
        return np.zeros(n + 1)
    if isinstance(distance_weights, str):
        check_choice("distance_weights", distance_weights, DISTANCE_WEIGHTS)
        k = np.arange(n + 1)
        from scipy.special import gammaln

        return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1) - n * math.log(2.0)
    w = check_real_array("distance_weights", distance_weights, lo=0.0)
    if w.shape != (n + 1,):
        raise ValueError(f"distance_weights must have n + 1 = {n + 1} entries (distances 0..n), got shape {w.shape}")
    if not np.any(w > 0):
        raise ValueError("distance_weights must have at least one positive entry")
    with np.errstate(divide="ignore"):
        return np.log(w)


def _weights_key(distance_weights: Any) -> Any:
    """A hashable, canonical form of ``distance_weights`` (for caches and labels)."""
    if distance_weights is None or (isinstance(distance_weights, str) and distance_weights == "uniform"):
        return None
    if isinstance(distance_weights, str):
        return check_choice("distance_weights", distance_weights, DISTANCE_WEIGHTS)
    return tuple(np.asarray(distance_weights, dtype=float).tolist())


def kl_target(n: int, d: int, *, space: str = "binary", distance_weights: Any = None) -> np.ndarray:
    r"""The SDM attention mass :math:`q_{d_v}=w_{d_v}I(d_v)/\sum_kw_kI(k)` at each distance ``0..n``.

    With ``distance_weights=None`` this is the normalised intersection curve, one
    pattern per distance. See the module docstring for the weights.

    Examples
    --------
    >>> q = kl_target(64, 5)
    >>> bool(np.isclose(q.sum(), 1)), bool(np.all(q[11:] == 0)), bool(q[1] == q[2])
    (True, True, True)
    """
    n = check_int("n", n, lo=2)
    d = check_int("d", d, lo=0, hi=n)
    space = _check_space(space)
    logq = _full_log_curve(n, d, space) + distance_log_weights(n, distance_weights)
    top = np.max(logq)
    if not np.isfinite(top):
        raise ValueError(f"the intersection is zero at every weighted distance for n = {n}, d = {d}")
    q = np.exp(logq - top)
    return q / q.sum()


def _log_softmax(beta: float, x: np.ndarray, log_w: np.ndarray) -> np.ndarray:
    z = beta * x + log_w
    top = np.max(z)
    return z - (top + math.log(float(np.sum(np.exp(z - top)))))


def kl_beta(x: ArrayLike, log_target: ArrayLike, log_weights: ArrayLike | None = None) -> float:
    r"""The β minimising :math:`\mathrm{KL}(q\,\|\,q^\beta)`, the moment-matching β.

    .. math::

        q_i\propto w_i e^{y_i},\qquad q^\beta_i\propto w_ie^{\beta x_i},\qquad
        \hat\beta_{\rm KL}:\ \ \mathbb E_{q^{\hat\beta}}[x]=\mathbb E_q[x].

    :math:`\mathrm{KL}` is strictly convex in β (its second derivative is
    :math:`\mathrm{Var}_{q^\beta}(x)`), so the root of the moment equation is the
    unique minimum. It is found by Brent's method
    (``scipy.optimize.brentq``) on the increasing function
    :math:`\beta\mapsto\mathbb E_{q^\beta}[x]-\mathbb E_q[x]`, after doubling a
    bracket from :math:`[-1,1]`; the tolerance is about :math:`10^{-12}`
    relative.

    Parameters
    ----------
    x : array_like
        Cosines of the distance classes, 1-D, in ``[-1, 1]``.
    log_target : array_like
        :math:`y_i=\log` of the unnormalised target weight per pattern of class
        ``i`` (``-inf`` where it is zero), same shape.
    log_weights : array_like, optional
        :math:`\log w_i`, log number of patterns in class ``i`` (``-inf``: none);
        default 0 (one pattern per class).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the target's mean cosine is not strictly inside the range of the
        base measure's cosines (e.g. all target mass on one distance): then
        no finite β attains it.

    Examples
    --------
    A softmax target is recovered, and the minimiser matches the mean cosine:

    >>> x = np.linspace(-1, 1, 11)
    >>> round(kl_beta(x, 3.7 * x), 10)
    3.7
    >>> y = -np.arange(11.0) ** 1.5
    >>> b = kl_beta(x, y)
    >>> q = np.exp(y) / np.exp(y).sum()
    >>> bool(np.isclose(np.dot(q, x), np.dot(np.exp(b * x) / np.exp(b * x).sum(), x)))
    True
    """
    x = check_real_array("x", x, lo=-1.0 - 1e-9, hi=1.0 + 1e-9, ndim=1, nonempty=True)
    y = np.asarray(log_target, dtype=np.float64)
    lw = np.zeros_like(x) if log_weights is None else np.asarray(log_weights, dtype=np.float64)
    if x.ndim != 1 or y.shape != x.shape or lw.shape != x.shape:
        raise ValueError("x, log_target and log_weights must be 1-D arrays of the same length")
    for name, arr in (("log_target", y), ("log_weights", lw)):
        if np.any(np.isnan(arr)) or np.any(arr == np.inf):
            raise ValueError(f"{name} must be finite or -inf (log of a non-negative number)")
    base = np.isfinite(lw)
    lq = y + lw
    if not np.any(np.isfinite(lq)):
        raise ValueError("the target is zero at every distance")
    q = np.exp(lq - np.max(lq))
    q /= q.sum()
    mean_t = float(np.dot(q, x))
    xb = x[base]
    span = float(xb.max() - xb.min())
    if not xb.min() + 1e-12 * max(span, 1e-300) < mean_t < xb.max() - 1e-12 * max(span, 1e-300):
        raise ValueError(
            f"the target's mean cosine {mean_t:.6g} is not strictly inside [{xb.min():.6g}, {xb.max():.6g}] "
            "(all its mass on one end): no finite beta matches it"
        )

    def excess(b: float) -> float:
        return float(np.dot(np.exp(_log_softmax(b, x, lw)), x)) - mean_t

    lo, hi = -1.0, 1.0
    while excess(hi) < 0:
        lo, hi = hi, 2.0 * hi
        if hi > 1e12:
            raise ValueError("no beta below 1e12 matches the target's mean cosine")
    while excess(lo) > 0:
        lo, hi = 2.0 * lo, lo
        if lo < -1e12:
            raise ValueError("no beta above -1e12 matches the target's mean cosine")
    return float(brentq(excess, lo, hi, xtol=1e-13 * max(1.0, abs(hi)), rtol=1e-14, maxiter=500))
