"""Shared figure conventions: one colour-blind-safe palette, one colour per algorithm.

Only the book imports this module; the computational modules never plot.

Examples
--------
>>> from sdmlib.plotting import ALGORITHM_COLORS, radius_color
>>> ALGORITHM_COLORS["softmax"] != ALGORITHM_COLORS["binary_sdm"]
True
>>> radius_color(11) == radius_color(11)
True
"""

from __future__ import annotations

import numpy as np

__all__ = ["OKABE_ITO", "ALGORITHM_COLORS", "RADIUS_COLORS", "radius_color", "apply_style", "attention_vs_sdm_figure"]

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

#: The same algorithm has the same colour in every chapter.
ALGORITHM_COLORS = {
    "neuron_sdm": OKABE_ITO["black"],
    "binary_sdm": OKABE_ITO["blue"],           # pattern-based SDM, circle intersection
    "pattern_sdm": OKABE_ITO["blue"],
    "pattern_sdm_finite": OKABE_ITO["sky_blue"],
    "continuous_sdm": OKABE_ITO["green"],      # cap intersection
    "softmax": OKABE_ITO["vermillion"],        # SDM attention, fitted beta
    "sdm_attention_binary": OKABE_ITO["vermillion"],
    "sdm_attention_continuous": OKABE_ITO["orange"],
    "transformer_attention": OKABE_ITO["purple"],
    "hopfield": OKABE_ITO["grey"],
    "exact": OKABE_ITO["black"],
    "approximation": OKABE_ITO["orange"],
}

#: The paper's reference radii for n = 64 and a colour for each.
RADIUS_COLORS = {
    5: OKABE_ITO["vermillion"],
    9: OKABE_ITO["orange"],
    11: OKABE_ITO["green"],
    15: OKABE_ITO["blue"],
    19: OKABE_ITO["sky_blue"],
    27: OKABE_ITO["purple"],
}

_CYCLE = [OKABE_ITO[k] for k in ("blue", "orange", "green", "vermillion", "purple", "sky_blue", "black", "yellow")]


def radius_color(d: int) -> str:
    """Colour of radius ``d``: the fixed one for the paper's radii, else from the cycle."""
    return RADIUS_COLORS.get(int(d), _CYCLE[int(d) % len(_CYCLE)])


def apply_style() -> None:
    """Set matplotlib defaults used by every figure of the book."""
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update(
        {
            "figure.figsize": (7.0, 4.2),
            "figure.dpi": 110,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": cycler(color=_CYCLE),
            "legend.frameon": False,
            "savefig.bbox": "tight",
        }
    )


def attention_vs_sdm_figure(n: int = 64, radii: tuple[int, ...] = (5, 11, 15)):
    """The book's headline figure: normalised SDM read weights against a softmax.

    For each radius ``d`` the weights of a set of patterns at every Hamming
    distance ``d_v = 0..n`` are the circle intersections normalised over the
    patterns (`sdmlib.beta.sdm_weights`), plotted against the cosine similarity
    ``1 - 2 d_v / n``, beside the softmax with the as-published fitted β.
    Returns the matplotlib figure (regenerate the README's copy with
    ``python -m sdmlib figure --out FILE``).
    """
    import matplotlib.pyplot as plt

    from sdmlib.beta import fit_beta, sdm_weights, softmax_weights
    from sdmlib.hamming import hamming_to_cosine

    apply_style()
    x = hamming_to_cosine(np.arange(n + 1), n)
    fig, ax = plt.subplots(figsize=(7.0, 4.0))
    for d in radii:
        beta = fit_beta(n, d, estimator="as-published").beta
        color = radius_color(d)
        ax.plot(x, sdm_weights(n, d, x), "o", ms=4, color=color, label=f"SDM, d = {d}")
        ax.plot(x, softmax_weights(beta, x), "-", lw=1.5, color=color, label=f"softmax, β = {beta:.1f}")
    ax.set_yscale("log")
    ax.set_ylim(1e-12, 1.5)
    ax.set_xlabel(r"cosine similarity of query and pattern address, $x = 1 - 2 d_v / n$")
    ax.set_ylabel("normalised read weight")
    ax.set_title(f"SDM read weights ≈ softmax(βx)   ($n = {n}$, $r = 2^{{{n}}}$, one pattern per distance)")
    ax.legend(ncol=2, fontsize=8)
    return fig


def cli_main(command: str, argv: list[str]) -> int:
    """``python -m sdmlib figure --out FILE``: write the headline figure (README)."""
    import argparse

    import matplotlib

    matplotlib.use("Agg")
    parser = argparse.ArgumentParser(
        prog=f"python -m sdmlib {command}",
        description="Write the book's headline figure (SDM read weights vs softmax) to a PNG file.",
    )
    parser.add_argument("--out", required=True, help="output PNG path")
    parser.add_argument("--n", type=int, default=64, help="dimension (default 64)")
    args = parser.parse_args(argv)
    fig = attention_vs_sdm_figure(n=args.n)
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")
    return 0
