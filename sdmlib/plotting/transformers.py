"""Figures of the learnt-projection and Transformer-β chapters.

Recall through a learnt key map ``W_k`` (:func:`recall_panels`, :func:`protocol_figure`,
:func:`finite_r_figure`), its training (:func:`training_loss_figure`,
:func:`beta_trace_figure`, :func:`beta_steps_figure`), and the inverse temperatures of trained attention
(:func:`beta_histogram`, :func:`layer_beta_figure`, :func:`token_beta_figure`,
:func:`value_norm_figure`, :func:`head_class_figure`). Every function takes the numbers a chapter computed and
returns a :class:`matplotlib.figure.Figure` of the book's width (:func:`sdmlib.plotting.figure`);
none computes anything of its own beyond a histogram.

SDM reference βs (β_CD, β_SNR, β_Mem) are drawn as vertical lines whose *line style* names
the radius (:data:`REFERENCE_LINESTYLES`) and whose colour *and* end marker name the set of
lines (:data:`REFERENCE_SET_STYLES`), so that no line is told apart by colour alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from sdmlib.plotting import (ALGORITHM_STYLES, OKABE_ITO, figure, legend_below, plain_log_ticks, power_text,
                             radius_style, series_style)

__all__ = [
    "MODEL_STYLES", "BASELINE_STYLE", "REFERENCE_LINESTYLES", "REFERENCE_SET_STYLES", "HATCHES",
    "training_loss_figure", "beta_trace_figure", "beta_steps_figure", "recall_panels", "protocol_figure",
    "finite_r_figure",
    "beta_histogram", "layer_beta_figure", "token_beta_figure", "value_norm_figure",
    "HEAD_CLASS_STYLES", "head_class_figure",
]

#: Style of each evaluation model of the learnt-projection chapter (names as in
#: ``sdmlib.projection.evaluation_models``), taken from the algorithm it is.
MODEL_STYLES = {
    "binary r=inf": ALGORITHM_STYLES["binary_sdm"],
    "cap r=inf": ALGORITHM_STYLES["continuous_sdm"],
    "softmax-bfit": ALGORITHM_STYLES["softmax"],
    "softmax-cfit": ALGORITHM_STYLES["sdm_attention_continuous"],
    "softmax-learnt": ALGORITHM_STYLES["transformer_attention"],
}

#: The noisy query's own score (the baseline a read must beat): black crosses, no line.
BASELINE_STYLE = dict(color=OKABE_ITO["black"], marker="x", linestyle="none")

#: Line style of each SDM reference β.
REFERENCE_LINESTYLES = {"beta_cd": "--", "beta_snr": "-", "beta_mem": "-."}
_REFERENCE_NAMES = {"beta_cd": "β_CD", "beta_snr": "β_SNR", "beta_mem": "β_Mem"}

#: Colour and end marker of the i-th set of reference lines (e.g. as published, OLS).
REFERENCE_SET_STYLES = (
    dict(color=OKABE_ITO["black"], marker="v"),
    dict(color=OKABE_ITO["vermillion"], marker="o"),
    dict(color=OKABE_ITO["blue"], marker="s"),
)

#: Hatches of the stacked histogram blocks (bars differ in pattern as well as colour).
HATCHES = ("", "//", "..", "xx", "\\\\", "--", "++")
_BAR_COLORS = [OKABE_ITO[c] for c in ("blue", "orange", "green", "purple", "sky_blue", "grey", "vermillion")]


def _grid(nrows: int, ncols: int, **kw):
    """:func:`sdmlib.plotting.figure`, with the axes always as a 2-d array."""
    fig, axes = figure(nrows, ncols, **kw)
    return fig, np.asarray(axes, dtype=object).reshape(nrows, ncols)


def _title(model: str, what: str) -> str:
    return f"{model}: {what}" if model else what


# ---------------------------------------------------------------------------
# Learnt projections
# ---------------------------------------------------------------------------

def training_loss_figure(losses: Mapping[str, Mapping[int, Sequence[float]]], *, title: str = "",
                         ylabel: str = "mean training loss (squared pixels)"):
    """Training loss per epoch, one panel per entry of ``losses`` and one line per radius.

    Parameters
    ----------
    losses : mapping of str to mapping of int to sequence of float
        ``{panel title: {d: loss of epoch 1, 2, ...}}`` (at most two panels).
    title : str
        The figure's title (name the parameters).
    ylabel : str
        Label of the (log) loss axis.

    Examples
    --------
    >>> fig = training_loss_figure({"a": {5: [3.0, 2.0, 1.5], 9: [4.0, 3.0, 2.9]}, "b": {5: [2.0, 1.0, 0.5]}})
    >>> [len(ax.get_lines()) for ax in fig.axes[:2]], np.asarray(fig.axes[0].get_lines()[1].get_ydata()).tolist()
    ([2, 1], [4.0, 3.0, 2.9])
    """
    panels = list(losses.items())
    fig, axes = _grid(1, len(panels), height=3.4, sharey=True)
    for ax, (panel, per_d) in zip(axes[0], panels):
        for d, loss in per_d.items():
            loss = np.asarray(loss, dtype=float)
            ax.plot(np.arange(1, loss.size + 1), loss, **radius_style(d), linestyle="-", label=f"d = {d}")
        ax.set(yscale="log", xlabel="epoch", title=panel)
        plain_log_ticks(ax.yaxis)
    axes[0, 0].set_ylabel(ylabel)
    if title:
        fig.suptitle(title)
    legend_below(fig, ncols=4)
    return fig


def beta_trace_figure(traces: Mapping[int, Sequence[float]], fitted: Mapping[int, float], *, title: str):
    """The learnt β after each epoch (epoch 0: its start), one line per radius, with the fitted β.

    Parameters
    ----------
    traces : mapping of int to sequence of float
        ``{d: [β at the start, after epoch 1, ...]}``.
    fitted : mapping of int to float
        ``{d: the fitted β (BFit)}``, drawn as a dotted horizontal line with the radius's colour
        and hollow marker.
    title : str

    Examples
    --------
    >>> fig = beta_trace_figure({5: [106.0, 107.0], 15: [30.3, 32.7]}, {5: 35.5, 15: 10.1}, title="t")
    >>> ax = fig.axes[0]
    >>> len(ax.get_lines()), np.asarray(ax.get_lines()[1].get_ydata()).tolist()
    (4, [30.3, 32.7])
    """
    fig, ax = figure(height=3.6)
    for d, trace in traces.items():
        trace = np.asarray(trace, dtype=float)
        ax.plot(np.arange(trace.size), trace, **radius_style(d), linestyle="-", label=f"d = {d}, learnt β")
    n_epochs = max(len(t) for t in traces.values()) - 1
    for d in traces:  # BFit: dotted, hollow marker of the radius at both ends
        ax.plot([0, n_epochs], [fitted[d]] * 2, **radius_style(d), linestyle=":", lw=1.2, mfc="white",
                label=f"d = {d}, BFit = {fitted[d]:.1f}")
    ax.set(yscale="log", xlabel="epoch (0: the starting value, 3 × BFit)", ylabel="β (inverse temperature on cosine)",
           title=title)
    plain_log_ticks(ax.yaxis)
    legend_below(fig, ncols=2)
    return fig


def beta_steps_figure(reduced: Mapping[int, Sequence[tuple[Sequence[float], Sequence[float]]]],
                      full: Mapping[int, tuple[float, float, float]], *, lr: float, title: str = "",
                      long: Mapping[int, tuple[Sequence[float], Sequence[float]]] | None = None):
    """How far the learnt β moved from its start, against the Adam step, at two training scales.

    Left panel: the reduced runs (every epoch stored), one line per training seed
    and radius. Right panel: all steps of the full-scale run, whose start and end are
    the only stored values (a dashed segment between them), with the reduced lines
    for scale. Both panels draw the largest move Adam allows, ``lr`` per step
    (dotted grey: ``±lr · step``).

    Parameters
    ----------
    reduced : mapping of int to sequence of (steps, betas)
        ``{d: [(steps, β at those steps) for each seed]}``; ``steps[0] = 0`` is the start.
    full : mapping of int to (β at the start, β at the end, number of steps)
    lr : float
        Adam's learning rate (the bound's slope).
    title : str
    long : mapping of int to (steps, betas), optional
        A reduced-memory run as long as the full-scale one, drawn in the right panel
        as a solid line with hollow markers.

    Examples
    --------
    >>> fig = beta_steps_figure({5: [([0, 40, 80], [106.0, 106.2, 106.4])]}, {5: (106.0, 146.0, 9380)}, lr=0.01)
    >>> left, right = fig.axes[:2]
    >>> np.asarray(left.get_lines()[0].get_ydata()).round(1).tolist(), np.asarray(right.get_lines()[0].get_ydata()).tolist()
    ([0.0, 0.2, 0.4], [0.0, 40.0])
    """
    fig, axes = _grid(1, 2, height=3.6)
    left, right = axes[0]
    n_red = max(float(np.max(st)) for runs in reduced.values() for st, _ in runs)
    n_full = max([float(v[2]) for v in full.values()] + [n_red]
                 + [float(np.max(st)) for st, _ in (long or {}).values()])
    for d, (b0, b1, n) in full.items():
        right.plot([0, n], [0.0, b1 - b0], **radius_style(d), linestyle="--", mfc="white",
                   label=f"d = {d}, full scale (start and end stored)")
    for d, runs in reduced.items():
        for i, (st, b) in enumerate(runs):
            b = np.asarray(b, dtype=float)
            kw = dict(**radius_style(d), linestyle="-", lw=1.0, ms=3.5)
            left.plot(np.asarray(st, dtype=float), b - b[0], **kw, label=f"d = {d}, reduced (each seed)" if i == 0 else None)
            right.plot(np.asarray(st, dtype=float), b - b[0], **{**kw, "marker": None})
    for d, (st, b) in (long or {}).items():
        b = np.asarray(b, dtype=float)
        right.plot(np.asarray(st, dtype=float), b - b[0], **radius_style(d), linestyle="-", mfc="white", ms=4,
                   markevery=max(1, len(b) // 8), label=f"d = {d}, reduced memory, full step count")
    for ax, n in ((left, n_red), (right, n_full)):
        t = np.array([0.0, n])
        ax.plot(t, lr * t, color=OKABE_ITO["grey"], linestyle=":", lw=1.2, label="largest Adam move, ± lr · step")
        ax.plot(t, -lr * t, color=OKABE_ITO["grey"], linestyle=":", lw=1.2)
        ax.axhline(0.0, color=OKABE_ITO["black"], lw=0.6)
        ax.set_xlabel("Adam step")
    left.set(ylabel="β − its start (3 × BFit)", title=f"reduced: {int(n_red)} steps")
    right.set(title=f"full scale: {int(max([float(v[2]) for v in full.values()] or [n_full]))} steps")
    if title:
        fig.suptitle(title)
    legend_below(fig, ncols=2)
    return fig


def _baseline(ax, levels: Sequence[int], n_base: int, label: str = "noisy query (baseline)") -> None:
    levels = np.asarray(levels, dtype=float)
    ax.plot(levels, 1 - 2 * levels / n_base, **BASELINE_STYLE, label=label)


def _error_bars(ax, g, color) -> None:
    """Vertical bars of half-width ``g["half_width"]`` at ``(g["h"], g["mean"])``, if that column exists."""
    if "half_width" in g and len(g) and np.any(np.isfinite(np.asarray(g["half_width"], dtype=float))):
        ax.errorbar(g["h"], g["mean"], yerr=np.asarray(g["half_width"], dtype=float), fmt="none", ecolor=color,
                    elinewidth=1.0, capsize=2.5)


def recall_panels(table, *, betas: Mapping[int, float], title: str, models: Sequence[str] | None = None,
                  levels: Sequence[int] = (0, 50, 100, 150, 200, 250, 300), n_base: int = 784,
                  extra=None, extra_label: str = "", xlabel: str = "perturbation h (pixels of 784)"):
    """Recall against the perturbation, one panel per radius, one line per evaluation model.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``d, model, h, mean`` (``sdmlib.projection.projected_recall``, one protocol).
    betas : mapping of int to float
        ``{d: the fitted β}``, the radii to draw (in this order, wrapped two per row) and
        the β named in each panel's title.
    title : str
        The figure's title (name the parameters).
    models : sequence of str, optional
        The models to draw (default: every model of the table, in its order).
    levels, n_base : the perturbation levels and the image size of the baseline ``1 - 2h/n_base``.
    extra : pandas.DataFrame, optional
        A further curve per radius (columns ``d, h, mean``), drawn as hollow grey circles on
        a dotted line and labelled ``extra_label``.

    A ``half_width`` column in ``table`` (or ``extra``) adds error bars of that half-width
    (e.g. :func:`sdmlib.projection_runs.seed_summary`).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame(dict(d=[5, 5, 9, 9], model=["softmax-bfit"] * 4, h=[0, 100] * 2, mean=[1.0, 0.9, 0.8, 0.7]))
    >>> fig = recall_panels(t, betas={5: 35.5, 9: 20.0}, title="t", levels=(0, 100))
    >>> [len(ax.get_lines()) for ax in fig.axes], np.asarray(fig.axes[1].get_lines()[0].get_ydata()).tolist()
    ([2, 2], [0.8, 0.7])
    """
    radii = list(betas)
    nrows = (len(radii) + 1) // 2
    fig, axes = _grid(nrows, 2 if len(radii) > 1 else 1, height=2.5 * nrows + 0.9, sharex=True, sharey=True)
    names = list(dict.fromkeys(table["model"])) if models is None else list(models)
    for i, (ax, d) in enumerate(zip(axes.flat, radii)):
        sub = table[table["d"] == d]
        for name in names:
            g = sub[sub["model"] == name].sort_values("h")
            if len(g):
                style = MODEL_STYLES.get(name, ALGORITHM_STYLES["exact"])
                ax.plot(g["h"], g["mean"], **style, label=name)
                _error_bars(ax, g, style["color"])
        if extra is not None:
            g = extra[extra["d"] == d].sort_values("h")
            ax.plot(g["h"], g["mean"], color=OKABE_ITO["grey"], marker="o", mfc="none", linestyle=":",
                    label=extra_label)
            _error_bars(ax, g, OKABE_ITO["grey"])
        _baseline(ax, levels, n_base)
        ax.set_title(f"d = {d}, β(BFit) = {betas[d]:.1f}")
        if i % 2 == 0:
            ax.set_ylabel("cosine to the clean image")
        if i >= len(radii) - 2:
            ax.set_xlabel(xlabel)
    for ax in list(axes.flat)[len(radii):]:
        ax.remove()
    fig.suptitle(title)
    legend_below(fig, ncols=2)
    return fig


def protocol_figure(table, *, panels: Sequence[str], radii: Sequence[int], model: str = "softmax-bfit",
                    levels: Sequence[int] = (0, 50, 100, 150, 200, 250, 300), n_base: int = 784,
                    title: str = "", xlabel: str = "perturbation h (pixels of 784)"):
    """Recall of stored images (dotted, hollow markers) against unseen ones (solid), per data set.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``data, protocol, model, d, h, mean``; protocols ``"stored"`` and ``"generalization"``.
    panels : sequence of str
        The data sets, one panel each (at most two).
    radii : sequence of int
        One colour and marker per radius (:func:`sdmlib.plotting.radius_style`).
    model : str
        The evaluation model drawn.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame(dict(data="a", protocol=["stored", "stored", "generalization", "generalization"],
    ...                       model="softmax-bfit", d=5, h=[0, 100, 0, 100], mean=[1.0, 0.9, 0.8, 0.7]))
    >>> fig = protocol_figure(t, panels=["a"], radii=[5], levels=(0, 100))
    >>> [np.asarray(line.get_ydata()).tolist() for line in fig.axes[0].get_lines()[:2]]
    [[1.0, 0.9], [0.8, 0.7]]
    """
    from matplotlib.lines import Line2D

    fig, axes = _grid(1, len(panels), height=3.4, sharey=True)
    protocols = (("stored", dict(linestyle=":", mfc="none")), ("generalization", dict(linestyle="-")))
    for ax, data in zip(axes[0], panels):
        for d in radii:
            for prot, fmt in protocols:
                g = table[(table["data"] == data) & (table["d"] == d) & (table["protocol"] == prot)
                          & (table["model"] == model)].sort_values("h")
                ax.plot(g["h"], g["mean"], **radius_style(d), **fmt, label=f"d = {d}, {prot}")
                _error_bars(ax, g, radius_style(d)["color"])
        _baseline(ax, levels, n_base)
        ax.set(title=f"{data}, {model}", xlabel=xlabel)
    axes[0, 0].set_ylabel("cosine to the clean image")
    handles = [Line2D([], [], linestyle="none", **radius_style(d)) for d in radii]
    labels = [f"d = {d}" for d in radii]
    handles += [Line2D([], [], color="k", linestyle=":", marker="o", mfc="none"), Line2D([], [], color="k", linestyle="-"),
                Line2D([], [], **BASELINE_STYLE)]
    labels += ["stored (dotted)", "unseen (solid)", "noisy query"]
    if title:
        fig.suptitle(title)
    legend_below(fig, handles=handles, labels=labels, ncols=4)
    return fig


def _r_label(r: float) -> str:
    """Legend label of a neuron count: ``r = $10^{6}$``, ``r = ∞`` for every address."""
    return "r = ∞" if np.isinf(r) else f"r = ${power_text(r, digits=3)}$"


def finite_r_figure(table, *, d: int, weightings: Sequence[str] = ("cap", "binary"),
                    levels: Sequence[int] = (0, 50, 100, 150, 200, 250, 300), n_base: int = 784,
                    title: str = "", xlabel: str = "perturbation h (pixels of 784)"):
    """Recall with a finite number of neurons ``r``, one panel per weighting, one line per ``r``.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``weighting, r, h, mean, skipped`` (``r = inf``: one neuron per address).
        A configuration whose rows are all ``skipped`` draws no line; the panel's title names it.
    d : int
        The radius (named in the titles).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame(dict(weighting="cap", r=[1e6, 1e6, 1e20, 1e20], h=[0, 100] * 2,
    ...                       mean=[float("nan"), float("nan"), 1.0, 0.9], skipped=[True, True, False, False]))
    >>> fig = finite_r_figure(t, d=11, weightings=("cap",), levels=(0, 100))
    >>> ax = fig.axes[0]
    >>> len(ax.get_lines()), np.asarray(ax.get_lines()[0].get_ydata()).tolist(), "skipped: r = $10^{6}$" in ax.get_title()
    (2, [1.0, 0.9], True)
    """
    fig, axes = _grid(1, len(weightings), height=3.5, sharey=True)
    r_all = sorted(set(table["r"]))
    for ax, w in zip(axes[0], weightings):
        skipped = []
        for i, r in enumerate(r_all):
            g = table[(table["weighting"] == w) & (table["r"] == r)].sort_values("h")
            if not len(g):
                continue
            if g["skipped"].all():
                skipped.append(_r_label(r)[4:])
                continue
            ax.plot(g["h"], g["mean"], **series_style(i), label=_r_label(r))
            _error_bars(ax, g, series_style(i)["color"])
        _baseline(ax, levels, n_base)
        ax.set(title=f"{w} weights, d = {d}" + (f"\nskipped: r = {', '.join(skipped)}" if skipped else ""),
               xlabel=xlabel)
    axes[0, 0].set_ylabel("cosine to the clean image")
    if title:
        fig.suptitle(title)
    legend_below(fig, ncols=4)
    return fig


# ---------------------------------------------------------------------------
# Inverse temperatures of trained attention
# ---------------------------------------------------------------------------

def _reference_lines(ax, references: Mapping[str, Mapping[str, float]]) -> None:
    """Vertical lines at each set's β_CD, β_SNR, β_Mem: style per β, colour and top marker per set."""
    transform = ax.get_xaxis_transform()
    for i, (name, ref) in enumerate(references.items()):
        set_style = REFERENCE_SET_STYLES[i % len(REFERENCE_SET_STYLES)]
        for key, ls in REFERENCE_LINESTYLES.items():
            x = float(ref[key])
            ax.plot([x, x], [0, 1], transform=transform, linestyle=ls, lw=1.4, markevery=[1], clip_on=False,
                    **set_style, label=f"{_REFERENCE_NAMES[key]} {name} = {x:.1f}")


