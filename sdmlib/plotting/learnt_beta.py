"""Figures of the chapter on QK-norm scales trained on in-context recall (``sdmlib.learnt_beta``).

* :func:`trajectory_figure`: the scale :math:`|g|` during training from each initial value;
* :func:`learnt_scale_figure`: learnt :math:`|g|` (mean and interval over seeds) against the
  task's Bayes β and SDM's β_CD, β_SNR, β_Mem, one panel per head dimension;
* :func:`sweep_figure`: loss and recall of trained heads as β is swept with the projections frozen.

Every function takes numbers the chapter computed and returns a
:class:`matplotlib.figure.Figure` of the book's width; none computes anything of its own.
Reference βs are horizontal lines whose line style names the β (as in the other Transformer
chapters); the initial-value rules differ in colour *and* marker *and* line style.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from sdmlib.plotting import OKABE_ITO, figure, legend_below, legend_in_spare_panel, plain_log_ticks

__all__ = ["RULE_STYLES", "LINE_STYLES", "trajectory_figure", "learnt_scale_figure", "sweep_figure"]

#: One style per initial-value rule of ``sdmlib.learnt_beta.G0_RULES``.
RULE_STYLES = {
    "low": dict(color=OKABE_ITO["blue"], marker="v", linestyle="--"),
    "henry": dict(color=OKABE_ITO["vermillion"], marker="o", linestyle="-"),
    "high": dict(color=OKABE_ITO["green"], marker="^", linestyle="-."),
}
_RULE_NAMES = {"low": "g₀ = 1", "henry": "g₀ = log₂(m² − m) (Henry et al.)", "high": "g₀ = 100"}

#: Reference lines: the task's Bayes β and SDM's three βs (line style and colour).
LINE_STYLES = {
    "beta_bayes": dict(color=OKABE_ITO["black"], linestyle="-", lw=2.0, label="β* (Bayes, this task)"),
    "beta_cd": dict(color=OKABE_ITO["grey"], linestyle="--", lw=1.3, label="SDM β_CD"),
    "beta_snr": dict(color=OKABE_ITO["grey"], linestyle=":", lw=1.6, label="SDM β_SNR"),
    "beta_mem": dict(color=OKABE_ITO["grey"], linestyle="-.", lw=1.3, label="SDM β_Mem"),
}


def _hlines(ax, lines: Mapping[str, float], keys=("beta_bayes", "beta_cd", "beta_snr", "beta_mem")) -> None:
    for key in keys:
        if key in lines:
            ax.axhline(float(lines[key]), **LINE_STYLES[key])


def _flat(axes) -> np.ndarray:
    return np.atleast_1d(np.asarray(axes, dtype=object)).ravel()


def trajectory_figure(traces: Mapping[str, Sequence[tuple[Sequence[float], Sequence[float]]]],
                      panels: Sequence[tuple[str, Mapping[str, float]]], *, title: str):
    """The scale :math:`|g|` against training step, one panel per setting, one line per (rule, seed).

    Parameters
    ----------
    traces : sequence of mappings
        One per panel: ``{rule: [(steps, g), ...]}`` (one pair per seed).
    panels : sequence of (str, mapping)
        Per panel its title and its reference βs (``beta_bayes``, ``beta_cd``, ...).

    Examples
    --------
    >>> tr = [{"henry": [([0, 10], [5.0, 7.0])], "high": [([0, 10], [100.0, 9.0])]}]
    >>> fig = trajectory_figure(tr, [("n = 16", {"beta_bayes": 8.0, "beta_mem": 11.6})], title="t")
    >>> ax = fig.axes[0]
    >>> [np.asarray(line.get_ydata()).tolist() for line in ax.get_lines()[:2]], ax.get_yscale()
    ([[5.0, 7.0], [100.0, 9.0]], 'log')
    """
    k = len(panels)
    if len(traces) != k:
        raise ValueError(f"traces and panels must have the same length, got {len(traces)} and {k}")
    nrows, ncols = (1, 1) if k == 1 else ((k + 1) // 2, 2)
    fig, axes = figure(nrows, ncols, sharex=True, sharey=True)
    flat = _flat(axes)
    for ax, per_rule, (name, lines) in zip(flat, traces, panels):
        for rule, runs in per_rule.items():
            style = RULE_STYLES[rule]
            for j, (steps, g) in enumerate(runs):
                ax.plot(steps, np.abs(np.asarray(g, float)), color=style["color"], linestyle=style["linestyle"],
                        marker=style["marker"], markevery=[-1], lw=1.1, alpha=0.85,
                        label=_RULE_NAMES[rule] if j == 0 else "_")
        _hlines(ax, lines)
        ax.set_yscale("log")
        plain_log_ticks(ax.yaxis)
        ax.set_title(name)
    for ax in flat[:k]:
        ax.set_xlabel("training step")
        ax.set_ylabel("|g| (dimensionless)")
    if k == 1:
        legend_below(fig, ncols=2)
    else:   # in the spare cell of an odd grid, else below the panels
        legend_in_spare_panel(fig, flat, k, ncols=2)
    fig.suptitle(title)
    return fig


def learnt_scale_figure(summary, lines: Mapping[int, Mapping[str, float]], *, bayes_curve: Mapping[int, tuple],
                        title: str, value_label: str = "learnt |g| (dimensionless)"):
    """Learnt scale against the query noise ε, one panel per head dimension ``n``.

    Parameters
    ----------
    summary : pandas.DataFrame
        From ``sdmlib.learnt_beta.runs_summary``: columns ``n, m, eps, g0_rule, mean, lo, hi``.
    lines : mapping of int to mapping
        Per ``n`` SDM's ``beta_cd, beta_snr, beta_mem`` (drawn as horizontal lines).
    bayes_curve : mapping of int to (eps, beta)
        Per ``n`` the task's Bayes β as a curve over ε.

    Each (m, rule) is a marker (rule: colour and shape; m: filled or open) at its ε, offset
    sideways so that the intervals do not overlap; the error bar is the interval over seeds.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"n": [16, 16], "m": [8, 8], "eps": [0.1, 0.3], "g0_rule": ["henry"] * 2,
    ...                   "mean": [17.0, 6.5], "lo": [16.0, 6.0], "hi": [18.0, 7.0]})
    >>> fig = learnt_scale_figure(s, {16: {"beta_cd": 3.5, "beta_snr": 4.2, "beta_mem": 11.6}},
    ...                           bayes_curve={16: ([0.1, 0.3], [17.6, 6.8])}, title="t")
    >>> pts = [c for c in fig.axes[0].containers]
    >>> len(pts), sorted(np.round(pts[0].lines[0].get_ydata(), 1).tolist())
    (1, [6.5, 17.0])
    """
    ns = sorted(int(n) for n in summary["n"].unique())
    k = len(ns)
    nrows, ncols = (1, 1) if k == 1 else ((k + 2) // 2, 2)
    fig, axes = figure(nrows, ncols, sharey=True)   # x not shared: a panel above the spare cell keeps its ticks
    flat = _flat(axes)
    ms = sorted(int(m) for m in summary["m"].unique())
    rules = [r for r in RULE_STYLES if r in set(summary["g0_rule"])]
    slots = [(m, r) for m in ms for r in rules]
    eps_values = np.array(sorted(summary["eps"].unique()), float)
    width = 0.4 * (np.diff(eps_values).min() if len(eps_values) > 1 else 0.1)
    for ax, n in zip(flat, ns):
        eps_c, beta_c = bayes_curve[n]
        ax.plot(eps_c, beta_c, **LINE_STYLES["beta_bayes"])
        _hlines(ax, lines[n], keys=("beta_cd", "beta_snr", "beta_mem"))
        ax.axhspan(float(lines[n]["beta_cd"]), float(lines[n]["beta_mem"]), color=OKABE_ITO["grey"], alpha=0.12,
                   lw=0, label="SDM band [β_CD, β_Mem]")
        for j, (m, rule) in enumerate(slots):
            sel = summary[(summary.n == n) & (summary.m == m) & (summary.g0_rule == rule)].sort_values("eps")
            if sel.empty:
                continue
            x = sel["eps"].to_numpy(float) + width * ((j + 0.5) / len(slots) - 0.5)
            y = sel["mean"].to_numpy(float)
            err = np.vstack([y - sel["lo"].to_numpy(float), sel["hi"].to_numpy(float) - y])
            err = np.where(np.isfinite(err), err, 0.0)
            style = RULE_STYLES[rule]
            ax.errorbar(x, y, yerr=err, color=style["color"], marker=style["marker"], linestyle="none",
                        markerfacecolor=style["color"] if m == ms[0] else "white", capsize=2, lw=1.0,
                        label=f"{_RULE_NAMES[rule]}, m = {m}")
        ax.set_yscale("log")
        plain_log_ticks(ax.yaxis)
        ax.set_title(f"head dimension n = {n}")
        ax.set_xticks(eps_values)
        ax.set_xlim(min(eps_values.min(), np.min(eps_c)) - width, max(eps_values.max(), np.max(eps_c)) + width)
    for ax in flat[:k]:
        ax.set_xlabel("query noise ε (flip probability)")
        ax.set_ylabel(value_label)
    if k == 1:
        leg = legend_below(fig, ncols=2)
    else:
        leg = legend_in_spare_panel(fig, flat, k, ncols=1)
        for text in leg.get_texts():
            text.set_fontsize(8.5)
    _outline_band_swatch(leg)
    fig.suptitle(title)
    return fig


#: The band's swatch in a legend: the band's own light fill (alpha 0.12 of grey on white is 240
#: against 255, too faint to find in a legend) inside an outline in the band's grey.
BAND_SWATCH_EDGE = dict(edgecolor=OKABE_ITO["grey"], linewidth=1.0)


def _outline_band_swatch(legend) -> None:
    """Outline the legend's swatch of the SDM band (the band in the panels stays as it is)."""
    from matplotlib.colors import to_rgba
    from matplotlib.patches import Patch

    for handle, text in zip(legend.legend_handles, legend.get_texts()):
        if isinstance(handle, Patch) and text.get_text().startswith("SDM band"):
            fill = to_rgba(handle.get_facecolor(), handle.get_alpha())
            handle.set_alpha(None)          # the alpha would fade the outline too
            handle.set_facecolor(fill)
            handle.set(**BAND_SWATCH_EDGE)


