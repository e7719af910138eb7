"""Figures of the QK-norm chapter: the learnt scales beside their start and their model's SDM lines.

:func:`null_model_figure` draws, per translation model, every layer's learnt scale :math:`g`,
the start :math:`g_0=\\log_2(L^2-L)` of Henry et al.'s code (the null model "training did not
move g") and the SDM reference βs for that model's own head dimension and sequence length
(top panel), and the shifts :math:`g-g_0` with an interval per model (bottom panel).
The histogram of the 90 scales against the paper's lines is
``sdmlib.plotting.transformers.beta_histogram`` (shared with the effective-β chapter).
Every function takes the numbers the chapter computed (``sdmlib.qknorm``) and returns a
:class:`matplotlib.figure.Figure` of the book's width; none computes anything of its own.

Reference lines keep the conventions of ``sdmlib.plotting.transformers``: the line style
names the β (``REFERENCE_LINESTYLES``), colour and end marker name the set of lines
(``REFERENCE_SET_STYLES``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from sdmlib.plotting import OKABE_ITO, figure, legend_below, plain_log_ticks
from sdmlib.plotting.transformers import REFERENCE_LINESTYLES, REFERENCE_SET_STYLES

__all__ = ["KIND_STYLES", "START_STYLE", "null_model_figure"]

#: Marker, colour and horizontal offset (within a model's slot) of each kind of attention layer.
KIND_STYLES = {
    ("encoder", "self"): dict(marker="^", color=OKABE_ITO["blue"], offset=-0.22, label="encoder self-attention"),
    ("decoder", "self"): dict(marker="X", color=OKABE_ITO["orange"], offset=0.0, label="decoder self-attention"),
    ("decoder", "cross"): dict(marker="P", color=OKABE_ITO["green"], offset=0.22, label="decoder cross-attention"),
}

#: The start g0 (null model): a thick black bar across the model's slot.
START_STYLE = dict(color=OKABE_ITO["black"], linestyle="-", lw=3.2, solid_capstyle="butt")

_NAMES = {"beta_cd": "β_CD", "beta_snr": "β_SNR", "beta_mem": "β_Mem"}


def _points(ax, table, order, value: str, labelled: bool) -> None:
    for (stack, attention), style in KIND_STYLES.items():
        xs, ys = [], []
        for i, model in enumerate(order):
            sub = table[(table["language_pair"] == model) & (table["stack"] == stack) & (table["attention"] == attention)]
            sub = sub.sort_values("layer")
            k = len(sub)
            spread = np.linspace(-0.06, 0.06, k) if k > 1 else np.zeros(k)
            xs.extend(i + style["offset"] + spread)
            ys.extend(sub[value].to_numpy(float))
        ax.plot(xs, ys, linestyle="none", marker=style["marker"], color=style["color"], ms=4.5,
                markeredgecolor="white", markeredgewidth=0.4, label=style["label"] if labelled else "_")


def null_model_figure(table, references: Mapping[str, object], intervals: Mapping[str, Sequence[float]], *,
                      order: Sequence[str], slot_labels: Mapping[str, str] | None = None, title: str = "", xlabel: str = "",
                      ylim: tuple[float, float] = (7.0, 70.0)):
    r"""Learnt scales, their start and their model's SDM lines (top); shifts from the start (bottom).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per layer: ``language_pair, stack, attention, layer, scale, g0`` (from
        ``sdmlib.qknorm.load_qknorm_scales(config=True)``).
    references : mapping of str to pandas.DataFrame
        ``{name of the set: lines}``, each indexed by ``language_pair`` with columns
        ``beta_cd, beta_snr, beta_mem`` (e.g. as published and OLS, for each model's
        ``d_head`` and ``m``); drawn as short horizontal segments across the model's slot.
    intervals : mapping of str to (estimate, low, high)
        Per model, the shift statistic and its interval (``sdmlib.qknorm.bootstrap_ci``), drawn
        as a black diamond with an error bar in the bottom panel.
    order : sequence of str
        The models, left to right.
    slot_labels : mapping of str to str, optional
        Tick label of each model (default its name).
    title, xlabel : str
        Of the figure (top panel) and of the model axis (bottom panel).
    ylim : (float, float)
        Range of the log β axis of the top panel.

    Examples
    --------
    Every scale is a point, every start a bar, and the bottom panel holds the shifts:

    >>> import pandas as pd
    >>> t = pd.DataFrame({"language_pair": ["a", "a", "b"], "stack": ["encoder", "decoder", "decoder"],
    ...                   "attention": ["self", "cross", "self"], "layer": [0, 0, 0],
    ...                   "scale": [13.0, 16.0, 12.0], "g0": [12.3, 12.3, 12.4]})
    >>> refs = {"OLS": pd.DataFrame({"beta_cd": [9.0, 15.0], "beta_snr": [14.0, 25.0],
    ...                             "beta_mem": [28.0, 57.0]}, index=["a", "b"])}
    >>> fig = null_model_figure(t, refs, {"a": (2.0, 0.7, 3.7), "b": (-0.4, -0.4, -0.4)}, order=["a", "b"])
    >>> top, bottom = fig.axes[:2]
    >>> kinds = {s["marker"] for s in KIND_STYLES.values()}
    >>> sorted(float(y) for line in top.get_lines() if line.get_marker() in kinds for y in line.get_ydata())
    [12.0, 13.0, 16.0]
    >>> sorted(round(float(y), 2) for line in bottom.get_lines() if line.get_marker() in kinds
    ...        for y in line.get_ydata())
    [-0.4, 0.7, 3.7]
    """
    import pandas as pd

    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame, got {type(table).__name__}")
    order = list(order)
    missing = [m for m in order if m not in set(table.language_pair)]
    if missing:
        raise ValueError(f"order: models not in the table: {missing}")
    labels = [slot_labels.get(m, m) if slot_labels else m for m in order]
    fig, (top, bottom) = figure(2, 1, height=7.4, sharex=True)
    for i, model in enumerate(order):
        g0 = float(table.loc[table.language_pair == model, "g0"].iloc[0])
        for ax, y in ((top, g0), (bottom, 0.0)):
            ax.plot([i - 0.36, i + 0.36], [y, y], **START_STYLE,
                    label="start g₀ = log₂(L² − L) (null model)" if i == 0 else "_")
        for j, (name, lines) in enumerate(references.items()):
            set_style = REFERENCE_SET_STYLES[j % len(REFERENCE_SET_STYLES)]
            for key, ls in REFERENCE_LINESTYLES.items():
                y = float(lines.loc[model, key])
                top.plot([i - 0.46, i + 0.46], [y, y], linestyle=ls, lw=1.3, markevery=[1], ms=4,
                         **set_style, label=f"{_NAMES[key]} {name}" if i == 0 else "_")
    shifted = table.assign(shift=table["scale"] - table["g0"])
    _points(top, shifted, order, "scale", labelled=True)
    _points(bottom, shifted, order, "shift", labelled=False)
    est = np.array([intervals[m][0] for m in order], dtype=float)
    lo = np.array([intervals[m][1] for m in order], dtype=float)
    hi = np.array([intervals[m][2] for m in order], dtype=float)
    x = np.arange(len(order)) + 0.40
    bottom.errorbar(x, est, yerr=[est - lo, hi - est], fmt="D", color=OKABE_ITO["black"], ms=5, capsize=3,
                    lw=1.2, label="median shift, 95 % bootstrap interval over layers")
    top.set_yscale("log")
    top.set_ylim(*ylim)
    plain_log_ticks(top.yaxis)
    top.set_ylabel("learnt scale g = β on cosine")
    bottom.set_ylabel("shift g − g₀")
    bottom.set_xticks(range(len(order)), labels)
    bottom.set_xlabel(xlabel)
    bottom.set_xlim(-0.6, len(order) - 0.4)
    bottom.grid(axis="y", alpha=0.3)
    top.set_title(title, pad=8)
    legend_below(fig, ncols=2)
    return fig
