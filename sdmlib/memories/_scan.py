r"""Which neuron addresses lie within Hamming distance ``d`` of each query?

This is the inner loop of the neuron-based SDM: a read or a write scans all
``r`` neuron addresses, bit-packed 64 to a ``uint64`` word by
``sdmlib.hamming.pack_bits``, computing ``popcount(neuron XOR query)`` and
keeping the neurons with distance ``<= d``. For large ``r * n`` the scan is
memory-bound: one pass reads ``r * ceil(n/64) * 8`` bytes.

Two interchangeable back ends, tested against each other and against an
unpacked loop:

* ``"numba"``: a compiled XOR + popcount loop (LLVM ``ctpop``), blocked over
  neurons so that a batch of queries re-uses each block from cache; with
  ``threads > 1`` contiguous chunks of neurons are scanned by that many threads
  (each chunk collects its own hits; one pass over the addresses).
* ``"numpy"``: the same word-major order in plain numpy (XOR into a
  preallocated buffer, ``np.bitwise_count`` into ``uint8``, sums of 3 words in
  ``uint8`` and ``uint16`` totals) over chunks of neurons about the size of L2.

The result is a CSR structure ``(indptr, indices)``: the active neurons of
query ``b`` are ``indices[indptr[b]:indptr[b+1]]``, in increasing order.
"""

from __future__ import annotations

import os
from typing import Literal

import numpy as np

from sdmlib._validate import check_choice, check_int
from sdmlib.hamming import hamming_distance

__all__ = ["scan_within_radius", "accumulate_writes", "sum_active_rows", "pairwise_hamming", "numba_available", "stream_floor",
           "NUMPY_CHUNK"]

try:  # numba is an optional dependency (extra "fast")
    import numba
    from numba import njit, types
    from numba.extending import intrinsic

    _HAVE_NUMBA = os.environ.get("SDMLIB_DISABLE_NUMBA", "") == ""
except ImportError:  # pragma: no cover - exercised only without numba
    _HAVE_NUMBA = False


def numba_available() -> bool:
    """Whether the compiled back end can be used (numba importable, not disabled).

    Setting the environment variable ``SDMLIB_DISABLE_NUMBA=1`` forces the numpy path.
    """
    return _HAVE_NUMBA


