"""Tests of sdmlib.geometry against independent routes.

* brute-force enumeration of {0,1}^n (n <= 14) vs both exact formulas;
* exact integers (Kanerva's lune form, whose log is taken from the integer's
  leading bits) vs the log-space float route, which uses a different,
  positive-term formula in extended precision;
* Monte Carlo on the sphere vs the cap intersection;
* scipy's binomial distribution vs ball sizes and radii.
"""

from __future__ import annotations

import math
from math import comb

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special
from scipy.stats import binom

from sdmlib.geometry import (
    brute_force_intersection,
    cap_fraction,
    cap_intersection,
    expected_neurons_in_intersection,
    hamming_ball_intersection,
    hamming_ball_size,
    hamming_radius_for_fraction,
    kanerva_lune_intersection,
    log_hamming_ball_intersection,
    log_hamming_ball_size,
    space_fraction,
)

LN2 = np.longdouble("0.69314718055994530941723212145817656808")


def exact_log(counts):
    """ln of exact Python integers from their leading 60 bits (error ~1e-16 absolute)."""
    m = np.zeros(len(counts))
    s = np.zeros(len(counts), dtype=np.int64)
    for i, c in enumerate(counts):
        if c:
            sh = max(c.bit_length() - 60, 0)
            m[i] = float(c >> sh)
            s[i] = sh
    with np.errstate(divide="ignore"):
        return np.log(m.astype(np.longdouble)) + s * LN2


def count_by_enumeration(n, d, xi, p):
    """Points of {0,1}^n within d of both integer-coded centres xi and p."""
    y = np.arange(1 << n, dtype=np.uint64)
    a = np.bitwise_count(y ^ np.uint64(xi))
    b = np.bitwise_count(y ^ np.uint64(p))
    return int(np.count_nonzero((a <= d) & (b <= d)))


# ---------------------------------------------------------------------------
# Brute force vs both exact formulas
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("n", range(1, 15))
def test_brute_force_matches_double_sum_and_lune(n):
    dvs = list(range(n + 1))
    for d in range(n + 1):
        brute = brute_force_intersection(n, d, dvs)
        assert hamming_ball_intersection(n, d, dvs) == brute
        assert kanerva_lune_intersection(n, d, dvs) == brute


def test_brute_force_with_random_centres():
    # centres other than (0, 1^dv): the count depends only on their distance
    rng = np.random.default_rng(3)
    for _ in range(20):
        n = int(rng.integers(1, 13))
        d = int(rng.integers(0, n + 1))
        xi, p = (int(v) for v in rng.integers(0, 1 << n, size=2))
        dv = bin(xi ^ p).count("1")
        assert count_by_enumeration(n, d, xi, p) == hamming_ball_intersection(n, d, dv)


@pytest.mark.parametrize("n", [16, 33, 64, 100])
def test_double_sum_equals_lune_all_d_dv(n):
    dvs = range(n + 1)
    for d in range(n + 1):
        assert hamming_ball_intersection(n, d, dvs) == kanerva_lune_intersection(n, d, dvs)


def test_double_sum_equals_lune_kanerva_setting():
    dvs = range(1001)
    assert hamming_ball_intersection(1000, 451, dvs) == kanerva_lune_intersection(1000, 451, dvs)


