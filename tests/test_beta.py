"""Tests of sdmlib.beta: β estimators, the softmax fit, radius <-> β, read weights and the CLI.

Independent routes: numpy.polyfit / numpy.cov for the regression, exact
integer intersections (sdmlib.geometry's exact double sum, itself tested
against brute force) for the fitted points and the read weights, dense grid
scans for the softmax fit, and the paper's printed numbers.
"""

import math
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from sdmlib.beta import (
    beta_curve,
    beta_for_radius,
    cli_main,
    fit_beta,
    fit_softmax_beta,
    log_linear_fit,
    radius_for_beta,
    sdm_weights,
    softmax_approximation_error,
    softmax_loss,
    softmax_weights,
)
from sdmlib.geometry import cap_intersection, hamming_ball_intersection, hamming_radius_for_fraction

PAPER = {5: 35.5, 11: 15.9, 15: 10.1}  # Bricken & Pehlevan (2021), n = 64
TABLE_N = (64, 100, 784, 1000)
TABLE_P = (4e-13, 1e-9, 1e-8, 1e-5, 3.7e-4, 1e-3, 0.1)  # theory spec 2 / 8.5


# ----------------------------------------------------------------------------- the paper's numbers
@pytest.mark.parametrize("d, paper", sorted(PAPER.items()))
def test_as_published_reproduces_the_paper(d, paper):
    fit = fit_beta(64, d, estimator="as-published", r=2**64)
    assert round(fit.beta, 1) == paper
    assert fit.window == (0, d - 1) and fit.n_points == d


def test_as_published_is_cov_ddof1_over_var_ddof0_and_ols_is_polyfit():
    for n, d, space, window in [
        (64, 5, "binary", "within-radius"),
        (64, 11, "continuous", "within-radius"),
        (100, 20, "binary", "one-to-radius"),
        (1000, 451, "binary", "full-support"),
        (784, 300, "continuous", (3, 40)),
    ]:
        ols = fit_beta(n, d, space=space, window=window)
        pub = fit_beta(n, d, space=space, window=window, estimator="as-published")
        x, y = ols.x, ols.log_intersection
        big_n = x.size
        assert pub.beta / ols.beta == pytest.approx(big_n / (big_n - 1), rel=1e-13)
        assert ols.beta == pytest.approx(np.polyfit(x, y, 1)[0], rel=1e-10)
        assert ols.intercept == pytest.approx(np.polyfit(x, y, 1)[1], rel=1e-9, abs=1e-9)
        assert pub.beta == pytest.approx(np.cov(x, y, ddof=1)[0, 1] / np.var(x), rel=1e-10)
        assert pub.intercept == pytest.approx(y.mean() - pub.beta * x.mean(), rel=1e-12, abs=1e-9)
        assert np.allclose(ols.residuals, y - (ols.beta * x + ols.intercept))


def test_synthetic_exponential_is_recovered_exactly():
    x = 1 - 2 * np.arange(0, 11) / 64
    for beta, b in [(15.9, -4.0), (0.3, 100.0), (250.0, 0.0)]:
        got, gotb = log_linear_fit(x, beta * x + b)
        assert got == pytest.approx(beta, rel=1e-12) and gotb == pytest.approx(b, rel=1e-12, abs=1e-10)
        pub, _ = log_linear_fit(x, beta * x + b, estimator="as_published")
        assert pub == pytest.approx(beta * 11 / 10, rel=1e-12)


def test_fitted_points_are_exact_log_intersections():
    fit = fit_beta(64, 11)
    exact = hamming_ball_intersection(64, 11, list(range(11)))
    assert np.array_equal(fit.dv, np.arange(11))
    assert np.allclose(fit.log_intersection, [math.log(c) for c in exact], rtol=1e-14)
    assert np.allclose(fit.x, 1 - 2 * np.arange(11) / 64)


def test_beta_does_not_depend_on_r():
    base = fit_beta(64, 11)
    for r in (1, 10**6, 1e6, 2**64, 10**40, 2**200):
        f = fit_beta(64, 11, r=r)
        assert f.beta == pytest.approx(base.beta, rel=1e-12)
        assert f.intercept - base.intercept == pytest.approx(math.log(r) - 64 * math.log(2), rel=1e-12)
    for space in ("binary", "continuous"):
        a = fit_beta(100, 30, space=space, r=10**4)
        b = fit_beta(100, 30, space=space, r=None)
        assert a.beta == pytest.approx(b.beta, rel=1e-12)


