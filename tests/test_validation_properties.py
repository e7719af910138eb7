"""Property tests (hypothesis) for the numerical edge cases of issue #15.

Huge and tiny scales, dimensions up to 10**12, and float-limit parameters:
each property is checked against an independent route (exact integers, a
rescaled computation, or a different formula for the same quantity).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sdmlib import beta, beta_estimators, bounds, capacity, experiments, geometry, hamming, perturb

FAST = settings(max_examples=40, deadline=None)


@FAST
@given(n=st.integers(1, 10**12), frac=st.floats(0, 1))
def test_cosine_to_hamming_round_trip_large_n(n, frac):
    k = int(frac * n)
    x = 1.0 - 2.0 * k / n
    for rounding in ("nearest", "floor", "ceil"):
        assert hamming.cosine_to_hamming(x, n, rounding) == k


@pytest.mark.parametrize("n", [10**8, 10**9 + 7, 10**12])
def test_cosine_to_hamming_every_rounding_at_large_n(n):
    # the rounding error of n(1 - x)/2 grows with n: a fixed 1e-9 snap missed ~10 % of k here
    k = np.random.default_rng(n % 1000).integers(0, n + 1, 20_000)
    x = 1.0 - 2.0 * k / n
    for rounding in ("nearest", "floor", "ceil"):
        assert np.array_equal(hamming.cosine_to_hamming(x, n, rounding), k), rounding


@FAST
@given(d=st.integers(0, 300), n_extra=st.integers(1, 10**15), dv_frac=st.floats(0, 1))
def test_summand_count_exact_at_any_n(d, n_extra, dv_frac):
    n = 2 * d + 1 + n_extra
    dv = int(dv_frac * min(n, 2 * d + 1))
    brute = sum(1 for a in range(n - d - dv // 2, n - dv + 1)
                for _ in range(max(0, n - d - a), min(dv, dv - (n - d - a)) + 1))
    assert bounds.summand_count(n, d, dv) == brute


def test_summand_count_no_overflow():
    n, d = 10**12, 4 * 10**11
    # the count at dv = d is (d/2 + 1)**2 when d is even (closed form of the sum)
    assert bounds.summand_count(n, d, d) == (d // 2 + 1) ** 2
    assert bounds.summand_count(n, d, [d]).tolist() == [(d // 2 + 1) ** 2]


@FAST
@given(n=st.integers(1, 300), p=st.floats(1e-300, 1.0))
def test_radius_for_fraction_matches_exact_integers(n, p):
    fr = Fraction(p)
    target = -(-(fr.numerator << n) // fr.denominator)
    k, term, total = 0, 1, 1
    while total < target:
        term = term * (n - k) // (k + 1)
        total += term
        k += 1
    assert geometry.hamming_radius_for_fraction(n, p) == k


def test_radius_for_fraction_fast_at_a_million():
    import time

    t = time.perf_counter()
    assert geometry.hamming_radius_for_fraction(10**6 + 1, 0.5) == 500_000
    assert geometry.hamming_radius_for_fraction(10**6, 1.0) == 10**6
    assert time.perf_counter() - t < 20


@FAST
@given(n=st.integers(10**6, 10**12), d=st.integers(1, 40))
def test_intersection_cost_follows_d_not_n(n, d):
    # at dv = 0 the intersection is the ball: two different routes (lune suffix vs prefix of binomials)
    a = geometry.log_hamming_ball_intersection(n, d, 0)
    b = geometry.log_hamming_ball_size(n, d)
    assert abs(a - b) <= 1e-12 * abs(b)


@FAST
@given(e=st.integers(-300, 300), seed=st.integers(0, 2**32))
def test_cosine_perturb_any_scale(e, seed):
    x = np.random.default_rng(seed).uniform(0.1, 1.0, size=(3, 12))
    q1 = perturb.cosine_perturb(x, 0.3, seed=seed)
    qs = perturb.cosine_perturb(x * 10.0**e, 0.3, seed=seed)
    assert np.allclose(qs / 10.0**e, q1, rtol=1e-12, atol=0)


@FAST
@given(e=st.integers(-300, 300))
def test_recall_score_scale_invariant(e):
    rng = np.random.default_rng(e + 300)
    a, b = rng.normal(size=(2, 4, 10))
    assert np.allclose(experiments.recall_score(a * 10.0**e, b, "continuous"),
                       experiments.recall_score(a, b, "continuous"), rtol=1e-13, atol=1e-15)


@FAST
@given(b=st.floats(allow_nan=False, allow_infinity=False), x=st.lists(st.floats(-1 - 1e-6, 1 + 1e-6), min_size=1, max_size=6))
@example(b=1.7976931348623157e308, x=[1 + 1e-6, 1.0])  # beta * x overflows to inf: inf - inf was NaN
def test_softmax_weights_finite_for_any_beta(b, x):
    w = beta_estimators.softmax_weights(b, x)
    assert np.all(np.isfinite(w)) and abs(w.sum() - 1) < 1e-12 and np.all(w >= 0)


@FAST
@given(e=st.integers(-290, 290), slope=st.floats(-10, 10), c=st.floats(-10, 10))
def test_log_linear_fit_scale(e, slope, c):
    x = np.linspace(-1, 1, 7) * 10.0**e
    b, i = beta.log_linear_fit(x, slope * (x / 10.0**e) + c)
    assert math.isclose(b * 10.0**e, slope, rel_tol=1e-9, abs_tol=1e-9)
    assert math.isclose(i, c, rel_tol=1e-9, abs_tol=1e-9)


@FAST
@given(n=st.integers(64, 200_000), m=st.floats(1, 1e6))
def test_optimal_radii_large_r_log_space(n, m):
    r = 2**n  # p* underflows float64 for n >= ~3215; log space keeps the quantile exact
    d_snr = capacity.optimal_radius_snr(n, m, r)
    lp = -(math.log(2) + math.log(m) + n * math.log(2)) / 3.0
    lf = geometry.space_fraction(n, [d_snr, max(d_snr - 1, 0)], log=True)
    assert lf[0] >= lp - 1e-9 and (d_snr == 0 or lf[1] < lp + 1e-9)
    assert 0 <= capacity.optimal_radius_memory(n, r) <= n


@FAST
@given(n=st.integers(4, 200), log2r=st.floats(0, 400))
def test_radius_for_one_neuron_normal_not_negative(n, log2r):
    assert capacity.radius_for_one_neuron(n, 2.0**log2r if log2r < 1000 else 2**int(log2r), method="normal") >= 0