@pytest.mark.parametrize("n,d", [(64, 5), (64, 11), (100, 35), (1000, 451), (1000, 500), (1001, 700)])
def test_exact_identities(n, d):
    c = hamming_ball_intersection(n, d, range(n + 1))
    ball = hamming_ball_size(n, d)
    assert c[0] == ball
    if 2 * d <= n:
        assert c[2 * d] == comb(2 * d, d)
        assert all(v == 0 for v in c[2 * d + 1 :])
    assert all(c[2 * k - 1] == c[2 * k] for k in range(1, n // 2 + 1))
    # independence on average over a random second centre: E[c] = |O|^2 / 2^n
    assert sum(comb(n, k) * ck for k, ck in enumerate(c)) == ball**2


def test_ball_size_and_fraction_against_scipy():
    assert hamming_ball_size(20, list(range(21))) == [sum(comb(20, i) for i in range(k + 1)) for k in range(21)]
    for n, d in [(64, 11), (1000, 451), (784, 300), (10_000, 4800)]:
        assert abs(space_fraction(n, d) / binom.cdf(d, n, 0.5) - 1) < 1e-11
        assert abs(space_fraction(n, d, log=True) - binom.logcdf(d, n, 0.5)) < 1e-9
        assert abs(log_hamming_ball_size(n, d) - exact_log([hamming_ball_size(n, d)])[0]) < 1e-12
    # far tail at n = 100 000: exact integer vs log route
    n, d = 100_000, 30_000
    ref = exact_log([hamming_ball_size(n, d)])[0]
    assert abs(log_hamming_ball_size(n, d) - float(ref)) <= 4 * np.spacing(float(ref))


def test_radius_for_fraction_published_lists_and_ppf():
    assert hamming_radius_for_fraction(64, [4e-13, 1e-9, 1e-8, 1e-5, 3.7e-4, 1e-3, 0.1]).tolist() == [
        5, 9, 11, 15, 19, 20, 27,
    ]
    assert hamming_radius_for_fraction(64, [1e-13, 1e-9, 1e-8, 7e-6, 3.68e-4, 0.1]).tolist() == [5, 9, 11, 15, 19, 27]
    for n in (64, 100, 784, 1000):
        for p in (1e-12, 1e-8, 1e-5, 1e-3, 0.1, 0.5, 0.9, 1.0):
            d = hamming_radius_for_fraction(n, p)
            assert d == int(binom.ppf(p, n, 0.5))
            # defining property, decided with exact integers
            assert hamming_ball_size(n, d) >= p * 2**n
            if d > 0:
                assert hamming_ball_size(n, d - 1) < p * 2**n


def test_radius_for_fraction_log_branch():
    # large n (log-space search): agrees with the exact integer definition
    n = 30_000
    from fractions import Fraction

    for p in (1e-30, 1e-8, 1e-3, 0.3):
        d = hamming_radius_for_fraction(n, p)
        fr = Fraction(p)
        assert hamming_ball_size(n, d) * fr.denominator >= fr.numerator * 2**n
        assert hamming_ball_size(n, d - 1) * fr.denominator < fr.numerator * 2**n


# ---------------------------------------------------------------------------
# Exact integers vs the log-space float route
# ---------------------------------------------------------------------------


def _max_log_error(n, d):
    ref = exact_log(kanerva_lune_intersection(n, d, range(n + 1)))
    got = log_hamming_ball_intersection(n, d, np.arange(n + 1))
    finite = np.isfinite(ref)
    assert np.array_equal(finite, np.isfinite(got)), "support differs"
    assert np.all(got[~finite] == -np.inf)
    if not finite.any():
        return 0.0
    return float(np.max(np.abs(got[finite].astype(np.longdouble) - ref[finite])))


@pytest.mark.parametrize("n", [64, 100, 784, 1000])
def test_log_matches_exact_all_d_all_dv(n):
    worst = max(_max_log_error(n, d) for d in range(n + 1))
    assert worst <= 1e-12  # |ln I - ln c| <= 1e-12, i.e. relative error of the count <= 1e-12


def test_log_matches_exact_n10000_strided_d():
    # every dv; d on a stride of 500 plus the edges and the middle (the full grid of
    # 10 001 radii would take minutes with exact integers)
    n = 10_000
    ds = sorted(set(range(0, n + 1, 500)) | {1, 2, 3, 4999, 5000, 5001, 9998, 9999})
    worst = max(_max_log_error(n, d) for d in ds)
    assert worst <= 1e-12


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3000), st.data())
def test_log_matches_mpmath(n, data):
    d = data.draw(st.integers(0, n))
    dv = data.draw(st.integers(0, n))
    c = hamming_ball_intersection(n, d, dv)
    got = log_hamming_ball_intersection(n, d, dv)
    if c == 0:
        assert got == -math.inf
    else:
        with mpmath.workdps(40):
            ref = mpmath.log(mpmath.mpf(c))
        assert abs(got - float(ref)) <= 1e-12


