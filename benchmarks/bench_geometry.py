"""Benchmark of the circle-intersection routes of sdmlib.geometry.

Run: ``python benchmarks/bench_geometry.py``. Prints, for whole curves (every
dv = 0..n at one radius d):

* exact Python integers at n = 1000 (double sum and lune form);
* the log-space float route at n = 1000, 10 000 and 100 000;
* a float64 re-implementation of the original code's approach (Kanerva's lune
  form as a difference of floats, binomials and 2**n as floats), where it still
  runs (n <= 1000; it overflows from n = 1024 on), as a time ratio and with its
  accuracy against the exact integers.

Target: the whole n = 10 000 log-space curve in under 50 ms.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from sdmlib._timing import best_time
from sdmlib.geometry import (
    hamming_ball_intersection,
    hamming_radius_for_fraction,
    kanerva_lune_intersection,
    log_hamming_ball_intersection,
)


def float_lune_curve(n: int, d: int) -> np.ndarray:
    """Baseline: c(dv) = |O_n(d)| - sum_{k <= (dv-1)/2} C(2k,k) C(n-2k-1,d-k), all in float64.

    Written from the equation (not from the original code) in the way the
    original evaluated it: floating-point binomials, a float ball size and a
    difference of the two; negative results clipped to 0.
    """
    ball = special.comb(n, np.arange(d + 1)).sum()
    k = np.arange((n - 1) // 2 + 1)
    terms = special.comb(2 * k, k) * special.comb(n - 2 * k - 1, d - k)
    lune = np.concatenate(([0.0], np.cumsum(terms)))
    dv = np.arange(n + 1)
    out = ball - lune[(dv - 1) // 2 + 1]
    out[0] = ball
    return np.maximum(out, 0.0)


def main() -> None:
    rows = []
    p = 1e-3  # radius holding about a thousandth of the space (Kanerva's choice at n = 1000)
    for n in (1000, 10_000, 100_000):
        d = int(hamming_radius_for_fraction(n, p))
        dv = np.arange(n + 1)
        t_log = best_time(lambda: log_hamming_ball_intersection(n, d, dv))
        row = {"n": n, "d": d, "log": t_log}
        if n <= 1000:
            row["exact_double_sum"] = best_time(lambda: hamming_ball_intersection(n, d, range(n + 1)), 2)
            row["exact_lune"] = best_time(lambda: kanerva_lune_intersection(n, d, range(n + 1)))
            row["float_lune"] = best_time(lambda: float_lune_curve(n, d))
            exact = kanerva_lune_intersection(n, d, range(n + 1))
            flo = float_lune_curve(n, d)
            nz = [k for k in range(n + 1) if exact[k] > 0]
            rel = max(abs(flo[k] / exact[k] - 1) for k in nz)
            beyond = int(np.count_nonzero(flo[2 * d + 1 :] != 0))
            ours = log_hamming_ball_intersection(n, d, dv)
            our_rel = max(abs(math.expm1(ours[k] - math.log(exact[k]))) for k in nz)
            row["float_rel_err"], row["float_nonzero_beyond_2d"], row["our_rel_err"] = rel, beyond, our_rel
        rows.append(row)

    print("whole curves, dv = 0..n, radius d with p(d) >= 1e-3 (best of several runs)\n")
    print(f"{'n':>7} {'d':>6} {'log-space':>11} {'exact 2-sum':>12} {'exact lune':>11} {'float lune':>11} {'log/float':>10}")
    print(f"{'':>15}(time per whole curve; log/float = time ratio log-space / float lune)")
    for r in rows:
        ms = lambda key: f"{1e3 * r[key]:9.2f}ms" if key in r else f"{'-':>11}"
        ratio = f"{r['log'] / r['float_lune']:10.2f}" if "float_lune" in r else f"{'(overflow)':>10}"
        print(f"{r['n']:>7} {r['d']:>6} {ms('log'):>11} {ms('exact_double_sum'):>12} {ms('exact_lune'):>11} "
              f"{ms('float_lune'):>11} {ratio}")
    r = rows[0]
    print(
        f"\naccuracy at n = {r['n']}, d = {r['d']}: float lune max relative error {r['float_rel_err']:.2e}, "
        f"{r['float_nonzero_beyond_2d']} non-zero values beyond 2d (truth: 0); "
        f"log-space route max relative error {r['our_rel_err']:.2e}"
    )
    n_big = 1100
    d_big = int(hamming_radius_for_fraction(n_big, p))
    with np.errstate(over="ignore", invalid="ignore"):
        big = float_lune_curve(n_big, d_big)
    print(f"float lune at n = {n_big}, d = {d_big}: {int(np.isfinite(big).sum())} finite values of {n_big + 1} "
          f"(binomials overflow float64 beyond about n = 1030); the log-space route: "
          f"{int(np.isfinite(log_hamming_ball_intersection(n_big, d_big, np.arange(n_big + 1))).sum())} finite "
          f"(= the support 0..2d, {2 * d_big + 1} values)")
    t10k = rows[1]["log"]
    print(f"\ntarget: n = 10 000 log-space curve < 50 ms: {1e3 * t10k:.2f} ms -> {'met' if t10k < 0.05 else 'MISSED'}")


if __name__ == "__main__":
    main()
