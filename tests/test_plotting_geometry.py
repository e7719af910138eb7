"""The geometry chapters' figures plot the library's values, in the policy's size and styles."""

import matplotlib

matplotlib.use("Agg")

import math

import numpy as np
import pytest
from matplotlib.colors import to_hex

from sdmlib.beta import log_linear_fit
from sdmlib.bounds import (constant_prefactor_approximations, gaussian_count_approximation, gaussian_summand,
                           largest_summand, taylor_summand)
from sdmlib.geometry import (cap_intersection, expected_neurons_in_intersection, hamming_radius_for_fraction,
                             log_hamming_ball_intersection)
from sdmlib.plotting import FIGURE_WIDTH, OKABE_ITO
from sdmlib.plotting import geometry as G


def _policy(fig, panels):
    assert fig.get_figwidth() == FIGURE_WIDTH
    drawn = [ax for ax in fig.axes if ax.axison]
    assert len(drawn) == panels
    for ax in fig.axes:  # never yellow; no two labelled series share colour, style, marker and width
        lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 2 and not ln.get_label().startswith("_")]
        assert all(to_hex(ln.get_color()) != OKABE_ITO["yellow"].lower() for ln in ax.get_lines())
        keys = [(to_hex(ln.get_color()), str(ln.get_linestyle()), ln.get_marker(), ln.get_linewidth()) for ln in lines]
        assert len(set(keys)) == len(keys), keys
    return drawn


def test_read_map_plots_the_given_distances_and_the_diagonal():
    cue, out = np.arange(0, 50, 10), np.array([0, 0, 1, 8, 40.5])
    fig = G.read_map_figure(cue, out, n=64, r=10, d=20, m=2, cues=3)
    (ax,) = _policy(fig, 1)
    read, diag = ax.get_lines()
    assert np.array_equal(read.get_ydata(), out) and np.array_equal(diag.get_ydata(), cue)
    assert "3 cues" in read.get_label() and "n = 64" in ax.get_title()


def test_shared_neurons_curve_is_the_expected_intersection():
    fig = G.shared_neurons_figure([2, 30, 31], [50, 1, 0], n=100, d=35, r=10_000, dv_max=80)
    (ax,) = _policy(fig, 1)
    curve, others, target = ax.get_lines()
    assert np.allclose(curve.get_ydata(), expected_neurons_in_intersection(100, 35, np.arange(81), r=10_000))
    assert ax.get_yscale() == "log"
    assert others.get_ydata().tolist() == [1] and others.get_linestyle() == "None"      # N > 0, non-target
    assert target.get_xdata().tolist() == [2] and target.get_ydata().tolist() == [50]   # the star
    (zeros,) = [c for c in ax.collections if "=0$" in c.get_label()]
    assert zeros.get_offsets()[:, 0].tolist() == [31.0]                               # N = 0 on the edge
    assert np.all(zeros.get_offsets()[:, 1] == ax.get_ylim()[0])


def test_shared_neurons_draws_the_per_distance_test():
    grid = np.array([0, 10, 20, 30])
    mean = expected_neurons_in_intersection(100, 35, grid, r=10_000) * np.array([1.0, 1.1, 0.9, 0.0])
    se = np.full(4, 0.1)
    fig = G.shared_neurons_figure([2], [50], n=100, d=35, r=10_000, dv_max=40, grid=grid, grid_mean=mean,
                                  grid_se=se, powered=[True, True, False, False], pairs=7)
    (ax,) = _policy(fig, 1)
    tested = [c for c in ax.containers if "tested" in c.get_label()][0]
    untested = [c for c in ax.containers if "too few" in c.get_label()][0]
    assert np.allclose(tested.lines[0].get_ydata(), mean[:2]) and "7 random pairs" in tested.get_label()
    assert np.allclose(untested.lines[0].get_ydata(), mean[2:3])
    (zero,) = [c for c in ax.collections if c.get_label().startswith("mean 0")]
    assert zero.get_offsets()[:, 0].tolist() == [30.0]


