"""Tests of sdmlib.bounds: which approximations of the circle intersection are bounds, and where.

The exact intersection is computed here from Kanerva's lune recursion with
Python integers (independent of sdmlib.geometry), and the approximations are
checked against it exhaustively for every n <= 200, every d < n/2 and every
distance. The facts asserted here are the ones the exponential-bounds chapter
states in prose.
"""

import math
from functools import lru_cache
from math import comb

import numpy as np
import pytest
import sympy as sp
from scipy.stats import norm

from sdmlib.bounds import (
    component_spans,
    constant_prefactor_approximations,
    count_times_largest_summand,
    gaussian_count_approximation,
    gaussian_summand,
    largest_summand,
    prefactor,
    prefactor_bounds,
    summand_count,
    taylor_rate,
    taylor_summand,
)

N_MAX = 200


@lru_cache(maxsize=None)
def exact_counts(n, d):
    """c_{n,d}(dv) for dv = 0..n from the lune recursion (exact integers)."""
    ball = sum(comb(n, i) for i in range(d + 1))
    out, cur = [ball], ball
    for dv in range(1, n + 1):
        if dv % 2 == 1:
            k = (dv - 1) // 2
            if d - k >= 0:
                cur -= comb(2 * k, k) * comb(n - 2 * k - 1, d - k)
        out.append(cur)
    return tuple(out)


def log_exact(n, d, dv):
    c = exact_counts(n, d)
    return np.array([math.log(c[k]) if c[k] > 0 else -np.inf for k in dv])


