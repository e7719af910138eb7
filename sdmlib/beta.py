r"""From circle intersections to a softmax: the β of an SDM radius, and back.

An SDM read weights each stored pattern by the number of neurons in the
intersection of the query's and the pattern's circles, normalised over the
patterns (theory §8.1). If the intersection is close to an exponential in the
cosine similarity :math:`x=1-2d_v/n`, :math:`I(x)\approx e^{\beta x+b}`, then

.. math::

    \frac{I(x_\mu)}{\sum_\nu I(x_\nu)}\approx
    \frac{e^{\beta x_\mu}}{\sum_\nu e^{\beta x_\nu}}=\mathrm{softmax}_\beta(x)_\mu ,

the intercept :math:`b` and the neuron density :math:`r/2^n` cancel, and
**β does not depend on r** (only the intercept does).

This module estimates β for a radius :math:`d` (`fit_beta`), maps radii to β
and back (`beta_for_radius`, `radius_for_beta`, `beta_curve`) and computes the
SDM read weights (`sdm_weights`). The fits of the *normalised weights* (the
softmax-MSE β, the KL-optimal β, the approximation error) live in
`sdmlib.beta_estimators` and are importable from here too.

Which β is "right" depends on the question; each estimator answers one:

* ``"ols"``: the least-squares slope of :math:`\log I` on a window (the best
  straight line through the log curve);
* ``"as-published"``: what the original code computed, the least-squares slope
  times :math:`N/(N-1)` (a ``ddof`` mix-up; it defines the paper's numbers);
* ``"kl"``: the softmax closest to the normalised SDM weights in KL divergence,
  which is the softmax with the same mean cosine (`sdmlib.beta_estimators`),
  with one pattern per distance or any distance histogram
  (``distance_weights="binomial"``: random keys).

Conventions
-----------
* ``space="binary"``: Hamming circles in :math:`\{0,1\}^n`, intersections from
  `sdmlib.geometry.log_hamming_ball_intersection`;
  ``space="continuous"``: spherical caps on :math:`S^{n-1}` with the matching
  cosine threshold (`sdmlib.geometry.cap_intersection`).
* Distances :math:`d_v` are Hamming distances :math:`0..n`; the regression is on
  the cosines :math:`x=1-2d_v/n`, so β is an inverse temperature on cosine
  similarity.
* ``window`` (which :math:`d_v` are fitted): ``"within-radius"`` is
  :math:`d_v=0..d-1` (the paper's window, which defines 35.5 / 15.9 / 10.1),
  ``"one-to-radius"`` is :math:`d_v=1..d` (the original's β-against-d figure),
  ``"full-support"`` is every :math:`d_v` with a non-zero intersection
  (:math:`0..2d` for binary circles), or a tuple ``(lo, hi)`` (inclusive).
  Zero intersections inside a window are dropped before taking logs and
  reported in `BetaFit.dropped_dv`.
* ``estimator``: ``"ols"`` is the least-squares slope; ``"as-published"``
  reproduces the original code, which divided a ``ddof=1`` covariance by a
  ``ddof=0`` variance and so multiplied the slope by :math:`N/(N-1)` (N fitted
  points), with the intercept :math:`\bar y-\hat\beta\bar x` of that slope;
  ``"kl"`` is the KL-optimal (moment-matching) β of the normalised weights over
  the window's distances, by default all of :math:`d_v=0..n`.
* ``window=None`` (the default) means ``"within-radius"`` for the two
  regressions and :math:`d_v=0..n` for ``"kl"``.

Examples
--------
The paper's three β values (n = 64, as published, within-radius window):

>>> [round(fit_beta(64, d, estimator="as-published").beta, 1) for d in (5, 11, 15)]
[35.5, 15.9, 10.1]
>>> [round(fit_beta(64, d).beta, 1) for d in (5, 11, 15)]   # least squares (OLS)
[28.4, 14.4, 9.4]
>>> [round(fit_beta(64, d, estimator="kl").beta, 1) for d in (5, 11, 15)]   # KL-optimal
[34.4, 15.9, 10.1]
>>> [round(fit_beta(64, d, estimator="kl", distance_weights="binomial").beta, 1) for d in (5, 11, 15)]
[57.6, 30.3, 19.5]
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Sequence

import numpy as np
from numpy.typing import ArrayLike

from sdmlib._validate import check_choice, check_int, check_int_array, check_real_array
from sdmlib.beta_estimators import (  # noqa: F401  (re-exported: `from sdmlib.beta import ...` keeps working)
    BETA_SPACES,
    DISTANCE_WEIGHTS,
    SoftmaxBetaFit,
    _check_space,
    _full_log_curve,
    _log_count_curve,
    _normalised_target,
    _weights_key,
    distance_log_weights,
    fit_softmax_beta,
    kl_beta,
    kl_target,
    softmax_approximation_error,
    softmax_loss,
    softmax_weights,
)
from sdmlib.geometry import cap_intersection, log_hamming_ball_intersection
from sdmlib.hamming import cosine_to_hamming

__all__ = [
    "BETA_WINDOWS",
    "BETA_ESTIMATORS",
    "BETA_SPACES",
    "DISTANCE_WEIGHTS",
    "BetaFit",
    "SoftmaxBetaFit",
    "log_linear_fit",
    "fit_beta",
    "fit_softmax_beta",
    "kl_beta",
    "kl_target",
    "distance_log_weights",
    "softmax_loss",
    "softmax_approximation_error",
    "beta_for_radius",
    "radius_for_beta",
    "beta_curve",
    "sdm_weights",
    "softmax_weights",
]

#: Named fit windows (a ``(lo, hi)`` tuple is also accepted).
BETA_WINDOWS = ("within-radius", "one-to-radius", "full-support")
#: Estimators of β: two regressions of log I and the KL-optimal fit of the weights.
BETA_ESTIMATORS = ("ols", "as-published", "kl")

# --------------------------------------------------------------------------- validation

def _check_estimator(estimator: Any) -> str:
    if estimator == "as_published":  # spelling used in the theory spec
        estimator = "as-published"
    return check_choice("estimator", estimator, BETA_ESTIMATORS)


def _check_r(r: Any) -> Any:
    """Validate a neuron count; ``None`` means one neuron at every address (exact counts). Returns log(r) or None."""
    if r is None:
        return None
    if isinstance(r, (bool, np.bool_)) or not isinstance(r, numbers.Real):
        raise TypeError(f"r must be a positive number of neurons or None (one neuron at every address), got {type(r).__name__} {r!r}")
    if isinstance(r, numbers.Integral):
        if r <= 0:
            raise ValueError(f"r must be a positive number of neurons or None (one neuron at every address), got {r}")
        return math.log(int(r))
    rf = float(r)
    if not np.isfinite(rf) or rf <= 0:
        raise ValueError(f"r must be a positive finite number of neurons or None (one neuron at every address), got {r!r}")
    return math.log(rf)


def _resolve_window(n: int, d: int, window: Any) -> tuple[int, int]:
    if isinstance(window, str):
        check_choice("window", window, BETA_WINDOWS)
        if window == "within-radius":
            lo, hi = 0, d - 1
        elif window == "one-to-radius":
            lo, hi = 1, d
        else:
            lo, hi = 0, n
    elif isinstance(window, (tuple, list)) and len(window) == 2:
        lo = check_int("window[0]", window[0], lo=0, hi=n)
        hi = check_int("window[1]", window[1], lo=0, hi=n)
        if hi <= lo:
            raise ValueError(f"window must be (lo, hi) with 0 <= lo < hi <= n = {n}, got {tuple(window)}")
    else:
        allowed = ", ".join(repr(w) for w in BETA_WINDOWS)
        raise ValueError(f"window must be one of {allowed} or a (lo, hi) tuple of distances; got {window!r}")
    return lo, min(hi, n)


# --------------------------------------------------------------------------- regression fit
@dataclass(frozen=True)
class BetaFit:
    r"""Result of a log-linear fit :math:`\log I(d_v)\approx\beta x+b`, :math:`x=1-2d_v/n`.

    Attributes
    ----------
    beta : float
        Slope in cosine units (the softmax inverse temperature).
    intercept : float
        :math:`b` (depends on ``r``; β does not).
    n, d : int
        Dimension and radius.
    space, estimator : str
        As passed to `fit_beta`.
    window : tuple of int
        The window ``(lo, hi)`` of distances actually requested (inclusive).
    r : int, float or None
        Neuron count (``None``: one neuron per address).
    dv, x, log_intersection
        The fitted points (numpy arrays): distances, cosines and :math:`\log I`.
    residuals, dropped_dv
        Numpy arrays: the residuals ``log_intersection - (beta * x + intercept)``,
        and the distances in the window where the intersection is 0 (left out
        of the fit).
    distance_weights : None, str or tuple
        ``estimator="kl"`` only: the distance histogram (``None``: one pattern
        per distance).
    """

    beta: float
    intercept: float
    n: int
    d: int
    space: str
    window: tuple[int, int]
    estimator: str
    r: Any
    dv: np.ndarray = field(repr=False)
    x: np.ndarray = field(repr=False)
    log_intersection: np.ndarray = field(repr=False)
    residuals: np.ndarray = field(repr=False)
    dropped_dv: np.ndarray = field(repr=False)
    distance_weights: Any = None

    @property
    def n_points(self) -> int:
        """Number of fitted points N."""
        return int(self.dv.size)

    @property
    def max_abs_residual(self) -> float:
        """Largest absolute residual (natural-log units)."""
        return float(np.max(np.abs(self.residuals)))

    def log_fit(self, x: ArrayLike) -> np.ndarray:
        """The fitted line :math:`\\beta x+b` at cosines ``x``."""
        return self.beta * np.asarray(x, dtype=np.float64) + self.intercept


def log_linear_fit(x: ArrayLike, log_y: ArrayLike, *, estimator: str = "ols") -> tuple[float, float]:
    r"""Slope and intercept of :math:`\log y\approx\beta x+b` on given points.

    .. math::

        \hat\beta_{\rm OLS}=\frac{\sum_i(x_i-\bar x)(y_i-\bar y)}{\sum_i(x_i-\bar x)^2},\qquad
        \hat\beta_{\rm as\ published}=\frac{\operatorname{cov}_{\rm ddof=1}(x,y)}{\operatorname{var}_{\rm ddof=0}(x)}
        =\frac{N}{N-1}\hat\beta_{\rm OLS},\qquad \hat b=\bar y-\hat\beta\bar x.

    Parameters
    ----------
    x : array_like
        Abscissae (cosines), 1-D, at least two distinct values.
    log_y : array_like
        Natural logs of the values, same length, finite.
    estimator : {"ols", "as-published"}
        Least squares or the original code's inflated slope (``"kl"`` is not a
        regression; use `kl_beta`).

    Returns
    -------
    (beta, intercept) : tuple of float

    Examples
    --------
    An exact exponential is recovered exactly by OLS; the published estimator
    inflates its slope by N/(N-1):

    >>> x = np.linspace(0.5, 1, 6)
    >>> b, c = log_linear_fit(x, 7.25 * x - 3)
    >>> round(b, 12), round(c, 12)
    (7.25, -3.0)
    >>> round(log_linear_fit(x, 7.25 * x - 3, estimator="as-published")[0], 12) == round(7.25 * 6 / 5, 12)
    True
    """
    estimator = _check_estimator(estimator)
    if estimator == "kl":
        raise ValueError("estimator must be 'ols' or 'as-published' for a log-linear regression; "
                         "the KL-optimal beta is kl_beta / fit_beta(..., estimator='kl')")
    x = check_real_array("x", x, ndim=1)
    y = check_real_array("log_y", log_y, ndim=1)
    if y.shape != x.shape:
        raise ValueError(f"x and log_y must have the same length, got {x.size} and {y.size}")
    if x.size < 2 or np.all(x == x[0]):
        raise ValueError("x must hold at least two distinct values (a slope needs two points)")
    # scale first so that neither the sums nor the squares overflow or underflow
    sx = float(np.max(np.abs(x)))
    sy = float(np.max(np.abs(y))) or 1.0
    xs, ys = x / sx, y / sy
    xm_s, ym_s = float(xs.mean()), float(ys.mean())
    dx = xs - xm_s
    if not np.any(dx):
        raise ValueError("x must hold values that differ by more than rounding (a slope needs two points)")
    beta_s = float(np.dot(dx, ys - ym_s) / np.dot(dx, dx))
    if estimator == "as-published":
        n_fit = x.size
        beta_s *= n_fit / (n_fit - 1)
    with np.errstate(over="ignore"):
        beta = beta_s * (sy / sx)
        intercept = (ym_s - beta_s * xm_s) * sy
    if not (np.isfinite(beta) and np.isfinite(intercept)):
        raise ValueError("x and log_y give a slope or intercept beyond the float64 range")
    return float(beta), float(intercept)


def fit_beta(
    n: int,
    d: int,
    *,
    space: str = "binary",
    window: str | tuple[int, int] | None = None,
    estimator: str = "ols",
    r: Any = None,
    distance_weights: Any = None,
) -> BetaFit:
    r"""Fit :math:`\log I(d_v)\approx\beta x+b` over a window of distances.

    .. math::

        \hat\beta_{\rm OLS}=\frac{\sum_i(x_i-\bar x)(y_i-\bar y)}{\sum_i(x_i-\bar x)^2},
        \qquad
        \hat\beta_{\rm as\ published}=\frac{N}{N-1}\,\hat\beta_{\rm OLS},
        \qquad \hat b=\bar y-\hat\beta\bar x,

    with :math:`y_i=\log I(d_{v,i})`, :math:`x_i=1-2d_{v,i}/n` and :math:`N` the
    number of fitted points. ``estimator="kl"`` instead returns the β of
    `kl_beta`: the softmax over the window's distances (default all of
    :math:`0..n`) closest in KL divergence to the normalised intersections,
    equivalently the one with the same mean cosine, and the intercept
    :math:`b=\log\sum_iw_iI_i-\log\sum_iw_ie^{\beta x_i}` that gives the line
    :math:`e^{\beta x+b}` the same (weighted) total as :math:`I`.

    Parameters
    ----------
    n : int
        Dimension, ``n >= 2``.
    d : int
        Radius of the read and write circles (Hamming units).
    space : {"binary", "continuous"}
        Hamming circles or spherical caps.
    window : None, {"within-radius", "one-to-radius", "full-support"} or (lo, hi)
        Distances fitted (see the module docstring); at least two of them must
        have a non-zero intersection. ``None``: ``"within-radius"`` for the
        regressions, :math:`0..n` for ``"kl"``.
    estimator : {"ols", "as-published", "kl"}
        Least squares, the original code's :math:`N/(N-1)`-inflated slope
        (``"as_published"`` is accepted as a spelling), or the KL-optimal β.
    r : int, float or None
        Number of neurons (``None``: :math:`2^n`). Changes only the intercept.
    distance_weights : None, {"uniform", "binomial"} or array_like
        ``estimator="kl"`` only: how many patterns sit at each distance
        (`distance_log_weights`; ``"binomial"``: random keys).

    Returns
    -------
    BetaFit

    Raises
    ------
    ValueError
        If fewer than two points of the window have a non-zero intersection
        (e.g. ``d = 1`` with the within-radius window, which has one point).

    See Also
    --------
    fit_softmax_beta : fit the normalised curve in squared error.
    kl_beta : the KL-optimal β on given arrays.
    beta_for_radius : the same β as a plain number.

    Notes
    -----
    Because :math:`I(2k-1)=I(2k)`, :math:`\log I` is a staircase and β depends on
    the window, most at small n (theory §8.3).

    Examples
    --------
    The published estimator is OLS times N/(N-1), and OLS is numpy's slope:

    >>> ols = fit_beta(64, 11)
    >>> pub = fit_beta(64, 11, estimator="as-published")
    >>> bool(np.isclose(pub.beta / ols.beta, 11 / 10, rtol=1e-12))
    True
    >>> bool(np.isclose(ols.beta, np.polyfit(ols.x, ols.log_intersection, 1)[0], rtol=1e-10))
    True

    β does not depend on r, the intercept shifts by log(r / 2**n):

    >>> a, b = fit_beta(64, 11), fit_beta(64, 11, r=10**6)
    >>> bool(np.isclose(a.beta, b.beta, rtol=1e-13)), bool(np.isclose(a.intercept - b.intercept, 64 * np.log(2) - np.log(1e6)))
    (True, True)

    The KL-optimal β minimises the KL divergence (compare a direct scan):

    >>> from sdmlib.beta_estimators import softmax_approximation_error as err
    >>> kl = fit_beta(64, 11, estimator="kl").beta
    >>> grid = kl + np.linspace(-0.5, 0.5, 101)
    >>> best = grid[np.argmin([err(64, 11, b)["kl_divergence"] for b in grid])]
    >>> bool(abs(best - kl) <= 0.005)
    True
    """
    n = check_int("n", n, lo=2)
    d = check_int("d", d, lo=0, hi=n)
    space = _check_space(space)
    estimator = _check_estimator(estimator)
    logr = _check_r(r)
    wkey = _weights_key(distance_weights)
    if wkey is not None and estimator != "kl":
        raise ValueError(f"distance_weights apply to estimator='kl' only, got estimator={estimator!r}")
    if window is None:
        window = (0, n) if estimator == "kl" else "within-radius"
    lo, hi = _resolve_window(n, d, window)
    if isinstance(window, str) and window == "full-support" and space == "binary":
        hi = min(2 * d, n)
    if hi < lo:
        raise ValueError(f"window {window!r} is empty for d = {d}")
    dv_all = np.arange(lo, hi + 1, dtype=np.int64)
    y_all = _log_count_curve(n, d, dv_all, space)
    if logr is not None:
        y_all = y_all + (logr - n * math.log(2.0))
    keep = np.isfinite(y_all)
    dv, y = dv_all[keep], y_all[keep]
    if estimator == "kl":
        x_all = 1.0 - 2.0 * dv_all / n
        lw = distance_log_weights(n, distance_weights)[dv_all]
        beta = kl_beta(x_all, y_all, lw)
        z1, z2 = y_all + lw, beta * x_all + lw
        m1, m2 = np.max(z1), np.max(z2)
        intercept = float(m1 + np.log(np.sum(np.exp(z1 - m1))) - m2 - np.log(np.sum(np.exp(z2 - m2))))
        x = x_all[keep]
        return BetaFit(beta=beta, intercept=intercept, n=n, d=d, space=space, window=(lo, hi),
                       estimator=estimator, r=r, dv=dv, x=x, log_intersection=y,
                       residuals=y - (beta * x + intercept), dropped_dv=dv_all[~keep], distance_weights=wkey)
    if dv.size < 2:
        raise ValueError(
            f"window {window!r} for n = {n}, d = {d} has {dv.size} point(s) with a non-zero "
            "intersection; a slope needs at least 2 (choose a wider window or a larger d)"
        )
    x = 1.0 - 2.0 * dv / n
    beta, intercept = log_linear_fit(x, y, estimator=estimator)
    return BetaFit(
        beta=beta,
        intercept=intercept,
        n=n,
        d=d,
        space=space,
        window=(lo, hi),
        estimator=estimator,
        r=r,
        dv=dv,
        x=x,
        log_intersection=y,
        residuals=y - (beta * x + intercept),
        dropped_dv=dv_all[~keep],
    )


# --------------------------------------------------------------------------- radius <-> beta
def beta_for_radius(
    n: int,
    d: int | ArrayLike,
    *,
    space: str = "binary",
    window: str | tuple[int, int] | None = None,
    estimator: str = "ols",
    distance_weights: Any = None,
) -> float | np.ndarray:
    r"""The softmax β of SDM radius ``d`` (a plain number; see `fit_beta`).

    Parameters
    ----------
    n : int
        Dimension.
    d : int or array_like of int
        Radius or radii.
    space, window, estimator, distance_weights
        As in `fit_beta`; the defaults are the least-squares (OLS) fit on the
        paper's window :math:`d_v=0..d-1`.

    Returns
    -------
    float or ndarray

    See Also
    --------
    radius_for_beta : the inverse map.

    Examples
    --------
    >>> round(beta_for_radius(64, 11, estimator="as-published"), 1)
    15.9
    >>> beta_for_radius(64, [5, 11, 15]).round(2).tolist()
    [28.39, 14.41, 9.44]
    >>> beta_for_radius(64, [5, 11, 15], estimator="kl").round(2).tolist()
    [34.4, 15.92, 10.09]
    """
    kw = {"distance_weights": distance_weights} if distance_weights is not None else {}
    if np.ndim(d) == 0 and not isinstance(d, (str, bytes)):
        return fit_beta(n, d, space=space, window=window, estimator=estimator, **kw).beta
    darr = check_int_array("d", d, lo=0)
    return np.array([fit_beta(n, int(k), space=space, window=window, estimator=estimator, **kw).beta
                     for k in darr.ravel()]).reshape(darr.shape)


#: Largest n of `beta_curve` (one fit per radius, each O(n)).
_MAX_N_CURVE = 4096


@lru_cache(maxsize=64)
def _curve(n: int, space: str, window: Any, estimator: str, weights: Any = None) -> tuple[np.ndarray, np.ndarray]:
    radii, betas = [], []
    kw = {} if weights is None else {"distance_weights": np.asarray(weights) if isinstance(weights, tuple) else weights}
    for d in range(1, (n - 1) // 2 + 1):
        try:
            b = fit_beta(n, d, space=space, window=window, estimator=estimator, **kw).beta
        except ValueError:
            continue  # fewer than two points in the window
        if b > 1e-9:
            radii.append(d)
            betas.append(b)
    if not radii:
        raise ValueError(
            f"n = {n} is too small for window {window!r}: at every radius d < n/2 the window holds fewer"
            " than two points with a non-zero intersection (use n >= 5, or window='full-support')"
        )
    return np.array(radii, dtype=np.int64), np.array(betas)


def beta_curve(
    n: int,
    *,
    space: str = "binary",
    window: str | tuple[int, int] | None = None,
    estimator: str = "ols",
    distance_weights: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""β for every radius :math:`d<n/2` that the window can fit with a positive slope.

    Parameters
    ----------
    n : int
        Dimension, ``4 <= n <= 4096`` (one fit per radius). The paper's window
        needs ``n >= 5`` (its smallest radius is d = 2); ``window="full-support"``
        also fits ``n = 4``.
    space, window, estimator, distance_weights
        As in `fit_beta`.

    Returns
    -------
    radii : ndarray of int64
    betas : ndarray of float64

    Notes
    -----
    The curve is cached per argument set. For ``space="continuous"`` its first
    computation needs one quadrature per fitted point (about :math:`n^2/8` of
    them with the within-radius window: seconds at :math:`n=1000`). It falls
    with :math:`d` overall but
    is not monotone everywhere: with the within-radius window and OLS at
    :math:`n=64`, :math:`d=4` has a slightly larger β than :math:`d=3`
    (the staircase of paired intersections).

    Examples
    --------
    The smallest radius the paper's window can fit is d = 2 (two points):

    >>> radii, betas = beta_curve(64)
    >>> int(radii[0]), int(radii[-1]), bool(np.all(betas > 0))
    (2, 31, True)
    """
    n = check_int("n", n, lo=4, hi=_MAX_N_CURVE)
    space = _check_space(space)
    estimator = _check_estimator(estimator)
    if isinstance(window, list):
        window = tuple(window)
    if window is not None:
        _resolve_window(n, max(1, (n - 1) // 2), window)  # a bad window is named here, not hidden
    radii, betas = _curve(n, space, window, estimator, _weights_key(distance_weights))
    return radii.copy(), betas.copy()


def radius_for_beta(
    n: int,
    beta: float | ArrayLike,
    *,
    space: str = "binary",
    window: str | tuple[int, int] | None = None,
    estimator: str = "ols",
    distance_weights: Any = None,
    out_of_range: str = "raise",
) -> int | np.ndarray:
    r"""The SDM radius whose β (`beta_for_radius`) is nearest to ``beta``.

    Nearest is measured on a log scale, :math:`\arg\min_d|\log\beta(d)-\log\beta|`,
    over the radii of `beta_curve` (:math:`d<n/2`). This is the map a user
    applies to the β of a trained Transformer (on cosine similarities) to read
    off an SDM radius, and with `sdmlib.geometry.space_fraction` a fraction of
    the space.

    Parameters
    ----------
    n : int
        Dimension.
    beta : float or array_like
        Positive inverse temperature(s) on cosine similarity.
    space, window, estimator, distance_weights
        As in `fit_beta` (defaults: binary, within-radius, OLS).
    out_of_range : {"raise", "clip"}
        What to do with a β outside the range :math:`[\min_d\beta(d),\max_d\beta(d)]`:
        raise a ValueError, or return the radius at the nearer end.

    Returns
    -------
    int or ndarray of int64

    Examples
    --------
    The inverse of `beta_for_radius`:

    >>> radius_for_beta(64, beta_for_radius(64, 11))
    11
    >>> radius_for_beta(64, 15.9, estimator="as-published"), radius_for_beta(64, 10.1, estimator="as-published")
    (11, 15)
    >>> radius_for_beta(64, 15.9, estimator="kl"), radius_for_beta(64, 15.9, estimator="kl", distance_weights="binomial")
    (11, 17)
    """
    n = check_int("n", n, lo=4)
    check_choice("out_of_range", out_of_range, ("raise", "clip"))
    b = check_real_array("beta", beta)
    if b.size and b.min() <= 0:
        raise ValueError(f"beta must be > 0, got {float(b.min())}")
    radii, betas = beta_curve(n, space=space, window=window, estimator=estimator,
                              distance_weights=distance_weights)
    bmin, bmax = float(betas.min()), float(betas.max())
    if out_of_range == "raise" and b.size and (b.min() < bmin * (1 - 1e-12) or b.max() > bmax * (1 + 1e-12)):
        bad = float(b.min()) if b.min() < bmin else float(b.max())
        raise ValueError(
            f"beta = {bad:g} is outside the range [{bmin:.4g}, {bmax:.4g}] of radii "
            f"d = {radii.min()}..{radii.max()} for n = {n} ({space}, {window}, {estimator}); "
            "pass out_of_range='clip' to get the nearest end"
        )
    dist = np.abs(np.log(b)[..., None] - np.log(betas))
    out = radii[np.argmin(dist, axis=-1)]
    return int(out) if out.ndim == 0 else out


# --------------------------------------------------------------------------- read weights
def sdm_weights(
    n: int,
    d: int,
    cosines: ArrayLike,
    r: Any = None,
    *,
    space: str = "binary",
    rounding: str = "nearest",
    on_empty: str = "raise",
) -> np.ndarray:
    r"""SDM read weights: circle intersections normalised over the patterns.

    .. math:: w_\mu=\frac{I(x_\mu)}{\sum_\nu I(x_\nu)},\qquad x_\mu=\hat\xi^\top\hat p_a^{\,\mu},

    computed from :math:`\log I` with the maximum subtracted, along the last
    axis. For a finite ``r`` these are ratios of *expected* neuron counts; the
    density :math:`r/2^n` cancels, so the result does not depend on ``r``
    (it is validated, and kept for symmetry with the rest of the library).

    Parameters
    ----------
    n : int
        Dimension.
    d : int
        Radius (Hamming units).
    cosines : array_like
        Cosines between the query and each pattern, shape ``(..., m)``.
    r : int, float or None
        Number of neurons (``None``: :math:`2^n`).
    space : {"binary", "continuous"}
        Hamming circles (cosines are turned into distances with
        `sdmlib.hamming.cosine_to_hamming` and ``rounding``) or spherical caps
        (cosines used as they are).
    rounding : {"nearest", "floor", "ceil"}
        Binary space only: how a cosine off the grid :math:`1-2k/n` becomes a
        distance.
    on_empty : {"raise", "zeros"}
        If every pattern of a row lies outside the intersection support, the
        weights are 0/0: raise a ValueError (default) or return a row of zeros
        (a read that retrieves nothing; the caller decides what that means).

    Returns
    -------
    ndarray
        Same shape as ``cosines``.

    See Also
    --------
    softmax_weights : the attention weights they approximate.

    Examples
    --------
    Patterns at equal distance share the weight; r does not matter:

    >>> x = 1 - 2 * np.array([0, 4, 4, 30]) / 64
    >>> w = sdm_weights(64, 11, x)
    >>> bool(np.isclose(w.sum(), 1)), bool(w[1] == w[2]), float(w[3])
    (True, True, 0.0)
    >>> bool(np.allclose(w, sdm_weights(64, 11, x, r=10**6)))
    True
    """
    n = check_int("n", n, lo=2)
    d = check_int("d", d, lo=0, hi=n)
    space = _check_space(space)
    check_choice("on_empty", on_empty, ("raise", "zeros"))
    _check_r(r)
    x = check_real_array("cosines", cosines, lo=-1.0 - 1e-6, hi=1.0 + 1e-6)
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ValueError("cosines must have at least one entry along the last axis")
    x = np.clip(x, -1.0, 1.0)
    if space == "binary":
        check_choice("rounding", rounding, ("nearest", "floor", "ceil"))
        dv = np.asarray(cosine_to_hamming(x, n, rounding=rounding), dtype=np.int64)
        logi = np.asarray(log_hamming_ball_intersection(n, d, dv.ravel()), dtype=np.float64).reshape(dv.shape)
    else:
        logi = np.asarray(cap_intersection(n, d, x.ravel(), r=1, log=True), dtype=np.float64).reshape(x.shape)
    top = logi.max(axis=-1, keepdims=True)
    empty = ~np.isfinite(top)
    if np.any(empty):
        if on_empty == "raise":
            raise ValueError(
                f"every pattern lies outside the intersection support (distance > {2 * d} for "
                f"binary circles of radius {d}), so the weights are 0/0; pass on_empty='zeros'"
            )
        top = np.where(empty, 0.0, top)
    e = np.exp(logi - top)
    s = e.sum(axis=-1, keepdims=True)
    return np.where(s > 0, e / np.where(s > 0, s, 1.0), 0.0)


def cli_main(command: str, argv: Sequence[str]) -> int:
    """Compatibility entry point: ``python -m sdmlib beta / radius`` lives in :mod:`sdmlib.cli`."""
    from sdmlib.cli import main

    return main([command, *argv])