def test_log_intersection_lines_end_at_2d_and_equal_the_library():
    radii = (5, 11, 15)
    fig = G.log_intersection_figure(64, radii)
    (ax,) = _policy(fig, 1)
    lines = ax.get_lines()
    assert len(lines) == len(radii)
    for line, d in zip(lines, radii):
        k = line.get_xdata()
        assert k[-1] == 2 * d
        assert np.allclose(line.get_ydata(), expected_neurons_in_intersection(64, d, k, log=True) / np.log(10))


def test_normalised_weights_sum_to_one_and_follow_the_intersection():
    fractions = (1e-8, 1e-3)
    fig = G.normalised_weights_figure(1000, r=1e6, fractions=fractions, dv_max=499)
    lin, log = _policy(fig, 2)
    assert log.get_yscale() == "log" and len(lin.get_lines()) == len(fractions)
    for line, p in zip(lin.get_lines(), fractions):
        d = hamming_radius_for_fraction(1000, p)
        w = expected_neurons_in_intersection(1000, d, np.arange(500), r=1e6)
        assert np.allclose(line.get_ydata(), w / w.sum(), rtol=1e-9)
        assert f"d = {d}" in line.get_label()
    assert len(fig.legends) == 1  # one legend, outside the panels


def test_random_neurons_formula_line():
    fig = G.random_neurons_figure(np.arange(0, 10, 2), np.ones(5), np.zeros(5), n=50, r=1000, d=4, draws=7)
    (ax,) = _policy(fig, 1)
    formula = ax.get_lines()[-1]
    assert np.allclose(formula.get_ydata(), expected_neurons_in_intersection(50, 4, np.arange(11), r=1000))
    assert ax.get_yscale() == "log"


def test_random_neurons_marks_power_and_zero_means():
    dv = np.arange(0, 10, 2)
    mean = np.array([30.0, 20.0, 0.5, 0.0, 0.0])
    fig = G.random_neurons_figure(dv, mean, np.full(5, 0.2), n=50, r=1000, d=4, draws=7,
                                  powered=[True, True, False, False, False])
    (ax,) = _policy(fig, 1)
    tested = [c for c in ax.containers if "tested" in c.get_label()][0]
    untested = [c for c in ax.containers if "too few" in c.get_label()][0]
    assert tested.lines[0].get_ydata().tolist() == [30.0, 20.0]
    assert untested.lines[0].get_ydata().tolist() == [0.5]
    assert untested.lines[0].get_markerfacecolor() == "white"
    (zero,) = [c for c in ax.collections if c.get_label().startswith("no neuron")]
    assert zero.get_offsets()[:, 0].tolist() == [6.0, 8.0]
    assert np.all(zero.get_offsets()[:, 1] == ax.get_ylim()[0])


def test_cap_monte_carlo_figure_shows_factor_two_and_the_original():
    x = np.linspace(-0.3, 1, 5)
    fig = G.cap_monte_carlo_figure(16, 4, x, cap_intersection(16, 4, x, r=1), np.full(5, 1e-4))
    (ax,) = _policy(fig, 1)
    ours, original = ax.get_lines()[:2]
    edge = ax.get_lines()[-1]
    xs = ours.get_xdata()
    assert np.allclose(ours.get_ydata(), cap_intersection(16, 4, xs, r=1))
    assert np.allclose(original.get_ydata(), cap_intersection(16, 4, xs, r=1) * math.e**2 / 2)
    assert edge.get_xdata()[0] == pytest.approx(2 * 0.5**2 - 1)


