r"""Hopfield networks, classical and modern: capacity, crosstalk and the attention update.

*Classical* (Hopfield 1982): ``m`` random bipolar patterns :math:`s^\mu\in\{-1,1\}^n` in
the Hebbian matrix :math:`W=\frac1n\sum_\mu s^\mu s^{\mu\top}`, :math:`W_{ii}=0`, with the
synchronous update :math:`\xi'=\operatorname{sign}(W\xi)` (``sign(0) = -1``: bit 0, as in
`sdmlib.memories.Hopfield`). On bit :math:`i` of a stored pattern :math:`s^\mu` the field is

.. math:: n\,(W s^\mu)_i = (n-1)\,s^\mu_i + C_i,\qquad
          C_i=\sum_{\nu\ne\mu} s^\nu_i\sum_{j\ne i} s^\nu_j s^\mu_j ,

and for random patterns the *crosstalk* :math:`C_i` is exactly a sum of
:math:`N=(m-1)(n-1)` independent ±1 terms (for each :math:`\nu`, :math:`s^\nu_i` multiplies
:math:`n-1` independent signs and does not change their law), independent of
:math:`s^\mu_i`. `hopfield_bit_error` evaluates the resulting exact probability that one
update flips a bit of a stored pattern. Capacity estimates: :math:`0.138\,n` patterns for
retrieval with a few per cent of wrong bits at large ``n`` (Amit, Gutfreund and
Sompolinsky 1985, :data:`AGS_CAPACITY`), and :math:`n/(4\ln n)` for every pattern to be a
fixed point with high probability (McEliece et al. 1987), `hopfield_capacity`.

*Modern* (Ramsauer et al. 2021, "Hopfield networks is all you need"): patterns as the
columns of :math:`X\in\mathbb R^{n\times m}`, state :math:`\xi`, update

.. math:: \xi^{\text{new}} = X\,\operatorname{softmax}\big(\beta X^\top\xi\big),

`modern_hopfield_update`. On unit-norm patterns and queries this is the read of
`sdmlib.memories.SDMAttention` with the same β (the chapter *Associative memories side by
side* checks the identity to floating-point precision).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from scipy import stats

from sdmlib._validate import check_choice, check_int, check_int_array, check_real, check_real_array

__all__ = ["AGS_CAPACITY", "hopfield_capacity", "hopfield_bit_error", "modern_hopfield_update"]

#: Critical load :math:`\alpha_c = m/n \approx 0.138` of the classical Hopfield network at
#: large ``n`` (Amit, Gutfreund and Sompolinsky 1985): above it the retrieval states vanish.
AGS_CAPACITY = 0.138


def hopfield_capacity(n: int, criterion: Literal["ags", "mceliece"] = "ags") -> float:
    r"""Number of random patterns a classical Hopfield network of dimension ``n`` can hold.

    Parameters
    ----------
    n : int
        Dimension, ``n >= 2``.
    criterion : {"ags", "mceliece"}
        ``"ags"``: :math:`0.138\,n`, the critical load of Amit, Gutfreund and Sompolinsky
        (retrieval with about 1.6 % wrong bits, large ``n``). ``"mceliece"``:
        :math:`n/(4\ln n)`, the load below which every stored pattern is a fixed point with
        probability tending to 1 (McEliece et al. 1987).

    Returns
    -------
    float

    Examples
    --------
    For n = 64 the strict criterion allows about 4 patterns, the retrieval one about 9:

    >>> round(hopfield_capacity(64, "mceliece"), 2), round(hopfield_capacity(64), 2)
    (3.85, 8.83)
    """
    n = check_int("n", n, lo=2)
    check_choice("criterion", criterion, ("ags", "mceliece"))
    if criterion == "ags":
        return AGS_CAPACITY * n
    return n / (4.0 * math.log(n))


def hopfield_bit_error(n: int, m) -> np.ndarray | float:
    r"""Exact probability that one synchronous update flips a given bit of a stored pattern.

    With :math:`C\sim 2\,\mathrm{Bin}(N,\tfrac12)-N`, :math:`N=(m-1)(n-1)` (module docstring),
    a bit :math:`+1` flips when :math:`(n-1)+C\le 0` (a zero field gives bit 0) and a bit
    :math:`-1` when :math:`-(n-1)+C>0`; each sign has probability ½, so

    .. math:: P_\text{flip} = P\big(C < -(n-1)\big) + \tfrac12\,P\big(C = -(n-1)\big).

    The expected Hamming cosine of one read of a stored pattern is :math:`1-2P_\text{flip}`.
    Large-``N`` limit: :math:`P_\text{flip}\approx\Phi\big(-\sqrt{(n-1)/(m-1)}\big)`.

    Parameters
    ----------
    n : int
        Dimension, ``n >= 2``.
    m : int or array_like of int
        Number of stored i.i.d. uniform random patterns, ``m >= 1``.

    Returns
    -------
    float or numpy.ndarray
        :math:`P_\text{flip}` for each ``m`` (a float for a scalar ``m``).

    Examples
    --------
    One pattern is always stable. With two, the crosstalk is a sum of n - 1 signs: a bit +1
    flips only when all of them are against it (a zero field gives bit 0), a bit -1 never
    (the field would have to exceed n - 1), so the flip probability is 2**-n:

    >>> hopfield_bit_error(64, 1)
    0.0
    >>> bool(np.isclose(hopfield_bit_error(64, 2), 0.5 ** 64, rtol=1e-12))
    True

    At 29 times the capacity, a third of the bits of a stored pattern flip on the first read:

    >>> round(hopfield_bit_error(64, 256), 3)
    0.31
    """
    n = check_int("n", n, lo=2)
    m_arr = np.asarray(m)
    scalar = m_arr.ndim == 0
    m_arr = check_int_array("m", np.atleast_1d(m_arr), lo=1)
    N = (m_arr - 1) * (n - 1)
    # C = 2K - N with K ~ Bin(N, 1/2): C < -(n-1)  <=>  K < (N - n + 1) / 2
    edge = (N - (n - 1)) / 2.0
    below = np.where(edge == np.floor(edge), edge - 1, np.floor(edge))  # largest K with 2K - N < -(n-1)
    p = stats.binom.cdf(below, N, 0.5)
    tie = np.where(edge == np.floor(edge), stats.binom.pmf(edge, N, 0.5), 0.0)
    out = np.where(N > 0, p + 0.5 * tie, 0.0)
    return float(out[0]) if scalar else out


def modern_hopfield_update(X, xi, beta: float) -> np.ndarray:
    r"""One update of the modern Hopfield network: :math:`X\,\mathrm{softmax}(\beta X^\top\xi)`.

    Parameters
    ----------
    X : array_like (n, m)
        The stored patterns as **columns** (Ramsauer et al.'s convention), real.
    xi : array_like (n,) or (n, B)
        The state (one column per query), real.
    beta : float
        Inverse temperature, ``beta > 0``.

    Returns
    -------
    numpy.ndarray
        The new state, shape of ``xi``. Nothing is normalised: give unit-norm columns to
        compare with `sdmlib.memories.SDMAttention`, which normalises internally.

    Examples
    --------
    The output is a convex combination of the patterns; with a large β it is the pattern of
    largest inner product, with a small β the mean pattern:

    >>> import numpy as np
    >>> X = np.random.default_rng(0).standard_normal((8, 5))
    >>> xi = X[:, 2] + 0.1
    >>> bool(np.allclose(modern_hopfield_update(X, xi, 1e3), X[:, np.argmax(X.T @ xi)]))
    True
    >>> bool(np.allclose(modern_hopfield_update(X, xi, 1e-12), X.mean(axis=1)))
    True
    """
    X = check_real_array("X", X)
    if X.ndim != 2 or X.shape[1] < 1:
        raise ValueError(f"X must be a 2-D array (n, m) with m >= 1, got shape {X.shape}")
    xi = check_real_array("xi", xi)
    if xi.ndim not in (1, 2) or xi.shape[0] != X.shape[0]:
        raise ValueError(f"xi must have shape (n,) or (n, B) with n = {X.shape[0]}, got {xi.shape}")
    beta = check_real("beta", beta, lo=0.0, lo_open=True)
    z = beta * (X.T @ xi)  # (m,) or (m, B)
    z = z - z.max(axis=0, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=0, keepdims=True)
    return X @ p