if _HAVE_NUMBA:

    @intrinsic
    def _popcount(typingctx, x):  # noqa: ARG001 - numba intrinsic signature
        """LLVM ``ctpop`` on a uint64 (one POPCNT instruction on x86-64), as a signed int64.

        Signed, so that the distance buffers and the radius are int64: AVX2 has a
        signed 64-bit compare (``VPCMPGTQ``) but no unsigned one, and the count and
        the minimum of `_collect` vectorise (1.5x faster at n = 64).
        """
        sig = types.int64(types.uint64)

        def codegen(context, builder, signature, args):  # noqa: ARG001
            return builder.ctpop(args[0])

        return sig, codegen

    @njit(cache=True, nogil=True)
    def _block_dist(AT, q, s, e, buf, d):  # pragma: no cover - compiled
        """buf[j] = distance of neuron s + j to the query; returns how many are <= d.

        AT is word-major (w, r). Rows are sliced so that every index is a
        non-negative loop counter: LLVM then emits contiguous SIMD loads and
        popcounts (with a signed offset it falls back to gathers for numba's
        negative-index wraparound). Four address words are summed per pass over
        ``buf`` to keep the buffer traffic below the address traffic.
        """
        W = AT.shape[0]
        nb = e - s
        cnt = 0
        if W == 1:  # distances first, then a separate (vectorised) count: ~20 % faster than fused
            row = AT[0, s:e]
            q0 = q[0]
            for j in range(nb):
                buf[j] = _popcount(row[j] ^ q0)
            for j in range(nb):
                cnt += np.int64(buf[j] <= d)
            return cnt
        for j in range(nb):
            buf[j] = 0
        w = 0
        while w + 4 <= W:
            r0 = AT[w, s:e]
            r1 = AT[w + 1, s:e]
            r2 = AT[w + 2, s:e]
            r3 = AT[w + 3, s:e]
            q0 = q[w]
            q1 = q[w + 1]
            q2 = q[w + 2]
            q3 = q[w + 3]
            for j in range(nb):
                buf[j] += (_popcount(r0[j] ^ q0) + _popcount(r1[j] ^ q1)) + (
                    _popcount(r2[j] ^ q2) + _popcount(r3[j] ^ q3)
                )
            w += 4
        while w < W:
            r0 = AT[w, s:e]
            q0 = q[w]
            for j in range(nb):
                buf[j] += _popcount(r0[j] ^ q0)
            w += 1
        for j in range(nb):
            cnt += buf[j] <= d
        return cnt

    @njit(cache=True, nogil=True, inline="never")
    def _collect(buf, nb, d, s, b, qi, ni, k):  # pragma: no cover - compiled
        # Active neurons are rare: test 64 distances at a time with a SIMD
        # minimum and walk only the groups that contain a hit.
        for t in range(0, nb, 64):
            sub = buf[t : min(nb, t + 64)]
            mn = sub[0]
            for j in range(sub.shape[0]):
                mn = min(mn, sub[j])
            if mn <= d:
                for j in range(sub.shape[0]):
                    if sub[j] <= d:
                        qi[k] = b
                        ni[k] = s + t + j
                        k += 1
        return k

    @njit(cache=True, nogil=True)
    def _scan_range(AT, Q, d, block, s0, s1):  # pragma: no cover - compiled
        """CSR of the neurons in [s0, s1) within distance d of each query.

        Blocked: each block of ``block`` neurons is compared with every query of
        the batch while it is in cache, so a batch reads the addresses from memory
        once and is then bound by popcount throughput, not by bandwidth.
        """
        B = Q.shape[0]
        cap = 1024
        qi = np.empty(cap, np.int64)
        ni = np.empty(cap, np.int64)
        buf = np.empty(block, np.int64)
        k = 0
        for s in range(s0, s1, block):
            e = min(s1, s + block)
            nb = e - s
            for b in range(B):
                cnt = _block_dist(AT, Q[b], s, e, buf, d)
                if cnt:
                    if k + cnt > cap:  # grow outside the hot loops
                        cap = max(2 * cap, k + cnt)
                        qi2 = np.empty(cap, np.int64)
                        ni2 = np.empty(cap, np.int64)
                        qi2[:k] = qi[:k]
                        ni2[:k] = ni[:k]
                        qi = qi2
                        ni = ni2
                    k = _collect(buf, nb, d, s, b, qi, ni, k)
        # counting sort by query; neuron order within a query is preserved
        indptr = np.zeros(B + 1, np.int64)
        for j in range(k):
            indptr[qi[j] + 1] += 1
        for b in range(B):
            indptr[b + 1] += indptr[b]
        pos = indptr[:-1].copy()
        indices = np.empty(k, np.int64)
        for j in range(k):
            indices[pos[qi[j]]] = ni[j]
            pos[qi[j]] += 1
        return indptr, indices

    @njit(cache=True, nogil=True)
    def _merge_chunks(ptrs, parts):  # pragma: no cover - compiled
        """Concatenate per-chunk CSR results (chunks in neuron order), query by query.

        ``ptrs`` is (C, B + 1), ``parts`` the chunks' indices laid end to end.
        """
        C, B1 = ptrs.shape
        B = B1 - 1
        base = np.zeros(C + 1, np.int64)
        for c in range(C):
            base[c + 1] = base[c] + ptrs[c, B]
        indptr = np.zeros(B + 1, np.int64)
        for b in range(B):
            tot = 0
            for c in range(C):
                tot += ptrs[c, b + 1] - ptrs[c, b]
            indptr[b + 1] = indptr[b] + tot
        indices = np.empty(indptr[B], np.int64)
        p = 0
        for b in range(B):
            for c in range(C):
                for j in range(base[c] + ptrs[c, b], base[c] + ptrs[c, b + 1]):
                    indices[p] = parts[j]
                    p += 1
        return indptr, indices

    @njit(cache=True, nogil=True)
    def _pairwise_numba(Q, PT):  # pragma: no cover - compiled
        B = Q.shape[0]
        W, m = PT.shape
        out = np.zeros((B, m), np.int64)
        for i in range(B):
            acc = out[i]
            for w in range(W):
                row = PT[w]
                qw = Q[i, w]
                for j in range(m):
                    acc[j] += _popcount(row[j] ^ qw)
        return out

    @njit(cache=True, nogil=True)
    def _stream_xor_blocked(AT, block):  # pragma: no cover - compiled
        """XOR of every word, read in the scan's order (blocks of w row segments)."""
        W, r = AT.shape
        acc = np.uint64(0)
        for s in range(0, r, block):
            e = min(r, s + block)
            for w in range(W):
                row = AT[w, s:e]
                for j in range(e - s):
                    acc ^= row[j]
        return acc

    @njit(cache=True, nogil=True)
    def _accumulate_numba(counters, writes, rows, indptr, values, lo, hi):  # pragma: no cover - compiled
        """The write step restricted to the counter rows in [lo, hi).

        Threads given disjoint row ranges never touch the same counter, so they
        need no locks and no per-thread copies to reduce afterwards, and each
        counter receives the same additions in the same order for any split.
        """
        for mu in range(indptr.shape[0] - 1):
            for k in range(indptr[mu], indptr[mu + 1]):
                row = rows[k]
                if row < lo or row >= hi:
                    continue
                writes[row] += 1
                for j in range(values.shape[1]):
                    counters[row, j] += values[mu, j]

    @njit(cache=True, nogil=True)
    def _sum_rows_numba(counters, rows, indptr, sums, kept):  # pragma: no cover - compiled
        for b in range(indptr.shape[0] - 1):
            for k in range(indptr[b], indptr[b + 1]):
                row = rows[k]
                if row < 0:
                    continue
                kept[b] += 1
                for j in range(counters.shape[1]):
                    sums[b, j] += counters[row, j]

    @njit(cache=True, nogil=True)
    def _stream_xor(flat):  # pragma: no cover - compiled
        acc = np.uint64(0)
        for i in range(flat.shape[0]):
            acc ^= flat[i]
        return acc