def beta_histogram(groups: Mapping[str, Sequence[float]], references: Mapping[str, Mapping[str, float]] | None = None,
                   *, bins, xlabel: str, ylabel: str, title: str, stacked: bool = True, density: bool = False,
                   log_x: bool = False, height: float = 4.6, legend_ncols: int = 2):
    """Histogram of inverse temperatures, one block per group, with SDM reference βs as vertical lines.

    Parameters
    ----------
    groups : mapping of str to sequence of float
        ``{legend label: values}``. ``stacked=True`` stacks the groups as hatched bars;
        ``stacked=False`` overlays them as outlines of different line styles.
    references : mapping of str to mapping, optional
        ``{name of the set: {"beta_cd": ..., "beta_snr": ..., "beta_mem": ...}}``: each β is a
        vertical line whose style names the β (:data:`REFERENCE_LINESTYLES`) and whose colour
        and top marker name the set (:data:`REFERENCE_SET_STYLES`).
    bins : int or sequence of float
        Bin edges (or their number) for ``Axes.hist``.
    log_x : bool
        Logarithmic β axis (for values spanning orders of magnitude).

    Examples
    --------
    The bar heights add up to the number of values, and every reference β has its line:

    >>> refs = {"n = 64": {"beta_cd": 10.1, "beta_snr": 15.9, "beta_mem": 35.5}}
    >>> fig = beta_histogram({"a": [11.0, 12.0, 16.0], "b": [20.0]}, refs, bins=[0, 10, 20, 40],
    ...                      xlabel="β", ylabel="count", title="t")
    >>> ax = fig.axes[0]
    >>> int(sum(p.get_height() for p in ax.patches)), sorted(float(line.get_xdata()[0]) for line in ax.get_lines())
    (4, [10.1, 15.9, 35.5])
    """
    fig, ax = figure(height=height)
    labels = list(groups)
    data = [np.asarray(groups[k], dtype=float) for k in labels]
    if stacked:
        _, _, patches = ax.hist(data, bins=bins, stacked=True, density=density, label=labels,
                                color=_BAR_COLORS[:len(data)], edgecolor="white", linewidth=0.4)
        for i, bars in enumerate(patches if len(data) > 1 else [patches]):
            for bar in bars:
                bar.set_hatch(HATCHES[i % len(HATCHES)])
    else:
        for i, (lab, values) in enumerate(zip(labels, data)):
            style = series_style(i)
            ax.hist(values, bins=bins, density=density, histtype="step", color=style["color"],
                    linestyle=style["linestyle"], lw=1.6, label=lab)
    if references:
        _reference_lines(ax, references)
    if log_x:
        ax.set_xscale("log")
        plain_log_ticks(ax.xaxis)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.set_title(title, pad=10)
    legend_below(fig, ncols=legend_ncols)
    return fig


