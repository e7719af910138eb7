"""Benchmark of the neuron-based SDM's scan: numba vs numpy vs the original's dense cdist
vs faiss vs the memory-bandwidth floor, on the same data.

    python benchmarks/bench_sdm.py            # n = 64, 1024, 10 048 with r = 10**6
    python benchmarks/bench_sdm.py --quick    # r = 10**5, fewer repeats
    python benchmarks/bench_sdm.py --csv out.csv

Target (issue 6): at n = 1024, r = 10**6 the numba scan within 1.3x of the floor and at
least 2x faster than faiss. Timings are the best of several runs on one thread
(OMP_NUM_THREADS=1 is set for faiss); they depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pandas as pd  # noqa: E402

from sdmlib.memories.benchmark import benchmark_scan  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="r = 10**5 and fewer repeats")
    parser.add_argument("--n", type=int, nargs="*", default=[64, 1024, 10048], help="dimensions")
    parser.add_argument("--r", type=int, default=None, help="number of neurons (default 10**6)")
    parser.add_argument("--repeats", type=int, default=None, help="best of this many runs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--csv", default=None, help="also write the table to this CSV file")
    args = parser.parse_args(argv)
    r = args.r or (10**5 if args.quick else 10**6)
    repeats = args.repeats or (3 if args.quick else 7)
    if r < 1 or repeats < 1 or any(n < 1 for n in args.n):
        print("bench_sdm: n, r and repeats must be >= 1", file=sys.stderr)
        return 2
    frames = []
    for n in args.n:
        rows = pd.DataFrame(benchmark_scan(n, r, repeats=repeats, seed=args.seed))
        floor = rows.loc[rows.method == "floor", "seconds"]
        numba_t = rows.loc[rows.method == "numba", "seconds"]
        if len(numba_t):
            rows["x numba"] = rows.seconds / float(numba_t.iloc[0])
        if len(floor):
            rows["x floor"] = rows.seconds / float(floor.iloc[0])
        frames.append(rows)
        cols = [c for c in ("method", "n", "r", "d", "seconds", "gb_per_s", "x floor", "x numba", "note") if c in rows]
        print(rows[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        print()
    table = pd.concat(frames, ignore_index=True)
    if args.csv:
        table.to_csv(args.csv, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
