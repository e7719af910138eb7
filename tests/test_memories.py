"""Tests of sdmlib.memories against independent routes.

* every model against a tiny loop-based, unpacked brute-force reference;
* the neuron scan's back ends (numba serial, numba threaded, numpy) against each other;
* neuron-based SDM activations and intersections against sdmlib.geometry (Monte Carlo, 4 SE);
* r = 2**n neuron-based SDM == pattern-based SDM with r=None;
* SDM attention with the fitted beta vs pattern-based SDM: a provable margin criterion and
  agreement of retrievals where the softmax approximation is tight;
* the zero-collapse regression (experiments spec, section 9.2).
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from sdmlib import geometry
from sdmlib.hamming import pack_bits, unpack_bits
from sdmlib.memories import (
    COUNTER_DTYPE,
    ContinuousSDM,
    Hopfield,
    NeuronSDM,
    PatternSDM,
    SDMAttention,
    TransformerAttention,
    numba_available,
    scan_within_radius,
)
from sdmlib.memories import neuron as neuron_module
from sdmlib.memories.pattern import _stochastic_round_log
from sdmlib.perturb import hamming_perturb

SEED = 20211206


def hamming(a, b) -> int:
    return sum(int(x != y) for x, y in zip(a, b))


def bits(rng, m, n):
    return rng.integers(0, 2, size=(m, n), dtype=np.uint8)


# --------------------------------------------------------------------------- brute-force references
def brute_neuron_read(neurons, d, addresses, pointers, queries):
    """Kanerva's SDM with explicit loops over neurons, patterns and bits (no packing)."""
    r = len(neurons)
    n_out = pointers.shape[1]
    x_v = [[0] * n_out for _ in range(r)]  # counts of ones written
    h = [0] * r  # number of patterns written
    for a, p in zip(addresses, pointers):
        for t in range(r):
            if hamming(a, neurons[t]) <= d:
                h[t] += 1
                for i in range(n_out):
                    x_v[t][i] += int(p[i])
    outs, empties = [], []
    for q in queries:
        act = [t for t in range(r) if hamming(q, neurons[t]) <= d]
        den = sum(h[t] for t in act)
        if den == 0:
            outs.append(None)
            empties.append(True)
            continue
        outs.append([int(Fraction(sum(x_v[t][i] for t in act), den) > Fraction(1, 2)) for i in range(n_out)])
        empties.append(False)
    return outs, empties


def brute_pattern_read(n, d, addresses, pointers, queries):
    """Pattern-based SDM with exact integer weights counted by enumerating all 2**n points."""
    space = list(itertools.product((0, 1), repeat=n))
    outs = []
    for q in queries:
        w = []
        for a in addresses:
            w.append(sum(1 for y in space if hamming(y, q) <= d and hamming(y, a) <= d))
        tot = sum(w)
        if tot == 0:
            outs.append(None)
            continue
        outs.append([int(Fraction(sum(wi * int(p[i]) for wi, p in zip(w, pointers)), tot) > Fraction(1, 2))
                     for i in range(pointers.shape[1])])
    return outs


# --------------------------------------------------------------------------- scans
@pytest.mark.parametrize("n", [7, 64, 100, 130])
def test_scan_backends_agree_with_unpacked_loop(n):
    rng = np.random.default_rng(SEED + n)
    X = bits(rng, 700, n)
    Q = np.concatenate([bits(rng, 5, n), X[:2]])
    d = n // 2 - 2
    expected = [np.flatnonzero((X != q).sum(axis=1) <= d) for q in Q]
    A = np.asfortranarray(pack_bits(X))
    variants = [dict(backend="numpy")]
    if numba_available():
        variants += [dict(backend="numba"), dict(backend="numba", threads=2), dict(backend="numba", block=7)]
    for kw in variants:
        for layout in (A, np.ascontiguousarray(A)):
            ptr, idx = scan_within_radius(layout, pack_bits(Q), d, **kw)
            got = [idx[ptr[b]:ptr[b + 1]] for b in range(len(Q))]
            assert all(np.array_equal(g, e) for g, e in zip(got, expected)), kw


