"""Tests of the exact local decay rate and the OLS-difference identity of sdmlib.bounds.

Independent routes: brute-force enumeration of {0,1}^n for small n, the exact double sum of
sdmlib.geometry, numpy.polyfit, and sympy for the identity with symbolic values.
"""

import itertools
import math

import numpy as np
import pytest
import sympy as sp

from sdmlib.beta import fit_beta
from sdmlib.bounds import local_decay_rate, ols_difference_weights, taylor_rate
from sdmlib.geometry import hamming_ball_intersection


def _brute(n, d):
    """c(dv) for dv = 0..n by enumerating every address (centres 0...0 and 1^dv 0^(n-dv))."""
    pts = np.array(list(itertools.product([0, 1], repeat=n)))
    out = []
    for dv in range(n + 1):
        centre = np.array([1] * dv + [0] * (n - dv))
        out.append(int(np.sum((pts.sum(1) <= d) & (np.abs(pts - centre).sum(1) <= d))))
    return out


@pytest.mark.parametrize("n", [6, 9, 12])
def test_local_rate_against_brute_force(n):
    for d in range(1, (n + 1) // 2):
        c = _brute(n, d)
        dv = np.arange(0, 2 * d)
        single = [n / 2 * math.log(c[k] / c[k + 1]) for k in dv]
        assert np.allclose(local_decay_rate(n, d, dv, pair=False), single, rtol=1e-12, atol=1e-12)
        pair = [n / 4 * math.log(c[2 * (k // 2)] / c[2 * (k // 2) + 2]) for k in dv]
        assert np.allclose(local_decay_rate(n, d, dv), pair, rtol=1e-12)


def test_local_rate_exhaustively_against_the_double_sum():
    for n in range(4, 81):
        for d in range(1, (n + 1) // 2):
            c = hamming_ball_intersection(n, d, range(2 * d + 1))
            direct = [n / 4 * (math.log(c[2 * k]) - math.log(c[2 * k + 2])) for k in range(d)]
            assert np.allclose(local_decay_rate(n, d, np.arange(0, 2 * d, 2)), direct, rtol=1e-10)


def test_local_rate_is_accurate_near_half_the_space():
    # d close to n/2: the ratio c(2k+1)/c(2k) is close to 1 and log1p of an exact fraction is
    # needed; compare with exact rational arithmetic in sympy at 50 digits
    n, d = 1001, 499
    c = hamming_ball_intersection(n, d, [0, 2])
    exact = sp.N(sp.Rational(n, 4) * sp.log(sp.Rational(c[0], c[1])), 50)
    assert local_decay_rate(n, d, 0) == pytest.approx(float(exact), rel=1e-12)


def test_ols_difference_weights_identity():
    for big_n in range(2, 30):
        w = ols_difference_weights(big_n)
        assert w.sum() == pytest.approx(1.0)
        y = np.random.default_rng(big_n).normal(size=big_n)
        assert np.dot(w, np.diff(y)) == pytest.approx(np.polyfit(np.arange(big_n), y, 1)[0], rel=1e-10, abs=1e-12)
    # symbolic, N = 6
    ys = sp.symbols("y0:6")
    xbar, ybar = sp.Rational(5, 2), sum(ys) / 6
    ols = sum((i - xbar) * (ys[i] - ybar) for i in range(6)) / sum((i - xbar) ** 2 for i in range(6))
    w = [sp.nsimplify(v) for v in ols_difference_weights(6)]
    assert sp.expand(ols - sum(w[j - 1] * (ys[j] - ys[j - 1]) for j in range(1, 6))) == 0


def test_regression_beta_is_the_weighted_mean_of_local_rates():
    for n in (64, 100, 1000):
        for d in sorted({5, 11, n // 4, n // 2 - 2}):
            steps = local_decay_rate(n, d, np.arange(0, d - 1), pair=False)
            assert np.dot(ols_difference_weights(d), steps) == pytest.approx(fit_beta(n, d).beta, rel=1e-9)
            # the local rate is above the Taylor rate everywhere on the support
            assert np.all(local_decay_rate(n, d, np.arange(0, 2 * d, 2)) > taylor_rate(n, d))


@pytest.mark.parametrize("call, exc, match", [
    (lambda: local_decay_rate(64, 0, 0), ValueError, "d must be >= 1"),
    (lambda: local_decay_rate(64, 11, 22), ValueError, "dv"),
    (lambda: local_decay_rate(64, 32, 0), ValueError, "n/2"),
    (lambda: ols_difference_weights(1), ValueError, "n_points"),
])
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