def double_sum_terms(n, d, dv):
    """Every (a, b) term of the paper's double sum (theory 4.1), brute force."""
    terms = []
    for a in range(max(0, n - d - dv // 2), n - dv + 1):
        for b in range(max(0, n - d - a), min(dv, dv - (n - d - a)) + 1):
            terms.append(comb(n - dv, a) * comb(dv, b))
    return terms


def all_pairs(n_max=N_MAX, n_min=3):
    for n in range(n_min, n_max + 1):
        for d in range(1, (n - 1) // 2 + 1):
            yield n, d


# ----------------------------------------------------------------------------- exact pieces
def test_double_sum_enumeration_matches_lune_and_count_and_largest_term():
    for n in range(2, 31):
        for d in range(0, (n - 1) // 2 + 1):
            dv = np.arange(0, n + 1)
            counts = summand_count(n, d, dv)
            ls = largest_summand(n, d, dv)
            for k in range(n + 1):
                terms = double_sum_terms(n, d, k)
                assert sum(terms) == exact_counts(n, d)[k]
                assert counts[k] == len(terms)
                if terms:
                    assert ls[k] == pytest.approx(max(terms), rel=1e-12)
                else:
                    assert ls[k] == 0.0


def test_largest_summand_and_count_are_true_bounds_exhaustively():
    """S_max <= I <= N_sum * S_max for every n <= 200, d < n/2 and dv in the support."""
    for n, d in all_pairs():
        dv = np.arange(0, 2 * d + 1)
        exact = log_exact(n, d, dv)
        lo = largest_summand(n, d, dv, log=True)
        hi = count_times_largest_summand(n, d, dv, log=True)
        tol = 1e-12 * max(1.0, float(np.max(np.abs(exact))))
        assert np.all(lo <= exact + tol), (n, d)
        assert np.all(exact <= hi + tol), (n, d)
        # one term at dv = 2d: all three agree (binom(2d, d))
        assert lo[-1] == pytest.approx(math.log(comb(2 * d, d)), abs=1e-9)
        assert hi[-1] == pytest.approx(lo[-1], abs=1e-12)
        # log-space largest summand matches the exact product of binomials
        k = dv[:: max(1, d // 3)]
        direct = [math.log(comb(n - v, n - d - v // 2) * comb(v, v // 2)) for v in k]
        assert np.allclose(largest_summand(n, d, k, log=True), direct, rtol=1e-11, atol=1e-11)
        # and vanishes beyond the support, like the intersection
        if 2 * d < n:
            assert largest_summand(n, d, 2 * d + 1) == 0.0


def test_prefactor_bounds_hold_and_are_attained():
    for n in range(2, N_MAX + 1):
        lo, hi = prefactor_bounds(n, log=True)
        p = prefactor(n, np.arange(1, n), log=True)
        assert np.all(p >= lo - 1e-12) and np.all(p <= hi + 1e-12)
        assert p.max() == pytest.approx(hi, abs=1e-12)
        if n % 2 == 0:
            assert p.min() == pytest.approx(lo, abs=1e-12)


# ----------------------------------------------------------------------------- approximations
def test_gaussian_summand_is_the_normal_approximation_of_each_binomial():
    """Independent route: scipy's normal pdf with mean N/2 and variance N/4, times 2^N."""
    for n, d, r in [(64, 11, None), (100, 35, 10**4), (1000, 451, 10**6)]:
        dv = np.arange(1, n)
        half = dv // 2
        la = (n - dv) * math.log(2) + norm.logpdf(n - d - half, (n - dv) / 2, np.sqrt((n - dv) / 4))
        lb = dv * math.log(2) + norm.logpdf(half, dv / 2, np.sqrt(dv / 4))
        lr = 0.0 if r is None else math.log(r) - n * math.log(2)
        assert np.allclose(gaussian_summand(n, d, dv, r, log=True), la + lb + lr, rtol=1e-12, atol=1e-9)


def test_taylor_form_and_rate_with_sympy():
    n, d, dv, x = sp.symbols("n d d_v x", positive=True)
    gauss_exponent = -(n - 2 * d) ** 2 / (2 * (n - dv))
    taylor = sp.series(gauss_exponent, dv, 0, 2).removeO()
    expected = -(n - 2 * d) ** 2 / (2 * n) - (n - 2 * d) ** 2 / (2 * n**2) * dv
    assert sp.simplify(taylor - expected) == 0
    slope_in_x = sp.diff(expected.subs(dv, n * (1 - x) / 2), x)
    assert sp.simplify(slope_in_x - (n - 2 * d) ** 2 / (4 * n)) == 0
    # the library's rate and Taylor curve implement exactly these expressions
    for nn, dd in [(64, 5), (64, 11), (1000, 451)]:
        assert taylor_rate(nn, dd) == pytest.approx(float(slope_in_x.subs({n: nn, d: dd})), rel=1e-14)
        k = np.arange(1, nn)
        ours = taylor_summand(nn, dd, k, log=True) - prefactor(nn, k, log=True)
        want = [float(expected.subs({n: nn, d: dd, dv: int(v)})) for v in k[:: nn // 8]]
        assert np.allclose(ours[:: nn // 8], want, rtol=1e-12)


def test_taylor_is_never_below_gaussian_exhaustively():
    """1/(1-t) >= 1+t, so the linearised exponent is never below the Gaussian one."""
    for n, d in all_pairs():
        dv = np.arange(1, n)
        gap = taylor_summand(n, d, dv, log=True) - gaussian_summand(n, d, dv, log=True)
        assert np.all(gap >= -1e-12), (n, d)


def test_gaussian_lower_bound_fails():
    """The original's 'lower bound' is not a lower bound: facts for the chapter."""
    # beyond the support the intersection is 0, the Gaussian is positive: fails for every (n, d)
    for n, d in all_pairs():
        if 2 * d + 1 <= n - 1:
            assert gaussian_summand(n, d, 2 * d + 1) > 0 == exact_counts(n, d)[2 * d + 1]
    # n = 64: above the exact intersection on the whole support exactly for d = 1..11
    above = []
    for d in range(1, 32):
        dv = np.arange(1, 2 * d + 1 if 2 * d < 64 else 64)
        if np.all(gaussian_summand(64, d, dv, log=True) > log_exact(64, d, dv)):
            above.append(d)
    assert above == list(range(1, 12))
    # ... by a factor above 20 at d = 5, and between 1 and 2 at its smallest for d = 11
    dv5, dv11 = np.arange(1, 11), np.arange(1, 23)
    assert np.min(gaussian_summand(64, 5, dv5, log=True) - log_exact(64, 5, dv5)) > math.log(20)
    m11 = np.min(gaussian_summand(64, 11, dv11, log=True) - log_exact(64, 11, dv11))
    assert 0 < m11 < math.log(2)
    # n = 1000, d = 451: below the truth near dv = 0, above it in the far tail of the support
    dv = np.arange(1, 901)
    diff = gaussian_summand(1000, 451, dv, log=True) - log_exact(1000, 451, dv)
    assert np.all(diff[:500] < 0) and np.all(diff[850:] > 0)


def test_gaussian_count_upper_bound_fails_only_next_to_half_the_space():
    """N_sum * Gaussian >= I everywhere on the support unless d > n/2 - 3 (n <= 200)."""
    failing = []
    for n, d in all_pairs():
        dv = np.arange(1, min(2 * d, n - 1) + 1)
        u = gaussian_count_approximation(n, d, dv, log=True)
        if np.any(u < log_exact(n, d, dv) - 1e-12):
            failing.append((n, d))
    assert failing, "the approximation does fail somewhere"
    assert all(n / 2 - d <= 2.5 for n, d in failing)
    assert (64, 31) in failing and (64, 29) not in failing


def test_constant_prefactor_curves_bracket_the_gaussian_curves():
    for n, d in [(64, 5), (64, 11), (100, 35), (1000, 451)]:
        dv = np.arange(1, min(2 * d, n - 1) + 1)
        lo, hi = constant_prefactor_approximations(n, d, dv, log=True)
        g = gaussian_summand(n, d, dv, log=True)
        even = dv % 2 == 0  # the Gaussian's exponent equals the constant curves' at even dv
        assert np.all(lo[even] <= g[even] + 1e-12)
        assert np.all(gaussian_count_approximation(n, d, dv, log=True)[even] <= hi[even] + 1e-12)
        tlo, thi = constant_prefactor_approximations(n, d, dv, exponent="taylor", log=True)
        assert np.all(tlo >= lo - 1e-12) and np.all(thi >= hi - 1e-12)


def test_component_spans_against_direct_computation():
    n, d = 1000, 451
    dv = np.arange(1, 501)
    s = component_spans(n, d, dv)
    # count the (a, b) pairs of the double sum directly, one a at a time
    counts = np.array([
        sum(min(k, k - (n - d - a)) - max(0, n - d - a) + 1 for a in range(n - d - k // 2, n - k + 1))
        for k in dv
    ])
    assert np.array_equal(summand_count(n, d, dv), counts)
    assert s["count"] == pytest.approx(math.log10(counts.max() / counts.min()), rel=1e-12)
    pre = 1 / np.sqrt(dv * (n - dv))
    assert s["prefactor"] == pytest.approx(math.log10(pre.max() / pre.min()), rel=1e-10)
    assert s["exponential"] > s["count"] and s["exponential"] > s["prefactor"]


# ----------------------------------------------------------------------------- numerics and input
def test_large_n_in_log_space_and_overflow_is_an_error():
    n, d = 10_000, 4_800
    dv = np.arange(1, 2 * d + 1)
    for f in (largest_summand, gaussian_summand, taylor_summand, gaussian_count_approximation):
        v = f(n, d, dv, log=True)
        assert np.all(np.isfinite(v))
    with pytest.raises(OverflowError, match="log=True"):
        largest_summand(n, d, 10)
    # with r = 1 the values are fractions and fit in float64
    assert 0 < largest_summand(n, d, 10, r=1) < 1
    # r = 2**n as an integer equals r=None
    assert largest_summand(64, 11, 4, r=2**64, log=True) == pytest.approx(largest_summand(64, 11, 4, log=True))


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: largest_summand(64, 32, 3), ValueError, "d must be"),
        (lambda: largest_summand(64, -1, 3), ValueError, "d must be"),
        (lambda: largest_summand(64, 11, 65), ValueError, "dv must"),
        (lambda: gaussian_summand(64, 11, 0), ValueError, "dv must"),
        (lambda: taylor_summand(64, 11, 64), ValueError, "dv must"),
        (lambda: largest_summand(64, 11, 3, r=-5), ValueError, "r must"),
        (lambda: largest_summand(64, 11, 3, r="many"), TypeError, "r must"),
        (lambda: constant_prefactor_approximations(64, 11, [1], exponent="cubic"), ValueError, "exponent"),
        (lambda: taylor_rate(1, 0), ValueError, "n must"),
        (lambda: summand_count(64, 11.5, 3), TypeError, "d must"),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
