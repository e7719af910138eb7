"""Timing of the neuron-based SDM's scan against its yardsticks (used by ``benchmarks/bench_sdm.py``).

`run_planning_benchmark` is the full run behind the performance chapter (time against
``r``, ``n`` and the batch size, reads against writes, threads, the numpy fallback, the
yardsticks each in its own process, neuron- against pattern-based reads, a slice of
protocol E3); `targets_table` turns it into the issue-18 targets, met or not;
`machine_info`, `measure_clock_ghz` and `popcount_limit` describe the machine and derive
its compute limit. `benchmark_scan` below is the older single-query comparison.

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

__all__ = ["benchmark_scan", "random_packed", "faiss_range_search", "dense_cdist_scan", "bench_data", "measure_clock_ghz",
           "cpu_flags", "popcount_limit", "machine_info", "RUN_COLUMNS", "SECTIONS", "run_planning_benchmark", "targets_table",
           "e3_slice_protocol"]


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


# --------------------------------------------------------------------------- planning benchmark
#: Columns of the stored benchmark table (``book/data/performance_runs.csv``).
#: ``seconds`` is the best wall time of the call, ``cpu_seconds`` the best CPU time of the
#: process (all its threads); ``per_query`` is the CPU time per query for one thread (it does
#: not count time the thread waited for a core that other processes held) and the wall time
#: per query for several threads; ``floor`` is the CPU time of one streaming pass over the
#: same addresses and ``x_floor = per_query / floor``.
RUN_COLUMNS = ("section", "method", "n", "r", "batch", "threads", "d", "seconds", "cpu_seconds", "per_query",
               "floor", "x_floor", "active", "note")


def bench_data(n: int, r: int, batch: int, seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    """The addresses, queries and radius of one benchmark cell, reproducible from its key.

    ``r`` random word-major packed addresses and ``batch`` random packed queries
    from ``numpy.random.default_rng([seed, n, r, batch])``; the radius is
    ``hamming_radius_for_fraction(n, 1e-3)`` (about ``r / 1000`` active neurons
    per query). Re-running a stored cell with its key gives the same active
    count, which is how the performance chapter checks stored numbers.

    Examples
    --------
    >>> A, Q, d = bench_data(64, 1000, 2, seed=0)
    >>> A.shape, Q.shape, A.flags.f_contiguous, d == bench_data(64, 10, 1, seed=5)[2]
    ((1000, 1), (2, 1), True, True)
    >>> bool(np.array_equal(A, bench_data(64, 1000, 2, seed=0)[0]))
    True
    """
    n = check_int("n", n, lo=1)
    r = check_int("r", r, lo=1)
    batch = check_int("batch", batch, lo=1)
    seed = check_int("seed", seed, lo=0)
    rng = np.random.default_rng([seed, n, r, batch])
    A = random_packed(r, n, rng)
    Q = pack_bits(rng.integers(0, 2, size=(batch, n), dtype=np.uint8))
    return A, Q, int(hamming_radius_for_fraction(n, 1e-3))


def measure_clock_ghz(steps: int = 100_000_000, repeats: int = 5) -> float:
    """Core clock estimated from a dependent chain of a rotate and an XOR (2 cycles per step).

    Each step needs the previous one's result, so the loop runs at one step per
    two cycles on any x86-64 core with 1-cycle rotate and XOR (all current ones);
    thread CPU time excludes time the thread was descheduled. Returns ``nan``
    without numba.
    """
    steps = check_int("steps", steps, lo=1000)
    if not numba_available():
        return float("nan")
    import time

    from sdmlib.memories._scan import _rotate_xor_chain

    _rotate_xor_chain(1000, np.uint64(1))
    best = float("inf")
    for _ in range(check_int("repeats", repeats, lo=1)):
        t0 = time.thread_time()
        _rotate_xor_chain(steps, np.uint64(3))
        best = min(best, time.thread_time() - t0)
    return 2 * steps / best / 1e9


def cpu_flags() -> set[str]:
    """The CPU feature flags of ``/proc/cpuinfo`` (empty where it does not exist)."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:  # pragma: no cover - not Linux
        pass
    return set()


