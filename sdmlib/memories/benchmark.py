"""Timing of the neuron-based SDM's scan against its yardsticks (used by ``benchmarks/bench_sdm.py``).

One read of a neuron-based SDM costs one scan of all ``r`` neuron addresses:
XOR, popcount, compare. `benchmark_scan` times, on the same random addresses and
query:

* ``numba``: `scan_within_radius`, single thread (the library's default);
* ``numba x2``: the opt-in two-thread scan;
* ``numba, batch 64``: time per query when 64 queries share each cached block;
* ``NeuronSDM.read``: a whole read (scan, counter sums, threshold) of a
  `NeuronSDM` with its own ``r`` random neurons and 16 stored patterns;
* ``numpy``: the pure-numpy path;
* ``dense cdist (original)``: the original's approach, a dense float distance
  matrix (``torch.cdist(p=0)``, or ``scipy`` if torch is absent) then ``<= d``,
  timed at a smaller ``r`` it can hold and scaled linearly to ``r``;
* ``faiss``: ``IndexBinaryFlat.range_search`` if ``faiss-cpu`` is installed
  (its radius is strict, so it is given ``d + 1``);
* ``floor``: one streaming pass over the same bytes (`stream_floor`, the faster
  of a front-to-back pass and a pass in the scan's blocked order), the
  memory-bandwidth floor of any scan.

This is a benchmark, not a test: timings depend on the machine and its load.
Each method is checked to return the same active set before it is timed.
"""

from __future__ import annotations

import numpy as np

from sdmlib._timing import best_time
from sdmlib._validate import check_int
from sdmlib.geometry import hamming_radius_for_fraction
from sdmlib.hamming import pack_bits
from sdmlib.memories._scan import numba_available, scan_within_radius, stream_floor

__all__ = ["benchmark_scan", "random_packed", "faiss_range_search", "dense_cdist_scan"]


