"""Tests of sdmlib.beta_estimators: the KL-optimal (moment-matching) β and distance weights.

Independent routes: the KL divergence computed directly from exact integer
intersections (sdmlib.geometry.hamming_ball_intersection) with scipy.stats.entropy
and minimised by scipy.optimize.minimize_scalar (not the library's root finder),
a brute-force grid, a memory expanded into individual patterns (so the
distance weights are checked against their definition), and synthetic softmax
targets.
"""

import math

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.stats import binom, entropy

from sdmlib.beta import beta_for_radius, cli_main, fit_beta, radius_for_beta
from sdmlib.beta_estimators import (
    distance_log_weights,
    kl_beta,
    kl_target,
    softmax_approximation_error,
)
from sdmlib.geometry import cap_intersection, hamming_ball_intersection


def _exact_target(n, d, space="binary"):
    dv = np.arange(n + 1)
    if space == "binary":
        c = np.array([float(hamming_ball_intersection(n, d, int(k))) for k in dv])
    else:
        c = np.asarray(cap_intersection(n, d, 1 - 2 * dv / n, r=1), dtype=float)
    return 1 - 2 * dv / n, c / c.sum()


def _direct_kl(beta, x, t, w):
    """KL(q || q_beta) from scratch: q = w t / sum, q_beta = w e^{beta x} / sum."""
    q = w * t / np.sum(w * t)
    z = beta * x
    s = w * np.exp(z - z.max())
    return entropy(q, s / s.sum())


@pytest.mark.parametrize("n, d, space, weights", [
    (64, 5, "binary", None), (64, 11, "binary", None), (64, 15, "binary", None),
    (64, 11, "binary", "binomial"), (64, 5, "binary", "binomial"), (100, 30, "binary", None),
    (100, 38, "binary", "binomial"), (64, 11, "continuous", None), (64, 15, "continuous", "binomial"),
])
def test_kl_beta_is_the_minimum_found_by_an_independent_optimiser(n, d, space, weights):
    x, t = _exact_target(n, d, space)
    w = np.ones(n + 1) if weights is None else binom.pmf(np.arange(n + 1), n, 0.5)
    ours = fit_beta(n, d, space=space, estimator="kl", distance_weights=weights).beta
    grid = np.linspace(0.5, 200, 1000)
    kl_grid = np.array([_direct_kl(b, x, t, w) for b in grid])
    i = int(np.argmin(kl_grid))
    res = minimize_scalar(lambda b: _direct_kl(b, x, t, w), bounds=(grid[i - 1], grid[i + 1]),
                          method="bounded", options={"xatol": 1e-10})
    assert ours == pytest.approx(res.x, rel=1e-6)
    # the library's KL divergence at its beta is the direct one, and no grid point beats it
    e = softmax_approximation_error(n, d, ours, space=space, distance_weights=weights)
    assert e["kl_divergence"] == pytest.approx(_direct_kl(ours, x, t, w), rel=1e-8, abs=1e-14)
    assert e["kl_divergence"] <= kl_grid.min() + 1e-12


def test_kl_beta_matches_the_mean_cosine():
    for n, d, weights in [(64, 11, None), (64, 11, "binomial"), (1000, 451, None), (1000, 451, "binomial")]:
        beta = fit_beta(n, d, estimator="kl", distance_weights=weights).beta
        q = kl_target(n, d, distance_weights=weights)
        x = 1 - 2 * np.arange(n + 1) / n
        lw = distance_log_weights(n, weights)
        z = beta * x + lw
        s = np.exp(z - z.max())
        s /= s.sum()
        assert np.dot(s, x) == pytest.approx(np.dot(q, x), rel=1e-10)


def test_binomial_weights_equal_a_memory_of_individual_patterns():
    # n = 12: put C(12, k) patterns at distance k (every address once) and compute the
    # per-pattern SDM and softmax weights directly; the weighted KL and its minimiser agree.
    n, d = 12, 3
    counts = np.array([math.comb(n, k) for k in range(n + 1)])
    dist = np.repeat(np.arange(n + 1), counts)                      # 4096 patterns
    inter = np.array([float(hamming_ball_intersection(n, d, int(k))) for k in dist])
    t = inter / inter.sum()
    x = 1 - 2 * dist / n

    def per_pattern_kl(beta):
        s = np.exp(beta * x - beta)
        return entropy(t, s / s.sum())

    res = minimize_scalar(per_pattern_kl, bounds=(0.1, 100), method="bounded", options={"xatol": 1e-10})
    for weights in ("binomial", counts):
        ours = fit_beta(n, d, estimator="kl", distance_weights=weights).beta
        assert ours == pytest.approx(res.x, rel=1e-6)
        e = softmax_approximation_error(n, d, ours, distance_weights=weights)
        assert e["kl_divergence"] == pytest.approx(per_pattern_kl(ours), rel=1e-8)