def layer_beta_figure(layer_mean, layer_max, *, n_tokens: Mapping[str, int] | None = None, model: str = ""):
    """β_eff per layer: the mean over heads for every text (left), the maximum over heads and texts (right).

    Parameters
    ----------
    layer_mean : pandas.DataFrame
        One row per text, one column per layer: the mean over heads of β_eff.
    layer_max : pandas.Series
        Indexed by layer: the largest β_eff of the layer (drawn as bars on a log axis).
    n_tokens : mapping of str to int, optional
        Tokens per text, for the legend.
    model : str
        The model's name, for the titles.

    Examples
    --------
    >>> import pandas as pd
    >>> mean = pd.DataFrame([[3.0, 2.0], [4.0, 1.0]], index=["t1", "t2"], columns=[0, 1])
    >>> fig = layer_beta_figure(mean, pd.Series([70.0, 9.0], index=[0, 1]))
    >>> len(fig.axes[0].get_lines()), [float(p.get_height()) for p in fig.axes[1].patches]
    (2, [70.0, 9.0])
    """
    fig, (left, right) = figure(1, 2, height=3.9)
    for i, (text, row) in enumerate(layer_mean.iterrows()):
        label = f"{text} ({n_tokens[text]} tokens)" if n_tokens else str(text)
        left.plot(np.asarray(row.index), row.to_numpy(dtype=float), **series_style(i), label=label)
    left.set(xlabel="layer", ylabel="mean over heads of β_eff", title=_title(model, "layer mean, per text"))
    right.bar(np.asarray(layer_max.index), layer_max.to_numpy(dtype=float), color=OKABE_ITO["purple"])
    right.set(xlabel="layer", ylabel="max over heads and texts of β_eff", yscale="log",
              title=_title(model, "layer maximum"))
    plain_log_ticks(right.yaxis)
    for ax in (left, right):
        ax.set_xticks(np.asarray(layer_max.index))
    legend_below(fig, ncols=2)
    return fig


