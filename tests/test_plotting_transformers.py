import matplotlib

matplotlib.use("Agg")

import matplotlib.lines
import numpy as np
import pandas as pd
import pytest

from sdmlib.plotting import FIGURE_WIDTH, radius_style
from sdmlib.plotting.transformers import (
    BASELINE_STYLE, MODEL_STYLES, REFERENCE_LINESTYLES, beta_histogram, beta_steps_figure, beta_trace_figure,
    finite_r_figure,
    layer_beta_figure, protocol_figure, recall_panels, token_beta_figure, training_loss_figure, value_norm_figure,
)

LEVELS = (0, 100, 200)


def _ydata(line):
    return np.asarray(line.get_ydata(), dtype=float)


def _recall_table(radii, models):
    rng = np.random.default_rng(0)
    rows = [dict(d=d, model=m, h=h, mean=float(rng.uniform(0.2, 1))) for d in radii for m in models for h in LEVELS]
    return pd.DataFrame(rows)


def test_training_loss_one_line_per_radius_with_the_losses():
    losses = {"mnist": {5: [3.0, 2.0, 1.0], 15: [5.0, 4.5, 4.4]}, "fashion": {5: [2.0, 1.5, 1.2]}}
    fig = training_loss_figure(losses, title="t")
    assert float(fig.get_figwidth()) == FIGURE_WIDTH
    left, right = fig.axes[:2]
    assert [len(left.get_lines()), len(right.get_lines())] == [2, 1]
    for line, d in zip(left.get_lines(), (5, 15)):
        assert np.allclose(_ydata(line), losses["mnist"][d])
        assert line.get_color() == radius_style(d)["color"] and line.get_marker() == radius_style(d)["marker"]
    assert left.get_yscale() == "log" and fig.legends


def test_beta_trace_draws_traces_and_fitted_lines():
    traces, fitted = {5: [106.0, 107.0, 108.0], 11: [47.6, 48.0, 49.0]}, {5: 35.5, 11: 15.9}
    fig = beta_trace_figure(traces, fitted, title="t")
    lines = fig.axes[0].get_lines()
    assert len(lines) == 4
    assert np.allclose(_ydata(lines[0]), traces[5]) and np.allclose(_ydata(lines[1]), traces[11])
    assert np.allclose(_ydata(lines[2]), 35.5) and np.allclose(_ydata(lines[3]), 15.9)
    assert lines[2].get_linestyle() != lines[0].get_linestyle()   # fitted β: not told apart by colour alone


def test_recall_panels_wraps_radii_into_rows_and_plots_the_table():
    radii, models = (5, 9, 11, 15), ("binary r=inf", "cap r=inf", "softmax-bfit")
    table = _recall_table(radii, models)
    extra = _recall_table(radii, ("softmax-bfit",))
    fig = recall_panels(table, betas={d: 40.0 / d for d in radii}, title="t", levels=LEVELS, extra=extra,
                        extra_label="fixed")
    assert len(fig.axes) == 4 and float(fig.get_figwidth()) == FIGURE_WIDTH
    assert {round(ax.get_position().x0, 2) for ax in fig.axes}.__len__() == 2   # two columns, two rows
    for ax, d in zip(fig.axes, radii):
        lines = ax.get_lines()
        assert len(lines) == len(models) + 2                                  # models, extra, baseline
        for line, m in zip(lines, models):
            want = table[(table.d == d) & (table.model == m)].sort_values("h")["mean"]
            assert np.allclose(_ydata(line), want)
            assert line.get_color() == MODEL_STYLES[m]["color"] and line.get_marker() == MODEL_STYLES[m]["marker"]
        assert np.allclose(_ydata(lines[-2]), extra[extra.d == d].sort_values("h")["mean"])
        assert np.allclose(_ydata(lines[-1]), 1 - 2 * np.array(LEVELS) / 784)
        assert lines[-1].get_marker() == BASELINE_STYLE["marker"]
        assert f"d = {d}" in ax.get_title()
    markers = {(MODEL_STYLES[m]["marker"], MODEL_STYLES[m]["linestyle"]) for m in MODEL_STYLES}
    assert len(markers) == len(MODEL_STYLES)


