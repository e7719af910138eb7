r"""The torch back end of the memories: exact Hamming distances as matrix products.

``backend="torch"`` runs the heavy part of every memory (the scan of the
neuron addresses, the query-to-pattern distances or cosines, the weighted
sums) as torch tensor operations on ``device="cpu"`` or ``"cuda"``. torch is
imported here only, and only when a torch memory is built, so
``import sdmlib.memories`` never imports it.

Exact Hamming distances without popcount
----------------------------------------
torch has no popcount. For a {0,1} query :math:`q` with bipolar form
:math:`s = 2q - 1` and a {0,1} address :math:`x`,

.. math:: s\cdot x = 2\,|q\wedge x| - |x|, \qquad
          d_H(q, x) = |q| + |x| - 2\,|q\wedge x| = |q| - s\cdot x ,

the same as :math:`(n - s\cdot t)/2` with both sides bipolar (:math:`t = 2x-1`).
The addresses stay {0,1} and the query is ±1. `NeuronSDM`'s ``r`` neuron
addresses stay bit-packed (on the CPU the numpy array itself, on CUDA one copy
of its bytes on the device) and are unpacked block by block for the product;
the pattern-based memories hold their ``m`` stored addresses unpacked in the
product dtype (``m * n`` elements). Every
product term is -1, 0 or 1 and every partial sum an integer of magnitude at
most ``n``, so the product is **exact** whenever the accumulator holds the
integers up to ``n``: the inputs 0 and ±1 are exact in every format, so only
the significand of the accumulator and of the result matters, whatever
summation order, split-K or reduced-precision reduction the matrix library
uses. The supported range per product dtype (`PRODUCT_MAX_N`, enforced with a
``ValueError`` naming ``dtype``):

=============  ==============  ============
dtype          significand     exact for
=============  ==============  ============
``bfloat16``   8 bits          n <= 256
``float16``    11 bits         n <= 2048
``float32``    24 bits         n <= 2**24
``float64``    53 bits         n <= 2**53
=============  ==============  ============

(TF32 matmuls round inputs to 11 bits, which leaves 0 and ±1 exact and
accumulates in float32.) The default product dtype is ``float32`` on the CPU
(the fastest there) and ``float16`` on CUDA for ``n <= 2048`` (tensor cores),
else ``float32``.

What else is exact, and what is not
-----------------------------------
* `NeuronSDM`: the scan (above) and the counters (``int32`` written with
  ``index_add_``, summed in ``int64``): integer arithmetic, bit-identical to
  the numba and numpy routes.
* `PatternSDM`, binary `SDMAttention`: distances exact; weights, softmax and
  the thresholded vote in ``float64`` as in the numpy route. Outputs equal the
  numpy route's except where a vote is within float64 rounding (about 1e-16 of
  the total weight) of the tie tolerance ``TIE_TOL``; with integer weights
  (stochastic rounding) they are bit-identical.
* `ContinuousSDM`, continuous `SDMAttention`: ``float64`` by default (outputs
  within about 1e-12 of the numpy route; ``intersection="binary"`` floors a
  Hamming-equivalent distance, which can differ where it is within rounding of
  an integer); ``dtype="float32"`` runs both products in float32 (relative
  error about 1e-6 in the cosines).
* Randomness: neuron addresses are drawn with numpy from ``seed`` and copied
  to the device, and the stochastic rounding of `PatternSDM` / `ContinuousSDM`
  draws its uniforms from the memory's numpy generator in the numpy route's
  order, so the same seed gives the same neurons and the same rounded weights
  on every back end (the draws cross to the device: ``B * m`` doubles per read).
* Outputs are numpy arrays, like the other back ends; a ``retrieve`` copies
  the queries to the device and back once per step.

Examples
--------
The product identity on one pair, and the torch scan equal to the reference
scan:

>>> import numpy as np
>>> q, x = np.array([1, 0, 1, 1, 0]), np.array([0, 0, 1, 0, 1])
>>> int(q.sum() - (2 * q - 1) @ x) == int(np.count_nonzero(q != x))
True
>>> from sdmlib.hamming import pack_bits
>>> from sdmlib.memories import scan_within_radius
>>> rng = np.random.default_rng(0)
>>> X = pack_bits(rng.integers(0, 2, size=(3000, 100)))
>>> Q = pack_bits(rng.integers(0, 2, size=(4, 100)))
>>> a = scan_within_radius_torch(X, Q, 100, 40)
>>> b = scan_within_radius(X, Q, 40, backend="numpy")
>>> all(bool(np.array_equal(u, v)) for u, v in zip(a, b))
True
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from sdmlib._validate import check_choice, check_int

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = [
    "PRODUCT_MAX_N",
    "torch_available",
    "check_backend_options",
    "scan_within_radius_torch",
    "NeuronTorch",
    "RowsTorch",
]

#: Largest n for which a {0,1} x ±1 product is exact, per product dtype.
PRODUCT_MAX_N = {"bfloat16": 256, "float16": 2048, "float32": 2**24, "float64": 2**53}

#: Elements of one unpacked block of addresses (or of one block of the product)
#: on the CPU / on CUDA: bounds the scan's temporary memory.
_BLOCK_ELEMENTS = {"cpu": 1 << 22, "cuda": 1 << 26}
#: Elements of one gathered block of counter rows in a NeuronSDM read or write.
_GATHER_ELEMENTS = 1 << 24


def _torch():
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - torch is in the 'ml' extra
        raise ValueError("backend='torch' needs torch: pip install torch (the 'ml' extra)") from exc
    return torch


def torch_available() -> bool:
    """Whether ``backend="torch"`` can be used (torch importable)."""
    try:
        import torch  # noqa: F401
    except ImportError:  # pragma: no cover
        return False
    return True


def _resolve_device(device: Any) -> "torch.device":
    torch = _torch()
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f"device must be a string such as 'cpu' or 'cuda', got {type(device).__name__} {device!r}")
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError) as exc:
        raise ValueError(f"device must be 'cpu' or 'cuda' (optionally 'cuda:<index>'), got {device!r}") from exc
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda' (optionally 'cuda:<index>'), got {device!r}")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r} needs a CUDA GPU, and torch sees none here; use device='cpu'")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r}: torch sees {torch.cuda.device_count()} CUDA device(s), indices 0.."
                f"{torch.cuda.device_count() - 1}"
            )
    return dev


def _dtype_name(dtype: Any) -> str:
    torch = _torch()
    if isinstance(dtype, torch.dtype):
        name = str(dtype).removeprefix("torch.")
    elif isinstance(dtype, str):
        name = dtype.removeprefix("torch.")
    else:
        raise TypeError(f"dtype must be a torch dtype or its name such as 'float32', got {type(dtype).__name__}")
    return name


def check_backend_options(
    backend: str, device: Any, dtype: Any, *, n: int, binary: bool
) -> tuple[Any, Any]:
    """Validate ``device`` and ``dtype`` for a memory; returns ``(torch.device, torch.dtype)`` or ``(None, None)``.

    For any ``backend`` but ``"torch"`` both must be left at ``None`` (torch is
    then not imported). For ``"torch"``: ``device`` is ``"cpu"`` (default) or
    ``"cuda"`` / ``"cuda:<i>"`` (a ``ValueError`` naming ``device`` when torch
    sees no GPU). ``dtype`` is the dtype of the matrix products: for binary
    data one of `PRODUCT_MAX_N` with ``n`` inside its exact range (default
    ``float32`` on the CPU, ``float16`` on CUDA for ``n <= 2048``); for real
    data ``float64`` (default) or ``float32``.

    Examples
    --------
    >>> check_backend_options("numpy", None, None, n=64, binary=True)
    (None, None)
    >>> check_backend_options("torch", "cpu", "float16", n=4096, binary=True)
    Traceback (most recent call last):
    ...
    ValueError: dtype float16 makes exact Hamming products only for n <= 2048, got n = 4096; use float32
    """
    if backend != "torch":
        if device is not None:
            raise ValueError(f"device applies to backend='torch' only (backend is {backend!r}), got {device!r}")
        if dtype is not None:
            raise ValueError(f"dtype applies to backend='torch' only (backend is {backend!r}), got {dtype!r}")
        return None, None
    torch = _torch()
    dev = _resolve_device("cpu" if device is None else device)
    if binary:
        if dtype is None:
            name = "float16" if dev.type == "cuda" and n <= PRODUCT_MAX_N["float16"] else "float32"
        else:
            name = check_choice("dtype", _dtype_name(dtype), tuple(PRODUCT_MAX_N))
        if n > PRODUCT_MAX_N[name]:
            raise ValueError(
                f"dtype {name} makes exact Hamming products only for n <= {PRODUCT_MAX_N[name]}, got n = {n}; "
                "use float32"
            )
    else:
        name = "float64" if dtype is None else check_choice("dtype", _dtype_name(dtype), ("float64", "float32"))
    return dev, getattr(torch, name)


def _threads(threads: int | None):
    """Context manager: torch's intra-op threads set to ``threads`` (None: unchanged)."""
    import contextlib

    torch = _torch()

    @contextlib.contextmanager
    def ctx():
        if threads is None:
            yield
            return
        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            yield
        finally:
            torch.set_num_threads(before)

    return ctx()