def test_log_large_n_finite_and_consistent():
    n = 100_000
    for d in (1_000, 45_000, 49_999, 50_000, 60_000):
        dv = np.arange(n + 1)
        lc = log_hamming_ball_intersection(n, d, dv)
        support = dv <= 2 * d
        assert np.all(np.isfinite(lc[support])) and np.all(lc[~support] == -np.inf)
        assert np.all(np.diff(lc[support]) <= 1e-9)  # non-increasing
        assert np.array_equal(lc[1:-1:2][: (n - 1) // 2], lc[2::2][: (n - 1) // 2])  # pairs
        assert abs(lc[0] - log_hamming_ball_size(n, d)) <= 4 * np.spacing(lc[0])
        if 2 * d <= n:
            ref = float(exact_log([comb(2 * d, d)])[0])
            assert abs(lc[2 * d] - ref) <= 4 * np.spacing(ref)


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------

small_nd = st.integers(1, 400).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n)))


@settings(max_examples=60, deadline=None)
@given(small_nd)
def test_pairs_support_and_monotone(nd):
    n, d = nd
    c = hamming_ball_intersection(n, d, range(n + 1))
    assert all(c[2 * k - 1] == c[2 * k] for k in range(1, n // 2 + 1))
    assert all(v == 0 for v in c[2 * d + 1 :])
    assert all(a >= b for a, b in zip(c, c[1:]))
    assert all(v > 0 for v in c[: min(2 * d, n) + 1])


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 11), st.data())
def test_symmetric_in_the_two_centres(n, data):
    d = data.draw(st.integers(0, n))
    xi = data.draw(st.integers(0, (1 << n) - 1))
    p = data.draw(st.integers(0, (1 << n) - 1))
    dv = bin(xi ^ p).count("1")
    assert count_by_enumeration(n, d, xi, p) == count_by_enumeration(n, d, p, xi) == kanerva_lune_intersection(n, d, dv)


@settings(max_examples=40, deadline=None)
@given(small_nd)
def test_average_over_random_centre_is_p_squared(nd):
    n, d = nd
    c = kanerva_lune_intersection(n, d, range(n + 1))
    assert sum(comb(n, k) * ck for k, ck in enumerate(c)) == hamming_ball_size(n, d) ** 2


# ---------------------------------------------------------------------------
# Expected neurons
# ---------------------------------------------------------------------------


def test_expected_neurons_conventions():
    n, d = 100, 35
    c = hamming_ball_intersection(n, d, range(n + 1))
    exp_none = expected_neurons_in_intersection(n, d, range(n + 1))
    exp_r = expected_neurons_in_intersection(n, d, range(n + 1), r=10_000)
    for k in (0, 10, 70):
        assert abs(exp_none[k] / c[k] - 1) < 1e-13
        assert abs(exp_r[k] / (10_000 * c[k] / 2**n) - 1) < 1e-13
    assert exp_r[71] == 0.0
    assert expected_neurons_in_intersection(n, d, 71, r=5, log=True) == -math.inf
    # r given as a huge Python int (2**n) equals r=None
    assert abs(expected_neurons_in_intersection(n, d, 3, r=2**n) / exp_none[3] - 1) < 1e-13
    # no overflow in log space at n = 10 000; overflow is an error, not inf
    assert np.isfinite(expected_neurons_in_intersection(10_000, 4_000, 5, log=True))
    with pytest.raises(OverflowError):
        expected_neurons_in_intersection(10_000, 4_000, 5)


def test_kanerva_setting_mean_over_random_centre():
    # E over a uniformly random second centre of I equals r p^2 (independent events)
    n, d, r = 1000, 451, 1e6
    lw = np.array([float(exact_log([comb(n, k)])[0]) for k in range(n + 1)]) - n * math.log(2)
    lI = expected_neurons_in_intersection(n, d, range(n + 1), r=r, log=True)
    mean = np.sum(np.exp(lw + lI))
    assert abs(mean / (r * space_fraction(n, d) ** 2) - 1) < 1e-11


# ---------------------------------------------------------------------------
# Cap intersection
# ---------------------------------------------------------------------------