def test_scan_radius_is_inclusive_and_validated():
    X = np.array([[0, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0]], dtype=np.uint8)
    q = np.zeros((1, 4), dtype=np.uint8)
    ptr, idx = scan_within_radius(pack_bits(X), pack_bits(q), 2)
    assert idx.tolist() == [0, 1]
    with pytest.raises(ValueError, match="d must be"):
        scan_within_radius(pack_bits(X), pack_bits(q), -1)
    with pytest.raises(TypeError, match="uint64"):
        scan_within_radius(X, pack_bits(q), 1)
    with pytest.raises(ValueError, match="backend"):
        scan_within_radius(pack_bits(X), pack_bits(q), 1, backend="gpu")


# --------------------------------------------------------------------------- NeuronSDM
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_neuron_sdm_matches_brute_force(backend):
    if backend == "numba" and not numba_available():
        pytest.skip("numba not installed")
    rng = np.random.default_rng(SEED)
    n, d, r = 16, 3, 400
    addresses, pointers = bits(rng, 12, n), bits(rng, 12, 11)  # hetero-associative
    queries = np.concatenate([addresses[:4], bits(rng, 12, n)])
    mem = NeuronSDM(n=n, d=d, r=r, seed=3, backend=backend, on_empty="zero")
    mem.write(addresses[:5], pointers[:5]).write(addresses[5:], pointers[5:])  # writes accumulate
    neurons = unpack_bits(np.ascontiguousarray(mem.addresses), n)
    expected, empties = brute_neuron_read(neurons, d, addresses, pointers, queries)
    res = mem.read(queries)
    assert res.empty.tolist() == empties
    assert any(empties) and not all(empties)  # both branches exercised
    for got, exp in zip(res.outputs, expected):
        assert got.tolist() == (exp if exp is not None else [0] * 11)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_neuron_sdm_batch_ending_in_empty_reads_matches_single_reads(backend):
    # Regression: queries with no active neuron at the END of a batch once crashed the
    # per-query bookkeeping (np.add.reduceat indexing past the end).
    if backend == "numba" and not numba_available():
        pytest.skip("numba not installed")
    rng = np.random.default_rng(SEED + 7)
    n, d, r = 16, 2, 300
    addresses = bits(rng, 40, n)
    mem = NeuronSDM(n=n, d=d, r=r, seed=5, backend=backend).write(addresses)
    neurons = unpack_bits(np.ascontiguousarray(mem.addresses), n)
    # a stored address with a neuron within d wrote to it, so its read is not empty
    near = [a for a in addresses if ((neurons != a).sum(1) <= d).any()][:3]
    far = [q for q in bits(rng, 400, n) if ((neurons != q).sum(1) > d).all()][:3]
    assert len(near) == 3 and len(far) == 3  # r = 300 of 65 536: most balls of radius 2 are empty
    queries = np.concatenate([np.array(near), np.array(far)])
    batch = mem.read(queries)
    assert batch.empty.tolist() == [False] * 3 + [True] * 3
    for q, out in zip(queries, batch.outputs):
        single = mem.read(q[None, :])
        assert out.tolist() == single.outputs[0].tolist()
    assert np.array_equal(batch.outputs[3:], queries[3:])  # empty reads keep the query


def test_neuron_sdm_threads_and_backends_give_identical_reads():
    rng = np.random.default_rng(SEED + 1)
    P = bits(rng, 64, 100)
    q = hamming_perturb(P, 10, seed=rng)
    outs = []
    kws = [dict(backend="numpy")]
    if numba_available():
        kws += [dict(backend="numba"), dict(backend="numba", threads=2)]
    for kw in kws:
        mem = NeuronSDM(n=100, d=40, r=5000, seed=9, **kw).write(P)
        outs.append(mem.read(q).outputs)
    assert all(np.array_equal(o, outs[0]) for o in outs[1:])


