"""``python -m sdmlib radius``: the SDM radius whose softmax β is nearest a given β."""

from __future__ import annotations

import argparse

from sdmlib.cli._base import CommandParser, int_arg, real_arg

MAX_N = 4096


def build_parser() -> CommandParser:
    from sdmlib.beta_estimators import DISTANCE_WEIGHTS

    p = CommandParser(
        prog="python -m sdmlib radius",
        description=(
            "SDM radius d (and the fraction p of the space inside a circle of that radius) whose "
            "softmax beta is nearest, on a log scale, to the given beta on cosine similarity."
        ),
    )
    p.add_argument("--n", type=int_arg("--n", lo=5, hi=MAX_N), required=True, help=f"dimension n, 5 <= n <= {MAX_N}")
    p.add_argument("--beta", type=real_arg("--beta", lo=0.0, lo_open=True), required=True,
                   help="softmax inverse temperature (> 0)")
    p.add_argument("--space", choices=("binary", "continuous"), default="binary", help="intersection geometry")
    p.add_argument("--window", choices=("within-radius", "one-to-radius", "full-support"), default=None,
                   help="fit window (None: within-radius, dv = 0..d-1, for ols/as-published; dv = 0..n for kl)")
    p.add_argument("--estimator", choices=("ols", "as-published", "kl"), default="ols",
                   help="kl: the KL-optimal beta over dv = 0..n (the window is then ignored unless given)")
    p.add_argument("--distance-weights", choices=DISTANCE_WEIGHTS, default="uniform",
                   help="with --estimator kl: one pattern per distance (uniform) or random keys "
                        "(binomial, Bin(n, 1/2))")
    p.add_argument("--clip", action="store_true",
                   help="return the nearest end instead of failing for a beta outside the attainable range")
    return p


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from sdmlib.beta import beta_curve, beta_for_radius, radius_for_beta
    from sdmlib.geometry import space_fraction

    n, beta = args.n, args.beta
    weights = None if args.distance_weights == "uniform" else args.distance_weights
    if weights is not None and args.estimator != "kl":
        raise ValueError("--distance-weights binomial needs --estimator kl")
    if args.space == "continuous" and n > 1024:
        raise ValueError(f"--n must be <= 1024 with --space continuous (one quadrature per point), got {n}")
    kw = dict(space=args.space, window=args.window, estimator=args.estimator, distance_weights=weights)
    try:
        d = radius_for_beta(n, beta, out_of_range="clip" if args.clip else "raise", **kw)
    except ValueError as exc:
        raise ValueError(str(exc).replace("pass out_of_range='clip'", "pass --clip")) from None
    bd = beta_for_radius(n, d, **kw)
    radii, betas = beta_curve(n, **kw)
    win = args.window if args.window is not None else ("dv = 0..n" if args.estimator == "kl" else "within-radius")
    extra = "" if weights is None else f", distances weighted {weights}"
    print(f"n = {n}, beta = {beta:g} ({args.space}, window {win}, estimator {args.estimator}{extra})")
    print(f"radius d = {d} (its beta = {bd:.4f}), space fraction p(d) = {space_fraction(n, d):.4g}")
    if not betas.min() <= beta <= betas.max():
        print(f"note: beta is outside the attainable range [{betas.min():.4g}, {betas.max():.4g}]; "
              "clipped to the nearest end")
    i = int(np.flatnonzero(radii == d)[0])
    nb = [f"d = {radii[j]}: beta = {betas[j]:.4f}" for j in (i - 1, i + 1) if 0 <= j < radii.size]
    if nb:
        print("neighbours: " + "; ".join(nb))
    return 0