def test_binary_vs_caps_normalised_curves_and_ratio():
    ns = (64, 1000)
    fig = G.binary_vs_caps_figure(ns, p=1e-3)
    left, right = _policy(fig, 2)
    assert len(left.get_lines()) == 2 * len(ns) and len(right.get_lines()) == len(ns) + 1
    for i, n in enumerate(ns):
        d = hamming_radius_for_fraction(n, 1e-3)
        binary, caps = left.get_lines()[2 * i: 2 * i + 2]
        dv = np.rint(n * (1 - binary.get_xdata()) / 2).astype(int)
        lb = expected_neurons_in_intersection(n, d, dv, log=True)
        assert np.allclose(binary.get_ydata(), (lb - lb[0]) / np.log(10))
        lc = cap_intersection(n, d, caps.get_xdata(), log=True)
        assert np.allclose(caps.get_ydata(), (lc - lc[-1]) / np.log(10))
        ratio = right.get_lines()[i]
        assert np.allclose(ratio.get_ydata(), (cap_intersection(n, d, binary.get_xdata(), log=True) - lb) / np.log(10))
    # the dimensions differ in marker as well as colour
    assert len({line.get_marker() for line in right.get_lines()[:len(ns)]}) == len(ns)


def test_approximations_figure_wraps_into_rows_and_plots_the_bounds_module():
    fractions = (1e-13, 1e-7, 1e-4)
    fig = G.approximations_figure(1000, fractions, dv_max=100)
    panels = _policy(fig, 3)
    dv = np.arange(1, 101)
    for ax, p in zip(panels, fractions):
        d = hamming_radius_for_fraction(1000, p)
        exact, smax, fit, gauss, taylor = ax.get_lines()
        assert np.allclose(exact.get_ydata(), np.exp(log_hamming_ball_intersection(1000, d, dv) - 1000 * np.log(2)))
        assert np.allclose(smax.get_ydata(), largest_summand(1000, d, dv, r=1))
        assert np.allclose(gauss.get_ydata(), gaussian_summand(1000, d, dv, r=1))
        assert np.allclose(taylor.get_ydata(), taylor_summand(1000, d, dv, r=1))
        w = np.arange(1, d + 1)
        b, _ = log_linear_fit(1 - 2 * w / 1000, largest_summand(1000, d, w, r=1, log=True))
        assert f"{b:.1f}" in ax.get_title()
    assert len(fig.legends) == 1


def test_bounds_figure_has_no_yellow_and_plots_the_original_curves():
    fig = G.bounds_figure(64, 11, 32)
    (ax,) = _policy(fig, 1)
    dv = np.arange(1, 33)
    exact, gauss, upper, lo_t, hi_t = ax.get_lines()[:5]
    assert np.allclose(gauss.get_ydata(), gaussian_summand(64, 11, dv, r=1))
    assert np.allclose(upper.get_ydata(), gaussian_count_approximation(64, 11, dv[dv <= 22], r=1))
    lo, hi = constant_prefactor_approximations(64, 11, dv, r=1, exponent="taylor")
    assert np.allclose(lo_t.get_ydata(), lo) and np.allclose(hi_t.get_ydata(), hi)
    assert to_hex(upper.get_color()) == OKABE_ITO["vermillion"].lower()


def test_ratio_panels_wrap_and_put_the_legend_in_the_free_cell():
    cases = ((64, 5), (64, 11), (1000, 451))
    fig = G.approximation_ratios_figure(cases)
    panels = _policy(fig, 3)
    assert len(fig.axes) == 4 and fig.axes[3].get_legend() is not None
    for ax, (n, d) in zip(panels, cases):
        dv = np.arange(1, min(2 * d, n - 1) + 1)
        g = ax.get_lines()[0]
        assert np.allclose(g.get_ydata(), np.exp(gaussian_summand(n, d, dv, log=True)
                                                 - log_hamming_ball_intersection(n, d, dv)))


def test_beta_vs_taylor_lines():
    radii = np.arange(5, 9)
    bt = (64 - 2 * radii) ** 2 / 256
    fig = G.beta_vs_taylor_figure(radii, 3 * bt, 2.5 * bt, bt)
    (ax,) = _policy(fig, 1)
    lines = ax.get_lines()
    assert len(lines) == 5
    for k, line in zip((1, 2, 3), lines[2:]):
        assert np.allclose(line.get_ydata(), k * bt)
