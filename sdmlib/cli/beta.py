"""``python -m sdmlib beta``: the softmax β of an SDM radius, by every estimator."""

from __future__ import annotations

import argparse

from sdmlib.cli._base import CommandParser, int_arg

#: Largest n of the command (the continuous fits need one quadrature per point).
MAX_N = {"binary": 4096, "continuous": 1024, "both": 1024}


def build_parser() -> CommandParser:
    p = CommandParser(
        prog="python -m sdmlib beta",
        description=(
            "Softmax beta of an SDM radius d in dimension n, for every estimator: the paper's "
            "as-published fit (N/(N-1)-inflated slope, window dv = 0..d-1), the least-squares (OLS) "
            "fit on the same window, OLS on dv = 1..d and on the full support, the softmax-MSE fit, "
            "the KL-optimal (= moment-matching) fit with one pattern per distance dv = 0..n, and the "
            "KL-optimal fit for random keys (distances weighted by Bin(n, 1/2)); for binary circles "
            "and continuous caps. Also prints the Taylor rate (n-2d)^2/(4n)."
        ),
    )
    p.add_argument("--n", type=int_arg("--n", lo=5, hi=MAX_N["binary"]), required=True,
                   help=f"dimension n, 5 <= n <= {MAX_N['binary']} ({MAX_N['both']} with a continuous space)")
    p.add_argument("--d", type=int_arg("--d", lo=2), required=True, help="Hamming radius d, 2 <= d < n/2")
    p.add_argument("--space", choices=("binary", "continuous", "both"), default="both",
                   help="intersection geometry")
    return p


def run(args: argparse.Namespace) -> int:
    from sdmlib._validate import check_int
    from sdmlib.beta import BETA_SPACES, fit_beta
    from sdmlib.beta_estimators import fit_softmax_beta
    from sdmlib.bounds import taylor_rate
    from sdmlib.geometry import space_fraction

    n = check_int("--n", args.n, lo=5, hi=MAX_N[args.space])
    d = check_int("--d", args.d, lo=2, hi=(n - 1) // 2)
    spaces = BETA_SPACES if args.space == "both" else (args.space,)
    rows = [
        ("as-published (dv = 0..d-1)", dict(window="within-radius", estimator="as-published")),
        ("OLS (dv = 0..d-1)", dict(window="within-radius", estimator="ols")),
        ("OLS (dv = 1..d)", dict(window="one-to-radius", estimator="ols")),
        ("OLS (full support)", dict(window="full-support", estimator="ols")),
    ]
    # compute everything first, print after: a failure never leaves a half-printed table
    table = [(label, [fit_beta(n, d, space=s, **kw).beta for s in spaces]) for label, kw in rows]
    table.append(("softmax-MSE fit (dv = 0..n)", [fit_softmax_beta(n, d, space=s).beta for s in spaces]))
    for label, w in [("KL-optimal (dv = 0..n)", None), ("KL-optimal, Bin(n,1/2) keys", "binomial")]:
        table.append((label, [fit_beta(n, d, space=s, estimator="kl", distance_weights=w).beta for s in spaces]))
    rate = taylor_rate(n, d)
    print(f"n = {n}, d = {d}, space fraction p = {space_fraction(n, d):.4g}")
    print(f"{'estimator':<30}" + "".join(f"{s:>12}" for s in spaces))
    for label, vals in table:
        print(f"{label:<30}" + "".join(f"{v:12.4f}" for v in vals))
    print(f"{'Taylor rate (n-2d)^2/(4n)':<30}{rate:12.4f}")
    return 0
