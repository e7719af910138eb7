r"""Neuron-based SDM: ``r`` real neurons with random addresses (Kanerva 1988).

Write: every neuron within Hamming distance ``d`` of a pattern's address adds
the pattern's bipolar pointer to its counters,

.. math:: C^\tau \mathrel{+}= \mathbb 1[d_H(p_a^\mu, x_a^\tau)\le d]\,(2p_p^\mu-1),
          \qquad h_\tau \mathrel{+}= \mathbb 1[d_H(p_a^\mu, x_a^\tau)\le d].

Read: the active neurons' counters are summed and thresholded (ties go to 0),

.. math:: \xi'_i = \mathbb 1\Big[\sum_\tau a_\tau(\xi)\,C^\tau_i > 0\Big],\qquad
          a_\tau(\xi)=\mathbb 1[d_H(\xi, x_a^\tau)\le d],

which equals the majority vote
:math:`\sum_\tau a_\tau x^\tau_{v,i} / \sum_\tau a_\tau h_\tau > 1/2` over all
(active neuron, stored pattern) pairs. A read is *empty* when
:math:`\sum_\tau a_\tau h_\tau = 0` (no active neuron holds a write).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from sdmlib._validate import check_choice, check_int, check_seed
from sdmlib.hamming import pack_bits
from sdmlib.memories import _torch as _tb
from sdmlib.memories._base import AssociativeMemory
from sdmlib.memories._scan import accumulate_writes, scan_within_radius, sum_active_rows

__all__ = ["NeuronSDM", "COUNTER_DTYPE"]

#: dtype of the neuron counters. A counter changes by at most 1 per stored
#: pattern, so it cannot overflow before 2**31 - 1 patterns have been written;
#: `NeuronSDM.write` raises ``OverflowError`` before that limit is crossed.
COUNTER_DTYPE = np.dtype(np.int32)
_COUNTER_MAX = int(np.iinfo(COUNTER_DTYPE).max)

#: Largest n for which ``r=None`` (a neuron at every one of the 2**n addresses) is allowed.
MAX_N_ALL_ADDRESSES = 24


class NeuronSDM(AssociativeMemory):
    r"""Neuron-based binary SDM with bit-packed addresses and integer counters.

    Parameters
    ----------
    n : int
        Address dimension.
    d : int
        Hamming radius of the read and write circles, ``0 <= d <= n``.
    r : int or None
        Number of neurons, drawn uniformly from {0,1}^n with ``seed``. ``None``
        puts one neuron at every one of the ``2**n`` addresses (``n <= 24``),
        the "attention setting" in which the reads equal
        ``PatternSDM(r=None)``'s.
    seed : int or numpy.random.Generator, optional
        Seed of the neuron addresses.
    on_empty : {"keep", "zero", "original"}
        What a read returns when no active neuron holds a write: ``"keep"``
        (default) the query unchanged; ``"zero"`` / ``"original"`` the all-zero
        vector, as the original code did (its 0/0 = NaN thresholded to 0).
    backend : {"auto", "numba", "numpy", "torch"}
        Scan implementation (see `scan_within_radius`). ``"torch"``: the scan as
        exact {0,1} x ±1 matrix products and the counters as ``int32`` tensors on
        ``device`` (`sdmlib.memories._torch`); the same neurons for the same
        ``seed`` and bit-identical reads.
    threads : int, optional
        Opt-in multithreading (default: one thread): the scan, a write's
        counter update (each thread owns a block of counter rows) and a read's
        counter sums (each thread owns whole queries) with numba; the scan with
        the numpy back end; with ``backend="torch"``, torch's intra-op threads
        during each call. Reads and writes are identical for every thread count.
    device : str, optional
        torch only: ``"cpu"`` (default) or ``"cuda"``.
    dtype : torch dtype or str, optional
        torch only: dtype of the distance product, exact for ``n`` up to
        ``PRODUCT_MAX_N[dtype]`` (float32: 2**24, float16: 2048, bfloat16: 256).

    Attributes
    ----------
    addresses
        The packed neuron addresses, ``uint64`` of shape ``(r, ceil(n/64))`` in
        the `sdmlib.hamming.pack_bits` layout, stored word-major (Fortran order)
        for the scan.
    touched
        Number of neurons that hold at least one write (only those have counter
        rows: the counters are stored sparsely).

    Notes
    -----
    Counters are ``int32`` (`COUNTER_DTYPE`), stored only for neurons that were
    written to; sums over active neurons are accumulated in ``int64``. Memory:
    ``8 * r * ceil(n/64)`` bytes of addresses, ``4 * r`` bytes of row index, and
    ``4 * n_out`` bytes per touched neuron.

    Examples
    --------
    A stored pattern is a fixed point, and a query 3 bits away is cleaned up:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> P = rng.integers(0, 2, size=(20, 64), dtype=np.uint8)
    >>> mem = NeuronSDM(n=64, d=24, r=20000, seed=1).write(P)
    >>> bool(np.array_equal(mem.read(P).outputs, P))
    True
    >>> q = P[0].copy(); q[:3] ^= 1
    >>> res = mem.retrieve(q)
    >>> bool(np.array_equal(res.outputs, P[0])), int(res.steps)
    (True, 2)
    """

    binary = True
    _original_on_empty = "zero"

    def __init__(
        self,
        *,
        n: int,
        d: int,
        r: int | None,
        seed: int | np.random.Generator | None = None,
        on_empty: Literal["keep", "zero", "original"] = "keep",
        backend: Literal["auto", "numba", "numpy", "torch"] = "auto",
        threads: int | None = None,
        device: str | None = None,
        dtype=None,
    ) -> None:
        super().__init__(n, on_empty)
        self.d = check_int("d", d, lo=0, hi=self.n)
        check_choice("backend", backend, ("auto", "numba", "numpy", "torch"))
        self.backend = backend
        self.threads = None if threads is None else check_int("threads", threads, lo=1)
        self.seed = check_seed("seed", seed)
        words = -(-self.n // 64)
        if r is None:
            if self.n > MAX_N_ALL_ADDRESSES:
                raise ValueError(
                    f"r=None puts a neuron at each of the 2**n addresses; allowed for n <= "
                    f"{MAX_N_ALL_ADDRESSES}, got n={self.n} (give a finite r)"
                )
            self.r = 1 << self.n
            self.addresses = np.arange(self.r, dtype=np.uint64).reshape(-1, 1)
        else:
            self.r = check_int("r", r, lo=1, hi=_COUNTER_MAX)
            rng = np.random.default_rng(seed)
            # word-major storage (Fortran order): the layout the numba scan streams through
            A = rng.integers(0, np.iinfo(np.uint64).max, size=(words, self.r), dtype=np.uint64, endpoint=True).T
            tail = self.n - 64 * (words - 1)
            if tail < 64:
                A[:, -1] &= np.uint64((1 << tail) - 1)
            self.addresses = A
        self.all_addresses = r is None
        self._row = np.full(self.r, -1, dtype=np.int32)
        self._counters = np.zeros((0, 0), dtype=COUNTER_DTYPE)
        self._writes = np.zeros(0, dtype=np.int64)
        self.touched = 0
        self.device, self.dtype = _tb.check_backend_options(backend, device, dtype, n=self.n, binary=True)
        self._torch = None if backend != "torch" else _tb.NeuronTorch(
            self.addresses, self.n, self.d, self.device, self.dtype, self.threads)

    def _params(self) -> dict:
        return {"n": self.n, "d": self.d, "r": None if self.all_addresses else self.r, "seed": self.seed}

    # ------------------------------------------------------------------ scans
    def active_neurons(self, queries) -> list[np.ndarray]:
        """Indices of the neurons within distance ``d`` of each {0,1} query (rows)."""
        q, _ = self._prepare_queries(queries)
        indptr, indices = self._scan(q)
        return [indices[indptr[b] : indptr[b + 1]] for b in range(q.shape[0])]

    def _scan(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self._torch is not None:
            return self._torch.scan(q)
        return scan_within_radius(self.addresses, pack_bits(q), self.d, backend=self.backend, threads=self.threads)

    # ------------------------------------------------------------------ protocol
    def _store(self, addresses: np.ndarray, pointers: np.ndarray) -> None:
        m = addresses.shape[0]
        if self.m + m > _COUNTER_MAX:
            raise OverflowError(
                f"NeuronSDM counters are {COUNTER_DTYPE.name}: at most {_COUNTER_MAX} patterns "
                f"can be written, this write would bring the total to {self.m + m}"
            )
        if self._torch is not None:
            self.touched = self._torch.store(addresses, pointers)
            return
        n_out = pointers.shape[1]
        if self._counters.shape[1] != n_out:
            self._counters = np.zeros((0, n_out), dtype=COUNTER_DTYPE)
        indptr, indices = self._scan(addresses)
        # neurons touched for the first time, in index order (a mask over r is O(nnz + r),
        # cheaper than sorting the nnz indices with np.unique)
        hit = np.zeros(self.r, dtype=bool)
        hit[indices] = True
        new = np.flatnonzero(hit & (self._row < 0))
        if new.size:
            start = self.touched
            need = start + new.size
            if need > self._counters.shape[0]:
                cap = max(need, 2 * self._counters.shape[0], 64)
                grown = np.zeros((cap, n_out), dtype=COUNTER_DTYPE)
                grown[:start] = self._counters[:start]
                self._counters = grown
                writes = np.zeros(cap, dtype=np.int64)
                writes[:start] = self._writes[:start]
                self._writes = writes
            self._row[new] = np.arange(start, need, dtype=np.int32)
            self.touched = need
        bipolar = 2 * pointers.astype(COUNTER_DTYPE) - 1
        rows = self._row[indices].astype(np.int64)
        accumulate_writes(self._counters, self._writes, rows, indptr, bipolar, backend=self.backend,
                          threads=self.threads)

    def _read(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self._torch is not None:
            return self._torch.read(q)
        indptr, indices = self._scan(q)
        # active neurons that never received a write have zero counters: skip them (-1)
        sums, kept = sum_active_rows(self._counters, self._row[indices], indptr, backend=self.backend,
                                     threads=self.threads)
        empty = kept == 0  # written neurons have h > 0, so this is sum(a h) == 0
        return (sums > 0).astype(np.uint8), empty

    def counters(self) -> tuple[np.ndarray, np.ndarray]:
        """Dense copies of the counters ``C`` (r, n_out) and write counts ``h`` (r,).

        Neurons that were never written to have zero rows. Meant for inspection
        and tests with small ``r``.
        """
        n_out = self.n_out or self.n
        if self._torch is not None:
            return self._torch.counters(n_out, COUNTER_DTYPE)
        C = np.zeros((self.r, n_out), dtype=COUNTER_DTYPE)
        h = np.zeros(self.r, dtype=np.int64)
        used = self._row >= 0
        C[used] = self._counters[self._row[used]]
        h[used] = self._writes[self._row[used]]
        return C, h
