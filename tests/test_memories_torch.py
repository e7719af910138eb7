"""The torch back end of sdmlib.memories against the numpy and numba routes, on the CPU.

* the torch scan (exact {0,1} x ±1 products) == `scan_within_radius` (numpy, numba) and an
  unpacked count, for several n, radii, block sizes, both unpack paths and every exact dtype;
* the documented dtype limit is real: bf16 products are wrong beyond n = 256 on this machine;
* NeuronSDM(backend="torch") == numpy == numba: same neurons from the same seed, same
  counters, reads, retrieves, empty flags, on_empty modes, hetero-associative pointers, batch
  of one, reads before any write, r = None;
* PatternSDM / ContinuousSDM (incl. stochastic rounding from the same seed) and the
  attention memories: torch == numpy (binary exactly, real within 1e-12, float32 within 1e-5);
* validation (device, dtype, backend) and that `import sdmlib.memories` does not import torch.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sdmlib.hamming import pack_bits  # noqa: E402
from sdmlib.memories import (  # noqa: E402
    ContinuousSDM,
    NeuronSDM,
    PatternSDM,
    SDMAttention,
    TransformerAttention,
    numba_available,
    scan_within_radius,
)
from sdmlib.memories import _torch as tb  # noqa: E402
from sdmlib.perturb import hamming_perturb  # noqa: E402

SEED = 20211207
NEURON_BACKENDS = ["numpy"] + (["numba"] if numba_available() else [])


def bits(rng, m, n):
    return rng.integers(0, 2, size=(m, n), dtype=np.uint8)


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Tiny tensors: one intra-op thread is faster (and immune to a loaded machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of a few thousand elements, so that every scan and gather runs over several blocks."""
    monkeypatch.setattr(tb, "_BLOCK_ELEMENTS", {"cpu": 6000, "cuda": 6000})
    monkeypatch.setattr(tb, "_GATHER_ELEMENTS", 2000)