def _unpack_cpu(words: np.ndarray, n: int) -> np.ndarray:
    """{0,1} ``uint8`` rows (b, n) from packed ``uint64`` rows (any memory order)."""
    return np.unpackbits(np.ascontiguousarray(words).view(np.uint8), axis=1, count=n, bitorder="little")


class _PackedRows:
    """Bit-packed {0,1} rows, unpacked block by block into a product dtype on a device.

    On the CPU the rows stay the caller's numpy array (no copy) and blocks are
    unpacked by ``numpy.unpackbits``; on CUDA one copy of the packed bytes lives
    on the device and is unpacked there with bit masks (the same code runs on
    the CPU when ``unpack="torch"``, which the tests use).
    """

    def __init__(self, packed: np.ndarray, n: int, device, dtype, *, unpack: str | None = None) -> None:
        torch = _torch()
        self.n, self.device, self.dtype = n, device, dtype
        self.r = packed.shape[0]
        self.unpack = unpack or ("numpy" if device.type == "cpu" else "torch")
        check_choice("unpack", self.unpack, ("numpy", "torch"))
        if self.unpack == "numpy":
            self.packed = packed
        else:
            as_bytes = np.ascontiguousarray(packed).view(np.uint8)
            self.bytes = torch.from_numpy(as_bytes).to(device)
            self.masks = torch.tensor([1 << k for k in range(8)], dtype=torch.uint8, device=device)

    def block(self, s: int, e: int) -> "torch.Tensor":
        """Rows ``s:e`` as {0,1} in the product dtype (on the CPU: a reused buffer, valid until the next call)."""
        torch = _torch()
        if self.unpack == "numpy":
            # one buffer for every block: a fresh 16 MiB tensor per block costs page faults
            if getattr(self, "_buf", None) is None or self._buf.shape[0] < e - s:
                self._buf = torch.empty((e - s, self.n), dtype=self.dtype)
            out = self._buf[: e - s]
            out.copy_(torch.from_numpy(_unpack_cpu(self.packed[s:e], self.n)))
            return out
        b = self.bytes[s:e]
        bits = (b.unsqueeze(-1) & self.masks) != 0
        return bits.reshape(e - s, -1)[:, : self.n].to(self.dtype)


