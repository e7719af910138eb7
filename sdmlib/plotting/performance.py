"""Figures of the performance chapter: what a neuron-based SDM read or write costs.

Every function takes the table of `sdmlib.memories.benchmark.run_planning_benchmark`
(stored as ``book/data/performance_runs.csv``; columns
`sdmlib.memories.benchmark.RUN_COLUMNS`) and returns a :class:`matplotlib.figure.Figure`
of the book's policy width (`sdmlib.plotting.figure`); none calls ``pyplot``. Times are
per query (``per_query``) or in multiples of the streaming floor of the same ``(n, r)``
(``x_floor``); every series has its own colour *and* marker.

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame(dict(section=["batch"] * 2, method=["numba scan"] * 2, n=[1024] * 2, r=[10**6] * 2,
...                       batch=[1, 64], threads=[1, 1], per_query=[0.01, 0.005], floor=[0.01] * 2,
...                       x_floor=[1.0, 0.5]))
>>> fig = batch_figure(t, limits={"scalar popcount limit": 0.45})
>>> [float(v) for v in fig.axes[0].get_lines()[0].get_ydata()]
[1.0, 0.5]
"""

from __future__ import annotations

import numpy as np

from . import figure, legend_below, power_text, series_style

__all__ = ["scaling_figure", "batch_figure", "yardstick_figure", "read_write_figure", "crossover_figure"]

_FLOOR_STYLE = dict(color="0.35", linestyle="--", linewidth=1.2)


def _line(ax, x, y, i: int, label: str) -> None:
    s = series_style(i)
    ax.plot(x, y, color=s["color"], marker=s["marker"], linestyle=s["linestyle"], label=label)


def scaling_figure(table):
    """Time per query of the numba scan against ``r`` (``n = 1024``) and against ``n``.

    Left: seconds per query against the number of neurons ``r`` at ``n = 1024``,
    one query and a batch of 64, with the streaming floor of each ``r``.
    Right: the same against the dimension ``n`` at the largest ``r``. Both axes
    logarithmic: a slope of 1 is a cost proportional to ``r`` (or to ``n``).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame(dict(section=["scan_r", "scan_r", "floor", "floor"], method=["numba scan"] * 2 + ["x"] * 2,
    ...                       n=[1024] * 4, r=[10**4, 10**5, 10**4, 10**5], batch=[1] * 4, threads=[1] * 4,
    ...                       per_query=[1e-4, 1e-3, 5e-5, 5e-4], floor=[5e-5, 5e-4] * 2, x_floor=[2.0] * 4))
    >>> fig = scaling_figure(t)
    >>> [float(v) for v in fig.axes[0].get_lines()[0].get_ydata()]
    [0.0001, 0.001]
    """
    fig, (a, b) = figure(1, 2)
    for ax, section, key, n_fixed in ((a, "scan_r", "r", 1024), (b, "scan_n", "n", None)):
        sub = table[(table.section == section) & (table.method == "numba scan")]
        for i, batch in enumerate(sorted(sub.batch.unique())):
            s = sub[sub.batch == batch].sort_values(key)
            _line(ax, s[key], s.per_query, i, "one query" if batch == 1 else f"batch of {batch}, per query")
        pts = sub.drop_duplicates(key).sort_values(key)
        ax.plot(pts[key], pts.floor, label="streaming floor", **_FLOOR_STYLE)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylabel("seconds per query")
    a.set_xlabel("neurons r (n = 1024)")
    r_max = table[table.section == "scan_n"].r.max() if (table.section == "scan_n").any() else float("nan")
    b.set_xlabel(f"dimension n (r = ${power_text(int(r_max))}$)" if r_max == r_max else "dimension n")
    legend_below(fig, ncols=3)
    return fig


def batch_figure(table, limits: dict[str, float] | None = None):
    """Time per query against the batch size, in multiples of the streaming floor.

    The numba scan (one thread, and two threads where measured) at the largest
    ``(n = 1024, r)`` of the table; ``limits`` maps a label to a horizontal line
    (e.g. the compute limits of this CPU, in the same units). Log–log axes.
    """
    fig, ax = figure(1, 1, height=3.4)
    sub = table[(table.section == "batch") & (table.method == "numba scan")].sort_values("batch")
    _line(ax, sub.batch, sub.x_floor, 0, "numba scan, 1 thread")
    two = table[(table.section == "threads") & (table.method == "numba scan") & (table.threads == 2)]
    if len(two):
        two = two.sort_values("batch")
        _line(ax, two.batch, two.x_floor, 1, "numba scan, 2 threads")
    ax.axhline(1.0, label="streaming floor (one pass per query)", **_FLOOR_STYLE)
    for k, (label, value) in enumerate((limits or {}).items()):
        ax.axhline(value, color=series_style(k + 3)["color"], linestyle=[":", "-."][k % 2], linewidth=1.6,
                   label=label)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("queries per batch")
    ax.set_ylabel("time per query ÷ streaming floor")
    legend_below(fig, ncols=2)
    return fig


