"""Derivation steps that the geometry chapters state, each checked by an independent route.

* the planar density of the continuous intersection, by exact marginals (sympy) and by the
  law of u_1^2 + u_2^2 for points uniform on the sphere (Monte Carlo, Kolmogorov-Smirnov);
* the angular width arccos(cos(theta)/rho) - theta_v/2, by direct membership on a grid;
* eq. (cont-planar) by quadrature, against ``cap_intersection``;
* the parity step of Kanerva's lune, by enumeration of {0,1}^n;
* the Hamming <-> cosine identity x = 1 - 2 d_H / n, by sympy and numerically;
* the claim behind the per-distance test of the primer: for any fixed neuron set, the mean
  count over all (query, pattern) pairs at distance d_v is exactly r c_{n,d}(d_v) / 2^n.

Each check is also run with a plausible wrong input, which it must reject.
"""

import itertools
import math

import numpy as np
import pytest
import sympy as sp
from scipy import integrate, stats

from sdmlib.geometry import cap_intersection, expected_neurons_in_intersection
from sdmlib.hamming import hamming_distance, hamming_to_cosine, pack_bits


# ---------------------------------------------------------------------------------------------
# continuous intersection: the planar route
# ---------------------------------------------------------------------------------------------

def _marginal_matches(n: int, exponent) -> bool:
    """Does (n-2)/(2 pi) (1 - rho^2)^exponent have the 1-D marginal of eq. (cont-cap)?"""
    u2, q = sp.symbols("u_2 q", positive=True)
    beta_half = sp.gamma(sp.Rational(1, 2)) * sp.gamma(sp.Rational(n - 1, 2)) / sp.gamma(sp.Rational(n, 2))
    marginal = sp.Rational(n - 2, 2) / sp.pi * sp.integrate((q**2 - u2**2) ** exponent, (u2, -q, q))
    return sp.simplify(marginal - q ** (n - 3) / beta_half) == 0


@pytest.mark.parametrize("n", [4, 5, 6, 7, 8])
def test_planar_density_exponent_is_pinned_by_the_marginal(n):
    assert _marginal_matches(n, sp.Rational(n - 4, 2))
    assert not _marginal_matches(n, sp.Rational(n - 3, 2))
    assert not _marginal_matches(n, sp.Rational(n - 2, 2))


@pytest.mark.parametrize("n", [5, 16, 64])
def test_planar_density_against_simulated_projections(n):
    # rho^2 = u_1^2 + u_2^2 of a uniform point on S^{n-1}; the density (n-2)/(2 pi) (1-rho^2)^((n-4)/2)
    # on the disk gives P(rho^2 <= s) = 1 - (1 - s)^((n-2)/2).
    rng = np.random.default_rng(n)
    g = rng.standard_normal((40_000, n))
    rho2 = (g[:, :2] ** 2).sum(1) / (g**2).sum(1)
    assert stats.kstest(rho2, lambda s: 1 - (1 - s) ** ((n - 2) / 2)).pvalue > 1e-3
    if n <= 16:   # exponent (n-3)/2 is rejected where 4e4 points resolve half a unit of exponent
        assert stats.kstest(rho2, lambda s: 1 - (1 - s) ** ((n - 1) / 2)).pvalue < 1e-6


def _arc_gap(width, cases=30, seed=0):
    """Largest |measured arc - width(theta, theta_v, rho)| in grid steps, over random cases."""
    rng = np.random.default_rng(seed)
    alpha = np.linspace(-np.pi, np.pi, 50_000, endpoint=False)
    step = alpha[1] - alpha[0]
    worst = 0.0
    for _ in range(cases):
        th = rng.uniform(0.05, np.pi / 2)
        tv = rng.uniform(0, 2 * th)
        rho0 = math.cos(th) / math.cos(tv / 2)
        for rho in (rng.uniform(rho0, 1), rng.uniform(0, rho0)):
            both = (rho * np.cos(alpha - tv / 2) >= math.cos(th)) & (rho * np.cos(alpha + tv / 2) >= math.cos(th))
            w = max(0.0, width(th, tv, rho)) if rho >= rho0 else 0.0
            worst = max(worst, abs(both.sum() * step - w) / step)
    return worst


def test_angular_width_matches_direct_membership():
    assert _arc_gap(lambda th, tv, rho: 2 * (math.acos(min(1.0, math.cos(th) / rho)) - tv / 2)) <= 2
    assert _arc_gap(lambda th, tv, rho: 2 * (math.acos(min(1.0, math.cos(th) / rho)) - tv)) > 100
    assert _arc_gap(lambda th, tv, rho: 2 * math.acos(min(1.0, math.cos(th) / rho)) - tv / 2) > 100