def token_beta_figure(per_token, counts, edges, *, head_dim: int, n_inputs: int | None = None, model: str = ""):
    """β_eff of every query token, per layer (left), and the histogram of all softmax inputs (right).

    Parameters
    ----------
    per_token : pandas.DataFrame
        Columns ``layer, beta_eff`` (``sdmlib.probe.effective_betas(..., query="all")``).
    counts, edges : array_like
        The histogram of all softmax inputs (``sdmlib.probe.softmax_input_histogram``).
    head_dim : int
        The head dimension (the scale 1/√d_head in the axis label).
    n_inputs : int, optional
        The number of softmax inputs, in and out of the histogram's range (for the title).

    Examples
    --------
    >>> import pandas as pd
    >>> toks = pd.DataFrame(dict(layer=[0, 0, 1], beta_eff=[2.0, 5.0, 9.0]))
    >>> fig = token_beta_figure(toks, [3, 1], [-1.0, 0.0, 1.0], head_dim=32)
    >>> len(fig.axes[0].patches), fig.axes[1].patches[0].get_data()[0].tolist()
    (2, [3.0, 1.0])
    """
    counts = np.asarray(counts, dtype=float)
    fig, (left, right) = figure(1, 2, height=3.6)
    values = per_token["beta_eff"].to_numpy(dtype=float)
    positive = values[values > 0]
    lo = np.log10(positive.min()) if positive.size else -0.5
    bins = np.logspace(min(-0.5, np.floor(lo)), np.log10(max(100.0, values.max())), 60)
    for i, (layer, sub) in enumerate(per_token.groupby("layer")):
        style = series_style(i)
        left.hist(sub["beta_eff"], bins=bins, histtype="step", color=style["color"], linestyle=style["linestyle"],
                  lw=1.4, label=f"layer {layer}")
    left.set(xscale="log", xlabel="β_eff of one query token", ylabel="tokens × heads",
             title=_title(model, "β_eff of every query"))
    plain_log_ticks(left.xaxis, subs=(1.0,))
    right.stairs(counts, edges, fill=True, color=OKABE_ITO["blue"])
    n_inputs = int(counts.sum()) if n_inputs is None else int(n_inputs)
    right.set(yscale="log", xlabel=f"softmax input q·k/√{head_dim}", ylabel="count",
              title=f"all {n_inputs:,} softmax inputs")
    legend_below(fig, ncols=3)
    return fig