def sphere_mc(n, d, x, samples, seed):
    """Fraction of uniform points of S^{n-1} inside both caps (threshold 1 - 2d/n)."""
    rng = np.random.default_rng(seed)
    c = 1 - 2 * d / n
    e2 = np.array([x, math.sqrt(max(0.0, 1 - x * x))])
    hits, done = 0, 0
    while done < samples:
        m = min(250_000, samples - done)
        g = rng.standard_normal((m, n))
        u = g / np.linalg.norm(g, axis=1, keepdims=True)
        hits += int(np.count_nonzero((u[:, 0] >= c) & (u[:, :2] @ e2 >= c)))
        done += m
    return hits / samples


@pytest.mark.parametrize(
    "n,d,x",
    [(8, 2, 0.6), (16, 5, 0.5), (32, 12, 0.3), (16, 8, 0.0), (16, 11, -0.4), (12, 3, 0.95)],
)
def test_cap_intersection_monte_carlo(n, d, x):
    samples = 1_000_000
    est = sphere_mc(n, d, x, samples, seed=20210 + n + d)
    exact = cap_intersection(n, d, x, r=1)
    se = math.sqrt(exact * (1 - exact) / samples)
    assert exact > 50 / samples  # the test has power
    assert abs(est - exact) < 4 * se


def lee_kim_fraction(n, d, x):
    """Lee & Kim's formula verbatim (theta <= pi/2): 2 J_n(theta_v/2, theta) / |S^{n-1}|."""
    theta = math.acos(1 - 2 * d / n)
    tv = math.acos(x)
    if tv >= 2 * theta:
        return 0.0
    ta = tv / 2

    def integrand(phi):
        z = 1 - (math.tan(ta) / math.tan(phi)) ** 2
        return math.sin(phi) ** (n - 2) * special.betainc((n - 2) / 2, 0.5, max(z, 0.0))

    J = math.pi ** ((n - 1) / 2) / special.gamma((n - 1) / 2) * integrate.quad(integrand, ta, theta, epsrel=1e-12, epsabs=0)[0]
    area = 2 * math.pi ** (n / 2) / special.gamma(n / 2)
    return 2 * J / area


@pytest.mark.parametrize("n,d,x", [(5, 1, 0.9), (16, 4, 0.7), (64, 11, 0.8), (100, 35, 0.5), (64, 32, 0.1)])
def test_cap_intersection_matches_lee_kim_formula(n, d, x):
    assert abs(cap_intersection(n, d, x, r=1) / lee_kim_fraction(n, d, x) - 1) < 1e-8


@pytest.mark.parametrize("n,d", [(8, 2), (16, 4), (64, 11), (1000, 451), (10_000, 4_700), (10_000, 100)])
def test_cap_limit_is_single_cap(n, d):
    theta = math.acos(1 - 2 * d / n)
    single = 0.5 * special.betainc((n - 1) / 2, 0.5, math.sin(theta) ** 2)
    at_one = cap_intersection(n, d, 1.0, r=1, log=True)
    if single > 0:
        assert abs(at_one - math.log(single)) < 1e-10
    assert abs(cap_fraction(n, d, log=True) - at_one) < 1e-12
    # the integral route converges to the closed form as cos_v -> 1
    near = cap_intersection(n, d, 1 - 1e-14, r=1, log=True)
    assert near <= at_one and at_one - near < 1e-4


def test_cap_support_and_tiny_values():
    n, d = 64, 11
    c = 1 - 2 * d / n
    edge = 2 * c * c - 1  # cos(2 theta)
    assert cap_intersection(n, d, edge - 1e-9, log=True) == -math.inf
    assert np.isfinite(cap_intersection(n, d, edge + 1e-6, log=True))
    # r=None means r = 2**n, the binary convention
    assert abs(cap_intersection(n, d, 0.9, log=True) - cap_intersection(n, d, 0.9, r=1, log=True) - n * math.log(2)) < 1e-9
    # large n: finite logs, non-increasing in dv
    n, d = 10_000, 4_700
    x = 1 - 2 * np.arange(0, 1000, 50) / n
    lv = cap_intersection(n, d, x, r=1, log=True)
    assert np.all(np.isfinite(lv)) and np.all(np.diff(lv) < 0)


