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

__all__ = ["OKABE_ITO", "ALGORITHM_COLORS", "RADIUS_COLORS", "radius_color", "apply_style"]

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