def test_windows():
    n, d = 64, 11
    assert np.array_equal(fit_beta(n, d, window="one-to-radius").dv, np.arange(1, d + 1))
    full = fit_beta(n, d, window="full-support")
    assert np.array_equal(full.dv, np.arange(0, 2 * d + 1))
    # the cap's support reaches dv < 4d(n-d)/n, about twice as far
    cap_full = fit_beta(n, d, space="continuous", window="full-support")
    assert cap_full.dv.max() == math.ceil(4 * d * (n - d) / n) - 1
    # a window beyond the support drops the zeros and says so
    f = fit_beta(n, d, window=(10, 40))
    assert np.array_equal(f.dv, np.arange(10, 23)) and np.array_equal(f.dropped_dv, np.arange(23, 41))
    # the pairing I(2k-1) = I(2k): with d = 2 the window 1..d holds two equal points, slope 0
    assert fit_beta(64, 2, window="one-to-radius").beta == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match="at least 2"):
        fit_beta(64, 1)  # one point in dv = 0..0
    with pytest.raises(ValueError, match="window"):
        fit_beta(64, 11, window="everything")
    with pytest.raises(ValueError, match="window"):
        fit_beta(64, 11, window=(5, 5))


def test_beta_table_cap_above_binary_and_large_n():
    """Theory 15.5: cap beta > binary beta across the original's table (28 pairs)."""
    for n in TABLE_N:
        for p in TABLE_P:
            d = int(hamming_radius_for_fraction(n, p))
            b = fit_beta(n, d).beta
            c = fit_beta(n, d, space="continuous").beta
            assert c > b > 0, (n, d)
    # the original crashed at n = 10 000; here every estimator is finite
    f = fit_beta(10_000, 4_800)
    assert np.isfinite(f.beta) and f.beta > 0 and np.all(np.isfinite(f.log_intersection))
    assert np.isfinite(fit_softmax_beta(10_000, 4_800).beta)


# ----------------------------------------------------------------------------- softmax fit
@pytest.mark.parametrize("n, d, space", [(64, 5, "binary"), (64, 11, "continuous"), (100, 35, "binary"),
                                         (1000, 451, "binary"), (784, 300, "continuous")])
def test_softmax_fit_is_a_true_minimum(n, d, space):
    f = fit_softmax_beta(n, d, space=space)
    for eps in (1e-3, 1e-2):
        assert softmax_loss(f.beta * (1 - eps), f.x, f.target) > f.loss
        assert softmax_loss(f.beta * (1 + eps), f.x, f.target) > f.loss
    # an independent dense scan over a wide range never finds a lower loss
    grid = np.linspace(0.05, 10 * n, 20001)
    assert np.min(softmax_loss(grid, f.x, f.target)) >= f.loss * (1 - 1e-9)
    assert np.isclose(f.target.sum(), 1.0) and np.allclose(f.fitted, softmax_weights(f.beta, f.x))
    assert fit_softmax_beta(n, d, space=space).beta == f.beta  # deterministic


def test_softmax_fit_recovers_a_softmax_target():
    x = 1 - 2 * np.arange(65) / 64
    target = softmax_weights(12.5, x)
    # minimise with the same routine on a known target: loss is 0 exactly at 12.5
    assert softmax_loss(12.5, x, target) == 0.0
    assert softmax_loss(12.4, x, target) > 0 and softmax_loss(12.6, x, target) > 0


# ----------------------------------------------------------------------------- radius <-> beta
@pytest.mark.parametrize("n", [16, 64, 100, 784, 1000])
@pytest.mark.parametrize("window, estimator", [("within-radius", "ols"), ("within-radius", "as-published"),
                                               ("one-to-radius", "ols"), ("full-support", "ols")])
