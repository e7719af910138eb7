"""The figures of 'Associative memories side by side' draw the library's values, in the book's styles."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from sdmlib.experiments import summarize_recall
from sdmlib.hopfield_theory import hopfield_bit_error
from sdmlib.memory_sweeps import summarize_sweeps
from sdmlib.plotting import FIGURE_WIDTH, radius_style
from sdmlib.plotting.memories import load_figure, sweep_errorbar_figure, tv_figure
from sdmlib.plotting.recall import model_style


def test_tv_figure_draws_each_radius_distribution_and_both_fractions():
    rng = np.random.default_rng(0)
    tv = {11: rng.uniform(0.01, 0.03, 50), 19: rng.uniform(0.3, 0.4, 50)}
    sure = {11: (1.0, 0.0), 19: (0.03, 0.004)}
    same = {11: (1.0, 0.0), 19: (0.997, 0.001)}
    fig = tv_figure(tv, sure, same, n=64, m=50, h=8)
    assert fig.get_figwidth() == pytest.approx(FIGURE_WIDTH)
    left, right = fig.axes
    for line, d in zip(left.get_lines(), (11, 19)):
        np.testing.assert_allclose(line.get_xdata(), np.sort(tv[d]))
        assert line.get_ydata()[-1] == 1.0 and line.get_color() == radius_style(d)["color"]
    guaranteed, equal = right.containers
    np.testing.assert_allclose(guaranteed.lines[0].get_ydata(), [1.0, 0.03])
    np.testing.assert_allclose(equal.lines[0].get_ydata(), [1.0, 0.997])
    # the error bars span +- the standard errors given
    seg = equal.lines[2][0].get_segments()[1]
    assert seg[1][1] - seg[0][1] == pytest.approx(0.002)


def _load_summary():
    rows = []
    for model, base in (("hopfield", 0.3), ("pattern_sdm", 1.0)):
        for m in (2, 8, 256):
            for h in (0, 8):
                rows.append(dict(model=model, m=m, h=h, mean=base if m > 2 else 1.0, sem=0.01 * (model == "hopfield")))
    return pd.DataFrame(rows)


def test_load_figure_plots_recall_against_load_with_capacity_lines_and_prediction():
    s = _load_summary()
    m = np.array([2, 8, 256])
    pred = 1 - 2 * hopfield_bit_error(64, m)
    fig = load_figure(s, n=64, capacities={"a": 3.8, "b": 8.8}, paper_m=256, one_read=(m, pred),
                      labels={"hopfield": "Hopfield network"})
    assert "Hopfield network" in [t.get_text() for t in fig.legends[0].get_texts()]
    assert len(fig.axes) == 2
    for ax, h in zip(fig.axes, (0, 8)):
        hop, sdm = ax.containers
        np.testing.assert_allclose(hop.lines[0].get_ydata(), s.query("model == 'hopfield' and h == @h")["mean"])
        assert hop.lines[0].get_color() == model_style("hopfield")["color"]
        xs = hop.lines[0].get_xdata() / sdm.lines[0].get_xdata()
        assert np.all(xs < 1) and np.allclose(xs, xs[0])  # dodged by a constant factor on the log axis
        vlines = [line.get_xdata()[0] for line in ax.get_lines() if len(set(line.get_xdata())) == 1]
        assert sorted(vlines) == [3.8, 8.8, 256]
    prediction = [line for line in fig.axes[0].get_lines() if len(line.get_xdata()) == 3 and line.get_linewidth() == 1.0]
    np.testing.assert_allclose(prediction[-1].get_ydata(), pred)
    assert fig.axes[0].get_xscale() == "log"


def test_sweep_errorbar_figure_draws_the_stored_summary():
    rows = []
    for model, space, d in (("pattern_sdm", "binary", 11), ("pattern_sdm", "binary", 19),
                            ("neuron_sdm", "binary", 19), ("hopfield", "binary", None),
                            ("continuous_sdm", "continuous", 11), ("continuous_sdm", "continuous", 19)):
        for seed in (0, 1):
            for h in (0, 8, 16):
                v = 1.0 - h / 64 * (1 + seed) * (2 if model == "hopfield" else 1)
                rows.append(dict(sweep="noise", m=256, model=model, space=space, d=d, r=1.0, h=h, seed=seed,
                                 n_queries=10, mean=v, std=0.0, baseline=1 - 2 * h / 64, steps=1.0, steps_max=1,
                                 n_unconverged=0, n_empty=0))
    t = pd.DataFrame(rows).astype({"d": "Int64"})
    noise, _ = summarize_sweeps(t)
    labels = {"neuron_sdm": "N", "pattern_sdm": "P", "hopfield": "H", "continuous_sdm": "C"}
    fig = sweep_errorbar_figure(noise, labels, n=64, m=256)
    axes = np.array(fig.axes).reshape(2, 2)
    assert [len(ax.containers) for ax in axes.flat] == [2, 1, 3, 1]   # neuron SDM only at d = 19
    top_binary = axes[0, 0].containers
    expected = summarize_recall(t[(t.model == "pattern_sdm") & (t.d == 11)].drop(columns=["sweep", "m"]))
    y = top_binary[0].lines[0].get_ydata()  # N is absent at d = 11, so P comes first
    np.testing.assert_allclose(y, expected.sort_values("h")["mean"])
    # error bars are one standard error over seeds
    seg = top_binary[0].lines[2][0].get_segments()[2]
    assert seg[1][1] - seg[0][1] == pytest.approx(2 * expected.sort_values("h")["sem"].iloc[2])
    # the baseline is the last line of every panel
    np.testing.assert_allclose(axes[1, 1].get_lines()[-1].get_ydata(), 1 - 2 * np.array([0, 8, 16]) / 64)