def test_recall_panels_removes_the_empty_panel():
    fig = recall_panels(_recall_table((5, 9, 11), ("softmax-bfit",)), betas={5: 1.0, 9: 1.0, 11: 1.0}, title="t",
                        levels=LEVELS)
    assert len(fig.axes) == 3


def test_protocol_figure_stored_dotted_unseen_solid():
    rows = [dict(data=data, protocol=p, model="softmax-bfit", d=d, h=h, mean=v)
            for data in ("mnist", "fashion") for d in (5, 15) for p, v0 in (("stored", 1.0), ("generalization", 0.8))
            for h, v in zip(LEVELS, (v0, v0 - d / 100, v0 - d / 50))]
    table = pd.DataFrame(rows)
    fig = protocol_figure(table, panels=["mnist", "fashion"], radii=[5, 15], levels=LEVELS)
    assert len(fig.axes) == 2
    lines = fig.axes[1].get_lines()
    assert len(lines) == 5
    assert np.allclose(_ydata(lines[2]), [1.0, 0.85, 0.7]) and lines[2].get_linestyle() == ":"
    assert np.allclose(_ydata(lines[3]), [0.8, 0.65, 0.5]) and lines[3].get_linestyle() == "-"


def test_finite_r_figure_skips_and_plots():
    rows = []
    for w in ("cap", "binary"):
        for r, skipped in ((1e6, w == "cap"), (3.16e9, False), (np.inf, False)):
            for h in LEVELS:
                rows.append(dict(weighting=w, r=r, h=h, skipped=skipped,
                                 mean=np.nan if skipped else 1 - h / 1000 - (r < 1e7) * 0.3))
    table = pd.DataFrame(rows)
    fig = finite_r_figure(table, d=11, levels=LEVELS)
    cap, binary = fig.axes[:2]
    assert len(cap.get_lines()) == 3 and len(binary.get_lines()) == 4
    assert "skipped" in cap.get_title() and "skipped" not in binary.get_title()
    assert np.allclose(_ydata(binary.get_lines()[0]), [0.7, 0.6, 0.5])
    styles = {(line.get_color(), line.get_marker()) for line in binary.get_lines()[:3]}
    assert len(styles) == 3


def test_beta_histogram_counts_and_reference_lines():
    groups = {"a": [11.0, 12.0, 16.0, 30.0], "b": [14.0, 20.0]}
    refs = {"as published": {"beta_cd": 10.1, "beta_snr": 15.9, "beta_mem": 35.5},
            "OLS": {"beta_cd": 9.44, "beta_snr": 14.41, "beta_mem": 28.39}}
    bins = np.linspace(5, 40, 8)
    fig = beta_histogram(groups, refs, bins=bins, xlabel="β", ylabel="count", title="t")
    ax = fig.axes[0]
    heights = np.array([p.get_height() for p in ax.patches]).reshape(2, -1)
    assert np.allclose(heights[0], np.histogram(groups["a"], bins)[0])
    assert np.allclose(heights[1], np.histogram(groups["b"], bins)[0])
    assert ax.patches[0].get_hatch() != ax.patches[len(bins) - 1].get_hatch()   # blocks differ in pattern too
    lines = ax.get_lines()
    assert sorted(float(line.get_xdata()[0]) for line in lines) == sorted(v for r in refs.values() for v in r.values())
    assert {line.get_linestyle() for line in lines} == {matplotlib.lines.Line2D([], [], ls=s).get_linestyle()
                                                       for s in REFERENCE_LINESTYLES.values()}
    assert len({(line.get_color(), line.get_marker(), line.get_linestyle()) for line in lines}) == 6


def test_beta_histogram_overlay_and_log_axis():
    fig = beta_histogram({"a": [1.0, 2.0, 50.0], "b": [3.0, 4.0]}, None, bins=np.geomspace(0.5, 60, 10),
                         xlabel="β", ylabel="density", title="t", stacked=False, density=True, log_x=True)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and len(ax.patches) == 2
    assert ax.patches[0].get_linestyle() != ax.patches[1].get_linestyle()


