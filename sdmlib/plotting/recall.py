"""Figures of recall: how well each memory cleans up a noisy query, and what a read costs.

Used by the chapters *Associative memories side by side*, *Retrieval experiments* and
*How fast can a neuron-based SDM read?*. Every function takes computed data (a summary
table of `sdmlib.experiments.summarize_recall`, a sweep, a benchmark table) and returns
a :class:`matplotlib.figure.Figure` of the book's policy width (`sdmlib.plotting.figure`);
none calls ``pyplot``.

Each memory model has one style, the same in every chapter (:data:`MODEL_STYLES`):
colour, marker *and* line style, so that no legend relies on colour alone. The models of
`sdmlib.plotting.ALGORITHM_STYLES` keep theirs; the recall-table models that it does not
name get their own combination.

Examples
--------
Every model of the recall tables has a style, and no two share one:

>>> from sdmlib.experiments import RECALL_MODEL_DESCRIPTIONS
>>> all(name in MODEL_STYLES for name in RECALL_MODEL_DESCRIPTIONS)
True
>>> combos = [(s["color"], s["marker"], str(s["linestyle"])) for s in MODEL_STYLES.values()]
>>> len(set(combos)) == len(combos) - 1   # sdm_attention_continuous is sdm_attention_bfit
True
"""

from __future__ import annotations

import numpy as np

from . import ALGORITHM_STYLES, OKABE_ITO, figure, legend_below, power_text, series_style

__all__ = ["MODEL_STYLES", "RULE_STYLES", "model_style", "recall_figure", "rule_comparison_figure",
           "repeated_reads_figure", "sweep_figure",
           "scan_timing_figure", "BASELINE_STYLE"]

#: One style per memory model (the labels of `sdmlib.experiments.RECALL_MODELS`), the
#: same in every chapter. Within each protocol (E1: nine models) the colours differ
#: except for one pair that differs in marker and line instead.
MODEL_STYLES: dict[str, dict] = {
    "neuron_sdm": ALGORITHM_STYLES["neuron_sdm"],
    "pattern_sdm": ALGORITHM_STYLES["pattern_sdm"],
    "pattern_sdm_finite": ALGORITHM_STYLES["pattern_sdm_finite"],
    "sdm_attention_binary": ALGORITHM_STYLES["sdm_attention_binary"],
    "continuous_sdm": ALGORITHM_STYLES["continuous_sdm"],
    "continuous_sdm_finite": dict(color=OKABE_ITO["sky_blue"], marker="<", linestyle=":"),
    "continuous_binary_sdm": dict(color=OKABE_ITO["black"], marker="p", linestyle="--"),
    "sdm_attention_bfit": ALGORITHM_STYLES["sdm_attention_continuous"],
    "sdm_attention_continuous": ALGORITHM_STYLES["sdm_attention_continuous"],
    "sdm_attention_cfit": dict(color=OKABE_ITO["grey"], marker=">", linestyle="--"),
    "transformer_attention": ALGORITHM_STYLES["transformer_attention"],
    "hopfield": ALGORITHM_STYLES["hopfield"],
}

#: How `rule_comparison_figure` tells its rules apart (the model keeps its colour and marker).
RULE_STYLES: tuple[dict, ...] = (
    dict(linestyle="-"),
    dict(linestyle="--", markerfacecolor="white"),
    dict(linestyle=":", fillstyle="left"),
)

#: The unprocessed noisy query (recall 1 - 2h/n): a thin black dotted line, no markers.
BASELINE_STYLE = dict(color=OKABE_ITO["black"], linestyle=":", linewidth=1.2, marker="")


def model_style(name: str) -> dict:
    """The style of model ``name`` (:data:`MODEL_STYLES`), for ``ax.plot(..., **style)``.

    A name that is not a standard model gets a style from `sdmlib.plotting.series_style`.

    >>> model_style("hopfield")["marker"], model_style("pattern_sdm")["linestyle"]
    ('*', '--')
    """
    return dict(MODEL_STYLES[name]) if name in MODEL_STYLES else series_style(abs(hash(name)) % 63)


def _power_text(r) -> str:
    """``2**64 -> '$2^{64}$'``, ``10**6 -> '$10^{6}$'``; ``None`` (a neuron at every address) in words."""
    return "every address" if r is None else f"${power_text(r)}$"