def popcount_limit(flags: set[str], ghz: float) -> dict:
    """Words (64-bit) per second that XOR + popcount + add can reach on one core.

    The derivation (per 64-bit word of addresses, per query):

    * ``avx512_vpopcntdq`` present: one ``VPOPCNTQ`` counts 8 words and a core
      issues about one per cycle; with the XOR and the add on other ports the
      limit is about **8 words per cycle**.
    * otherwise, AVX2: the best known kernel (Muła's nibble lookup with two
      ``VPSHUFB`` and byte-wise accumulation, ``VPSADBW`` once per neuron) needs
      about 8 vector operations per 4 words; with 4 vector pipes that is about
      **2 words per cycle**.
    * scalar ``POPCNT``: XOR, POPCNT and ADD are 3 integer operations per word;
      with 4 integer ALUs (Zen 2/3, Skylake) that is **4/3 words per cycle**.

    Returns a dict with ``words_per_cycle`` and ``words_per_s`` of the best route
    this CPU has, the scalar route's (what LLVM's ``ctpop`` loop reaches) and a
    ``route`` name.

    Examples
    --------
    >>> lim = popcount_limit({"avx2", "popcnt"}, 3.0)
    >>> lim["route"], lim["words_per_cycle"], round(lim["scalar_words_per_s"] / 1e9, 2)
    ('avx2-pshufb', 2.0, 4.0)
    >>> popcount_limit({"avx512_vpopcntdq"}, 2.0)["words_per_s"] == 16e9
    True
    """
    if "avx512_vpopcntdq" in flags:
        route, wpc = "avx512-vpopcntq", 8.0
    elif "avx2" in flags:
        route, wpc = "avx2-pshufb", 2.0
    else:
        route, wpc = "scalar-popcnt", 4 / 3
    return dict(route=route, words_per_cycle=wpc, words_per_s=wpc * ghz * 1e9,
                scalar_words_per_cycle=4 / 3, scalar_words_per_s=4 / 3 * ghz * 1e9)


def machine_info() -> dict:
    """The hardware and software a benchmark ran on (CPU, cores, caches, flags, versions, commit)."""
    import os
    import platform
    import subprocess

    info: dict = dict(platform=platform.platform(), python=platform.python_version(), cores=os.cpu_count())
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("Model name", "CPU family", "Model", "L1d cache", "L2 cache", "L3 cache",
                               "Hypervisor vendor", "BogoMIPS"):
                info[key.strip()] = value.strip()
    except (OSError, subprocess.SubprocessError):  # pragma: no cover
        pass
    flags = cpu_flags()
    info["simd"] = " ".join(sorted(f for f in flags if f in ("popcnt", "avx2", "avx512f", "avx512bw",
                                                              "avx512_vpopcntdq", "avx512vl")))
    versions = {}
    for mod in ("numpy", "numba", "faiss", "torch", "simsimd", "scipy"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 - any import failure means "not available"
            versions[mod] = None
    info["versions"] = versions
    try:
        info["commit"] = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                                        timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):  # pragma: no cover
        info["commit"] = None
    try:
        info["load_average"] = list(os.getloadavg())
    except OSError:  # pragma: no cover
        pass
    return info


def _row(section: str, method: str, n: int, r: int, batch: int, threads: int, d: int, seconds: float,
         floor: float, active: int, note: str = "", cpu_seconds: float | None = None) -> dict:
    cpu = seconds if cpu_seconds is None else cpu_seconds
    per_query = (cpu if threads == 1 else seconds) / batch
    return dict(section=section, method=method, n=n, r=r, batch=batch, threads=threads, d=d, seconds=seconds,
                cpu_seconds=cpu, per_query=per_query, floor=floor,
                x_floor=per_query / floor if floor > 0 else float("nan"), active=int(active), note=note)


