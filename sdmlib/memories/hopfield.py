r"""The classical Hopfield network (Hopfield 1982), the baseline associative memory.

.. math:: s^\mu = 2p^\mu - 1,\qquad W = \tfrac1n\sum_\mu s^\mu s^{\mu\top},\ \ W_{ii}=0,\qquad
          \xi' = \mathbb 1\big[W(2\xi-1) > 0\big]

(synchronous update; a zero field gives bit 0, i.e. sign(0) = -1).
"""

from __future__ import annotations

import numpy as np

from sdmlib._validate import check_seed
from sdmlib.memories._base import AssociativeMemory

__all__ = ["Hopfield"]


class Hopfield(AssociativeMemory):
    r"""Classical Hopfield network on {0,1} vectors (bipolar internally).

    Parameters
    ----------
    n : int
        Dimension.
    seed : int or Generator, optional
        Unused (the network is deterministic); accepted for a uniform signature.

    Notes
    -----
    Auto-associative only: ``write(addresses)``, or ``write(addresses, pointers)``
    with ``pointers`` equal to ``addresses``. The weights are sums of ±1
    products, i.e. integers; they are held in ``float64`` so that writes and
    reads use BLAS matrix products (numpy's integer matmul has no BLAS path and
    is ~100× slower at n = 1000), and stay exact while every partial sum is
    below 2**53: at most ``m * n < 2**53`` (checked on write). ``W`` is that sum
    divided by ``n``. A read is never empty.

    Examples
    --------
    One stored pattern is recovered from any query within Hamming distance < n/2:

    >>> import numpy as np
    >>> p = np.random.default_rng(0).integers(0, 2, size=64, dtype=np.uint8)
    >>> net = Hopfield(n=64).write(p[None])
    >>> q = p.copy(); q[:20] ^= 1
    >>> bool(np.array_equal(net.read(q).outputs, p))
    True
    """

    _original_on_empty = "keep"

    def __init__(self, *, n: int, seed: int | np.random.Generator | None = None) -> None:
        super().__init__(n, "keep")
        self.seed = check_seed("seed", seed)
        self._S = np.zeros((self.n, self.n), dtype=np.float64)

    @property
    def weights(self) -> np.ndarray:
        """The weight matrix ``W`` (n, n), zero diagonal."""
        return self._S / self.n

    def _store(self, addresses: np.ndarray, pointers: np.ndarray) -> None:
        if not np.array_equal(addresses, pointers):
            raise ValueError("Hopfield is auto-associative: pointers must be None or equal to addresses")
        if (self.m + addresses.shape[0]) * self.n >= 2**53:
            raise OverflowError(
                f"Hopfield weights are exact in float64 only while m * n < 2**53; "
                f"m = {self.m + addresses.shape[0]} patterns at n = {self.n} is too many"
            )
        s = 2.0 * addresses - 1.0
        self._S += s.T @ s
        np.fill_diagonal(self._S, 0)

    def _read(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        field = (2.0 * q - 1.0) @ self._S  # symmetric S; integer-valued, exact in float64
        return (field > 0).astype(np.uint8), np.zeros(q.shape[0], dtype=bool)
