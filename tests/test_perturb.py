"""Tests of sdmlib.perturb: exact flips, exact cosines, isotropy, "no closer pattern"."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from sdmlib.perturb import cosine_perturb, hamming_perturb

SEED = 64


@pytest.mark.parametrize("h", [0, 1, 7, 64])
def test_hamming_perturb_flips_exactly_h_distinct_bits(h):
    rng = np.random.default_rng(SEED)
    x = rng.integers(0, 2, size=(300, 64), dtype=np.uint8)
    q = hamming_perturb(x, h, seed=1)
    assert q.dtype == np.uint8 and q.shape == x.shape
    assert np.all((q != x).sum(axis=1) == h)
    assert hamming_perturb(x[0], h, seed=1).shape == (64,)


def test_hamming_perturb_positions_are_uniform():
    """Each coordinate is flipped with probability h/n (Monte Carlo, 4 SE)."""
    n, h, k = 20, 3, 20000
    q = hamming_perturb(np.zeros((k, n), dtype=np.uint8), h, seed=2)
    freq = q.mean(axis=0)
    se = math.sqrt(h / n * (1 - h / n) / k)
    assert np.all(np.abs(freq - h / n) < 4 * se)
    # pairs are uniform too: every one of the C(20, 3) subsets is reachable
    assert len({tuple(np.flatnonzero(r)) for r in q}) == math.comb(n, h)


def test_hamming_perturb_no_closer_pattern_and_error():
    rng = np.random.default_rng(SEED + 1)
    P = rng.integers(0, 2, size=(1024, 64), dtype=np.uint8)
    q = hamming_perturb(P[:200], 10, seed=3, patterns=P)
    D = (q[:, None, :] != P[None, :, :]).sum(-1)
    assert np.all(D.min(axis=1) >= 10) and np.all(D[np.arange(200), np.arange(200)] == 10)
    every = np.array(list(itertools.product((0, 1), repeat=4)), dtype=np.uint8)
    with pytest.raises(RuntimeError, match="max_tries=3"):
        hamming_perturb(every[:2], 2, seed=0, patterns=every, max_tries=3)


def test_hamming_perturb_validation():
    x = np.zeros((2, 8), dtype=np.uint8)
    with pytest.raises(ValueError, match="h must be"):
        hamming_perturb(x, 9)
    with pytest.raises(ValueError, match="only 0 and 1"):
        hamming_perturb(x + 2, 1)
    with pytest.raises(ValueError, match="8 columns"):
        hamming_perturb(x, 1, patterns=np.zeros((3, 7), dtype=np.uint8))


@pytest.mark.parametrize("direction", ["isotropic", "cube"])
def test_cosine_perturb_exact_cosine_and_norm(direction):
    rng = np.random.default_rng(SEED + 2)
    x = rng.uniform(0, 1, size=(50, 784)) * rng.uniform(0.5, 3, size=(50, 1))
    for h in (0, 50, 150, 300, 392):
        c = 1 - 2 * h / 784
        q = cosine_perturb(x, c, seed=h, direction=direction)
        cos = np.einsum("ij,ij->i", q, x) / (np.linalg.norm(q, axis=1) * np.linalg.norm(x, axis=1))
        assert np.all(np.abs(cos - c) < 1e-13)
        assert np.allclose(np.linalg.norm(q, axis=1), np.linalg.norm(x, axis=1), rtol=1e-13, atol=0)
    per_row = np.linspace(-1, 1, 50)
    q = cosine_perturb(x, per_row, seed=9)
    cos = np.einsum("ij,ij->i", q, x) / (np.linalg.norm(q, axis=1) * np.linalg.norm(x, axis=1))
    assert np.allclose(cos, per_row, atol=1e-13)


def test_cosine_perturb_direction_is_isotropic():
    """The orthogonal component is uniform on the unit sphere orthogonal to x.

    Second moments E[v_j^2] = 1/(n-1) and the fourth moment 3/((n-1)(n+1)) of a uniform
    unit vector in R^(n-1); the original's cube draw has a smaller fourth moment.
    """
    n, k = 10, 40000
    x = np.zeros((k, n))
    x[:, 0] = 1.0
    q = cosine_perturb(x, 0.0, seed=5)  # c = 0: q is the unit orthogonal direction
    assert np.allclose(q[:, 0], 0.0, atol=1e-15)
    m2 = (q[:, 1:] ** 2).mean(axis=0)
    se = (q[:, 1:] ** 2).std(axis=0) / math.sqrt(k)
    assert np.all(np.abs(m2 - 1 / (n - 1)) < 4 * se)
    # the cube draw is biased towards the cube's diagonals: its 4th moment differs
    qc = cosine_perturb(x, 0.0, seed=5, direction="cube")
    m4_iso, m4_cube = (q[:, 1:] ** 4).mean(), (qc[:, 1:] ** 4).mean()
    iso_exact = 3 / ((n - 1) * (n + 1))  # E[v^4] for a uniform unit vector in R^(n-1)
    assert abs(m4_iso - iso_exact) < 0.03 * iso_exact
    assert m4_cube < 0.95 * iso_exact


def test_cosine_perturb_no_closer_pattern_and_error():
    rng = np.random.default_rng(SEED + 3)
    P = rng.uniform(-1, 1, size=(1024, 64))
    c = 1 - 2 * 8 / 64
    q = cosine_perturb(P[:100], c, seed=4, patterns=P)
    Ph = P / np.linalg.norm(P, axis=1, keepdims=True)
    qh = q / np.linalg.norm(q, axis=1, keepdims=True)
    assert np.all((qh @ Ph.T).max(axis=1) <= c + 1e-5)
    angles = np.linspace(0, 2 * np.pi, 2000, endpoint=False)
    circle = np.stack([np.cos(angles), np.sin(angles)], axis=1)  # dense patterns in 2-D
    with pytest.raises(RuntimeError, match="max_tries=4"):
        cosine_perturb(circle[:3], 0.5, seed=0, patterns=circle, max_tries=4)


def test_cosine_perturb_validation():
    x = np.ones((3, 5))
    with pytest.raises(ValueError, match="c must hold"):
        cosine_perturb(x, 1.5)
    with pytest.raises(ValueError, match="shape"):
        cosine_perturb(x, [0.1, 0.2])
    with pytest.raises(ValueError, match="non-zero"):
        cosine_perturb(np.zeros((2, 5)), 0.5)
    with pytest.raises(ValueError, match="direction"):
        cosine_perturb(x, 0.5, direction="ball")