def test_neuron_sdm_all_addresses_equals_pattern_sdm():
    """r = 2**n (a neuron at every address) makes the neuron SDM's reads the pattern SDM's."""
    rng = np.random.default_rng(SEED + 2)
    n = 12
    P = bits(rng, 40, n)
    queries = np.concatenate([P, bits(rng, 200, n)])
    for d in (2, 3, 4, 5):
        a = NeuronSDM(n=n, d=d, r=None).write(P).read(queries)
        b = PatternSDM(n=n, d=d, r=None).write(P).read(queries)
        assert np.array_equal(a.outputs, b.outputs), d
        assert np.array_equal(a.empty, b.empty), d


def test_neuron_sdm_activation_matches_geometry_within_4_se():
    """Mean active neurons = r p(d); mean |A(xi) & A(p)| = expected_neurons_in_intersection."""
    rng = np.random.default_rng(SEED + 3)
    n, d, r = 100, 42, 20000
    mem = NeuronSDM(n=n, d=d, r=r, seed=rng)
    queries = bits(rng, 300, n)
    counts = np.array([a.size for a in mem.active_neurons(queries)])
    expected = float(geometry.expected_neurons_in_intersection(n, d, 0, r=r))
    se = counts.std(ddof=1) / math.sqrt(counts.size)
    assert abs(counts.mean() - expected) < 4 * se
    for dv in (4, 11, 20, 40):
        others = hamming_perturb(queries, dv, seed=rng)
        act_q, act_p = mem.active_neurons(queries), mem.active_neurons(others)
        inter = np.array([np.intersect1d(a, b, assume_unique=True).size for a, b in zip(act_q, act_p)])
        exp_i = float(geometry.expected_neurons_in_intersection(n, d, dv, r=r))
        se = max(inter.std(ddof=1), 1.0) / math.sqrt(inter.size)
        assert abs(inter.mean() - exp_i) < 4 * se, (dv, inter.mean(), exp_i)


def test_neuron_sdm_read_weight_is_the_intersection():
    """A read sums, over stored patterns, (bipolar pointer) x (number of neurons shared)."""
    rng = np.random.default_rng(SEED + 4)
    n, d = 32, 11
    P = bits(rng, 30, n)
    mem = NeuronSDM(n=n, d=d, r=3000, seed=5).write(P)
    q = hamming_perturb(P[:10], 3, seed=rng)
    act_q = mem.active_neurons(q)
    act_p = mem.active_neurons(P)
    W = np.array([[np.intersect1d(a, b).size for b in act_p] for a in act_q])
    vote = W @ (2 * P.astype(int) - 1)
    assert np.array_equal(mem.read(q).outputs, (vote > 0).astype(np.uint8))
    C, h = mem.counters()
    assert C.dtype == COUNTER_DTYPE and h.sum() == sum(a.size for a in act_p)


def test_neuron_sdm_counter_overflow_is_refused():
    mem = NeuronSDM(n=8, d=2, r=10, seed=0)
    mem.m = neuron_module._COUNTER_MAX  # pretend the counters are full
    with pytest.raises(OverflowError, match="int32"):
        mem.write(np.zeros((1, 8), dtype=np.uint8))


def test_neuron_sdm_validation():
    with pytest.raises(ValueError, match="d must be"):
        NeuronSDM(n=8, d=9, r=10)
    with pytest.raises(ValueError, match="r must be"):
        NeuronSDM(n=8, d=2, r=0)
    with pytest.raises(ValueError, match="n <= 24"):
        NeuronSDM(n=30, d=2, r=None)
    with pytest.raises(TypeError, match="d must be an integer"):
        NeuronSDM(n=8, d=2.5, r=10)
    mem = NeuronSDM(n=8, d=2, r=10, seed=0)
    with pytest.raises(ValueError, match="only 0 and 1"):
        mem.write(np.full((2, 8), 2))
    with pytest.raises(ValueError, match="8 columns"):
        mem.write(np.zeros((2, 9), dtype=np.uint8))
    with pytest.raises(ValueError, match="same number of rows"):
        mem.write(np.zeros((2, 8), dtype=np.uint8), np.zeros((3, 8), dtype=np.uint8))