def best_wall_cpu(fn, repeats: int) -> tuple[float, float]:
    """Best wall time and best process CPU time of ``repeats`` calls of ``fn`` (seconds).

    On a shared machine the CPU time of a single-threaded call leaves out the time
    the thread waited for a core; the wall time does not.
    """
    import time

    wall = cpu = float("inf")
    for _ in range(check_int("repeats", repeats, lo=1)):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        c1, w1 = time.process_time(), time.perf_counter()
        wall, cpu = min(wall, w1 - w0), min(cpu, c1 - c0)
    return wall, cpu


def _floor_time(A: np.ndarray, repeats: int) -> tuple[float, float]:
    """(wall, CPU) of the faster of the sequential and the blocked streaming pass."""
    stream_floor(A)
    seq = best_wall_cpu(lambda: stream_floor(A), repeats)
    blk = best_wall_cpu(lambda: stream_floor(A, order="blocked"), repeats)
    return min(seq, blk, key=lambda t: t[1])


def _yardsticks(A: np.ndarray, Q: np.ndarray, n: int, d: int, ptr: np.ndarray, idx: np.ndarray, repeats: int,
                scripts: dict[str, str], batches: list[int], log) -> list[dict]:
    """Run each yardstick script in its own process on one cell; return its JSON rows."""
    import json
    import os
    import subprocess
    import sys
    import tempfile

    out: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        cell = os.path.join(tmp, "cell.npz")
        np.savez(cell, A=np.ascontiguousarray(A), Q=Q, n=n, d=d, ptr=ptr, idx=idx, repeats=repeats)
        env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
        for name, script in scripts.items():
            proc = subprocess.run([sys.executable, script, cell, *map(str, batches)], capture_output=True, text=True,
                                  env=env, timeout=1800)
            if proc.returncode != 0:
                tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["?"]
                log(f"  yardstick {name} skipped: {tail[0]}")
                continue
            for line in proc.stdout.splitlines():
                if line.startswith("{"):
                    out.append(json.loads(line))
    return out


#: The sections `run_planning_benchmark` can run (``"scan"`` is ``scan_r``, ``scan_n`` and ``batch``).
SECTIONS = ("scan", "threads", "read_write", "numpy", "yardstick", "crossover", "e3")