def _curve(ax, sub, style, label, shift=0.0, **kw):
    sub = sub.sort_values("h")
    return ax.errorbar(sub["h"].to_numpy() + shift, sub["mean"].to_numpy(), yerr=sub["sem"].to_numpy(), capsize=2,
                       label=label, **{**style, **kw})


def recall_figure(summary, protocol, models=None, title: str = "", dodge: float = 0.04):
    """One panel per radius: mean recall ± one standard error over data sets, against ``h``.

    Parameters
    ----------
    summary : pandas.DataFrame
        A `sdmlib.experiments.summarize_recall` table (columns ``model, d, h, mean, sem,
        baseline``). Models without a radius (``d`` is NaN: Hopfield, Transformer
        attention) are drawn in every panel.
    protocol : sdmlib.experiments.RecallProtocol
        Gives the radii (`sdmlib.experiments.recall_protocol_radii`), their space
        fractions, ``n``, ``m`` and ``r`` for the titles.
    models : sequence of str, optional
        The models to draw, in legend order (default: ``protocol.models``).
    title : str
        Appended to the figure's title (the scale, the rule, ...).
    dodge : float
        Horizontal offset between neighbouring models' points, as a fraction of the
        spacing of the ``h`` levels, so that equal values stay visible (0: none).

    Returns
    -------
    matplotlib.figure.Figure
        Two panels per row (three rows for six radii), the legend below them. Each
        panel holds one error-bar curve per model (at ``h`` plus its small offset),
        then the baseline ``1 - 2h/n``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sdmlib.experiments import recall_protocol
    >>> p = recall_protocol("E3", "reduced")
    >>> s = pd.DataFrame([dict(model=mod, d=d, h=h, mean=1 - h / 64, sem=0.01, baseline=1 - 2 * h / 64)
    ...                   for mod in p.models for d in (5, 9, 11, 15, 19, 27) for h in (0, 6, 12)])
    >>> fig = recall_figure(s, p)
    >>> len(fig.axes), [len(ax.containers) for ax in fig.axes][:2]
    (6, [2, 2])
    >>> line = fig.axes[0].containers[0].lines[0]
    >>> line.get_ydata().tolist(), line.get_xdata().tolist()
    ([1.0, 0.90625, 0.8125], [-0.12, 5.88, 11.88])
    """
    from sdmlib.experiments import recall_protocol_radii

    radii = list(recall_protocol_radii(protocol))
    frac = dict(zip(radii, protocol.fractions))
    models = list(models or protocol.models)
    nrows = -(-len(radii) // 2)
    fig, axes = figure(nrows, 2, height=2.05 * nrows + 0.35 * (len(models) + 2) / 2 + 0.6,
                       sharex=True, sharey=True)
    axes = np.asarray(axes).reshape(nrows, 2)
    levels = np.unique(summary["h"].to_numpy())
    step = float(np.min(np.diff(levels))) if len(levels) > 1 else 1.0
    shifts = {model: dodge * step * (i - (len(models) - 1) / 2) for i, model in enumerate(models)}
    handles = {}
    for k, (ax, d) in enumerate(zip(axes.flat, radii)):
        for model in models:
            sub = summary[(summary["model"] == model) & ((summary["d"] == d) | summary["d"].isna())]
            if len(sub):
                handles[model] = _curve(ax, sub, model_style(model), model, shifts[model])
        base = summary.drop_duplicates("h").sort_values("h")
        (handles["noisy query (baseline)"],) = ax.plot(base["h"], base["baseline"], label="noisy query (baseline)",
                                                       **BASELINE_STYLE)
        ax.set_title(f"d = {d}" + (f" (p = {frac[d]:g})" if d in frac else ""))
        if k + 2 >= len(radii):  # the lowest panel of its column
            ax.set_xlabel("perturbation h (Hamming units)")
            ax.xaxis.set_tick_params(labelbottom=True)
    for ax in axes.flat[len(radii):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("recall (cosine)")
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncols=2)
    head = f"{protocol.name}, {protocol.title}: n = {protocol.n}, m = {protocol.m}, r = {_power_text(protocol.r)}"
    fig.suptitle(head + (f"\n{title}" if title else ""))
    return fig


def rule_comparison_figure(summaries: dict, models, radii, protocol):
    """Recall of a few models under two (or more) convergence rules, one panel per radius.

    Parameters
    ----------
    summaries : dict of str to pandas.DataFrame
        ``{rule label: summarize_recall table}``, at most three; the first rule is drawn
        with filled markers and solid lines, the second with open markers and dashed lines,
        the third with half-filled markers and dotted lines (:data:`RULE_STYLES`).
    models : sequence of str
    radii : sequence of int
        One to four (one panel each, two panels per row).
    protocol : sdmlib.experiments.RecallProtocol
        For the title (``n``, ``m``).

    Returns
    -------
    matplotlib.figure.Figure
        ``len(radii)`` panels, two per row; in each, one curve per model and rule, then
        the baseline; the legend below.

    Examples
    --------
    >>> import pandas as pd
    >>> from sdmlib.experiments import recall_protocol
    >>> p = recall_protocol("E4", "reduced")
    >>> rows = lambda v: pd.DataFrame([dict(model="continuous_sdm", d=d, h=h, mean=v, sem=0.0, baseline=1 - h / 392)
    ...                                for d in (3, 7) for h in (0, 100)])
    >>> fig = rule_comparison_figure({"0.05 rule": rows(0.9), "per query": rows(0.8)}, ["continuous_sdm"], [3, 7], p)
    >>> [[float(c.lines[0].get_ydata()[0]) for c in ax.containers] for ax in fig.axes]
    [[0.9, 0.8], [0.9, 0.8]]
    """
    radii = list(radii)
    if not 1 <= len(radii) <= 4:
        raise ValueError(f"one to four radii, got {radii!r}")
    if not 1 <= len(summaries) <= len(RULE_STYLES):
        raise ValueError(f"one to {len(RULE_STYLES)} rules, got {len(summaries)}")
    n_entries = len(models) * len(summaries) + 1
    nrows, ncols = -(-len(radii) // 2), min(2, len(radii))
    fig, axes = figure(nrows, ncols, height=2.6 * nrows + 0.4 + 0.3 * n_entries / 2 + 0.3, sharey=True)
    axes = np.asarray(axes).reshape(nrows, ncols)
    for ax in axes.flat[len(radii):]:
        ax.set_visible(False)
    from sdmlib.experiments import recall_protocol_radii

    frac = dict(zip(recall_protocol_radii(protocol), protocol.fractions))
    handles = {}
    for ax, d in zip(axes.flat, radii):
        for model in models:
            for k, (rule, s) in enumerate(summaries.items()):
                style = {**model_style(model), **RULE_STYLES[k]}
                sub = s[(s["model"] == model) & (s["d"] == d)]
                handles[f"{model}, {rule}"] = _curve(ax, sub, style, f"{model}, {rule}")
        base = sub.sort_values("h")
        (handles["noisy query (baseline)"],) = ax.plot(base["h"], base["baseline"], label="noisy query (baseline)",
                                                       **BASELINE_STYLE)
        ax.set(title=f"d = {d}" + (f" (p = {frac[d]:g})" if d in frac else ""), xlabel="perturbation h (Hamming units)")
    for ax in axes[:, 0]:
        ax.set_ylabel("recall (cosine with target)")
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncols=2)
    fig.suptitle(f"{protocol.name} {protocol.title}, n = {protocol.n}, m = {protocol.m}: "
                 f"{len(summaries)} update rules")
    return fig


#: Series of `repeated_reads_figure`: column, label, style.
_READ_SERIES = (
    ("recalled", "still equal to its target", dict(color=OKABE_ITO["blue"], linestyle="-", marker="o")),
    ("zero", "collapsed to the all-zero vector", dict(color=OKABE_ITO["vermillion"], linestyle="--", marker="s")),
    ("other", "another vector", dict(color=OKABE_ITO["grey"], linestyle=":", marker="^")),
    ("mean", "mean recall (1 − 2 d_H / n)", dict(color=OKABE_ITO["black"], linestyle="-.", marker="")),
)


def repeated_reads_figure(reads, title: str = ""):
    """What repeated reads do to a batch: fractions of queries and mean recall against the read.

    Parameters
    ----------
    reads : pandas.DataFrame
        A `sdmlib.recall_analysis.repeated_reads` table (columns ``read, recalled, zero,
        other, mean``).
    title : str
        The figure's title.

    Returns
    -------
    matplotlib.figure.Figure
        One panel, logarithmic read axis; four lines (recalled,
        all-zero, other, mean recall), markers thinned to about 12 per line.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame(dict(read=[1, 2, 3], recalled=[1.0, 0.9, 0.8], zero=[0.0, 0.05, 0.1],
    ...                       other=[0.0, 0.05, 0.1], mean=[1.0, 0.9, 0.8]))
    >>> fig = repeated_reads_figure(t)
    >>> [line.get_ydata().tolist() for line in fig.axes[0].lines][1]
    [0.0, 0.05, 0.1]
    """
    missing = [c for c in ("read",) + tuple(c for c, _, _ in _READ_SERIES) if c not in reads.columns]
    if missing:
        raise ValueError(f"reads lacks the columns {missing} of a repeated_reads table")
    fig, ax = figure(1, 1, height=3.6)
    x = reads["read"].to_numpy()
    every = max(1, len(x) // 12)
    for col, label, style in _READ_SERIES:
        ax.plot(x, reads[col].to_numpy(), label=label, markevery=every, **style)
    ax.set(xscale="log", xlabel="reads of each query", ylabel="fraction of queries / recall", ylim=(-0.03, 1.03))
    ax.legend(loc="center left", fontsize="small")
    if title:
        ax.set_title(title)
    return fig


def sweep_figure(levels, sweep: dict, panels: dict, n: int, m: int):
    """Recall of every model on one noise sweep: a panel of binary and one of continuous memories.

    Parameters
    ----------
    levels : array_like of int
        Perturbations ``h`` (flipped bits; continuous queries get cosine ``1 - 2h/n``).
    sweep : dict of str to sequence of float
        Mean recall of each model at each level (its key picks its :data:`MODEL_STYLES`).
    panels : dict of str to dict of str to str
        ``{panel title: {model key: legend label}}``, at most two panels.
    n, m : int
        Dimension and number of stored patterns (for the titles and the baseline).

    Returns
    -------
    matplotlib.figure.Figure
        Panels side by side with a shared recall axis, one line per model and the
        baseline in each; one legend below both.

    Examples
    --------
    >>> import numpy as np
    >>> levels = np.array([0, 8, 16])
    >>> fig = sweep_figure(levels, {"pattern_sdm": [1.0, 1.0, 0.9], "hopfield": [0.3, 0.2, 0.1]},
    ...                    {"binary": {"pattern_sdm": "PatternSDM", "hopfield": "Hopfield"}}, n=64, m=256)
    >>> [np.asarray(line.get_ydata()).tolist() for line in fig.axes[0].get_lines()]
    [[1.0, 1.0, 0.9], [0.3, 0.2, 0.1], [1.0, 0.75, 0.5]]
    """
    levels = np.asarray(levels)
    if not 1 <= len(panels) <= 2:
        raise ValueError(f"one or two panels, got {len(panels)}")
    n_entries = sum(len(v) for v in panels.values()) + 1
    fig, axes = figure(1, len(panels), height=3.0 + 0.3 * n_entries / 2 + 0.3, sharey=True)
    axes = np.asarray(axes).reshape(1, len(panels))
    handles = {}
    for ax, (kind, models) in zip(axes[0], panels.items()):
        for key, label in models.items():
            (handles[label],) = ax.plot(levels, np.asarray(sweep[key], dtype=float), label=label, **model_style(key))
        (handles["noisy query (baseline)"],) = ax.plot(levels, 1 - 2 * levels / n, label="noisy query (baseline)",
                                                       **BASELINE_STYLE)
        ax.set(xlabel="perturbation h (flipped bits)", title=f"{kind}: n = {n}, m = {m}")
    for ax in axes[:, 0]:
        ax.set_ylabel("recall (cosine with target)")
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncols=2)
    return fig


#: Methods of `sdmlib.memories.benchmark.benchmark_scan`, fastest expected first.
SCAN_METHODS = ("numba", "NeuronSDM.read", "numba, batch 64", "numba x2", "faiss", "numpy", "dense cdist (original)")


def scan_timing_figure(table):
    """Time per read of every scan method, in multiples of the streaming floor, per run.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows of `sdmlib.memories.benchmark.benchmark_scan` for one or more ``(n, r)``
        (columns ``method, n, r, d, seconds``), including the ``"floor"`` rows.

    Returns
    -------
    matplotlib.figure.Figure
        One panel: a row per method, a marker per run at ``seconds / floor`` (log
        axis), and a dashed line at 1 (the floor).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame(dict(method=["floor", "numba", "numpy", "floor", "numba"], n=[64, 64, 64, 1024, 1024],
    ...                       r=[10**6] * 5, d=[20, 20, 20, 480, 480], seconds=[1.0, 1.5, 8.0, 2.0, 2.2]))
    >>> fig = scan_timing_figure(t)
    >>> [line.get_xdata().tolist() for line in fig.axes[0].get_lines()[1:]]
    [[1.5, 8.0], [1.1]]
    """
    runs = list(dict.fromkeys(zip(table["n"], table["r"])))
    present = [mth for mth in SCAN_METHODS if mth in set(table["method"])]
    fig, ax = figure(1, 1, height=2.0 + 0.3 * len(present))
    ax.axvline(1.0, label="streaming floor", **{**BASELINE_STYLE, "linestyle": "--"})
    ypos = {mth: i for i, mth in enumerate(present)}
    for k, (n, r) in enumerate(runs):
        sub = table[(table["n"] == n) & (table["r"] == r)].set_index("method")
        floor = float(sub.loc["floor", "seconds"])
        rows = [mth for mth in present if mth in sub.index]
        style = series_style(k)
        ax.plot(sub.loc[rows, "seconds"].to_numpy() / floor, [ypos[mth] + 0.12 * (k - 1) for mth in rows],
                ls="none", marker=style["marker"], color=style["color"], markersize=6,
                label=f"n = {n}, r = {_power_text(r)}, d = {int(sub['d'].iloc[0])}")
    ax.set_yticks(range(len(present)), present)
    ax.set_ylim(len(present) - 0.5, -0.5)
    ax.set_xscale("log")
    ax.set_xlabel("time per read ÷ streaming floor (log scale)")
    ax.grid(axis="y", alpha=0.0)
    fig.legend(loc="outside lower center", ncols=2)
    ax.set_title("one query per read, one CPU thread unless stated")
    return fig


def scale_comparison_figure(comparisons: dict, bound: float):
    """Reduced minus full-scale recall, one panel per protocol, with the combined error bars.

    Parameters
    ----------
    comparisons : dict of str to pandas.DataFrame
        ``protocol -> `sdmlib.reproduce.stored.compare_scales` table`` (columns ``model,
        full, difference, z_diff, interval``), at most four protocols.
    bound : float
        The agreement bound on ``|z_diff|`` (``> 0``); points beyond it are drawn
        with a heavy black edge.

    Returns
    -------
    matplotlib.figure.Figure
        Rows of two panels; in each, one marker per (model, d, h) at x = full-scale
        recall, y = difference, with the ±``interval`` bar; a zero line; one legend
        of models below.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame(dict(model=["hopfield", "pattern_sdm"], full=[0.3, 1.0], difference=[0.01, 0.0],
    ...                       z_diff=[0.5, 0.0], interval=[0.02, 0.001]))
    >>> fig = scale_comparison_figure({"E1": t}, bound=3.0)
    >>> len(fig.axes), fig.axes[0].get_title()
    (1, 'E1')
    """
    if not comparisons or len(comparisons) > 4:
        raise ValueError(f"comparisons must hold 1 to 4 protocols, got {len(comparisons)}")
    if not bound > 0:
        raise ValueError(f"bound must be > 0, got {bound}")
    names = list(comparisons)
    ncols = 1 if len(names) == 1 else 2
    nrows = (len(names) + ncols - 1) // ncols
    fig, axes = figure(nrows, ncols, height=3.1 * nrows + 0.9)
    axes = np.atleast_1d(axes)
    for ax in axes.ravel()[len(names):]:
        ax.set_visible(False)
    for ax, name in zip(axes.ravel(), names):
        t = comparisons[name]
        for model, sub in t.groupby("model", sort=False):
            style = model_style(model)
            ax.errorbar(sub["full"], sub["difference"], yerr=sub["interval"], ls="none", capsize=1.5, ms=4,
                        elinewidth=0.8, alpha=0.85, color=style["color"], marker=style["marker"], label=model)
            beyond = sub[sub["z_diff"].abs() > bound]
            if len(beyond):
                ax.plot(beyond["full"], beyond["difference"], ls="none", marker=style["marker"], ms=8,
                        mfc="none", mec="black", mew=1.6)
        ax.axhline(0.0, color="0.4", lw=0.8)
        ax.set_title(name)
        ax.set_xlabel("recall at full scale")
        ax.set_ylabel("reduced − full")
    legend_below(fig, ncols=3)
    return fig
