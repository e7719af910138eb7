"""``python -m sdmlib radii``: the optimal SDM radii d*_SNR, d*_Mem and d*_CD."""

from __future__ import annotations

import argparse
import math
import re
from typing import Any

from sdmlib.cli._base import CommandParser, int_arg, real_arg

#: Largest n with the critical distance (its map costs ~ n**2); --no-cd allows up to the capacity limit.
MAX_N_CD = 2048

_POWER = re.compile(r"^\s*(\d+)\s*\*\*\s*(\d+|n)\s*$")


def parse_r(text: str) -> Any:
    """``none``/``all`` (one neuron per address, returns None), ``a**b`` or ``2**n`` with
    whole a, b >= 0 (returned as ``(a, b)`` or ``(2, 'n')`` for exact powers), or a
    number > 0 (an int, or a float such as ``1e20``).

    >>> parse_r("2**n"), parse_r("10**6"), parse_r("none"), parse_r("1e3")
    ((2, 'n'), (10, 6), None, 1000)
    """
    t = text.strip().lower()
    if t in ("none", "all"):
        return None
    m = _POWER.match(t)
    if m:
        base = int(m.group(1))
        exp = m.group(2) if m.group(2) == "n" else int(m.group(2))
        if base < 1 or (exp != "n" and exp > 100_000):
            raise ValueError(f"--r must be a**b with a >= 1 and b <= 100000, got {text!r}")
        return (base, exp)
    try:
        value: Any = int(t)
    except ValueError:
        try:
            value = float(t)
        except ValueError:
            raise ValueError(
                f"--r must be a number of neurons > 0, a**b (whole numbers), 2**n or 'none', got {text!r}"
            ) from None
        if not math.isfinite(value):
            raise ValueError(f"--r must be finite, got {text!r}")
        if value == int(value) and abs(value) < 2**63:
            value = int(value)
    if value <= 0:
        raise ValueError(f"--r must be > 0 (or 'none'), got {text!r}")
    return value


def _fraction_text(log_p: float) -> str:
    """``4.5e-08``, or ``10^-1234.5`` where the fraction underflows float64.

    >>> _fraction_text(math.log(2.5e-8)), _fraction_text(-5000.0)
    ('2.5000e-08', '10^-2171.47')
    """
    if log_p > -700:
        return f"{math.exp(log_p):.4e}"
    return f"10^{log_p / math.log(10):.2f}"


def build_parser() -> CommandParser:
    from sdmlib.capacity import MAX_N

    p = CommandParser(
        prog="python -m sdmlib radii",
        description="Optimal SDM radii: d*_SNR, d*_Mem (Cardano) and d*_CD (reconstructed map).",
    )
    p.add_argument("--n", type=int_arg("--n", lo=1, hi=MAX_N), default=64,
                   help=f"dimension, 1 <= n <= {MAX_N} (<= {MAX_N_CD} unless --no-cd)")
    p.add_argument("--m", type=real_arg("--m", lo=1.0), default=1024.0, help="stored patterns (>= 1)")
    p.add_argument("--r", type=_r_type, default="2**n",
                   help="random neurons: an int, a float, a**b, or 2**n (the paper's); "
                        "'none': one neuron at every address (no interior d*_SNR, d*_Mem)")
    p.add_argument("--P", type=real_arg("--P", lo=0.0, hi=1.0, lo_open=True, hi_open=True), default=0.5,
                   help="retrieval probability for d*_Mem, 0 < P < 1")
    p.add_argument("--no-cd", action="store_true", help="skip the critical distance (slow for large n)")
    return p


def _r_type(text: str) -> Any:
    import argparse as _ap

    try:
        return parse_r(text)
    except ValueError as exc:
        raise _ap.ArgumentTypeError(str(exc)) from None


_r_type.__name__ = "neurons"


def run(args: argparse.Namespace) -> int:
    from sdmlib import capacity as C

    n = args.n
    r = args.r
    if isinstance(r, str):  # the default, not passed through the type
        r = parse_r(r)
    if isinstance(r, tuple):
        base, exp = r
        r = base ** (n if exp == "n" else exp)
    if not args.no_cd and n > MAX_N_CD:
        raise ValueError(f"--n must be <= {MAX_N_CD} for the critical distance (cost ~ n**2), got {n}; add --no-cd")
    label = "one neuron per address" if r is None else ("2**n random" if r == 2**n else f"{r} random")
    lines = [f"n={n} m={args.m:g} r={label} P={args.P:g}"]
    if r is None:  # no interior optimum: the argmax of the exact SNR and capacity
        d_snr = C.optimal_radius_snr(n, args.m, None, rule="argmax", model="kanerva")
        d_mem = C.optimal_radius_memory(n, None, args.P, rule="argmax")
        lines.append(f"d*_SNR = {d_snr}  (argmax; the SNR falls monotonically with d)")
        lines.append(f"d*_Mem = {d_mem}  (argmax; the capacity falls monotonically with d)")
    else:
        d_snr = C.optimal_radius_snr(n, args.m, r)
        d_mem = C.optimal_radius_memory(n, r, args.P)
        lp_snr = C._log_optimal_fraction_snr(n, args.m, r)
        lp_mem = C._log_optimal_fraction_memory(n, r, args.P)
        lines.append(f"d*_SNR = {d_snr}  (p* = {_fraction_text(lp_snr)})")
        lines.append(f"d*_Mem = {d_mem}  (p* = {_fraction_text(lp_mem)})")
    print("\n".join(lines), flush=True)
    if not args.no_cd:
        d_cd, _, cds = C.optimal_radius_critical_distance(n, args.m, r, convention="interpolated", return_all=True)
        print(f"d*_CD  = {d_cd}  (critical distance {cds.max():.2f} bits, interpolated crossing)")
    return 0
