"""sdmlib.plotting.learnt_beta: the figures draw the library's numbers, legibly and without colour-only keys."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from sdmlib.plotting import FIGURE_WIDTH
from sdmlib.plotting.learnt_beta import (LINE_STYLES, RULE_STYLES, learnt_scale_figure, sweep_figure,
                                         trajectory_figure)

pytest.importorskip("torch")

from sdmlib import learnt_beta as LB  # noqa: E402


def test_rule_styles_differ_in_shape_as_well_as_colour():
    assert len({(s["marker"], s["linestyle"]) for s in RULE_STYLES.values()}) == len(RULE_STYLES)
    assert set(RULE_STYLES) == set(LB.G0_RULES)
    assert len({s["linestyle"] for s in LINE_STYLES.values()}) == len(LINE_STYLES)


def test_trajectory_figure_draws_trained_g_and_the_library_lines():
    task = LB.RecallTask(n=16, m=4, eps=0.3)
    heads = {r: LB.train_head(task, LB.initial_scale(r, 4), seed=0, steps=40, batch=16) for r in ("henry", "high")}
    lines = {"beta_bayes": LB.bayes_beta(16, 0.3), **{k: v for k, v in LB.sdm_lines(16, 4).items() if "beta" in k}}
    traces = [{r: [(h.history["step"], h.history["g"])] for r, h in heads.items()}] * 3
    fig = trajectory_figure(traces, [("a", lines), ("b", lines), ("c", lines)], title="t")
    assert float(fig.get_figwidth()) == FIGURE_WIDTH and len(fig.axes) == 4
    ax = fig.axes[0]
    drawn = ax.get_lines()
    assert np.allclose(drawn[0].get_ydata(), np.abs(heads["henry"].history["g"]))
    levels = sorted(float(line.get_ydata()[0]) for line in drawn[2:])
    assert levels == pytest.approx(sorted(lines[k] for k in ("beta_bayes", "beta_cd", "beta_snr", "beta_mem")))
    assert not fig.axes[3].axison and fig.axes[3].get_legend() is not None   # legend in the spare panel


def test_learnt_scale_figure_points_and_intervals_are_the_summary():
    rows = [dict(n=n, m=m, eps=e, g0_rule=r, seed=s, abs_g=LB.bayes_beta(n, e) * (1 + 0.01 * s))
            for n in (16, 32) for m in (8, 32) for e in (0.1, 0.3) for r in LB.G0_RULES for s in range(3)]
    summary = LB.runs_summary(pd.DataFrame(rows), "abs_g")
    lines = {n: LB.sdm_lines(n, 8) for n in (16, 32)}
    eps_c = np.linspace(0.05, 0.45, 9)
    curve = {n: (eps_c, [LB.bayes_beta(n, e) for e in eps_c]) for n in (16, 32)}
    fig = learnt_scale_figure(summary, lines, bayes_curve=curve, title="t")
    ax = fig.axes[0]
    assert len(ax.containers) == 6                                   # 2 m × 3 rules
    first = summary[(summary.n == 16) & (summary.m == 8) & (summary.g0_rule == "low")].sort_values("eps")
    assert np.allclose(ax.containers[0].lines[0].get_ydata(), first["mean"])
    segs = ax.containers[0].lines[2][0].get_segments()
    assert np.allclose([s[:, 1].min() for s in segs], first["lo"]) and np.allclose([s[:, 1].max() for s in segs], first["hi"])
    assert ax.get_title() == "head dimension n = 16" and ax.get_yscale() == "log"
    open_marker = ax.containers[3].lines[0]                           # m = 32: open markers
    assert open_marker.get_markerfacecolor() == "white"


def test_sweep_figure_plots_loss_relative_to_bayes_and_recall():
    task = LB.RecallTask(n=16, m=8, eps=0.3)
    b = LB.bayes_beta(16, 0.3)
    sweep = LB.evaluate_head(LB.Head.identity(16, b), task, betas=np.geomspace(1, 100, 12), n_eval=300, seed=0)
    bayes = LB.evaluate_head(LB.Head.identity(16, b), task, n_eval=300, seed=0).mse.iloc[0]
    sweep["mse_bayes"] = bayes
    fig = sweep_figure({"x": sweep}, {"x": {"g": b, "beta_bayes": b}}, title="t")
    top, bottom = fig.axes[:2]
    assert np.allclose(top.get_lines()[0].get_ydata(), sweep.mse / bayes)
    assert np.allclose(bottom.get_lines()[0].get_ydata(), sweep.recall)
    assert top.get_xscale() == "log" and fig.legends


def test_band_swatch_in_the_legend_is_visible_and_the_band_stays_light():
    """The legend's swatch of the SDM band must stand out from the white page (the band's own
    alpha-0.12 fill is 240 on 255); the band in the panels keeps its light fill."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.patches import Patch

    rows = [dict(n=n, m=8, eps=e, g0_rule=r, seed=s, abs_g=LB.bayes_beta(n, e) * (1 + 0.01 * s))
            for n in (16, 32, 64) for e in (0.1, 0.3) for r in LB.G0_RULES for s in range(3)]
    summary = LB.runs_summary(pd.DataFrame(rows), "abs_g")
    lines = {n: LB.sdm_lines(n, 8) for n in (16, 32, 64)}
    eps_c = np.linspace(0.05, 0.45, 9)
    fig = learnt_scale_figure(summary, lines, bayes_curve={n: (eps_c, [LB.bayes_beta(n, e) for e in eps_c])
                                                           for n in (16, 32, 64)}, title="t")
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    legend = fig.axes[3].get_legend()
    swatch = [h for h, t in zip(legend.legend_handles, legend.get_texts()) if t.get_text().startswith("SDM band")]
    assert len(swatch) == 1 and isinstance(swatch[0], Patch)
    box = swatch[0].get_window_extent()
    pixels = np.asarray(canvas.buffer_rgba())[..., :3].astype(int)
    height = pixels.shape[0]
    patch = pixels[int(height - box.y1) - 1:int(height - box.y0) + 2, int(box.x0) - 1:int(box.x1) + 2]
    # the outline in the band's grey (153 of 255) is drawn; the faint fill alone is 240
    assert patch.min() <= 170, patch.min()
    band = [p for p in fig.axes[0].patches if p.get_label() == "SDM band [β_CD, β_Mem]"]
    assert len(band) == 1 and band[0].get_alpha() == pytest.approx(0.12)
