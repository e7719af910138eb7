r"""Noisy queries for the recall experiments: exact bit flips and exact cosines.

* `hamming_perturb` flips exactly ``h`` distinct coordinates of each {0,1} row.
* `cosine_perturb` rotates each real row to cosine exactly ``c`` with its
  original, in an isotropic random direction, keeping its norm:

  .. math:: u=\frac{q}{\lVert q\rVert},\quad
            v_\perp=\frac{v-(v^\top u)u}{\lVert v-(v^\top u)u\rVert},\quad
            q'=\lVert q\rVert\big(c\,u+\sqrt{1-c^2}\,v_\perp\big),

  so :math:`\cos(q',q)=c` and :math:`\lVert q'\rVert=\lVert q\rVert`. The
  direction :math:`v` is standard Gaussian (isotropic); ``direction="cube"``
  reproduces the original's :math:`U(-1,1)^n` draw.
* ``patterns=...`` (both functions) adds the guarantee that no stored pattern
  is closer to the perturbed query than the query's own original ("no closer
  pattern"): offending rows are redrawn, at most ``max_tries`` times, after which
  a `RuntimeError` names the rows that could not be placed.

The paper's perturbation sizes are Hamming distances ``h``; for real data they
become the cosine ``c = 1 - 2h/n`` (`sdmlib.hamming.hamming_to_cosine`).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from sdmlib._validate import check_binary_array, check_choice, check_int, check_real, check_real_array, make_rng
from sdmlib.hamming import hamming_distance, pack_bits

__all__ = ["hamming_perturb", "cosine_perturb"]


def _rng(seed: Any) -> np.random.Generator:
    return make_rng("seed", seed)


def _flip(x: np.ndarray, h: int, rng: np.random.Generator) -> np.ndarray:
    """Flip h distinct random coordinates of every row of x (uint8 {0,1})."""
    k, n = x.shape
    # the h smallest of n uniform keys per row: a uniformly random h-subset
    cols = np.argpartition(rng.random((k, n)), h - 1, axis=1)[:, :h] if h else np.zeros((k, 0), int)
    out = x.copy()
    rows = np.repeat(np.arange(k), h)
    out[rows, cols.ravel()] ^= 1
    return out


def _unit_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows divided by their norms, and the norms, without overflow or underflow.

    Each row is first divided by its largest absolute entry, so the squares summed
    by the norm lie in [0, n]; zero rows give a zero row and norm 0.
    """
    scale = np.max(np.abs(x), axis=-1, keepdims=True)
    safe = np.where(scale > 0, scale, 1.0)
    y = x / safe
    ny = np.linalg.norm(y, axis=-1, keepdims=True)
    unit = y / np.where(ny > 0, ny, 1.0)
    with np.errstate(over="ignore"):
        norms = (scale * ny)[..., 0]
    return unit, norms


def hamming_perturb(
    x: Any,
    h: int,
    *,
    seed: int | np.random.Generator | None = None,
    patterns: Any = None,
    max_tries: int = 10,
) -> np.ndarray:
    r"""Flip exactly ``h`` distinct, uniformly chosen coordinates of each row.

    Parameters
    ----------
    x : array_like of {0,1}, shape (n,) or (k, n)
    h : int
        Number of flips, ``0 <= h <= n``.
    seed : int or Generator, optional
    patterns : array_like of {0,1}, shape (m, n), optional
        If given, every perturbed row ``q'`` must have no pattern strictly
        closer than its original: :math:`\min_\mu d_H(q', p^\mu) \ge d_H(q', x) = h`
        (ties allowed). Rows that fail are redrawn.
    max_tries : int
        Total draws allowed per row before giving up.

    Returns
    -------
    ndarray of uint8, the shape of ``x``

    Raises
    ------
    RuntimeError
        If some rows still have a closer pattern after ``max_tries`` draws.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros((4, 64), dtype=np.uint8)
    >>> hamming_perturb(x, 12, seed=0).sum(axis=1).tolist()
    [12, 12, 12, 12]
    >>> rng = np.random.default_rng(1)
    >>> P = rng.integers(0, 2, size=(1024, 64), dtype=np.uint8)
    >>> q = hamming_perturb(P, 8, seed=2, patterns=P)
    >>> D = (q[:, None, :] != P[None, :, :]).sum(-1)
    >>> bool(np.all(D.min(axis=1) == 8) and np.all(np.diag(D) == 8))
    True
    """
    arr = check_binary_array("x", x, ndim=(1, 2))
    single = arr.ndim == 1
    x2 = np.atleast_2d(arr)
    n = x2.shape[1]
    h = check_int("h", h, lo=0, hi=n)
    max_tries = check_int("max_tries", max_tries, lo=1)
    rng = _rng(seed)
    out = _flip(x2, h, rng)
    if patterns is not None:
        P = np.atleast_2d(check_binary_array("patterns", patterns, ndim=(1, 2)))
        if P.shape[1] != n:
            raise ValueError(f"patterns must have {n} columns like x, got {P.shape[1]}")
        Pp = pack_bits(P)
        bad = np.arange(x2.shape[0])
        for attempt in range(max_tries):
            if attempt:
                out[bad] = _flip(x2[bad], h, rng)
            dmin = hamming_distance(pack_bits(out[bad]), Pp).min(axis=1)
            bad = bad[dmin < h]
            if bad.size == 0:
                break
        if bad.size:
            raise RuntimeError(
                f"hamming_perturb: {bad.size} of {x2.shape[0]} rows (first: {bad[:5].tolist()}) still had a "
                f"pattern closer than h={h} after max_tries={max_tries} draws; lower h or raise max_tries"
            )
    return out[0] if single else out