def test_neuron_addresses_are_uniform_bits():
    mem = NeuronSDM(n=100, d=40, r=20000, seed=1)
    X = unpack_bits(np.ascontiguousarray(mem.addresses), 100)
    freq = X.mean(axis=0)
    assert np.all(np.abs(freq - 0.5) < 4 * 0.5 / math.sqrt(20000))
    assert np.all(mem.addresses[:, -1] >> np.uint64(36) == 0)  # unused high bits are zero


# --------------------------------------------------------------------------- PatternSDM
def test_pattern_sdm_matches_exact_enumeration():
    rng = np.random.default_rng(SEED + 5)
    n = 9
    addresses, pointers = bits(rng, 10, n), bits(rng, 10, 5)
    queries = np.concatenate([addresses[:3], bits(rng, 10, n)])
    for d in (1, 2, 3):
        expected = brute_pattern_read(n, d, addresses, pointers, queries)
        res = PatternSDM(n=n, d=d, on_empty="zero").write(addresses, pointers).read(queries)
        for got, exp, emp in zip(res.outputs, expected, res.empty):
            assert emp == (exp is None)
            assert got.tolist() == (exp if exp is not None else [0] * 5)


def test_pattern_sdm_finite_r_without_rounding_equals_infinite():
    rng = np.random.default_rng(SEED + 6)
    P = bits(rng, 100, 64)
    q = hamming_perturb(P, 6, seed=rng)
    a = PatternSDM(n=64, d=11).write(P).read(q).outputs
    b = PatternSDM(n=64, d=11, r=10**6, stochastic=False).write(P).read(q).outputs
    assert np.array_equal(a, b)


def test_stochastic_rounding_reference_and_moments():
    """Reference loop with the documented random stream, and E[w~] = w (4 SE)."""
    with np.errstate(divide="ignore"):
        logw = np.log(np.array([[0.0, 0.3, 1.7, 2.5], [1e-3, 4.0, 0.9, 1e20]]))
    rng_a, rng_b = np.random.default_rng(7), np.random.default_rng(7)
    got = _stochastic_round_log(logw, rng_a)
    small = [(i, j) for i in range(2) for j in range(4) if logw[i, j] <= 36.0]
    u = rng_b.random(len(small))
    ref = logw.copy()
    for (i, j), uk in zip(small, u):
        w = math.exp(logw[i, j])
        k = math.floor(w) + (uk < w - math.floor(w))
        ref[i, j] = math.log(k) if k else -math.inf
    assert np.array_equal(got, ref)
    rng = np.random.default_rng(8)
    w = np.full((1, 200000), 1.3)
    draws = np.exp(_stochastic_round_log(np.log(w), rng))
    assert set(np.unique(draws).tolist()) == {1.0, 2.0}
    assert abs(draws.mean() - 1.3) < 4 * draws.std() / math.sqrt(draws.size)


def test_pattern_sdm_stochastic_matches_reference_with_same_stream():
    rng = np.random.default_rng(SEED + 7)
    n, d, r = 64, 15, 10**5
    P = bits(rng, 60, n)
    q = hamming_perturb(P[:20], 4, seed=rng)
    mem = PatternSDM(n=n, d=d, r=r, seed=11).write(P)
    got = mem.read(q)
    # reference: exact counts -> expected neurons -> same rounding stream -> exact vote
    rng_ref = np.random.default_rng(11)
    D = (q[:, None, :] != P[None, :, :]).sum(-1)
    counts = np.array(geometry.hamming_ball_intersection(n, d, list(range(n + 1))), dtype=object)
    logw = np.array([[math.log(r * counts[k] / 2**n) if counts[k] else -math.inf for k in row] for row in D])
    wt = np.exp(_stochastic_round_log(logw, rng_ref))
    vote = wt @ (2.0 * P - 1.0)
    assert np.array_equal(got.outputs[~got.empty], (vote > 0).astype(np.uint8)[~got.empty])
    assert np.array_equal(got.empty, wt.sum(axis=1) == 0)