def _query_signs(q_bits: np.ndarray, device, dtype) -> tuple["torch.Tensor", "torch.Tensor"]:
    """(±1 queries in the product dtype, their weights |q| as int64) on the device."""
    torch = _torch()
    qb = torch.from_numpy(np.ascontiguousarray(q_bits, dtype=np.uint8)).to(device)
    signs = (2 * qb.to(torch.int16) - 1).to(dtype)
    return signs, qb.sum(dim=1, dtype=torch.int64)


def _hits(rows: _PackedRows, q_bits: np.ndarray, d: int) -> tuple["torch.Tensor", "torch.Tensor"]:
    """(query index, neuron index) of every pair with d_H <= d, sorted by query then neuron."""
    torch = _torch()
    S, weight = _query_signs(q_bits, rows.device, rows.dtype)
    B, r, n = S.shape[0], rows.r, rows.n
    # d_H = |q| - s.x <= d  <=>  s.x >= |q| - d (an integer of magnitude <= n: exact in the dtype)
    thr = (weight - d).to(rows.dtype).unsqueeze(1)
    budget = _BLOCK_ELEMENTS[rows.device.type]
    block = max(1, min(r, budget // max(n, B)))
    qs, ns = [], []
    for s in range(0, r, block):
        e = min(r, s + block)
        hit = (S @ rows.block(s, e).T) >= thr
        qb, j = torch.nonzero(hit, as_tuple=True)
        qs.append(qb)
        ns.append(j + s)
    qi = torch.cat(qs) if qs else torch.zeros(0, dtype=torch.int64, device=rows.device)
    ni = torch.cat(ns) if ns else torch.zeros(0, dtype=torch.int64, device=rows.device)
    # blocks come in neuron order and each block is query-major: a stable sort by query suffices
    qi, order = torch.sort(qi, stable=True)
    return qi, ni[order]


def _csr(qi: "torch.Tensor", ni: "torch.Tensor", B: int) -> tuple[np.ndarray, np.ndarray]:
    torch = _torch()
    indptr = np.zeros(B + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(torch.bincount(qi, minlength=B).cpu().numpy())
    return indptr, ni.cpu().numpy().astype(np.int64, copy=False)


def scan_within_radius_torch(
    neurons: np.ndarray,
    queries: np.ndarray,
    n: int,
    d: int,
    *,
    device: str = "cpu",
    dtype: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""`scan_within_radius` by matrix products on a torch device: the same CSR result.

    :math:`\mathcal A(\xi_b) = \{\tau : |\xi_b| - (2\xi_b - 1)\cdot x_\tau \le d\}`,
    exact for the ``n`` range of the product ``dtype`` (`PRODUCT_MAX_N`).

    Parameters
    ----------
    neurons, queries : ndarray of uint64, shapes (r, w) and (B, w)
        Packed rows (`sdmlib.hamming.pack_bits`), any memory order.
    n : int
        Number of coordinates (``64 * (w - 1) < n <= 64 * w``).
    d : int
        Radius, inclusive.
    device, dtype
        See `check_backend_options`.

    Returns
    -------
    indptr, indices : ndarray of int64
        The active neurons of query ``b`` are ``indices[indptr[b]:indptr[b+1]]``, increasing.
    """
    from sdmlib.memories._scan import _check_packed

    A = _check_packed("neurons", neurons)
    Q = _check_packed("queries", queries)
    if A.shape[1] != Q.shape[1]:
        raise ValueError(f"neurons and queries must have the same number of words, got {A.shape[1]} and {Q.shape[1]}")
    w = A.shape[1]
    n = check_int("n", n, lo=max(1, 64 * (w - 1) + 1), hi=64 * w)
    d = check_int("d", d, lo=0)
    dev, dt = check_backend_options("torch", device, dtype, n=n, binary=True)
    if A.shape[0] == 0 or Q.shape[0] == 0:
        return np.zeros(Q.shape[0] + 1, np.int64), np.zeros(0, np.int64)
    rows = _PackedRows(A, n, dev, dt)
    qi, ni = _hits(rows, _unpack_cpu(Q, n), d)
    return _csr(qi, ni, Q.shape[0])


class NeuronTorch:
    """The torch state of a `NeuronSDM`: packed addresses, row map and sparse counters on a device.

    The same layout as the numpy route (a row of ``int32`` counters only for
    neurons that hold a write, assigned in increasing neuron order at the
    write that first touches them), so `counters` returns the same arrays.
    """

    def __init__(self, addresses: np.ndarray, n: int, d: int, device, dtype, threads: int | None = None,
                 *, unpack: str | None = None) -> None:
        torch = _torch()
        self.n, self.d, self.threads = n, d, threads
        self.device = device
        self.rows = _PackedRows(addresses, n, device, dtype, unpack=unpack)
        self.r = self.rows.r
        self.row = torch.full((self.r,), -1, dtype=torch.int64, device=device)
        self.counters_t = torch.zeros((0, 0), dtype=torch.int32, device=device)
        self.writes_t = torch.zeros(0, dtype=torch.int64, device=device)
        self.touched = 0

    def scan(self, q_bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with _threads(self.threads):
            qi, ni = _hits(self.rows, q_bits, self.d)
        return _csr(qi, ni, q_bits.shape[0])

    def store(self, addresses: np.ndarray, pointers: np.ndarray) -> int:
        """Add the bipolar pointers to the active neurons' counters; returns the new ``touched``."""
        torch = _torch()
        n_out = pointers.shape[1]
        dev = self.device
        with _threads(self.threads):
            if self.counters_t.shape[1] != n_out:
                self.counters_t = torch.zeros((0, n_out), dtype=torch.int32, device=dev)
            qi, ni = _hits(self.rows, addresses, self.d)
            hit = torch.zeros(self.r, dtype=torch.bool, device=dev)
            hit[ni] = True
            new = torch.nonzero(hit & (self.row < 0), as_tuple=True)[0]  # increasing, like numpy
            if new.numel():
                start = self.touched
                need = start + int(new.numel())
                cap = self.counters_t.shape[0]
                if need > cap:
                    cap = max(need, 2 * cap, 64)
                    grown = torch.zeros((cap, n_out), dtype=torch.int32, device=dev)
                    grown[:start] = self.counters_t[:start]
                    self.counters_t = grown
                    writes = torch.zeros(cap, dtype=torch.int64, device=dev)
                    writes[:start] = self.writes_t[:start]
                    self.writes_t = writes
                self.row[new] = torch.arange(start, need, dtype=torch.int64, device=dev)
                self.touched = need
            bipolar = torch.from_numpy(2 * pointers.astype(np.int32) - 1).to(dev)
            rows = self.row[ni]
            self.writes_t.index_add_(0, rows, torch.ones_like(rows))
            step = max(1, _GATHER_ELEMENTS // max(1, n_out))
            for k in range(0, rows.numel(), step):
                self.counters_t.index_add_(0, rows[k : k + step], bipolar[qi[k : k + step]])
        return self.touched

    def read(self, q_bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        torch = _torch()
        B = q_bits.shape[0]
        n_out = self.counters_t.shape[1]
        with _threads(self.threads):
            qi, ni = _hits(self.rows, q_bits, self.d)
            rows = self.row[ni]
            keep = rows >= 0  # active neurons that never received a write have zero counters
            qi, rows = qi[keep], rows[keep]
            kept = torch.bincount(qi, minlength=B)
            sums = torch.zeros((B, n_out), dtype=torch.int64, device=self.device)
            step = max(1, _GATHER_ELEMENTS // max(1, n_out))
            for k in range(0, rows.numel(), step):
                sums.index_add_(0, qi[k : k + step], self.counters_t[rows[k : k + step]].to(torch.int64))
            out = (sums > 0).to(torch.uint8).cpu().numpy()
        return out, (kept == 0).cpu().numpy()

    def counters(self, n_out: int, counter_dtype) -> tuple[np.ndarray, np.ndarray]:
        C = np.zeros((self.r, n_out), dtype=counter_dtype)
        h = np.zeros(self.r, dtype=np.int64)
        row = self.row.cpu().numpy()
        used = row >= 0
        if self.counters_t.shape[1] == n_out and used.any():
            C[used] = self.counters_t.cpu().numpy()[row[used]]
            h[used] = self.writes_t.cpu().numpy()[row[used]]
        return C, h


class RowsTorch:
    """Stored addresses and pointers of a pattern-based memory on a torch device.

    Binary addresses are held as {0,1} in the product dtype (distances by
    `hamming`), real ones as unit rows in the product dtype (`cosines`);
    pointers are ``float64`` (bipolar for binary memories) or the product
    dtype (real memories).
    """

    def __init__(self, n: int, device, dtype, *, binary: bool) -> None:
        torch = _torch()
        self.n, self.device, self.dtype, self.binary = n, device, dtype, binary
        self.addr = torch.zeros((0, n), dtype=dtype, device=device)
        self.ptr = None
        self.ptr_dtype = torch.float64 if binary else dtype

    def append(self, addresses: np.ndarray, pointers: np.ndarray) -> None:
        torch = _torch()
        a = torch.from_numpy(np.ascontiguousarray(addresses)).to(self.device, self.dtype)
        p = np.asarray(pointers, dtype=np.float64)
        p = torch.from_numpy(2.0 * p - 1.0 if self.binary else p).to(self.device, self.ptr_dtype)
        self.addr = torch.cat([self.addr, a])
        self.ptr = p if self.ptr is None else torch.cat([self.ptr, p])

    def tensor(self, x: np.ndarray, dtype=None) -> "torch.Tensor":
        torch = _torch()
        return torch.from_numpy(np.ascontiguousarray(x)).to(self.device, dtype or torch.float64)

    def hamming(self, q_bits: np.ndarray) -> "torch.Tensor":
        """Exact distances ``(B, m)`` int64 from the {0,1} x ±1 product."""
        torch = _torch()
        S, weight = _query_signs(q_bits, self.device, self.dtype)
        return weight.unsqueeze(1) - (S @ self.addr.T).to(torch.int64)

    def cosines(self, q: np.ndarray) -> "torch.Tensor":
        """Cosines ``(B, m)`` float64 of the (normalised) real queries to the stored unit addresses."""
        torch = _torch()
        qt = self.tensor(q / np.linalg.norm(q, axis=1, keepdims=True), self.dtype)
        return (qt @ self.addr.T).to(torch.float64)

    def weighted_sum(self, w: "torch.Tensor") -> "torch.Tensor":
        """``w @ pointers`` in the pointers' dtype, returned as float64."""
        torch = _torch()
        return (w.to(self.ptr_dtype) @ self.ptr).to(torch.float64)


# ---------------------------------------------------------------------- weight maths on tensors
def binary_vote(w: "torch.Tensor", rows: RowsTorch, tie_tol: float) -> np.ndarray:
    """Thresholded vote of the bipolar pointers (ties within ``tie_tol`` of the total go to 0)."""
    torch = _torch()
    s = rows.weighted_sum(w)
    tot = w.sum(dim=1, keepdim=True)
    return (s > tie_tol * tot).to(torch.uint8).cpu().numpy()


def normalised(logw: "torch.Tensor") -> tuple["torch.Tensor", "torch.Tensor"]:
    """Weights scaled by their row maximum, and the rows that are all zero (the numpy route's rule)."""
    torch = _torch()
    mx = logw.max(dim=1).values
    empty = torch.isneginf(mx)
    shift = torch.where(empty, torch.zeros_like(mx), mx)
    w = torch.exp(logw - shift.unsqueeze(1))
    w[empty] = 0.0
    return w, empty


def stochastic_round_log(logw: "torch.Tensor", rng: np.random.Generator, log_exact: float) -> "torch.Tensor":
    """log(floor(w) + Bernoulli(frac(w))) with the numpy route's draws (row-major over small entries)."""
    torch = _torch()
    out = logw.clone()
    small = logw <= log_exact
    w = torch.exp(logw[small])
    fl = torch.floor(w)
    u = torch.from_numpy(rng.random(int(w.numel()))).to(logw.device)
    out[small] = torch.log(fl + (u < (w - fl)).to(w.dtype))
    return out


def lookup_rounded_weights(D: "torch.Tensor", table: np.ndarray, rng: np.random.Generator) -> "torch.Tensor":
    """floor(w) + Bernoulli(frac(w)) for table weights ``w = exp(table[D])``, one draw per entry (row-major)."""
    torch = _torch()
    w_table = np.exp(table)
    fl = np.floor(w_table)
    fl_t = torch.from_numpy(fl).to(D.device)
    frac_t = torch.from_numpy(w_table - fl).to(D.device)
    u = torch.from_numpy(rng.random(tuple(D.shape))).to(D.device)
    return fl_t[D] + (u < frac_t[D]).to(torch.float64)


def cap_log_interp(theta: "torch.Tensor", n: int, d: int) -> "torch.Tensor":
    """The numpy route's cubic-spline log cap weights, evaluated on a tensor of angles."""
    torch = _torch()
    from sdmlib.memories.pattern import CAP_GRID, _cap_spline

    step, last, c = _cap_spline(n, d, CAP_GRID)
    ct = torch.from_numpy(c).to(theta.device)
    idx = torch.clamp((theta / step).to(torch.int64), max=c.shape[1] - 1)
    dx = theta - idx.to(torch.float64) * step
    out = ((ct[0, idx] * dx + ct[1, idx]) * dx + ct[2, idx]) * dx + ct[3, idx]
    out[theta > last + 0.5 * step] = -math.inf
    return out


def floor_hamming_equivalent(x: "torch.Tensor", n: int) -> "torch.Tensor":
    """``sdmlib.hamming.cosine_to_hamming(x, n, rounding="floor")`` on a tensor (same snapping)."""
    torch = _torch()
    h = float(n) * (1.0 - x) / 2.0
    near = torch.round(h)  # half to even, like numpy.rint
    tol = max(1e-9, 8.0 * n * float(np.finfo(np.float64).eps))
    snapped = torch.where(torch.abs(h - near) < tol, near, h)
    return torch.floor(snapped).to(torch.int64)


def softmax_weights(z: "torch.Tensor") -> "torch.Tensor":
    """Row softmax with the numpy route's max shift."""
    z = z - z.max(dim=1, keepdim=True).values
    w = z.exp()
    return w / w.sum(dim=1, keepdim=True)


def table_tensor(table: np.ndarray, device) -> "torch.Tensor":
    torch = _torch()
    return torch.from_numpy(np.ascontiguousarray(table, dtype=np.float64)).to(device)


def to_numpy(t: "torch.Tensor") -> np.ndarray:
    return t.cpu().numpy()
