"""Tests of sdmlib.capacity: closed forms against sympy, exact integers, numerical optimisation
and Monte-Carlo simulation of a real random SDM (built from sdmlib.hamming)."""

from __future__ import annotations

import math
from fractions import Fraction
from math import comb

import numpy as np
import pytest
import sympy as sp
from scipy import optimize, stats

from sdmlib import capacity as cap
from sdmlib.geometry import hamming_ball_intersection, hamming_radius_for_fraction

# ------------------------------------------------------------------------------------------
# exact references (integers / fractions), independent of the log-space code
# ------------------------------------------------------------------------------------------


def p_exact(n: int, d: int) -> Fraction:
    return Fraction(sum(comb(n, i) for i in range(d + 1)), 2**n)


def I_exact(n: int, d: int, dv: int, r) -> Fraction:
    return Fraction(hamming_ball_intersection(n, d, dv)) * Fraction(r) / 2**n


# ------------------------------------------------------------------------------------------
# SNR and d*_SNR
# ------------------------------------------------------------------------------------------


def test_snr_derivative_vanishes_at_closed_form_sympy():
    p, m, r = sp.symbols("p m r", positive=True)
    snr2 = p * r / (1 + p * m + p**3 * m * r)
    num = sp.numer(sp.together(sp.diff(snr2, p)))
    assert sp.simplify(num - (r - 2 * p**3 * m * r**2)) == 0
    pstar = (2 * m * r) ** sp.Rational(-1, 3)
    assert sp.simplify(sp.diff(snr2, p).subs(p, pstar)) == 0
    # second derivative negative: a maximum
    val = sp.diff(snr2, p, 2).subs(p, pstar).subs({m: 1024, r: 2**64})
    assert float(val) < 0


@pytest.mark.parametrize("n,m,r", [(64, 1024, 2**64), (1000, 1e4, 1e6), (1000, 1e12, 2**1000), (100, 1, 1.0)])
def test_optimal_fraction_snr_equals_numerical_maximum(n, m, r):
    lr = math.log(r)

    def neg_log_snr2(lp):  # log SNR^2 as a function of log p, overflow-free
        return -(lp + lr - np.logaddexp(np.logaddexp(0.0, lp + math.log(m)), 3 * lp + math.log(m) + lr))

    res = optimize.minimize_scalar(neg_log_snr2, bounds=(-800.0, 0.0), method="bounded", options={"xatol": 1e-10})
    p_star = cap.optimal_fraction_snr(n, m, r)
    if res.x < -1e-6:
        assert abs(math.log(p_star) - res.x) < 1e-5
    else:  # optimum at the boundary p = 1
        assert p_star == 1.0


def test_snr_matches_exact_fraction_formula():
    for n, d, m, r in [(64, 11, 1024, 2**64), (100, 35, 100, 10_000), (20, 6, 3, 50)]:
        p = p_exact(n, d)
        pr = p * r
        snr2 = pr / (1 + p * m + p**3 * m * r)
        assert cap.snr(n, d, m, r) == pytest.approx(math.sqrt(snr2), rel=1e-10)


def test_paper_radius_snr_is_11_and_independent_quantile():
    assert cap.optimal_radius_snr(64, 1024, 2**64) == 11
    assert cap.optimal_radius_snr(64, 1024, 2**64, rule="argmax") == 11
    # r=None is one neuron at every address: no interior optimum (see the r=None tests below)
    with pytest.raises(ValueError, match="r=None"):
        cap.optimal_radius_snr(64, 1024, None)
    # independent route: scipy's binomial quantile of (2 m r)^(-1/3)
    for n, m, r in [(1000, 1e4, 1e6), (64, 60_000, 2**64), (1000, 100, 1e6)]:
        pstar = (2 * m * r) ** (-1 / 3)
        assert cap.optimal_radius_snr(n, m, r) == int(stats.binom.ppf(pstar, n, 0.5))


def test_optimal_radius_snr_argmax_is_integer_argmax():
    n, m, r = 100, 50, 1e5
    vals = [cap.snr(n, d, m, r) for d in range(n + 1)]
    assert cap.optimal_radius_snr(n, m, r, rule="argmax") == int(np.argmax(vals))


# ------------------------------------------------------------------------------------------
# memory capacity, the cubic and d*_Mem
# ------------------------------------------------------------------------------------------


