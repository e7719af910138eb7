"""Figures of the geometry chapters: circle and cap intersections and their approximations.

Used by the chapters *SDM in one chapter*, *The circle intersection*, *The continuous
intersection* and *Why the circle intersection looks exponential*. Every function returns a
:class:`matplotlib.figure.Figure` of the book's width (:func:`sdmlib.plotting.figure`) and
follows the figure policy of :mod:`sdmlib.plotting`: Okabe–Ito colours, and every series
also differs by marker or line style. Functions that take parameters compute their curves
with :mod:`sdmlib.geometry` and :mod:`sdmlib.bounds`; functions that take arrays plot the
chapter's own computed (e.g. simulated) values. Nothing here computes a result the
chapters report.

Examples
--------
The approximations of the exponential-bounds chapter each have their own colour *and*
line style, and none is yellow:

>>> from sdmlib.plotting import OKABE_ITO
>>> len({(s["color"], s["linestyle"]) for s in BOUND_STYLES.values()}) == len(BOUND_STYLES)
True
>>> OKABE_ITO["yellow"] in {s["color"] for s in BOUND_STYLES.values()}
False
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sdmlib.plotting import (ALGORITHM_STYLES, OKABE_ITO, apply_style, figure, legend_in_spare_panel, radius_style,
                             series_style)

__all__ = [
    "BOUND_STYLES", "read_map_figure", "shared_neurons_figure", "log_intersection_figure",
    "normalised_weights_figure", "random_neurons_figure", "cap_monte_carlo_figure",
    "binary_vs_caps_figure", "approximations_figure", "bounds_figure", "approximation_ratios_figure",
    "beta_vs_taylor_figure",
]

#: One style per curve of the exponential-bounds chapter (the same in each of its figures).
BOUND_STYLES = {
    "exact": dict(color=OKABE_ITO["black"], marker="o", linestyle="-"),
    "smax": dict(color=OKABE_ITO["blue"], marker="s", linestyle="--"),
    "count": dict(color=OKABE_ITO["sky_blue"], marker="^", linestyle=(0, (1, 1))),
    "gauss": dict(color=OKABE_ITO["orange"], marker="D", linestyle="-."),
    "gcount": dict(color=OKABE_ITO["vermillion"], marker="v", linestyle=(0, (6, 2))),
    "taylor": dict(color=OKABE_ITO["green"], marker="P", linestyle=(0, (5, 1, 1, 1, 1, 1))),
    "fit": dict(color=OKABE_ITO["purple"], marker="X", linestyle=":"),
    "tconst": dict(color=OKABE_ITO["grey"], marker="*", linestyle=(0, (3, 1, 1, 1))),
}

_GREY = OKABE_ITO["grey"]


def _every(size: int, marks: int = 10, offset: int = 0) -> tuple[int, int]:
    """``markevery`` for about ``marks`` markers along a line of ``size`` points."""
    step = max(1, size // marks)
    return (offset % step, step)


# --------------------------------------------------------------------------------------------
# SDM in one chapter
# --------------------------------------------------------------------------------------------

def read_map_figure(cue_dist, out_dist, *, n: int, r: int, d: int, m: int, cues: int):
    """One SDM read as a map: distance of the cue to the pattern → distance after the read.

    Parameters
    ----------
    cue_dist, out_dist : array_like
        Hamming distances of the cues to the stored pattern, and the mean distances after
        one read (the chapter's simulation).
    n, r, d, m : int
        Dimension, number of neurons, radius, number of stored patterns (for the title).
    cues : int
        Number of cues averaged per point (for the legend).

    Examples
    --------
    >>> fig = read_map_figure([0, 10, 20], [0, 0, 5], n=256, r=100, d=100, m=3, cues=10)
    >>> [line.get_ydata().tolist() for line in fig.axes[0].get_lines()]
    [[0, 0, 5], [0, 10, 20]]
    """
    apply_style()
    fig, ax = figure()
    ax.plot(cue_dist, out_dist, **ALGORITHM_STYLES["neuron_sdm"], label=f"one SDM read (mean of {cues} cues)")
    ax.plot(cue_dist, cue_dist, color=_GREY, linestyle=":", label="no change (output = cue)")
    ax.set_xlabel("Hamming distance of the cue to the stored pattern (bits)")
    ax.set_ylabel("distance after one read (bits)")
    ax.set_title(f"Neuron-based SDM, n = {n}, r = {r}, d = {d}, m = {m}")
    ax.legend(loc="upper left")
    return fig


def shared_neurons_figure(dist, shared, *, n: int, d: int, r: int, dv_max: int = 160, target: int = 0,
                          grid=None, grid_mean=None, grid_se=None, powered=None, pairs: int | None = None):
    """Neurons in both circles against the distance, on a log axis: expectation, test, one read.

    Parameters
    ----------
    dist, shared : array_like
        For each stored pattern of the chapter's read: its Hamming distance to the cue and the
        number of neurons within ``d`` of both. Pattern ``target`` is drawn as a star, the
        others as small circles, or, where they share no neuron (which a log axis cannot
        show), as ticks on the bottom edge.
    n, d, r : int
        Dimension, radius and number of neurons; the expected curve is
        :func:`sdmlib.geometry.expected_neurons_in_intersection` for ``d_v = 0..dv_max``.
    target : int
        Index of the read's target pattern in ``dist``.
    grid, grid_mean, grid_se : array_like, optional
        The chapter's per-distance test: distances, mean shared counts over ``pairs`` random
        (query, pattern) pairs, and their standard errors, drawn as mean ± 2 SE.
    powered : array_like of bool, optional
        Which grid distances the test uses (filled markers; the others open).
    pairs : int, optional
        Number of pairs per distance (for the legend).

    Examples
    --------
    >>> from sdmlib.geometry import expected_neurons_in_intersection
    >>> fig = shared_neurons_figure([3, 50], [40, 0], n=64, d=20, r=1000, dv_max=60)
    >>> curve = fig.axes[0].get_lines()[0]
    >>> bool(np.allclose(curve.get_ydata(), expected_neurons_in_intersection(64, 20, range(61), r=1000)))
    True
    >>> fig.axes[0].get_yscale()
    'log'
    """
    from sdmlib.geometry import expected_neurons_in_intersection

    apply_style()
    fig, ax = figure()
    dist, shared = np.asarray(dist), np.asarray(shared, dtype=float)
    k = np.arange(dv_max + 1)
    curve = expected_neurons_in_intersection(n, d, k, r=r)
    positive = [curve[curve > 0].min()]
    ax.plot(k, curve, color=OKABE_ITO["black"], linestyle="-", label=r"expected, $r\,c_{n,d}(d_v)/2^n$")
    blue = OKABE_ITO["blue"]
    if grid is not None:
        grid, grid_mean, grid_se = (np.asarray(v, dtype=float) for v in (grid, grid_mean, grid_se))
        powered = np.ones(grid.shape, bool) if powered is None else np.asarray(powered, bool)
        per = f"{pairs} random pairs" if pairs else "random pairs"
        for mask, face, label in ((powered, blue, f"mean over {per} ± 2 SE, tested"),
                                  (~powered, "white", "mean ± 2 SE, too few neurons to test")):
            show = mask & (grid_mean > 0)
            if show.any():
                err = 2 * grid_se[show]
                ax.errorbar(grid[show], grid_mean[show], yerr=[np.minimum(err, 0.999 * grid_mean[show]), err],
                            linestyle="none", marker="s", color=blue, markerfacecolor=face, label=label)
        positive.append(grid_mean[grid_mean > 0].min() if (grid_mean > 0).any() else positive[0])
    floor = 0.3 * min(positive)
    others = np.arange(dist.size) != target
    hit = others & (shared > 0)
    verm = OKABE_ITO["vermillion"]
    ax.plot(dist[hit], shared[hit], linestyle="none", marker="o", markersize=4, color=verm, alpha=0.8,
            label=r"this read: other stored patterns, $N_\mu>0$")
    ax.scatter(dist[others & ~hit], np.full(int((others & ~hit).sum()), floor), marker="|", s=120, color=verm,
               clip_on=False, zorder=3, label=r"this read: other stored patterns, $N_\mu=0$ (bottom edge)")
    ax.plot(dist[target], shared[target], linestyle="none", marker="*", markersize=14, color=verm,
            markeredgecolor=OKABE_ITO["black"], label=r"this read: the target pattern")
    if grid is not None and (np.asarray(grid_mean) <= 0).any():
        zero = np.asarray(grid_mean) <= 0
        ax.scatter(np.asarray(grid)[zero], np.full(int(zero.sum()), floor), marker="v", color=blue, clip_on=False,
                   zorder=3, label="mean 0 over all pairs")
    ax.set_yscale("log")
    ax.set_ylim(bottom=floor)
    ax.set_xlim(-2, dv_max + 2)
    ax.set_xlabel(r"Hamming distance $d_v$ between cue and pattern address (bits)")
    ax.set_ylabel("neurons in both circles")
    ax.set_title(f"Read weights are circle intersections, n = {n}, r = {r}, d = {d}")
    ax.legend(loc="lower left", fontsize="small")
    return fig


# --------------------------------------------------------------------------------------------
# The circle intersection
# --------------------------------------------------------------------------------------------

def log_intersection_figure(n: int = 64, radii=(5, 11, 15)):
    """``log10 I(d_v)`` against ``d_v`` with a neuron at every address (``r = 2^n``).

    One line per radius, drawn up to ``2d + 2`` where it is finite (it ends at ``2d``).

    Examples
    --------
    >>> from sdmlib.geometry import expected_neurons_in_intersection
    >>> fig = log_intersection_figure(32, radii=(3, 6))
    >>> line = fig.axes[0].get_lines()[1]
    >>> bool(np.allclose(10 ** line.get_ydata(), expected_neurons_in_intersection(32, 6, line.get_xdata())))
    True
    >>> int(line.get_xdata()[-1])          # the last non-zero count is at 2d
    12
    """
    from sdmlib.geometry import expected_neurons_in_intersection

    apply_style()
    fig, ax = figure()
    for i, d in enumerate(radii):
        k = np.arange(2 * d + 3)
        li = expected_neurons_in_intersection(n, d, k, log=True)
        ok = np.isfinite(li)
        ax.plot(k[ok], li[ok] / np.log(10), **radius_style(d), linestyle=series_style(i)["linestyle"],
                label=f"d = {d}")
    ax.set_xlabel(r"Hamming distance $d_v$ between the circle centres (bits)")
    ax.set_ylabel(r"$\log_{10} I(d_v)$ (expected neurons)")
    ax.set_title(f"Circle intersection, n = {n}, r = $2^{{{n}}}$")
    ax.legend(loc="upper right")
    return fig


def normalised_weights_figure(n: int = 1000, r: float = 1e6, fractions=(1e-8, 1e-5, 1e-3, 0.1),
                              dv_max: int = 499):
    """Normalised circle intersections ``I(d_v) / Σ_k I(k)`` over ``d_v = 0..dv_max``.

    One radius per space fraction ``p`` (the smallest ``d`` whose circle holds at least
    ``p``), on a linear axis (left, ``d_v ≤ 200``) and a log axis (right); one legend below
    both panels.

    Examples
    --------
    >>> fig = normalised_weights_figure(100, r=1e4, fractions=(1e-3, 0.1), dv_max=49)
    >>> lin, log = fig.axes
    >>> [round(float(np.sum(line.get_ydata())), 12) for line in lin.get_lines()]
    [1.0, 1.0]
    >>> len(log.get_lines()), log.get_yscale()
    (2, 'log')
    """
    from sdmlib.geometry import expected_neurons_in_intersection, hamming_radius_for_fraction, space_fraction

    apply_style()
    fig, axes = figure(1, 2)
    k = np.arange(dv_max + 1)
    for i, p in enumerate(fractions):
        d = int(hamming_radius_for_fraction(n, p))
        li = expected_neurons_in_intersection(n, d, k, r=r, log=True)
        w = np.exp(li - np.logaddexp.reduce(li[np.isfinite(li)]))
        style = series_style(i)
        label = f"p = {p:g}: d = {d}, realised p = {space_fraction(n, d):.2g}"
        axes[0].plot(k, w, **style, markevery=_every(201, 8, 3 * i), label=label)
        axes[1].plot(k, np.where(w > 0, w, np.nan), **style, markevery=_every(k.size, 8, 7 * i))
    axes[1].set_yscale("log")
    for ax, scale in zip(axes, ("linear", "log")):
        ax.set_xlabel(r"distance $d_v$ to the query (bits)")
        ax.set_ylabel(f"normalised weight ({scale} axis)")
    axes[0].set_xlim(0, min(200, dv_max))
    axes[1].set_xlim(0, dv_max)
    fig.suptitle(f"Normalised circle intersections, n = {n}, r = {r:.0e}".replace("e+0", "e"))
    fig.legend(loc="outside lower center", ncols=2)
    return fig


def random_neurons_figure(dv_grid, mean, se, *, n: int, r: int, d: int, draws: int, powered=None):
    """Simulated neurons in both circles (mean ± 2 SE) against ``r c_{n,d}(d_v) / 2^n``.

    Parameters
    ----------
    dv_grid, mean, se : array_like
        Distances, simulated mean counts and their standard errors (the chapter's values).
    n, r, d, draws : int
        Dimension, neurons, radius and number of draws (the formula curve and the labels).
    powered : array_like of bool, optional
        Distances at which the chapter's z-test has power: drawn as filled circles, the others
        as open circles. Default: all filled. Means of exactly 0, which a log axis cannot show,
        are marked by triangles on the bottom edge.

    Examples
    --------
    >>> from sdmlib.geometry import expected_neurons_in_intersection
    >>> fig = random_neurons_figure([0, 2, 4], [30.0, 20.0, 0.0], [1.0, 1.0, 0.1], n=20, r=1000, d=5,
    ...                             draws=3, powered=[True, True, False])
    >>> formula = fig.axes[0].get_lines()[-1]
    >>> bool(np.allclose(formula.get_ydata(), expected_neurons_in_intersection(20, 5, range(13), r=1000)))
    True
    >>> zero = [c for c in fig.axes[0].collections if c.get_label().startswith("no neuron")][0]
    >>> zero.get_offsets()[:, 0].tolist()
    [4.0]
    """
    from sdmlib.geometry import expected_neurons_in_intersection

    apply_style()
    dv_grid, mean, se = (np.asarray(v, dtype=float) for v in (dv_grid, mean, se))
    powered = np.ones(dv_grid.shape, bool) if powered is None else np.asarray(powered, bool)
    fig, ax = figure()
    colour = OKABE_ITO["vermillion"]
    k = np.arange(2 * d + 3)
    curve = expected_neurons_in_intersection(n, d, k, r=r)
    lower = 2 * np.asarray(se)
    for mask, face, label in ((powered, colour, f"simulated mean ± 2 SE ({draws} draws), tested"),
                              (~powered, "white", "simulated mean ± 2 SE, too few hits to test")):
        show = mask & (mean > 0)
        if show.any():
            ax.errorbar(dv_grid[show], mean[show], yerr=[np.minimum(lower[show], 0.999 * mean[show]), lower[show]],
                        linestyle="none", marker="o", color=colour, markerfacecolor=face, label=label)
    floor = 0.3 * curve[curve > 0].min()
    zero = mean <= 0
    ax.scatter(dv_grid[zero], np.full(zero.sum(), floor), marker="v", color=colour, clip_on=False, zorder=3,
               label="no neuron in any draw (mean 0)")
    ax.plot(k, curve, drawstyle="steps-mid", color=OKABE_ITO["black"],
            linestyle="-", label=r"formula $r\,c_{n,d}(d_v)/2^n$")
    ax.set_yscale("log")
    ax.set_ylim(bottom=floor)
    ax.set_xlabel(r"Hamming distance $d_v$ between query and pattern address (bits)")
    ax.set_ylabel("neurons in both circles")
    ax.set_title(f"Random neurons vs the circle intersection, n = {n}, r = {r}, d = {d}")
    ax.legend(loc="lower left")
    return fig


# --------------------------------------------------------------------------------------------
# The continuous intersection
# --------------------------------------------------------------------------------------------

def cap_monte_carlo_figure(n: int, d: int, x_grid, mc, se):
    """Two caps on ``S^{n-1}``: the factor-2 formula, the original's ``× e²/2``, Monte Carlo.

    Parameters
    ----------
    n, d : int
        Dimension and Hamming-equivalent radius (cap threshold ``cos θ = 1 - 2d/n``).
    x_grid, mc, se : array_like
        Cosines of the Monte-Carlo check, its estimated fractions and their standard errors.

    Examples
    --------
    >>> from sdmlib.geometry import cap_intersection
    >>> fig = cap_monte_carlo_figure(16, 4, [0.5, 0.9], [0.002, 0.01], [1e-4, 1e-4])
    >>> ours, original = fig.axes[0].get_lines()[:2]
    >>> bool(np.allclose(ours.get_ydata(), cap_intersection(16, 4, ours.get_xdata(), r=1)))
    True
    >>> inside = ours.get_ydata() > 0
    >>> bool(np.allclose(original.get_ydata()[inside] / ours.get_ydata()[inside], np.e**2 / 2))
    True
    """
    from sdmlib.geometry import cap_intersection

    apply_style()
    c = 1 - 2 * d / n
    fig, ax = figure()
    xs = np.linspace(-0.6, 1.0, 200)
    ours = cap_intersection(n, d, xs, r=1)
    ax.plot(xs, ours, color=ALGORITHM_STYLES["continuous_sdm"]["color"], linestyle="-",
            label="cap intersection, factor 2 (sdmlib)")
    ax.plot(xs, ours * math.e**2 / 2, color=ALGORITHM_STYLES["approximation"]["color"], linestyle="--",
            label=r"original code ($\times e^2/2$)")
    ax.errorbar(x_grid, mc, yerr=2 * np.asarray(se), linestyle="none", marker="o", color=OKABE_ITO["black"],
                label="Monte Carlo (± 2 SE)")
    ax.axvline(2 * c**2 - 1, color=_GREY, linestyle=":", label=r"support edge $x=\cos 2\theta$")
    ax.set_xlabel(r"cosine similarity $x$ of the cap centres")
    ax.set_ylabel("fraction of the sphere in both caps")
    ax.set_title(f"Two caps on $S^{{{n - 1}}}$, n = {n}, d = {d} (cos θ = {c:g}), r = 1")
    ax.legend(loc="upper left")
    return fig


def binary_vs_caps_figure(ns=(64, 1000, 10_000), p: float = 1e-3):
    """Binary circles against caps at the radius holding the fraction ``p``, for several ``n``.

    Left: the normalised curves ``log10 I(x)/I(1)`` (binary: solid, filled markers; caps:
    dashed, open markers), with ``r = 2^n``. Right: ``log10`` of caps over binary on the
    binary grid ``x = 1 - 2 d_v/n``. The dimensions differ in colour and marker. At a fixed
    ``p`` the curves of large ``n`` lie on top of each other, so the largest ``n`` is drawn as
    a wide pale band beneath the others and the markers of the dimensions are staggered.

    Examples
    --------
    >>> from sdmlib.geometry import cap_intersection, expected_neurons_in_intersection
    >>> fig = binary_vs_caps_figure(ns=(64, 100))
    >>> left, right = fig.axes
    >>> len(left.get_lines()), len(right.get_lines())      # binary + caps per n; ratio per n (+ zero line)
    (4, 3)
    >>> line = right.get_lines()[1]                        # n = 100, d = 35
    >>> x = line.get_xdata(); dv = np.rint(100 * (1 - x) / 2).astype(int)
    >>> expected = cap_intersection(100, 35, x, log=True) - expected_neurons_in_intersection(100, 35, dv, log=True)
    >>> bool(np.allclose(line.get_ydata(), expected / np.log(10)))
    True
    """
    from sdmlib.geometry import cap_intersection, expected_neurons_in_intersection, hamming_radius_for_fraction

    apply_style()
    fig, (ax, ax2) = figure(1, 2)
    handles = []
    for i, n in enumerate(ns):
        style = series_style(i)
        colour, marker = style["color"], style["marker"]
        # the largest n is drawn as a wide, pale band under the others: at a fixed p the
        # normalised curves of large n coincide, and the band keeps both visible
        wide = dict(linewidth=4.0, alpha=0.45, zorder=1) if i == len(ns) - 1 and len(ns) > 1 else {}
        d = int(hamming_radius_for_fraction(n, p))
        dv = np.arange(0, 2 * d + 1, max(1, n // 200))
        x_b = 1 - 2 * dv / n
        lb = expected_neurons_in_intersection(n, d, dv, log=True)
        x_c = np.linspace(2 * (1 - 2 * d / n) ** 2 - 1 + 1e-6, 1, 120)
        lc = cap_intersection(n, d, x_c, log=True)
        marks = dict(color=colour, marker=marker, markeredgecolor=colour)
        ax.plot(x_b, (lb - lb[0]) / np.log(10), **marks, linestyle="-", **wide,
                markevery=_every(x_b.size, 7, i * x_b.size // 21))
        ax.plot(x_c, (lc - lc[-1]) / np.log(10), **marks, linestyle="--", markerfacecolor="white", **wide,
                markevery=_every(x_c.size, 7, i * x_c.size // 21))
        lc_b = cap_intersection(n, d, x_b, log=True)
        ax2.plot(x_b, (lc_b - lb) / np.log(10), **marks, linestyle="-", **wide,
                 markevery=_every(x_b.size, 7, i * x_b.size // 21))
        handles.append(Line2D([], [], **marks, linestyle="-", label=f"n = {n}, d = {d}",
                              **{k: v for k, v in wide.items() if k != "zorder"}))
    handles += [Line2D([], [], color=OKABE_ITO["black"], marker="o", linestyle="-", label="binary circles (left)"),
                Line2D([], [], color=OKABE_ITO["black"], marker="o", markerfacecolor="white", linestyle="--",
                       label="caps (left)")]
    ax.set_xlabel("cosine similarity $x$ of the centres")
    ax.set_ylabel(r"$\log_{10}\, I(x) / I(1)$")
    ax.set_ylim(-30, 1)
    ax.set_title("normalised intersections")
    ax2.axhline(0, color=_GREY, linewidth=0.8)
    ax2.set_xlabel("cosine similarity $x = 1 - 2d_v/n$")
    ax2.set_ylabel(r"$\log_{10}\, I_{\mathrm{caps}}(x) / I_{\mathrm{binary}}(x)$")
    ax2.set_title("caps over binary")
    fig.suptitle(f"Binary circles vs caps at the radius with p ≈ {p:g}, r = $2^n$")
    fig.legend(handles=handles, loc="outside lower center", ncols=3)
    return fig


# --------------------------------------------------------------------------------------------
# Why the circle intersection looks exponential
# --------------------------------------------------------------------------------------------

def approximations_figure(n: int = 1000, fractions=(1e-13, 1e-7, 1e-4, 1e-2), dv_max: int = 100):
    """Exact intersection, largest summand, its exponential fit, Gaussian and Taylor forms.

    One panel per space fraction ``p`` (radius: the smallest ``d`` with ``p(d) ≥ p``), at
    ``r = 1`` (fractions of the space) and ``d_v = 1..dv_max``. The exponential is fitted to
    ``log S_max`` by least squares over ``d_v = 1..d`` (the original's choice); its ``β`` is
    in each panel's title. Panels in rows of two, one legend below.

    Examples
    --------
    >>> from sdmlib.bounds import gaussian_summand
    >>> fig = approximations_figure(100, fractions=(1e-3, 1e-2), dv_max=20)
    >>> len(fig.axes), [len(ax.get_lines()) for ax in fig.axes]
    (2, [5, 5])
    >>> gauss = fig.axes[1].get_lines()[3]
    >>> bool(np.allclose(gauss.get_ydata(), gaussian_summand(100, 38, np.arange(1, 21), r=1)))
    True
    """
    from sdmlib.beta import log_linear_fit
    from sdmlib.bounds import gaussian_summand, largest_summand, taylor_summand
    from sdmlib.geometry import hamming_radius_for_fraction, log_hamming_ball_intersection

    apply_style()
    rows = (len(fractions) + 1) // 2
    fig, axes = figure(rows, 2, sharex=True)
    axes = np.reshape(axes, (rows, 2))
    dv = np.arange(1, dv_max + 1)
    every = _every(dv.size, 8)
    labels = {"exact": "exact $I$", "smax": r"largest summand $S_{\max}$",
              "fit": r"exponential fit to $S_{\max}$, $d_v=1..d$", "gauss": "Gaussian $G$", "taylor": "Taylor $T$"}
    for ax, p in zip(axes.ravel(), fractions):
        d = int(hamming_radius_for_fraction(n, p))
        w = np.arange(1, d + 1)
        b, c = log_linear_fit(1 - 2 * w / n, largest_summand(n, d, w, r=1, log=True))
        curves = {"exact": np.exp(log_hamming_ball_intersection(n, d, dv) - n * np.log(2)),
                  "smax": largest_summand(n, d, dv, r=1),
                  "fit": np.exp(b * (1 - 2 * dv / n) + c),
                  "gauss": gaussian_summand(n, d, dv, r=1),
                  "taylor": taylor_summand(n, d, dv, r=1)}
        for j, (key, y) in enumerate(curves.items()):
            ax.plot(dv, y, **BOUND_STYLES[key], markevery=(every[0] + j * every[1] // 5, every[1]), label=labels[key])
        ax.set_yscale("log")
        ax.set_title(rf"$d={d}$ ($p\geq10^{{{int(round(np.log10(p)))}}}$), fit $\beta={b:.1f}$")
    for ax in axes.ravel()[len(fractions):]:
        ax.set_axis_off()
    for ax in axes[-1]:
        ax.set_xlabel(r"Hamming distance $d_v$ (bits)")
    for ax in axes[:, 0]:
        ax.set_ylabel("fraction of the space")
    fig.suptitle(f"Approximations of the circle intersection, n = {n}, r = 1")
    handles, lab = axes.ravel()[0].get_legend_handles_labels()
    fig.legend(handles, lab, loc="outside lower center", ncols=3)
    return fig


def bounds_figure(n: int = 64, d: int = 11, dv_max: int = 32):
    """The original's "lower and upper bounds" beside the true bounds ``S_max ≤ I ≤ N_sum S_max``.

    At ``r = 1``, ``d_v = 1..dv_max``; the true bounds (shaded band) and the exact curve are
    drawn on the support ``d_v ≤ 2d``, the Gaussian and the constant-prefactor Taylor curves
    everywhere (they stay positive beyond ``2d``, marked by a vertical line).

    Examples
    --------
    >>> from sdmlib.bounds import gaussian_count_approximation
    >>> fig = bounds_figure(20, 4, 12)
    >>> exact, gauss, upper = fig.axes[0].get_lines()[:3]      # N_sum G, the original's "upper bound"
    >>> bool(np.allclose(upper.get_ydata(), gaussian_count_approximation(20, 4, np.arange(1, 9), r=1)))
    True
    """
    from sdmlib.bounds import (constant_prefactor_approximations, count_times_largest_summand,
                               gaussian_count_approximation, gaussian_summand, largest_summand)
    from sdmlib.geometry import log_hamming_ball_intersection

    apply_style()
    dv = np.arange(1, dv_max + 1)
    inside = dv <= 2 * d
    exact = np.exp(log_hamming_ball_intersection(n, d, dv) - n * np.log(2))
    lo_t, hi_t = constant_prefactor_approximations(n, d, dv, r=1, exponent="taylor")
    fig, ax = figure(height=4.2)
    ax.fill_between(dv[inside], largest_summand(n, d, dv, r=1)[inside],
                    count_times_largest_summand(n, d, dv, r=1)[inside], color=BOUND_STYLES["count"]["color"],
                    alpha=0.35, linewidth=0, label=r"true bounds $S_{\max}\leq I\leq N_{\rm sum}S_{\max}$")
    ax.plot(dv[inside], exact[inside], **BOUND_STYLES["exact"], label="exact $I$")
    ax.plot(dv, gaussian_summand(n, d, dv, r=1), **BOUND_STYLES["gauss"], markevery=(1, 3),
            label='Gaussian $G$ (original "lower bound")')
    ax.plot(dv[inside], gaussian_count_approximation(n, d, dv, r=1)[inside], **BOUND_STYLES["gcount"],
            markevery=(0, 3), label=r'$N_{\rm sum}G$ (original "upper bound")')
    ax.plot(dv, lo_t, **BOUND_STYLES["tconst"], markevery=(2, 4), label="Taylor exponential, constant prefactors")
    ax.plot(dv, hi_t, **BOUND_STYLES["tconst"], markevery=(2, 4))
    ax.axvline(2 * d, color=_GREY, linewidth=0.8)
    ax.annotate(r"$d_v=2d$", (2 * d, 1), xycoords=("data", "axes fraction"), xytext=(3, -3),
                textcoords="offset points", va="top", fontsize="small")
    ax.set_yscale("log")
    ax.set_xlabel(r"Hamming distance $d_v$ (bits)")
    ax.set_ylabel("fraction of the space")
    ax.set_title(f"Approximations and true bounds, n = {n}, d = {d}, r = 1")
    fig.legend(loc="outside lower center", ncols=2)
    return fig


def approximation_ratios_figure(cases=((64, 5), (64, 11), (64, 15), (64, 27), (1000, 451))):
    """Approximation over exact intersection on the full support ``d_v = 1..2d``, per ``(n, d)``.

    ``G/I``, ``N_sum G/I``, ``T/I`` and ``S_max/I`` on a shared log axis; panels in rows of
    two, the legend in the free cell (or below).

    Examples
    --------
    >>> from sdmlib.bounds import taylor_summand
    >>> from sdmlib.geometry import log_hamming_ball_intersection
    >>> fig = approximation_ratios_figure(((20, 4), (30, 9), (40, 12)))
    >>> panels = [ax for ax in fig.axes if ax.get_lines()]
    >>> len(panels), [len(ax.get_lines()) for ax in panels]        # 4 ratios and the line at 1
    (3, [5, 5, 5])
    >>> t = panels[1].get_lines()[2]; dv = np.arange(1, 19)
    >>> bool(np.allclose(t.get_ydata(), np.exp(taylor_summand(30, 9, dv, log=True) - log_hamming_ball_intersection(30, 9, dv))))
    True
    """
    from sdmlib.bounds import gaussian_count_approximation, gaussian_summand, largest_summand, taylor_summand
    from sdmlib.geometry import log_hamming_ball_intersection

    apply_style()
    rows = (len(cases) + 2) // 2
    fig, axes = figure(rows, 2, sharey=True, height=2.3 * rows + 0.2)
    axes = np.reshape(axes, (rows, 2))
    ratios = [(gaussian_summand, "gauss", "$G/I$"), (gaussian_count_approximation, "gcount", r"$N_{\rm sum}G/I$"),
              (taylor_summand, "taylor", "$T/I$"), (largest_summand, "smax", r"$S_{\max}/I$")]
    flat = axes.ravel()
    for ax, (n, d) in zip(flat, cases):
        dv = np.arange(1, min(2 * d, n - 1) + 1)
        ex = log_hamming_ball_intersection(n, d, dv)
        every = _every(dv.size, 6)
        for j, (f, key, label) in enumerate(ratios):
            ax.plot(dv, np.exp(f(n, d, dv, log=True) - ex), **BOUND_STYLES[key],
                    markevery=(every[0] + j * every[1] // 4, every[1]), label=label)
        ax.axhline(1, color=OKABE_ITO["black"], linewidth=0.8)
        ax.set_yscale("log")
        ax.set_ylim(1e-2, 1e6)
        ax.set_title(f"n = {n}, d = {d}")
        ax.set_xlabel(r"$d_v$ (bits), full support $1..2d$")
    for ax in axes[:, 0]:
        ax.set_ylabel("approximation / exact")
    legend_in_spare_panel(fig, flat, len(cases), ncols=4)
    return fig


def beta_vs_taylor_figure(radii, b_published, b_ols, b_taylor, *, n: int = 64):
    """Regression ``β`` (as published and OLS) against 1, 2 and 3 times the Taylor rate.

    Parameters
    ----------
    radii : array_like
        Hamming radii ``d``.
    b_published, b_ols, b_taylor : array_like
        The chapter's fitted ``β`` (the original's window and estimator; OLS on the paper's
        window) and ``(n - 2d)^2 / (4n)`` at each radius.

    Examples
    --------
    >>> fig = beta_vs_taylor_figure([5, 6], [30.0, 25.0], [28.0, 23.0], [11.0, 10.0])
    >>> [line.get_ydata().tolist() for line in fig.axes[0].get_lines()[2:]]
    [[11.0, 10.0], [22.0, 20.0], [33.0, 30.0]]
    """
    apply_style()
    fig, ax = figure()
    radii = np.asarray(radii)
    ax.plot(radii, b_published, **ALGORITHM_STYLES["softmax"], label=r"regression, $d_v=1..d$, as published (original)")
    ax.plot(radii, b_ols, **{**ALGORITHM_STYLES["binary_sdm"], "linestyle": "--"},
            label=r"regression, $d_v=0..d-1$, OLS")
    for k, ls in [(1, "-"), (2, "--"), (3, ":")]:
        label = r"$\beta_{\rm Taylor}=(n-2d)^2/(4n)$" if k == 1 else rf"${k}\,\beta_{{\rm Taylor}}$"
        ax.plot(radii, k * np.asarray(b_taylor), color=OKABE_ITO["black"], linestyle=ls, linewidth=1.1, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("Hamming radius $d$ (bits)")
    ax.set_ylabel(r"$\beta$ (cosine scale)")
    ax.set_title(f"Regression β vs Taylor rate, n = {n}, r = $2^{{{n}}}$")
    fig.legend(loc="outside lower center", ncols=2)
    return fig