def value_norm_figure(sample, strong, *, sample_label: str, strong_label: str, model: str = ""):
    """Attention weight against the value norm (left) and against the weighted norm a·‖v‖ (right).

    Parameters
    ----------
    sample, strong : pandas.DataFrame
        Columns ``attention, v_norm, weighted`` (``sdmlib.probe.value_norms_vs_attention``):
        a uniform sample of query-key pairs (purple circles) and the strongly attended pairs
        (orange triangles).
    sample_label, strong_label : str
        Their legend entries.

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame(dict(attention=[0.1, 0.2], v_norm=[2.0, 3.0], weighted=[0.2, 0.6]))
    >>> b = pd.DataFrame(dict(attention=[0.9], v_norm=[0.5], weighted=[0.45]))
    >>> fig = value_norm_figure(a, b, sample_label="a", strong_label="b")
    >>> fig.axes[0].collections[1].get_offsets().tolist(), fig.axes[1].collections[0].get_offsets().tolist()
    ([[0.9, 0.5]], [[0.1, 0.2], [0.2, 0.6]])
    """
    from matplotlib.lines import Line2D

    fig, (left, right) = figure(1, 2, height=3.6)
    groups = ((sample, dict(color=OKABE_ITO["purple"], marker="o")),
              (strong, dict(color=OKABE_ITO["orange"], marker="^")))
    for df, style in groups:
        left.scatter(df["attention"], df["v_norm"], s=4, alpha=0.35, linewidths=0, **style)
        right.scatter(df["attention"], df["weighted"], s=4, alpha=0.35, linewidths=0, **style)
    left.axhline(1, color="k", linestyle="--", lw=1)
    right.plot([0, 1], [0, 1], color="k", linestyle=":", lw=1)
    left.set(xlabel="attention weight a", ylabel="value norm ‖v‖", title=_title(model, "value norm"))
    right.set(xlabel="attention weight a", ylabel="a · ‖v‖", title=_title(model, "weighted value norm"))
    handles = [Line2D([], [], linestyle="none", markersize=6, **style) for _, style in groups]
    handles += [Line2D([], [], color="k", linestyle="--", lw=1), Line2D([], [], color="k", linestyle=":", lw=1)]
    legend_below(fig, handles=handles, labels=[sample_label, strong_label, "‖v‖ = 1 (left)", "a·‖v‖ = a (right)"], ncols=2)
    return fig


