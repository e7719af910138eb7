"""The book's figure policy and shared figure conventions.

Only the book (and a researcher's own plots) import this package; the computational
modules never plot. Chapter-specific figures live in submodules named after the concept
they show (``sdmlib.plotting.recall`` for recall curves, ...); each returns a
:class:`matplotlib.figure.Figure` and never calls ``pyplot.show``.

**Figure policy** (what every figure of the book follows):

* *Width.* A figure is drawn :data:`FIGURE_WIDTH` = 6.0 inches wide and shown at the
  784 px width of the text column, i.e. 1 pt ≈ 1.8 px on a desktop and ≈ 0.8 px on a
  390 px phone (≈ 360 px of column). Fonts are set for that: 10 pt text (18 px / 8 px),
  9 pt ticks and legends. At most two panels side by side; more panels wrap into rows.
* *Resolution.* PNG at :data:`PNG_DPI` = 260 dpi, so a full-width figure is ≈ 1560 px:
  two device pixels per CSS pixel in the column (sharp on high-density screens).
* *Colour and shape.* The Okabe–Ito palette (colour-blind safe), and every series also
  differs by marker or line style (:data:`ALGORITHM_STYLES`, :func:`series_style`,
  :func:`radius_style`), so that no legend relies on colour alone. The same algorithm
  has the same colour, marker and line in every chapter.
* *Layout.* Constrained layout, so that titles, suptitles and legends never overlap.

Examples
--------
The styles differ in shape as well as colour, for every pair of algorithms and radii:

>>> from sdmlib.plotting import ALGORITHM_STYLES, radius_style, series_style
>>> shapes = {(s["marker"], s["linestyle"]) for s in ALGORITHM_STYLES.values()}
>>> len(shapes) == len(ALGORITHM_STYLES)
True
>>> len({(radius_style(d)["marker"], radius_style(d)["color"]) for d in (5, 9, 11, 15, 19, 27)})
6
>>> series_style(0) != series_style(len(MARKERS))
True
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "OKABE_ITO", "ALGORITHM_COLORS", "ALGORITHM_STYLES", "RADIUS_COLORS", "MARKERS", "LINESTYLES",
    "FIGURE_WIDTH", "PNG_DPI", "radius_color", "radius_style", "series_style", "apply_style",
    "figure", "glue_figure", "legend_below", "legend_in_spare_panel", "plain_log_ticks", "power_text", "attention_vs_sdm_figure",
]

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#999999",
}

#: Figure width in inches: the figure is shown at the 784 px width of the text column.
FIGURE_WIDTH = 6.0
#: PNG resolution: 6.0 in × 260 dpi ≈ 1560 px, two device pixels per CSS pixel of the column.
PNG_DPI = 260

#: Markers and line styles, in the order series take them.
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h")
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)))

#: One style per algorithm, the same in every chapter: colour *and* marker and line style.
#: (Yellow is never used for lines: it vanishes on white.)
ALGORITHM_STYLES = {
    "neuron_sdm": dict(color=OKABE_ITO["black"], marker="o", linestyle="-"),
    "binary_sdm": dict(color=OKABE_ITO["blue"], marker="s", linestyle="-"),
    "pattern_sdm": dict(color=OKABE_ITO["blue"], marker="s", linestyle="--"),
    "pattern_sdm_finite": dict(color=OKABE_ITO["sky_blue"], marker="^", linestyle="--"),
    "continuous_sdm": dict(color=OKABE_ITO["green"], marker="D", linestyle="-"),
    "softmax": dict(color=OKABE_ITO["vermillion"], marker="v", linestyle="-"),
    "sdm_attention_binary": dict(color=OKABE_ITO["vermillion"], marker="v", linestyle="-."),
    "sdm_attention_continuous": dict(color=OKABE_ITO["orange"], marker="P", linestyle="-."),
    "transformer_attention": dict(color=OKABE_ITO["purple"], marker="X", linestyle=":"),
    "hopfield": dict(color=OKABE_ITO["grey"], marker="*", linestyle=":"),
    "exact": dict(color=OKABE_ITO["black"], marker="o", linestyle=(0, (5, 1, 1, 1, 1, 1))),
    "approximation": dict(color=OKABE_ITO["orange"], marker="h", linestyle="--"),
}

#: The colour of each algorithm (kept for plots that need the colour only).
ALGORITHM_COLORS = {name: style["color"] for name, style in ALGORITHM_STYLES.items()}

#: The paper's reference radii for n = 64 and a colour for each.
RADIUS_COLORS = {
    5: OKABE_ITO["vermillion"],
    9: OKABE_ITO["orange"],
    11: OKABE_ITO["green"],
    15: OKABE_ITO["blue"],
    19: OKABE_ITO["sky_blue"],
    27: OKABE_ITO["purple"],
}
_RADIUS_MARKERS = {5: "o", 9: "s", 11: "^", 15: "D", 19: "v", 27: "P"}

_CYCLE = [OKABE_ITO[k] for k in ("blue", "orange", "green", "vermillion", "purple", "sky_blue", "black")]
_CYCLE_LINES = ["-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 1)), (0, (8, 2))]


def radius_color(d: int) -> str:
    """Colour of radius ``d``: the fixed one for the paper's radii, else from the cycle."""
    return RADIUS_COLORS.get(int(d), _CYCLE[int(d) % len(_CYCLE)])


