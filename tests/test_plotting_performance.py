"""The performance figures draw the benchmark table they are given (sdmlib.plotting.performance)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from sdmlib.memories.benchmark import RUN_COLUMNS, _row
from sdmlib.plotting import FIGURE_WIDTH
from sdmlib.plotting.performance import (batch_figure, crossover_figure, read_write_figure, scaling_figure,
                                         yardstick_figure)


@pytest.fixture(scope="module")
def table():
    """A synthetic table with the shape of `run_planning_benchmark`'s, built by its own row helper."""
    rows = []
    floor = {}
    for n, r in [(1024, 10**4), (1024, 10**5), (1024, 10**6), (64, 10**6), (256, 10**6)]:
        floor[(n, r)] = 1e-9 * r * -(-n // 64)
        rows.append(_row("floor", "streaming floor", n, r, 1, 1, 0, floor[(n, r)], floor[(n, r)], 0))
    for r in (10**4, 10**5, 10**6):
        for b in (1, 64):
            rows.append(_row("scan_r", "numba scan", 1024, r, b, 1, 463, 1.2 * floor[(1024, r)] * b / (1 + b / 8),
                             floor[(1024, r)], r // 1000 * b))
    for n in (64, 256, 1024):
        for b in (1, 64):
            rows.append(_row("scan_n", "numba scan", n, 10**6, b, 1, n // 2, 1.1 * floor[(n, 10**6)] * b,
                             floor[(n, 10**6)], 1000 * b))
    fl = floor[(1024, 10**6)]
    for b in (1, 4, 16, 64):
        rows.append(_row("batch", "numba scan", 1024, 10**6, b, 1, 463, fl * b / np.sqrt(b), fl, 1000 * b))
    for th in (1, 2):
        for m in ("numba scan", "NeuronSDM.read", "NeuronSDM.write"):
            rows.append(_row("threads", m, 1024, 10**6, 64, th, 463, 64 * fl / (2 * th), fl, 64000))
    for b in (64, 256):
        for k, m in enumerate(("numba scan", "NeuronSDM.read", "NeuronSDM.write")):
            rows.append(_row("read_write", m, 1024, 10**6, b, 1, 463, b * fl * (0.5 + 0.1 * k), fl, 1000 * b))
    for n in (64, 1024):
        for b in (1, 64):
            for k, m in enumerate(("numba scan", "faiss range_search", "dense cdist (original)")):
                rows.append(_row("yardstick", m, n, 10**6, b, 1, 20, b * floor[(n, 10**6)] * 10**k,
                                 floor[(n, 10**6)], 1000 * b))
    for m in (10**3, 10**4, 10**5):
        rows.append(_row("crossover", "PatternSDM.read", 1024, m, 64, 1, 463, 64 * 4e-7 * m, float("nan"), m))
    for r in (10**5, 10**6):
        rows.append(_row("crossover", "NeuronSDM.read", 1024, r, 64, 1, 463, 64 * 2e-8 * r, float("nan"), r))
    t = pd.DataFrame(rows, columns=list(RUN_COLUMNS))
    assert not t.per_query.isna().any()
    return t


def test_scaling_figure_plots_per_query_times_against_r_and_n(table):
    fig = scaling_figure(table)
    left, right = fig.axes[:2]
    one = table[(table.section == "scan_r") & (table.batch == 1)].sort_values("r")
    lines = left.get_lines()
    assert np.allclose(lines[0].get_xdata(), one.r) and np.allclose(lines[0].get_ydata(), one.per_query)
    fl = table[(table.section == "floor") & (table.n == 1024)].sort_values("r")
    assert np.allclose(lines[-1].get_ydata(), fl.per_query)   # the floor line is the floor rows
    assert [ln.get_label() for ln in right.get_lines()][-1] == "streaming floor"
    assert np.allclose(sorted(right.get_lines()[0].get_xdata()), [64, 256, 1024])
    assert fig.get_figwidth() == FIGURE_WIDTH


def test_batch_figure_draws_ratios_and_the_given_limits(table):
    fig = batch_figure(table, limits={"limit A": 0.3, "limit B": 0.1})
    ax = fig.axes[0]
    sub = table[table.section == "batch"].sort_values("batch")
    assert np.allclose(ax.get_lines()[0].get_ydata(), sub.x_floor)
    assert np.allclose(sub.x_floor.iloc[[0, -1]], [1.0, 1 / 8])      # 1/sqrt(b) per query
    flat = {ln.get_label(): ln.get_ydata()[0] for ln in ax.get_lines()[2:]}
    assert flat["limit A"] == 0.3 and flat["limit B"] == 0.1 and len(ax.get_lines()) == 5


def test_yardstick_figure_puts_every_method_at_its_ratio(table):
    fig = yardstick_figure(table)
    assert len(fig.axes) == 2
    labels = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert labels == ["numba scan", "faiss range_search", "dense cdist (original)"]
    xs = sorted(float(x) for ln in fig.axes[1].get_lines()[1:] for x in ln.get_xdata())
    assert np.allclose(xs, [1, 1, 10, 10, 100, 100])


def test_read_write_figure_bars_are_the_table_ratios(table):
    fig = read_write_figure(table)
    left, right = fig.axes[:2]
    heights = sorted(round(p.get_height(), 6) for p in left.patches)
    rw = table[table.section == "read_write"]
    assert np.allclose(heights, sorted(rw.x_floor.round(6)))
    th = table[table.section == "threads"]
    assert np.allclose(sorted(p.get_height() for p in right.patches), sorted(th.x_floor))


def test_crossover_figure_has_rising_curves_and_flat_neuron_lines(table):
    fig = crossover_figure(table)
    ax = fig.axes[0]
    lines = ax.get_lines()
    pat = table[table.method == "PatternSDM.read"].sort_values("r")
    assert np.allclose(lines[0].get_ydata(), pat.per_query)
    neuron = table[(table.section == "crossover") & (table.method == "NeuronSDM.read")]
    assert sorted(float(ln.get_ydata()[0]) for ln in lines[1:]) == pytest.approx(sorted(neuron.per_query))