def test_kl_beta_recovers_softmax_targets_and_handles_signs():
    x = np.linspace(-1, 1, 21)
    for b in (-7.5, 0.0, 0.3, 12.0, 100.0):
        assert kl_beta(x, b * x) == pytest.approx(b, abs=1e-8 * max(1, abs(b)))
        lw = np.log(binom.pmf(np.arange(21), 20, 0.5))
        assert kl_beta(x, b * x, lw) == pytest.approx(b, abs=1e-8 * max(1, abs(b)))
    # a zero-weight class is ignored by both distributions
    lw = np.zeros(21)
    lw[5] = -np.inf
    assert kl_beta(x, 3.0 * x, lw) == pytest.approx(3.0, rel=1e-9)


def test_kl_fit_attributes():
    f = fit_beta(64, 11, estimator="kl")
    assert f.window == (0, 64) and f.dv.tolist() == list(range(23))
    assert f.dropped_dv.tolist() == list(range(23, 65)) and f.distance_weights is None
    # the intercept gives the line the same total as I: sum e^{beta x + b} = sum I over 0..n
    x_all = 1 - 2 * np.arange(65) / 64
    total = sum(hamming_ball_intersection(64, 11, k) for k in range(23))
    assert np.log(np.sum(np.exp(f.beta * x_all + f.intercept))) == pytest.approx(math.log(total), rel=1e-12)
    # r moves only the intercept
    g = fit_beta(64, 11, estimator="kl", r=10**6)
    assert g.beta == pytest.approx(f.beta, rel=1e-12)
    assert f.intercept - g.intercept == pytest.approx(64 * math.log(2) - math.log(1e6))
    # a window restricts the patterns: over the support only (0..2d) the answer is the same
    # target but a softmax without the zero tail
    h = fit_beta(64, 11, estimator="kl", window="full-support")
    assert h.window == (0, 22) and h.beta != f.beta


def test_kl_beta_against_the_other_estimators_at_the_paper_radii():
    # the facts the chapter states: KL-optimal is near the as-published beta, fits better
    # than OLS and as published in KL, and random keys move beta far more than ddof does
    for d in (5, 11, 15):
        ols, pub = fit_beta(64, d).beta, fit_beta(64, d, estimator="as-published").beta
        kl = fit_beta(64, d, estimator="kl").beta
        kl_bin = fit_beta(64, d, estimator="kl", distance_weights="binomial").beta
        err = {b: softmax_approximation_error(64, d, b)["kl_divergence"] for b in (ols, pub, kl)}
        assert err[kl] <= err[pub] < err[ols]
        assert abs(kl - pub) < abs(kl - ols)
        assert kl_bin - kl > 3 * (pub - ols)


def test_radius_map_with_kl():
    for weights in (None, "binomial"):
        for d in (5, 11, 15, 25):
            b = beta_for_radius(64, d, estimator="kl", distance_weights=weights)
            assert radius_for_beta(64, b, estimator="kl", distance_weights=weights) == d
    assert np.allclose(beta_for_radius(64, [5, 11], estimator="kl"),
                       [fit_beta(64, 5, estimator="kl").beta, fit_beta(64, 11, estimator="kl").beta])


@pytest.mark.parametrize("call, exc, match", [
    (lambda: fit_beta(64, 0, estimator="kl"), ValueError, "mean cosine"),
    (lambda: fit_beta(64, 11, distance_weights="binomial"), ValueError, "distance_weights"),
    (lambda: fit_beta(64, 11, estimator="kl", distance_weights="poisson"), ValueError, "distance_weights"),
    (lambda: fit_beta(64, 11, estimator="kl", distance_weights=np.ones(10)), ValueError, "n \\+ 1 = 65"),
    (lambda: fit_beta(64, 11, estimator="kl", distance_weights=-np.ones(65)), ValueError, "distance_weights"),
    (lambda: fit_beta(64, 11, estimator="kl", distance_weights=np.zeros(65)), ValueError, "positive"),
    (lambda: kl_beta([0.0, 0.5], [np.nan, 0.0]), ValueError, "log_target"),
    (lambda: kl_beta([0.0, 0.5], [0.0]), ValueError, "same length"),
])
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_cli_prints_kl_rows_and_radius_with_weights(capsys):
    assert cli_main("beta", ["--n", "64", "--d", "11", "--space", "binary"]) == 0
    out = capsys.readouterr().out
    line = next(s for s in out.splitlines() if s.startswith("KL-optimal (dv = 0..n)"))
    assert float(line.split()[-1]) == pytest.approx(fit_beta(64, 11, estimator="kl").beta, abs=1e-4)
    line = next(s for s in out.splitlines() if s.startswith("KL-optimal, Bin"))
    assert float(line.split()[-1]) == pytest.approx(
        fit_beta(64, 11, estimator="kl", distance_weights="binomial").beta, abs=1e-4)
    assert cli_main("radius", ["--n", "64", "--beta", "30.27", "--estimator", "kl",
                               "--distance-weights", "binomial"]) == 0
    assert "radius d = 11" in capsys.readouterr().out
    assert cli_main("radius", ["--n", "64", "--beta", "30", "--distance-weights", "binomial"]) == 2
    assert "needs --estimator kl" in capsys.readouterr().err