def radius_style(d: int) -> dict:
    """Colour and marker of radius ``d`` (fixed for the paper's radii), for ``ax.plot(..., **style)``."""
    d = int(d)
    return dict(color=radius_color(d), marker=_RADIUS_MARKERS.get(d, MARKERS[d % len(MARKERS)]))


def series_style(i: int) -> dict:
    """Style of the ``i``-th series of a plot: colour, marker and line style all cycle.

    The colour cycle (7) and the marker cycle (9) have coprime lengths, so the first
    63 series differ in at least colour and marker, and no two neighbours share either.
    """
    i = int(i)
    return dict(color=_CYCLE[i % len(_CYCLE)], marker=MARKERS[i % len(MARKERS)],
                linestyle=LINESTYLES[i % len(LINESTYLES)])


def apply_style() -> None:
    """Set the matplotlib defaults of the figure policy (call once per chapter).

    Inside IPython (a Jupyter kernel, the book build) it also registers the PNG
    formatter at :data:`PNG_DPI` for figures, whatever the matplotlib backend: a
    figure passed to ``myst_nb.glue`` or displayed is rendered even where
    ``MPLBACKEND=Agg`` reached the kernel.
    """
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update(
        {
            "figure.figsize": (FIGURE_WIDTH, 3.8),
            "figure.dpi": 100,
            "figure.constrained_layout.use": True,
            "savefig.dpi": PNG_DPI,
            "font.size": 10,
            "axes.titlesize": 10,
            "axes.labelsize": 10,
            "xtick.labelsize": 9,
            "ytick.labelsize": 9,
            "legend.fontsize": 9,
            "figure.titlesize": 11,
            "lines.markersize": 4.5,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            # colour and line style change together: default series differ in both
            "axes.prop_cycle": cycler(color=_CYCLE) + cycler(linestyle=_CYCLE_LINES),
            "legend.frameon": False,
        }
    )
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with matplotlib-inline users
        return
    if get_ipython() is not None:
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png", dpi=PNG_DPI, bbox_inches="tight")


