"""Hopfield theory: the exact crosstalk formula against enumeration and simulation, and the
modern Hopfield update against SDM attention."""

import itertools
import math

import numpy as np
import pytest

import sdmlib
from sdmlib.hopfield_theory import AGS_CAPACITY, hopfield_bit_error, hopfield_capacity, modern_hopfield_update
from sdmlib.memories.pattern import TIE_TOL


def _flip_rate_enumerated(n: int, m: int) -> float:
    """Mean fraction of bits of pattern 0 flipped by one read, over all 2**(n m) pattern sets."""
    flips, total = 0, 0
    for bits in itertools.product((0, 1), repeat=n * m):
        P = np.array(bits, dtype=np.uint8).reshape(m, n)
        out = sdmlib.Hopfield(n=n).write(P).read(P[:1]).outputs
        flips += int(np.count_nonzero(out != P[:1]))
        total += n
    return flips / total


@pytest.mark.parametrize("n, m", [(3, 2), (4, 2), (4, 3), (5, 2), (3, 4)])
def test_bit_error_equals_brute_force_enumeration(n, m):
    assert hopfield_bit_error(n, m) == pytest.approx(_flip_rate_enumerated(n, m), abs=1e-12)


def test_bit_error_matches_simulation_of_the_memory_class():
    n, rng = 64, np.random.default_rng(5)
    for m in (6, 20, 256):
        rates = []
        for _ in range(40):
            P = rng.integers(0, 2, size=(m, n), dtype=np.uint8)
            out = sdmlib.Hopfield(n=n).write(P).read(P).outputs
            rates.append(np.mean(out != P))
        rates = np.array(rates)
        se = rates.std(ddof=1) / np.sqrt(rates.size)
        p = hopfield_bit_error(n, m)
        assert abs(rates.mean() - p) < 4 * se + 1e-4, (m, rates.mean(), p)


def test_bit_error_tends_to_the_gaussian_limit_and_is_vectorised():
    n = 1001
    m = np.array([50, 100, 400])
    exact = hopfield_bit_error(n, m)
    gauss = 0.5 * (1 + np.vectorize(math.erf)(-np.sqrt((n - 1) / (m - 1)) / math.sqrt(2)))
    assert exact.shape == (3,)
    np.testing.assert_allclose(exact, gauss, rtol=0.05)
    assert np.all(np.diff(exact) > 0)  # more patterns, more crosstalk
    assert isinstance(hopfield_bit_error(64, 10), float)


def test_capacity_values_and_validation():
    assert hopfield_capacity(100) == pytest.approx(AGS_CAPACITY * 100)
    assert hopfield_capacity(1000, "mceliece") == pytest.approx(1000 / (4 * math.log(1000)))
    with pytest.raises(ValueError, match="criterion"):
        hopfield_capacity(64, "strict")
    with pytest.raises(ValueError, match="n must be"):
        hopfield_capacity(1)
    with pytest.raises(ValueError, match="m must hold"):
        hopfield_bit_error(64, 0)
    with pytest.raises(TypeError, match="m must hold integers"):
        hopfield_bit_error(64, 2.5)


def _unit_columns(A):
    return A / np.linalg.norm(A, axis=0, keepdims=True)


def test_modern_hopfield_update_is_the_continuous_sdm_attention_read():
    rng = np.random.default_rng(1)
    n, m, B = 64, 200, 30
    P = rng.uniform(-1, 1, size=(m, n))
    q = P[:B] + 1.0 * rng.standard_normal((B, n))  # noisy: the weights spread over many patterns
    att = sdmlib.SDMAttention(n=n, d=11).write(P)
    X, Xi = _unit_columns(P.T), _unit_columns(q.T)
    ours = att.read(q).outputs
    ramsauer = modern_hopfield_update(X, Xi, att.beta).T
    np.testing.assert_allclose(ramsauer, ours, rtol=0, atol=1e-13)
    # the identity needs the same beta and the same normalisation: either change breaks it
    # by many orders of magnitude more than the tolerance above
    assert np.abs(modern_hopfield_update(X, Xi, 1.01 * att.beta).T - ours).max() > 1e-6
    assert np.abs(modern_hopfield_update(P.T, q.T, att.beta).T - ours).max() > 1e-2
    assert np.abs(modern_hopfield_update(X, q.T, att.beta).T - ours).max() > 1e-2
    # a single state (1-D) gives the same column
    np.testing.assert_allclose(modern_hopfield_update(X, Xi[:, 0], att.beta), ours[0], atol=1e-13)


def test_binary_sdm_attention_is_a_thresholded_modern_hopfield_update_with_beta_over_n():
    rng = np.random.default_rng(2)
    n, m = 64, 100
    P = rng.integers(0, 2, size=(m, n), dtype=np.uint8)
    q = P.copy()
    q[:, :24] ^= 1  # far from the target, so that beta matters
    att = sdmlib.SDMAttention(n=n, d=11, space="binary").write(P)
    vote = modern_hopfield_update(2.0 * P.T - 1, 2.0 * q.T - 1, att.beta / n).T
    np.testing.assert_allclose(vote, att.weights(q) @ (2.0 * P - 1), rtol=0, atol=1e-13)
    np.testing.assert_array_equal((vote > TIE_TOL).astype(np.uint8), att.read(q).outputs)
    wrong = modern_hopfield_update(2.0 * P.T - 1, 2.0 * q.T - 1, att.beta).T  # beta without 1/n
    assert np.abs(wrong - vote).max() > 1e-6


def test_modern_hopfield_update_validates_its_input():
    X = np.ones((4, 3))
    with pytest.raises(ValueError, match="beta must be"):
        modern_hopfield_update(X, np.ones(4), 0.0)
    with pytest.raises(ValueError, match="xi must have shape"):
        modern_hopfield_update(X, np.ones(5), 1.0)
    with pytest.raises(ValueError, match="X must be a 2-D"):
        modern_hopfield_update(np.ones(4), np.ones(4), 1.0)
    with pytest.raises(ValueError, match="finite"):
        modern_hopfield_update(X, np.array([1.0, np.nan, 0, 0]), 1.0)
