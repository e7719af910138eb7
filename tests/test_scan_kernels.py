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
        ("numpy", "numpy scan", 1024, 1, 1, 0.03)]:
        rows.append(dict(section=section, method=method, n=n, r=10**6, batch=batch, threads=threads,
                         per_query=per_query, seconds=per_query * batch, floor=0.008))
    t = targets_table(pd.DataFrame(rows), {"popcount_limit": popcount_limit({"avx2"}, 3.0)}).set_index("target")
    assert t.loc["batch 64, n=1024: read scan per query", "measured"] == 0.5
    assert t.loc["batch 64, n=1024: read scan per query", "met"] == "no"
    assert t.loc["2 threads, batch-64 scan speed-up", "met"] == "yes"   # 2.0 >= 1.7, at most 2
    assert t.loc["2 threads, batch-64 read speed-up", "met"] == "no"    # 1.25
    assert t.loc["numpy fallback, one query, n=1024", "measured"] == 3.75
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