def figure(nrows: int = 1, ncols: int = 1, *, height: float | None = None, **subplots_kw):
    """A figure of the policy's width with ``nrows × ncols`` panels: ``(fig, axes)``.

    The figure is a plain :class:`matplotlib.figure.Figure` (no pyplot state, so it is
    never shown twice and never leaks in a loop). ``height`` defaults to 3.8 inches per
    row of one or two panels. ``ncols`` is limited to 2 (phones): wrap more panels into rows.

    Examples
    --------
    >>> fig, axes = figure(2, 2, sharex=True)
    >>> axes.shape, float(fig.get_figwidth()) == FIGURE_WIDTH
    ((2, 2), True)
    """
    from matplotlib.figure import Figure

    if ncols not in (1, 2):
        raise ValueError(f"ncols must be 1 or 2 (figures are read on phones too), got {ncols!r}")
    if int(nrows) < 1:
        raise ValueError(f"nrows must be >= 1, got {nrows!r}")
    if height is None:  # one panel 3.8 in; a row of two 3.0 in; several rows 2.8 in each
        height = 2.8 * nrows if nrows > 1 else (3.8 if ncols == 1 else 3.0)
    fig = Figure(figsize=(FIGURE_WIDTH, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=True, **subplots_kw)
    return fig, axes


def glue_figure(name: str, fig) -> None:
    """Hand ``fig`` to the book under ``name`` (for a ``{glue:figure}`` directive).

    Glues the figure with ``myst_nb.glue`` (displayed too, so that an executed notebook
    from ``make chapter`` shows it; the book's cell carries ``remove-output`` so the page
    shows it once, where the directive puts it) and closes it if pyplot manages it.
    Raises ``RuntimeError`` if the kernel would render the figure as text only (no PNG
    formatter registered: :func:`apply_style` was not called), so the build fails at the cell.
    A figure that cannot be drawn (e.g. a mathtext error in a label) raises here too: the
    kernel's formatter would only print the error and paste ``<Figure size ...>`` as text.
    """
    import io

    import matplotlib.pyplot as plt
    from IPython import get_ipython
    from myst_nb import glue

    shell = get_ipython()
    if shell is not None:
        try:  # without a PNG formatter the page would get "<Figure size ...>" as text
            shell.display_formatter.formatters["image/png"].lookup(fig)
        except KeyError:
            raise RuntimeError(
                f"figure {name!r} would reach the book as text: no PNG formatter is registered "
                "for matplotlib figures in this kernel; call sdmlib.plotting.apply_style() first"
            ) from None
    # Draw once at low resolution first, so that a drawing error fails the cell (cheap: the
    # cost of a draw is in the text layout, not in the pixels).
    fig.savefig(io.BytesIO(), format="png", dpi=20)
    glue(name, fig, display=True)
    plt.close(fig)


def legend_in_spare_panel(fig, axes, used: int, *, ncols: int = 2):
    """Hide the unused cells of a panel grid and put the first panel's legend in the first of them.

    ``axes`` is the flat array of the grid's axes and ``used`` the number of panels drawn;
    with no spare cell the legend goes below the figure (``ncols`` columns).

    Examples
    --------
    >>> fig, axes = figure(2, 2)
    >>> flat = axes.ravel(); _ = flat[0].plot([0, 1], label="x")
    >>> leg = legend_in_spare_panel(fig, flat, 3)
    >>> flat[3].axison, leg.axes is flat[3], [t.get_text() for t in leg.get_texts()]
    (False, True, ['x'])
    """
    handles, labels = axes[0].get_legend_handles_labels()
    spare = axes[used:]
    for ax in spare:
        ax.set_axis_off()
    if len(spare):
        return spare[0].legend(handles, labels, loc="center")
    return fig.legend(handles, labels, loc="outside lower center", ncols=ncols)


def legend_below(fig, axes=None, *, handles=None, labels=None, ncols: int = 2):
    """One legend for all panels, outside below them (constrained layout keeps it off the data).

    Entries come from ``handles``/``labels`` if given, else from the labelled artists of
    ``axes`` (default: every axes of ``fig``), each label once, in drawing order.

    Examples
    --------
    >>> fig, (a, b) = figure(1, 2)
    >>> _ = a.plot([0, 1], label="x"); _ = b.plot([1, 0], label="x"); _ = b.plot([1, 1], label="y")
    >>> [t.get_text() for t in legend_below(fig).get_texts()]
    ['x', 'y']
    """
    if handles is None:
        handles, labels = [], []
        for ax in (fig.axes if axes is None else np.atleast_1d(axes)):
            for handle, label in zip(*ax.get_legend_handles_labels()):
                if label not in labels and not label.startswith("_"):
                    handles.append(handle)
                    labels.append(label)
    return fig.legend(handles, labels, loc="outside lower center", ncols=ncols)


def plain_log_ticks(axis, subs=(1.0, 2.0, 5.0)) -> None:
    """Label a log ``axis`` (``ax.xaxis``/``ax.yaxis``) at 1, 2, 5 × 10^k as plain numbers.

    For axes spanning a decade or two, where powers of ten would leave one label or crowd.
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10, subs=tuple(subs)))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


def power_text(value, digits: int = 2) -> str:
    r"""Mathtext (without ``$``) for a count or a fraction in a title or label.

    ``2**64`` → ``2^{64}`` (powers of two from 2^16, computed on the integer, so ``2**n``
    works for any ``n``), ``10**6`` → ``10^{6}``, ``5e-13`` → ``5\times10^{-13}``;
    integers below 10⁴ and numbers in (10⁻³, 10⁴) print plainly with ``digits`` significant digits.

    Examples
    --------
    >>> [power_text(v) for v in (2**64, 10**6, 1e4, 1024, 0.0011, 2**1000)]
    ['2^{64}', '10^{6}', '10^{4}', '1024', '0.0011', '2^{1000}']
    >>> print(power_text(5e-13), power_text(3.68e-4, digits=3))
    5\times10^{-13} 3.68\times10^{-4}
    """
    import math

    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        v = int(value)
        if v >= 2**16 and v & (v - 1) == 0:
            return f"2^{{{v.bit_length() - 1}}}"
        if 0 <= v < 10**4:
            return str(v)
    v = float(value)
    if v > 0:
        k = round(math.log10(v))
        if abs(k) >= 3 and math.isclose(v, 10.0**k, rel_tol=1e-12):
            return f"10^{{{k}}}"
    if v == int(v) and abs(v) < 1e4:
        return str(int(v))
    if 1e-3 < abs(v) < 1e4:
        return f"{v:.{digits}g}"
    exponent = math.floor(math.log10(abs(v)))
    mantissa = f"{v / 10.0**exponent:.{digits}g}"
    return rf"{mantissa}\times10^{{{exponent}}}"


#: Where :func:`attention_vs_sdm_figure` tries its legend, in this order (the upper left is empty
#: for n >= 64, where SDM weights exist only for x > 1 - 4d/n; at small n the weights fill it).
_HEADLINE_LEGEND_PLACES = ("upper left", "lower right", "lower left", "upper right", "center right", "center left")


def _legend_clear_of_data(ax, places=_HEADLINE_LEGEND_PLACES):
    """The legend of ``ax`` at the first of ``places`` where its box covers no plotted data, else
    below the figure (:func:`legend_below`): markers count with their size, lines by their path.

    Examples
    --------
    A line along the top of the axes sends the legend to the second place, the lower left:

    >>> fig, ax = figure()
    >>> _ = ax.plot([0, 1], [1.15, 1.15], "o-", label="high"); _ = ax.set_ylim(0, 1.2)
    >>> box, frame = _legend_clear_of_data(ax, ("upper left", "lower left")).get_window_extent(), ax.get_window_extent()
    >>> bool(box.y1 < frame.y0 + frame.height / 2), bool(box.x0 < frame.x0 + frame.width / 2)
    (True, True)
    """
    fig = ax.figure
    for place in places:
        legend = ax.legend(loc=place)
        fig.draw_without_rendering()
        box = legend.get_window_extent()
        if not any(_line_in_box(line, box) for line in ax.get_lines()):
            return legend
        legend.remove()
    return legend_below(fig, ax, ncols=2)


def _line_in_box(line, box) -> bool:
    """Whether any visible part of the Line2D ``line`` (markers or segments) lies in the display box."""
    from matplotlib.path import Path

    xy = line.get_transform().transform(np.column_stack(line.get_data()).astype(float))
    xy = xy[np.isfinite(xy).all(axis=1)]
    if not len(xy):
        return False
    clip = line.axes.get_window_extent()
    if line.get_marker() not in (None, "None", "none", "", " "):
        pad = line.get_markersize() * line.figure.dpi / 72 / 2 + line.get_markeredgewidth()
        near = ((xy[:, 0] >= box.x0 - pad) & (xy[:, 0] <= box.x1 + pad)
                & (xy[:, 1] >= box.y0 - pad) & (xy[:, 1] <= box.y1 + pad)
                & (xy[:, 0] >= clip.x0) & (xy[:, 0] <= clip.x1) & (xy[:, 1] >= clip.y0) & (xy[:, 1] <= clip.y1))
        if near.any():
            return True
    if line.get_linestyle() not in ("None", "none", "", " ") and len(xy) > 1:
        pad = line.get_linewidth() * line.figure.dpi / 72
        return Path(xy).intersects_bbox(box.padded(pad), filled=False)
    return False


def attention_vs_sdm_figure(n: int = 64, radii: tuple[int, ...] = (5, 11, 15)):
    """The book's headline figure: normalised SDM read weights against a softmax.

    For each radius ``d`` the weights of a set of patterns at every Hamming
    distance ``d_v = 0..n`` are the circle intersections normalised over the
    patterns (`sdmlib.beta.sdm_weights`), plotted against the cosine similarity
    ``1 - 2 d_v / n``, beside the softmax with the as-published fitted β.
    The legend goes where it covers no data (the upper left for n >= 64; the lower
    right at small n, where the weights fill the top), else below the figure.
    Returns the matplotlib figure (regenerate the README's copy with
    ``python -m sdmlib figure --out FILE``).
    """
    from sdmlib.beta import fit_beta, sdm_weights, softmax_weights
    from sdmlib.hamming import hamming_to_cosine

    apply_style()
    x = hamming_to_cosine(np.arange(n + 1), n)
    fig, ax = figure()
    for d in radii:
        beta = fit_beta(n, d, estimator="as-published").beta
        style = radius_style(d)
        ax.plot(x, sdm_weights(n, d, x), ls="none", color=style["color"], marker=style["marker"],
                label=f"SDM, d = {d}")
        ax.plot(x, softmax_weights(beta, x), "-", lw=1.5, color=style["color"], label=f"softmax, β = {beta:.1f}")
    ax.set_yscale("log")
    ax.set_ylim(1e-12, 1.5)
    ax.set_xlabel(r"cosine similarity of query and pattern address, $x = 1 - 2 d_v / n$")
    ax.set_ylabel("normalised read weight")
    ax.set_title(f"SDM read weights ≈ softmax(βx): $n = {n}$, $r = 2^{{{n}}}$, one pattern per distance")
    _legend_clear_of_data(ax)
    return fig
