"""Chunk size of the numpy fallback scan against the streaming floor, on this machine.

    python benchmarks/tune_numpy_chunk.py                  # n = 1024, r = 10**6, one query, ~2 minutes
    python benchmarks/tune_numpy_chunk.py --seconds 30 --chunks 16384,65536

For each chunk size (neurons per chunk of `sdmlib.memories._scan._scan_numpy`) it takes
alternating samples of the scan and of the streaming floor (`stream_floor`, the faster of its
two orders) and prints the median and the 10 % quantile of scan / floor (CPU times, one thread),
with the load average: on a shared machine the ratios move with the load, so compare chunk
sizes within one run, never across runs. Every chunk size is first checked to return the
numba route's active set (the numpy route alone where numba is missing). The library default
is `sdmlib.memories.NUMPY_CHUNK`; this script never changes it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from sdmlib.memories import NUMPY_CHUNK, scan_within_radius, stream_floor  # noqa: E402
from sdmlib.memories._scan import _scan_numpy  # noqa: E402
from sdmlib.memories.benchmark import bench_data  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1024)
    parser.add_argument("--r", type=int, default=10**6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=120.0, help="sampling time, all chunk sizes together")
    parser.add_argument("--chunks", default="16384,32768,49152,65536,98304,131072")
    args = parser.parse_args(argv)
    try:
        chunks = [int(c) for c in args.chunks.split(",") if c.strip()]
    except ValueError:
        chunks = []
    if not chunks or min(chunks) < 1 or args.n < 1 or args.r < 1 or args.seed < 0 or args.seconds <= 0:
        print("tune_numpy_chunk: --chunks must be positive integers; --n, --r, --seconds > 0; --seed >= 0",
              file=sys.stderr)
        return 2
    A, Q, d = bench_data(args.n, args.r, 1, args.seed)
    AT = np.ascontiguousarray(A.T)
    ref = scan_within_radius(A, Q, d)
    for c in chunks:
        got = _scan_numpy(AT, Q, d, None, c)
        assert np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1]), c

    def cpu(fn) -> float:
        t0 = time.process_time()
        fn()
        return time.process_time() - t0

    stream_floor(A), stream_floor(A, order="blocked")
    ratios: dict[int, list[float]] = {c: [] for c in chunks}
    load0 = os.getloadavg()
    end = time.time() + args.seconds
    while time.time() < end:
        for c in chunks:
            floor = min(cpu(lambda: stream_floor(A)), cpu(lambda: stream_floor(A, order="blocked")))
            ratios[c].append(cpu(lambda: _scan_numpy(AT, Q, d, None, c)) / floor)
    print(f"n={args.n} r={args.r} seed={args.seed} d={d}; numpy {np.__version__}; load average "
          f"{load0[0]:.2f} -> {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; default NUMPY_CHUNK={NUMPY_CHUNK}")
    for c, v in ratios.items():
        print(f"chunk {c:7d}: scan / floor median {np.median(v):.2f}, 10 % quantile {np.quantile(v, 0.1):.2f} "
              f"({len(v)} samples)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
