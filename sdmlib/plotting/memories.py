"""Figures of the chapter *Associative memories side by side*.

Every function takes computed data (a `sdmlib.experiments.summarize_recall` table, or
per-query arrays) and returns a :class:`matplotlib.figure.Figure` of the book's policy width;
none calls ``pyplot``. Models keep their styles of `sdmlib.plotting.recall.MODEL_STYLES`,
radii theirs of `sdmlib.plotting.radius_style`.

Examples
--------
>>> import numpy as np
>>> fig = tv_figure({11: np.array([0.01, 0.02, 0.03])}, {11: (1.0, 0.0)}, {11: (1.0, 0.0)}, n=64, m=3, h=8)
>>> len(fig.axes)
2
"""

from __future__ import annotations

import numpy as np

from . import OKABE_ITO, figure, plain_log_ticks, radius_style
from .recall import BASELINE_STYLE, model_style

__all__ = ["tv_figure", "load_figure", "sweep_errorbar_figure"]


def tv_figure(tv: dict, guaranteed: dict, equal: dict, *, n: int, m: int, h: int):
    """Total variation between SDM and softmax read weights, and the bits it pins down, per radius.

    Parameters
    ----------
    tv : dict of int to array_like
        ``{d: one total variation per query}``.
    guaranteed, equal : dict of int to (float, float)
        ``{d: (fraction of bits, its standard error)}``: bits whose SDM vote margin exceeds
        twice the total variation (so they must agree), and bits that do agree.
    n, m, h : int
        Dimension, stored patterns and flipped bits (for the titles).

    Returns
    -------
    matplotlib.figure.Figure
        Left: the empirical distribution function of the total variation, one step curve
        per radius (log axis). Right: the two fractions per radius, ± one standard error,
        guaranteed with open markers, equal with filled ones.

    Examples
    --------
    >>> import numpy as np
    >>> fig = tv_figure({11: np.array([0.02, 0.01]), 19: np.array([0.3, 0.4])},
    ...                 {11: (1.0, 0.0), 19: (0.03, 0.01)}, {11: (1.0, 0.0), 19: (0.99, 0.001)}, n=64, m=2, h=8)
    >>> left, right = fig.axes
    >>> [line.get_xdata().tolist() for line in left.get_lines()]
    [[0.01, 0.02], [0.3, 0.4]]
    >>> [line.get_ydata().tolist() for line in left.get_lines()]
    [[0.5, 1.0], [0.5, 1.0]]
    >>> [c.lines[0].get_ydata().tolist() for c in right.containers]
    [[1.0, 0.03], [1.0, 0.99]]
    """
    radii = sorted(tv)
    fig, (left, right) = figure(1, 2, height=3.4)
    for d in radii:
        x = np.sort(np.asarray(tv[d], dtype=float))
        style = radius_style(d)
        left.step(x, np.arange(1, x.size + 1) / x.size, where="post", color=style["color"], label=f"d = {d}",
                  linestyle=["-", "--", "-.", ":"][radii.index(d) % 4])
    left.set_xscale("log")
    plain_log_ticks(left.xaxis)
    left.set(xlabel="total variation TV(w, w') per query", ylabel="fraction of queries",
             title=f"n = {n}, m = {m}, h = {h}, r = $2^{{{n}}}$")
    left.legend(loc="center", bbox_to_anchor=(0.6, 0.5))   # between d = 27 and d = 15
    pos = np.arange(len(radii))
    for k, (name, data, face) in enumerate((("guaranteed by |s| > 2 TV", guaranteed, "white"),
                                             ("equal", equal, None))):
        y = np.array([data[d][0] for d in radii])
        e = np.array([data[d][1] for d in radii])
        right.errorbar(pos + 0.08 * (2 * k - 1), y, yerr=e, ls="none", marker="os"[k], markersize=6, capsize=3,
                       color=OKABE_ITO["black"] if k else OKABE_ITO["vermillion"],
                       markerfacecolor=face, label=name)
    right.set_xticks(pos, [f"d = {d}" for d in radii])
    right.set(ylim=(-0.04, 1.04), ylabel="fraction of bits", title="bits of one read: SDM vs attention")
    right.legend(loc="lower left")
    return fig