def test_pattern_sdm_validation():
    with pytest.raises(ValueError, match="stochastic=True needs"):
        PatternSDM(n=8, d=2, stochastic=True)
    with pytest.raises(ValueError, match="r must be"):
        PatternSDM(n=8, d=2, r=-5)
    with pytest.raises(ValueError, match="on_empty"):
        PatternSDM(n=8, d=2, on_empty="nan")


# --------------------------------------------------------------------------- zero collapse
def test_zero_collapse_regression():
    """Spec 9.2: n=64, d=5, query 12 bits from its target and >= 12 from every pattern."""
    rng = np.random.default_rng(SEED + 8)
    P = bits(rng, 1024, 64)
    q = hamming_perturb(P[:8], 12, seed=rng, patterns=P)
    compat = PatternSDM(n=64, d=5, on_empty="original").write(P).retrieve(q)
    assert np.all(compat.outputs == 0)
    assert np.all(compat.empty_reads >= 1)
    fixed = PatternSDM(n=64, d=5).write(P).retrieve(q)
    assert np.array_equal(fixed.outputs, q)
    hamming_cos = 1 - 2 * (fixed.outputs != P[:8]).sum(axis=1) / 64
    assert np.allclose(hamming_cos, 0.625)
    assert fixed.n_empty == 8 and np.all(fixed.steps == 1) and np.all(fixed.converged)
    # the neuron-based SDM reports the same event
    mem = NeuronSDM(n=64, d=5, r=1000, seed=1).write(P)
    res = mem.read(q)
    assert res.n_empty == 8 and np.array_equal(res.outputs, q)


# --------------------------------------------------------------------------- ContinuousSDM
def _unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def test_continuous_sdm_cap_matches_direct_geometry():
    rng = np.random.default_rng(SEED + 9)
    n, d = 32, 9
    P = rng.uniform(-1, 1, size=(25, n))
    q = P[:6] + 0.3 * rng.standard_normal((6, n))
    got = ContinuousSDM(n=n, d=d).write(P).read(q).outputs
    Ph = _unit(P)
    for qi, g in zip(q, got):
        x = [float(np.clip(_unit(qi) @ p, -1, 1)) for p in Ph]
        logw = [float(geometry.cap_intersection(n, d, xi, log=True)) for xi in x]
        mx = max(logw)
        w = [math.exp(v - mx) for v in logw]
        ref = sum(wi * p for wi, p in zip(w, Ph)) / sum(w)
        assert np.allclose(g, ref, rtol=1e-6, atol=1e-9)


def test_continuous_sdm_binary_intersection_matches_loop():
    rng = np.random.default_rng(SEED + 10)
    n, d = 40, 12
    P = rng.uniform(-1, 1, size=(20, n))
    q = P[:5] + 0.5 * rng.standard_normal((5, n))
    got = ContinuousSDM(n=n, d=d, intersection="binary").write(P).read(q).outputs
    Ph = _unit(P)
    counts = geometry.hamming_ball_intersection(n, d, list(range(n + 1)))
    for qi, g in zip(q, got):
        dv = [math.floor(n / 2 * (1 - float(_unit(qi) @ p)) + 1e-9) for p in Ph]
        w = [counts[k] for k in dv]
        ref = sum(wi * p for wi, p in zip(w, Ph)) / sum(w)
        assert np.allclose(g, ref, rtol=1e-12, atol=1e-12)


def test_continuous_sdm_empty_read_keeps_query_and_retrieve_converges():
    P = np.eye(8)[:2]
    mem = ContinuousSDM(n=8, d=1).write(P)  # tiny caps: orthogonal queries see nothing
    q = np.eye(8)[5] * 3.0
    res = mem.read(q)
    assert bool(res.empty) and np.array_equal(res.outputs, q)
    zero = ContinuousSDM(n=8, d=1, on_empty="zero").write(P).read(q)
    assert np.all(zero.outputs == 0)
    same = ContinuousSDM(n=8, d=1, on_empty="original").write(P).read(q)  # the original kept it
    assert np.array_equal(same.outputs, q)
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(50, 64))
    r = ContinuousSDM(n=64, d=15).write(X).retrieve(X + 0.05 * rng.standard_normal(X.shape))
    assert np.all(r.converged) and np.allclose(np.linalg.norm(r.outputs, axis=1), 1.0)
    assert np.all(np.einsum("ij,ij->i", r.outputs, _unit(X)) > 0.999)