def test_cap_is_larger_than_binary_tail():
    # the continuous support x > cos(2 theta) reaches beyond the binary 2d
    n, d = 64, 11
    dv = 2 * d + 2
    assert log_hamming_ball_intersection(n, d, dv) == -math.inf
    assert np.isfinite(cap_intersection(n, d, 1 - 2 * dv / n, log=True))


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call,exc",
    [
        (lambda: hamming_ball_size(0, 0), ValueError),
        (lambda: hamming_ball_size(10, 11), ValueError),
        (lambda: hamming_ball_size(10, 2.5), TypeError),
        (lambda: hamming_ball_intersection(10, -1, 0), ValueError),
        (lambda: hamming_ball_intersection(10, 3, 11), ValueError),
        (lambda: hamming_ball_intersection(10, 3, [0, 1.5]), TypeError),
        (lambda: hamming_ball_intersection(10, 3, "3"), TypeError),
        (lambda: kanerva_lune_intersection(10, 3, [-1]), ValueError),
        (lambda: log_hamming_ball_intersection(10, 3, np.array([0, np.nan])), TypeError),
        (lambda: log_hamming_ball_intersection(True, 3, 0), TypeError),
        (lambda: expected_neurons_in_intersection(10, 3, 0, r=0), ValueError),
        (lambda: expected_neurons_in_intersection(10, 3, 0, r=-5.0), ValueError),
        (lambda: expected_neurons_in_intersection(10, 3, 0, r=float("nan")), ValueError),
        (lambda: expected_neurons_in_intersection(10, 3, 0, r="many"), TypeError),
        (lambda: space_fraction(10, 12), ValueError),
        (lambda: hamming_radius_for_fraction(10, 0.0), ValueError),
        (lambda: hamming_radius_for_fraction(10, 1.5), ValueError),
        (lambda: hamming_radius_for_fraction(10, [0.1, float("nan")]), ValueError),
        (lambda: brute_force_intersection(23, 3, 0), ValueError),
        (lambda: cap_intersection(16, 4, 1.5), ValueError),
        (lambda: cap_intersection(16, 4, [0.2, float("nan")]), ValueError),
        (lambda: cap_intersection(16, 17, 0.2), ValueError),
        (lambda: cap_intersection(1, 0, 0.2), ValueError),
        (lambda: cap_intersection(16, 4, 0.2, r=0), ValueError),
    ],
)
def test_bad_input_raises(call, exc):
    with pytest.raises(exc):
        call()


@pytest.mark.parametrize("n,d", [(3, 1), (16, 4), (64, 11), (64, 40), (1000, 451), (10_000, 4_700)])
def test_cap_fast_quadrature_matches_adaptive_route(n, d):
    # the vectorised Gauss-Laguerre path against scipy's adaptive quad, point by point
    from sdmlib import geometry as geo

    x = np.concatenate([1 - 2 * np.arange(0, n + 1, max(1, n // 150)) / n, np.linspace(-1, 1, 41)])
    fast = cap_intersection(n, d, x, r=1, log=True)
    slow = np.array([geo._log_cap_intersection_fraction(n, d, float(v)) for v in x])
    finite = np.isfinite(slow)
    assert np.array_equal(finite, np.isfinite(fast))
    assert np.max(np.abs(fast[finite] - slow[finite])) < 1e-10


def test_radius_for_fraction_exact_ties():
    # p equal to a ball fraction (exactly representable) returns that radius; a hair more, the next
    for n in (10, 30, 200):
        for d in (0, 1, n // 3, n // 2, n - 1):
            size = hamming_ball_size(n, d)
            p = size / 2**n
            if p * 2**n != size:  # not exactly representable as a float: skip
                continue
            assert hamming_radius_for_fraction(n, p) == d
            assert hamming_radius_for_fraction(n, np.nextafter(p, 2.0)) == d + 1
    assert hamming_radius_for_fraction(7, 0.5) == 3 and hamming_radius_for_fraction(7, 1.0) == 7