def sweep_figure(sweeps: Mapping[str, object], marks: Mapping[str, Mapping[str, float]], *, title: str):
    """Loss (relative to the Bayes read) and recall of trained heads against a swept β.

    Parameters
    ----------
    sweeps : mapping of str to pandas.DataFrame
        ``{label: table}`` with columns ``beta, mse, recall, recall_se`` (``evaluate_head``) and
        a column ``mse_bayes`` (the Bayes read's loss on the same sequences).
    marks : mapping of str to mapping
        Per label the learnt ``g`` and the Bayes ``beta_bayes`` (vertical marks).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"beta": [1.0, 10.0, 100.0], "mse": [0.9, 0.4, 0.5], "recall": [0.3, 0.8, 0.8],
    ...                   "recall_se": [0.01] * 3, "mse_bayes": [0.38] * 3})
    >>> fig = sweep_figure({"ε = 0.3": t}, {"ε = 0.3": {"g": 9.0, "beta_bayes": 8.0}}, title="t")
    >>> top, bottom = fig.axes[:2]
    >>> np.round(top.get_lines()[0].get_ydata(), 4).tolist(), top.get_xscale()
    ([2.3684, 1.0526, 1.3158], 'log')
    """
    fig, (top, bottom) = figure(2, 1, sharex=True, height=5.4)
    styles = [dict(color=OKABE_ITO[c], marker=mk, linestyle=ls) for c, mk, ls in
              (("blue", "o", "-"), ("vermillion", "s", "--"), ("green", "^", "-."), ("purple", "D", ":"))]
    for i, (label, table) in enumerate(sweeps.items()):
        st = styles[i % len(styles)]
        beta = table["beta"].to_numpy(float)
        top.plot(beta, table["mse"].to_numpy(float) / table["mse_bayes"].to_numpy(float), markevery=6, lw=1.3,
                 label=label, **st)
        rec, se = table["recall"].to_numpy(float), table["recall_se"].to_numpy(float)
        bottom.plot(beta, rec, markevery=6, lw=1.3, label=label, **st)
        bottom.fill_between(beta, rec - 2 * se, rec + 2 * se, color=st["color"], alpha=0.15, lw=0)
        mk = marks[label]
        for ax in (top, bottom):
            ax.axvline(abs(float(mk["g"])), color=st["color"], linestyle=st["linestyle"], lw=0.9)
            ax.plot([float(mk["beta_bayes"])], [1.0], transform=ax.get_xaxis_transform(), marker="*",
                    markersize=9, color=st["color"], clip_on=False, linestyle="none")
    top.set_ylabel("loss / loss of the Bayes read")
    top.set_yscale("log")
    plain_log_ticks(top.yaxis)
    bottom.set_ylabel("recall (fraction of queries)")
    bottom.set_xlabel("β put in place of the learnt g (projections frozen)")
    bottom.set_xscale("log")
    plain_log_ticks(bottom.xaxis)
    legend_below(fig, ncols=3)
    fig.suptitle(title)
    return fig