def _split(total: int, parts: int) -> list[int]:
    """``parts + 1`` increasing bounds that cut ``range(total)`` into near-equal pieces."""
    return [total * i // parts for i in range(parts + 1)]


def _run_threads(fn, bounds: list[int], threads: int) -> list:
    """``fn(lo, hi)`` for consecutive ``bounds`` on ``threads`` Python threads (compiled kernels release the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(lambda c: fn(bounds[c], bounds[c + 1]), range(len(bounds) - 1)))


def accumulate_writes(
    counters: np.ndarray,
    writes: np.ndarray,
    rows: np.ndarray,
    indptr: np.ndarray,
    values: np.ndarray,
    *,
    backend: Literal["auto", "numba", "numpy"] = "auto",
    threads: int | None = None,
) -> None:
    """Add ``values[mu]`` to the counter rows ``rows[indptr[mu]:indptr[mu+1]]``, in place.

    The write step of the neuron-based SDM: pattern ``mu`` adds its bipolar
    pointer to every active neuron's counters and increments its write count.
    The numba loop and the numpy loop (one fancy-indexed ``+=`` per pattern,
    exact because a pattern's active neurons are distinct) give identical
    integers.

    ``threads = k > 1`` (numba only; ignored by the numpy loop) cuts the counter
    rows in use into ``4 k`` contiguous blocks and lets ``k`` threads each own whole
    blocks: every thread reads the full list of (pattern, row) pairs and adds
    only into its own rows, so no two threads write the same counter and nothing
    has to be reduced afterwards. Integer additions per counter are the same in
    any split, so the result is identical for every ``threads``.

    Examples
    --------
    >>> import numpy as np
    >>> C, h = np.zeros((3, 2), np.int32), np.zeros(3, np.int64)
    >>> accumulate_writes(C, h, np.array([0, 2, 2]), np.array([0, 2, 3]),
    ...                   np.array([[1, -1], [1, 1]], np.int32), backend="numpy")
    >>> C.tolist(), h.tolist()
    ([[1, -1], [0, 0], [2, 0]], [1, 0, 2])
    >>> C2, h2 = np.zeros((3, 2), np.int32), np.zeros(3, np.int64)
    >>> accumulate_writes(C2, h2, np.array([0, 2, 2]), np.array([0, 2, 3]),
    ...                   np.array([[1, -1], [1, 1]], np.int32), threads=3)
    >>> bool(np.array_equal(C, C2) and np.array_equal(h, h2))
    True
    """
    check_choice("backend", backend, ("auto", "numba", "numpy"))
    if threads is not None:
        threads = check_int("threads", threads, lo=1)
    if backend == "numba" and not _HAVE_NUMBA:
        raise ValueError("backend='numba' needs numba (pip install numba, or the 'fast' extra)")
    if _HAVE_NUMBA and backend != "numpy":
        vals = values.astype(counters.dtype, copy=False)
        n_rows = int(rows.max()) + 1 if rows.size else 0  # split the rows in use, not the spare capacity
        if threads is None or threads == 1 or n_rows < 2:
            _accumulate_numba(counters, writes, rows, indptr, vals, np.int64(0), np.int64(n_rows))
            return
        _run_threads(lambda lo, hi: _accumulate_numba(counters, writes, rows, indptr, vals, np.int64(lo), np.int64(hi)),
                     _split(n_rows, min(n_rows, 4 * threads)), threads)
        return
    for mu in range(indptr.shape[0] - 1):
        seg = rows[indptr[mu] : indptr[mu + 1]]
        counters[seg] += values[mu]
        writes[seg] += 1


def sum_active_rows(
    counters: np.ndarray,
    rows: np.ndarray,
    indptr: np.ndarray,
    *,
    backend: Literal["auto", "numba", "numpy"] = "auto",
    threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per query, the sum of the counter rows ``rows[indptr[b]:indptr[b+1]]`` (``-1`` = skip).

    The read step of the neuron-based SDM. Returns ``(sums, kept)``: ``int64``
    sums of shape ``(B, width)`` (no overflow: int32 counters summed in int64)
    and the number of non-skipped rows per query. The numba loop and the
    numpy route (``np.add.reduceat`` over gathered blocks) agree exactly.
    ``threads = k > 1`` (numba only) gives each of ``k`` threads whole queries
    (their output rows are disjoint), so the sums do not depend on ``threads``.

    Examples
    --------
    >>> import numpy as np
    >>> C = np.array([[1, -1], [2, 2], [-3, 1]], np.int32)
    >>> sums, kept = sum_active_rows(C, np.array([0, -1, 2, 1]), np.array([0, 3, 3, 4]), backend="numpy")
    >>> sums.tolist(), kept.tolist()
    ([[-2, 0], [0, 0], [2, 2]], [2, 0, 1])
    """
    check_choice("backend", backend, ("auto", "numba", "numpy"))
    if threads is not None:
        threads = check_int("threads", threads, lo=1)
    if backend == "numba" and not _HAVE_NUMBA:
        raise ValueError("backend='numba' needs numba (pip install numba, or the 'fast' extra)")
    B, width = indptr.shape[0] - 1, counters.shape[1]
    sums = np.zeros((B, width), dtype=np.int64)
    if _HAVE_NUMBA and backend != "numpy":
        kept = np.zeros(B, dtype=np.int64)
        if threads is None or threads == 1 or B < 2:
            _sum_rows_numba(counters, rows, indptr, sums, kept)
        else:
            _run_threads(lambda lo, hi: _sum_rows_numba(counters, rows, indptr[lo : hi + 1], sums[lo:hi], kept[lo:hi]),
                         _split(B, min(B, 4 * threads)), threads)
        return sums, kept
    keep = rows >= 0
    kept_rows = rows[keep].astype(np.int64)
    # kept rows per query as differences of a cumulative count (np.add.reduceat
    # mishandles empty segments, and trailing ones index past the end)
    kept_before = np.concatenate([[0], np.cumsum(keep, dtype=np.int64)])
    kept = kept_before[indptr[1:]] - kept_before[indptr[:-1]]
    starts = np.concatenate([[0], np.cumsum(kept)[:-1]])
    nonempty = kept > 0
    # gather and reduce in chunks of about 2**24 counter values
    chunk = max(1, (1 << 24) // max(1, width * max(1, int(kept.max(initial=1)))))
    for b0 in range(0, B, chunk):
        sel = np.flatnonzero(nonempty[b0 : b0 + chunk]) + b0
        if sel.size == 0:
            continue
        lo, hi = starts[sel[0]], starts[sel[-1]] + kept[sel[-1]]
        block = counters[kept_rows[lo:hi]]
        sums[sel] = np.add.reduceat(block, starts[sel] - lo, axis=0, dtype=np.int64)
    return sums, kept


def _check_packed(name: str, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype != np.uint64 or x.ndim != 2:
        raise TypeError(f"{name} must be a 2-D uint64 array from sdmlib.hamming.pack_bits, got {x.dtype} {x.shape}")
    return x


def scan_within_radius(
    neurons: np.ndarray,
    queries: np.ndarray,
    d: int,
    *,
    backend: Literal["auto", "numba", "numpy"] = "auto",
    threads: int | None = None,
    block: int = 2048,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Indices of the packed ``neurons`` within Hamming distance ``d`` of each query.

    .. math:: \mathcal A(\xi_b) = \{\tau : \operatorname{popcount}(x_\tau \oplus \xi_b) \le d\}

    Parameters
    ----------
    neurons : ndarray of uint64, shape (r, w)
        Packed neuron addresses (`sdmlib.hamming.pack_bits`). Both back ends
        read them word-major: pass a Fortran-ordered array
        (``numpy.asfortranarray(packed)``, as `NeuronSDM` stores them) to avoid
        a transposed copy on every call.
    queries : ndarray of uint64, shape (B, w)
        Packed queries, same number of words.
    d : int
        Radius, ``d >= 0`` (inclusive: distance ``<= d`` is active).
    backend : {"auto", "numba", "numpy"}
        ``"auto"`` uses numba when available.
    threads : int, optional
        ``None`` or 1: one thread. ``k > 1``: the neurons are cut into ``4 k``
        (batches of 16 or more queries: ``16 k``) contiguous chunks that ``k``
        threads scan independently (the compiled
        kernel releases the GIL; each chunk collects its own hits, so the
        addresses are read once); the per-chunk results are concatenated in
        neuron order, so the output is identical for every ``threads``. Pays
        for batches and large ``r`` on an otherwise idle machine (see the
        performance chapter). The numpy back end splits the neurons into
        ``k`` contiguous ranges the same way (numpy's loops release the GIL).
    block : int
        Neurons per cache block of the numba scan: each block of addresses is
        compared with every query of the batch while it is in cache.

    Returns
    -------
    indptr : ndarray of int64, shape (B + 1,)
    indices : ndarray of int64
        The active neurons of query ``b`` are ``indices[indptr[b]:indptr[b+1]]``,
        increasing.

    Notes
    -----
    Supported range: any ``r >= 0``, ``w >= 1``, ``B >= 0``; distances are
    exact (integer popcounts). The numpy back end keeps per-neuron distances in
    ``uint16``, exact for ``n < 65536`` (``w <= 1023``); wider addresses fall
    back to ``int64`` counters.

    Examples
    --------
    The numba and numpy back ends agree with an unpacked count:

    >>> import numpy as np
    >>> from sdmlib.hamming import pack_bits
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(0, 2, size=(500, 100), dtype=np.uint8)
    >>> q = rng.integers(0, 2, size=(3, 100), dtype=np.uint8)
    >>> ptr, idx = scan_within_radius(pack_bits(X), pack_bits(q), 45, backend="numpy")
    >>> brute = [np.flatnonzero((X != qb).sum(1) <= 45) for qb in q]
    >>> all(np.array_equal(idx[ptr[b]:ptr[b + 1]], brute[b]) for b in range(3))
    True
    >>> ptr2, idx2 = scan_within_radius(pack_bits(X), pack_bits(q), 45, threads=2)
    >>> bool(np.array_equal(ptr, ptr2) and np.array_equal(idx, idx2))
    True
    """
    A = _check_packed("neurons", neurons)
    Q = np.ascontiguousarray(_check_packed("queries", queries))
    if A.shape[1] != Q.shape[1]:
        raise ValueError(f"neurons and queries must have the same number of words, got {A.shape[1]} and {Q.shape[1]}")
    d = check_int("d", d, lo=0)
    check_choice("backend", backend, ("auto", "numba", "numpy"))
    if threads is not None:
        threads = check_int("threads", threads, lo=1)
    block = check_int("block", block, lo=1)
    if backend == "numba" and not _HAVE_NUMBA:
        raise ValueError("backend='numba' needs numba: pip install numba (or use backend='numpy')")
    use_numba = _HAVE_NUMBA and backend != "numpy"
    r = A.shape[0]
    B = Q.shape[0]
    if r == 0 or B == 0:
        return np.zeros(B + 1, np.int64), np.zeros(0, np.int64)
    AT = np.ascontiguousarray(A.T)  # a view when A is Fortran-ordered
    if not use_numba:
        return _scan_numpy(AT, Q, d, threads)
    if threads is None or threads == 1:
        return _scan_range(AT, Q, np.int64(d), np.int64(block), np.int64(0), np.int64(r))
    return _scan_threads(AT, Q, d, threads, block)


def _scan_threads(AT: np.ndarray, Q: np.ndarray, d: int, threads: int, block: int) -> tuple[np.ndarray, np.ndarray]:
    """Chunks of neurons scanned by ``threads`` Python threads (the kernel releases the GIL)."""
    r = AT.shape[1]
    # chunks of whole blocks, taken by the threads in turn: 4 per thread for a few queries (little
    # overhead), 16 per thread for a batch, so that a thread slowed by other load delays the end
    # by at most a small chunk
    per_thread = 16 if Q.shape[0] >= 16 else 4
    nchunks = max(1, min(-(-r // block), per_thread * threads))
    per = -(-(-(-r // block)) // nchunks) * block
    bounds = list(range(0, r, per)) + [r]
    dd, bb = np.int64(d), np.int64(block)
    results = _run_threads(lambda lo, hi: _scan_range(AT, Q, dd, bb, np.int64(lo), np.int64(hi)), bounds, threads)
    ptrs = np.stack([p for p, _ in results])
    parts = np.concatenate([x for _, x in results])
    return _merge_chunks(ptrs, parts)


def pairwise_hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """All Hamming distances between packed rows, ``(k, m)`` ``int64``.

    The same values as ``sdmlib.hamming.hamming_distance`` for two 2-D
    arguments, computed by a compiled loop when numba is available (about 20x
    faster for ``k = m = 1024``, ``n = 1000``); otherwise it calls that function.

    Examples
    --------
    >>> import numpy as np
    >>> from sdmlib.hamming import pack_bits, hamming_distance
    >>> x = pack_bits(np.random.default_rng(0).integers(0, 2, size=(5, 130)))
    >>> bool(np.array_equal(pairwise_hamming(x, x[:3]), hamming_distance(x, x[:3])))
    True
    """
    a = np.ascontiguousarray(_check_packed("a", a))
    b = _check_packed("b", b)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"a and b must have the same number of words, got {a.shape[1]} and {b.shape[1]}")
    if not _HAVE_NUMBA:
        return hamming_distance(a, np.ascontiguousarray(b))
    return _pairwise_numba(a, np.ascontiguousarray(b.T))


#: Neurons per chunk of the numpy scan. Its buffers take 12 bytes per neuron (the XOR
#: buffer 8, two ``uint8`` popcount rows and the ``uint16`` distances 4), 768 KiB in all:
#: about a core's L2 cache. Smaller chunks fit L2 better but pay numpy's per-call
#: overhead more often (about 50 calls per chunk at n = 1024); re-tune on another machine
#: with ``python benchmarks/tune_numpy_chunk.py``.
NUMPY_CHUNK = 65536

#: Address words whose popcounts the numpy scan adds in ``uint8`` before widening:
#: 3 x 64 = 192 <= 255, so the byte sums are exact.
_NUMPY_GROUP = 3


def _numpy_range(AT: np.ndarray, Q: np.ndarray, d: int, s0: int, s1: int, chunk: int) -> list[list[np.ndarray]]:
    """Hits of every query among the neurons ``[s0, s1)``, one list of arrays per query.

    Per chunk of neurons and per query, each address word is XORed with the
    query word into one preallocated ``uint64`` buffer and popcounted into a
    ``uint8`` row; the popcounts of 3 consecutive words are added in ``uint8``
    (at most 192, exact) and only that group sum is widened into the ``uint16``
    distances (``int64`` past ``n = 65535``): one mixed-type add per 3 words
    instead of one per word. The distances are compared with ``d`` into a
    preallocated mask and read out with ``flatnonzero``. No array is allocated
    inside the loops except the hits.
    """
    W = AT.shape[0]
    B = Q.shape[0]
    acc_dtype = np.int64 if 64 * W > np.iinfo(np.uint16).max else np.uint16
    nb = max(1, min(chunk, s1 - s0))
    x = np.empty(nb, np.uint64)
    group = np.empty(nb, np.uint8)
    one = np.empty(nb, np.uint8)
    acc = np.empty(nb, acc_dtype)
    mask = np.empty(nb, bool)
    radius = acc_dtype(min(d, 64 * W))  # every distance is <= 64 W: the radius fits the counters
    hits: list[list[np.ndarray]] = [[] for _ in range(B)]
    for s in range(s0, s1, nb):
        e = min(s1, s + nb)
        k = e - s
        xs, g, t, a, m = x[:k], group[:k], one[:k], acc[:k], mask[:k]
        for b in range(B):
            q = Q[b]
            for w0 in range(0, W, _NUMPY_GROUP):
                np.bitwise_xor(AT[w0, s:e], q[w0], out=xs)
                np.bitwise_count(xs, out=g)
                for w in range(w0 + 1, min(W, w0 + _NUMPY_GROUP)):
                    np.bitwise_xor(AT[w, s:e], q[w], out=xs)
                    np.bitwise_count(xs, out=t)
                    np.add(g, t, out=g)
                if w0 == 0:
                    np.copyto(a, g)
                else:
                    np.add(a, g, out=a)
            np.less_equal(a, radius, out=m)
            found = np.flatnonzero(m)
            if found.size:
                hits[b].append(found + s)
    return hits


def _scan_numpy(AT: np.ndarray, Q: np.ndarray, d: int, threads: int | None = None,
                chunk: int = NUMPY_CHUNK) -> tuple[np.ndarray, np.ndarray]:
    """Word-major numpy scan (`_numpy_range`), optionally over contiguous neuron ranges on threads.

    numpy's loops release the GIL, so ``threads`` Python threads scan disjoint
    ranges at once; the ranges' hits are concatenated in neuron order, so the
    result does not depend on ``threads``.
    """
    W, r = AT.shape
    B = Q.shape[0]
    if threads is None or threads == 1 or r < 2 * chunk:
        parts = [_numpy_range(AT, Q, d, 0, r, chunk)]
    else:
        nchunks = -(-r // chunk)
        bounds = [min(r, chunk * (nchunks * i // threads)) for i in range(threads + 1)]
        parts = _run_threads(lambda lo, hi: _numpy_range(AT, Q, d, lo, hi, chunk), bounds, threads)
    per_query = [[h for part in parts for h in part[b]] for b in range(B)]
    indptr = np.zeros(B + 1, np.int64)
    np.cumsum([sum(h.size for h in hb) for hb in per_query], out=indptr[1:])
    flat = [h for hb in per_query for h in hb]
    indices = np.concatenate(flat).astype(np.int64, copy=False) if flat else np.zeros(0, np.int64)
    return indptr, indices


def stream_floor(neurons: np.ndarray, *, order: Literal["sequential", "blocked"] = "sequential", block: int = 2048) -> int:
    """One streaming pass over the packed addresses (XOR-reduce of every word).

    The time of this call estimates the memory-bandwidth floor of any scan over
    the same bytes. ``order="sequential"`` reads the array front to back;
    ``order="blocked"`` reads it in the order `scan_within_radius` does (for each
    block of neurons, one segment per address word: several streams at once,
    which a core can sometimes fetch faster than one). The benchmark takes the
    faster of the two as the floor. Without numba the pass is numpy's
    ``bitwise_xor.reduce`` (slower, so not a floor for the compiled scan).

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[1, 2], [4, 8]], dtype=np.uint64)
    >>> stream_floor(a) == 15 == stream_floor(a, order="blocked")
    True
    """
    check_choice("order", order, ("sequential", "blocked"))
    A = _check_packed("neurons", neurons)
    if not _HAVE_NUMBA:
        return int(np.bitwise_xor.reduce(A.ravel(order="K")))
    if order == "blocked":
        return int(_stream_xor_blocked(np.ascontiguousarray(A.T), np.int64(check_int("block", block, lo=1))))
    return int(_stream_xor(A.ravel(order="K")))


if _HAVE_NUMBA:

    @njit(cache=True, nogil=True)
    def _rotate_xor_chain(steps, x):  # pragma: no cover - compiled
        """A dependent chain: rotate left by 1, XOR with the counter (2 cycles per step)."""
        for i in range(steps):
            x = ((x << np.uint64(1)) | (x >> np.uint64(63))) ^ np.uint64(i)
        return x
