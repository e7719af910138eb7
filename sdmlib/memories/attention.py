r"""Attention as an associative memory: a softmax of cosine similarities.

.. math:: \xi' = P_p\,\operatorname{softmax}_\mu\big(\beta\,x_\mu\big),\qquad
          x_\mu = \hat p_a^{\mu\top}\hat\xi \ \ (\text{continuous}),\quad
          x_\mu = 1 - 2d_H(\xi, p_a^\mu)/n \ \ (\text{binary, then } \xi'\ \text{thresholded at } \tfrac12).

`SDMAttention` takes β from the SDM radius it approximates (fitted by
``sdmlib.beta.fit_beta``) or as given; `TransformerAttention` uses the
Transformer's :math:`\beta = 1/\sqrt n` on unit vectors.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

import numpy as np

from sdmlib._validate import check_choice, check_int, check_real, check_seed
from sdmlib.hamming import pack_bits
from sdmlib.memories import _torch as _tb
from sdmlib.memories._scan import pairwise_hamming
from sdmlib.memories._base import AssociativeMemory, unit_rows
from sdmlib.memories.pattern import TIE_TOL, _backend_params, _binary_vote

if TYPE_CHECKING:  # pragma: no cover - torch is imported by the torch back end only
    import torch

__all__ = ["SDMAttention", "TransformerAttention"]


class SDMAttention(AssociativeMemory):
    r"""Softmax attention with the β of an SDM radius (or a given β).

    Parameters
    ----------
    n : int
        Dimension.
    d : int, optional
        SDM radius whose β is fitted, ``1 <= d <= n`` (checked but unused when ``beta`` is
        given). A radius whose fitted β is not positive (near ``d = n``: at n = 64 every
        ``d >= 60``) is refused with a ``ValueError``.
    beta : float, optional
        Inverse temperature; if omitted it is
        ``sdmlib.beta.fit_beta(n, d, space=fit, window=window, estimator=estimator).beta``.
    space : {"continuous", "binary"}
        Data the memory stores: real vectors (normalised internally; output
        ``P_p softmax``) or {0,1} vectors (cosine ``1 - 2 d_H / n``; output
        thresholded at 1/2, ties to 0).
    fit : {"binary", "continuous"}, optional
        Which intersection β is fitted to: binary circles ("BFit") or
        hypersphere caps ("CFit"). Default: ``"binary"``.
    estimator : {"ols", "as-published", "kl"}
        Regression estimator of the fit (see `sdmlib.beta.fit_beta`); checked also when
        ``beta`` is given.
        ``"as-published"`` reproduces the original's N/(N-1)-inflated β.
    window : str or (int, int)
        Fit window (default ``"within-radius"``: ``dv = 0..d-1``, the paper's).
    backend : {"numpy", "torch"}
        ``"torch"`` runs the similarities, the softmax and the weighted sum as
        torch tensors on ``device`` (see `sdmlib.memories._torch`); outputs are
        numpy arrays. Binary: distances from exact {0,1} x ±1 products, softmax
        and vote in float64, equal to the numpy route's reads. Continuous: within
        about 1e-12 of the numpy route in float64.
    device : str, optional
        torch only: ``"cpu"`` (default) or ``"cuda"``.
    dtype : torch dtype or str, optional
        torch only: dtype of the matrix products. Binary: the distance product,
        exact for ``n`` up to ``PRODUCT_MAX_N[dtype]`` (float32 default on the
        CPU; float16, n <= 2048, default on CUDA). Continuous: ``float64``
        (default) or ``float32`` for the cosines and the weighted sum.

    Attributes
    ----------
    beta
        The β in use (a float).

    Examples
    --------
    Large β makes attention pick the nearest pattern; β → 0 averages them:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> P = rng.uniform(-1, 1, size=(10, 64))
    >>> sharp = SDMAttention(n=64, beta=1e4).write(P)
    >>> Phat = P / np.linalg.norm(P, axis=1, keepdims=True)
    >>> bool(np.allclose(sharp.read(P + 0.01).outputs, Phat))
    True
    >>> flat = SDMAttention(n=64, beta=1e-12).write(P)
    >>> bool(np.allclose(flat.read(P[0]).outputs, Phat.mean(0)))
    True
    """

    _original_on_empty = "keep"

    def __init__(
        self,
        *,
        n: int,
        d: int | None = None,
        beta: float | None = None,
        space: Literal["continuous", "binary"] = "continuous",
        fit: Literal["binary", "continuous"] | None = None,
        estimator: str = "ols",
        window: str | tuple[int, int] = "within-radius",
        seed: int | np.random.Generator | None = None,
        backend: Literal["numpy", "torch"] = "numpy",
        device: str | None = None,
        dtype: "str | torch.dtype | None" = None,
    ) -> None:
        super().__init__(n, "keep")
        check_choice("space", space, ("continuous", "binary"))
        self.space = space
        self.binary = space == "binary"
        self.backend = check_choice("backend", backend, ("numpy", "torch"))
        self.device, self.dtype = _tb.check_backend_options(backend, device, dtype, n=self.n, binary=self.binary)
        self._rows = None if backend == "numpy" else _tb.RowsTorch(self.n, self.device, self.dtype, binary=self.binary)
        self.seed = check_seed("seed", seed)  # attention is deterministic; accepted for a uniform signature
        if fit is None:
            fit = "binary"
        check_choice("fit", fit, ("binary", "continuous"))
        from sdmlib.beta import _check_estimator, _resolve_window

        # the fit options are checked even when beta is given (and they are unused)
        self.estimator = _check_estimator(estimator)
        self.d = None if d is None else check_int("d", d, lo=1, hi=self.n)
        _resolve_window(self.n, self.d or 1, window)
        self.fit = fit
        self.window = window
        if beta is not None:
            self.beta = check_real("beta", beta, lo=0.0, lo_open=True)
            self.fit = None
        else:
            if d is None:
                raise ValueError("give either beta or the radius d whose beta is fitted")
            from sdmlib.beta import fit_beta

            res = fit_beta(self.n, self.d, space=fit, window=window, estimator=estimator)
            self.beta = float(res.beta)
            if not (math.isfinite(self.beta) and self.beta > 0):
                raise ValueError(
                    f"d = {self.d} at n = {self.n} gives a fitted beta of {self.beta:.6g}, not a positive "
                    f"inverse temperature (circles of radius d >= n/2 overlap almost everywhere, so the "
                    f"weights hardly fall with distance); use a smaller d or give beta"
                )
        self._addr = None
        self._ptr = np.zeros((0, 0))

    def _params(self) -> dict:
        return {"n": self.n, "d": self.d, "beta": round(self.beta, 6), "space": self.space, "fit": self.fit,
                **_backend_params(self)}

    def _store(self, addresses: np.ndarray, pointers: np.ndarray) -> None:
        if self._rows is not None:
            self._rows.append(addresses, pointers)
            return
        if self.binary:
            packed = pack_bits(addresses)
            self._addr = packed if self._addr is None else np.concatenate([self._addr, packed])
            ptr = 2.0 * pointers - 1.0
        else:
            self._addr = addresses if self._addr is None else np.concatenate([self._addr, addresses])
            ptr = pointers
        self._ptr = ptr if self._ptr.size == 0 else np.concatenate([self._ptr, ptr])

    def cosines(self, queries) -> np.ndarray:
        """Cosine similarities ``x_mu`` (B, m) of the queries to the stored addresses."""
        q, _ = self._prepare_queries(queries)
        return self._cosines(q)

    def _cosines(self, q: np.ndarray) -> np.ndarray:
        if self._rows is not None:
            return _tb.to_numpy(self._cosines_torch(q))
        if self.binary:
            return 1.0 - 2.0 * pairwise_hamming(pack_bits(q), self._addr) / self.n
        return unit_rows(q) @ self._addr.T

    def weights(self, queries) -> np.ndarray:
        """Softmax read weights (B, m); each row sums to 1."""
        q, _ = self._prepare_queries(queries)
        return self._weights(q)

    def _weights(self, q: np.ndarray) -> np.ndarray:
        if self._rows is not None:
            return _tb.to_numpy(_tb.softmax_weights(self.beta * self._cosines_torch(q)))
        z = self.beta * self._cosines(q)
        z -= z.max(axis=1, keepdims=True)
        w = np.exp(z)
        return w / w.sum(axis=1, keepdims=True)

    def _read(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        empty = np.zeros(q.shape[0], dtype=bool)  # a softmax is never empty
        if self._rows is not None:
            w = _tb.softmax_weights(self.beta * self._cosines_torch(q))
            if self.binary:
                return _tb.binary_vote(w, self._rows, TIE_TOL), empty
            return _tb.to_numpy(self._rows.weighted_sum(w)), empty
        w = self._weights(q)
        if self.binary:
            return _binary_vote(w, self._ptr), empty
        return w @ self._ptr, empty

    def _cosines_torch(self, q: np.ndarray):
        if self.binary:
            return 1.0 - 2.0 * self._rows.hamming(q).to(self._rows.ptr_dtype) / self.n
        return self._rows.cosines(unit_rows(q))


class TransformerAttention(SDMAttention):
    r"""Plain Transformer attention on unit vectors: β = 1/√n.

    On unit-norm queries and keys the cosines lie in [-1, 1], so with
    :math:`\beta = 1/\sqrt n` (0.125 for n = 64) the softmax is almost uniform
    and every query collapses towards the mean pattern: the foil that shows
    why unit-norm attention needs a large β.

    Examples
    --------
    >>> TransformerAttention(n=64).beta
    0.125
    """

    def __init__(
        self,
        *,
        n: int,
        space: Literal["continuous", "binary"] = "continuous",
        seed: int | np.random.Generator | None = None,
        backend: Literal["numpy", "torch"] = "numpy",
        device: str | None = None,
        dtype: "str | torch.dtype | None" = None,
    ) -> None:
        n = check_int("n", n, lo=1)
        super().__init__(n=n, beta=1.0 / math.sqrt(n), space=space, seed=seed, backend=backend, device=device,
                         dtype=dtype)

    def _params(self) -> dict:
        return {"n": self.n, "beta": round(self.beta, 6), "space": self.space, **_backend_params(self)}