def test_capacity_derivative_reduces_to_cubic_and_cardano_root_sympy():
    p, r, z = sp.symbols("p r z", positive=True)
    sigma2_m = sp.Symbol("M", positive=True)
    # solve pr / sqrt(pr + (M - 1)(p^2 r + p^4 r^2)) = z for M
    M = sp.solve(sp.Eq((p * r) ** 2 / z**2, p * r + (sigma2_m - 1) * (p**2 * r + p**4 * r**2)), sigma2_m)[0]
    mmax = 1 + ((p * r) ** 2 / z**2 - p * r) / (p**2 * r + p**4 * r**2)
    assert sp.simplify(M - mmax) == 0
    dm = sp.together(sp.diff(mmax, p))
    num, den = sp.fraction(dm)
    cubic = 2 * r**2 * p**3 - 3 * r * z**2 * p**2 - z**2
    # the numerator of the derivative is the cubic times a factor free of p (so same roots)
    ratio = sp.factor(sp.cancel(num / cubic))
    assert not ratio.has(p), ratio
    assert sp.simplify(num - ratio * cubic) == 0
    # the spec's Cardano form equals the library's (rescaled) closed form, and solves the cubic
    A = 2 * r**4 * z**2 + r**3 * z**6 + 2 * sp.sqrt(r**8 * z**4 + r**7 * z**8)
    p_spec = (z**4 / A ** sp.Rational(1, 3) + A ** sp.Rational(1, 3) / r**2 + z**2 / r) / 2
    for rv, zv in [(10**6, sp.Rational(233, 100)), (10**9, sp.Rational(233, 100)), (2**64, sp.Float(2.3, 40))]:
        ps = sp.N(p_spec.subs({r: rv, z: zv}), 50)
        assert abs(sp.N(cubic.subs({r: rv, z: zv, p: ps}), 50)) < 1e-30 * sp.N(zv**2)
        P = float(stats.norm.cdf(float(zv))) ** 64
        ours = cap.optimal_fraction_memory(64, rv, P)
        z64 = cap.bit_snr_threshold(64, P)
        assert abs(z64 - float(zv)) < 1e-9
        assert ours == pytest.approx(float(ps), rel=1e-8)


@pytest.mark.parametrize("r", [1e3, 1e6, 2**64, 2**1000])
@pytest.mark.parametrize("P", [0.5, 0.99])
def test_cardano_root_equals_numerical_root_and_maximum(r, P):
    n = 64
    z = cap.bit_snr_threshold(n, P)
    pc = cap.optimal_fraction_memory(n, r, P, method="cardano")
    pn = cap.optimal_fraction_memory(n, r, P, method="numerical")
    assert pc == pytest.approx(pn, rel=1e-10)
    # the Cardano root maximises m_max(p): compare with a bounded numerical maximisation in
    # log p, evaluating m_max in high precision (the maximum is flat to ~r^(-1/3) relative)
    import mpmath as mpm

    mpm.mp.dps = 60 + int(math.log10(r))
    R, Z = mpm.mpf(r), mpm.mpf(z)

    def mmax(lp):
        q = mpm.exp(mpm.mpf(lp))
        return 1 + ((q * R) ** 2 / Z**2 - q * R) / (q**2 * R + q**4 * R**2)

    res = optimize.minimize_scalar(lambda lp: -float(mpm.log(mmax(lp) - 1)),
                                   bounds=(math.log(z**2 / r) + 1e-6, 0.0), method="bounded")
    lpc = math.log(pc)
    assert mmax(lpc) >= mmax(res.x) * (1 - mpm.mpf(10) ** -12)
    assert mmax(lpc) > mmax(lpc - 1e-3) and mmax(lpc) > mmax(lpc + 1e-3)
    mpm.mp.dps = 15


def test_max_patterns_exact_criterion_and_zero_below_one():
    n, d, r = 100, 35, 10**6
    P = 0.5
    M = cap.max_patterns(n, d, r, P)
    p = float(p_exact(n, d))
    z = float(stats.norm.ppf(P ** (1 / n)))
    assert M == pytest.approx(1 + ((p * r) ** 2 / z**2 - p * r) / (p**2 * r + p**4 * r**2), rel=1e-10)
    # a radius so small that pr < z^2: not even one pattern
    assert cap.max_patterns(n, 5, r, P) == 0.0
    assert np.all(cap.max_patterns(n, [5, 35], r, P) == [0.0, M])