def random_packed(r: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """``r`` uniformly random packed addresses, word-major (Fortran order) like `NeuronSDM`'s."""
    words = -(-n // 64)
    A = rng.integers(0, np.iinfo(np.uint64).max, size=(words, r), dtype=np.uint64, endpoint=True).T
    tail = n - 64 * (words - 1)
    if tail < 64:
        A[:, -1] &= np.uint64((1 << tail) - 1)
    return A


def faiss_range_search(neurons: np.ndarray, query: np.ndarray, n: int, d: int, index=None):
    """Active neurons of one packed query by faiss (``range_search`` with radius ``d + 1``).

    Returns the sorted indices, and the index (build it once and pass it back in).
    """
    import faiss

    if n % 8:
        raise ValueError(f"faiss binary indexes need n divisible by 8, got {n}")
    nbytes = n // 8
    faiss.omp_set_num_threads(1)  # compare single-core scans
    if index is None:
        index = faiss.IndexBinaryFlat(n)
        index.add(np.ascontiguousarray(neurons).view(np.uint8)[:, :nbytes])
    q = np.ascontiguousarray(query).reshape(1, -1).view(np.uint8)[:, :nbytes]
    lims, _, ids = index.range_search(q, d + 1)  # faiss keeps distances strictly below the radius
    return np.sort(ids[lims[0] : lims[1]]).astype(np.int64), index


def dense_cdist_scan(neurons_bits: np.ndarray, query_bits: np.ndarray, d: int) -> np.ndarray:
    """The original's scan: a dense float Hamming distance (``cdist`` with p = 0), then ``<= d``."""
    try:
        import torch

        dist = torch.cdist(torch.from_numpy(query_bits), torch.from_numpy(neurons_bits), p=0)
        return np.flatnonzero(dist.numpy()[0] <= d)
    except ImportError:  # pragma: no cover - torch is an optional extra
        from scipy.spatial.distance import cdist

        dist = cdist(query_bits, neurons_bits, metric="hamming") * neurons_bits.shape[1]
        return np.flatnonzero(np.rint(dist[0]) <= d)


def benchmark_scan(
    n: int,
    r: int,
    *,
    fraction: float = 1e-3,
    repeats: int = 7,
    seed: int = 0,
    r_dense: int = 50_000,
    include: tuple[str, ...] = (
        "numba", "numba x2", "numba, batch 64", "NeuronSDM.read", "numpy", "dense", "faiss", "floor"
    ),
) -> list[dict]:
    """Time one read's scan by every method on the same data.

    Parameters
    ----------
    n, r : int
        Address dimension and number of neurons.
    fraction : float
        The radius is ``hamming_radius_for_fraction(n, fraction)``: about
        ``fraction * r`` neurons are active per read.
    repeats : int
        Each timing is the best of this many runs (the least disturbed by other load).
    seed : int
    r_dense : int
        Number of neurons for the dense float method, whose time is scaled by
        ``r / r_dense`` (it needs ``4 n`` bytes per neuron).
    include : tuple of str
        Methods to run (unavailable ones are skipped).

    Returns
    -------
    list of dict
        One row per method: ``method, n, r, d, seconds`` (per read, at ``r``),
        ``gb_per_s`` (address bytes / seconds), ``active`` (neurons found) and
        ``note``.
    """
    n = check_int("n", n, lo=1)
    r = check_int("r", r, lo=1)
    repeats = check_int("repeats", repeats, lo=1)
    rng = np.random.default_rng(seed)
    d = int(hamming_radius_for_fraction(n, fraction))
    A = random_packed(r, n, rng)
    q_bits = rng.integers(0, 2, size=(1, n), dtype=np.uint8)
    Q = pack_bits(q_bits)
    nbytes = A.nbytes
    rows: list[dict] = []

    def add(method: str, seconds: float, active: int, note: str = "") -> None:
        rows.append(
            dict(method=method, n=n, r=r, d=d, seconds=seconds, gb_per_s=nbytes / seconds / 1e9, active=active, note=note)
        )

    ptr, ref = scan_within_radius(A, Q, d, backend="numpy" if not numba_available() else "auto")
    if numba_available():
        if "numba" in include:
            add("numba", best_time(lambda: scan_within_radius(A, Q, d), repeats), ref.size)
        if "numba x2" in include:
            _, idx = scan_within_radius(A, Q, d, threads=2)
            assert np.array_equal(idx, ref)
            add("numba x2", best_time(lambda: scan_within_radius(A, Q, d, threads=2), repeats), ref.size, "2 threads")
        if "numba, batch 64" in include:
            QB = pack_bits(rng.integers(0, 2, size=(64, n), dtype=np.uint8))
            QB[0] = Q[0]
            ptrb, idxb = scan_within_radius(A, QB, d)
            assert np.array_equal(idxb[: ptrb[1]], ref)
            t = best_time(lambda: scan_within_radius(A, QB, d), max(1, repeats // 2)) / 64
            add("numba, batch 64", t, ref.size, "time per query")
        if "NeuronSDM.read" in include:
            from sdmlib.memories.neuron import NeuronSDM

            mem = NeuronSDM(n=n, d=d, r=r, seed=rng)
            mem.write(rng.integers(0, 2, size=(16, n), dtype=np.uint8))
            t = best_time(lambda: mem.read(q_bits), repeats)
            add("NeuronSDM.read", t, mem.active_neurons(q_bits)[0].size, "whole read, 16 patterns stored")
            del mem
        if "floor" in include:
            t_seq = best_time(lambda: stream_floor(A), repeats)
            t_blk = best_time(lambda: stream_floor(A, order="blocked"), repeats)
            how = "sequential" if t_seq <= t_blk else "blocked"
            add("floor", min(t_seq, t_blk), 0, f"one streaming pass ({how})")
    if "numpy" in include:
        _, idx = scan_within_radius(A, Q, d, backend="numpy")
        assert np.array_equal(idx, ref)
        add("numpy", best_time(lambda: scan_within_radius(A, Q, d, backend="numpy"), max(1, repeats // 3)), ref.size)
    if "dense" in include:
        rd = min(r, r_dense)
        from sdmlib.hamming import unpack_bits

        bits = unpack_bits(np.ascontiguousarray(A[:rd]), n).astype(np.float32)
        qf = q_bits.astype(np.float32)
        idx = dense_cdist_scan(bits, qf, d)
        assert np.array_equal(idx, ref[ref < rd])
        t = best_time(lambda: dense_cdist_scan(bits, qf, d), max(1, repeats // 3)) * (r / rd)
        add("dense cdist (original)", t, ref.size, f"timed at r={rd}, scaled")
        del bits
    if "faiss" in include and n % 8 == 0:
        try:
            import faiss  # noqa: F401
        except ImportError:
            pass
        else:
            idx, index = faiss_range_search(A, Q, n, d)
            assert np.array_equal(idx, ref)
            t = best_time(lambda: faiss_range_search(A, Q, n, d, index), repeats)
            add("faiss", t, ref.size, "IndexBinaryFlat.range_search(d+1)")
    return rows