# --------------------------------------------------------------------------- attention
def test_sdm_attention_matches_loop_reference():
    rng = np.random.default_rng(SEED + 11)
    n = 20
    P = rng.uniform(-1, 1, size=(15, n))
    q = rng.uniform(-1, 1, size=(4, n))
    att = SDMAttention(n=n, beta=7.5).write(P)
    Ph = _unit(P)
    for qi, g in zip(q, att.read(q).outputs):
        z = [7.5 * float(_unit(qi) @ p) for p in Ph]
        mx = max(z)
        w = [math.exp(v - mx) for v in z]
        assert np.allclose(g, sum(wi * p for wi, p in zip(w, Ph)) / sum(w), rtol=1e-12, atol=1e-14)
    B = bits(rng, 15, n)
    qb = bits(rng, 6, n)
    attb = SDMAttention(n=n, beta=7.5, space="binary").write(B)
    for qi, g in zip(qb, attb.read(qb).outputs):
        z = [7.5 * (1 - 2 * hamming(qi, p) / n) for p in B]
        mx = max(z)
        w = [math.exp(v - mx) for v in z]
        ref = [int(sum(wi * int(p[i]) for wi, p in zip(w, B)) / sum(w) > 0.5) for i in range(n)]
        assert g.tolist() == ref


def test_sdm_attention_beta_from_fit_and_transformer_beta():
    from sdmlib.beta import fit_beta

    att = SDMAttention(n=64, d=11, estimator="as-published")
    assert att.beta == pytest.approx(fit_beta(64, 11, estimator="as-published").beta)
    assert round(att.beta, 1) == 15.9  # the paper's beta for d = 11
    cfit = SDMAttention(n=64, d=11, fit="continuous")
    assert cfit.beta == pytest.approx(fit_beta(64, 11, space="continuous").beta)
    assert TransformerAttention(n=784).beta == pytest.approx(1 / 28)
    with pytest.raises(ValueError, match="either beta or"):
        SDMAttention(n=64)
    with pytest.raises(ValueError, match="beta must be"):
        SDMAttention(n=64, beta=-1.0)


def test_attention_vs_pattern_sdm_margin_criterion_and_agreement():
    """Bits whose SDM vote margin exceeds 2 x TV(weights) must agree (a theorem);
    where the fitted softmax is tight (median TV < 0.1), retrievals agree for >= 99 % of queries."""
    rng = np.random.default_rng(SEED + 12)
    P = bits(rng, 1024, 64)
    for d in (5, 9, 11, 15, 27):
        sdm = PatternSDM(n=64, d=d).write(P)
        att = SDMAttention(n=64, d=d, space="binary").write(P)
        for h in (0, 4, 8):
            q = hamming_perturb(P[:256], h, seed=rng)
            lw = sdm.log_weights(q)
            w = np.exp(lw - lw.max(axis=1, keepdims=True))
            w /= w.sum(axis=1, keepdims=True)
            wa = att.weights(q)
            tv = 0.5 * np.abs(w - wa).sum(axis=1)
            margin = np.abs(w @ (2.0 * P - 1.0))
            sure = margin > 2 * tv[:, None] + 1e-9
            a, b = sdm.read(q).outputs, att.read(q).outputs
            assert np.array_equal(a[sure], b[sure]), (d, h)
            if np.median(tv) < 0.1 and d <= 11:
                same = np.all(sdm.retrieve(q).outputs == att.retrieve(q).outputs, axis=1)
                assert same.mean() >= 0.99, (d, h, same.mean())


