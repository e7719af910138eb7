"""The recall figures draw the data they are given, in the book's styles and layout."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from sdmlib.experiments import RECALL_MODEL_DESCRIPTIONS, recall_protocol, recall_protocol_radii
from sdmlib.plotting import FIGURE_WIDTH
from sdmlib.plotting.recall import (MODEL_STYLES, model_style, recall_figure, rule_comparison_figure,
                                    scan_timing_figure, sweep_figure)


def _summary(models, radii, levels, n, value=lambda model, d, h: 0.0):
    rows = [dict(model=mod, d=d, h=h, mean=value(mod, d, h), sem=0.01, baseline=1 - 2 * h / n)
            for mod in models for d in radii for h in levels]
    return pd.DataFrame(rows)


def test_every_model_has_its_own_colour_marker_and_line():
    assert set(RECALL_MODEL_DESCRIPTIONS) <= set(MODEL_STYLES)
    combos = {}
    for name, style in MODEL_STYLES.items():
        assert style["color"].upper() != "#F0E442", f"{name}: yellow line"
        combos.setdefault((style["color"], style["marker"], str(style["linestyle"])), []).append(name)
    shared = [names for names in combos.values() if len(names) > 1]
    assert shared == [["sdm_attention_bfit", "sdm_attention_continuous"]]  # the same model, two names
    # within each protocol no two models look alike in marker, and at most one pair shares a colour
    for name in ("E1", "E2", "E3", "E4"):
        models = recall_protocol(name, "reduced").models
        markers = [MODEL_STYLES[mod]["marker"] for mod in models]
        colours = [MODEL_STYLES[mod]["color"] for mod in models]
        assert len(set(markers)) == len(models), name
        assert len(models) - len(set(colours)) <= 1, name


def test_recall_figure_plots_each_model_in_each_radius_panel():
    p = recall_protocol("E1", "reduced")
    radii, levels = recall_protocol_radii(p), (0, 4, 8, 12)
    value = lambda model, d, h: round(1 - h / 100 - np.nan_to_num(d) / 1000 - 0.01 * p.models.index(model), 6)
    with_radius = [mod for mod in p.models if mod not in ("hopfield", "transformer_attention")]
    s = pd.concat([_summary(with_radius, radii, levels, p.n, value),
                   _summary(["hopfield", "transformer_attention"], [np.nan], levels, p.n, value)])
    fig = recall_figure(s, p)
    assert fig.get_figwidth() == FIGURE_WIDTH
    assert len(fig.axes) == 6 and fig.axes[0].get_gridspec().ncols == 2
    for ax, d in zip(fig.axes, radii):
        assert ax.get_title().startswith(f"d = {d}")
        assert len(ax.containers) == len(p.models)
        for container, model in zip(ax.containers, p.models):
            line = container.lines[0]
            assert container.get_label() == model
            assert line.get_color() == MODEL_STYLES[model]["color"] and line.get_marker() == MODEL_STYLES[model]["marker"]
            dd = np.nan if model in ("hopfield", "transformer_attention") else d
            assert np.allclose(line.get_ydata(), [value(model, dd, h) for h in levels])
            assert np.all(np.abs(line.get_xdata() - levels) <= 0.2 * 4)   # dodged, but near h (spacing 4)
        baseline = ax.get_lines()[-1]
        assert np.allclose(baseline.get_ydata(), 1 - 2 * np.array(levels) / p.n)
    legend = fig.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == list(p.models) + ["noisy query (baseline)"]


def test_recall_figure_hides_unused_panels():
    p = recall_protocol("E3", "reduced").replace(radii=(5, 11, 19))
    s = _summary(p.models, (5, 11, 19), (0, 6), p.n, lambda m, d, h: 0.5)
    fig = recall_figure(s, p)
    assert [ax.get_visible() for ax in fig.axes] == [True, True, True, False]


def test_rule_comparison_figure_draws_both_rules():
    p = recall_protocol("E4", "reduced")
    r = recall_protocol_radii(p)
    models = ("continuous_sdm", "sdm_attention_bfit")
    a = _summary(models, (r[0], r[2]), (0, 150, 300), p.n, lambda m, d, h: 0.9 - h / 1000)
    b = _summary(models, (r[0], r[2]), (0, 150, 300), p.n, lambda m, d, h: 0.7 - h / 2000)
    fig = rule_comparison_figure({"0.05 rule": a, "per query": b}, models, (r[0], r[2]), p)
    assert len(fig.axes) == 2
    for ax in fig.axes:
        ys = [c.lines[0].get_ydata() for c in ax.containers]
        assert len(ys) == 4
        assert np.allclose(ys[0], [0.9, 0.75, 0.6]) and np.allclose(ys[1], [0.7, 0.625, 0.55])
        assert [c.lines[0].get_linestyle() for c in ax.containers] == ["-", "--", "-", "--"]
    with pytest.raises(ValueError):
        rule_comparison_figure({"x": a}, models, r[:5], p)


def test_sweep_figure_plots_the_sweep():
    levels = np.arange(0, 25, 4)
    sweep = {"pattern_sdm": np.linspace(1, 0.8, 7), "hopfield": np.linspace(0.4, 0.1, 7),
             "continuous_sdm": np.linspace(1, 0.9, 7)}
    panels = {"binary": {"pattern_sdm": "PatternSDM d=11", "hopfield": "Hopfield"},
              "continuous": {"continuous_sdm": "ContinuousSDM d=11"}}
    fig = sweep_figure(levels, sweep, panels, n=64, m=256)
    assert len(fig.axes) == 2 and fig.get_figwidth() == FIGURE_WIDTH
    left, right = (ax.get_lines() for ax in fig.axes)
    assert [ln.get_label() for ln in left] == ["PatternSDM d=11", "Hopfield", "noisy query (baseline)"]
    assert np.allclose(left[1].get_ydata(), sweep["hopfield"]) and np.allclose(right[0].get_ydata(), sweep["continuous_sdm"])
    assert left[0].get_marker() == model_style("pattern_sdm")["marker"]
    assert len(fig.legends[0].get_texts()) == 4   # baseline once


def test_scan_timing_figure_plots_ratios_to_the_floor():
    rows = []
    for n, floor in ((64, 1e-3), (1024, 2e-2)):
        for method, factor in (("floor", 1.0), ("numba", 1.2), ("faiss", 2.5), ("dense cdist (original)", 100.0)):
            rows.append(dict(method=method, n=n, r=10**6, d=n // 3, seconds=floor * factor))
    fig = scan_timing_figure(pd.DataFrame(rows))
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    lines = ax.get_lines()
    assert np.allclose(lines[0].get_xdata(), 1.0)           # the floor
    assert len(lines) == 3
    for line in lines[1:]:
        assert np.allclose(line.get_xdata(), [1.2, 2.5, 100.0])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["numba", "faiss", "dense cdist (original)"]


def test_rule_comparison_figure_tells_three_rules_apart_in_three_panels():
    p = recall_protocol("E4", "reduced")
    r = recall_protocol_radii(p)
    radii = (r[0], r[3], r[5])  # three panels: two rows of two, the fourth hidden
    rules = {f"rule {k}": _summary(("continuous_sdm",), radii, (0, 300), p.n, lambda m, d, h, k=k: 0.9 - 0.1 * k)
             for k in range(3)}
    fig = rule_comparison_figure(rules, ("continuous_sdm",), radii, p)
    assert [ax.get_visible() for ax in fig.axes] == [True, True, True, False]
    for ax in fig.axes[:3]:
        lines = [c.lines[0] for c in ax.containers]
        assert [float(ln.get_ydata()[0]) for ln in lines] == pytest.approx([0.9, 0.8, 0.7])
        assert [ln.get_linestyle() for ln in lines] == ["-", "--", ":"]
        assert [ln.get_fillstyle() for ln in lines] == ["full", "full", "left"]
    with pytest.raises(ValueError, match="rules"):
        rule_comparison_figure({**rules, "rule 3": rules["rule 0"]}, ("continuous_sdm",), radii, p)
    with pytest.raises(ValueError, match="radii"):
        rule_comparison_figure(rules, ("continuous_sdm",), r[:5], p)


def test_repeated_reads_figure_plots_the_library_values():
    from sdmlib.memories import PatternSDM
    from sdmlib.plotting.recall import repeated_reads_figure
    from sdmlib.recall_analysis import repeated_reads

    P = np.random.default_rng(0).integers(0, 2, size=(128, 64), dtype=np.uint8)
    t = repeated_reads(PatternSDM(n=64, d=15, r=10**5, seed=1, on_empty="original").write(P), P, P, 5)
    fig = repeated_reads_figure(t, title="x")
    lines = fig.axes[0].lines
    assert len(lines) == 4
    for line, col in zip(lines, ("recalled", "zero", "other", "mean")):
        assert np.allclose(line.get_ydata(), t[col]) and np.array_equal(line.get_xdata(), t["read"])
    assert fig.axes[0].get_xscale() == "log"
    with pytest.raises(ValueError, match="lacks"):
        repeated_reads_figure(t.drop(columns="zero"))
