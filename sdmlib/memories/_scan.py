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
  preallocated buffer, ``np.bitwise_count``, ``uint16`` sums) over cache-sized
  chunks of neurons.

The result is a CSR structure ``(indptr, indices)``: the active neurons of
query ``b`` are ``indices[indptr[b]:indptr[b+1]]``, in increasing order.
"""

from __future__ import annotations

import os
from typing import Literal

import numpy as np

from sdmlib._validate import check_choice, check_int
from sdmlib.hamming import hamming_distance

__all__ = ["scan_within_radius", "accumulate_writes", "sum_active_rows", "pairwise_hamming", "numba_available", "stream_floor"]

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
    def _accumulate_numba(counters, writes, rows, indptr, values):  # pragma: no cover - compiled
        for mu in range(indptr.shape[0] - 1):
            for k in range(indptr[mu], indptr[mu + 1]):
                row = rows[k]
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


def accumulate_writes(
    counters: np.ndarray,
    writes: np.ndarray,
    rows: np.ndarray,
    indptr: np.ndarray,
    values: np.ndarray,
    *,
    backend: Literal["auto", "numba", "numpy"] = "auto",
) -> None:
    """Add ``values[mu]`` to the counter rows ``rows[indptr[mu]:indptr[mu+1]]``, in place.

    The write step of the neuron-based SDM: pattern ``mu`` adds its bipolar
    pointer to every active neuron's counters and increments its write count.
    The numba loop and the numpy loop (one fancy-indexed ``+=`` per pattern,
    exact because a pattern's active neurons are distinct) give identical
    integers.

    Examples
    --------
    >>> import numpy as np
    >>> C, h = np.zeros((3, 2), np.int32), np.zeros(3, np.int64)
    >>> accumulate_writes(C, h, np.array([0, 2, 2]), np.array([0, 2, 3]),
    ...                   np.array([[1, -1], [1, 1]], np.int32), backend="numpy")
    >>> C.tolist(), h.tolist()
    ([[1, -1], [0, 0], [2, 0]], [1, 0, 2])
    """
    check_choice("backend", backend, ("auto", "numba", "numpy"))
    if backend == "numba" and not _HAVE_NUMBA:
        raise ValueError("backend='numba' needs numba (pip install numba, or the 'fast' extra)")
    if _HAVE_NUMBA and backend != "numpy":
        _accumulate_numba(counters, writes, rows, indptr, values.astype(counters.dtype, copy=False))
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
) -> tuple[np.ndarray, np.ndarray]:
    """Per query, the sum of the counter rows ``rows[indptr[b]:indptr[b+1]]`` (``-1`` = skip).

    The read step of the neuron-based SDM. Returns ``(sums, kept)``: ``int64``
    sums of shape ``(B, width)`` (no overflow: int32 counters summed in int64)
    and the number of non-skipped rows per query. The numba loop and the
    numpy route (``np.add.reduceat`` over gathered blocks) agree exactly.

    Examples
    --------
    >>> import numpy as np
    >>> C = np.array([[1, -1], [2, 2], [-3, 1]], np.int32)
    >>> sums, kept = sum_active_rows(C, np.array([0, -1, 2, 1]), np.array([0, 3, 3, 4]), backend="numpy")
    >>> sums.tolist(), kept.tolist()
    ([[-2, 0], [0, 0], [2, 2]], [2, 0, 1])
    """
    check_choice("backend", backend, ("auto", "numba", "numpy"))
    if backend == "numba" and not _HAVE_NUMBA:
        raise ValueError("backend='numba' needs numba (pip install numba, or the 'fast' extra)")
    B, width = indptr.shape[0] - 1, counters.shape[1]
    sums = np.zeros((B, width), dtype=np.int64)
    if _HAVE_NUMBA and backend != "numpy":
        kept = np.zeros(B, dtype=np.int64)
        _sum_rows_numba(counters, rows, indptr, sums, kept)
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
        contiguous chunks that ``k`` threads scan independently (the compiled
        kernel releases the GIL; each chunk collects its own hits, so the
        addresses are read once); the per-chunk results are concatenated in
        neuron order, so the output is identical for every ``threads``. Pays
        for batches and large ``r`` on an otherwise idle machine (see the
        performance chapter); with the numpy back end ``threads`` is ignored.
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
        return _scan_numpy(AT, Q, d)
    if threads is None or threads == 1:
        return _scan_range(AT, Q, np.int64(d), np.int64(block), np.int64(0), np.int64(r))
    return _scan_threads(AT, Q, d, threads, block)


def _scan_threads(AT: np.ndarray, Q: np.ndarray, d: int, threads: int, block: int) -> tuple[np.ndarray, np.ndarray]:
    """Chunks of neurons scanned by ``threads`` Python threads (the kernel releases the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    r = AT.shape[1]
    # about 4 chunks per thread (balance under uneven load), each a whole number of blocks
    nchunks = max(1, min(-(-r // block), 4 * threads))
    per = -(-(-(-r // block)) // nchunks) * block
    bounds = list(range(0, r, per)) + [r]
    dd, bb = np.int64(d), np.int64(block)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(lambda c: _scan_range(AT, Q, dd, bb, np.int64(bounds[c]), np.int64(bounds[c + 1])),
                                range(len(bounds) - 1)))
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


def _scan_numpy(AT: np.ndarray, Q: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Word-major numpy scan: XOR, ``bitwise_count`` and ``uint16`` sums in cache-sized chunks.

    For each chunk of neurons (``chunk * 8`` bytes per address word, a few
    hundred KiB in all) and each query, every address word is XORed into one
    preallocated buffer, popcounted in place and added to ``uint16`` counters:
    three cache-resident passes per word and no temporaries.
    """
    W, r = AT.shape
    B = Q.shape[0]
    acc_dtype = np.uint16 if 64 * W < np.iinfo(np.uint16).max else np.int64
    chunk = min(r, 1 << 16)  # 512 KiB of XOR words: stays in L2
    x = np.empty(chunk, np.uint64)
    c8 = np.empty(chunk, np.uint8)
    acc = np.empty(chunk, acc_dtype)
    hits: list[list[np.ndarray]] = [[] for _ in range(B)]
    for s in range(0, r, chunk):
        e = min(r, s + chunk)
        nb = e - s
        xs, cs, a = x[:nb], c8[:nb], acc[:nb]
        for b in range(B):
            q = Q[b]
            np.bitwise_xor(AT[0, s:e], q[0], out=xs)
            np.bitwise_count(xs, out=cs)
            a[...] = cs
            for w in range(1, W):
                np.bitwise_xor(AT[w, s:e], q[w], out=xs)
                np.bitwise_count(xs, out=cs)
                np.add(a, cs, out=a)
            found = np.flatnonzero(a <= d)
            if found.size:
                hits[b].append(found + s)
    indptr = np.zeros(B + 1, np.int64)
    np.cumsum([sum(h.size for h in hb) for hb in hits], out=indptr[1:])
    flat = [h for hb in hits for h in hb]
    indices = np.concatenate(flat).astype(np.int64) if flat else np.zeros(0, np.int64)
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
