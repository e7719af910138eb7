"""Tests of sdmlib.jaeckel: brute-force enumeration of all neurons, exact identities and
Monte-Carlo simulation of the selected-coordinate and hyperplane designs."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from math import comb

import numpy as np
import pytest

from sdmlib import jaeckel as jk


def all_neurons(n: int, K: int, design: str):
    """Every possible neuron (coordinate set, required values) of a design, once each."""
    for S in itertools.combinations(range(n), K):
        if design == "selected":
            for v in itertools.product((0, 1), repeat=K):
                yield S, v
        else:
            yield S, (1,) * K


def brute_fraction_both(n: int, K: int, x, y, design: str) -> Fraction:
    hits = total = 0
    for S, v in all_neurons(n, K, design):
        total += 1
        hits += all(x[i] == vi and y[i] == vi for i, vi in zip(S, v))
    return Fraction(hits, total)


@pytest.mark.parametrize("n,K", [(8, 3), (10, 2), (9, 4)])
def test_selected_intersection_equals_enumeration_of_all_neurons(n, K):
    rng = np.random.default_rng(n * 10 + K)
    for dv in range(n + 1):
        x = rng.integers(0, 2, size=n)
        y = x.copy()
        y[rng.choice(n, size=dv, replace=False)] ^= 1
        frac = brute_fraction_both(n, K, x, y, "selected")
        assert jk.jaeckel_intersection(n, K, dv, r=1) == pytest.approx(float(frac), rel=1e-12, abs=1e-15)
    # the activation probability is the dv = 0 case
    assert brute_fraction_both(n, K, x, x, "selected") == Fraction(1, 2**K)
    assert jk.jaeckel_activation_probability(K) == 2.0**-K


@pytest.mark.parametrize("n,K", [(8, 3), (10, 2)])
def test_hyperplane_intersection_equals_enumeration_and_mean_identity(n, K):
    rng = np.random.default_rng(7)
    for _ in range(6):
        x = rng.integers(0, 2, size=n)
        y = rng.integers(0, 2, size=n)
        a = int(np.sum(x & y))
        frac = brute_fraction_both(n, K, x, y, "hyperplane")
        assert jk.hyperplane_intersection(n, K, a, r=1) == pytest.approx(float(frac), rel=1e-12, abs=1e-15)
    # for uniform addresses its mean over the shared ones a ~ Bin(n - dv, 1/2) is the selected formula
    for dv in range(n + 1):
        mean = sum(Fraction(comb(n - dv, a), 2 ** (n - dv)) * Fraction(comb(a, K), comb(n, K)) for a in range(n - dv + 1))
        assert jk.jaeckel_intersection(n, K, dv, r=1) == pytest.approx(float(mean), rel=1e-12, abs=1e-15)


def test_intersection_product_form_and_independence_on_average():
    n, K, r = 1000, 10, 10**6
    dv = np.array([0, 1, 10, 100, 500, 990, 991, 1000])
    prod = [r * 2.0**-K * np.prod([(n - v - i) / (n - i) for i in range(K)]) for v in dv]
    got = jk.jaeckel_intersection(n, K, dv, r)
    assert np.allclose(got, np.maximum(prod, 0.0), rtol=1e-10, atol=0)
    assert got[-1] == 0.0 and got[-2] == 0.0 and got[-3] > 0  # support ends at n - K, not at 2d
    # average over a uniformly random second address: r p^2
    k = np.arange(n + 1)
    from scipy.stats import binom

    avg = float(np.sum(binom.pmf(k, n, 0.5) * jk.jaeckel_intersection(n, K, k, r)))
    assert avg == pytest.approx(r * 4.0**-K, rel=1e-9)


def test_local_beta_limits():
    # the finite difference of the log intersection, and K/2 at dv = 0 for n >> K
    n, K = 10**5, 12
    assert jk.jaeckel_local_beta(n, K, 0) == pytest.approx(K / 2, rel=1e-3)
    li = jk.jaeckel_intersection(64, 5, np.arange(0, 30), log=True)
    beta = (li[:-1] - li[1:]) * 64 / 2
    assert np.allclose(beta, jk.jaeckel_local_beta(64, 5, np.arange(0, 29)), rtol=1e-10)
    assert np.all(np.diff(beta) > 0)  # log-concave: the decay steepens with distance


def test_read_variance_exact_small_cases():
    # one pattern, dv = 0: Bin(r, 2^-K) for the selected design
    n, K, r = 30, 3, 500
    assert jk.jaeckel_read_variance(n, K, 0, 1, r) == pytest.approx(r * 2.0**-K * (1 - 2.0**-K), rel=1e-12)
    # m patterns: add (m - 1) E[C^2] over k ~ Bin(n, 1/2), here from exact fractions
    m, dv = 7, 5
    q = [Fraction(comb(n - k, K), comb(n, K) * 2**K) for k in range(n + 1)]
    cross = sum(Fraction(comb(n, k), 2**n) * (r * qk * (1 - qk) + r**2 * qk**2) for k, qk in enumerate(q))
    expect = r * q[dv] * (1 - q[dv]) + (m - 1) * cross
    assert jk.jaeckel_read_variance(n, K, dv, m, r) == pytest.approx(float(expect), rel=1e-10)
    # hyperplane: Var C_t = E[r h (1 - h)] + r^2 Var h with a ~ Bin(n - dv, 1/2); others a ~ Bin(n, 1/4)
    h = [Fraction(comb(a, K), comb(n, K)) for a in range(n + 1)]
    w_t = [Fraction(comb(n - dv, a), 2 ** (n - dv)) for a in range(n - dv + 1)]
    e1 = sum(w * h[a] for a, w in enumerate(w_t))
    e2 = sum(w * (r * h[a] * (1 - h[a]) + r**2 * h[a] ** 2) for a, w in enumerate(w_t))
    w_o = [Fraction(comb(n, a) * 3 ** (n - a), 4**n) for a in range(n + 1)]
    cross_h = sum(w * (r * h[a] * (1 - h[a]) + r**2 * h[a] ** 2) for a, w in enumerate(w_o))
    expect_h = e2 - (r * e1) ** 2 + (m - 1) * cross_h
    assert jk.jaeckel_read_variance(n, K, dv, m, r, "hyperplane") == pytest.approx(float(expect_h), rel=1e-9)


def test_memory_structure_and_retrieval():
    rng = np.random.default_rng(3)
    mem = jk.JaeckelSDM(50, 3000, 6, rng=rng)
    assert mem.coords.shape == (3000, 6)
    assert all(len(set(row)) == 6 for row in mem.coords.tolist())
    hyp = jk.JaeckelSDM(50, 100, 6, design="hyperplane", rng=rng)
    assert np.all(hyp.values == 1)
    x = rng.integers(0, 2, size=(5, 50))
    mem.write(x)
    assert np.array_equal(mem.retrieve(x), x)
    # the activation rule, checked neuron by neuron
    act = mem.active(x[0])[0]
    manual = np.array([all(x[0, c] == v for c, v in zip(cs, vs)) for cs, vs in zip(mem.coords, mem.values)])
    assert np.array_equal(act, manual)
    # read = sum of the active counters
    assert np.array_equal(mem.read(x[:1])[0], mem.counters[act].sum(0))


def test_activation_fraction_monte_carlo():
    rng = np.random.default_rng(9)
    n, r, K = 200, 20_000, 4
    for design, density, p in [("selected", 0.5, 2.0**-K), ("selected", 0.2, 2.0**-K), ("hyperplane", 0.3, 0.3**K)]:
        mem = jk.JaeckelSDM(n, r, K, design, rng=rng)
        x = (rng.random((30, n)) < density).astype(np.uint8)
        frac = mem.active(x).mean()
        assert p == jk.jaeckel_activation_probability(K, design, density)
        # 30 queries x r neurons, binomial per neuron given the neuron: s.e. at most sqrt(p/r)
        assert abs(frac - p) < 4 * math.sqrt(p * (1 - p) / r) + 4 * math.sqrt(p * (1 - p) / (30 * r)) * 3


@pytest.mark.parametrize("design", jk.JAECKEL_DESIGNS)
def test_monte_carlo_intersection_and_read_variance(design):
    # the same protocol as Kanerva's memory: n = 100, r = 10^4, m = 100; K = 9 (2^-9 ~ p(35))
    n, K, m, r, dv = 100, 9, 100, 10_000, [0, 4, 10, 20, 40]
    sim = jk.simulate_jaeckel_read_sums(n, K, m, r, dv, epochs=40, design=design, rng=17)
    mean, se = sim.intersection_mean()
    expect = jk.jaeckel_intersection(n, K, dv, r)
    var_model = jk.jaeckel_read_variance(n, K, dv, 1, r, design)  # variance of the target count
    assert np.all(np.abs(mean - expect) < 4 * np.sqrt(var_model / sim.epochs))
    var, vse = sim.read_variance()
    model = jk.jaeckel_read_variance(n, K, dv, m, r, design)
    assert np.all(np.abs(var - model) < 4 * vse), ((var - model) / vse)


def test_large_parameters_and_validation():
    assert np.isfinite(jk.jaeckel_intersection(1000, 10, 5, r=2**1000, log=True))
    assert np.isfinite(jk.jaeckel_read_variance(100_000, 20, 10, 1e12, 2**1000, log=True))
    with pytest.raises(OverflowError):
        jk.jaeckel_read_variance(1000, 10, 10, 1e12, 2**1000)
    with pytest.raises(ValueError, match="K must"):
        jk.jaeckel_intersection(10, 11, 0)
    with pytest.raises(ValueError, match="design must"):
        jk.JaeckelSDM(10, 10, 2, design="plane")
    with pytest.raises(ValueError, match="dv must"):
        jk.jaeckel_intersection(10, 2, 11)
    with pytest.raises(ValueError, match="addresses must have 10 columns"):
        jk.JaeckelSDM(10, 10, 2, rng=0).active(np.zeros((2, 9), dtype=np.uint8))