#: Colour and marker of each head class of ``sdmlib.probe.classify_heads`` (never colour alone).
HEAD_CLASS_STYLES = {
    "previous-token": dict(color=OKABE_ITO["vermillion"], marker="^"),
    "self": dict(color=OKABE_ITO["green"], marker="s"),
    "sink": dict(color=OKABE_ITO["sky_blue"], marker="D"),
    "content": dict(color=OKABE_ITO["blue"], marker="o"),
}
_RADIUS_LINESTYLES = {"d_cd": "--", "d_snr": "-", "d_mem": "-."}
_RADIUS_NAMES = {"d_cd": "d*_CD", "d_snr": "d*_SNR", "d_mem": "d*_Mem"}


def head_class_figure(per_head, radius, *, references: Mapping[str, float], model: str = "", jitter_seed: int = 0):
    """Head classes: the paper's β_eff against its content-only version (left), effective SDM radius per layer (right).

    Parameters
    ----------
    per_head : pandas.DataFrame
        One row per head: ``head_class``, ``beta_eff`` (the paper's statistic, e.g. the max over
        texts of the last-token β_eff) and ``beta_content`` (the same max over content keys only).
    radius : pandas.DataFrame
        Columns ``layer, head_class, sdm_radius`` (e.g. one row per text and head: the median
        effective SDM radius over its query tokens).
    references : mapping
        ``d_cd, d_snr, d_mem``: SDM's optimal radii, drawn as horizontal lines.
    model : str
        For the titles.
    jitter_seed : int
        Seed of the horizontal jitter of the right panel's points (display only).

    Examples
    --------
    >>> import pandas as pd
    >>> ph = pd.DataFrame(dict(head_class=["content", "previous-token"], beta_eff=[5.0, 70.0],
    ...                        beta_content=[4.0, 60.0]))
    >>> rad = pd.DataFrame(dict(layer=[0, 0, 1], head_class=["content", "previous-token", "content"],
    ...                         sdm_radius=[9.0, 2.0, 11.0]))
    >>> fig = head_class_figure(ph, rad, references=dict(d_cd=6, d_snr=4, d_mem=2))
    >>> [c.get_offsets().tolist() for c in fig.axes[0].collections]
    [[[70.0, 60.0]], [[5.0, 4.0]]]
    """
    fig, (left, right) = figure(1, 2, height=4.2)
    rng = np.random.default_rng(jitter_seed)
    present = [c for c in HEAD_CLASS_STYLES if (per_head["head_class"].astype(str) == c).any()]
    for cls in present:
        g = per_head[per_head["head_class"].astype(str) == cls]
        left.scatter(g["beta_eff"], g["beta_content"], s=26, edgecolor="white", linewidth=0.4,
                     label=f"{cls} ({len(g)} head{'s' if len(g) != 1 else ''})", **HEAD_CLASS_STYLES[cls])
    both = np.concatenate([per_head["beta_eff"].to_numpy(float), per_head["beta_content"].to_numpy(float)])
    both = both[np.isfinite(both) & (both > 0)]
    lo, hi = both.min() / 1.3, both.max() * 1.3
    left.plot([lo, hi], [lo, hi], color=OKABE_ITO["grey"], lw=1, linestyle=":", label="content β = β_eff")
    left.set(xscale="log", yscale="log", xlim=(lo, hi), ylim=(lo, hi), xlabel="β_eff (all keys; the paper's statistic)",
             ylabel="β_eff over content keys only", title=_title(model, "all keys vs content keys"))
    plain_log_ticks(left.xaxis, subs=(1.0, 2.0, 5.0))
    plain_log_ticks(left.yaxis, subs=(1.0, 2.0, 5.0))
    for cls in HEAD_CLASS_STYLES:
        g = radius[radius["head_class"].astype(str) == cls]
        if len(g):
            x = g["layer"].to_numpy(float) + rng.uniform(-0.28, 0.28, len(g))
            right.scatter(x, g["sdm_radius"], s=10, alpha=0.6, linewidth=0, **HEAD_CLASS_STYLES[cls])
    for key, ls in _RADIUS_LINESTYLES.items():
        right.axhline(float(references[key]), color=OKABE_ITO["black"], linestyle=ls, lw=1.2,
                      label=f"{_RADIUS_NAMES[key]} = {int(references[key])}")
    layers = np.unique(radius["layer"].to_numpy())
    right.set_xticks(layers)
    right.set(xlabel="layer", ylabel="effective SDM radius d (median over queries)",
              title="effective SDM radius, n = d_head")
    legend_below(fig, ncols=3)
    return fig