@pytest.mark.parametrize("n,d,x", [(8, 2, 0.7), (16, 4, 0.5), (64, 11, 0.8), (100, 35, 0.3), (300, 120, 0.6)])
def test_planar_integral_as_written_equals_cap_intersection(n, d, x):
    th, tv = math.acos(1 - 2 * d / n), math.acos(x)
    rho0 = math.cos(th) / math.cos(tv / 2)
    f = lambda r: r * (1 - r * r) ** ((n - 4) / 2) * (math.acos(min(1.0, math.cos(th) / r)) - tv / 2)
    planar = (n - 2) / math.pi * integrate.quad(f, rho0, 1, epsabs=0, epsrel=1e-12)[0]
    assert planar == pytest.approx(cap_intersection(n, d, x, r=1), rel=1e-9)


# ---------------------------------------------------------------------------------------------
# circle intersection: the parity step of the lune derivation
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [6, 9])
def test_lune_parity_distances_by_enumeration(n):
    ys = (np.arange(2**n)[:, None] >> np.arange(n)) & 1        # all y; xi = 0...0
    for delta in range(n + 1):
        p = np.r_[np.ones(delta, int), np.zeros(n - delta, int)]
        u = ys[:, delta:].sum(1)                                # disagreements with both, in A
        s = (ys[:, :delta] != 1).sum(1)                         # disagreements with p, in D
        to_p, to_xi = (ys != p).sum(1), ys.sum(1)
        assert np.array_equal(to_p, u + s) and np.array_equal(to_xi, u + delta - s)
        if delta > 0:                                           # the swapped reading is wrong
            assert not np.array_equal(to_xi, u + s)
        assert np.any(to_p == to_xi) == (delta % 2 == 0)


# ---------------------------------------------------------------------------------------------
# Hamming <-> cosine
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 5, 12])
def test_bipolar_cosine_identity_symbolic(n):
    a, b = sp.symbols(f"a1:{n + 1}"), sp.symbols(f"b1:{n + 1}")
    unit = {v**2: 1 for v in a + b}
    d_h = sum((ai - bi) ** 2 for ai, bi in zip(a, b)) / 4
    dot = sum(ai * bi for ai, bi in zip(a, b))
    assert sp.expand(sp.expand(dot / n - (1 - 2 * d_h / n)).subs(unit)) == 0
    assert sp.expand(sp.expand(dot / n - (1 - d_h / n)).subs(unit)) != 0       # a wrong factor is caught
    for signs in itertools.product((-1, 1), repeat=2):
        assert ((a[0] - b[0]) ** 2 / 4).subs({a[0]: signs[0], b[0]: signs[1]}) == int(signs[0] != signs[1])


@pytest.mark.parametrize("n", [7, 64, 100, 256])
def test_bipolar_cosine_identity_numerically(n):
    rng = np.random.default_rng(n)
    a = rng.integers(0, 2, size=(200, n), dtype=np.uint8)
    b = rng.integers(0, 2, size=(200, n), dtype=np.uint8)
    ab, bb = 2.0 * a - 1, 2.0 * b - 1
    cos = (ab * bb).sum(1) / (np.linalg.norm(ab, axis=1) * np.linalg.norm(bb, axis=1))
    h = np.array([int(hamming_distance(pack_bits(x), pack_bits(y))) for x, y in zip(a, b)])
    assert np.array_equal(h, (a != b).sum(1))
    assert np.allclose(cos, hamming_to_cosine(h, n), rtol=0, atol=1e-12)
    cos01 = (a * b.astype(float)).sum(1) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1)
    assert np.max(np.abs(cos01 - hamming_to_cosine(h, n))) > 0.1               # the 0/1 cosine is another map


# ---------------------------------------------------------------------------------------------
# SDM primer: per-distance expectation for a fixed neuron set
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("d", [1, 3])
def test_mean_over_all_pairs_is_the_expected_intersection_for_fixed_neurons(d):
    n, r = 8, 7
    rng = np.random.default_rng(d)
    neurons = rng.integers(0, 2**n, size=r)                     # any fixed set, repeats allowed
    points = np.arange(2**n)
    pop = np.array([bin(v).count("1") for v in range(2**n)])
    in_ball = pop[neurons[:, None] ^ points[None, :]] <= d       # (r, 2^n): neuron within d of point
    for dv in range(n + 1):
        masks = [sum(1 << i for i in c) for c in itertools.combinations(range(n), dv)]
        counts = [np.sum(in_ball[:, xi] & in_ball[:, xi ^ m]) for xi in points for m in masks]
        assert np.mean(counts) == pytest.approx(float(expected_neurons_in_intersection(n, d, dv, r=r)), rel=1e-12)