def test_layer_beta_figure_lines_and_bars():
    mean = pd.DataFrame(np.arange(12.0).reshape(3, 4), index=["x", "y", "z"], columns=range(4))
    layer_max = pd.Series([70.0, 10.0, 8.0, 5.0], index=range(4))
    fig = layer_beta_figure(mean, layer_max, n_tokens={"x": 10, "y": 20, "z": 30}, model="M")
    left, right = fig.axes[:2]
    assert len(left.get_lines()) == 3
    for line, (_, row) in zip(left.get_lines(), mean.iterrows()):
        assert np.allclose(_ydata(line), row)
    assert [p.get_height() for p in right.patches] == layer_max.tolist() and right.get_yscale() == "log"
    assert len({line.get_marker() for line in left.get_lines()}) == 3
    assert "10 tokens" in left.get_lines()[0].get_label()


def test_token_beta_figure_one_outline_per_layer_and_the_counts():
    rng = np.random.default_rng(1)
    toks = pd.DataFrame(dict(layer=np.repeat([0, 1, 2], 50), beta_eff=rng.lognormal(1.5, 0.7, 150)))
    edges = np.linspace(-5, 5, 11)
    counts = rng.integers(0, 100, 10)
    fig = token_beta_figure(toks, counts, edges, head_dim=32, n_inputs=counts.sum() + 7)
    left, right = fig.axes[:2]
    assert len(left.patches) == 3 and left.get_xscale() == "log"
    values, got_edges, _ = right.patches[0].get_data()
    assert np.allclose(values, counts) and np.allclose(got_edges, edges)
    assert f"{counts.sum() + 7:,}" in right.get_title()


def test_value_norm_figure_scatters_both_groups():
    a = pd.DataFrame(dict(attention=[0.1, 0.2, 0.3], v_norm=[2.0, 3.0, 1.0]))
    a["weighted"] = a.attention * a.v_norm
    b = pd.DataFrame(dict(attention=[0.9, 0.6], v_norm=[0.5, 0.2]))
    b["weighted"] = b.attention * b.v_norm
    fig = value_norm_figure(a, b, sample_label="sample", strong_label="strong")
    left, right = fig.axes[:2]
    assert np.allclose(left.collections[0].get_offsets(), a[["attention", "v_norm"]])
    assert np.allclose(right.collections[1].get_offsets(), b[["attention", "weighted"]])
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts[:2] == ["sample", "strong"]


@pytest.mark.parametrize("ncols", [3])
def test_recall_panels_never_puts_more_than_two_side_by_side(ncols):
    radii = tuple(range(5, 5 + 2 * ncols, 2))
    fig = recall_panels(_recall_table(radii, ("softmax-bfit",)), betas={d: 1.0 for d in radii}, title="t",
                        levels=LEVELS)
    assert len({round(ax.get_position().x0, 2) for ax in fig.axes}) <= 2


def _bars(ax):
    """(x, lower, upper) of every error bar of an axes (errorbar's LineCollections)."""
    from matplotlib.collections import LineCollection

    out = []
    for c in ax.collections:
        if isinstance(c, LineCollection):
            for seg in c.get_segments():
                out.append((float(seg[0][0]), float(min(seg[0][1], seg[1][1])), float(max(seg[0][1], seg[1][1]))))
    return sorted(out)


def test_recall_panels_draw_the_given_half_widths_as_error_bars():
    table = _recall_table((5, 9), ("softmax-bfit",))
    table["half_width"] = np.linspace(0.01, 0.06, len(table))
    fig = recall_panels(table, betas={5: 35.5, 9: 20.0}, title="t", levels=LEVELS)
    for ax, d in zip(fig.axes, (5, 9)):
        g = table[table.d == d].sort_values("h")
        expect = sorted(zip(g.h.astype(float), g["mean"] - g.half_width, g["mean"] + g.half_width))
        np.testing.assert_allclose(_bars(ax), expect)
    assert all(not _bars(ax) for ax in recall_panels(_recall_table((5,), ("softmax-bfit",)), betas={5: 1.0},
                                                      title="t", levels=LEVELS).axes)   # no column, no bars


