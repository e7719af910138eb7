"""The neuron scan's kernels (issue 18): threaded chunks, word-major numpy, the planning benchmark's
helpers. Every route is compared with a brute-force count on unpacked bits; no timing is asserted."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sdmlib.hamming import pack_bits
from sdmlib.memories import NeuronSDM
from sdmlib.memories._scan import numba_available, scan_within_radius
from sdmlib.memories.benchmark import bench_data, popcount_limit, targets_table

SEED = 1818
ROOT = Path(__file__).resolve().parent.parent
needs_numba = pytest.mark.skipif(not numba_available(), reason="numba not installed")


def _brute(X, Q, d):
    return [np.flatnonzero((X != q).sum(axis=1) <= d) for q in Q]


def _sets(ptr, idx):
    return [idx[ptr[b]:ptr[b + 1]] for b in range(len(ptr) - 1)]


@pytest.mark.parametrize("n", [1, 63, 64, 65, 200, 320, 1024])
def test_every_route_equals_the_brute_force_count(n):
    rng = np.random.default_rng(SEED + n)
    r = 1500 if n < 1024 else 600
    X = rng.integers(0, 2, size=(r, n), dtype=np.uint8)
    Q = np.concatenate([rng.integers(0, 2, size=(6, n), dtype=np.uint8), X[:3]])
    d = max(0, n // 2 - max(1, int(np.sqrt(n))))
    expected = _brute(X, Q, d)
    A = np.asfortranarray(pack_bits(X))
    routes = [dict(backend="numpy")]
    if numba_available():
        # block sizes that leave a ragged last block and chunks of one block
        routes += [dict(), dict(threads=2), dict(threads=3, block=7), dict(threads=2, block=1), dict(threads=8)]
    for kw in routes:
        got = _sets(*scan_within_radius(A, pack_bits(Q), d, **kw))
        assert all(np.array_equal(g, e) for g, e in zip(got, expected)), kw
    assert sum(e.size for e in expected) > 0  # the check is not vacuous


@needs_numba
def test_threaded_scan_is_identical_for_any_thread_count_and_dense_hits():
    """Many hits per chunk (d near n/2) exercise the per-chunk growth and the merge order."""
    rng = np.random.default_rng(SEED)
    A, Q, _ = bench_data(128, 20_000, 9, seed=3)
    ref = scan_within_radius(A, Q, 64)
    assert ref[1].size > 50_000
    for threads in (2, 3, 5):
        ptr, idx = scan_within_radius(A, Q, 64, threads=threads, block=int(rng.integers(50, 3000)))
        assert np.array_equal(ptr, ref[0]) and np.array_equal(idx, ref[1])
        assert all(np.all(np.diff(s) > 0) for s in _sets(ptr, idx))  # increasing within a query


def test_numpy_route_uses_wide_counters_past_uint16():
    """n >= 65536 bits would overflow uint16 distances: the numpy route switches to int64."""
    rng = np.random.default_rng(SEED + 5)
    n = 65_600
    X = rng.integers(0, 2, size=(40, n), dtype=np.uint8)
    Q = rng.integers(0, 2, size=(2, n), dtype=np.uint8)
    d = n // 2
    got = _sets(*scan_within_radius(pack_bits(X), pack_bits(Q), d, backend="numpy"))
    assert all(np.array_equal(g, e) for g, e in zip(got, _brute(X, Q, d)))


@needs_numba
def test_threads_do_not_change_a_neuron_sdm():
    rng = np.random.default_rng(SEED + 9)
    P = rng.integers(0, 2, size=(40, 256), dtype=np.uint8)
    one = NeuronSDM(n=256, d=112, r=30_000, seed=4).write(P)
    two = NeuronSDM(n=256, d=112, r=30_000, seed=4, threads=2).write(P)
    for a, b in zip(one.counters(), two.counters()):
        assert np.array_equal(a, b)
    q = P ^ (rng.random(P.shape) < 0.05)
    assert np.array_equal(one.read(q).outputs, two.read(q).outputs)
    assert one.touched == two.touched > 0


def test_bench_data_is_reproducible_from_its_key():
    A1, Q1, d1 = bench_data(130, 500, 3, seed=2)
    A2, Q2, d2 = bench_data(130, 500, 3, seed=2)
    assert np.array_equal(A1, A2) and np.array_equal(Q1, Q2) and d1 == d2
    assert not np.array_equal(bench_data(130, 500, 3, seed=3)[0], A1)
    assert int(A1[:, -1].max()) < 2 ** (130 - 128)  # tail bits beyond n are zero
    with pytest.raises(ValueError, match="batch"):
        bench_data(64, 10, 0, seed=0)


def test_popcount_limit_follows_the_flags():
    assert popcount_limit({"avx512_vpopcntdq", "avx2"}, 1.0)["words_per_cycle"] == 8.0
    assert popcount_limit(set(), 3.0)["words_per_s"] == pytest.approx(4e9)
    lim = popcount_limit({"avx2"}, 2.5)
    assert lim["words_per_s"] == pytest.approx(2 * 2.5e9) and lim["scalar_words_per_s"] < lim["words_per_s"]


def test_targets_table_reads_the_ratios_it_reports():
    import pandas as pd

    rows = []
    for section, method, n, batch, threads, per_query in [
        ("batch", "numba scan", 1024, 64, 1, 0.004), ("batch", "numba scan", 1024, 1, 1, 0.01),
        ("threads", "numba scan", 1024, 64, 1, 0.004), ("threads", "numba scan", 1024, 64, 2, 0.002),
        ("threads", "NeuronSDM.read", 1024, 64, 1, 0.005), ("threads", "NeuronSDM.read", 1024, 64, 2, 0.004),
        ("threads", "NeuronSDM.write", 1024, 64, 1, 0.006), ("threads", "NeuronSDM.write", 1024, 64, 2, 0.005),
        ("numpy", "numpy scan", 1024, 1, 1, 0.03), ("numpy", "numpy scan", 1024, 1, 2, 0.012)]:
        rows.append(dict(section=section, method=method, n=n, r=10**6, batch=batch, threads=threads,
                         per_query=per_query, seconds=per_query * batch, floor=0.008))
    t = targets_table(pd.DataFrame(rows), {"popcount_limit": popcount_limit({"avx2"}, 3.0)}).set_index("target")
    assert t.loc["batch 64, n=1024: read scan per query", "measured"] == 0.5
    assert t.loc["batch 64, n=1024: read scan per query", "met"] == "no"
    assert t.loc["2 threads, batch-64 scan speed-up", "met"] == "yes"   # 2.0 >= 1.7, at most 2
    assert t.loc["2 threads, batch-64 read speed-up", "met"] == "no"    # 1.25
    assert t.loc["numpy fallback, one query, n=1024", "measured"] == 3.75
    assert t.loc["numpy fallback, 2 threads (wall), one query, n=1024", "measured"] == 1.5
    assert t.loc["numpy fallback, 2 threads (wall), one query, n=1024", "met"] == "yes"
    without = targets_table(pd.DataFrame(rows[:-1]), {}).target  # a run stored before the 2-thread row
    assert not without.str.contains("numpy fallback, 2 threads").any()
    assert t.loc["faiss / numba, one query, n=64", "met"] == "n/a"      # no yardstick rows
    assert t.loc["compute limit of this CPU (per query, n=1024)", "met"] == "info"
    # a 2-thread speed-up above 2 is flagged as disturbed, never as met
    faster = pd.DataFrame(rows).assign(seconds=lambda f: np.where(
        (f.method == "NeuronSDM.write") & (f.threads == 2), 0.001, f.seconds))
    t2 = targets_table(faster, {}).set_index("target")
    assert t2.loc["2 threads, batch-64 write speed-up", "met"].startswith("disturbed")


@pytest.mark.parametrize("script", ["faiss_range", "dense_cdist", "simsimd_hamming"])
def test_yardstick_scripts_check_before_they_time(tmp_path, script):
    """Each yardstick finds the reference sets, and refuses (non-zero exit) a wrong reference."""
    pytest.importorskip({"faiss_range": "faiss", "dense_cdist": "torch", "simsimd_hamming": "simsimd"}[script])
    A, Q, d = bench_data(128, 3000, 3, seed=1)
    ptr, idx = scan_within_radius(A, Q, d, backend="numpy")
    good, bad = tmp_path / "good.npz", tmp_path / "bad.npz"
    np.savez(good, A=np.ascontiguousarray(A), Q=Q, n=128, d=d, ptr=ptr, idx=idx, repeats=1)
    np.savez(bad, A=np.ascontiguousarray(A), Q=Q, n=128, d=d, ptr=ptr, idx=idx[::-1].copy() + 1, repeats=1)
    path = ROOT / "benchmarks" / "yardsticks" / f"{script}.py"
    ok = subprocess.run([sys.executable, str(path), str(good), "1", "3"], capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr
    rows = [json.loads(line) for line in ok.stdout.splitlines() if line.startswith("{")]
    assert [row["batch"] for row in rows] == [1, 3] and all(row["seconds"] > 0 for row in rows)
    assert rows[1]["active"] == int(ptr[3])
    wrong = subprocess.run([sys.executable, str(path), str(bad), "3"], capture_output=True, text=True, timeout=300)
    assert wrong.returncode != 0 and "AssertionError" in wrong.stderr


@needs_numba
@pytest.mark.parametrize("threads", [2, 3, 7])
def test_threaded_write_and_row_sums_equal_the_serial_loops_and_a_dense_product(threads):
    """Each thread owns a block of counter rows (writes) or of queries (sums): no counter may be
    added twice at a block edge or skipped, for any thread count and with spare counter capacity."""
    from sdmlib.memories._scan import accumulate_writes, sum_active_rows

    rng = np.random.default_rng(SEED + threads)
    n_rows, used, m, width = 300, 257, 90, 5  # rows >= used are spare capacity, never written
    segments = [np.sort(rng.choice(used, size=rng.integers(0, 40), replace=False)) for _ in range(m)]
    segments[3] = np.array([0, used - 1])  # both ends of the used range
    indptr = np.concatenate([[0], np.cumsum([len(s) for s in segments])]).astype(np.int64)
    rows = np.concatenate(segments).astype(np.int64)
    values = rng.integers(-1, 2, size=(m, width)).astype(np.int32)
    incidence = np.zeros((m, n_rows), np.int64)
    for mu, seg in enumerate(segments):
        incidence[mu, seg] = 1
    serial = np.zeros((n_rows, width), np.int32), np.zeros(n_rows, np.int64)
    accumulate_writes(*serial, rows, indptr, values)
    par = np.zeros((n_rows, width), np.int32), np.zeros(n_rows, np.int64)
    accumulate_writes(*par, rows, indptr, values, threads=threads)
    accumulate_writes(*par, rows, indptr, values, threads=threads)  # a second write accumulates
    assert np.array_equal(par[0], 2 * (incidence.T @ values)) and np.array_equal(par[1], 2 * incidence.sum(0))
    assert np.array_equal(par[0], 2 * serial[0].astype(np.int64))
    # reads: some queries hit unwritten neurons (-1), some are empty, one query only
    q_rows = np.where(rng.random(rows.size) < 0.2, -1, rows)
    ref = sum_active_rows(par[0], q_rows, indptr)
    for B in (m, 1):
        got = sum_active_rows(par[0], q_rows, indptr[: B + 1], threads=threads)
        assert np.array_equal(got[0], ref[0][:B]) and np.array_equal(got[1], ref[1][:B])
    assert ref[1].sum() > 0 and (ref[1] == 0).any()


@pytest.mark.parametrize("n", [64, 130, 1000])
def test_numpy_route_with_ragged_chunks_odd_words_and_threads_equals_brute_force(n):
    """r is not a multiple of the chunk (a short last chunk), n = 130 has an odd number of words
    (the unpaired popcount row), n = 64 a single word; threads split at chunk boundaries."""
    from sdmlib.memories._scan import NUMPY_CHUNK, _scan_numpy

    rng = np.random.default_rng(SEED + 40 + n)
    r = 3 * 4096 + 77
    X = rng.integers(0, 2, size=(r, n), dtype=np.uint8)
    Q = np.concatenate([rng.integers(0, 2, size=(3, n), dtype=np.uint8), X[-2:]])  # the last neurons are hits
    d = n // 2 - int(1.5 * np.sqrt(n))
    expected = _brute(X, Q, d)
    AT = np.ascontiguousarray(pack_bits(X).T)
    for threads, chunk in ((None, NUMPY_CHUNK), (None, 4096), (2, 4096), (3, 1000), (None, 333)):
        got = _sets(*_scan_numpy(AT, pack_bits(Q), d, threads, chunk))
        assert all(np.array_equal(g, e) for g, e in zip(got, expected)), (threads, chunk)
    public = _sets(*scan_within_radius(np.asfortranarray(pack_bits(X)), pack_bits(Q), d, backend="numpy", threads=2))
    assert all(np.array_equal(g, e) for g, e in zip(public, expected))
    assert all(e.size for e in expected) and expected[-1][-1] == r - 1


@pytest.mark.parametrize("n", [192, 256, 1000])
def test_numpy_route_group_sums_do_not_wrap_at_the_largest_distances(n):
    """A neuron that differs from the query in every bit has popcount 64 in each word: the uint8 group
    sums must hold it exactly (a wrap would make it look close), for every query of a batch."""
    rng = np.random.default_rng(SEED + 50 + n)
    X = rng.integers(0, 2, size=(3000, n), dtype=np.uint8)
    Q = 1 - X[[5, 17, 2999]]  # complements: distance n from neurons 5, 17, 2999
    A = np.asfortranarray(pack_bits(X))
    for d in (n - 1, n):
        got = _sets(*scan_within_radius(A, pack_bits(Q), d, backend="numpy"))
        assert all(np.array_equal(g, e) for g, e in zip(got, _brute(X, Q, d)))
        assert (5 in got[0]) == (d == n) and (2999 in got[2]) == (d == n)


def test_thread_counts_are_validated_by_name():
    from sdmlib.memories._scan import accumulate_writes, sum_active_rows

    C, h = np.zeros((2, 1), np.int32), np.zeros(2, np.int64)
    rows, indptr = np.array([0, 1]), np.array([0, 2])
    with pytest.raises(ValueError, match="threads"):
        accumulate_writes(C, h, rows, indptr, np.ones((1, 1), np.int32), threads=0)
    with pytest.raises(ValueError, match="threads"):
        sum_active_rows(C, rows, indptr, threads=0)
    with pytest.raises(ValueError, match="threads"):
        scan_within_radius(np.zeros((3, 1), np.uint64), np.zeros((1, 1), np.uint64), 1, backend="numpy", threads=0)


def test_planning_benchmark_refuses_unknown_sections_before_timing_anything():
    from sdmlib.memories.benchmark import SECTIONS, run_planning_benchmark

    assert {"threads", "numpy"} <= set(SECTIONS)
    for bad in (("threads", "nmpy"), ()):
        with pytest.raises(ValueError, match="sections"):
            run_planning_benchmark(quick=True, sections=bad, log=lambda s: pytest.fail(f"ran: {s}"))