def load_figure(summary, *, n: int, capacities: dict, paper_m: int, one_read=None, labels: dict | None = None):
    """Recall against the number of stored patterns, one panel per perturbation ``h``.

    Parameters
    ----------
    summary : pandas.DataFrame
        A `sdmlib.experiments.summarize_recall` table with a column ``m`` (columns
        ``model, m, h, mean, sem``).
    n : int
        Dimension (for the titles).
    capacities : dict of str to float
        ``{label: number of patterns}`` drawn as vertical dashed lines (capacity estimates).
    paper_m : int
        The paper's load, a vertical dotted line.
    one_read : (array_like, array_like), optional
        ``(m, recall)`` of a prediction drawn as a thin line in the ``h = 0`` panel.
    labels : dict of str to str, optional
        Legend label of each model (default: the model names).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per ``h`` (log-2 axis of ``m``), one error-bar curve per model
        (± one standard error), the vertical lines, the legend below.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame([dict(model=mod, m=m, h=h, mean=v, sem=0.01) for mod, v in (("hopfield", 0.5),
    ...                   ("pattern_sdm", 1.0)) for m in (2, 4) for h in (0, 8)])
    >>> fig = load_figure(s, n=64, capacities={"0.138 n": 8.8}, paper_m=256)
    >>> [[c.lines[0].get_ydata().tolist() for c in ax.containers] for ax in fig.axes]
    [[[0.5, 0.5], [1.0, 1.0]], [[0.5, 0.5], [1.0, 1.0]]]
    """
    levels = sorted(summary["h"].unique())
    models = list(dict.fromkeys(summary["model"]))
    fig, axes = figure(1, len(levels), height=3.9, sharey=True)
    axes = np.atleast_1d(axes)
    handles = {}
    for ax, h in zip(axes, levels):
        for k, model in enumerate(models):
            sub = summary[(summary["model"] == model) & (summary["h"] == h)].sort_values("m")
            x = sub["m"].to_numpy(dtype=float) * 2 ** (0.04 * (k - (len(models) - 1) / 2))
            label = (labels or {}).get(model, model)
            handles[label] = ax.errorbar(x, sub["mean"].to_numpy(dtype=float), yerr=sub["sem"].to_numpy(dtype=float),
                                         capsize=2, label=label,
                                         **model_style(model))
        for j, (label, value) in enumerate(capacities.items()):
            handles[label] = ax.axvline(value, color=OKABE_ITO["blue"], linewidth=1.1,
                                        linestyle=["--", "-."][j % 2], label=label)
        handles[f"paper's load m = {paper_m}"] = ax.axvline(paper_m, label=f"paper's load m = {paper_m}",
                                                            **BASELINE_STYLE)
        if one_read is not None and h == 0:
            (handles["Hopfield, one read of a stored pattern (exact)"],) = ax.plot(
                *one_read, color=OKABE_ITO["grey"], linewidth=1.0, linestyle="-",
                label="Hopfield, one read of a stored pattern (exact)")
        ax.set_xscale("log", base=2)
        ax.set(xlabel="stored patterns m (log scale)", title=f"n = {n}, h = {h}")
    axes[0].set_ylabel("recall (Hamming cosine)")
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncols=2)
    return fig


def sweep_errorbar_figure(summary, labels: dict, *, n: int, m: int, radii=(11, 19)):
    """Recall of every model on one noise sweep, ± one standard error over seeds.

    Parameters
    ----------
    summary : pandas.DataFrame
        A `sdmlib.experiments.summarize_recall` table (``model, space, d, h, mean, sem``).
        Models without a radius (``d`` NA) are drawn in every row.
    labels : dict of str to str
        ``{model: legend label}``, in legend order; the models to draw.
    n, m : int
        Dimension and stored patterns (titles and baseline ``1 - 2h/n``).
    radii : sequence of int
        One row of panels per radius.

    Returns
    -------
    matplotlib.figure.Figure
        Rows: radii; columns: binary and continuous memories. In each panel one error-bar
        curve per model present, then the baseline; one legend below.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = [dict(model="pattern_sdm", space="binary", d=d, h=h, mean=1.0, sem=0.0) for d in (11, 19)
    ...         for h in (0, 8)] + [dict(model="hopfield", space="binary", d=pd.NA, h=h, mean=0.3, sem=0.01)
    ...         for h in (0, 8)]
    >>> s = pd.DataFrame(rows).astype({"d": "Int64"})
    >>> fig = sweep_errorbar_figure(s, {"pattern_sdm": "SDM", "hopfield": "Hopfield"}, n=64, m=256)
    >>> [len(ax.containers) for ax in fig.axes]
    [2, 0, 2, 0]
    """
    radii = list(radii)
    fig, axes = figure(len(radii), 2, height=2.3 * len(radii) + 0.32 * (len(labels) + 1) / 2 + 0.5,
                       sharex=True, sharey=True)
    axes = np.asarray(axes).reshape(len(radii), 2)
    levels = np.sort(summary["h"].unique())
    step = float(np.min(np.diff(levels))) if len(levels) > 1 else 1.0
    shift = {model: 0.05 * step * (k - (len(labels) - 1) / 2) for k, model in enumerate(labels)}
    handles = {}
    for row, d in enumerate(radii):
        for col, space in enumerate(("binary", "continuous")):
            ax = axes[row, col]
            for model, label in labels.items():
                sub = summary[(summary["model"] == model) & (summary["space"] == space)
                              & ((summary["d"] == d).fillna(False) | summary["d"].isna())].sort_values("h")
                if len(sub):
                    handles[label] = ax.errorbar(sub["h"].to_numpy(dtype=float) + shift[model],
                                                 sub["mean"].to_numpy(dtype=float),
                                                 yerr=sub["sem"].to_numpy(dtype=float),
                                                 capsize=2, label=label, **model_style(model))
            (handles["noisy query (baseline)"],) = ax.plot(levels, 1 - 2 * levels / n, label="noisy query (baseline)",
                                                           **BASELINE_STYLE)
            ax.set_title(f"{space}, d = {d}")
            if row == len(radii) - 1:
                ax.set_xlabel("perturbation h (flipped bits)")
        axes[row, 0].set_ylabel("recall (cosine)")
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncols=2)
    fig.suptitle(f"n = {n}, m = {m}: mean over seeds ± one standard error")
    return fig
