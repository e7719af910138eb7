"""``python -m sdmlib figure``: write the headline figure (SDM read weights vs softmax) to a PNG."""

from __future__ import annotations

import argparse

from sdmlib.cli._base import CommandParser, int_arg, int_list_arg, output_file

#: The paper's radii at n = 64; other n scale them by n/64 (see `default_radii`).
PAPER_RADII = (5, 11, 15)
MAX_N = 4096


def default_radii(n: int) -> tuple[int, ...]:
    """The paper's radii (5, 11, 15) at n = 64, scaled by n/64 into ``2 <= d < n/2`` (distinct).

    >>> default_radii(64), default_radii(10), default_radii(5), default_radii(1000)
    ((5, 11, 15), (2, 3, 4), (2,), (78, 172, 234))
    """
    top = (n - 1) // 2
    out: list[int] = []
    for d in PAPER_RADII:
        k = min(max(2, round(d * n / 64)), top)
        while k in out and k < top:
            k += 1
        if k not in out:
            out.append(k)
    return tuple(out)


def build_parser() -> CommandParser:
    p = CommandParser(
        prog="python -m sdmlib figure",
        description="Write the book's headline figure (SDM read weights vs softmax) to a PNG file.",
    )
    p.add_argument("--out", type=output_file("--out", (".png",)), required=True, help="output PNG path")
    p.add_argument("--n", type=int_arg("--n", lo=5, hi=MAX_N), default=64, help=f"dimension, 5 <= n <= {MAX_N}")
    p.add_argument("--d", type=int_list_arg("--d", lo=2), default=None,
                   help="comma-separated radii, each 2 <= d < n/2 (None: 5,11,15 at n = 64, scaled by n/64)")
    return p


def run(args: argparse.Namespace) -> int:
    from sdmlib._validate import check_int

    n = args.n
    radii = default_radii(n) if args.d is None else tuple(check_int("--d", d, lo=2, hi=(n - 1) // 2) for d in args.d)
    import matplotlib

    matplotlib.use("Agg")
    from sdmlib.plotting import attention_vs_sdm_figure

    fig = attention_vs_sdm_figure(n=n, radii=radii)
    fig.savefig(args.out, dpi=150)
    print(f"wrote {args.out} (n = {n}, radii {', '.join(map(str, radii))})")
    return 0
