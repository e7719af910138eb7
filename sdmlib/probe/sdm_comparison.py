r"""Placing attention heads on SDM's axis: reference βs, equivalent radii, effective SDM radius.

Two views of one head:

* through its **β**: :func:`compare_to_sdm` maps a β (e.g. the effective β of
  :mod:`sdmlib.probe.statistics`) to the SDM radius whose softmax β is nearest, and places it
  among the optimal radii of :func:`sdm_reference_betas`;
* through its **whole attention row**: :func:`effective_sdm_radius` finds the radius :math:`d`
  whose normalised SDM read weights, as a function of the cosine between the query and each key,
  best match the row in Kullback-Leibler divergence. This uses every key, not only the best one,
  and never assumes that the keys have equal norms.

Only numpy, scipy and pandas are needed (no torch).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from sdmlib._validate import check_int, check_real

__all__ = [
    "SDM_REGIONS",
    "sdm_reference_betas",
    "compare_to_sdm",
    "sdm_log_weight_table",
    "sdm_row_divergence",
    "effective_sdm_radius",
]

#: ordered labels of :func:`compare_to_sdm`'s ``region`` column
SDM_REGIONS = ("non-positive", "below CD", "CD-SNR", "SNR-Mem", "above Mem")


def _r_key(r):
    return None if r is None else (int(r) if float(r).is_integer() else float(r))


def sdm_reference_betas(
    n: int,
    m: float,
    r: Any = None,
    *,
    retrieval_probability: float = 0.5,
    estimator: str = "ols",
    window: str | tuple[int, int] = "within-radius",
    space: str = "binary",
    cd_convention: str = "first_failing",
    variance: str = "jaeckel",
) -> dict[str, float]:
    r"""The three SDM-optimal radii of dimension ``n`` and the β of each.

    .. math::

        \beta_{\text{X}} = \beta\big(d^*_{\text{X}}(n, m, r)\big),\qquad
        \text{X}\in\{\text{Mem}, \text{SNR}, \text{CD}\},

    with :math:`d^*_{\text{Mem}}` from ``sdmlib.capacity.optimal_radius_memory``,
    :math:`d^*_{\text{SNR}}` from ``optimal_radius_snr``, :math:`d^*_{\text{CD}}` from
    ``optimal_radius_critical_distance`` and the map radius -> β from
    ``sdmlib.beta.beta_for_radius``. Since :math:`\beta_{\text{CD}}<\beta_{\text{SNR}}<
    \beta_{\text{Mem}}` (larger radius, smaller β), the lines split the β axis into regions.

    Parameters
    ----------
    n : int
        Dimension (the head dimension of a Transformer).
    m : float
        Number of stored patterns (the number of keys a query sees).
    r : int, float or None
        Number of neurons; ``None`` (default) is the paper's setting: Kanerva's formulas with
        :math:`2^n` *random* neurons (with one neuron at every address both
        :math:`d^*_{\text{SNR}}` and :math:`d^*_{\text{Mem}}` would be 0; see the optimal-radius
        chapter).
    retrieval_probability : float
        :math:`P` of the memory-capacity criterion (the paper used 0.5).
    estimator, window, space
        Of the β fit (``sdmlib.beta.fit_beta``); default the OLS fit on
        :math:`d_v=0..d-1`. ``estimator="as-published"`` gives the paper's numbers.
    cd_convention, variance
        Of ``sdmlib.capacity.critical_distance``; ``"first_failing"`` is the convention of the
        original's figure (unique optimum 15 for :math:`n=64`).

    Returns
    -------
    dict
        ``d_mem, d_snr, d_cd, beta_mem, beta_snr, beta_cd``.

    Examples
    --------
    The paper's lines, :math:`n=64`, :math:`m=1024`, :math:`r=2^{64}`, as published:

    >>> ref = sdm_reference_betas(64, 1024, estimator="as-published")
    >>> (ref["d_mem"], ref["d_snr"], ref["d_cd"])
    (5, 11, 15)
    >>> [round(ref[k], 1) for k in ("beta_mem", "beta_snr", "beta_cd")]
    [35.5, 15.9, 10.1]
    """
    n = check_int("n", n, lo=4)
    m = check_real("m", m, lo=1.0)
    retrieval_probability = check_real("retrieval_probability", retrieval_probability, 0.0, 1.0, lo_open=True, hi_open=True)
    return dict(
        _reference(n, m, _r_key(r), retrieval_probability, estimator, window, space, cd_convention, variance)
    )


@lru_cache(maxsize=256)
def _reference(n, m, r, prob, estimator, window, space, cd_convention, variance):
    from sdmlib.beta import beta_for_radius
    from sdmlib.capacity import (
        optimal_radius_critical_distance,
        optimal_radius_memory,
        optimal_radius_snr,
    )

    r_eff = 2**n if r is None else r
    d = {
        "d_mem": int(optimal_radius_memory(n, r_eff, prob)),
        "d_snr": int(optimal_radius_snr(n, m, r_eff)),
        "d_cd": int(optimal_radius_critical_distance(n, m, r_eff, variance=variance, convention=cd_convention)),
    }
    out = dict(d)
    for key, radius in d.items():
        out["beta_" + key[2:]] = float(
            beta_for_radius(n, radius, space=space, window=window, estimator=estimator)
        )
    return tuple(out.items())


def compare_to_sdm(
    betas,
    n: int | None = None,
    *,
    m: float | None = None,
    r: Any = None,
    beta_column: str = "beta_eff",
    **reference: Any,
):
    r"""Place effective βs on SDM's axis: equivalent radius, space fraction, optimal-radius region.

    For each β: the SDM radius whose β is nearest (``sdmlib.beta.radius_for_beta``, on a log
    scale), that radius's space fraction :math:`p(d)=\Pr[\mathrm{Bin}(n,\frac12)\le d]`
    (``sdmlib.geometry.space_fraction``), the reference lines of :func:`sdm_reference_betas`,
    and the region the β falls in: ``below CD`` (:math:`\beta<\beta_{\text{CD}}`),
    ``CD-SNR``, ``SNR-Mem`` or ``above Mem`` (:math:`\beta>\beta_{\text{Mem}}`).

    Parameters
    ----------
    betas : pandas.DataFrame or array_like
        A table from :func:`effective_betas` (or any table with a β column), or plain βs.
    n : int, optional
        Dimension; default the table's ``d_head`` column (required for plain βs).
    m : float, optional
        Stored patterns; default the table's ``n_keys`` column, the number of keys each query
        saw (required for plain βs).
    r : int, float or None
        Neurons; ``None`` is :math:`r=2^n`.
    beta_column : str
        Name of the β column of a table.
    **reference
        Passed to :func:`sdm_reference_betas` (``estimator``, ``window``, ``space``,
        ``retrieval_probability``, ``cd_convention``, ``variance``).

    Returns
    -------
    pandas.DataFrame
        The input columns plus ``n, m, radius, space_fraction, in_range, d_mem, d_snr, d_cd,
        beta_mem, beta_snr, beta_cd, region``. ``radius`` is missing for β ≤ 0, which has no
        SDM equivalent; ``in_range`` is False where β lies beyond the β of every radius
        :math:`2\le d<n/2` and the radius is the nearer end.

    Examples
    --------
    The β of the SNR-optimal radius maps back to that radius and sits on the SNR line:

    >>> ref = sdm_reference_betas(32, 200)
    >>> df = compare_to_sdm([ref["beta_snr"], 0.9 * ref["beta_cd"], 50.0], n=32, m=200)
    >>> df.radius.tolist() == [ref["d_snr"], ref["d_cd"] + 1, 2]
    True
    >>> df.region.tolist(), df.in_range.tolist()
    (['SNR-Mem', 'below CD', 'above Mem'], [True, True, False])
    """
    import pandas as pd

    from sdmlib.beta import beta_curve, radius_for_beta
    from sdmlib.geometry import space_fraction

    if isinstance(betas, pd.DataFrame):
        df = betas.copy()
        if beta_column not in df:
            raise ValueError(f"betas: table has no column {beta_column!r}")
    else:
        df = pd.DataFrame({beta_column: np.atleast_1d(np.asarray(betas, dtype=float))})
    if len(df) == 0:
        raise ValueError("betas: empty")
    for name, value, column in (("n", n, "d_head"), ("m", m, "n_keys")):
        if value is None:
            if column not in df:
                raise ValueError(f"{name}: pass {name}= (the table has no {column!r} column)")
            df[name] = df[column]
        else:
            df[name] = check_int("n", value, lo=4) if name == "n" else check_real("m", value, lo=1.0)
    b = df[beta_column].to_numpy(dtype=float)
    if not np.all(np.isfinite(b)):
        raise ValueError(f"betas: column {beta_column!r} holds NaN or inf")
    fit = {k: reference[k] for k in ("estimator", "window", "space") if k in reference}
    radius = np.full(len(df), -1, dtype=np.int64)
    frac = np.full(len(df), np.nan)
    in_range = np.zeros(len(df), dtype=bool)
    refs = {k: np.full(len(df), np.nan) for k in ("d_mem", "d_snr", "d_cd", "beta_mem", "beta_snr", "beta_cd")}
    for (nn, mm), idx in df.groupby(["n", "m"]).indices.items():
        ref = sdm_reference_betas(int(nn), float(mm), r, **reference)
        for k in refs:
            refs[k][idx] = ref[k]
        pos = idx[b[idx] > 0]
        if pos.size:
            _, curve = beta_curve(int(nn), **fit)
            radius[pos] = radius_for_beta(int(nn), b[pos], out_of_range="clip", **fit)
            frac[pos] = space_fraction(int(nn), radius[pos])
            in_range[pos] = (b[pos] >= curve.min()) & (b[pos] <= curve.max())
    df["radius"] = pd.array(np.where(radius >= 0, radius, 0), dtype="Int64")
    df.loc[radius < 0, "radius"] = pd.NA
    df["space_fraction"] = frac
    df["in_range"] = in_range
    for k, v in refs.items():
        df[k] = v.astype(np.int64) if k.startswith("d_") else v
    region = np.select(
        [b <= 0, b < refs["beta_cd"], b < refs["beta_snr"], b <= refs["beta_mem"]],
        list(SDM_REGIONS[:4]),
        default=SDM_REGIONS[4],
    )
    df["region"] = pd.Categorical(region, categories=list(SDM_REGIONS), ordered=True)
    return df



# --------------------------------------------------------------------------------------------
# The effective SDM radius of an attention row
# --------------------------------------------------------------------------------------------


def _default_radii(n: int) -> np.ndarray:
    return np.arange(1, n // 2 + 1)


def _check_radii(n: int, radii) -> tuple[int, ...]:
    if radii is None:
        return tuple(int(d) for d in _default_radii(n))
    r = np.atleast_1d(np.asarray(radii))
    if r.ndim != 1 or r.size == 0 or not np.issubdtype(r.dtype, np.integer):
        raise TypeError("radii: need a non-empty 1-D sequence of integers")
    if r.min() < 1 or r.max() > n // 2 or np.any(np.diff(r) <= 0):
        raise ValueError(f"radii: need strictly increasing integers in [1, n/2 = {n // 2}], got {r.tolist()}")
    return tuple(int(d) for d in r)


@lru_cache(maxsize=64)
def _log_table(n: int, radii: tuple[int, ...]) -> np.ndarray:
    from sdmlib.geometry import log_hamming_ball_intersection

    dv = np.arange(n + 1)
    return np.stack([np.asarray(log_hamming_ball_intersection(n, d, dv), dtype=np.float64) for d in radii])


def sdm_log_weight_table(n: int, radii=None) -> tuple[np.ndarray, np.ndarray]:
    r"""Log circle-intersection sizes :math:`\log|O(p,d)\cap O(\xi,d)|` for every radius and distance.

    Row ``i`` is radius ``radii[i]``; column ``h`` is the Hamming distance :math:`h=0..n` between
    the two circle centres (``-inf`` where the circles do not meet, :math:`h>2d`). Normalised
    over the stored patterns, :math:`\exp` of a row is SDM's read weight
    (``sdmlib.beta.sdm_weights`` with ``space="binary"``).

    Parameters
    ----------
    n : int
        Dimension, ``4 <= n <= 4096`` (the head dimension).
    radii : sequence of int, optional
        Strictly increasing radii in ``[1, n/2]``; default all of them.

    Returns
    -------
    (radii, table)
        ``int64 [D]`` and ``float64 [D, n + 1]``.

    Examples
    --------
    >>> radii, t = sdm_log_weight_table(8, [2, 4])
    >>> t.shape, bool(np.isneginf(t[0, 5])), bool(np.isfinite(t[1, 8]))
    ((2, 9), True, True)
    """
    n = check_int("n", n, lo=4, hi=4096)
    key = _check_radii(n, radii)
    return np.array(key, dtype=np.int64), _log_table(n, key).copy()


def sdm_row_divergence(
    attention,
    cosines,
    n: int,
    radii=None,
    *,
    visible=None,
    eps: float = 1e-9,
) -> np.ndarray:
    r"""KL divergence of attention rows from SDM's normalised read weights, for every radius.

    .. math::

        \mathrm{KL}_d = \sum_{t\ \text{visible}} a_t \log\frac{a_t}{\tilde w_t(d)},\qquad
        \tilde w_t(d) = (1-\varepsilon)\,\frac{I_d(h_t)}{\sum_{t'} I_d(h_{t'})}
                         + \frac{\varepsilon}{m},\qquad h_t = \operatorname{round}\frac{n(1-\cos_t)}2,

    with :math:`I_d(h)` the intersection of two radius-:math:`d` circles whose centres are
    :math:`h` bits apart (:func:`sdm_log_weight_table`), :math:`m` the number of visible keys,
    and :math:`\varepsilon` a floor that keeps the divergence finite where a key lies outside
    every circle (SDM would give it weight 0, softmax never does).

    Parameters
    ----------
    attention : array_like
        Attention rows ``[..., T]`` (each sums to 1 over its visible keys).
    cosines : array_like
        Cosine between the query and each key, same shape.
    n : int
        Dimension of the SDM (``d_head``), ``4 <= n <= 4096``.
    radii : sequence of int, optional
        Radii in ``[1, n/2]`` (default all).
    visible : array_like of bool, optional
        Which keys each row sees (default all); broadcast against ``attention``.
    eps : float
        Floor in ``(0, 0.5]``.

    Returns
    -------
    numpy.ndarray
        ``[..., D]``, one divergence per radius (nats).

    Examples
    --------
    A row that *is* SDM's weights for radius 3 has divergence ~0 there and more elsewhere:

    >>> from sdmlib.beta import sdm_weights
    >>> cos = np.array([1.0, 0.75, 0.5, 0.0])
    >>> a = sdm_weights(16, 3, cos)
    >>> kl = sdm_row_divergence(a, cos, 16)
    >>> int(np.argmin(kl)) + 1, bool(kl.min() < 1e-8)
    (3, True)
    """
    n = check_int("n", n, lo=4, hi=4096)
    eps = check_real("eps", eps, lo=0.0, hi=0.5, lo_open=True)
    key = _check_radii(n, radii)
    a = np.asarray(attention, dtype=np.float64)
    c = np.asarray(cosines, dtype=np.float64)
    if a.shape != c.shape or a.ndim == 0:
        raise ValueError(f"attention and cosines: need equal non-scalar shapes, got {a.shape} and {c.shape}")
    vis = np.ones(a.shape, dtype=bool) if visible is None else np.broadcast_to(np.asarray(visible, dtype=bool), a.shape)
    from sdmlib.hamming import cosine_to_hamming

    # Keys at the same Hamming distance share a weight, so each row reduces to two histograms over
    # the n + 1 distances: A_h (attention mass) and C_h (number of keys); then, per radius,
    # KL = sum_t a_t log a_t - sum_h A_h log((1 - eps) I_d(h) / Z_d + eps / m), Z_d = sum_h C_h I_d(h).
    shape = a.shape[:-1]
    T = a.shape[-1]
    a2 = np.where(vis, a, 0.0).reshape(-1, T)
    v2 = vis.reshape(-1, T)
    h = np.asarray(cosine_to_hamming(np.clip(np.where(v2, c.reshape(-1, T), 1.0), -1.0, 1.0), n), dtype=np.int64)
    R = a2.shape[0]
    idx = (np.arange(R)[:, None] * (n + 1) + h).ravel()
    A = np.bincount(idx, weights=a2.ravel(), minlength=R * (n + 1)).reshape(R, n + 1)
    C = np.bincount(idx, weights=v2.ravel().astype(np.float64), minlength=R * (n + 1)).reshape(R, n + 1)
    table = _log_table(n, key)  # [D, n + 1]
    # log Z_d per row, over the distances present (C_h > 0)
    with np.errstate(divide="ignore"):
        logC = np.log(C)  # -inf where absent
    lz = logC[None] + table[:, None, :]  # [D, R, n + 1]
    top = lz.max(axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        logZ = np.log(np.exp(lz - top).sum(axis=-1, keepdims=True)) + top  # [D, R, 1]
    empty = ~np.isfinite(logZ)  # no visible key inside the support: SDM's weights are all 0
    sdm = np.where(empty, 0.0, np.exp(table[:, None, :] - np.where(empty, 0.0, logZ)))
    m = v2.sum(axis=-1).astype(np.float64)[None, :, None]  # [1, R, 1]
    w = (1 - eps) * sdm + eps / np.maximum(m, 1.0)  # weight of one key at distance h
    with np.errstate(divide="ignore", invalid="ignore"):
        neg_entropy = np.where(a2 > 0, a2 * np.log(np.where(a2 > 0, a2, 1.0)), 0.0).sum(axis=-1)  # [R]
        cross = np.where(A[None] > 0, A[None] * np.log(w), 0.0).sum(axis=-1)  # [D, R]
    kl = (neg_entropy[None] - cross).reshape((len(key),) + shape)  # [D, ...]
    return np.moveaxis(kl, 0, -1)


def effective_sdm_radius(
    attention,
    cosines,
    n: int,
    radii=None,
    *,
    visible=None,
    eps: float = 1e-9,
) -> tuple[np.ndarray, np.ndarray]:
    r"""The SDM radius whose read weights best match each attention row (minimum KL).

    :math:`d^{\text{eff}} = \arg\min_d \mathrm{KL}\big(a\,\|\,\tilde w(d)\big)` with the weights
    of :func:`sdm_row_divergence`: binary SDM of dimension ``n`` with one neuron per address
    (the density of neurons cancels), cosines mapped to Hamming distances by rounding. A small
    radius means a sharp read (only near keys count), a large one a flat read.

    Supported range: ``4 <= n <= 4096``; radii ``1 .. n/2`` (a row flatter than radius
    :math:`n/2` is reported at :math:`n/2`, one sharper than radius 1 at 1 — check
    ``kl`` and the edges); ties go to the smaller radius.

    Parameters
    ----------
    attention, cosines, n, radii, visible, eps
        As in :func:`sdm_row_divergence`.

    Returns
    -------
    (radius, kl)
        ``int64 [...]`` and ``float64 [...]``: the best radius and its divergence.

    Examples
    --------
    >>> from sdmlib.beta import sdm_weights
    >>> cos = np.array([[1.0, 0.5, 0.25, 0.0], [1.0, 0.875, 0.75, 0.5]])
    >>> a = np.stack([sdm_weights(32, 5, cos[0]), sdm_weights(32, 9, cos[1])])
    >>> effective_sdm_radius(a, cos, 32)[0].tolist()
    [5, 9]
    """
    n = check_int("n", n, lo=4, hi=4096)
    key = _check_radii(n, radii)
    kl = sdm_row_divergence(attention, cosines, n, key, visible=visible, eps=eps)
    best = np.argmin(kl, axis=-1)
    return np.asarray(key, dtype=np.int64)[best], np.take_along_axis(kl, best[..., None], axis=-1)[..., 0]