def cosine_perturb(
    x: Any,
    c: Any,
    *,
    seed: int | np.random.Generator | None = None,
    direction: Literal["isotropic", "cube"] = "isotropic",
    patterns: Any = None,
    max_tries: int = 10,
    margin: float = 1e-5,
) -> np.ndarray:
    r"""Rotate each row to cosine exactly ``c`` with itself, keeping its norm.

    Parameters
    ----------
    x : array_like, shape (n,) or (k, n)
        Finite real vectors with non-zero norm, ``n >= 2``; any scale that
        float64 holds (rows are scaled by their largest entry before the norm,
        so 1e-300 or 1e300 rows are rotated like unit ones).
    c : float or array_like of shape (k,)
        Target cosine(s) in ``[-1, 1]`` (e.g. ``1 - 2h/n``).
    seed : int or Generator, optional
    direction : {"isotropic", "cube"}
        Distribution of the random direction before orthogonalisation:
        standard Gaussian (isotropic, default) or the original's ``U(-1,1)^n``.
    patterns : array_like, shape (m, n), optional
        If given, require :math:`\max_\mu \cos(p^\mu, q') \le \cos(x, q') + \text{margin}`
        for every row (no stored pattern closer than the original); failing
        rows are redrawn.
    max_tries : int
        Total draws allowed per row before giving up (the original used 10).
    margin : float
        Slack of the "no closer pattern" test (the original's 1e-5).

    Returns
    -------
    ndarray of float64, the shape of ``x``

    Raises
    ------
    RuntimeError
        If some rows still have a closer pattern after ``max_tries`` draws.

    Examples
    --------
    The cosine is exact and the norm unchanged (n = 784, h = 50):

    >>> import numpy as np
    >>> x = np.random.default_rng(0).uniform(0, 1, size=(5, 784))
    >>> c = 1 - 2 * 50 / 784
    >>> q = cosine_perturb(x, c, seed=1)
    >>> cos = np.einsum("ij,ij->i", q, x) / np.linalg.norm(q, axis=1) / np.linalg.norm(x, axis=1)
    >>> bool(np.allclose(cos, 0.8724489795918368, rtol=0, atol=1e-14))
    True
    >>> bool(np.allclose(np.linalg.norm(q, axis=1), np.linalg.norm(x, axis=1), rtol=1e-14))
    True
    """
    arr = check_real_array("x", x)
    if arr.ndim not in (1, 2):
        raise ValueError(f"x must have 1 or 2 dimensions, got {arr.ndim}")
    single = arr.ndim == 1
    x2 = np.atleast_2d(arr)
    k, n = x2.shape
    if n < 2:
        raise ValueError(f"x must have at least 2 columns to be rotated, got {n}")
    u, norms = _unit_rows(x2)
    if np.any(norms == 0):
        raise ValueError("x must have non-zero rows (a zero vector has no direction)")
    carr = check_real_array("c", c, lo=-1.0, hi=1.0)
    if carr.ndim == 0:
        carr = np.full(k, float(carr))
    elif carr.shape != (k,):
        raise ValueError(f"c must be a scalar or have shape ({k},), got {carr.shape}")
    check_choice("direction", direction, ("isotropic", "cube"))
    max_tries = check_int("max_tries", max_tries, lo=1)
    margin = check_real("margin", margin, lo=0.0)
    rng = _rng(seed)

    def draw(rows: np.ndarray) -> np.ndarray:
        m = rows.size
        while True:
            v = rng.standard_normal((m, n)) if direction == "isotropic" else rng.uniform(-1.0, 1.0, (m, n))
            ur = u[rows]
            v -= np.einsum("ij,ij->i", v, ur)[:, None] * ur
            vn = np.linalg.norm(v, axis=1)
            if np.all(vn > 1e-8):  # a direction parallel to u has probability 0
                break
        v /= vn[:, None]
        cr = carr[rows]
        q = cr[:, None] * ur + np.sqrt(1.0 - cr**2)[:, None] * v
        return norms[rows, None] * q

    out = draw(np.arange(k))
    if patterns is not None:
        P = check_real_array("patterns", patterns)
        P = np.atleast_2d(P)
        if P.shape[1] != n:
            raise ValueError(f"patterns must have {n} columns like x, got {P.shape[1]}")
        Phat, pn = _unit_rows(P)
        if np.any(pn == 0):
            raise ValueError("patterns must have non-zero rows")
        bad = np.arange(k)
        for attempt in range(max_tries):
            if attempt:
                out[bad] = draw(bad)
            qhat = _unit_rows(out[bad])[0]
            own = np.einsum("ij,ij->i", qhat, u[bad])
            best = (qhat @ Phat.T).max(axis=1)
            bad = bad[best > own + margin]
            if bad.size == 0:
                break
        if bad.size:
            raise RuntimeError(
                f"cosine_perturb: {bad.size} of {k} rows (first: {bad[:5].tolist()}) still had a pattern "
                f"closer than their original after max_tries={max_tries} draws; use a larger c or raise max_tries"
            )
    return out[0] if single else out