# --------------------------------------------------------------------------- Hopfield
def test_hopfield_matches_loop_reference():
    rng = np.random.default_rng(SEED + 13)
    n = 24
    P = bits(rng, 3, n)
    q = bits(rng, 5, n)
    net = Hopfield(n=n).write(P)
    S = 2 * P.astype(int) - 1
    for qi, g in zip(q, net.read(q).outputs):
        s = 2 * qi.astype(int) - 1
        ref = []
        for i in range(n):
            field = sum(S[mu, i] * S[mu, j] * s[j] for mu in range(3) for j in range(n) if j != i) / n
            ref.append(1 if field > 0 else 0)
        assert g.tolist() == ref
    with pytest.raises(ValueError, match="auto-associative"):
        net.write(P, bits(rng, 3, n))


# --------------------------------------------------------------------------- the protocol
def test_retrieve_protocol_steps_and_convergence_modes():
    rng = np.random.default_rng(SEED + 14)
    P = bits(rng, 64, 64)
    mem = PatternSDM(n=64, d=11).write(P)
    fixed = mem.retrieve(P)
    assert np.all(fixed.steps == 1) and np.all(fixed.converged)
    q = P.copy()
    q[:32] = hamming_perturb(P[:32], 6, seed=rng)
    per = mem.retrieve(q)
    assert np.array_equal(per.outputs, P)
    assert np.all(per.steps[32:] == 1) and np.all(per.steps[:32] == 2)
    orig = mem.retrieve(q, convergence="original")
    assert np.array_equal(orig.outputs, P) and np.all(orig.steps == 2)
    single = mem.retrieve(q[0])
    assert single.outputs.shape == (64,) and int(single.steps) == 2
    capped = mem.retrieve(q, max_steps=1)
    assert not capped.converged[0] and capped.converged[40]
    with pytest.raises(ValueError, match="max_steps"):
        mem.retrieve(q, max_steps=0)
    het = PatternSDM(n=64, d=11).write(P, P[:, :10])
    assert het.read(q).outputs.shape == (64, 10)
    with pytest.raises(ValueError, match="retrieve iterates reads"):
        het.retrieve(q)


def test_every_model_reads_and_retrieves_with_one_protocol():
    rng = np.random.default_rng(SEED + 15)
    Pb = bits(rng, 32, 64)
    Pc = rng.uniform(-1, 1, size=(32, 64))
    models = [
        NeuronSDM(n=64, d=19, r=50000, seed=1),
        PatternSDM(n=64, d=11),
        PatternSDM(n=64, d=19, r=10**5, seed=2),
        SDMAttention(n=64, d=11, space="binary"),
        Hopfield(n=64),
        ContinuousSDM(n=64, d=11),
        ContinuousSDM(n=64, d=19, r=10**5, seed=3),
        SDMAttention(n=64, d=11),
        TransformerAttention(n=64),
    ]
    for mem in models:
        P = Pb if mem.binary else Pc
        mem.write(P)
        res = mem.retrieve(P[:4], max_steps=20)
        assert res.outputs.shape == (4, 64) and res.steps.shape == (4,)
        assert res.outputs.dtype == (np.uint8 if mem.binary else np.float64)
        assert repr(mem).startswith(type(mem).__name__)


# --------------------------------------------------------------------------- yardsticks
def test_faiss_range_search_needs_d_plus_one():
    """faiss keeps distances strictly below its radius; with d + 1 it equals the inclusive scan."""
    pytest.importorskip("faiss")
    from sdmlib.memories.benchmark import faiss_range_search, random_packed

    rng = np.random.default_rng(SEED + 16)
    A = random_packed(20000, 128, rng)
    q = pack_bits(rng.integers(0, 2, size=(1, 128), dtype=np.uint8))
    d = 52
    _, ours = scan_within_radius(A, q, d, backend="numpy")
    via_faiss, index = faiss_range_search(A, q, 128, d)
    assert np.array_equal(ours, via_faiss)
    dist = (unpack_bits(np.ascontiguousarray(A), 128) != unpack_bits(q, 128)).sum(axis=1)
    assert np.array_equal(ours, np.flatnonzero(dist <= d))
    assert (dist == d).any()  # the boundary is exercised: radius d alone would miss these


