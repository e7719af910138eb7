r"""Pattern-based SDM: read weights are circle intersections, not neuron scans.

Instead of simulating neurons, the read weight of stored pattern :math:`\mu`
is the *expected* number of neurons inside both the query's and the pattern's
circles, :math:`w_\mu = I(d_H(\xi, p_a^\mu))` (binary, `PatternSDM`) or
:math:`w_\mu = I_{\text{cap}}(\hat p_a^{\mu\top}\hat\xi)` (continuous,
`ContinuousSDM`). With a finite number of neurons the weights are
stochastically rounded at every read,
:math:`\tilde w_\mu=\lfloor w_\mu\rfloor+\mathrm{Bernoulli}(w_\mu-\lfloor w_\mu\rfloor)`,
which models which neurons actually exist in each intersection.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

import numpy as np

from sdmlib._validate import check_bool, check_choice, check_int, check_real, check_seed
from sdmlib.hamming import cosine_to_hamming, pack_bits
from sdmlib.memories import _torch as _tb
from sdmlib.memories._scan import pairwise_hamming
from sdmlib.memories._base import AssociativeMemory, unit_rows

if TYPE_CHECKING:  # pragma: no cover - torch is imported by the torch back end only
    import torch

__all__ = ["PatternSDM", "ContinuousSDM", "binary_log_weight_table", "cap_log_weight_table"]

#: Relative tolerance below which a binary vote counts as a tie (and goes to 0).
TIE_TOL = 1e-12
#: Above this log expected count, stochastic rounding is irrelevant (w > 4e15).
_LOG_EXACT = 36.0


def _check_r(r) -> int | float | None:
    if r is None:
        return None
    if isinstance(r, (float, np.floating)):
        return check_real("r", r, lo=0.0, lo_open=True)
    return check_int("r", r, lo=1)


def _check_stochastic(stochastic, r) -> bool:
    """The ``stochastic`` option: default ``True`` with a finite ``r``; a real bool otherwise."""
    if stochastic is None:
        return r is not None
    stochastic = check_bool("stochastic", stochastic)
    if stochastic and r is None:
        raise ValueError("stochastic=True needs a finite number of neurons r")
    return stochastic


def _log_r_shift(n: int, r) -> float:
    """log(r / 2**n): turns an exact intersection count into expected neurons."""
    return 0.0 if r is None else math.log(r) - n * math.log(2.0)


@lru_cache(maxsize=64)
def _binary_table_cached(n: int, d: int) -> np.ndarray:
    from sdmlib.geometry import log_hamming_ball_intersection

    t = np.asarray(log_hamming_ball_intersection(n, d, np.arange(n + 1)), dtype=np.float64)
    t.setflags(write=False)
    return t


def binary_log_weight_table(n: int, d: int, r: int | float | None = None) -> np.ndarray:
    r"""Log expected neurons in the intersection of two circles, for ``dv = 0..n``.

    :math:`\log I(d_v) = \log c_{n,d}(d_v) + \log(r/2^n)` from
    ``sdmlib.geometry.log_hamming_ball_intersection``; ``r=None`` means a
    neuron at every address (the exact count). Cached per ``(n, d)``.

    Examples
    --------
    >>> import numpy as np
    >>> t = binary_log_weight_table(64, 5)
    >>> bool(np.isneginf(t[11]) and np.isfinite(t[10]))   # empty beyond 2d
    True
    >>> bool(np.isclose(binary_log_weight_table(64, 5, r=2**64)[0], t[0]))
    True
    """
    n = check_int("n", n, lo=1)
    d = check_int("d", d, lo=0, hi=n)
    r = _check_r(r)
    return _binary_table_cached(n, d) + _log_r_shift(n, r)


#: Number of grid points of the cached cap table (uniform in the angle).
CAP_GRID = 1024


@lru_cache(maxsize=32)
def _cap_table_cached(n: int, d: int, points: int) -> tuple[np.ndarray, np.ndarray]:
    from sdmlib.geometry import cap_intersection

    cap_theta = math.acos(1.0 - 2.0 * d / n)
    edge = min(math.pi, 2.0 * cap_theta)
    theta = np.linspace(0.0, edge, points + 1)[:-1]
    x = np.cos(theta)
    x[0] = 1.0
    # log expected neurons with r = 1 neuron: the intersection's area fraction
    vals = np.asarray(cap_intersection(n, d, x, r=1, log=True), dtype=np.float64)
    theta.setflags(write=False)
    vals.setflags(write=False)
    return theta, vals


def cap_log_weight_table(n: int, d: int, points: int = CAP_GRID) -> tuple[np.ndarray, np.ndarray]:
    """Grid of angles and log cap-intersection fractions used by `ContinuousSDM`.

    The grid is uniform in the angle between the two centres on ``[0, 2θ)``,
    where ``cos θ = 1 - 2d/n`` is the cap's half-angle; the intersection is
    empty from ``2θ`` on. Values come from ``sdmlib.geometry.cap_intersection``
    with ``r=1`` (area fractions); `ContinuousSDM` interpolates them with a cubic
    spline in log space (absolute error of the log weight below about 3e-7 for
    n <= 1000 away from the support's edge, where the weights are negligible).
    """
    n = check_int("n", n, lo=1)
    d = check_int("d", d, lo=1, hi=n)
    points = check_int("points", points, lo=16)
    return _cap_table_cached(n, d, points)


@lru_cache(maxsize=32)
def _cap_spline(n: int, d: int, points: int) -> tuple[float, float, np.ndarray]:
    """(grid step, last grid angle, cubic coefficients (4, points-1)) of the log cap table."""
    from scipy.interpolate import CubicSpline

    theta, vals = _cap_table_cached(n, d, points)
    spline = CubicSpline(theta, vals)
    return float(theta[1] - theta[0]), float(theta[-1]), np.ascontiguousarray(spline.c)


def _cap_log_interp(theta: np.ndarray, n: int, d: int) -> np.ndarray:
    """Cubic-spline log cap weights at angles ``theta`` (uniform grid: direct indexing)."""
    step, last, c = _cap_spline(n, d, CAP_GRID)
    idx = np.minimum((theta / step).astype(np.int64), c.shape[1] - 1)
    dx = theta - idx * step
    out = ((c[0, idx] * dx + c[1, idx]) * dx + c[2, idx]) * dx + c[3, idx]
    out[theta > last + 0.5 * step] = -np.inf  # the caps no longer intersect
    return out


def _stochastic_round_log(logw: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """log of floor(w) + Bernoulli(frac(w)), elementwise, for w = exp(logw)."""
    out = logw.copy()
    small = logw <= _LOG_EXACT
    w = np.exp(logw[small])
    fl = np.floor(w)
    wt = fl + (rng.random(w.shape) < (w - fl))
    with np.errstate(divide="ignore"):
        out[small] = np.log(wt)
    return out


def _normalised(logw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weights scaled by their row maximum, and the rows that are all zero."""
    mx = logw.max(axis=1)
    empty = np.isneginf(mx)
    shift = np.where(empty, 0.0, mx)
    w = np.exp(logw - shift[:, None])
    w[empty] = 0.0
    return w, empty


def _binary_vote(w: np.ndarray, pointers_bipolar: np.ndarray) -> np.ndarray:
    s = w @ pointers_bipolar
    tot = w.sum(axis=1)
    return (s > TIE_TOL * tot[:, None]).astype(np.uint8)


class PatternSDM(AssociativeMemory):
    r"""Pattern-based binary SDM (read weights = expected circle intersections).

    .. math:: w_\mu = I\big(d_H(\xi, p_a^\mu)\big),\qquad
              \xi' = \mathbb 1\Big[\frac{\sum_\mu w_\mu p_p^\mu}{\sum_\mu w_\mu} > \tfrac12\Big]

    Parameters
    ----------
    n, d : int
        Dimension and Hamming radius.
    r : int, float or None
        Number of neurons. ``None``: a neuron at every address ("infinite
        neurons", exact intersection counts).
    stochastic : bool, optional
        Round the expected counts stochastically at every read (the original's
        ``NeuronLimit`` models). Default: ``True`` when ``r`` is finite. With
        ``stochastic=False`` a finite ``r`` only rescales the weights, which
        cancels in the read.
    seed : int or Generator, optional
        Seed of the stochastic rounding.
    on_empty : {"keep", "zero", "original"}
        Rule when every weight is zero (all patterns farther than ``2d``, or
        all rounded to zero): see `AssociativeMemory.read`. The original
        returned the all-zero vector.
    backend : {"numpy", "torch"}
        ``"torch"`` computes the distances as exact {0,1} x ±1 products and the
        weights and vote as torch tensors on ``device`` (see
        `sdmlib.memories._torch`); outputs are numpy arrays equal to the numpy
        route's, with the same stochastic rounding for the same ``seed``.
    device : str, optional
        torch only: ``"cpu"`` (default) or ``"cuda"``.
    dtype : torch dtype or str, optional
        torch only: dtype of the distance product, exact for ``n`` up to
        ``PRODUCT_MAX_N[dtype]`` (float32: 2**24, float16: 2048, bfloat16: 256).

    Notes
    -----
    Ties (:math:`|\sum_\mu w_\mu(2p_{p,i}^\mu-1)| \le 10^{-12}\sum_\mu w_\mu`)
    go to 0, like the neuron-based SDM's exact integer ties.

    Examples
    --------
    With a neuron at every address the weights are exact intersection counts;
    a stored pattern reads back as itself:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> P = rng.integers(0, 2, size=(50, 64), dtype=np.uint8)
    >>> mem = PatternSDM(n=64, d=11).write(P)
    >>> bool(np.array_equal(mem.read(P).outputs, P))
    True
    """

    binary = True
    _original_on_empty = "zero"

    def __init__(
        self,
        *,
        n: int,
        d: int,
        r: int | float | None = None,
        stochastic: bool | None = None,
        seed: int | np.random.Generator | None = None,
        on_empty: Literal["keep", "zero", "original"] = "keep",
        backend: Literal["numpy", "torch"] = "numpy",
        device: str | None = None,
        dtype: "str | torch.dtype | None" = None,
    ) -> None:
        super().__init__(n, on_empty)
        self.d = check_int("d", d, lo=0, hi=self.n)
        self.r = _check_r(r)
        self.stochastic = _check_stochastic(stochastic, self.r)
        self.seed = check_seed("seed", seed)
        self.rng = np.random.default_rng(seed)
        self._addr = np.zeros((0, -(-self.n // 64)), dtype=np.uint64)
        self._bip = np.zeros((0, 0))
        self.backend = check_choice("backend", backend, ("numpy", "torch"))
        self.device, self.dtype = _tb.check_backend_options(backend, device, dtype, n=self.n, binary=True)
        self._rows = None if backend == "numpy" else _tb.RowsTorch(self.n, self.device, self.dtype, binary=True)

    def _params(self) -> dict:
        return {"n": self.n, "d": self.d, "r": self.r, "stochastic": self.stochastic, "seed": self.seed,
                **_backend_params(self)}

    @property
    def log_weight_table(self) -> np.ndarray:
        """log expected neurons ``log I(dv)`` for ``dv = 0..n`` (with this memory's ``r``)."""
        return binary_log_weight_table(self.n, self.d, self.r)

    def _store(self, addresses: np.ndarray, pointers: np.ndarray) -> None:
        if self._rows is not None:
            self._rows.append(addresses, pointers)
            return
        self._addr = np.concatenate([self._addr, pack_bits(addresses)])
        bip = 2.0 * pointers - 1.0
        self._bip = bip if self._bip.size == 0 else np.concatenate([self._bip, bip])

    def log_weights(self, queries: np.ndarray) -> np.ndarray:
        """log read weights ``log w_mu`` (B, m) before any stochastic rounding."""
        q, _ = self._prepare_queries(queries)
        return self._log_weights(q)

    def _log_weights(self, q: np.ndarray) -> np.ndarray:
        if self._rows is not None:
            return _tb.to_numpy(_tb.table_tensor(self.log_weight_table, self.device)[self._rows.hamming(q)])
        D = pairwise_hamming(pack_bits(q), self._addr)
        return self.log_weight_table[D]

    def _read(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self._rows is not None:
            return self._read_torch(q)
        table = self.log_weight_table
        if self.stochastic and table.max() <= _LOG_EXACT:
            # Every weight is one of n + 1 table values: round by lookup. The same
            # uniform draws as `_stochastic_round_log` (one per entry, row-major),
            # so both routes give identical reads; the vote is scale-invariant.
            D = pairwise_hamming(pack_bits(q), self._addr)
            w_table = np.exp(table)
            floor = np.floor(w_table)
            w = floor[D] + (self.rng.random(D.shape) < (w_table - floor)[D])
            return _binary_vote(w, self._bip), ~np.any(w > 0, axis=1)
        logw = self._log_weights(q)
        if self.stochastic:
            logw = _stochastic_round_log(logw, self.rng)
        w, empty = _normalised(logw)
        return _binary_vote(w, self._bip), empty

    def _read_torch(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # the numpy route step by step on tensors, drawing from the same generator in the same order
        table = self.log_weight_table
        D = self._rows.hamming(q)
        if self.stochastic and table.max() <= _LOG_EXACT:
            w = _tb.lookup_rounded_weights(D, table, self.rng)
            return _tb.binary_vote(w, self._rows, TIE_TOL), _tb.to_numpy(~(w > 0).any(dim=1))
        logw = _tb.table_tensor(table, self.device)[D]
        if self.stochastic:
            logw = _tb.stochastic_round_log(logw, self.rng, _LOG_EXACT)
        w, empty = _tb.normalised(logw)
        return _tb.binary_vote(w, self._rows, TIE_TOL), _tb.to_numpy(empty)


def _backend_params(mem) -> dict:
    """The back-end entries of a memory's repr (none for the default numpy route)."""
    if getattr(mem, "backend", "numpy") != "torch":
        return {}
    return {"backend": "torch", "device": str(mem.device), "dtype": str(mem.dtype).removeprefix("torch.")}


class ContinuousSDM(AssociativeMemory):
    r"""SDM on unit vectors: read weights from the hypersphere-cap intersection.

    .. math:: w_\mu = I_{\text{cap}}\big(\hat p_a^{\mu\top}\hat\xi\big),\qquad
              \xi' = \frac{\sum_\mu w_\mu\,p_p^\mu}{\sum_\mu w_\mu}

    (no threshold). With ``intersection="binary"`` the weights are the binary
    circle intersection at the floored Hamming-equivalent distance,
    :math:`w_\mu = I_{\text{bin}}(\lfloor \tfrac n2(1-\hat p_a^{\mu\top}\hat\xi)\rfloor)`
    (the original's ``Cont_Binary_SDM``).

    Parameters
    ----------
    n, d : int
        Dimension and radius in Hamming units; the cap's cosine threshold is
        ``1 - 2d/n``.
    r : int, float or None
        Number of neurons (``None``: infinitely many; normalised weights are
        computed in log space, so nothing underflows at large ``n``).
    intersection : {"cap", "binary"}
        Which intersection gives the weights.
    stochastic : bool, optional
        Stochastic rounding of the expected counts at every read; default
        ``True`` when ``r`` is finite.
    seed : int or Generator, optional
    on_empty : {"keep", "zero", "original"}
        The original left the query unchanged ("keep") for continuous models.
    backend : {"numpy", "torch"}
        ``"torch"`` runs the cosines, weights and weighted sum as torch tensors
        on ``device``; outputs are numpy arrays (within about 1e-12 of the numpy
        route in float64), same stochastic rounding for the same ``seed``.
    device : str, optional
        torch only: ``"cpu"`` (default) or ``"cuda"``.
    dtype : torch dtype or str, optional
        torch only: ``float64`` (default) or ``float32`` for the two matrix
        products (cosines and the weighted sum of pointers); the weight maths
        stays float64.

    Notes
    -----
    Addresses and queries are normalised to unit length internally; pointers
    are used as given (auto-associative writes use the normalised addresses).
    The cap weights are interpolated by a cubic spline in log space on a grid of
    `CAP_GRID` angles (see `cap_log_weight_table`), built once per ``(n, d)``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> P = rng.uniform(-1, 1, size=(30, 64))
    >>> mem = ContinuousSDM(n=64, d=11, intersection="binary").write(P)
    >>> out = mem.retrieve(P + 0.1 * rng.standard_normal(P.shape)).outputs
    >>> Phat = P / np.linalg.norm(P, axis=1, keepdims=True)
    >>> bool(np.all(np.einsum("ij,ij->i", out, Phat) > 0.999))
    True
    """

    binary = False
    _original_on_empty = "keep"

    def __init__(
        self,
        *,
        n: int,
        d: int,
        r: int | float | None = None,
        intersection: Literal["cap", "binary"] = "cap",
        stochastic: bool | None = None,
        seed: int | np.random.Generator | None = None,
        on_empty: Literal["keep", "zero", "original"] = "keep",
        backend: Literal["numpy", "torch"] = "numpy",
        device: str | None = None,
        dtype: "str | torch.dtype | None" = None,
    ) -> None:
        super().__init__(n, on_empty)
        check_choice("intersection", intersection, ("cap", "binary"))
        if intersection == "cap" and self.n < 2:
            raise ValueError(f"n must be an integer >= 2 for intersection='cap' (a cap on a circle or more), got {self.n}")
        self.d = check_int("d", d, lo=1 if intersection == "cap" else 0, hi=self.n)
        self.intersection = intersection
        self.r = _check_r(r)
        self.stochastic = _check_stochastic(stochastic, self.r)
        self.seed = check_seed("seed", seed)
        self.rng = np.random.default_rng(seed)
        self._addr = np.zeros((0, self.n))
        self._ptr = np.zeros((0, 0))
        self.backend = check_choice("backend", backend, ("numpy", "torch"))
        self.device, self.dtype = _tb.check_backend_options(backend, device, dtype, n=self.n, binary=False)
        self._rows = None if backend == "numpy" else _tb.RowsTorch(self.n, self.device, self.dtype, binary=False)

    def _params(self) -> dict:
        return {
            "n": self.n,
            "d": self.d,
            "r": self.r,
            "intersection": self.intersection,
            "stochastic": self.stochastic,
            "seed": self.seed,
            **_backend_params(self),
        }

    def _store(self, addresses: np.ndarray, pointers: np.ndarray) -> None:
        if self._rows is not None:
            self._rows.append(addresses, pointers)
            return
        self._addr = np.concatenate([self._addr, addresses])
        self._ptr = pointers if self._ptr.size == 0 else np.concatenate([self._ptr, pointers])

    def log_weights(self, queries: np.ndarray) -> np.ndarray:
        """log expected neurons ``log w_mu`` (B, m), before stochastic rounding."""
        q, _ = self._prepare_queries(queries)
        return self._log_weights(q)

    def _log_weights(self, q: np.ndarray) -> np.ndarray:
        if self._rows is not None:
            return _tb.to_numpy(self._log_weights_torch(q))
        x = np.clip(unit_rows(q) @ self._addr.T, -1.0, 1.0)
        if self.intersection == "binary":
            dv = cosine_to_hamming(x, self.n, rounding="floor")
            return binary_log_weight_table(self.n, self.d, self.r)[dv]
        logw = _cap_log_interp(np.arccos(x), self.n, self.d)
        # expected neurons: fraction times r (r=None: a neuron at each of 2**n addresses)
        return logw + (self.n * math.log(2.0) if self.r is None else math.log(self.r))

    def _read(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self._rows is not None:
            return self._read_torch(q)
        logw = self._log_weights(q)
        if self.stochastic:
            logw = _stochastic_round_log(logw, self.rng)
        w, empty = _normalised(logw)
        tot = w.sum(axis=1)
        tot[empty] = 1.0
        # normalise the weights before the sum: a convex combination of pointers cannot overflow
        return (w / tot[:, None]) @ self._ptr, empty

    # the numpy route step by step on tensors (same generator, same draw order)
    def _log_weights_torch(self, q: np.ndarray):
        x = self._rows.cosines(unit_rows(q)).clamp(-1.0, 1.0)
        if self.intersection == "binary":
            table = _tb.table_tensor(binary_log_weight_table(self.n, self.d, self.r), self.device)
            return table[_tb.floor_hamming_equivalent(x, self.n)]
        logw = _tb.cap_log_interp(x.arccos(), self.n, self.d)
        return logw + (self.n * math.log(2.0) if self.r is None else math.log(self.r))

    def _read_torch(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        logw = self._log_weights_torch(q)
        if self.stochastic:
            logw = _tb.stochastic_round_log(logw, self.rng, _LOG_EXACT)
        w, empty = _tb.normalised(logw)
        tot = w.sum(dim=1)
        tot[empty] = 1.0
        return _tb.to_numpy(self._rows.weighted_sum(w) / tot.unsqueeze(1)), _tb.to_numpy(empty)