def test_paper_radius_memory_is_5():
    assert cap.optimal_radius_memory(64, 2**64, 0.5) == 5
    assert cap.optimal_radius_memory(64, 2**64, 0.5, rule="argmax") == 5
    # the quantile of the closed-form fraction, decided by sdmlib.geometry's exact integers
    assert hamming_radius_for_fraction(64, cap.optimal_fraction_memory(64, 2**64, 0.5)) == 5


def test_memory_radius_moves_with_retrieval_probability():
    ds = [cap.optimal_radius_memory(64, 2**64, P) for P in (0.01, 0.5, 0.99, 0.999999)]
    assert ds == sorted(ds)  # a stricter P needs at least as large a radius


# ------------------------------------------------------------------------------------------
# variance models
# ------------------------------------------------------------------------------------------


def test_variance_models_against_exact_fractions():
    n, d, m, r = 24, 7, 11, 500
    p = p_exact(n, d)
    kan = p * r * (1 + p * m * (1 + p**2 * r))
    assert cap.read_variance(n, d, 3, m, r, "kanerva") == pytest.approx(float(kan), rel=1e-10)
    Iperp = I_exact(n, d, n // 2, r)
    for dv in (0, 3, 9, 14):
        jae = I_exact(n, d, dv, r) + (m - 1) * (Iperp + Iperp**2)
        assert cap.read_variance(n, d, dv, m, r, "jaeckel") == pytest.approx(float(jae), rel=1e-10)
        # binomial: r q (1 - q) + (m - 1) sum_k P(k) [r q_k (1 - q_k) + r^2 q_k^2]
        qt = Fraction(hamming_ball_intersection(n, d, dv), 2**n)
        cross = sum(
            Fraction(comb(n, k), 2**n) * (r * qk * (1 - qk) + r**2 * qk**2)
            for k in range(n + 1)
            for qk in [Fraction(hamming_ball_intersection(n, d, k), 2**n)]
        )
        binv = r * qt * (1 - qt) + (m - 1) * cross
        assert cap.read_variance(n, d, dv, m, r, "binomial") == pytest.approx(float(binv), rel=1e-10)
    # the original's "old" model
    cp = (d - n / 2) / math.sqrt(n / 4)
    h = -math.exp(-cp**2) / math.pi
    old = (1 + h**2 * r / (4 * float(p) ** 2 * n)) * float(p) ** 2 * r * m
    assert cap.read_variance(n, d, 0, m, r, "original") == pytest.approx(old, rel=1e-10)


def test_jaeckel_variance_at_zero_is_kanerva_with_m_minus_one_when_crosstalk_is_p2r():
    # the identity behind section 11.1: with I_perp -> p^2 r, sigma^2(0) = pr + (m-1)(p^2 r + p^4 r^2)
    n, d, m, r = 64, 15, 1024, 2.0**64
    p = float(p_exact(n, d))
    kan_m1 = p * r * (1 + p * (m - 1) * (1 + p**2 * r))  # Kanerva with m -> m - 1
    direct = p * r + (m - 1) * (p**2 * r + p**4 * r**2)
    assert kan_m1 == pytest.approx(direct, rel=1e-12)


def test_large_parameters_do_not_overflow():
    for n, d, m, r in [(1000, 451, 1e12, 2**1000), (100_000, 49_000, 1e12, 2**1000), (64, 15, 1e12, None)]:
        lv = cap.read_variance(n, d, [0, 10, n // 2], m, r, "binomial", log=True)
        assert np.all(np.isfinite(lv))
        lk = cap.read_variance(n, d, 0, m, r, "kanerva", log=True)
        assert np.isfinite(lk)
        s = cap.snr(n, d, m, r)
        assert np.isfinite(s) and s > 0
        rule = "argmax" if r is None else "quantile"
        assert 0 <= cap.optimal_radius_snr(n, m, r, rule=rule) <= n
        assert 0 <= cap.optimal_radius_memory(n, r, rule=rule) <= n
        assert np.all(np.isfinite(cap.convergence_map(n, d, m, r, [0, 1, 2 * d + 1 if 2 * d < n else n])))
    with pytest.raises(OverflowError):
        cap.read_variance(1000, 451, 0, 1e12, 2**1000, "binomial")


def test_input_validation():
    with pytest.raises(ValueError, match="r must"):
        cap.snr(64, 11, 10, 0)
    with pytest.raises(TypeError, match="r must"):
        cap.snr(64, 11, 10, "many")
    with pytest.raises(ValueError, match="m must"):
        cap.snr(64, 11, 0.5, 100)
    with pytest.raises(ValueError, match="d must"):
        cap.snr(64, 65, 10, 100)
    with pytest.raises(ValueError, match="dv must"):
        cap.read_variance(64, 11, 65, 10, 100)
    with pytest.raises(ValueError, match="model must"):
        cap.read_variance(64, 11, 0, 10, 100, model="gauss")
    with pytest.raises(ValueError, match="retrieval_probability must"):
        cap.max_patterns(64, 11, 100, 1.0)
    with pytest.raises(ValueError, match="retrieval_probability must exceed"):
        cap.optimal_radius_memory(10, 100, 1e-6)
    with pytest.raises(ValueError, match="convention must"):
        cap.critical_distance(64, 11, 10, 100, convention="middle")
    with pytest.raises(TypeError, match="integer number r of random neurons"):
        cap.convergence_map(64, 11, 10, None, method="exact")
    with pytest.raises(ValueError, match="method must"):
        cap.neuron_coverage(64, 11, 100, method="binomial")


# ------------------------------------------------------------------------------------------
# Monte Carlo with a real random SDM (sdmlib.hamming)
# ------------------------------------------------------------------------------------------

SETTINGS = [
    # the original's protocol: n = 100, r = 10^4, m = 100, d = 35
    dict(n=100, d=35, m=100, r=10_000, dv=[0, 2, 4, 8, 10, 20, 40, 50], epochs=60, seed=11),
    # larger cross-talk: n = 64, d = 22, r = 2000, m = 30
    dict(n=64, d=22, m=30, r=2000, dv=[0, 4, 12, 20, 32], epochs=60, seed=12),
]


@pytest.fixture(scope="module", params=range(len(SETTINGS)))
def simulation(request):
    s = SETTINGS[request.param]
    sim = cap.simulate_read_sums(s["n"], s["d"], s["m"], s["r"], s["dv"], s["epochs"], rng=s["seed"])
    return s, sim


def test_simulated_intersection_means(simulation):
    s, sim = simulation
    n, d, r = s["n"], s["d"], s["r"]
    mean, _ = sim.intersection_mean()
    for i, dv in enumerate(s["dv"]):
        q = float(Fraction(hamming_ball_intersection(n, d, dv), 2**n))
        se = math.sqrt(r * q * (1 - q) / sim.epochs)  # binomial count, known variance
        assert abs(mean[i] - r * q) < 4 * se + 1e-12, (dv, mean[i], r * q)


def test_simulated_read_variance_follows_binomial_model(simulation):
    s, sim = simulation
    var, se = sim.read_variance()
    model = cap.read_variance(s["n"], s["d"], s["dv"], s["m"], s["r"], "binomial")
    z = (var - model) / se
    assert np.all(np.abs(z) < 4), z
    # Kanerva's constant variance cannot follow a variance that falls with dv
    kan = cap.read_variance(s["n"], s["d"], s["dv"], s["m"], s["r"], "kanerva")
    assert np.max(np.abs((var - kan) / se)) > 4


def test_simulated_one_step_map_follows_exact_model():
    # a real neuron SDM, read once from noisy queries: mean new distance vs the exact per-bit model
    for n, d, m, r, xs, seed, trials in [(100, 38, 300, 10_000, [10, 20, 30], 3, 20),
                                         (64, 24, 200, 3000, [4, 12, 20], 4, 40)]:
        out = cap.simulate_convergence(n, d, m, r, xs, trials=trials, rng=seed)
        mean, se = out.mean(0), out.std(0, ddof=1) / math.sqrt(out.shape[0])
        model = cap.convergence_map(n, d, m, r, xs, method="exact")
        assert np.all(np.abs(mean - model) < 4 * se), (mean, model, se)


def test_attention_setting_simulation_matches_without_crosstalk():
    # n = 64, r = 2^64 (every address a neuron), d = 9 < n/4: I(n/2) = 0; with few patterns
    # the reads are exact inside 2d and a coin flip beyond
    out = cap.simulate_convergence(64, 9, 1, None, [0, 10, 18, 19, 30], trials=30, rng=5)
    mean = out.mean(0)
    assert np.all(mean[:3] == 0)
    model = cap.convergence_map(64, 9, 1, None, [19, 30])
    assert np.all(np.abs(mean[3:] - model) < 4 * math.sqrt(16 / 30))


# ------------------------------------------------------------------------------------------
# critical distance
# ------------------------------------------------------------------------------------------


def test_critical_distance_without_crosstalk_is_2d():
    # 2d < n/2 -> I(n/2) = 0: the map fails exactly where the circles stop meeting
    for d in range(3, 16):
        assert cap.critical_distance(64, d, 1024, 2**64) == 2 * d
        assert cap.critical_distance(64, d, 1024, 2**64, convention="first_failing") == 2 * d + 1


def test_critical_distance_optimum_for_paper_setting():
    # the paper: d*_CD = 15 for n = 64, m = 1024, r = 2^64
    for conv in cap.CD_CONVENTIONS:
        best, rad, cds = cap.optimal_radius_critical_distance(64, 1024, 2**64, convention=conv, return_all=True)
        assert best == 15
    _, rad, cds = cap.optimal_radius_critical_distance(64, 1024, 2**64, return_all=True)
    # documented difference: with the "2d" convention d = 15, 16, 17 tie (ties go to the smallest d)
    assert list(rad[cds == cds.max()]) == [15, 16, 17]
    _, rad, cdi = cap.optimal_radius_critical_distance(64, 1024, 2**64, convention="interpolated", return_all=True)
    assert list(rad[cdi == cdi.max()]) == [15]


def test_critical_distance_against_figure_readings():
    # readings of the lost notebook's figure (n = 64, m = 1024, r = 2^64), within +-1
    readings = {9: 19, 15: 31, 16: 30, 17: 30, 20: 24, 21: 20, 22: 12, 23: 0, 25: 0}
    for d, val in readings.items():
        cd = cap.critical_distance(64, d, 1024, 2**64, convention="interpolated")
        assert abs(cd - val) <= 1.0, (d, cd, val)
    # n = 1000, m = 10^4, r = 10^6: peak ~176 near d ~ 448
    best, rad, cds = cap.optimal_radius_critical_distance(
        1000, 1e4, 10**6, radii=range(430, 470), return_all=True
    )
    assert abs(best - 448) <= 2 and abs(cds.max() - 176) <= 2
    # the original's old variance at d = 451: crossing near 212
    assert abs(cap.critical_distance(1000, 451, 1e4, 10**6, variance="original", convention="interpolated") - 212) <= 2


def test_critical_distance_conventions_are_consistent():
    for d in (15, 18, 20, 22):
        a = cap.critical_distance(64, d, 1024, 2**64, convention="last_converging")
        b = cap.critical_distance(64, d, 1024, 2**64, convention="first_failing")
        c = cap.critical_distance(64, d, 1024, 2**64, convention="interpolated")
        assert b == a + 1 and a <= c <= b
        y = cap.convergence_map(64, d, 1024, 2**64)
        assert np.all(y[1 : a + 1] < np.arange(1, a + 1)) and (a == 64 or y[a + 1] >= a + 1)


# ------------------------------------------------------------------------------------------
# neuron coverage
# ------------------------------------------------------------------------------------------


def test_neuron_coverage_exact_against_fractions_and_approximations():
    n, r = 60, 1000
    for d in (10, 18, 22, 30):
        p = p_exact(n, d)
        exact = 1 - (1 - float(p)) ** r
        assert cap.neuron_coverage(n, d, r) == pytest.approx(exact, rel=1e-9, abs=1e-15)
        assert cap.neuron_coverage(n, d, r, "poisson") == pytest.approx(1 - math.exp(-r * float(p)), rel=1e-9)
    # the normal approximations use Phi((d [+ 1/2] - n/2) / sqrt(n/4))
    n, r, d = 1000, 10**6, 425
    pn = stats.norm.cdf((d - 500) / math.sqrt(250))
    pcc = stats.norm.cdf((d + 0.5 - 500) / math.sqrt(250))
    assert cap.neuron_coverage(n, d, r, "normal") == pytest.approx(1 - (1 - pn) ** r, rel=1e-9)
    assert cap.neuron_coverage(n, d, r, "normal_cc") == pytest.approx(1 - (1 - pcc) ** r, rel=1e-9)
    # the continuity correction is closer to the exact value
    ex = cap.neuron_coverage(n, d, r)
    assert abs(cap.neuron_coverage(n, d, r, "normal_cc") - ex) < abs(cap.neuron_coverage(n, d, r, "normal") - ex)


def test_neuron_coverage_monte_carlo():
    from sdmlib.hamming import hamming_distance, pack_bits

    rng = np.random.default_rng(21)
    n, r, d, trials = 40, 200, 12, 400
    hits = 0
    for _ in range(trials):
        neurons = pack_bits(rng.integers(0, 2, size=(r, n), dtype=np.uint8))
        q = pack_bits(rng.integers(0, 2, size=n, dtype=np.uint8))
        hits += int(np.any(hamming_distance(q, neurons) <= d))
    P = cap.neuron_coverage(n, d, r)
    assert abs(hits / trials - P) < 4 * math.sqrt(P * (1 - P) / trials)


def test_radius_for_one_neuron_and_kanerva_451():
    n, r = 1000, 10**6
    d1 = cap.radius_for_one_neuron(n, r)
    assert p_exact(n, d1) * r >= 1 > p_exact(n, d1 - 1) * r
    dn = cap.radius_for_one_neuron(n, r, "normal")
    assert dn == pytest.approx(500 + math.sqrt(250) * stats.norm.ppf(1e-6), rel=1e-12)
    # Kanerva's d = 451 holds about a thousand neurons, far above the one-neuron threshold
    assert 1000 <= float(p_exact(n, 451)) * r < 1100 and d1 < 451 - 20
    assert cap.neuron_coverage(n, d1 - 10, r) < 0.05 and cap.neuron_coverage(n, d1 + 8, r) > 0.999
    # very large r and n stay finite
    assert cap.neuron_coverage(100_000, 49_000, 2**1000) == 1.0
    assert 0 <= cap.radius_for_one_neuron(100_000, 2**1000) < 50_000


def test_simulated_critical_distance_documents_difference_from_reconstruction():
    # Iterating a real (attention-setting) memory, n = 64, m = 1024, r = 2^64: queries from
    # ~19 bits still converge at d = 15, far below the reconstruction's 30 (which sets the
    # cross-talk to I(n/2) = 0 for 2d < n/2). d = 15 still beats d = 11 and d = 19.
    sims = {d: cap.simulated_critical_distance(64, d, 1024, None, trials=40, steps=10, max_distance=32, rng=d)[0]
            for d in (11, 15, 19)}
    assert 16 <= sims[15] <= 22
    assert sims[15] < cap.critical_distance(64, 15, 1024, 2**64) - 5
    assert sims[15] >= sims[11] - 1 and sims[15] > sims[19]


def test_cli_radii(capsys):
    from sdmlib.__main__ import main

    assert main(["radii", "--n", "64", "--m", "1024", "--r", "2**64"]) == 0
    out = capsys.readouterr().out
    assert "d*_SNR = 11" in out and "d*_Mem = 5" in out and "d*_CD  = 15" in out
    assert main(["radii", "--r", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "r must" in err
    assert main(["radii", "--r", "lots"]) == 2


def test_optimal_radius_cd_large_n_search_matches_band_scan():
    # n = 6000: the pruned search (radii below the one-neuron radius have CD = 0) agrees with a
    # scan of the band around the SNR optimum
    n, m, r = 6000, 1e4, 1e6
    best = cap.optimal_radius_critical_distance(n, m, r)
    d0 = cap.optimal_radius_snr(n, m, r)
    band = range(d0 - 20, d0 + 21)
    b2, _, cds = cap.optimal_radius_critical_distance(n, m, r, radii=band, return_all=True)
    assert best == b2 and cds.max() > 0
    assert cap.critical_distance(n, cap.radius_for_one_neuron(n, r) - 1, m, r) == 0
