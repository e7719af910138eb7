"""Table-driven bad-input tests of the associative memories (issue #15), and their numerical edges.

Every row feeds one bad argument to one memory (constructor, ``write``, ``read`` or
``retrieve``) and asserts the exception class and that the message names the parameter
as the user wrote it. Then: rows of any finite scale (x1e200, x1e-170) give the same reads
as unit rows (property tests against the unscaled memory, an independent route), a read
that cancels to the zero vector is reported as an empty read and never gives NaN, and a
fitted beta of zero is refused.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sdmlib.memories import ContinuousSDM, Hopfield, NeuronSDM, PatternSDM, SDMAttention, TransformerAttention

RNG = np.random.default_rng(0)
B8 = RNG.integers(0, 2, size=(4, 8), dtype=np.uint8)
R8 = RNG.standard_normal((4, 8))


def _pat():
    return PatternSDM(n=8, d=2).write(B8)


def _cont():
    return ContinuousSDM(n=8, d=2).write(R8)


def _attn():
    return SDMAttention(n=8, beta=5.0).write(R8)


# (id, callable, expected exception, text the message must contain)
CASES = [
    # constructors: integers, reals, choices, bools, seeds
    ("neuron-seed-bool", lambda: NeuronSDM(n=8, d=2, r=50, seed=True), TypeError, "seed"),
    ("neuron-seed-str", lambda: NeuronSDM(n=8, d=2, r=50, seed="abc"), TypeError, "seed"),
    ("pattern-n-bool", lambda: PatternSDM(n=True, d=1), TypeError, "n"),
    ("pattern-n-str", lambda: PatternSDM(n="8", d=1), TypeError, "n"),
    ("pattern-d-float", lambda: PatternSDM(n=8, d=2.5), TypeError, "d"),
    ("pattern-d-range", lambda: PatternSDM(n=8, d=9), ValueError, "d"),
    ("pattern-r-zero", lambda: PatternSDM(n=8, d=2, r=0), ValueError, "r"),
    ("pattern-r-nan", lambda: PatternSDM(n=8, d=2, r=float("nan")), ValueError, "r"),
    ("pattern-r-str", lambda: PatternSDM(n=8, d=2, r="10"), TypeError, "r"),
    ("pattern-stochastic-str", lambda: PatternSDM(n=8, d=2, r=10, stochastic="no"), TypeError, "stochastic"),
    ("pattern-stochastic-int", lambda: PatternSDM(n=8, d=2, r=10, stochastic=0), TypeError, "stochastic"),
    ("pattern-stochastic-no-r", lambda: PatternSDM(n=8, d=2, stochastic=True), ValueError, "stochastic"),
    ("pattern-seed-bool", lambda: PatternSDM(n=8, d=2, r=10, seed=True), TypeError, "seed"),
    ("pattern-seed-str", lambda: PatternSDM(n=8, d=2, r=10, seed="abc"), TypeError, "seed"),
    ("pattern-seed-neg", lambda: PatternSDM(n=8, d=2, r=10, seed=-1), ValueError, "seed"),
    ("pattern-on-empty-dict", lambda: PatternSDM(n=8, d=2, on_empty={}), ValueError, "on_empty"),
    ("pattern-backend", lambda: PatternSDM(n=8, d=2, backend="jax"), ValueError, "backend"),
    ("cont-intersection", lambda: ContinuousSDM(n=8, d=2, intersection="bogus"), ValueError, "intersection"),
    ("cont-intersection-dict", lambda: ContinuousSDM(n=8, d=2, intersection={}), ValueError, "intersection"),
    ("cont-n-1-cap", lambda: ContinuousSDM(n=1, d=1), ValueError, "n"),
    ("cont-d-zero-cap", lambda: ContinuousSDM(n=8, d=0), ValueError, "d"),
    ("cont-r-inf", lambda: ContinuousSDM(n=8, d=2, r=float("inf")), ValueError, "r"),
    ("cont-seed-bool", lambda: ContinuousSDM(n=8, d=2, seed=False), TypeError, "seed"),
    ("attn-beta-zero", lambda: SDMAttention(n=8, beta=0.0), ValueError, "beta"),
    ("attn-beta-nan", lambda: SDMAttention(n=8, beta=float("nan")), ValueError, "beta"),
    ("attn-beta-str", lambda: SDMAttention(n=8, beta="5"), TypeError, "beta"),
    ("attn-no-d-no-beta", lambda: SDMAttention(n=8), ValueError, "beta"),
    ("attn-d-gives-beta-0", lambda: SDMAttention(n=64, d=64), ValueError, "d = 64"),
    ("attn-estimator", lambda: SDMAttention(n=64, d=5, estimator="bogus"), ValueError, "estimator"),
    ("attn-estimator-with-beta", lambda: SDMAttention(n=64, beta=3.0, estimator="bogus"), ValueError, "estimator"),
    ("attn-window", lambda: SDMAttention(n=64, d=5, window="bogus"), ValueError, "window"),
    ("attn-window-with-beta", lambda: SDMAttention(n=64, beta=3.0, window="bogus"), ValueError, "window"),
    ("attn-window-dict", lambda: SDMAttention(n=64, d=5, window={}), ValueError, "window"),
    ("attn-window-tuple", lambda: SDMAttention(n=64, d=5, window=(5, 2)), ValueError, "window"),
    ("attn-space", lambda: SDMAttention(n=8, beta=1.0, space="ternary"), ValueError, "space"),
    ("attn-fit", lambda: SDMAttention(n=64, d=5, fit="cap"), ValueError, "fit"),
    ("attn-seed-str", lambda: SDMAttention(n=8, beta=1.0, seed="abc"), TypeError, "seed"),
    ("transformer-n-float", lambda: TransformerAttention(n=8.5), TypeError, "n"),
    ("transformer-seed-bool", lambda: TransformerAttention(n=8, seed=True), TypeError, "seed"),
    ("hopfield-seed-bool", lambda: Hopfield(n=8, seed=True), TypeError, "seed"),
    ("hopfield-n-zero", lambda: Hopfield(n=0), ValueError, "n"),
    # write: arrays (kind, shape, dtype, finiteness), pointers
    ("write-str", lambda: PatternSDM(n=8, d=2).write("01010101"), TypeError, "addresses"),
    ("write-ragged", lambda: PatternSDM(n=8, d=2).write([[0, 1], [1]]), ValueError, "addresses"),
    ("write-3d", lambda: PatternSDM(n=8, d=2).write(np.zeros((1, 2, 8))), ValueError, "addresses"),
    ("write-columns", lambda: PatternSDM(n=8, d=2).write(np.zeros((2, 7))), ValueError, "addresses"),
    ("write-not-binary", lambda: PatternSDM(n=8, d=2).write(np.full((2, 8), 2)), ValueError, "addresses"),
    ("write-object", lambda: PatternSDM(n=8, d=2).write(np.array([[None] * 8])), TypeError, "addresses"),
    ("write-nan", lambda: ContinuousSDM(n=8, d=2).write(R8 * np.nan), ValueError, "addresses"),
    ("write-inf", lambda: SDMAttention(n=8, beta=1.0).write(R8 * np.inf), ValueError, "addresses"),
    ("write-complex", lambda: ContinuousSDM(n=8, d=2).write(R8 + 1j), TypeError, "addresses"),
    ("write-zero-row", lambda: ContinuousSDM(n=8, d=2).write(np.zeros((1, 8))), ValueError, "addresses"),
    ("write-bool-cont", lambda: ContinuousSDM(n=8, d=2).write(np.ones((2, 8), bool)), TypeError, "addresses"),
    ("pointers-0-columns", lambda: PatternSDM(n=8, d=2).write(B8, np.zeros((4, 0))), ValueError, "pointers"),
    ("pointers-0-columns-cont", lambda: ContinuousSDM(n=8, d=2).write(R8, np.zeros((4, 0))), ValueError,
     "pointers"),
    ("pointers-0-columns-neuron", lambda: NeuronSDM(n=8, d=2, r=50, seed=0).write(B8, np.zeros((4, 0))),
     ValueError, "pointers"),
    ("pointers-rows", lambda: PatternSDM(n=8, d=2).write(B8, B8[:2]), ValueError, "pointers"),
    ("pointers-nan", lambda: ContinuousSDM(n=8, d=2).write(R8, R8 * np.nan), ValueError, "pointers"),
    ("pointers-later-columns", lambda: ContinuousSDM(n=8, d=2).write(R8, R8[:, :3]).write(R8, R8),
     ValueError, "pointers"),
    ("hopfield-hetero", lambda: Hopfield(n=8).write(B8, 1 - B8), ValueError, "pointers"),
    # read / retrieve
    ("read-ragged", lambda: _cont().read([[0.1] * 8, [0.2] * 7]), ValueError, "queries"),
    ("read-nan", lambda: _cont().read(R8[0] * np.nan), ValueError, "queries"),
    ("read-zero-row", lambda: _attn().read(np.zeros(8)), ValueError, "queries"),
    ("read-0d", lambda: _pat().read(0), ValueError, "queries"),
    ("read-columns", lambda: _pat().read(np.zeros(7, np.uint8)), ValueError, "queries"),
    ("read-str", lambda: _attn().read("abc"), TypeError, "queries"),
    ("retrieve-max-steps-0", lambda: _pat().retrieve(B8, max_steps=0), ValueError, "max_steps"),
    ("retrieve-max-steps-float", lambda: _pat().retrieve(B8, max_steps=2.5), TypeError, "max_steps"),
    ("retrieve-tol-nan", lambda: _cont().retrieve(R8, tol=float("nan")), ValueError, "tol"),
    ("retrieve-tol-neg", lambda: _cont().retrieve(R8, tol=-1.0), ValueError, "tol"),
    ("retrieve-convergence", lambda: _cont().retrieve(R8, convergence="global"), ValueError, "convergence"),
    ("retrieve-renormalize-str", lambda: _cont().retrieve(R8, renormalize="false"), TypeError, "renormalize"),
    ("retrieve-hetero", lambda: ContinuousSDM(n=8, d=2).write(R8, R8[:, :3]).retrieve(R8), ValueError,
     "pointers"),
]


@pytest.mark.parametrize("call, exc, name", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_names_the_parameter(call, exc, name):
    with pytest.raises(exc) as info:
        call()
    assert name in str(info.value), str(info.value)


def test_every_case_id_is_unique():
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))


# --------------------------------------------------------------------------- scale: overflow / underflow
CONTINUOUS = [
    lambda: ContinuousSDM(n=8, d=2),
    lambda: ContinuousSDM(n=8, d=2, intersection="binary"),
    lambda: SDMAttention(n=8, beta=5.0),
    lambda: TransformerAttention(n=8),
]


@pytest.mark.parametrize("make", CONTINUOUS, ids=["cap", "cont-binary", "sdm-attention", "transformer"])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(write_exp=st.integers(-300, 300), query_exp=st.integers(-300, 300), seed=st.integers(0, 2**16))
def test_any_finite_scale_reads_like_unit_rows(make, write_exp, query_exp, seed):
    """x1e300 used to overflow the norm (stored as zeros), x1e-170 to underflow (refused)."""
    rng = np.random.default_rng(seed)
    P = rng.standard_normal((6, 8))
    q = rng.standard_normal((3, 8))
    ref = make().write(P / np.linalg.norm(P, axis=1, keepdims=True)).read(q / np.linalg.norm(q, axis=1)[:, None])
    scaled = make().write(P * 10.0**write_exp).read(q * 10.0**query_exp)
    assert np.all(np.isfinite(scaled.outputs))
    np.testing.assert_allclose(scaled.outputs, ref.outputs, rtol=1e-9, atol=1e-12)
    res = make().write(P * 10.0**write_exp).retrieve(q * 10.0**query_exp, max_steps=5)
    assert np.all(np.isfinite(res.outputs))
    np.testing.assert_allclose(np.linalg.norm(res.outputs, axis=1), 1.0, rtol=1e-12)


def test_hetero_pointers_near_the_float_limit_do_not_overflow():
    P = RNG.standard_normal((5, 8))
    ptr = np.full((5, 3), 1e308)
    out = ContinuousSDM(n=8, d=3).write(P, ptr).read(P).outputs
    np.testing.assert_allclose(out, 1e308, rtol=1e-12)  # a weighted mean of equal pointers


# --------------------------------------------------------------------------- reads that cancel to zero
E = np.eye(4)
CANCEL = [
    lambda **kw: SDMAttention(n=4, beta=5.0),
    lambda **kw: TransformerAttention(n=4),
    lambda **kw: ContinuousSDM(n=4, d=1, **kw),
    lambda **kw: ContinuousSDM(n=4, d=1, intersection="binary", **kw),
]


@pytest.mark.parametrize("make", CANCEL, ids=["sdm-attention", "transformer", "cap", "cont-binary"])
@pytest.mark.parametrize("convergence", ["per-query", "original"])
def test_zero_read_is_an_empty_read_never_nan(make, convergence):
    """Patterns e1 and -e1 read at e2: the weighted sum is exactly zero (it used to give NaN,
    or IndexError in the cap interpolation)."""
    mem = make().write(np.stack([E[0], -E[0]]))
    assert np.array_equal(mem.read(E[1]).outputs, np.zeros(4))  # the plain read is the true zero
    res = mem.retrieve(np.stack([E[1], E[0]]), convergence=convergence)
    assert np.all(np.isfinite(res.outputs))
    assert np.array_equal(res.outputs[0], E[1])  # on_empty="keep": the query stays
    assert res.empty_reads[0] >= 1
    np.testing.assert_allclose(res.outputs[1], E[0])  # the other query is unaffected
    assert res.empty_reads[1] == 0
    if convergence == "per-query":  # the batch rule compares reads before renormalising (the original's)
        assert res.converged[0] and res.converged[1]


@pytest.mark.parametrize("convergence", ["per-query", "original"])
def test_zero_read_under_on_empty_zero_stops_unconverged(convergence):
    mem = ContinuousSDM(n=4, d=1, on_empty="zero").write(np.stack([E[0], -E[0]]))
    res = mem.retrieve(np.stack([E[1], E[0]]), convergence=convergence, max_steps=7)
    assert np.all(np.isfinite(res.outputs))
    assert np.array_equal(res.outputs[0], np.zeros(4))
    assert not res.converged[0] and res.empty_reads[0] >= 1
    np.testing.assert_allclose(res.outputs[1], E[0])


def test_empty_cap_read_under_zero_rule_never_reads_a_zero_query():
    # stochastic rounding with r = 1e-9 neurons: every read is empty, the rule gives zeros
    mem = ContinuousSDM(n=8, d=2, r=1e-9, on_empty="zero", seed=0).write(R8)
    res = mem.retrieve(R8, convergence="original", max_steps=4)
    assert np.all(res.outputs == 0) and not np.any(res.converged)
    assert np.all(np.isfinite(res.outputs))


def test_fitted_beta_is_positive_just_below_the_refused_radius():
    # the refusal at d = n is about the fit, not a blanket limit on d
    assert SDMAttention(n=64, d=30).beta > 0


@pytest.mark.parametrize("make, data", [
    (lambda: ContinuousSDM(n=8, d=2), R8), (lambda: SDMAttention(n=8, beta=2.0), R8),
    (lambda: PatternSDM(n=8, d=2), B8), (lambda: NeuronSDM(n=8, d=2, r=100, seed=0), B8),
    (lambda: Hopfield(n=8), B8),
], ids=["cap", "attention", "pattern", "neuron", "hopfield"])
def test_batches_of_zero_rows_are_a_no_op(make, data):
    """Documented: an empty batch is a no-op write and an empty read, not numpy's reduction error."""
    mem = make().write(data[:0])
    assert mem.m == 0
    mem.write(data)
    assert mem.read(data[:0]).outputs.shape == (0, 8) and mem.retrieve(data[:0]).outputs.shape == (0, 8)


@pytest.mark.parametrize("make", [lambda n: ContinuousSDM(n=n, d=int(0.3 * n)), lambda n: SDMAttention(n=n, beta=50.0)],
                         ids=["cap", "attention"])
def test_large_n_and_extreme_scales_recover_the_stored_pattern(make):
    n = 4096
    rng = np.random.default_rng(3)
    P = rng.standard_normal((20, n))
    res = make(n).write(P * 1e250).retrieve(P[:3] * 1e-250, max_steps=5)
    Phat = P[:3] / np.linalg.norm(P[:3], axis=1, keepdims=True)
    assert np.all(res.converged)
    np.testing.assert_allclose(np.einsum("ij,ij->i", res.outputs, Phat), 1.0, rtol=1e-9)