# --------------------------------------------------------------------------- the scan
@pytest.mark.parametrize("n", [1, 7, 64, 100, 130])
def test_torch_scan_equals_reference_scans_and_unpacked_count(n, small_blocks):
    rng = np.random.default_rng(SEED + n)
    X = bits(rng, 900, n)
    Q = np.concatenate([bits(rng, 5, n), X[:2]])
    A = np.asfortranarray(pack_bits(X))
    for d in sorted({0, max(0, n // 2 - 2), n // 2 + 1, n}):
        expected = [np.flatnonzero((X != q).sum(axis=1) <= d) for q in Q]
        ref = scan_within_radius(A, pack_bits(Q), d, backend="numpy")
        for layout in (A, np.ascontiguousarray(A)):
            ptr, idx = tb.scan_within_radius_torch(layout, pack_bits(Q), n, d)
            assert np.array_equal(ptr, ref[0]) and np.array_equal(idx, ref[1]), (n, d)
            assert ptr.dtype == idx.dtype == np.int64
        assert all(np.array_equal(idx[ptr[b]:ptr[b + 1]], e) for b, e in enumerate(expected))
        if numba_available():
            nb = scan_within_radius(A, pack_bits(Q), d, backend="numba")
            assert np.array_equal(nb[0], ptr) and np.array_equal(nb[1], idx)


@pytest.mark.parametrize("dtype,n", [("float16", 2048), ("bfloat16", 256), ("float64", 200), ("float32", 1000)])
def test_torch_scan_is_exact_at_the_dtype_limit(dtype, n):
    # radius at the median distance: many neurons sit exactly on the boundary d_H = d
    rng = np.random.default_rng(SEED)
    X = bits(rng, 600, n)
    Q = bits(rng, 3, n)
    d = n // 2
    ref = scan_within_radius(pack_bits(X), pack_bits(Q), d, backend="numpy")
    on_edge = int(((X[None] != Q[:, None]).sum(-1) == d).sum())
    assert on_edge > 0
    for unpack in ("numpy", "torch"):  # the CUDA unpack path, run on the CPU
        nt = tb.NeuronTorch(pack_bits(X), n, d, torch.device("cpu"), getattr(torch, dtype), unpack=unpack)
        got = nt.scan(Q)
        assert np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1]), (dtype, unpack)


def test_bf16_products_beyond_the_documented_limit_are_not_exact():
    """Why PRODUCT_MAX_N exists: bf16 (8-bit significand) rounds integer sums above 256."""
    rng = np.random.default_rng(SEED)
    n = 1024
    X = torch.from_numpy(bits(rng, 200, n)).to(torch.bfloat16)
    S = torch.ones((2, n), dtype=torch.bfloat16)  # the all-ones query: s.x = |x|, about 512
    exact = S.double() @ X.double().T
    assert torch.equal(exact[0], X.double().sum(1))
    wrong = (S @ X.T).double() != exact  # above 256, bf16 holds only even (above 512: multiples of 4) integers
    assert wrong.float().mean() > 0.25
    with pytest.raises(ValueError, match="dtype bfloat16 makes exact Hamming products only for n <= 256"):
        NeuronSDM(n=n, d=400, r=10, backend="torch", dtype="bfloat16")


# --------------------------------------------------------------------------- NeuronSDM
def _neuron_pair(n, d, r, seed, **kw):
    mems = {b: NeuronSDM(n=n, d=d, r=r, seed=seed, backend=b, **kw) for b in NEURON_BACKENDS + ["torch"]}
    return mems


def _same_reads(a, b):
    return np.array_equal(a.outputs, b.outputs) and np.array_equal(a.empty, b.empty)


def test_neuron_sdm_torch_equals_numpy_and_numba(small_blocks):
    rng = np.random.default_rng(SEED + 1)
    n, d, r = 100, 35, 4000
    P = bits(rng, 60, n)
    queries = np.concatenate([hamming_perturb(P[:30], 8, seed=rng), bits(rng, 10, n)])
    mems = _neuron_pair(n, d, r, seed=9)
    for mem in mems.values():
        mem.write(P[:25]).write(P[25:])  # writes accumulate, counters grow twice
    ref = mems["numpy"]
    C_ref, h_ref = ref.counters()
    res_ref = ref.read(queries)
    assert res_ref.n_empty > 0 and res_ref.n_empty < len(queries)  # both branches exercised
    for name, mem in mems.items():
        assert np.array_equal(mem.addresses, ref.addresses), name  # same seed, same neurons
        C, h = mem.counters()
        assert np.array_equal(C, C_ref) and np.array_equal(h, h_ref) and mem.touched == ref.touched, name
        assert _same_reads(mem.read(queries), res_ref), name
        got, exp = mem.active_neurons(queries[:5]), ref.active_neurons(queries[:5])
        assert all(np.array_equal(g, e) for g, e in zip(got, exp)), name
    ret = [m.retrieve(queries, max_steps=6) for m in mems.values()]
    for r_ in ret[1:]:
        assert np.array_equal(r_.outputs, ret[0].outputs) and np.array_equal(r_.steps, ret[0].steps)
        assert np.array_equal(r_.empty_reads, ret[0].empty_reads)


@pytest.mark.parametrize("on_empty", ["keep", "zero", "original"])
def test_neuron_sdm_torch_empty_reads_hetero_pointers_and_batch_of_one(on_empty):
    rng = np.random.default_rng(SEED + 2)
    n, d, r = 16, 2, 300  # most balls of radius 2 among 65 536 points are empty
    A, Pt = bits(rng, 30, n), bits(rng, 30, n)
    Q = bits(rng, 40, n)
    mems = _neuron_pair(n, d, r, seed=5, on_empty=on_empty)
    before = [m.read(Q) for m in mems.values()]  # m = 0: every read empty
    assert all(b.n_empty == len(Q) and _same_reads(b, before[0]) for b in before)
    for m in mems.values():
        m.write(A, Pt)  # hetero-associative, same width
    res = [m.read(Q) for m in mems.values()]
    assert 0 < res[0].n_empty < len(Q)
    assert all(_same_reads(x, res[0]) for x in res[1:])
    one = [m.read(Q[3]) for m in mems.values()]  # 1-D query: 1-D output, scalar flag
    assert one[0].outputs.shape == (n,) and np.ndim(one[0].empty) == 0
    assert all(np.array_equal(o.outputs, one[0].outputs) and o.empty == one[0].empty for o in one)
    # pointers of another width: reads agree with on_empty='zero'
    if on_empty != "keep":
        wide = _neuron_pair(n, d, r, seed=5, on_empty=on_empty)
        ptr = bits(rng, 30, 23)
        outs = [m.write(A, ptr).read(Q) for m in wide.values()]
        assert outs[0].outputs.shape == (len(Q), 23)
        assert all(_same_reads(o, outs[0]) for o in outs[1:])


def test_neuron_sdm_torch_all_addresses_and_threads():
    rng = np.random.default_rng(SEED + 3)
    n = 10
    P = bits(rng, 20, n)
    Q = np.concatenate([P, bits(rng, 50, n)])
    for d in (1, 3):
        a = NeuronSDM(n=n, d=d, r=None).write(P).read(Q)
        b = NeuronSDM(n=n, d=d, r=None, backend="torch", threads=1).write(P).read(Q)
        assert _same_reads(a, b), d
    assert torch.get_num_threads() >= 1  # the threads context restored torch's setting


# --------------------------------------------------------------------------- pattern-based
@pytest.mark.parametrize(
    "kw",
    [
        dict(n=100, d=20),  # r = None: exact counts
        dict(n=100, d=20, r=2000, seed=3),  # stochastic, table-lookup route
        dict(n=100, d=40, r=1e20, seed=4),  # stochastic, log-space route (expected counts > e^36)
        dict(n=100, d=20, r=2000, stochastic=False),
        dict(n=64, d=11, dtype="float16"),
        dict(n=64, d=11, dtype="bfloat16"),
    ],
)
def test_pattern_sdm_torch_equals_numpy(kw):
    rng = np.random.default_rng(SEED + 4)
    n = kw["n"]
    P, Pt = bits(rng, 70, n), bits(rng, 70, n)
    Q = np.concatenate([hamming_perturb(P[:30], 10, seed=rng), bits(rng, 20, n)])
    ref_kw = {k: v for k, v in kw.items() if k != "dtype"}
    a = PatternSDM(**ref_kw).write(P[:40]).write(P[40:])
    b = PatternSDM(**kw, backend="torch").write(P[:40]).write(P[40:])
    assert np.array_equal(a.log_weights(Q), b.log_weights(Q))
    for _ in range(2):  # twice: the generators advance identically
        assert _same_reads(a.read(Q), b.read(Q))
    ra, rb = a.retrieve(Q, max_steps=5), b.retrieve(Q, max_steps=5)
    assert np.array_equal(ra.outputs, rb.outputs) and np.array_equal(ra.steps, rb.steps)
    if "seed" in kw:
        assert a.rng.random() == b.rng.random()
    h_a = PatternSDM(**ref_kw, on_empty="zero").write(P, Pt).read(Q)
    h_b = PatternSDM(**kw, on_empty="zero", backend="torch").write(P, Pt).read(Q)
    assert _same_reads(h_a, h_b)


def test_stochastic_rounding_on_tensors_equals_numpy_route():
    from sdmlib.memories.pattern import _LOG_EXACT, _stochastic_round_log

    rng = np.random.default_rng(SEED + 9)
    with np.errstate(divide="ignore"):
        logw = np.log(rng.uniform(0, 5, size=(40, 30)))
    logw[0, :3] = [-np.inf, 40.0, 36.5]  # empty, and two entries above the exact-rounding cut
    ref = _stochastic_round_log(logw, np.random.default_rng(4))
    got = tb.stochastic_round_log(torch.from_numpy(logw), np.random.default_rng(4), _LOG_EXACT).numpy()
    assert np.array_equal(got, ref)
    assert len(np.unique(np.exp(ref[1:]).round(9))) <= 6  # integers 0..5 after rounding


def test_pattern_sdm_torch_empty_reads_follow_on_empty():
    rng = np.random.default_rng(SEED + 5)
    n, d = 64, 3  # patterns farther than 2d = 6: nothing in range
    P = bits(rng, 10, n)
    Q = bits(rng, 6, n)
    for on_empty in ("keep", "zero", "original"):
        a = PatternSDM(n=n, d=d, on_empty=on_empty).write(P).read(Q)
        b = PatternSDM(n=n, d=d, on_empty=on_empty, backend="torch").write(P).read(Q)
        assert b.n_empty == len(Q) and _same_reads(a, b)


@pytest.mark.parametrize(
    "kw",
    [
        dict(d=11),
        dict(d=11, r=3e10, seed=2),  # expected counts up to ~1e2: the rounding shows in the outputs
        dict(d=11, intersection="binary"),
        dict(d=11, intersection="binary", r=1e8, seed=6),
    ],
)
def test_continuous_sdm_torch_equals_numpy(kw):
    rng = np.random.default_rng(SEED + 6)
    n = 64
    X = rng.standard_normal((50, n))
    V = rng.standard_normal((50, 9))
    Q = X[:30] + 0.4 * rng.standard_normal((30, n))
    a = ContinuousSDM(n=n, **kw).write(X[:20]).write(X[20:])
    b = ContinuousSDM(n=n, **kw, backend="torch").write(X[:20]).write(X[20:])
    la, lb = a.log_weights(Q), b.log_weights(Q)
    assert np.array_equal(np.isinf(la), np.isinf(lb))
    assert np.allclose(la[np.isfinite(la)], lb[np.isfinite(lb)], rtol=0, atol=1e-9)
    for _ in range(2):
        ra, rb = a.read(Q), b.read(Q)
        assert np.array_equal(ra.empty, rb.empty)
        assert np.abs(ra.outputs - rb.outputs).max() < 1e-12
    ta, tb_ = a.retrieve(Q, max_steps=5), b.retrieve(Q, max_steps=5)
    assert np.abs(ta.outputs - tb_.outputs).max() < 1e-10 and np.array_equal(ta.steps, tb_.steps)
    hetero_a = ContinuousSDM(n=n, **kw, on_empty="zero").write(X, V).read(Q)
    hetero_b = ContinuousSDM(n=n, **kw, on_empty="zero", backend="torch").write(X, V).read(Q)
    assert hetero_b.outputs.shape == (30, 9) and np.abs(hetero_a.outputs - hetero_b.outputs).max() < 1e-12


def test_continuous_torch_float32_within_tolerance():
    rng = np.random.default_rng(SEED + 7)
    n = 64
    X = rng.standard_normal((40, n))
    Q = X + 0.3 * rng.standard_normal(X.shape)
    for mk in (lambda **k: ContinuousSDM(n=n, d=11, **k), lambda **k: SDMAttention(n=n, beta=15.0, **k)):
        a = mk().write(X).read(Q).outputs
        b = mk(backend="torch", dtype=torch.float32).write(X).read(Q).outputs
        assert b.dtype == np.float64
        err = np.abs(a - b).max()
        assert 0 < err < 1e-5  # float32 products: not bit-equal, but close


# --------------------------------------------------------------------------- attention
@pytest.mark.parametrize("space", ["binary", "continuous"])
def test_attention_torch_equals_numpy(space):
    rng = np.random.default_rng(SEED + 8)
    n = 64
    if space == "binary":
        P = bits(rng, 60, n)
        Q = hamming_perturb(P[:30], 8, seed=rng)
    else:
        P = rng.standard_normal((60, n))
        Q = P[:30] + 0.3 * rng.standard_normal((30, n))
    for mk in (
        lambda **k: SDMAttention(n=n, d=11, space=space, **k),
        lambda **k: SDMAttention(n=n, beta=40.0, space=space, **k),
        lambda **k: TransformerAttention(n=n, space=space, **k),
    ):
        a, b = mk().write(P), mk(backend="torch").write(P)
        assert a.beta == b.beta
        assert np.abs(a.cosines(Q) - b.cosines(Q)).max() < 1e-12
        assert np.abs(a.weights(Q) - b.weights(Q)).max() < 1e-12
        ra, rb = a.read(Q), b.read(Q)
        if space == "binary":
            assert _same_reads(ra, rb)
            assert np.array_equal(a.retrieve(Q).outputs, b.retrieve(Q).outputs)
        else:
            assert np.abs(ra.outputs - rb.outputs).max() < 1e-12
        one = b.read(Q[0])
        assert one.outputs.shape == (n,) and not one.empty


# --------------------------------------------------------------------------- options
def test_torch_options_are_validated():
    with pytest.raises(ValueError, match="device applies to backend='torch' only"):
        PatternSDM(n=8, d=2, device="cpu")
    with pytest.raises(ValueError, match="dtype applies to backend='torch' only"):
        NeuronSDM(n=8, d=2, r=10, dtype="float32")
    with pytest.raises(ValueError, match="device must be 'cpu' or 'cuda'"):
        SDMAttention(n=8, beta=1.0, backend="torch", device="tpu")
    with pytest.raises(TypeError, match="device must be a string"):
        SDMAttention(n=8, beta=1.0, backend="torch", device=3.5)
    with pytest.raises(ValueError, match="dtype must be one of"):
        PatternSDM(n=8, d=2, backend="torch", dtype="int8")
    with pytest.raises(ValueError, match="dtype must be one of 'float64', 'float32'"):
        ContinuousSDM(n=8, d=2, backend="torch", dtype="float16")
    with pytest.raises(ValueError, match="float16 makes exact Hamming products only for n <= 2048"):
        PatternSDM(n=2049, d=2, backend="torch", dtype=torch.float16)
    with pytest.raises(ValueError, match="backend must be one of"):
        PatternSDM(n=8, d=2, backend="cuda")
    with pytest.raises(ValueError, match="n must be an integer"):
        z = pack_bits(np.zeros((3, 70), np.uint8))
        tb.scan_within_radius_torch(z, z[:1], 60, 3)  # 70 coordinates need n in 65..128
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device='cuda' needs a CUDA GPU"):
            NeuronSDM(n=64, d=20, r=100, backend="torch", device="cuda")


def test_import_of_memories_does_not_import_torch():
    code = "import sys, sdmlib.memories; sdmlib.memories.PatternSDM(n=8, d=2); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU (the CPU tests above cover the same code)")
def test_cuda_route_equals_numpy_route():
    rng = np.random.default_rng(SEED + 10)
    n = 256
    P = bits(rng, 200, n)
    Q = hamming_perturb(P[:50], 20, seed=rng)
    for dtype in (None, "float32", "bfloat16"):
        a = NeuronSDM(n=n, d=100, r=20000, seed=1, backend="numpy").write(P)
        b = NeuronSDM(n=n, d=100, r=20000, seed=1, backend="torch", device="cuda", dtype=dtype).write(P)
        assert _same_reads(a.read(Q), b.read(Q)) and np.array_equal(a.counters()[0], b.counters()[0])
        pa = PatternSDM(n=n, d=60, r=5000, seed=2).write(P)
        pb = PatternSDM(n=n, d=60, r=5000, seed=2, backend="torch", device="cuda", dtype=dtype).write(P)
        assert _same_reads(pa.read(Q), pb.read(Q))
    X = rng.standard_normal((100, n))
    ca = SDMAttention(n=n, beta=30.0).write(X).read(X[:20] + 0.1)
    cb = SDMAttention(n=n, beta=30.0, backend="torch", device="cuda").write(X).read(X[:20] + 0.1)
    assert np.abs(ca.outputs - cb.outputs).max() < 1e-12