def test_radius_for_beta_inverts_beta_for_radius(n, window, estimator):
    radii, betas = beta_curve(n, window=window, estimator=estimator)
    assert np.all(radii < n / 2) and np.all(betas > 0)
    kw = dict(window=window, estimator=estimator)
    for d in radii[:: max(1, radii.size // 25)]:
        assert radius_for_beta(n, beta_for_radius(n, int(d), **kw), **kw) == d
    assert np.array_equal(radius_for_beta(n, betas, **kw), radii)


def test_radius_for_beta_continuous_and_paper_values():
    radii, betas = beta_curve(64, space="continuous")
    assert np.array_equal(radius_for_beta(64, betas, space="continuous"), radii)
    for d, paper in PAPER.items():
        assert radius_for_beta(64, paper, estimator="as-published") == d


def test_radius_for_beta_range_handling():
    radii, betas = beta_curve(64)
    with pytest.raises(ValueError, match="outside the range"):
        radius_for_beta(64, betas.max() * 2)
    with pytest.raises(ValueError, match="beta must be > 0"):
        radius_for_beta(64, -1.0)
    assert radius_for_beta(64, betas.max() * 2, out_of_range="clip") == radii[np.argmax(betas)]
    assert radius_for_beta(64, betas.min() / 2, out_of_range="clip") == radii[np.argmin(betas)]
    out = radius_for_beta(64, np.array([[35.0, 15.0], [10.0, 5.0]]))
    assert out.shape == (2, 2) and out.dtype == np.int64


def test_beta_for_radius_matches_fit_beta_and_is_vectorised():
    d = np.array([[5, 11], [15, 27]])
    b = beta_for_radius(64, d, estimator="as-published")
    assert b.shape == (2, 2)
    assert b[0, 1] == fit_beta(64, 11, estimator="as-published").beta


# ----------------------------------------------------------------------------- read weights
def test_sdm_weights_equal_exact_intersection_ratios():
    n, d = 64, 11
    rng = np.random.default_rng(4)
    dv = rng.integers(0, 30, size=12)
    counts = hamming_ball_intersection(n, d, dv.tolist())
    total = sum(counts)
    exact = [float(Fraction(c, total)) for c in counts]
    w = sdm_weights(n, d, 1 - 2 * dv / n)
    assert np.allclose(w, exact, rtol=1e-12, atol=1e-300)
    assert np.allclose(w, sdm_weights(n, d, 1 - 2 * dv / n, r=10**6))
    # batched along the last axis
    x = 1 - 2 * rng.integers(0, 30, size=(3, 5)) / n
    wb = sdm_weights(n, d, x)
    assert wb.shape == (3, 5) and np.allclose(wb.sum(axis=-1), 1.0)
    assert np.allclose(wb[1], sdm_weights(n, d, x[1]))


def test_sdm_weights_continuous_and_large_n():
    x = np.array([1.0, 0.9, 0.7, 0.2])
    logi = cap_intersection(64, 11, x, r=1, log=True)
    direct = np.exp(logi - logi.max()) / np.exp(logi - logi.max()).sum()
    assert np.allclose(sdm_weights(64, 11, x, space="continuous"), direct, rtol=1e-12)
    # n = 10 000: the raw counts overflow float64 by far, the weights do not
    xs = 1 - 2 * np.array([0, 10, 100, 1000]) / 10_000
    w = sdm_weights(10_000, 4_500, xs)
    assert np.all(np.isfinite(w)) and w.sum() == pytest.approx(1.0) and np.all(np.diff(w) < 0)


def test_sdm_weights_zero_mass():
    far = 1 - 2 * np.array([40, 50]) / 64
    with pytest.raises(ValueError, match="0/0"):
        sdm_weights(64, 11, far)
    assert np.array_equal(sdm_weights(64, 11, far, on_empty="zeros"), [0.0, 0.0])
    mixed = np.stack([far, 1 - 2 * np.array([0, 50]) / 64])
    out = sdm_weights(64, 11, mixed, on_empty="zeros")
    assert np.array_equal(out, [[0.0, 0.0], [1.0, 0.0]])


def test_softmax_weights_stable_and_correct():
    x = np.array([0.9, 0.1, -0.5, 0.3])
    direct = np.exp(3.0 * x) / np.exp(3.0 * x).sum()
    assert np.allclose(softmax_weights(3.0, x), direct, rtol=1e-14)
    big = softmax_weights(1e5, x)  # exp(9e4) would overflow without the max-subtraction
    assert np.all(np.isfinite(big)) and big[0] == 1.0
    assert np.allclose(softmax_weights(0.0, x), 0.25)
    assert np.allclose(softmax_weights(2.0, np.ones((2, 3)) * 0.5), 1 / 3)
    with pytest.raises(ValueError, match="cosines"):
        softmax_weights(1.0, [1.5, 0.2])
    with pytest.raises(ValueError, match="beta"):
        softmax_weights(float("nan"), x)


def test_softmax_approximates_sdm_on_the_fitting_window():
    """Theory 15.6 (the size of the error is displayed in the book, not hard-coded here)."""
    n, d = 64, 11
    fit = fit_beta(n, d)
    x = fit.x
    w_sdm, w_sm = sdm_weights(n, d, x), softmax_weights(fit.beta, x)
    # on the window the log-weights differ only by the fit's centred residuals
    lhs = np.log(w_sdm) - np.log(w_sm)
    assert np.allclose(lhs - lhs.mean(), fit.residuals - fit.residuals.mean(), atol=1e-10)


def test_softmax_approximation_error_against_scipy():
    from scipy.stats import entropy

    for n, d, space in [(64, 11, "binary"), (100, 30, "continuous"), (1000, 451, "binary")]:
        x = 1 - 2 * np.arange(n + 1) / n
        beta = fit_beta(n, d, space=space).beta
        t, s = sdm_weights(n, d, x, space=space), softmax_weights(beta, x)
        e = softmax_approximation_error(n, d, space=space)
        assert e["beta"] == beta
        assert e["kl_divergence"] == pytest.approx(entropy(t, s), rel=1e-9, abs=1e-15)
        assert e["max_abs_error"] == pytest.approx(np.max(np.abs(t - s)), rel=1e-9)
        assert e["total_variation"] == pytest.approx(0.5 * np.abs(t - s).sum(), rel=1e-9)
    # the curve is not exactly a softmax: KL > 0 for any beta
    assert softmax_approximation_error(64, 11, 14.0)["kl_divergence"] > 0


# ----------------------------------------------------------------------------- input validation
@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: fit_beta(64, 11, estimator="mle"), ValueError, "estimator"),
        (lambda: fit_beta(64, 11, space="hex"), ValueError, "space"),
        (lambda: fit_beta(64, 65), ValueError, "d must"),
        (lambda: fit_beta(1, 0), ValueError, "n must"),
        (lambda: fit_beta(64, 11, r=0), ValueError, "r must"),
        (lambda: fit_beta(64, 11.5), TypeError, "d must"),
        (lambda: sdm_weights(64, 11, [0.5], rounding="up"), ValueError, "rounding"),
        (lambda: sdm_weights(64, 11, []), ValueError, "at least one"),
        (lambda: radius_for_beta(64, 10.0, out_of_range="wrap"), ValueError, "out_of_range"),
        (lambda: log_linear_fit([1.0, 1.0], [0.0, 1.0]), ValueError, "distinct"),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ----------------------------------------------------------------------------- CLI
def test_cli_beta_prints_every_estimator(capsys):
    assert cli_main("beta", ["--n", "64", "--d", "11"]) == 0
    out = capsys.readouterr().out
    assert f"{fit_beta(64, 11, estimator='as-published').beta:.4f}" in out
    assert f"{fit_beta(64, 11, window='full-support').beta:.4f}" in out
    assert f"{fit_softmax_beta(64, 11, space='continuous').beta:.4f}" in out
    assert "15.85" in out  # the paper's 15.9 before rounding


def test_cli_radius(capsys):
    assert cli_main("radius", ["--n", "64", "--beta", "12.5"]) == 0
    out = capsys.readouterr().out
    d = radius_for_beta(64, 12.5)
    assert f"radius d = {d} " in out


@pytest.mark.parametrize(
    "command, argv",
    [
        ("beta", ["--n", "64", "--d", "40"]),
        ("beta", ["--n", "64"]),
        ("beta", ["--n", "x", "--d", "3"]),
        ("radius", ["--n", "64", "--beta", "-2"]),
        ("radius", ["--n", "64", "--beta", "1e6"]),
        ("radius", ["--n", "64", "--beta", "5", "--window", "bogus"]),
    ],
)
def test_cli_bad_values_exit_2_with_one_line(command, argv, capsys):
    try:
        rc = cli_main(command, argv)
    except SystemExit as exc:  # argparse errors
        rc = exc.code
    assert rc == 2
    err = capsys.readouterr().err.strip()
    assert err and len(err.splitlines()) == 1


def test_cli_through_python_m():
    res = subprocess.run([sys.executable, "-m", "sdmlib", "radius", "--n", "64", "--beta", "12.5"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and "space fraction" in res.stdout
    res = subprocess.run([sys.executable, "-m", "sdmlib", "beta", "--help"], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0 and "as-published" in res.stdout
