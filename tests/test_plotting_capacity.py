"""The figures of the critical-distance and read-variance chapters draw the library's values."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

from sdmlib.capacity import (VARIANCE_MODELS, convergence_map, critical_distance, optimal_radius_critical_distance,
                             read_variance)
from sdmlib.geometry import expected_neurons_in_intersection, space_fraction
from sdmlib.jaeckel import JAECKEL_DESIGNS, jaeckel_intersection, jaeckel_read_variance
from sdmlib.plotting import FIGURE_WIDTH, OKABE_ITO
from sdmlib.plotting.capacity import (MAP_LABELS, MODEL_STYLES, VARIANCE_LABELS, critical_distance_dimension_figure,
                                      critical_distance_r_m_figure, critical_distance_vs_radius_figure,
                                      finite_neuron_read_figure, intersection_simulation_figure,
                                      jaeckel_variance_figure, kanerva_memory_figure, labelled_lines,
                                      one_read_figure, one_step_map_figure, read_noise_figure, read_weights_figure)


def _policy(fig, panels):
    assert isinstance(fig, Figure)
    assert float(fig.get_figwidth()) == FIGURE_WIDTH
    assert len(fig.axes) == panels
    # at most two panels side by side
    columns = {round(ax.get_position().x0, 2) for ax in fig.axes}
    assert len(columns) <= 2


def _shapes(lines):
    """(colour, marker, line style) of each line: no two may be equal (colour alone never tells)."""
    keys = [(line.get_color(), line.get_marker(), str(line.get_linestyle())) for line in lines]
    assert len(set(keys)) == len(keys), keys
    assert all(str(c).upper() != OKABE_ITO["yellow"] for c, _, _ in keys)
    markers_or_styles = [(m, s) for _, m, s in keys]
    assert len(set(markers_or_styles)) == len(markers_or_styles), "two series differ in colour only"


def test_one_step_map_plots_convergence_map():
    fig = one_step_map_figure(64, (11, 15, 19), 1024, 2**64, big=(1000, 451, 1e4, 10**6))
    _policy(fig, 2)
    left, right = fig.axes
    lines = labelled_lines(left)
    x = np.arange(33)
    for d in (11, 15, 19):
        assert np.allclose(lines[f"d = {d}"].get_ydata(), convergence_map(64, d, 1024, 2**64, x))
    _shapes(list(lines.values()))
    rl = labelled_lines(right)
    assert np.allclose(rl["original's old model"].get_ydata(),
                       convergence_map(1000, 451, 1e4, 10**6, np.arange(501), variance="original"))
    _shapes(list(rl.values()))


def test_critical_distance_vs_radius_draws_each_curve_and_the_readings():
    cds = {c: optimal_radius_critical_distance(64, 1024, 2**64, convention=c, return_all=True)
           for c in ("last_converging", "first_failing", "interpolated")}
    curves = [(c, "jaeckel" if c == "interpolated" else c, rad, cd) for c, (_, rad, cd) in cds.items()]
    readings = {9: 19, 15: 31}
    fig = critical_distance_vs_radius_figure(curves, readings, n=64, m=1024, r=2**64, xlim=(0, 32))
    _policy(fig, 1)
    lines = labelled_lines(fig.axes[0])
    assert np.allclose(lines["interpolated"].get_ydata(), cds["interpolated"][2])
    assert lines["first_failing"].get_ydata()[15] == 31
    assert list(lines["original's figure (≈)"].get_ydata()) == [19, 31]
    _shapes(list(lines.values()))
    assert fig.legends  # the legend is outside the axes, below


def test_kanerva_memory_plots_against_radius_and_fraction():
    rad = np.arange(440, 457, 4)
    cds = np.array([critical_distance(1000, int(d), 1e4, 10**6) for d in rad])
    band = np.arange(436, 461, 6)
    fig = kanerva_memory_figure(rad, cds, 447, band=band)
    _policy(fig, 2)
    top, bottom = fig.axes
    assert np.allclose(top.get_lines()[0].get_ydata(), cds)
    assert bottom.get_xscale() == "log"
    (line,) = bottom.get_lines()
    assert np.allclose(line.get_xdata(), space_fraction(1000, band))
    assert np.allclose(line.get_ydata(), [critical_distance(1000, int(d), 1e4, 10**6) for d in band])


def test_r_m_figure_uses_the_same_style_for_a_radius_in_both_panels():
    rs, ms = np.array([1e4, 1e10, 1e20]), np.array([1.0, 1e4, 1e8])
    fig = critical_distance_r_m_figure(radii=(5, 15, 19), extra=(15, 1e4), m_radii=(15, 19), rs=rs, ms=ms)
    _policy(fig, 2)
    top, bottom = fig.axes
    tl, bl = labelled_lines(top), labelled_lines(bottom)
    assert np.allclose(tl["d = 19"].get_ydata(), [critical_distance(64, 19, 1024, v) for v in rs])
    assert np.allclose(bl["d = 19"].get_ydata(), [critical_distance(64, 19, v, 2**64) for v in ms])
    for d in (15, 19):
        a, b = tl[f"d = {d}"], bl[f"d = {d}"]
        assert (a.get_color(), a.get_marker(), a.get_linestyle()) == (b.get_color(), b.get_marker(), b.get_linestyle())
    _shapes(list(tl.values()))
    assert top.get_xscale() == bottom.get_xscale() == "log"
    assert fig.legends and not top.get_legend()


def test_dimension_figure():
    fig = critical_distance_dimension_figure([100, 1000], [0.2, 0.25], [0.1, 0.2], dims=(100, 1000), points=10)
    _policy(fig, 2)
    top, bottom = fig.axes
    assert [list(line.get_ydata()) for line in top.get_lines()] == [[0.2, 0.25], [0.1, 0.2]]
    lines = labelled_lines(bottom)
    line = lines["n = 1000"]
    d = np.searchsorted(space_fraction(1000, np.arange(501)), line.get_xdata()[3])
    assert np.isclose(line.get_ydata()[3], critical_distance(1000, int(d), 1e4, 10**6) / 1000)
    _shapes(list(lines.values()))


def test_one_read_figure_draws_simulation_mean_and_models():
    xs = np.array([0, 10, 20, 30])
    rng = np.random.default_rng(0)
    sims = {15: rng.integers(0, 30, size=(5, 4)).astype(float), 19: rng.integers(0, 30, size=(5, 4)).astype(float)}
    fig = one_read_figure(xs, sims)
    _policy(fig, 2)
    for ax, (d, sim) in zip(fig.axes, sims.items()):
        lines = labelled_lines(ax)
        assert np.allclose(lines["simulated memory (mean ± 2 s.e.)"].get_ydata(), sim.mean(0))
        assert np.allclose(lines[MAP_LABELS["binomial"]].get_ydata(),
                           convergence_map(64, d, 1024, 2**64, xs, variance="binomial"))
        _shapes(list(lines.values()))
    assert fig.legends


def test_finite_neuron_figure():
    xs = np.array([0, 8, 16])
    exact = convergence_map(64, 24, 20, 300, xs, method="exact")
    mean = exact + 1.0
    fig = finite_neuron_read_figure(xs, mean, np.ones(3), exact, n=64, d=24, m=20, r=300)
    _policy(fig, 1)
    lines = labelled_lines(fig.axes[0])
    assert np.allclose(lines["simulated neuron SDM (mean ± 2 s.e.)"].get_ydata(), mean)
    assert np.allclose(lines[MAP_LABELS["jaeckel"]].get_ydata(), convergence_map(64, 24, 20, 300, xs))
    _shapes(list(lines.values()))


def test_intersection_figure():
    dv = np.array([0, 10, 20])
    counts = np.array([[15.0, 5.0, 2.0], [19.0, 6.0, 1.0]])
    fig = intersection_simulation_figure(dv, counts, np.zeros_like(counts), counts.mean(0), np.ones(3),
                                         n=100, d=35, r=10_000)
    _policy(fig, 1)
    lines = labelled_lines(fig.axes[0])
    assert np.allclose(lines["exact $I(d_v)$"].get_ydata(),
                       expected_neurons_in_intersection(100, 35, np.arange(71), 10_000))
    assert np.allclose(lines["simulated mean ± 2 s.e."].get_ydata(), counts.mean(0))
    assert sorted(lines["one epoch"].get_ydata()) == sorted(counts.ravel())


def test_read_noise_figure_gives_each_model_its_own_colour_and_marker():
    n, d, m, r = 100, 35, 100, 10_000
    dv = np.array([0, 10, 40])
    v = read_variance(n, d, dv, m, r, "binomial") * 1.01
    mean = expected_neurons_in_intersection(n, d, dv, r)
    fig = read_noise_figure(dv, v, 0.05 * v, mean, n=n, d=d, m=m, r=r)
    _policy(fig, 2)
    top, bottom = fig.axes
    tl, bl = labelled_lines(top), labelled_lines(bottom)
    grid = np.arange(61)
    for model in VARIANCE_MODELS:
        sd = np.sqrt(read_variance(n, d, grid, m, r, model))
        assert np.allclose(tl[VARIANCE_LABELS[model]].get_ydata(), sd)
        assert np.allclose(bl[VARIANCE_LABELS[model]].get_ydata(), expected_neurons_in_intersection(n, d, grid, r) / sd)
    assert np.allclose(tl["simulation (± 2 s.e.)"].get_ydata(), np.sqrt(v))
    _shapes(list(tl.values()))
    colours = {tl[VARIANCE_LABELS[k]].get_color() for k in VARIANCE_MODELS}
    assert len(colours) == len(VARIANCE_MODELS)
    assert bottom.get_yscale() == "log" and fig.legends


def test_read_weights_figure():
    dvs = np.arange(0, 991)
    lk = expected_neurons_in_intersection(1000, 451, dvs, 10**6, log=True)
    lj = jaeckel_intersection(1000, 10, dvs, 10**6, log=True)
    fig = read_weights_figure(dvs, lk, lj, 11.0, 5.0, n=1000, r=10**6, d=451, K=10)
    _policy(fig, 1)
    lines = labelled_lines(fig.axes[0])
    assert np.allclose(lines["Kanerva, d = 451"].get_ydata(), lk - lk[0])
    assert np.allclose(lines["softmax, β = 5.0 (fit to Jaeckel's)"].get_ydata(), -2 * 5.0 * dvs / 1000)
    _shapes(list(lines.values()))


def test_jaeckel_variance_figure():
    n, K, m, r, d = 100, 9, 100, 10_000, 35
    dv = np.array([0, 20])
    sims = {g: (jaeckel_read_variance(n, K, dv, m, r, g) * 1.02, np.ones(2), jaeckel_intersection(n, K, dv, r))
            for g in JAECKEL_DESIGNS}
    fig = jaeckel_variance_figure(dv, sims, n=n, K=K, m=m, r=r, d=d)
    _policy(fig, 2)
    top, bottom = fig.axes
    tl, bl = labelled_lines(top), labelled_lines(bottom)
    grid = np.arange(61)
    for g in JAECKEL_DESIGNS:
        assert np.allclose(tl[f"{g}: formula"].get_ydata(), np.sqrt(jaeckel_read_variance(n, K, grid, m, r, g)))
        assert np.allclose(tl[f"{g}: simulation (± 2 s.e.)"].get_ydata(), np.sqrt(sims[g][0]))
    assert np.allclose(bl["formula (both designs)"].get_ydata(), jaeckel_intersection(n, K, grid, r))
    _shapes(list(tl.values()))
    _shapes(list(bl.values()))
    assert top.get_yscale() == "log"


@pytest.mark.parametrize("key", sorted(MODEL_STYLES))
def test_model_styles_are_never_yellow(key):
    assert MODEL_STYLES[key]["color"] != OKABE_ITO["yellow"]


def test_critical_distance_figure_draws_the_bootstrap_intervals():
    from sdmlib.capacity_simulation import critical_distance_intervals
    from sdmlib.plotting.capacity import critical_distance_vs_radius_figure

    rng = np.random.default_rng(0)
    conv = {d: np.arange(10)[None, :] <= rng.integers(d, d + 3, size=(30, 1)) for d in (3, 4, 5)}
    ci = critical_distance_intervals(conv, resamples=50, rng=1)
    fig = critical_distance_vs_radius_figure([("sim", "simulation_curve", ci.index, ci["cd"], ci["low"], ci["high"])],
                                             n=64, m=1024, r=None)
    segs = fig.axes[0].collections[0].get_segments()
    assert np.allclose([s[0][1] for s in segs], ci["low"]) and np.allclose([s[1][1] for s in segs], ci["high"])
    assert "one neuron per address" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="curve"):
        critical_distance_vs_radius_figure([("a", "simulation_curve", [1], [1.0], [0.5])], n=64, m=1, r=None)
