"""What ``r`` means: ``r=None`` is one neuron at every address (exact counts), ``r=2**n`` is
Kanerva's model with as many *random* neurons as addresses. Each test uses a route that does
not go through the log-space formulas of ``sdmlib.capacity``: brute-force enumeration of all
addresses, exact integers, scipy's binomial quantile, or a scan."""

from __future__ import annotations

import math
from math import comb

import numpy as np
import pytest
from scipy import stats

from sdmlib import capacity as cap
from sdmlib import capacity_simulation as sim
from sdmlib import geometry, jaeckel
from sdmlib.geometry import hamming_ball_intersection, space_fraction


def _popcount(a: np.ndarray) -> np.ndarray:
    return np.array([bin(int(v)).count("1") for v in a.ravel()]).reshape(a.shape)


def _enumerated_counts(n: int, d: int) -> np.ndarray:
    """C(y) = #{addresses a : |a| <= d and |a xor y| <= d} for every y, by enumeration."""
    addr = np.arange(2**n)
    w = _popcount(addr)
    ball = addr[w <= d]  # neurons inside the circle around 0 (one neuron per address)
    dist = _popcount(ball[None, :] ^ addr[:, None])
    return (dist <= d).sum(1)


@pytest.mark.parametrize("n, d", [(10, 3), (11, 4), (12, 2)])
def test_rnone_variance_is_the_exact_mean_square_count_by_enumeration(n, d):
    counts = _enumerated_counts(n, d)
    ec2 = float(np.mean(counts.astype(float) ** 2))
    w = _popcount(np.arange(2**n))
    m = 7
    for dv in (0, 1, d):
        # binomial: (m - 1) E_y C(y)^2 and no variance of the target's exact count
        assert cap.read_variance(n, d, dv, m, None, "binomial") == pytest.approx((m - 1) * ec2, rel=1e-12)
    # jaeckel: every other pattern at floor(n/2), exactly c(n/2)^2
    c_half = int(counts[np.nonzero(w == n // 2)[0][0]])
    v = cap.read_variance(n, d, 0, m, None, "jaeckel")
    assert v == pytest.approx((m - 1) * c_half**2, rel=1e-12, abs=0.0)
    # the mean count equals the exact count at every distance (no Poisson term)
    for dv in range(0, 2 * d + 2):
        idx = np.nonzero(w == dv)[0][0]
        assert cap.snr(n, d, 1, None, dv, model="binomial") == (math.inf if dv <= 2 * d else 0.0)  # m = 1: no noise
        assert geometry.expected_neurons_in_intersection(n, d, dv, None) == pytest.approx(counts[idx], rel=1e-12)


def test_rnone_differs_from_random_neurons_only_by_the_sampling_terms():
    n, d, m = 12, 3, 9
    v_det = cap.read_variance(n, d, 2, m, None, "binomial")
    v_rand = cap.read_variance(n, d, 2, m, 2**n, "binomial")
    # random neurons add Var C_t = r q (1 - q) and (m - 1) E[r q_k (1 - q_k)]
    q = lambda k: hamming_ball_intersection(n, d, k) / 2**n  # noqa: E731
    extra = 2**n * q(2) * (1 - q(2)) + (m - 1) * sum(
        comb(n, k) / 2**n * 2**n * q(k) * (1 - q(k)) for k in range(n + 1))
    assert v_rand - v_det == pytest.approx(extra, rel=1e-10)


def test_rnone_snr_is_the_referees_formula_and_falls_monotonically():
    n, m = 64, 1024
    s = []
    for d in range(0, 33):
        c = [hamming_ball_intersection(n, d, k) for k in range(n + 1)]  # exact ints
        ec2 = sum(comb(n, k) * c[k] ** 2 for k in range(n + 1)) / 2**n
        expected = c[0] / math.sqrt((m - 1) * ec2)
        got = cap.snr(n, d, m, None, model="binomial")
        assert got == pytest.approx(expected, rel=1e-9)
        # Kanerva's model without its Poisson terms: 1 / (p sqrt m)
        assert cap.snr(n, d, m, None) == pytest.approx(1 / (space_fraction(n, d) * math.sqrt(m)), rel=1e-10)
        s.append(got)
    assert np.all(np.diff(s) < 0)
    assert cap.optimal_radius_snr(n, m, None, rule="argmax", model="binomial") == 0
    assert cap.optimal_radius_snr(n, m, None, rule="argmax") == 0
    # random neurons, r = 2**n: Kanerva's interior optimum; the exact variance moves it
    assert cap.optimal_radius_snr(n, m, 2**n, rule="argmax") == 11
    s_rand = [cap.snr(n, d, m, 2**n, model="binomial") for d in range(33)]
    assert 0 < int(np.argmax(s_rand)) < 11


def test_rnone_has_no_closed_form_optimum_and_capacity_falls_with_d():
    with pytest.raises(ValueError, match="r=None"):
        cap.optimal_fraction_snr(64, 1024, None)
    with pytest.raises(ValueError, match="r=None"):
        cap.optimal_fraction_memory(64, None)
    with pytest.raises(ValueError, match="r=None"):
        cap.optimal_radius_memory(64, None)
    with pytest.raises(ValueError, match="r=None"):
        cap.optimal_radius_snr_m_range(64, None, 11)
    with pytest.raises(ValueError, match="original"):
        cap.read_variance(64, 11, 0, 10, None, "original")
    z = stats.norm.ppf(0.5 ** (1 / 64))
    d = np.arange(0, 20)
    mm = cap.max_patterns(64, d, None)
    assert np.allclose(mm, 1 + 1 / (z * space_fraction(64, d)) ** 2, rtol=1e-10)
    assert np.all(np.diff(mm) < 0) and cap.optimal_radius_memory(64, None, rule="argmax") == 0
    assert cap.optimal_radius_memory(64, 2**64, rule="argmax") == 5


def test_coverage_of_one_neuron_per_address_versus_2n_random_neurons():
    assert np.all(cap.neuron_coverage(64, np.arange(65), None) == 1.0)
    assert cap.neuron_coverage(64, 0, None, method="normal") == 1.0
    # 2**64 random neurons: P(some neuron at the query's own address) = 1 - (1 - 2^-64)^(2^64) -> 1 - 1/e
    assert cap.neuron_coverage(64, 0, 2**64) == pytest.approx(1 - math.exp(-1), rel=1e-12)
    assert cap.radius_for_one_neuron(64, None) == 0 and cap.radius_for_one_neuron(64, 2**64) == 0


def test_rnone_map_is_exact_without_crosstalk_and_matches_simulation():
    y = cap.convergence_map(64, 9, 1, None)
    assert np.all(y[:19] == 0) and np.all(y[19:] == 32)
    out = cap.simulate_convergence(64, 9, 1, None, [0, 10, 18], trials=10, rng=3)
    assert np.all(out == 0)
    with pytest.raises(TypeError, match="random neurons"):
        cap.convergence_map(64, 9, 1, None, method="exact")
    # the reconstruction's ceiling: without cross-talk CD = 2d whatever m, for both models
    for m in (1, 1e4, 1e8):
        assert cap.critical_distance(64, 15, m, None) == 30 == cap.critical_distance(64, 15, m, 2**64)


def test_snr_m_range_against_a_scan_and_scipys_quantile():
    n, r = 64, 2**64
    lo, hi = cap.optimal_radius_snr_m_range(n, r, 11)
    for m in (lo - 1, lo, hi, hi + 1):  # scipy's binomial quantile of p* = (2 m r)^(-1/3)
        assert cap.optimal_radius_snr(n, m, r) == int(stats.binom.ppf((2 * m * r) ** (-1 / 3), n, 0.5))
    assert cap.optimal_radius_snr(n, lo - 1, r) == 12 and cap.optimal_radius_snr(n, hi + 1, r) == 10
    alo, ahi = cap.optimal_radius_snr_m_range(n, r, 11, "argmax")
    scan = {m: cap.optimal_radius_snr(n, m, r, "argmax") for m in list(range(1, 40)) + list(range(ahi - 5, ahi + 6))}
    assert all(v == 11 for m, v in scan.items() if alo <= m <= ahi)
    assert all(v != 11 for m, v in scan.items() if m < alo or m > ahi)
    assert all(scan[a] >= scan[b] for a, b in zip(sorted(scan), sorted(scan)[1:]))  # non-increasing
    assert cap.optimal_radius_snr_m_range(n, r, 40) is None


def test_critical_distance_from_fraction_and_bootstrap_interval():
    assert sim.critical_distance_from_fraction([0.9, 0.6, 0.4, 0.8]) == 1
    assert sim.critical_distance_from_fraction([0.9, 0.6, 0.4, 0.8], interpolate=True) == pytest.approx(1.5)
    assert sim.critical_distance_from_fraction([0.4, 1.0]) == -1
    assert sim.critical_distance_from_fraction([1.0, 1.0]) == 1
    with pytest.raises(ValueError, match="frac"):
        sim.critical_distance_from_fraction([])
    # coverage of the percentile interval: trials converge for x <= X_t, X_t ~ U{8..12};
    # the population's converged fraction crosses 1/2 between x = 10 (0.6) and 11 (0.4): 10.5
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(60):
        xt = rng.integers(8, 13, size=80)
        conv = np.arange(16)[None, :] <= xt[:, None]
        est, lo, hi = sim.bootstrap_critical_distance(conv, resamples=300, rng=rng)
        assert lo <= est <= hi
        hits += lo <= 10.5 <= hi
    assert 0.8 <= hits / 60 <= 1.0
    with pytest.raises(ValueError, match="converged"):
        sim.bootstrap_critical_distance(np.ones((1, 3), bool))


def test_jaeckel_designs_need_an_explicit_number_of_neurons():
    with pytest.raises(TypeError, match="r=None"):
        jaeckel.jaeckel_intersection(30, 4, 3, None)
    with pytest.raises(TypeError, match="r=None"):
        jaeckel.jaeckel_read_variance(30, 4, 3, 10, None)
    assert jaeckel.jaeckel_intersection(30, 4, 0, 2**30) == pytest.approx(2**30 / 16, rel=1e-12)


def test_vectorised_bootstrap_rows_and_mask_decoding_match_the_scalar_routes():
    rng = np.random.default_rng(3)
    fr = rng.random((200, 12))
    fr[:20] = 0.9  # rows that never fail
    fr[20:30, 0] = 0.1  # rows failing at x = 0
    got = sim._interpolated_cd_rows(fr, 0.5)
    want = [sim.critical_distance_from_fraction(f, 0.5, interpolate=True) for f in fr]
    assert np.allclose(got, want)
    masks = [sim.encode_converged(rng.integers(0, 2, 33)) for _ in range(50)]
    assert np.array_equal(sim.decode_converged(masks, 33), np.stack([sim.decode_converged(t, 33) for t in masks]))
    with pytest.raises(ValueError, match="bits beyond"):
        sim.decode_converged(["1ff"], 8)
