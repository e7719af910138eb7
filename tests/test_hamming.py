"""Tests of sdmlib.hamming against unpacked, independent computations."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdmlib.hamming import (
    cosine_to_hamming,
    hamming_distance,
    hamming_to_cosine,
    pack_bits,
    unpack_bits,
)

dims = st.integers(min_value=1, max_value=300)


@st.composite
def bit_matrix(draw, max_rows=6):
    n = draw(dims)
    rows = draw(st.integers(min_value=1, max_value=max_rows))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    return np.random.default_rng(seed).integers(0, 2, size=(rows, n), dtype=np.uint8)


@settings(max_examples=150, deadline=None)
@given(bit_matrix())
def test_pack_unpack_round_trip(x):
    n = x.shape[1]
    packed = pack_bits(x)
    assert packed.dtype == np.uint64
    assert packed.shape == (x.shape[0], -(-n // 64))
    assert np.array_equal(unpack_bits(packed, n), x)
    # 1-D path too
    assert np.array_equal(unpack_bits(pack_bits(x[0]), n), x[0])


@settings(max_examples=150, deadline=None)
@given(bit_matrix())
def test_padding_bits_are_zero(x):
    n = x.shape[1]
    packed = pack_bits(x)
    ones = pack_bits(np.ones(n, dtype=np.uint8))
    # Complement of every row within n bits must have distance n from the row.
    comp = pack_bits(1 - x)
    assert np.array_equal(hamming_distance(packed, comp).diagonal(), np.full(x.shape[0], n))
    assert int(np.bitwise_count(ones).sum()) == n


@settings(max_examples=150, deadline=None)
@given(bit_matrix(), bit_matrix())
def test_distance_matches_unpacked_count(x, y):
    n = min(x.shape[1], y.shape[1])
    x, y = x[:, :n], y[:, :n]
    px, py = pack_bits(x), pack_bits(y)
    expected = (x[:, None, :] != y[None, :, :]).sum(-1)
    assert np.array_equal(hamming_distance(px, py), expected)
    assert np.array_equal(hamming_distance(px[0], py), expected[0])
    assert np.array_equal(hamming_distance(px, py[0]), expected[:, 0])
    assert int(hamming_distance(px[0], py[0])) == expected[0, 0]
    assert expected.min() >= 0 and expected.max() <= n


@settings(max_examples=100, deadline=None)
@given(bit_matrix(max_rows=3))
def test_cosine_equals_bipolar_dot_product(x):
    n = x.shape[1]
    a, b = x[0], x[-1]
    h = int((a != b).sum())
    bipolar = (2.0 * a - 1.0) @ (2.0 * b - 1.0) / n
    assert np.isclose(hamming_to_cosine(h, n), bipolar, rtol=0, atol=1e-12)
    assert cosine_to_hamming(bipolar, n) == h


@settings(max_examples=100, deadline=None)
@given(dims, st.floats(min_value=-1, max_value=1))
def test_cosine_to_hamming_rounding_brackets_real_value(n, x):
    real = cosine_to_hamming(x, n, rounding="none")
    lo, hi = cosine_to_hamming(x, n, rounding="floor"), cosine_to_hamming(x, n, rounding="ceil")
    near = cosine_to_hamming(x, n)
    assert lo <= real + 1e-9 and hi >= real - 1e-9
    assert hi - lo <= 1
    assert near in (lo, hi) and abs(near - real) <= 0.5 + 1e-9
    assert 0 <= lo <= hi <= n


def test_many_to_many_blocking_matches_small_blocks():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 2, size=(300, 1000), dtype=np.uint8)
    y = rng.integers(0, 2, size=(5000, 1000), dtype=np.uint8)
    d = hamming_distance(pack_bits(x), pack_bits(y))
    ref = np.stack([hamming_distance(pack_bits(row), pack_bits(y)) for row in x[:7]])
    assert np.array_equal(d[:7], ref)
    # Each distance of independent uniform bits is Bin(1000, 1/2): mean 500, sd ~15.8.
    assert abs(d.mean() - 500) < 1.0


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: hamming_to_cosine(65, 64), ValueError, "h"),
        (lambda: hamming_to_cosine(1, 0), ValueError, "n"),
        (lambda: hamming_to_cosine(1.5, 4), TypeError, "h"),
        (lambda: cosine_to_hamming(1.5, 64), ValueError, "x"),
        (lambda: cosine_to_hamming(float("nan"), 64), ValueError, "x"),
        (lambda: cosine_to_hamming(0.5, 64, rounding="up"), ValueError, "rounding"),
        (lambda: pack_bits(np.array([0, 2, 1])), ValueError, "bits"),
        (lambda: pack_bits(np.zeros((2, 2, 2))), ValueError, "bits"),
        (lambda: pack_bits(np.array(["a"])), TypeError, "bits"),
        (lambda: unpack_bits(np.zeros(2, dtype=np.int64), 100), TypeError, "packed"),
        (lambda: unpack_bits(np.zeros(2, dtype=np.uint64), 200), ValueError, "n"),
        (lambda: hamming_distance(np.zeros(2, np.uint64), np.zeros(3, np.uint64)), ValueError, "words"),
        (lambda: hamming_distance(np.zeros(2, np.int32), np.zeros(2, np.uint64)), TypeError, "a"),
    ],
)
def test_bad_input_raises_naming_parameter(call, exc, words):
    with pytest.raises(exc, match=words):
        call()
