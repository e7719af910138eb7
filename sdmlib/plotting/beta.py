r"""Figures of the softmax correspondence (β of an SDM radius) and of neuron coverage.

Each function takes the parameters (or the computed table) of one figure of the chapters
*Attention approximates SDM* and *Neuron coverage*, calls the computational functions of
`sdmlib.beta` / `sdmlib.capacity`, and returns a :class:`matplotlib.figure.Figure` drawn
with `sdmlib.plotting.figure` (the policy width; at most two panels side by side). The
plotted data are exactly the library's values, so a figure can be checked against them.

Examples
--------
>>> fig = log_fit_figure(64, 11)
>>> [line.get_label() for line in fig.axes[0].get_lines()][:3]
['$\\log I(d_v)$ (exact)', 'OLS: $\\beta=14.41$', 'as published: $\\beta=15.85$']
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import (ALGORITHM_STYLES, OKABE_ITO, apply_style, figure, legend_in_spare_panel, plain_log_ticks, power_text,
               series_style)

__all__ = [
    "log_fit_figure", "beta_radius_figure", "BETA_CURVES", "weights_vs_softmax_figure",
    "WEIGHT_ESTIMATORS", "weights_linear_figure", "approximation_error_figure", "local_rate_figure",
    "COVERAGE_METHODS", "coverage_figure",
]


def _line(style: Mapping[str, Any], **over: Any) -> dict:
    """A copy of a style dict with some keys replaced (``marker=None`` drops the marker)."""
    out = dict(style)
    out.update(over)
    return {k: v for k, v in out.items() if v is not None}


# --------------------------------------------------------------------------- the log-linear fit
def log_fit_figure(n: int = 64, d: int = 11, r: Any = None):
    r"""The log intersection :math:`\log I(d_v)` and its fitted lines (OLS and as published).

    The exact points :math:`\log I(d_v)` for :math:`d_v=0..2d` (the support), the fit
    window :math:`d_v=0..d-1` shaded, and the two fitted lines of `sdmlib.beta.fit_beta`
    (``estimator="ols"`` and ``"as-published"``), against :math:`d_v`.

    Parameters
    ----------
    n, d : int
        Dimension and radius.
    r : int, float or None
        Neuron count (``None``: :math:`2^n`); it moves only the intercept.

    Returns
    -------
    matplotlib.figure.Figure
        One axes; lines: the points, the OLS line, the as-published line, the end of
        the support.

    Examples
    --------
    The points are the library's log intersection, the lines its fits:

    >>> from sdmlib.beta import fit_beta
    >>> fig = log_fit_figure(64, 11)
    >>> points, ols, pub = fig.axes[0].get_lines()[:3]
    >>> x = 1 - 2 * points.get_xdata() / 64
    >>> bool(np.allclose(ols.get_ydata(), fit_beta(64, 11).log_fit(x)))
    True
    """
    from sdmlib.beta import fit_beta
    from sdmlib.geometry import log_hamming_ball_intersection

    apply_style()
    ols = fit_beta(n, d, r=r)
    pub = fit_beta(n, d, r=r, estimator="as-published")
    dv = np.arange(0, 2 * d + 1)
    log_density = 0.0 if r is None else math.log(r) - n * math.log(2.0)
    log_i = np.asarray(log_hamming_ball_intersection(n, d, dv), dtype=float) + log_density
    x = 1 - 2 * dv / n
    fig, ax = figure()
    ax.axvspan(-0.5, d - 0.5, color="0.9", label=f"fit window $d_v=0..{d - 1}$")
    ax.plot(dv, log_i, **_line(ALGORITHM_STYLES["binary_sdm"], linestyle="none"),
            label=r"$\log I(d_v)$ (exact)")
    ax.plot(dv, ols.log_fit(x), **_line(ALGORITHM_STYLES["softmax"], marker=None),
            label=rf"OLS: $\beta={ols.beta:.2f}$")
    ax.plot(dv, pub.log_fit(x), **_line(ALGORITHM_STYLES["approximation"], marker=None),
            label=rf"as published: $\beta={pub.beta:.2f}$")
    ax.axvline(2 * d, color="0.4", lw=1, ls=":")
    ax.text(2 * d - 0.3, log_i.min(), r"$I=0$ for $d_v>2d$", ha="right", va="bottom")
    ax.set(xlabel=r"Hamming distance $d_v$ between the circle centres (bits)",
           ylabel=r"$\log I(d_v)$ (natural log of expected neurons)",
           title=rf"Log intersection and fitted lines, $n={n}$, $d={d}$, $r={power_text(2**n if r is None else r)}$")
    ax.legend(loc="lower left")
    return fig


# --------------------------------------------------------------------------- beta against radius
#: The β curves of the β-against-radius figure: label -> (window, estimator[, distance_weights]).
BETA_CURVES = {
    r"OLS, $d_v=0..d-1$": ("within-radius", "ols"),
    r"as published, $d_v=0..d-1$ (the paper's $\beta$)": ("within-radius", "as-published"),
    r"as published, $d_v=1..d$ (the original's figure)": ("one-to-radius", "as-published"),
    r"KL-optimal, one pattern per $d_v=0..n$": (None, "kl"),
    r"KL-optimal, random keys ($d_v\sim$ Bin$(n,\frac{1}{2})$)": (None, "kl", "binomial"),
}


def beta_radius_figure(ns: Sequence[int] = (64, 1000), curves: Mapping[str, tuple] | None = None, *,
                       p_min: float = 1e-15, mark: tuple[float, int] | None = None):
    r"""β against the radius :math:`d`, one panel per dimension, the space fraction on the right.

    For each ``n`` (one row each) and each curve of ``curves`` (label -> (window,
    estimator) or (window, estimator, distance_weights); default :data:`BETA_CURVES`)
    the panel plots `sdmlib.beta.beta_curve`
    as :math:`d` against β (log scale), for the radii whose circle holds at least the
    fraction ``p_min`` of the space. The right axis labels the same radii with
    :math:`p(d)`. ``mark=(beta, d)`` draws cross-hairs at a point in the first panel.

    Returns
    -------
    matplotlib.figure.Figure
        ``len(ns)`` panels (plus their twin axes); panel ``i`` has one line per curve,
        with x = β and y = radius.

    Examples
    --------
    >>> from sdmlib.beta import beta_curve
    >>> fig = beta_radius_figure(ns=(64,), p_min=1e-30)  # every radius
    >>> line = fig.axes[0].get_lines()[0]
    >>> radii, betas = beta_curve(64)
    >>> bool(np.array_equal(line.get_ydata(), radii) and np.allclose(line.get_xdata(), betas))
    True
    """
    from sdmlib.beta import beta_curve
    from sdmlib.geometry import hamming_radius_for_fraction, space_fraction

    apply_style()
    curves = BETA_CURVES if curves is None else curves
    fig, axes = figure(len(ns), 1, height=3.2 * len(ns) + 0.6)
    axes = np.atleast_1d(axes)
    for ax, n in zip(axes, ns):
        d_min = int(hamming_radius_for_fraction(n, p_min))
        for i, (label, spec) in enumerate(curves.items()):
            window, estimator = spec[:2]
            weights = spec[2] if len(spec) > 2 else None
            radii, betas = beta_curve(n, window=window, estimator=estimator, distance_weights=weights)
            keep = radii >= d_min
            radii, betas = radii[keep], betas[keep]
            every = 1 if radii.size < 40 else (i * 3, radii.size // 12)
            ax.plot(betas, radii, **series_style(i), markevery=every, label=label if ax is axes[0] else None)
        ax.set_xscale("log")
        plain_log_ticks(ax.xaxis)
        ax.set(xlabel=r"softmax $\beta$ (cosine scale)", ylabel="Hamming radius $d$ (bits)",
               title=rf"$\beta$ against radius, $n={n}$ ($r=2^{{{n}}}$; $\beta$ does not depend on $r$)")
        lo, hi = ax.get_ylim()
        ticks = np.linspace(max(d_min, math.ceil(lo)), min(radii.max(), math.floor(hi)), 6).round().astype(int)
        right = ax.twinx()
        right.set_ylim(lo, hi)
        right.set_yticks(ticks)
        right.set_yticklabels([f"${power_text(space_fraction(n, int(t)))}$" for t in ticks])
        right.set_ylabel("space fraction $p(d)$")
        right.grid(False)
    if mark is not None:
        beta, d = mark
        axes[0].axhline(d, color="0.5", lw=0.8)
        axes[0].axvline(beta, color="0.5", lw=0.8)
        axes[0].annotate(rf"$\beta\approx{beta:g}\leftrightarrow d={d}$", (beta, d), xytext=(6, 6),
                         textcoords="offset points")
    fig.legend(loc="outside lower center", ncols=1)
    return fig


# --------------------------------------------------------------------------- weights, linear scale
#: The softmax β's of the linear-scale weights figure: label -> keyword arguments of `fit_beta`.
WEIGHT_ESTIMATORS = {
    "as published": dict(estimator="as-published"),
    "OLS": dict(estimator="ols"),
    "KL-optimal": dict(estimator="kl"),
}


def weights_linear_figure(n: int = 64, radii: Sequence[int] = (5, 11, 15),
                          estimators: Mapping[str, Mapping[str, Any]] | None = None, *, extra: int = 3):
    r"""Normalised binary SDM weights and softmaxes of several β on a linear scale, one panel per radius.

    Each panel shows, for :math:`d_v=0..\min(n, 2d+\text{extra})`, the binary weights
    of `sdmlib.beta.sdm_weights` (one pattern at every distance :math:`0..n`, normalised
    over all of them) as bars, and `sdmlib.beta.softmax_weights` for the β of each
    estimator of ``estimators`` (label -> keyword arguments of `sdmlib.beta.fit_beta`;
    default :data:`WEIGHT_ESTIMATORS`) as lines. Panels in rows of two, the legend in
    the free cell (or below).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per radius with one bar container (the SDM weights) and one line per
        estimator.

    Examples
    --------
    >>> from sdmlib.beta import fit_beta, sdm_weights, softmax_weights
    >>> fig = weights_linear_figure(16, (3, 5))
    >>> ax = fig.axes[0]
    >>> bars = [p.get_height() for p in ax.containers[0]]
    >>> x = 1 - 2 * np.arange(17) / 16
    >>> bool(np.allclose(bars, sdm_weights(16, 3, x)[:10]))
    True
    >>> kl = ax.get_lines()[2]
    >>> bool(np.allclose(kl.get_ydata(), softmax_weights(fit_beta(16, 3, estimator="kl").beta, x)[:10]))
    True
    """
    from sdmlib.beta import fit_beta, sdm_weights, softmax_weights

    apply_style()
    estimators = WEIGHT_ESTIMATORS if estimators is None else estimators
    radii = list(radii)
    ncols = 1 if len(radii) == 1 else 2
    nrows = -(-len(radii) // ncols)
    fig, axes = figure(nrows, ncols, height=2.7 * nrows + 0.4)
    flat = np.atleast_1d(axes).ravel()
    x_all = 1 - 2 * np.arange(n + 1) / n
    for ax, d in zip(flat, radii):
        dv = np.arange(0, min(n, 2 * d + extra) + 1)
        ax.bar(dv, sdm_weights(n, d, x_all)[dv], width=0.8, color=OKABE_ITO["sky_blue"],
               edgecolor=OKABE_ITO["blue"], label="SDM (binary intersection)")
        for i, (label, kw) in enumerate(estimators.items()):
            beta = fit_beta(n, d, **kw).beta
            ax.plot(dv, softmax_weights(beta, x_all)[dv], **series_style(i), markersize=4,
                    label=f"softmax, {label} $\\beta$")
            ax.text(0.98, 0.92 - 0.1 * i, rf"{label}: $\beta={beta:.1f}$", transform=ax.transAxes,
                    ha="right", va="top", fontsize="small")
        ax.set(title=rf"$n={n}$, $d={d}$", xlabel=r"Hamming distance $d_v$ (bits)", ylabel="normalised weight")
        ax.set_ylim(0, None)
    legend_in_spare_panel(fig, flat, len(radii), ncols=2)
    return fig


# --------------------------------------------------------------------------- weights vs softmax
def weights_vs_softmax_figure(cases: Sequence[tuple[int, int]], *, floor: float = 1e-30):
    r"""Normalised binary and cap intersections against the softmax, one panel per ``(n, d)``.

    Each panel plots, over :math:`d_v=0..\min(n, 2d+\max(5, d/5))` (one pattern at every
    distance :math:`d_v=0..n`, normalised over all of them), the binary weights and the
    cap weights of `sdmlib.beta.sdm_weights` (zero weights left out: they have no
    logarithm) and `sdmlib.beta.softmax_weights` with the binary OLS β of
    `sdmlib.beta.fit_beta` (window :math:`0..d-1`), on a log axis cut at ``floor``.
    Two panels per row.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per case (an odd last one is removed), lines: binary, cap, softmax.

    Examples
    --------
    >>> from sdmlib.beta import sdm_weights
    >>> fig = weights_vs_softmax_figure([(16, 3), (16, 5)])
    >>> binary, cap, soft = fig.axes[0].get_lines()
    >>> dv = binary.get_xdata()
    >>> w = sdm_weights(16, 3, 1 - 2 * np.arange(17) / 16)[dv]
    >>> bool(np.allclose(np.nan_to_num(binary.get_ydata()), w)), len(fig.axes)
    (True, 2)
    """
    from sdmlib.beta import fit_beta, sdm_weights, softmax_weights
    from sdmlib.geometry import space_fraction

    apply_style()
    cases = list(cases)
    ncols = 1 if len(cases) == 1 else 2
    nrows = -(-len(cases) // ncols)
    fig, axes = figure(nrows, ncols, height=2.6 * nrows + 0.5)
    axes = np.atleast_1d(axes).ravel()
    for ax, (n, d) in zip(axes, cases):
        dv_all = np.arange(0, n + 1)
        x = 1 - 2 * dv_all / n
        beta = fit_beta(n, d).beta
        dv = dv_all[: min(n, 2 * d + max(5, d // 5)) + 1]
        every = max(1, dv.size // 14)
        for i, (space, key, label) in enumerate([("binary", "binary_sdm", "binary intersection"),
                                                 ("continuous", "continuous_sdm", "cap intersection")]):
            w = sdm_weights(n, d, x, space=space)[dv]
            ax.plot(dv, np.where(w > 0, w, np.nan), **ALGORITHM_STYLES[key], markevery=(i * every // 2, every),
                    label=label)
        ax.plot(dv, softmax_weights(beta, x)[dv], **_line(ALGORITHM_STYLES["softmax"], marker=None),
                label=r"softmax, binary OLS $\beta$")
        ax.set_yscale("log")
        ax.set_ylim(max(ax.get_ylim()[0], floor), 2.0)  # weights are at most 1
        ax.set_title(rf"$n={n}$, $d={d}$, $p(d)={power_text(space_fraction(n, d))}$" "\n" rf"softmax $\beta={beta:.1f}$")
    for ax in axes[len(cases):]:
        ax.remove()
    for k, ax in enumerate(axes[: len(cases)]):
        if k >= len(cases) - ncols:
            ax.set_xlabel(r"Hamming distance $d_v$ (bits)")
        if k % ncols == 0:
            ax.set_ylabel("normalised weight")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=3)
    return fig


# --------------------------------------------------------------------------- approximation error
def approximation_error_figure(errors, *, estimators: Sequence[str] | None = None):
    r"""Error of the softmax approximation against the space fraction, per dimension and estimator.

    ``errors`` is a table (a :class:`pandas.DataFrame`) with one row per (``n``, ``p``,
    ``estimator``) and the columns ``max_abs_error`` and ``kl_divergence`` of
    `sdmlib.beta.softmax_approximation_error`. Rows of the figure: the two measures;
    columns: the estimators (in order of appearance, or ``estimators``); one line per
    ``n`` in each panel, on log–log axes, the y axis shared along a row.

    Returns
    -------
    matplotlib.figure.Figure
        A 2 × (number of estimators) grid (at most two); panel (i, j) has one line per n.

    Examples
    --------
    >>> import pandas as pd
    >>> errors = pd.DataFrame({"n": [64, 64, 100, 100] * 2, "p": [1e-3, 1e-1] * 4,
    ...                        "estimator": ["OLS"] * 4 + ["softmax fit"] * 4,
    ...                        "max_abs_error": np.arange(1, 9) / 10, "kl_divergence": np.arange(1, 9) / 100})
    >>> fig = approximation_error_figure(errors)
    >>> len(fig.axes), fig.axes[3].get_lines()[1].get_ydata().tolist()
    (4, [0.07, 0.08])
    """
    apply_style()
    estimators = list(dict.fromkeys(errors["estimator"])) if estimators is None else list(estimators)
    ncols = len(estimators)
    fig, axes = figure(2, ncols, height=5.8, sharex=True, sharey="row")
    axes = np.asarray(axes).reshape(2, ncols)
    ns = sorted(set(errors["n"]))
    measures = [("max_abs_error", r"max $|t-s|$ over $d_v=0..n$"),
                ("kl_divergence", r"KL$(t\,\|\,s)$ (nats)")]
    for j, est in enumerate(estimators):
        for i, (col, ylabel) in enumerate(measures):
            ax = axes[i, j]
            for k, n in enumerate(ns):
                g = errors[(errors["n"] == n) & (errors["estimator"] == est)].sort_values("p")
                ax.plot(g["p"].to_numpy(), g[col].to_numpy(), **series_style(k), label=f"$n={n}$")
            ax.set(xscale="log", yscale="log")
            if j == 0:
                ax.set_ylabel(ylabel)
            if i == 1:
                ax.set_xlabel("space fraction $p(d)$")
        axes[0, j].set_title(rf"$\beta$: {est}")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncols=len(ns))
    return fig


# --------------------------------------------------------------------------- local decay rate
def local_rate_figure(n: int = 64, radii: Sequence[int] = (5, 11, 15, 25)):
    r"""Exact local decay rate of the intersection against the distance, beside the regression β and the Taylor rate.

    One panel per radius: `sdmlib.bounds.local_decay_rate` (pair-averaged, cosine units)
    at :math:`d_v=0,2,\dots,2d-2` (markers at the first distance of each pair), the OLS
    β of `sdmlib.beta.fit_beta` on the window :math:`d_v=0..d-1` drawn over that window,
    the Taylor rate :math:`(n-2d)^2/(4n)` (`sdmlib.bounds.taylor_rate`) and its double
    and triple, and the leading-order rate :math:`\frac n4\log\frac n{2d}` at
    :math:`d_v=0`. Log y axis; panels in rows of two, one legend below.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per radius; lines: local rate, regression β, 1×, 2×, 3× Taylor, and
        the leading-order point.

    Examples
    --------
    >>> from sdmlib.bounds import local_decay_rate
    >>> fig = local_rate_figure(64, (11,))
    >>> local = fig.axes[0].get_lines()[0]
    >>> bool(np.allclose(local.get_ydata(), local_decay_rate(64, 11, np.arange(0, 22, 2))))
    True
    """
    from sdmlib.beta import fit_beta
    from sdmlib.bounds import local_decay_rate, taylor_rate

    apply_style()
    radii = list(radii)
    ncols = 1 if len(radii) == 1 else 2
    nrows = -(-len(radii) // ncols)
    fig, axes = figure(nrows, ncols, height=2.7 * nrows + 0.7)
    flat = np.atleast_1d(axes).ravel()
    for ax, d in zip(flat, radii):
        dv = np.arange(0, 2 * d, 2)
        ax.plot(dv, local_decay_rate(n, d, dv), **ALGORITHM_STYLES["binary_sdm"], markersize=4,
                label=r"exact local rate $\frac{n}{4}\log\frac{c(d_v)}{c(d_v+2)}$")
        ols = fit_beta(n, d).beta
        ax.plot([0, d - 1], [ols, ols], **_line(ALGORITHM_STYLES["softmax"], marker=None, lw=2.2),
                label=r"regression $\beta$ (OLS, $d_v=0..d-1$)")
        t = taylor_rate(n, d)
        for k, ls in [(1, "-"), (2, "--"), (3, ":")]:
            ax.axhline(k * t, color=OKABE_ITO["black"], linestyle=ls, linewidth=1.0,
                       label=r"$\beta_{\rm Taylor}$" if k == 1 else rf"${k}\,\beta_{{\rm Taylor}}$")
        ax.plot([0], [n / 4 * math.log(n / (2 * d))], linestyle="none", marker="*", markersize=10,
                color=OKABE_ITO["orange"], label=r"leading order at $d_v=0$: $\frac{n}{4}\log\frac{n}{2d}$")
        ax.set_yscale("log")
        plain_log_ticks(ax.yaxis)
        ax.set(title=rf"$n={n}$, $d={d}$", xlabel=r"$d_v$ (bits)", ylabel=r"rate (cosine scale)")
    for ax in flat[len(radii):]:
        ax.remove()
    fig.legend(*flat[0].get_legend_handles_labels(), loc="outside lower center", ncols=2)
    return fig


# --------------------------------------------------------------------------- neuron coverage
#: The four computations of `sdmlib.capacity.neuron_coverage` (method -> label).
COVERAGE_METHODS = {"exact": "exact binomial", "poisson": r"Poisson, exact $p_d$",
                    "normal": r"normal $p_d$ (the original's)", "normal_cc": r"normal $p_d$, continuity-corrected"}


def coverage_figure(n: int = 1000, r: Any = 10**6, d_range: tuple[int, int] = (395, 460), *,
                    methods: Mapping[str, str] | None = None, mark: int | None = 451):
    r"""Neuron coverage against the radius: the four computations, and each one minus the exact one.

    Top panel: :math:`P(\text{some neuron within }d)` of `sdmlib.capacity.neuron_coverage`
    for every method of ``methods`` (default :data:`COVERAGE_METHODS`) over the radii
    ``d_range`` (inclusive). Bottom panel: each approximation minus the exact binomial
    curve (the curves of the top panel are too close to be told apart). Both mark the
    one-neuron radius :math:`rp_d=1` (`sdmlib.capacity.radius_for_one_neuron`) and the
    radius ``mark``.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels sharing x: one line per method on top, one per approximation below.

    Examples
    --------
    >>> from sdmlib.capacity import neuron_coverage
    >>> fig = coverage_figure(100, 10**3, (20, 40), mark=None)
    >>> top, bottom = fig.axes
    >>> d = np.arange(20, 41)
    >>> diff = neuron_coverage(100, d, 10**3, "normal") - neuron_coverage(100, d, 10**3)
    >>> len(top.get_lines()), bool(np.allclose(bottom.get_lines()[1].get_ydata(), diff))
    (5, True)
    """
    from sdmlib.capacity import neuron_coverage, radius_for_one_neuron

    apply_style()
    methods = COVERAGE_METHODS if methods is None else methods
    d = np.arange(d_range[0], d_range[1] + 1)
    cov = {m: neuron_coverage(n, d, r, m) for m in methods}
    d1 = radius_for_one_neuron(n, r)
    fig, (top, bottom) = figure(2, 1, height=6.2, sharex=True)
    every = max(2, d.size // 10)
    styles = {"exact": _line(ALGORITHM_STYLES["exact"], marker=None, linestyle="-", lw=2.2)}
    for i, m in enumerate(k for k in methods if k != "exact"):
        styles[m] = dict(series_style(i), markevery=(i * every // 3, every))
    for m, label in methods.items():
        top.plot(d, cov[m], **styles[m], label=label)
        if m != "exact":
            bottom.plot(d, cov[m] - cov["exact"], **styles[m])
    for ax in (top, bottom):
        ax.axvline(d1, color=OKABE_ITO["grey"], ls="--", lw=1, label=f"$rp_d=1$ at $d={d1}$" if ax is top else None)
        if mark is not None:
            ax.axvline(mark, color=OKABE_ITO["vermillion"], lw=1, label=f"Kanerva's $d={mark}$" if ax is top else None)
    bottom.axhline(0, color="0.3", lw=0.8)
    top.set(ylabel="P(some neuron within $d$)",
            title=rf"Neuron coverage, $n={n}$, $r={power_text(2**n if r is None else r)}$")
    bottom.set(xlabel="Hamming radius $d$ (bits)", ylabel="approximation − exact")
    fig.legend(*top.get_legend_handles_labels(), loc="outside lower center", ncols=2)
    return fig