def test_benchmark_rows_agree_and_are_complete():
    from sdmlib.memories.benchmark import benchmark_scan

    rows = benchmark_scan(128, 3000, repeats=1, r_dense=1000, include=("numba", "numpy", "dense", "floor"))
    methods = {row["method"] for row in rows}
    assert {"numpy", "dense cdist (original)"} <= methods
    assert all(row["seconds"] > 0 for row in rows)
    assert len({row["active"] for row in rows if row["method"] != "floor"}) == 1


def test_accumulate_writes_backends_agree_with_dense_reference():
    from sdmlib.memories._scan import accumulate_writes

    rng = np.random.default_rng(SEED + 11)
    n_rows, m, width = 50, 40, 7
    segments = [np.sort(rng.choice(n_rows, size=rng.integers(0, 12), replace=False)) for _ in range(m)]
    indptr = np.concatenate([[0], np.cumsum([len(s) for s in segments])]).astype(np.int64)
    rows = np.concatenate(segments).astype(np.int64)
    values = rng.integers(-1, 2, size=(m, width)).astype(np.int32)
    # dense reference: incidence matrix transposed times the values
    A = np.zeros((m, n_rows), dtype=np.int64)
    for mu, seg in enumerate(segments):
        A[mu, seg] = 1
    backends = ["numpy"] + (["numba"] if numba_available() else [])
    for backend in backends:
        C, h = np.zeros((n_rows, width), np.int32), np.zeros(n_rows, np.int64)
        accumulate_writes(C, h, rows, indptr, values, backend=backend)
        assert np.array_equal(C, A.T @ values) and np.array_equal(h, A.sum(0)), backend


def test_sum_active_rows_backends_agree_with_dense_reference():
    from sdmlib.memories._scan import sum_active_rows

    rng = np.random.default_rng(SEED + 12)
    n_rows, B, width = 60, 25, 9
    C = rng.integers(-50, 50, size=(n_rows, width)).astype(np.int32)
    sizes = rng.integers(0, 15, size=B)
    sizes[-3:] = 0  # trailing empty queries
    indptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    rows = rng.integers(-1, n_rows, size=indptr[-1]).astype(np.int64)  # -1: unwritten neuron
    ref_sums = np.zeros((B, width), np.int64)
    ref_kept = np.zeros(B, np.int64)
    for b in range(B):
        for row in rows[indptr[b] : indptr[b + 1]]:
            if row >= 0:
                ref_sums[b] += C[row]
                ref_kept[b] += 1
    backends = ["numpy"] + (["numba"] if numba_available() else [])
    for backend in backends:
        sums, kept = sum_active_rows(C, rows, indptr, backend=backend)
        assert np.array_equal(sums, ref_sums) and np.array_equal(kept, ref_kept), backend


def test_hopfield_refuses_writes_beyond_exact_float_range():
    net = Hopfield(n=8).write(np.eye(8, dtype=np.uint8)[:2])
    net.m = 2**53 // 8 - 2  # as if that many patterns were stored already
    with pytest.raises(OverflowError, match="2\\*\\*53"):
        net.write(np.ones((2, 8), dtype=np.uint8))


@pytest.mark.parametrize("d", [5, 15, 19, 27])
def test_pattern_sdm_stochastic_lookup_read_equals_the_log_space_route(d):
    """The table-lookup rounding of PatternSDM._read gives the same reads as rounding in log space."""
    from sdmlib.memories.pattern import _binary_vote, _normalised, _stochastic_round_log

    rng = np.random.default_rng(d)
    P = rng.integers(0, 2, size=(300, 64), dtype=np.uint8)
    q = (P ^ (rng.random(P.shape) < 0.1)).astype(np.uint8)
    a = PatternSDM(n=64, d=d, r=10**5, seed=11, on_empty="zero").write(P)
    b = PatternSDM(n=64, d=d, r=10**5, seed=11, on_empty="zero").write(P)
    for _ in range(3):
        got = a.read(q)
        w, empty = _normalised(_stochastic_round_log(b._log_weights(q), b.rng))
        want = _binary_vote(w, b._bip)
        want[empty] = 0
        assert np.array_equal(got.outputs, want) and np.array_equal(got.empty, empty)
