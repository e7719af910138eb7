"""The figures of sdmlib.plotting.beta plot the library's values, at the policy width."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from sdmlib.beta import beta_curve, fit_beta, sdm_weights, softmax_approximation_error, softmax_weights
from sdmlib.capacity import neuron_coverage, radius_for_one_neuron
from sdmlib.geometry import hamming_ball_intersection, hamming_radius_for_fraction
from sdmlib.plotting import FIGURE_WIDTH
from sdmlib.plotting.beta import (BETA_CURVES, COVERAGE_METHODS, WEIGHT_ESTIMATORS,
                                  approximation_error_figure, beta_radius_figure, coverage_figure,
                                  local_rate_figure, log_fit_figure, weights_linear_figure,
                                  weights_vs_softmax_figure)


def _width_ok(fig):
    assert float(fig.get_figwidth()) == FIGURE_WIDTH


def _markers_and_styles_differ(lines):
    shapes = {(line.get_marker(), str(line.get_linestyle()), line.get_color()) for line in lines}
    assert len(shapes) == len(lines)


def test_log_fit_figure_plots_the_exact_log_intersection_and_both_fits():
    n, d, r = 64, 11, 2**64
    fig = log_fit_figure(n, d, r)
    _width_ok(fig)
    (ax,) = fig.axes
    points, ols, pub, end = ax.get_lines()
    dv = np.arange(2 * d + 1)
    assert np.array_equal(points.get_xdata(), dv)
    assert np.allclose(points.get_ydata(), np.log(np.array(hamming_ball_intersection(n, d, dv.tolist()), float)))
    x = 1 - 2 * dv / n
    assert np.allclose(ols.get_ydata(), fit_beta(n, d, r=r).log_fit(x))
    assert np.allclose(pub.get_ydata(), fit_beta(n, d, r=r, estimator="as-published").log_fit(x))
    # the as-published line is steeper by N/(N-1) = d/(d-1)
    slope = lambda line: np.polyfit(x, line.get_ydata(), 1)[0]
    assert np.isclose(slope(pub) / slope(ols), d / (d - 1))
    assert end.get_xdata()[0] == 2 * d


def test_log_fit_figure_r_moves_only_the_intercept():
    a, b = log_fit_figure(32, 6, None), log_fit_figure(32, 6, 10**6)
    ya, yb = a.axes[0].get_lines()[0].get_ydata(), b.axes[0].get_lines()[0].get_ydata()
    assert np.allclose(yb - ya, np.log(1e6) - 32 * np.log(2))


def test_beta_radius_figure_plots_beta_curve_for_every_estimator_and_dimension():
    ns, p_min = (64, 100), 1e-12
    fig = beta_radius_figure(ns, p_min=p_min, mark=(10.1, 15))
    _width_ok(fig)
    panels = [ax for ax in fig.axes if ax.get_title()]                # the twins have none
    assert len(panels) == len(ns) and len(fig.axes) == 2 * len(ns)   # plus the p(d) twins
    for ax, n in zip(panels, ns):
        d_min = hamming_radius_for_fraction(n, p_min)
        assert ax.get_xscale() == "log"
        lines = ax.get_lines()[: len(BETA_CURVES)]
        _markers_and_styles_differ(lines)
        for line, spec in zip(lines, BETA_CURVES.values()):
            window, estimator = spec[:2]
            weights = spec[2] if len(spec) > 2 else None
            radii, betas = beta_curve(n, window=window, estimator=estimator, distance_weights=weights)
            keep = radii >= d_min
            assert np.array_equal(line.get_ydata(), radii[keep])
            assert np.allclose(line.get_xdata(), betas[keep])
    assert len(fig.legends) == 1 and len(fig.legends[0].get_texts()) == len(BETA_CURVES)


def test_weights_vs_softmax_figure_plots_library_weights_per_case():
    cases = [(32, 4), (32, 9), (48, 12)]
    fig = weights_vs_softmax_figure(cases)
    _width_ok(fig)
    assert len(fig.axes) == len(cases)          # the empty fourth panel is removed
    for ax, (n, d) in zip(fig.axes, cases):
        binary, cap, soft = ax.get_lines()
        _markers_and_styles_differ([binary, cap, soft])
        dv = binary.get_xdata()
        assert dv[-1] == min(n, 2 * d + 5)
        x = 1 - 2 * np.arange(n + 1) / n
        w = sdm_weights(n, d, x)[dv]
        assert np.allclose(np.nan_to_num(binary.get_ydata()), w)
        assert np.all(np.isnan(binary.get_ydata()[dv > 2 * d]))   # zero weight beyond 2d: no point
        assert np.allclose(np.nan_to_num(cap.get_ydata()), sdm_weights(n, d, x, space="continuous")[dv])
        assert np.allclose(soft.get_ydata(), softmax_weights(fit_beta(n, d).beta, x)[dv])
        assert ax.get_yscale() == "log" and ax.get_ylim()[0] >= 1e-30


def test_approximation_error_figure_plots_the_table():
    rows = []
    for n in (32, 48):
        for p in (1e-6, 1e-3, 0.1):
            d = int(hamming_radius_for_fraction(n, p))
            for est, beta in (("OLS", None), ("softmax fit", 0.9 * fit_beta(n, d).beta)):
                rows.append({"n": n, "p": p, "d": d, "estimator": est,
                             **softmax_approximation_error(n, d, beta)})
    errors = pd.DataFrame(rows)
    fig = approximation_error_figure(errors)
    _width_ok(fig)
    assert len(fig.axes) == 4
    for j, est in enumerate(["OLS", "softmax fit"]):
        for i, col in enumerate(["max_abs_error", "kl_divergence"]):
            ax = fig.axes[2 * i + j]
            lines = ax.get_lines()
            assert len(lines) == 2
            _markers_and_styles_differ(lines)
            for line, n in zip(lines, (32, 48)):
                g = errors[(errors.n == n) & (errors.estimator == est)].sort_values("p")
                assert np.allclose(line.get_xdata(), g.p) and np.allclose(line.get_ydata(), g[col])


@pytest.mark.parametrize("n, r, d_range", [(1000, 10**6, (395, 460)), (100, 10**3, (20, 40))])
def test_coverage_figure_plots_each_method_and_its_difference_to_exact(n, r, d_range):
    fig = coverage_figure(n, r, d_range, mark=None)
    _width_ok(fig)
    top, bottom = fig.axes
    d = np.arange(d_range[0], d_range[1] + 1)
    exact = neuron_coverage(n, d, r)
    curves = top.get_lines()[: len(COVERAGE_METHODS)]
    _markers_and_styles_differ(curves)
    for line, method in zip(curves, COVERAGE_METHODS):
        assert np.allclose(line.get_ydata(), neuron_coverage(n, d, r, method))
    diffs = bottom.get_lines()[: len(COVERAGE_METHODS) - 1]
    for line, method in zip(diffs, [m for m in COVERAGE_METHODS if m != "exact"]):
        assert np.allclose(line.get_ydata(), neuron_coverage(n, d, r, method) - exact)
    # the one-neuron radius is marked in both panels
    d1 = radius_for_one_neuron(n, r)
    assert top.get_lines()[len(COVERAGE_METHODS)].get_xdata()[0] == d1
    # the differences are what the figure is for: the normal curve is visibly off, Poisson is not
    spread = [np.abs(line.get_ydata()).max() for line in diffs]
    assert spread[0] < 1e-3 < spread[1]


def test_beta_radius_figure_has_the_kl_curves_and_renders():
    import io

    kinds = [spec[1] for spec in BETA_CURVES.values()]
    assert kinds.count("kl") == 2 and any(len(spec) == 3 and spec[2] == "binomial" for spec in BETA_CURVES.values())
    # every label must be valid mathtext: a parse error would make the kernel paste text, not a PNG
    for fig in (beta_radius_figure((64,), p_min=1e-12), weights_linear_figure(16, (3, 5)),
                local_rate_figure(64, (5, 11))):
        fig.savefig(io.BytesIO(), format="png", dpi=40)


def test_weights_linear_figure_plots_exact_weights_and_each_softmax():
    n, radii = 64, (5, 11, 15)
    fig = weights_linear_figure(n, radii)
    _width_ok(fig)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert len(panels) == len(radii)
    x = 1 - 2 * np.arange(n + 1) / n
    for ax, d in zip(panels, radii):
        dv = np.arange(0, 2 * d + 4)
        # independent route for the bars: exact integer intersections, normalised
        c = np.array([float(hamming_ball_intersection(n, d, k)) for k in range(n + 1)])
        assert np.allclose([b.get_height() for b in ax.containers[0]], (c / c.sum())[dv], rtol=1e-12)
        lines = ax.get_lines()
        assert len(lines) == len(WEIGHT_ESTIMATORS)
        _markers_and_styles_differ(lines)
        for line, kw in zip(lines, WEIGHT_ESTIMATORS.values()):
            beta = fit_beta(n, d, **kw).beta
            z = np.exp(beta * x - beta)
            assert np.allclose(line.get_ydata(), (z / z.sum())[dv], rtol=1e-10)
        assert ax.get_yscale() == "linear"


def test_local_rate_figure_plots_the_exact_rates_regression_and_taylor():
    from sdmlib.bounds import taylor_rate

    n, radii = 64, (5, 11)
    fig = local_rate_figure(n, radii)
    _width_ok(fig)
    for ax, d in zip(fig.axes, radii):
        local, reg, t1, t2, t3, lead = ax.get_lines()
        c = [hamming_ball_intersection(n, d, k) for k in range(2 * d + 1)]
        direct = [n / 4 * np.log(c[2 * k] / c[2 * k + 2]) for k in range(d)]
        assert np.allclose(local.get_ydata(), direct, rtol=1e-10)
        assert np.allclose(reg.get_ydata(), fit_beta(n, d).beta)
        assert [float(line.get_ydata()[0]) for line in (t1, t2, t3)] == pytest.approx(
            [k * (n - 2 * d) ** 2 / (4 * n) for k in (1, 2, 3)])
        assert t1.get_ydata()[0] == pytest.approx(taylor_rate(n, d))
        assert lead.get_ydata()[0] == pytest.approx(n / 4 * np.log(n / (2 * d)))