def yardstick_figure(table):
    """Time per query of every method of the ``yardstick`` section, one query and batch 64.

    One panel per ``n``; a row per method, a marker per batch size, on a log
    axis of ``x_floor`` (the dashed line is the floor).
    """
    sub = table[table.section == "yardstick"]
    ns = sorted(sub.n.unique())
    fig, axes = figure(len(ns), 1, height=2.1 * len(ns) + 0.8, sharex=True)
    axes = np.atleast_1d(axes)
    methods = list(dict.fromkeys(sub.sort_values("x_floor").method))
    for ax, n in zip(axes, ns):
        s = sub[sub.n == n]
        ax.axvline(1.0, label="streaming floor", **_FLOOR_STYLE)
        for i, batch in enumerate(sorted(s.batch.unique())):
            sb = s[s.batch == batch].set_index("method")
            rows = [m for m in methods if m in sb.index]
            st = series_style(i)
            ax.plot(sb.loc[rows, "x_floor"], [methods.index(m) + 0.12 * (2 * i - 1) for m in rows], ls="none",
                    marker=st["marker"], color=st["color"], markersize=6,
                    label="one query" if batch == 1 else f"batch of {batch}, per query")
        ax.set_yticks(range(len(methods)), methods)
        ax.set_ylim(len(methods) - 0.5, -0.5)
        ax.set_xscale("log")
        ax.set_title(f"n = {n}, r = ${power_text(int(s.r.iloc[0]))}$", fontsize="medium")
    axes[-1].set_xlabel("time per query ÷ streaming floor (log scale)")
    legend_below(fig, ncols=3)
    return fig


def read_write_figure(table):
    """`NeuronSDM` read and write per query, and what two threads change.

    Left: per-query time of ``write`` of ``m`` patterns into an empty memory,
    ``read`` of ``m`` queries and the scan alone (``m = 64, 256``). Right: the
    batch-64 scan, read and write on 1 and 2 threads. Bars in multiples of the
    streaming floor.
    """
    fig, (a, b) = figure(1, 2)
    rw = table[table.section == "read_write"]
    methods = ["numba scan", "NeuronSDM.read", "NeuronSDM.write"]
    batches = sorted(rw.batch.unique())
    width = 0.8 / max(1, len(batches))
    for i, batch in enumerate(batches):
        s = rw[rw.batch == batch].set_index("method")
        vals = [float(s.loc[m, "x_floor"]) if m in s.index else np.nan for m in methods]
        st = series_style(i)
        a.bar(np.arange(3) + (i - (len(batches) - 1) / 2) * width, vals, width, color=st["color"],
              hatch=["", "//", "..", "xx"][i % 4], edgecolor="white", label=f"m = {batch}")
    a.set_xticks(range(3), ["scan", "read", "write"])
    a.set_ylabel("time per query ÷ streaming floor")
    a.legend(loc="upper left", fontsize="small")
    th = table[(table.section == "threads") & (table.batch == table[table.section == "threads"].batch.max())]
    for i, threads in enumerate(sorted(th.threads.unique())):
        s = th[th.threads == threads].set_index("method")
        vals = [float(s.loc[m, "x_floor"]) if m in s.index else np.nan for m in methods]
        st = series_style(i + 2)
        b.bar(np.arange(3) + (i - 0.5) * 0.4, vals, 0.4, color=st["color"], hatch=["", "//"][i % 2],
              edgecolor="white", label=f"{threads} thread" + ("s" if threads > 1 else ""))
    b.set_xticks(range(3), ["scan", "read", "write"])
    b.legend(loc="upper left", fontsize="small")
    b.set_title("batch of 64", fontsize="medium")
    for ax in (a, b):
        ax.axhline(1.0, **_FLOOR_STYLE)
    return fig


def crossover_figure(table):
    """Neuron-based SDM (cost ∝ r) against pattern-based SDM and attention (cost ∝ m).

    Seconds per query (batch of 64, ``n = 1024``) of `PatternSDM` and
    `SDMAttention` reads against the number of stored patterns ``m``, with a
    horizontal line per `NeuronSDM` size ``r`` (its read does not depend on ``m``).
    Where a line crosses a curve the two cost the same. Log–log axes.
    """
    fig, ax = figure(1, 1, height=3.4)
    sub = table[table.section == "crossover"]
    for i, name in enumerate(("PatternSDM.read", "SDMAttention.read")):
        s = sub[sub.method == name].sort_values("r")
        if len(s):
            _line(ax, s.r, s.per_query, i, f"{name.split('.')[0]} (r = None), m patterns")
    neuron = sub[sub.method == "NeuronSDM.read"].sort_values("r")
    for k, (_, row) in enumerate(neuron.iterrows()):
        ax.axhline(row.per_query, color=series_style(k + 4)["color"], linestyle=[":", "-."][k % 2], linewidth=1.6,
                   label=f"NeuronSDM, r = ${power_text(int(row.r))}$ (any m)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("stored patterns m (n = 1024)")
    ax.set_ylabel("seconds per query (batch of 64)")
    legend_below(fig, ncols=2)
    return fig
