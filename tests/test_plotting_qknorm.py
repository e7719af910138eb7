"""sdmlib.plotting.qknorm: the figure draws the library's numbers, and nothing is told apart by colour alone."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.lines
import numpy as np
import pandas as pd
import pytest

from sdmlib.plotting import FIGURE_WIDTH
from sdmlib.plotting.qknorm import KIND_STYLES, null_model_figure
from sdmlib.plotting.transformers import REFERENCE_LINESTYLES
from sdmlib.qknorm import bootstrap_ci, henry_initial_scale, load_qknorm_scales, reference_lines


@pytest.fixture(scope="module")
def drawn():
    scales = load_qknorm_scales(config=True)
    order = ["gl-en", "sk-en", "unlabelled", "ar-en", "en-he"]
    refs = {}
    for est in ("as-published", "ols"):
        rows = {}
        for lp, sub in scales.groupby("language_pair"):
            ref = reference_lines(int(sub.d_head.iloc[0]), float(sub.m.iloc[0]), estimator=est)
            rows[lp] = {k: ref[k] for k in ("beta_cd", "beta_snr", "beta_mem")}
        refs[est] = pd.DataFrame(rows).T
    intervals = {lp: bootstrap_ci(sub.scale - sub.g0, seed=0, n_boot=500) for lp, sub in scales.groupby("language_pair")}
    fig = null_model_figure(scales, refs, intervals, order=order, title="t")
    return fig, scales, refs, intervals, order


def _kind_lines(ax):
    markers = {s["marker"] for s in KIND_STYLES.values()}
    return {line.get_marker(): line for line in ax.get_lines() if line.get_marker() in markers}


def test_points_are_the_scales_and_the_shifts_from_g0(drawn):
    fig, scales, _, _, order = drawn
    top, bottom = fig.axes[:2]
    assert float(fig.get_figwidth()) == FIGURE_WIDTH
    shift = scales.scale - henry_initial_scale(scales.L.to_numpy())           # independent of the table's column
    for (stack, att), style in KIND_STYLES.items():
        rows = scales[(scales["stack"] == stack) & (scales.attention == att)]
        want = np.sort(rows.scale.to_numpy())
        assert np.allclose(np.sort(_kind_lines(top)[style["marker"]].get_ydata()), want)
        assert np.allclose(np.sort(_kind_lines(bottom)[style["marker"]].get_ydata()), np.sort(shift[rows.index]))
        x = np.asarray(_kind_lines(top)[style["marker"]].get_xdata())
        slot = np.round(x - style["offset"]).astype(int)                        # each point in its model's slot
        ordered = rows.assign(slot=rows.language_pair.map({m: i for i, m in enumerate(order)})).sort_values(
            ["slot", "layer"])
        assert np.array_equal(slot, ordered.slot.to_numpy())


def test_starts_and_reference_segments_are_the_library_values(drawn):
    fig, scales, refs, _, order = drawn
    top = fig.axes[0]
    flat = [line for line in top.get_lines() if len(line.get_xdata()) == 2]
    for i, model in enumerate(order):
        in_slot = [line for line in flat if np.isclose(np.mean(line.get_xdata()), i)]
        ys = sorted(round(float(line.get_ydata()[0]), 6) for line in in_slot)
        L = int(scales.loc[scales.language_pair == model, "L"].iloc[0])
        want = sorted([round(float(henry_initial_scale(L)), 6)]
                      + [round(float(refs[e].loc[model, k]), 6) for e in refs for k in REFERENCE_LINESTYLES])
        assert ys == want
    styles = {(line.get_linestyle(), line.get_color(), line.get_marker()) for line in flat}
    assert len(styles) == 1 + 3 * len(refs)          # the start and 3 βs × 2 sets, each its own style
    assert {matplotlib.lines.Line2D([], [], ls=s).get_linestyle() for s in REFERENCE_LINESTYLES.values()} <= {
        s[0] for s in styles}


def test_error_bars_are_the_intervals(drawn):
    fig, _, _, intervals, order = drawn
    bottom = fig.axes[1]
    diamonds = [line for line in bottom.get_lines() if line.get_marker() == "D"]
    assert len(diamonds) == 1
    assert np.allclose(diamonds[0].get_ydata(), [intervals[m][0] for m in order])
    segments = [c for c in bottom.collections if len(getattr(c, "get_segments", lambda: [])()) == len(order)]
    ends = np.array([[seg[0][1], seg[1][1]] for seg in segments[0].get_segments()])
    assert np.allclose(np.sort(ends, axis=1), [[intervals[m][1], intervals[m][2]] for m in order])


def test_markers_tell_the_kinds_apart_and_bad_input_is_refused(drawn):
    fig, scales, refs, intervals, _ = drawn
    assert len({s["marker"] for s in KIND_STYLES.values()}) == len(KIND_STYLES)
    assert fig.legends
    with pytest.raises(ValueError, match="order"):
        null_model_figure(scales, refs, intervals, order=["xx-yy"])
    with pytest.raises(TypeError, match="table"):
        null_model_figure(scales.to_dict(), refs, intervals, order=["gl-en"])