def run_planning_benchmark(*, seed: int = 0, quick: bool = False, yardstick_dir: str | None = None,
                           log=print, sections=None) -> "pd.DataFrame":
    """Every timing the performance chapter plans with, in one run (``benchmarks/bench_sdm.py``).

    Sections of the returned table (columns `RUN_COLUMNS`):

    * ``floor``: one streaming pass over the addresses of each ``(n, r)``.
    * ``scan_r`` / ``scan_n`` / ``batch``: `scan_within_radius` (numba, one
      thread) against ``r`` at ``n = 1024``, against ``n`` at ``r = 10**6`` and
      against the batch size at ``n = 1024, r = 10**6``; single query and batch 64.
    * ``threads``: the batch-64 scan, `NeuronSDM.read` and ``write`` of 64
      patterns, on 1 and 2 threads.
    * ``read_write``: `NeuronSDM.write` of ``m`` patterns into an empty memory
      and `NeuronSDM.read` of ``m`` queries (``m = 64, 256``).
    * ``numpy``: the pure-numpy scan, one query (at ``n = 1024`` also on 2 threads).
    * ``yardstick``: faiss, SimSIMD and the original's dense ``cdist``, each in
      its own process, single query and batch 64, checked equal first.
    * ``crossover``: time per query of `PatternSDM` (``r=None``) and
      `SDMAttention` reads against the number of stored patterns ``m``, beside
      `NeuronSDM` reads at ``r = 10**5, 10**6``.
    * ``e3``: a slice of protocol E3 (neuron SDM, ``n = 64, r = 10**5``) run
      with the fast path, and the number of scanned queries it needed.

    ``quick`` shrinks ``r`` ten-fold and the repeats, for a smoke test.
    ``sections`` (names from `SECTIONS`; default all) runs only those, e.g. to
    re-measure the threads and the numpy fallback alone. Every method is checked
    to find the reference active set before it is timed.
    """
    import os

    import pandas as pd

    from sdmlib.memories.attention import SDMAttention
    from sdmlib.memories.neuron import NeuronSDM
    from sdmlib.memories.pattern import PatternSDM

    seed = check_int("seed", seed, lo=0)
    wanted = set(SECTIONS if sections is None else sections)
    if not wanted or not wanted <= set(SECTIONS):
        raise ValueError(f"sections must be names from {SECTIONS}, got {sorted(wanted)}")
    R = 10**5 if quick else 10**6
    reps = 2 if quick else 3
    rows: list[dict] = []
    floors: dict[tuple[int, int], float] = {}

    def floor_of(n: int, r: int, A: np.ndarray) -> float:
        if (n, r) not in floors:
            wall, cpu = _floor_time(A, reps + 2)
            floors[(n, r)] = cpu
            rows.append(_row("floor", "streaming floor", n, r, 1, 1, 0, wall, cpu, 0,
                             "one XOR-reduce pass over the addresses", cpu))
        return floors[(n, r)]

    def scan_cell(section: str, n: int, r: int, batch: int, threads: int = 1) -> None:
        A, Q, d = bench_data(n, r, batch, seed)
        # the reference: the numpy route (an independent implementation) up to 64 full scans
        ref = scan_within_radius(A, Q, d, backend="numpy" if r * batch <= 64 * 10**6 else "numba")
        got = scan_within_radius(A, Q, d, threads=threads)
        assert np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1])
        w, c = best_wall_cpu(lambda: scan_within_radius(A, Q, d, threads=threads), reps if batch > 16 else reps + 2)
        rows.append(_row(section, "numba scan", n, r, batch, threads, d, w, floor_of(n, r, A), got[1].size,
                         cpu_seconds=c))

    if "scan" in wanted:
        log(f"scan against r, n and batch (R = {R})")
        for r in (R // 100, R // 10, R):
            for batch in (1, 64):
                scan_cell("scan_r", 1024, r, batch)
        for n in (64, 256, 1024, 2048):
            for batch in (1, 64):
                scan_cell("scan_n", n, R, batch)
        for batch in (1, 4, 16, 64, 256):
            scan_cell("batch", 1024, R, batch)

    if "threads" in wanted:
        log("threads")
        for threads in (1, 2):
            for batch in (1, 64):
                scan_cell("threads", 1024, R, batch, threads)
    A, Q, d = bench_data(1024, R, 64, seed)
    fl = floor_of(1024, R, A)
    P = np.random.default_rng([seed, 7]).integers(0, 2, size=(256, 1024), dtype=np.uint8)
    def fresh(threads):
        return NeuronSDM(n=1024, d=d, r=R, seed=seed, threads=threads)

    def write_time(m, threads):  # into an empty memory; the construction (random addresses) subtracted
        full = best_wall_cpu(lambda: fresh(threads).write(P[:m]), reps)
        bare = best_wall_cpu(lambda: fresh(threads), reps)
        return full[0] - bare[0], full[1] - bare[1]

    for threads in (1, 2) if "threads" in wanted else ():
        mem = fresh(threads).write(P[:64])
        act = sum(a.size for a in mem.active_neurons(P[:64]))
        w_w, w_c = write_time(64, threads)
        r_w, r_c = best_wall_cpu(lambda: mem.read(P[:64]), reps)
        rows.append(_row("threads", "NeuronSDM.write", 1024, R, 64, threads, d, w_w, fl, act,
                         "into an empty memory (construction time subtracted)", w_c))
        rows.append(_row("threads", "NeuronSDM.read", 1024, R, 64, threads, d, r_w, fl, act, "64 patterns stored", r_c))
        del mem
    for m in (64, 256) if "read_write" in wanted else ():
        full = fresh(1).write(P[:m])
        act = sum(a.size for a in full.active_neurons(P[:m]))
        w_w, w_c = write_time(m, 1)
        r_w, r_c = best_wall_cpu(lambda: full.read(P[:m]), reps)
        s_w, s_c = best_wall_cpu(lambda: full.active_neurons(P[:m]), reps)
        rows.append(_row("read_write", "NeuronSDM.write", 1024, R, m, 1, d, w_w, fl, act, "into an empty memory", w_c))
        rows.append(_row("read_write", "NeuronSDM.read", 1024, R, m, 1, d, r_w, fl, act, f"{m} patterns stored", r_c))
        rows.append(_row("read_write", "numba scan", 1024, R, m, 1, d, s_w, fl, act, "the scan alone", s_c))
        del full

    if "numpy" in wanted:
        log("numpy fallback")
    for n in (64, 1024) if "numpy" in wanted else ():
        A1, Q1, d1 = bench_data(n, R, 1, seed)
        ref = scan_within_radius(A1, Q1, d1)
        got = scan_within_radius(A1, Q1, d1, backend="numpy")
        assert np.array_equal(ref[1], got[1])
        w, c = best_wall_cpu(lambda: scan_within_radius(A1, Q1, d1, backend="numpy"), reps + 2)
        rows.append(_row("numpy", "numpy scan", n, R, 1, 1, d1, w, floor_of(n, R, A1), got[1].size,
                         f"numpy {np.__version__}, bitwise_count, uint8 sums of 3 words, uint16 totals", c))
        if n == 1024:  # numpy's loops release the GIL: two threads on disjoint neuron ranges
            got2 = scan_within_radius(A1, Q1, d1, backend="numpy", threads=2)
            assert np.array_equal(ref[1], got2[1])
            w, c = best_wall_cpu(lambda: scan_within_radius(A1, Q1, d1, backend="numpy", threads=2), reps + 2)
            rows.append(_row("numpy", "numpy scan", n, R, 1, 2, d1, w, floor_of(n, R, A1), got2[1].size,
                             "2 threads (wall time)", c))

    if yardstick_dir is not None and "yardstick" in wanted:
        log("yardsticks, each in its own process")
        scripts = {name: os.path.join(yardstick_dir, f"{name}.py") for name in ("faiss_range", "simsimd_hamming",
                                                                                 "dense_cdist")}
        for n in (64, 1024):
            A, Q, d = bench_data(n, R, 64, seed)
            ptr, idx = scan_within_radius(A, Q, d)
            fl = floor_of(n, R, A)
            for y in _yardsticks(A, Q, n, d, ptr, idx, reps, scripts, [1, 64], log):
                rows.append(_row("yardstick", y["method"], n, R, y["batch"], 1, d, y["seconds"], fl, y["active"],
                                 y["note"], y.get("cpu_seconds")))
            for batch in (1, 64):  # the numba scan on exactly the same cell
                q = Q[:batch]
                w, c = best_wall_cpu(lambda: scan_within_radius(A, q, d), reps + 2)
                rows.append(_row("yardstick", "numba scan", n, R, batch, 1, d, w, fl, int(ptr[batch]),
                                 "sdmlib, 1 thread, same cell", c))

    if "crossover" in wanted:
        log("neuron- vs pattern-based reads against m")
        n = 1024
        for m in (10**3, 10**4, 10**5) if not quick else (10**3, 10**4):
            X = np.random.default_rng([seed, 11, m]).integers(0, 2, size=(m, n), dtype=np.uint8)
            q = X[:64].copy()
            d = int(hamming_radius_for_fraction(n, 1e-3))
            models = [("PatternSDM.read", PatternSDM(n=n, d=d))]
            if m <= 10**4:  # float64 keys: 8 n bytes per pattern
                models.append(("SDMAttention.read", SDMAttention(n=n, d=d)))
            for name, mem in models:
                mem.write(X if name.startswith("Pattern") else X.astype(np.float64))
                qq = q if name.startswith("Pattern") else q.astype(np.float64)
                w, c = best_wall_cpu(lambda: mem.read(qq), reps)
                rows.append(_row("crossover", name, n, m, 64, 1, d, w, float("nan"), m, f"m = {m} stored patterns", c))
        for r in (R // 10, R):
            A, Q, d = bench_data(1024, r, 64, seed)
            mem = NeuronSDM(n=1024, d=d, r=r, seed=seed)
            mem.write(P[:64])
            qb = P[:64]
            w, c = best_wall_cpu(lambda: mem.read(qb), reps)
            rows.append(_row("crossover", "NeuronSDM.read", 1024, r, 64, 1, d, w, float("nan"), r, f"r = {r} neurons", c))
            del mem

    if "e3" in wanted:
        log("E3 slice with the fast path")
        rows.extend(_e3_slice(seed, quick))
    return pd.DataFrame(rows, columns=list(RUN_COLUMNS))


def e3_slice_protocol(quick: bool = False):
    """The slice of protocol E3 that the benchmark runs, and the factor from it to the full E3.

    The full E3 (``sdmlib.experiments.recall_protocol("E3", "full")``) has 6 radii ×
    7 noise levels × 3 data sets × 5 repeats = 630 cells of 1024 queries. The slice
    keeps the neuron SDM, all radii, the first and last noise level, one data set,
    one repeat and 256 queries (128 with ``quick``). Its wall time times
    ``scale`` estimates the full run (the levels between cost about the same).

    Examples
    --------
    >>> p, scale = e3_slice_protocol()
    >>> p.models, len(p.levels), p.n_queries, scale
    (('neuron_sdm',), 2, 256, 210.0)
    """
    from sdmlib.experiments import recall_protocol

    full = recall_protocol("E3", "full")
    p = full.replace(models=("neuron_sdm",), levels=full.levels[:: len(full.levels) - 1], n_datasets=1,
                     n_repeats=1, n_queries=128 if quick else 256)
    cells_full = len(full.radii) * len(full.levels) * full.n_datasets * full.n_repeats
    cells_slice = len(p.radii) * len(p.levels) * p.n_datasets * p.n_repeats
    queries_full = full.m if full.n_queries is None else full.n_queries
    return p, cells_full / cells_slice * queries_full / p.n_queries


def _e3_slice(seed: int, quick: bool) -> list[dict]:
    """Run `e3_slice_protocol`, counting the queries the neuron scans saw (writes included)."""
    import time

    import sdmlib.memories.neuron as neuron_module
    from sdmlib.experiments import run_recall_protocol

    p, scale = e3_slice_protocol(quick)
    scanned = [0]
    in_scans = [0.0, 0.0]  # wall, CPU
    original = neuron_module.scan_within_radius

    def counting(neurons, queries, d, **kw):
        scanned[0] += queries.shape[0]
        w0, c0 = time.perf_counter(), time.process_time()
        out = original(neurons, queries, d, **kw)
        in_scans[0] += time.perf_counter() - w0
        in_scans[1] += time.process_time() - c0
        return out

    neuron_module.scan_within_radius = counting
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        run_recall_protocol(p, seed=seed, progress=False)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        neuron_module.scan_within_radius = original
    return [_row("e3", "E3 slice, fast path", p.n, int(p.r), 1, 1, 0, wall, float("nan"), scanned[0],
                 f"x{scale:g} for the full E3; active = queries scanned (writes and reads)", cpu),
            _row("e3", "E3 slice, scans only", p.n, int(p.r), 1, 1, 0, in_scans[0], float("nan"), scanned[0],
                 "the part of the slice spent in scan_within_radius", in_scans[1])]


def targets_table(table: "pd.DataFrame", info: dict) -> "pd.DataFrame":
    """The issue-18 targets, the measured value of each and whether it is met.

    ``table`` is a `run_planning_benchmark` result; ``info`` holds ``clock_ghz``
    and ``popcount_limit`` (`popcount_limit`). Ratios are per query, against the
    streaming floor of the same ``(n, r)``; the largest ``r`` of the table is used.
    """
    import pandas as pd

    R = int(table.r[table.section == "batch"].max()) if (table.section == "batch").any() else int(table.r.max())

    def get(section, method, n, batch, threads=1, column="per_query"):
        sel = table[(table.section == section) & (table.method == method) & (table.n == n) & (table.batch == batch)
                    & (table.threads == threads) & (table.r == R)]
        return float(sel.iloc[0][column]) if len(sel) else float("nan"), (
            float(sel.iloc[0].floor) if len(sel) else float("nan"))

    rows = []

    def add(what, value, target, met, unit="x floor"):
        status = "info" if met is None else ("yes" if met else ("n/a" if value != value else "no"))
        rows.append(dict(target=what, measured=round(value, 3), goal=target, unit=unit, met=status))

    b64, fl = get("batch", "numba scan", 1024, 64)
    add("batch 64, n=1024: read scan per query", b64 / fl, "<= 0.15", b64 / fl <= 0.15)
    w, _ = get("threads", "NeuronSDM.write", 1024, 64)
    rd, _ = get("threads", "NeuronSDM.read", 1024, 64)
    add("batch 64, n=1024: NeuronSDM.write per pattern", w / fl, "<= 0.15", w / fl <= 0.15)
    add("batch 64, n=1024: write / read", w / rd, "about 1", 0.7 <= w / rd <= 1.4, "ratio")
    lim = info.get("popcount_limit", {})
    if lim:
        words = R * 16
        add("compute limit of this CPU (per query, n=1024)", words / lim["words_per_s"] / fl,
            f"route {lim['route']}", None)
        add("batch 64 scan / scalar popcount limit", b64 / (words / lim["scalar_words_per_s"]), "1 = at the limit",
            None, "ratio")
    t1, _ = get("threads", "numba scan", 1024, 64, 1, "seconds")
    t2, _ = get("threads", "numba scan", 1024, 64, 2, "seconds")
    def add_speedup(what, value):  # above 2 on 2 threads the one-thread run was slowed by other load
        if value > 2.2:
            rows.append(dict(target=what, measured=round(value, 3), goal=">= 1.7", unit="x",
                             met="disturbed (> 2 on 2 threads)"))
        else:
            add(what, value, ">= 1.7", value >= 1.7, "x")

    add_speedup("2 threads, batch-64 scan speed-up", t1 / t2)
    r1, _ = get("threads", "NeuronSDM.read", 1024, 64, 1, "seconds")
    r2, _ = get("threads", "NeuronSDM.read", 1024, 64, 2, "seconds")
    add_speedup("2 threads, batch-64 read speed-up", r1 / r2)
    w1, _ = get("threads", "NeuronSDM.write", 1024, 64, 1, "seconds")
    w2, _ = get("threads", "NeuronSDM.write", 1024, 64, 2, "seconds")
    add_speedup("2 threads, batch-64 write speed-up", w1 / w2)
    npy, fl1 = get("numpy", "numpy scan", 1024, 1)
    add("numpy fallback, one query, n=1024", npy / fl1, "<= 2", npy / fl1 <= 2)
    npy2, fl2 = get("numpy", "numpy scan", 1024, 1, 2)
    if npy2 == npy2:  # runs stored before the threaded numpy route have no such row
        add("numpy fallback, 2 threads (wall), one query, n=1024", npy2 / fl2, "<= 2", npy2 / fl2 <= 2)
    s1, _ = get("batch", "numba scan", 1024, 1)
    add("numba, one query, n=1024", s1 / fl, "<= 1.3", s1 / fl <= 1.3)
    for n in (64, 1024):
        f1, _ = get("yardstick", "faiss range_search", n, 1)
        m1, _ = get("yardstick", "numba scan", n, 1)
        add(f"faiss / numba, one query, n={n}", f1 / m1, ">= 2", f1 / m1 >= 2, "x")
        f64, _ = get("yardstick", "faiss range_search", n, 64)
        m64, _ = get("yardstick", "numba scan", n, 64)
        add(f"faiss / numba, batch 64, n={n}", f64 / m64, ">= 2", f64 / m64 >= 2, "x")
    return pd.DataFrame(rows)
