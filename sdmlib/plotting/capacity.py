r"""Figures of the critical distance and of the read variance (:mod:`sdmlib.capacity`, :mod:`sdmlib.jaeckel`).

Used by the chapters *Critical distance* and *The noise of a read, and Jaeckel's
alternative designs*. Every function returns a pyplot-free
:class:`matplotlib.figure.Figure` of the book's width (:func:`sdmlib.plotting.figure`);
the chapters compute (and simulate) what is random, the functions here compute the
deterministic model curves from :mod:`sdmlib.capacity` and :mod:`sdmlib.jaeckel`.

The same model has the same style in every figure of both chapters (:data:`MODEL_STYLES`):
colour, marker and line style, so that no legend relies on colour alone.

Examples
--------
Every style differs from every other one of its figure in marker or line style as well
as in colour:

>>> shapes = {(s["color"], s["marker"], str(s["linestyle"])) for s in MODEL_STYLES.values()}
>>> len(shapes) == len(MODEL_STYLES)
True
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
from matplotlib.ticker import MaxNLocator

from sdmlib.capacity import (VARIANCE_MODELS, convergence_map, critical_distance, optimal_radius_snr,
                             read_variance)
from sdmlib.geometry import expected_neurons_in_intersection, hamming_radius_for_fraction, space_fraction
from sdmlib.jaeckel import JAECKEL_DESIGNS, jaeckel_intersection, jaeckel_read_variance
from sdmlib.plotting import (ALGORITHM_STYLES, LINESTYLES, OKABE_ITO, apply_style, figure, legend_below,
                             plain_log_ticks, power_text, radius_style, series_style)

__all__ = [
    "MODEL_STYLES", "VARIANCE_LABELS", "MAP_LABELS",
    "one_step_map_figure", "critical_distance_vs_radius_figure", "kanerva_memory_figure",
    "critical_distance_r_m_figure", "critical_distance_dimension_figure", "one_read_figure",
    "finite_neuron_read_figure", "intersection_simulation_figure", "read_noise_figure",
    "read_weights_figure", "jaeckel_variance_figure", "labelled_lines",
]

_DASHDOTDOT = (0, (5, 1, 1, 1, 1, 1))

#: One style per model or series of these two chapters (colour, marker and line style).
MODEL_STYLES = {
    # a simulated memory: black points
    "simulation": dict(color=OKABE_ITO["black"], marker="o", linestyle="none"),
    "simulation_curve": dict(color=OKABE_ITO["black"], marker="o", linestyle="-"),
    # the four variance models of read_variance (the reconstruction uses "jaeckel")
    "jaeckel": dict(color=OKABE_ITO["vermillion"], marker="v", linestyle="-"),
    "binomial": dict(color=OKABE_ITO["blue"], marker="s", linestyle="--"),
    "original": dict(color=OKABE_ITO["orange"], marker="D", linestyle="-."),
    "kanerva": dict(color=OKABE_ITO["purple"], marker="^", linestyle=":"),
    # exact per-bit model (method="exact") and exact formulas
    "exact": dict(color=OKABE_ITO["green"], marker="P", linestyle=_DASHDOTDOT),
    # the integer conventions of the critical distance ("interpolated" is the "jaeckel" style)
    "last_converging": dict(color=OKABE_ITO["sky_blue"], marker="o", linestyle="-"),
    "first_failing": dict(color=OKABE_ITO["purple"], marker="^", linestyle="--"),
    # readings taken from the original's figures: open black squares
    "reading": dict(color=OKABE_ITO["black"], marker="s", linestyle="none", markerfacecolor="none"),
    # Jaeckel's two designs
    "selected": dict(color=OKABE_ITO["vermillion"], marker="D", linestyle="-"),
    "hyperplane": dict(color=OKABE_ITO["purple"], marker="X", linestyle="-."),
}

#: Legend labels of the Gaussian one-step maps, by variance model.
MAP_LABELS = {
    "jaeckel": "Gaussian, cross-talk at n/2",
    "binomial": "Gaussian, averaged cross-talk",
}

#: Legend labels of the variance models.
VARIANCE_LABELS = {
    "kanerva": "Kanerva (constant)",
    "jaeckel": "cross-talk at n/2 (reconstruction)",
    "binomial": "binomial average (exact)",
    "original": "original's old model",
}

_IDENTITY = dict(color=OKABE_ITO["grey"], linestyle=":", linewidth=1.2)


def labelled_lines(ax) -> dict:
    """``{legend label: Line2D}`` of ``ax``: its labelled lines, and the data line of each error bar.

    Legend order (matplotlib lists plain lines before error bars); error-bar caps and unlabelled
    helpers are left out.
    """
    from matplotlib.container import ErrorbarContainer

    out = {}
    for handle, label in zip(*ax.get_legend_handles_labels()):
        out[label] = handle.lines[0] if isinstance(handle, ErrorbarContainer) else handle
    return out


_PAPER_RADII = (5, 9, 11, 15, 19, 27)


def _radius_style(d: int) -> dict:
    """:func:`sdmlib.plotting.radius_style` plus a line style fixed per radius (the same in every panel)."""
    d = int(d)
    i = _PAPER_RADII.index(d) if d in _PAPER_RADII else d
    return dict(radius_style(d), linestyle=LINESTYLES[i % len(LINESTYLES)])


def _style(key: str, **extra) -> dict:
    out = dict(MODEL_STYLES[key])
    out.update(extra)
    return out


# ----------------------------------------------------------------------------------------------
# critical distance
# ----------------------------------------------------------------------------------------------
def one_step_map_figure(n: int = 64, radii: Sequence[int] = (11, 15, 19), m: float = 1024, r: Any = 2**64,
                        big: tuple[int, int, float, Any] = (1000, 451, 1e4, 10**6),
                        variances: Sequence[str] = ("jaeckel", "original")):
    r"""The one-step map :math:`d_{new}(x)` of :func:`sdmlib.capacity.convergence_map`, two panels.

    Left: ``n``, ``m``, ``r`` for each radius of ``radii`` on ``x = 0..n/2``. Right: the
    memory ``big = (n, d, m, r)`` on ``x = 0..n/2`` for each variance model of ``variances``.
    Both with the identity :math:`y = x`: a query converges where the map lies below it.

    Examples
    --------
    >>> fig = one_step_map_figure()
    >>> left, right = fig.axes
    >>> len(left.get_lines()), len(right.get_lines())      # 3 radii + y = x, 2 models + y = x
    (4, 3)
    >>> bool(np.allclose(left.get_lines()[1].get_ydata(), convergence_map(64, 15, 1024, 2**64, np.arange(33))))
    True
    """
    apply_style()
    fig, (a1, a2) = figure(1, 2)
    x = np.arange(0, n // 2 + 1)
    for d in radii:
        a1.plot(x, convergence_map(n, int(d), m, r, x), drawstyle="steps-mid", markevery=2,
                **_radius_style(int(d)), label=f"d = {d}")
    a1.plot(x[[0, -1]], x[[0, -1]], **_IDENTITY, label="$y = x$")
    a1.set(xlabel="query distance $x$ (bits)", ylabel="expected distance after a read (bits)",
           title=f"$n = {n}$, $m = {m:g}$, $r = {power_text(r)}$")
    a1.legend(loc="upper left")
    nb, db, mb, rb = big
    xb = np.arange(0, nb // 2 + 1)
    for var in variances:
        a2.plot(xb, convergence_map(nb, db, mb, rb, xb, variance=var), markevery=50,
                **_style(var), label=VARIANCE_LABELS[var].replace(" (reconstruction)", ""))
    a2.plot(xb[[0, -1]], xb[[0, -1]], **_IDENTITY, label="$y = x$")
    a2.set(xlabel="query distance $x$ (bits)",
           title=f"$n = {nb}$, $d = {db}$, $m = {power_text(mb)}$, $r = {power_text(rb)}$")
    a2.legend(loc="lower right")
    return fig


def critical_distance_vs_radius_figure(curves: Sequence[tuple],
                                       readings: Mapping[int, float] | None = None, *,
                                       n: int, m: float, r: Any, xlim: tuple[float, float] | None = None,
                                       title: str = ""):
    r"""Critical distance against the radius for several models, with the original's readings.

    ``curves``: ``(label, style, radii, critical_distances)`` with ``style`` a key of
    :data:`MODEL_STYLES`, optionally followed by ``(low, high)`` arrays of a confidence
    interval, drawn as error bars; ``readings``: ``{d: value}`` read off the original's
    figure (≈), drawn as open squares.

    Examples
    --------
    >>> from sdmlib.capacity import optimal_radius_critical_distance
    >>> _, rad, cd = optimal_radius_critical_distance(64, 1024, 2**64, return_all=True)
    >>> fig = critical_distance_vs_radius_figure([("last converging", "last_converging", rad, cd)],
    ...                                          {15: 31}, n=64, m=1024, r=2**64)
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['last converging', "original's figure (≈)"]
    >>> float(fig.axes[0].get_lines()[0].get_ydata()[15])        # no cross-talk: CD = 2d
    30.0
    >>> fig = critical_distance_vs_radius_figure([("sim", "simulation_curve", [1, 2], [2.0, 3.0], [1.5, 2.5],
    ...                                            [2.5, 3.5])], n=64, m=1024, r=None)
    >>> seg = fig.axes[0].collections[0].get_segments()                 # the error bars
    >>> [(float(s[0][1]), float(s[1][1])) for s in seg]
    [(1.5, 2.5), (2.5, 3.5)]
    """
    apply_style()
    fig, ax = figure()
    for curve in curves:
        label, style, rad, cd = curve[:4]
        if len(curve) == 6:
            cd = np.asarray(cd, dtype=float)
            err = np.vstack([cd - np.asarray(curve[4]), np.asarray(curve[5]) - cd])
            ax.errorbar(rad, cd, yerr=err, **_style(style), capsize=2, label=label)
        elif len(curve) == 4:
            ax.plot(rad, cd, **_style(style), label=label)
        else:
            raise ValueError(f"a curve is (label, style, radii, cd[, low, high]), got {len(curve)} items")
    if readings:
        ax.plot(list(readings), list(readings.values()), **_style("reading", markersize=6),
                label="original's figure (≈)")
    ax.set(xlabel="Hamming radius $d$ (bits)", ylabel="critical distance (bits)",
           title=title or f"$n = {n}$, $m = {m:g}$, " + ("one neuron per address" if r is None
                                                          else f"$r = {power_text(r)}$"))
    if xlim is not None:
        ax.set_xlim(*xlim)
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.legend(loc="outside lower center", ncols=2)
    return fig


def kanerva_memory_figure(radii: Any, cds: Any, d_snr: int, *, n: int = 1000, m: float = 1e4, r: Any = 10**6,
                          band: Any = None):
    r"""Kanerva's memory: critical distance against the radius (top) and the space fraction (bottom).

    ``radii``, ``cds``: the critical distances computed by the chapter; ``d_snr``: the
    SNR-optimal radius (a vertical line). The bottom panel computes
    :func:`sdmlib.capacity.critical_distance` on the wider ``band`` of radii (default
    ``380..520``) and plots it against :math:`p(d)` on a log axis.

    Examples
    --------
    >>> rad = np.arange(440, 457, 4)
    >>> cds = [critical_distance(1000, int(d), 1e4, 10**6) for d in rad]
    >>> fig = kanerva_memory_figure(rad, cds, 448, band=np.arange(440, 457, 8))
    >>> top, bottom = fig.axes
    >>> top.get_lines()[0].get_ydata().tolist() == cds, bottom.get_xscale()
    (True, 'log')
    """
    apply_style()
    band = np.arange(380, 521) if band is None else np.asarray(band)
    fig, (a1, a2) = figure(2, 1)
    a1.plot(radii, cds, **_style("jaeckel", markersize=3), label="critical distance (reconstruction)")
    a1.axvline(d_snr, color=OKABE_ITO["blue"], linestyle="--", label=f"$d^*_{{SNR}} = {d_snr}$")
    a1.set(xlabel="Hamming radius $d$ (bits)", ylabel="critical distance (bits)",
           title=f"$n = {n}$, $m = {power_text(m)}$, $r = {power_text(r)}$")
    a1.set_ylim(bottom=0)
    a1.legend(loc="center right")
    a2.plot(space_fraction(n, band), [critical_distance(n, int(d), m, r) for d in band],
            **_style("jaeckel", markersize=2.5))
    a2.set(xscale="log", xlabel="space fraction $p(d)$ of one circle", ylabel="critical distance (bits)",
           title=f"the same against $p(d)$, $d = {int(band[0])}..{int(band[-1])}$")
    a2.set_ylim(bottom=0)
    return fig


def critical_distance_r_m_figure(n: int = 64, m: float = 1024, r: Any = 2**64,
                                 radii: Sequence[int] = (5, 9, 11, 15, 19, 27), extra: tuple[int, float] = (15, 1e4),
                                 m_radii: Sequence[int] = (11, 15, 19), rs: Any = None, ms: Any = None):
    r"""Critical distance against the number of neurons ``r`` (top) and of patterns ``m`` (bottom).

    Top: for each radius of ``radii`` at ``m`` patterns, and ``extra = (d, m')`` dashed;
    bottom: each radius of ``m_radii`` at ``r`` neurons. Both from
    :func:`sdmlib.capacity.critical_distance`, on log axes (default ``r = 10^4..10^20``,
    ``m = 1..10^8``).

    Examples
    --------
    >>> fig = critical_distance_r_m_figure(radii=(5, 15), m_radii=(15,), rs=[1e4, 1e20], ms=[1, 1e8])
    >>> top, bottom = fig.axes
    >>> len(top.get_lines()), len(bottom.get_lines())
    (3, 1)
    >>> top.get_lines()[1].get_ydata().tolist()          # d = 15 saturates at 2d
    [0, 30]
    """
    apply_style()
    rs = np.logspace(4, 20, 60) if rs is None else np.asarray(rs, dtype=float)
    ms = np.logspace(0, 8, 60) if ms is None else np.asarray(ms, dtype=float)
    fig, (a1, a2) = figure(2, 1)
    for d in radii:
        a1.plot(rs, [critical_distance(n, int(d), m, float(v)) for v in rs], markevery=6,
                **_radius_style(int(d)), label=f"d = {d}")
    de, me = extra
    a1.plot(rs, [critical_distance(n, int(de), me, float(v)) for v in rs], markevery=(3, 6),
            **{**_radius_style(int(de)), "marker": "x", "linestyle": "none"}, label=f"d = {de}, $m = {power_text(me)}$")
    a1.set(xscale="log", xlabel="neurons $r$", ylabel="critical distance (bits)",
           title=f"against $r$: $n = {n}$, $m = {m:g}$ (unless stated)")
    for d in m_radii:
        a2.plot(ms, [critical_distance(n, int(d), float(v), r) for v in ms], markevery=6,
                **_radius_style(int(d)), label=f"d = {d}")
    a2.set(xscale="log", xlabel="stored patterns $m$", ylabel="critical distance (bits)",
           title=f"against $m$: $n = {n}$, $r = {power_text(r)}$")
    legend_below(fig, (a1, a2), ncols=4)
    return fig


def critical_distance_dimension_figure(ns: Any, cd_snr: Any, cd_p3: Any, *, m: float = 1e4, r: Any = 10**6,
                                       dims: Sequence[int] = (100, 1000, 10000), points: int = 60):
    r"""Critical distance as a fraction of ``n``: against ``n`` (top), against ``p(d)`` (bottom).

    Top: the chapter's ``cd_snr`` (at :math:`d^*_{SNR}`) and ``cd_p3`` (at
    :math:`p(d)\approx10^{-3}`) for the dimensions ``ns``. Bottom: for each of ``dims``,
    :func:`sdmlib.capacity.critical_distance` / n on about ``points`` radii with
    :math:`10^{-9} \le p(d) \le 10^{-1}`.

    Examples
    --------
    >>> fig = critical_distance_dimension_figure([100, 200], [0.2, 0.25], [0.1, 0.15], dims=(100,), points=5)
    >>> top, bottom = fig.axes
    >>> top.get_lines()[0].get_ydata().tolist(), len(bottom.get_lines())
    ([0.2, 0.25], 1)
    """
    apply_style()
    fig, (a1, a2) = figure(2, 1)
    a1.plot(ns, cd_snr, **_style("jaeckel"), label="at $d^*_{SNR}$")
    a1.plot(ns, cd_p3, **_style("binomial", color=OKABE_ITO["blue"]), label=r"at $p(d)\approx10^{-3}$")
    a1.set(xscale="log", xlabel="dimension $n$", ylabel="critical distance / $n$",
           title=f"$m = {power_text(m)}$, $r = {power_text(r)}$")
    a1.set_ylim(bottom=0)
    a1.legend(loc="lower left")
    for i, k in enumerate(dims):
        lo, hi = hamming_radius_for_fraction(k, 1e-9), hamming_radius_for_fraction(k, 1e-1)
        rad = np.arange(lo, hi + 1, max(1, (hi - lo) // points))
        a2.plot(space_fraction(k, rad), [critical_distance(k, int(d), m, r) / k for d in rad],
                markersize=3, **series_style(i + 1), label=f"n = {k}")
    a2.set(xscale="log", xlabel="space fraction $p(d)$ of one circle", ylabel="critical distance / $n$",
           title=f"against $p(d)$: $m = {power_text(m)}$, $r = {power_text(r)}$")
    a2.set_ylim(bottom=0)
    a2.legend(loc="upper left")
    return fig


def _one_read_panel(ax, xs, mean, err, n, d, m, r, models=("jaeckel", "binomial")):
    ax.errorbar(xs, mean, yerr=err, **_style("simulation", markersize=3.5), capsize=2,
                label="simulated memory (mean ± 2 s.e.)")
    for var in models:
        ax.plot(xs, convergence_map(n, d, m, r, xs, variance=var), **_style(var, markersize=3.5),
                label=MAP_LABELS[var])
    ax.plot(xs[[0, -1]], xs[[0, -1]], **_IDENTITY, label="$y = x$")


def one_read_figure(xs: Any, sims: Mapping[int, Any], *, n: int = 64, m: float = 1024, r: Any = 2**64):
    r"""One read of a simulated memory against the Gaussian one-step maps, one panel per radius.

    ``sims``: ``{d: distances}`` with ``distances`` of shape ``(trials, len(xs))`` from
    :func:`sdmlib.capacity.simulate_convergence`; each panel shows their mean ± 2 s.e.,
    :func:`~sdmlib.capacity.convergence_map` with the reconstruction's variance and with
    the binomial one, and :math:`y = x`.

    Examples
    --------
    >>> xs = np.array([0, 10, 20])
    >>> fig = one_read_figure(xs, {15: np.zeros((3, 3)), 19: np.ones((3, 3))})
    >>> lines = labelled_lines(fig.axes[1])
    >>> len(lines), lines["simulated memory (mean ± 2 s.e.)"].get_ydata().tolist()
    (4, [1.0, 1.0, 1.0])
    >>> reconstruction = lines[MAP_LABELS["jaeckel"]].get_ydata()
    >>> bool(np.allclose(reconstruction, convergence_map(64, 19, 1024, 2**64, xs)))
    True
    >>> fig = one_read_figure(xs, {15: np.zeros((3, 3)), 19: np.ones((3, 3))}, r=None)
    >>> fig.texts[0].get_text()
    'One read, $n = 64$, $m = 1024$, one neuron per address'
    """
    apply_style()
    xs = np.asarray(xs)
    fig, axes = figure(1, 2, sharey=True)
    for ax, (d, sim) in zip(np.atleast_1d(axes), sims.items()):
        sim = np.asarray(sim, dtype=float)
        err = 2 * sim.std(0, ddof=1) / math.sqrt(sim.shape[0])
        _one_read_panel(ax, xs, sim.mean(0), err, n, int(d), m, r)
        ax.set(xlabel="query distance $x$ (bits)", title=f"$d = {d}$")
    np.atleast_1d(axes)[0].set_ylabel("distance after one read (bits)")
    fig.suptitle(f"One read, $n = {n}$, $m = {m:g}$, "
                 + ("one neuron per address" if r is None else f"$r = {power_text(r)}$"))
    legend_below(fig, axes)
    return fig


def finite_neuron_read_figure(xs: Any, mean: Any, se: Any, exact: Any, *, n: int, d: int, m: int, r: int):
    r"""One read of a memory with ``r`` random neurons: simulation, exact per-bit model, Gaussian maps.

    ``mean``, ``se``: the simulated distances after one read and their standard errors;
    ``exact``: :func:`sdmlib.capacity.convergence_map` with ``method="exact"`` (computed
    by the chapter). The Gaussian maps are computed here.

    Examples
    --------
    >>> xs = np.array([0, 8, 16])
    >>> exact = convergence_map(64, 24, 20, 300, xs, method="exact")
    >>> fig = finite_neuron_read_figure(xs, exact, 0 * exact, exact, n=64, d=24, m=20, r=300)
    >>> ax = fig.axes[0]
    >>> lines = labelled_lines(ax)
    >>> len(lines), bool(np.allclose(lines["exact per-bit model"].get_ydata(), exact))
    (5, True)
    """
    apply_style()
    xs = np.asarray(xs)
    fig, ax = figure()
    ax.errorbar(xs, mean, yerr=2 * np.asarray(se), **_style("simulation", markersize=3.5), capsize=2,
                label="simulated neuron SDM (mean ± 2 s.e.)")
    ax.plot(xs, exact, **_style("exact"), label="exact per-bit model")
    for var in ("jaeckel", "binomial"):
        ax.plot(xs, convergence_map(n, d, m, r, xs, variance=var), **_style(var, markersize=3.5),
                label=MAP_LABELS[var])
    ax.plot(xs[[0, -1]], xs[[0, -1]], **_IDENTITY, label="$y = x$")
    ax.set(xlabel="query distance $x$ (bits)", ylabel="distance after one read (bits)",
           title=f"One read, $n = {n}$, $d = {d}$, $m = {m}$, $r = {r}$")
    ax.legend(loc="lower right")
    return fig


# ----------------------------------------------------------------------------------------------
# variance of a read, Jaeckel's designs
# ----------------------------------------------------------------------------------------------
def intersection_simulation_figure(dv: Any, target_counts: Any, jitter: Any, mean: Any, se: Any, *,
                                   n: int, d: int, r: int):
    r"""Simulated neuron counts in both circles against the exact :math:`I(d_v)`.

    ``target_counts`` (epochs × distances) are drawn as a cloud, shifted by ``jitter``
    (same shape) so that the epochs can be seen; ``mean ± 2 se`` over the epochs, and
    :func:`sdmlib.geometry.expected_neurons_in_intersection` on ``d_v = 0..2d``.

    Examples
    --------
    >>> dv = np.array([0, 10])
    >>> counts = np.array([[80.0, 20.0], [90.0, 30.0]])
    >>> fig = intersection_simulation_figure(dv, counts, 0 * counts, counts.mean(0), [1, 1], n=100, d=35, r=10_000)
    >>> lines = fig.axes[0].get_lines()
    >>> bool(np.allclose(lines[-1].get_ydata(), expected_neurons_in_intersection(100, 35, np.arange(71), 10_000)))
    True
    """
    apply_style()
    dv = np.asarray(dv)
    counts = np.asarray(target_counts, dtype=float)
    epochs = counts.shape[0]
    fig, ax = figure()
    ax.plot((dv + np.asarray(jitter)).ravel(), counts.ravel(), ".", color=OKABE_ITO["grey"], markersize=2,
            alpha=0.4, label="one epoch")
    ax.errorbar(dv, mean, yerr=2 * np.asarray(se), **_style("simulation", markersize=5), capsize=3,
                label="simulated mean ± 2 s.e.")
    grid = np.arange(0, 2 * d + 1)
    ax.plot(grid, expected_neurons_in_intersection(n, d, grid, r), **_style("exact"), markevery=10,
            label="exact $I(d_v)$")
    ax.set(xlabel="distance $d_v$ of query and target (bits)", ylabel="neurons in both circles",
           title=f"Neuron intersection, $n = {n}$, $d = {d}$, $r = {r}$, {epochs} epochs")
    ax.legend(loc="upper right")
    return fig


def read_noise_figure(dv: Any, var_sim: Any, var_se: Any, mean_sim: Any, *, n: int, d: int, m: int, r: int,
                      models: Sequence[str] = VARIANCE_MODELS, grid_max: int = 60):
    r"""σ of the per-bit read sum (top) and the SNR mean/σ (bottom): simulation against the models.

    ``var_sim``, ``var_se``: the simulated variance and its standard error at ``dv``;
    ``mean_sim``: the simulated mean. Each model of ``models`` is
    :func:`sdmlib.capacity.read_variance` on ``d_v = 0..grid_max``, with its own colour,
    marker and line style (:data:`MODEL_STYLES`); the SNR is
    :math:`I(d_v)/\sigma` on a log axis.

    Examples
    --------
    >>> dv = np.array([0, 20])
    >>> v = read_variance(100, 35, dv, 100, 10_000, "binomial")
    >>> fig = read_noise_figure(dv, v, 0.1 * v, expected_neurons_in_intersection(100, 35, dv, 10_000),
    ...                         n=100, d=35, m=100, r=10_000)
    >>> top, bottom = fig.axes
    >>> lines = labelled_lines(top)
    >>> list(lines)      # the four models, then the simulation (error bars come last)
    ['Kanerva (constant)', 'cross-talk at n/2 (reconstruction)', 'binomial average (exact)', "original's old model", 'simulation (± 2 s.e.)']
    >>> bool(np.allclose(lines["binomial average (exact)"].get_ydata()[dv], np.sqrt(v)))
    True
    """
    apply_style()
    dv = np.asarray(dv)
    var_sim = np.asarray(var_sim, dtype=float)
    sd_sim = np.sqrt(var_sim)
    fig, (a1, a2) = figure(2, 1, sharex=True, height=6.0)
    # var_se / σ is twice the standard error of σ (delta method)
    a1.errorbar(dv, sd_sim, yerr=np.asarray(var_se) / sd_sim, **_style("simulation", markersize=5),
                capsize=3, zorder=5, label="simulation (± 2 s.e.)")
    a2.plot(dv, np.asarray(mean_sim) / sd_sim, **_style("simulation", markersize=5), zorder=5,
            label="simulation (± 2 s.e.)")
    grid = np.arange(0, grid_max + 1)
    signal = expected_neurons_in_intersection(n, d, grid, r)
    for i, model in enumerate(models):
        sd = np.sqrt(read_variance(n, d, grid, m, r, model))
        style = _style(model, markevery=(2 * i, 8), markersize=5)
        a1.plot(grid, sd, **style, label=VARIANCE_LABELS[model])
        a2.plot(grid, signal / sd, **style, label=VARIANCE_LABELS[model])
    a1.set(ylabel="σ of the per-bit read sum", title=f"Noise of a read, $n = {n}$, $d = {d}$, $m = {m}$, $r = {r}$")
    a1.set_ylim(bottom=0)
    a2.set(xlabel="distance $d_v$ of query and target (bits)", ylabel="SNR = mean / σ", yscale="log")
    legend_below(fig, (a1,))
    return fig


def read_weights_figure(dvs: Any, log_kanerva: Any, log_jaeckel: Any, beta_kanerva: float, beta_jaeckel: float, *,
                        n: int, r: Any, d: int, K: int, ylim: tuple[float, float] = (-90, 2)):
    r"""Log of the normalised read weights of Kanerva's and Jaeckel's memories, with fitted softmaxes.

    ``log_kanerva``, ``log_jaeckel``: log intersections at ``dvs`` (the curves are shifted
    to 0 at ``d_v = 0``); each softmax :math:`\beta x` is drawn as
    :math:`-2\beta d_v/n` (log weight relative to :math:`d_v = 0`).

    Examples
    --------
    >>> dvs = np.arange(0, 991)
    >>> lj = jaeckel_intersection(1000, 10, dvs, 10**6, log=True)
    >>> lk = expected_neurons_in_intersection(1000, 451, dvs, 10**6, log=True)
    >>> fig = read_weights_figure(dvs, lk, lj, 10.0, 5.0, n=1000, r=10**6, d=451, K=10)
    >>> lines = fig.axes[0].get_lines()
    >>> len(lines), bool(np.allclose(lines[1].get_ydata(), lj - lj[0]))
    (4, True)
    """
    apply_style()
    dvs = np.asarray(dvs)
    lk, lj = np.asarray(log_kanerva), np.asarray(log_jaeckel)
    fig, ax = figure()
    every = max(1, len(dvs) // 12)
    ax.plot(dvs, lk - lk[0], **ALGORITHM_STYLES["binary_sdm"], markevery=every, label=f"Kanerva, d = {d}")
    ax.plot(dvs, lj - lj[0], **MODEL_STYLES["selected"], markevery=(every // 2, every),
            label=f"Jaeckel, K = {K}")
    ax.plot(dvs, beta_kanerva * (-2 * dvs / n), color=OKABE_ITO["sky_blue"], marker="o", linestyle=":",
            markevery=every, label=f"softmax, β = {beta_kanerva:.1f} (fit to Kanerva's)")
    ax.plot(dvs, beta_jaeckel * (-2 * dvs / n), color=OKABE_ITO["orange"], marker="h", linestyle=":",
            markevery=(every // 2, every), label=f"softmax, β = {beta_jaeckel:.1f} (fit to Jaeckel's)")
    ax.set(xlabel="distance $d_v$ of query and pattern (bits)", ylabel="log of the normalised weight",
           title=f"Read weights, $n = {n}$, $r = {power_text(r)}$", ylim=ylim)
    ax.legend(loc="lower left")
    return fig


def jaeckel_variance_figure(dv: Any, sims: Mapping[str, tuple[Any, Any, Any]], *, n: int, K: int, m: int, r: int,
                            d: int, grid_max: int = 60):
    r"""Jaeckel's designs: σ of the read sum (top, log axis) and the signal (bottom), simulated and derived.

    ``sims``: ``{design: (variance, variance_se, mean_count)}`` at ``dv`` from
    :func:`sdmlib.jaeckel.simulate_jaeckel_read_sums`. Formulas:
    :func:`~sdmlib.jaeckel.jaeckel_read_variance`, :func:`~sdmlib.jaeckel.jaeckel_intersection`,
    and Kanerva's memory with radius ``d`` (binomial variance) for comparison.

    Examples
    --------
    >>> dv = np.array([0, 20])
    >>> sims = {g: (jaeckel_read_variance(100, 9, dv, 100, 10_000, g), np.ones(2),
    ...             jaeckel_intersection(100, 9, dv, 10_000)) for g in JAECKEL_DESIGNS}
    >>> fig = jaeckel_variance_figure(dv, sims, n=100, K=9, m=100, r=10_000, d=35)
    >>> top, bottom = fig.axes
    >>> len(labelled_lines(top)), len(labelled_lines(bottom)), top.get_yscale()
    (5, 4, 'log')
    """
    apply_style()
    dv = np.asarray(dv)
    grid = np.arange(0, grid_max + 1)
    fig, (a1, a2) = figure(2, 1, sharex=True, height=6.0)
    for design in JAECKEL_DESIGNS:
        v, v_se, mc = (np.asarray(a, dtype=float) for a in sims[design])
        pts = _style(design, linestyle="none", markersize=5)
        a1.errorbar(dv, np.sqrt(v), yerr=v_se / np.sqrt(v), **pts, capsize=3,   # ± 2 s.e. of σ
                    label=f"{design}: simulation (± 2 s.e.)")
        a1.plot(grid, np.sqrt(jaeckel_read_variance(n, K, grid, m, r, design)), **_style(design, marker="none"),
                label=f"{design}: formula")
        a2.plot(dv, mc, **pts, label=f"{design}: simulation (± 2 s.e.)")
    a1.plot(grid, np.sqrt(read_variance(n, d, grid, m, r, "binomial")), **_style("binomial"), markevery=6,
            label=f"Kanerva, d = {d} (binomial)")
    a2.plot(grid, jaeckel_intersection(n, K, grid, r), **_style("exact"), markevery=6,
            label="formula (both designs)")
    a2.plot(grid, expected_neurons_in_intersection(n, d, grid, r), **_style("binomial"), markevery=6,
            label=f"Kanerva, d = {d} (binomial)")
    a1.set(ylabel="σ of the per-bit read sum", yscale="log",
           title=f"Jaeckel's designs, $n = {n}$, $K = {K}$, $m = {m}$, $r = {r}$")
    plain_log_ticks(a1.yaxis)
    a2.set(xlabel="distance $d_v$ of query and target (bits)", ylabel="neurons active for both (signal)")
    legend_below(fig, (a1, a2))
    return fig