def test_protocol_and_finite_r_figures_draw_error_bars_too():
    t = pd.DataFrame(dict(data="a", protocol=["stored"] * 2 + ["generalization"] * 2, model="softmax-bfit", d=5,
                          h=[0, 100] * 2, mean=[1.0, 0.9, 0.8, 0.7], half_width=[0.01, 0.02, 0.03, 0.04]))
    fig = protocol_figure(t, panels=["a"], radii=[5], levels=(0, 100))
    assert sorted(round(hi - lo, 6) for _, lo, hi in _bars(fig.axes[0])) == [0.02, 0.04, 0.06, 0.08]
    f = pd.DataFrame(dict(weighting="cap", r=[np.inf, np.inf], skipped=False, d=11, h=[0, 100], mean=[0.99, 0.9],
                          half_width=[0.005, 0.01], model="cap r=inf"))
    fig = finite_r_figure(f, d=11, weightings=("cap",), levels=(0, 100))
    assert [round(hi - lo, 6) for _, lo, hi in _bars(fig.axes[0])] == [0.01, 0.02]


def test_beta_steps_figure_draws_moves_from_the_start_and_the_adam_bound():
    reduced = {5: [([0, 40, 80], [106.0, 106.2, 106.5]), ([0, 40, 80], [106.0, 106.1, 106.3])],
               9: [([0, 40, 80], [60.0, 60.3, 60.4])]}
    full = {5: (106.0, 146.0, 9380), 9: (60.0, 95.0, 9380)}
    long = {9: ([0, 4000, 9400], [60.0, 75.0, 90.0])}
    fig = beta_steps_figure(reduced, full, lr=0.01, long=long)
    left, right = fig.axes[:2]
    data = [(_ydata(line).tolist(), line.get_color()) for line in left.get_lines()]
    assert np.allclose(data[0][0], [0.0, 0.2, 0.5]) and data[0][1] == radius_style(5)["color"]
    assert data[2][1] == radius_style(9)["color"]
    assert np.allclose(data[1][0], [0.0, 0.1, 0.3])
    bound = [line for line in right.get_lines() if line.get_linestyle() == ":"]
    assert [np.asarray(b.get_xydata()).tolist() for b in bound] == [[[0.0, 0.0], [9400.0, 94.0]],
                                                                   [[0.0, 0.0], [9400.0, -94.0]]]
    dashed = [line for line in right.get_lines() if line.get_linestyle() == "--"]
    assert [_ydata(line).tolist() for line in dashed] == [[0.0, 40.0], [0.0, 35.0]]
    solid_long = [line for line in right.get_lines() if line.get_label().endswith("full step count")]
    assert len(solid_long) == 1 and _ydata(solid_long[0]).tolist() == [0.0, 15.0, 30.0]
    assert fig.legends and float(fig.get_figwidth()) == FIGURE_WIDTH


def test_head_class_figure_plots_each_class_and_the_radius_lines():
    from sdmlib.plotting.transformers import HEAD_CLASS_STYLES, head_class_figure

    per_head = pd.DataFrame(dict(head_class=["content", "content", "sink", "previous-token"],
                                 beta_eff=[4.0, 6.0, 9.0, 72.0], beta_content=[3.5, 6.0, 2.0, 61.0]))
    radius = pd.DataFrame(dict(layer=[0, 0, 1, 1, 2], head_class=["previous-token", "content", "content", "sink", "content"],
                               sdm_radius=[2.0, 9.0, 10.0, 12.0, 11.0]))
    fig = head_class_figure(per_head, radius, references=dict(d_cd=8, d_snr=5, d_mem=3), model="M")
    left, right = fig.axes[:2]
    # one scatter per class present, in HEAD_CLASS_STYLES order, with the table's values
    order = [c for c in HEAD_CLASS_STYLES if c in set(per_head.head_class)]
    for coll, cls in zip(left.collections, order):
        g = per_head[per_head.head_class == cls]
        assert np.allclose(coll.get_offsets(), g[["beta_eff", "beta_content"]])
    assert left.get_xscale() == "log" == left.get_yscale()
    ys = sorted(np.concatenate([c.get_offsets()[:, 1] for c in right.collections]).tolist())
    assert ys == sorted(radius.sdm_radius.tolist())
    # jitter stays within half a layer of the layer
    for coll in right.collections:
        assert np.all(np.abs(coll.get_offsets()[:, 0] - np.round(coll.get_offsets()[:, 0])) <= 0.28)
    hlines = [line.get_ydata()[0] for line in right.get_lines()]
    assert sorted(hlines) == [3, 5, 8]
