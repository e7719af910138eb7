"""The neuron-based SDM's performance benchmark: every timing the performance chapter plans
with, in one run, and the issue-18 targets with whether each is met on this machine.

    python benchmarks/bench_sdm.py                 # full size (r = 10**6), about 10 minutes
    python benchmarks/bench_sdm.py --quick         # r = 10**5, a smoke test
    python benchmarks/bench_sdm.py --store         # also write book/data/performance_runs.csv
                                                   # and book/data/performance_provenance.json
    python benchmarks/bench_sdm.py --sections threads,numpy   # only those sections (never stored),
                                                   # e.g. to re-measure threads and the numpy fallback

Yardsticks (faiss, SimSIMD, the original's dense torch cdist) run each in its own process
(benchmarks/yardsticks/), so OpenMP runtimes never share a process; every method is checked
to return the reference active set before it is timed. Timings are the best of a few runs
and depend on the machine and its load: on a shared machine, re-run on a quiet one with

    OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=2 python benchmarks/bench_sdm.py --store
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pandas as pd  # noqa: E402

from sdmlib.memories.benchmark import (  # noqa: E402
    SECTIONS,
    cpu_flags,
    machine_info,
    measure_clock_ghz,
    popcount_limit,
    run_planning_benchmark,
    targets_table,
)

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="r = 10**5 and fewer repeats")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--store", action="store_true", help="write the CSV and provenance JSON into book/data/")
    parser.add_argument("--csv", default=None, help="also write the table to this CSV file")
    parser.add_argument("--sections", default=None,
                        help=f"comma-separated subset of {','.join(SECTIONS)} (default: all; not with --store)")
    args = parser.parse_args(argv)
    if args.seed < 0:
        print("bench_sdm: --seed must be >= 0", file=sys.stderr)
        return 2
    sections = None if args.sections is None else tuple(x.strip() for x in args.sections.split(",") if x.strip())
    if sections is not None and (not sections or not set(sections) <= set(SECTIONS)):
        print(f"bench_sdm: --sections takes names from {','.join(SECTIONS)}, got {args.sections!r}", file=sys.stderr)
        return 2
    if sections is not None and args.store:
        print("bench_sdm: --store writes the whole run the chapter reads; it cannot be combined with --sections",
              file=sys.stderr)
        return 2
    t0 = time.time()
    info = machine_info()
    info["clock_ghz"] = measure_clock_ghz()
    info["popcount_limit"] = popcount_limit(cpu_flags(), info["clock_ghz"])
    print(f"{info.get('Model name')} | {info['cores']} cores | {info['simd']} | clock ~{info['clock_ghz']:.2f} GHz "
          f"| load {info.get('load_average')}")
    table = run_planning_benchmark(seed=args.seed, quick=args.quick, yardstick_dir=str(ROOT / "benchmarks" / "yardsticks"),
                                   log=lambda s: print(f"[{time.time() - t0:6.0f} s] {s}", flush=True),
                                   sections=sections)
    targets = targets_table(table, info)
    show = ["section", "method", "n", "r", "batch", "threads", "per_query", "x_floor", "active"]
    with pd.option_context("display.width", 200, "display.max_rows", 500):
        print(table[show].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        print()
        print(targets.to_string(index=False))
    info.update(command="python benchmarks/bench_sdm.py" + (" --quick" if args.quick else "") + " --store",
                seed=args.seed, quick=args.quick, wall_s=round(time.time() - t0, 1),
                finished=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                load_average_end=list(os.getloadavg()))
    if args.csv:
        table.to_csv(args.csv, index=False)
    if args.store:
        data = ROOT / "book" / "data"
        table.to_csv(data / "performance_runs.csv", index=False, float_format="%.6g")
        (data / "performance_provenance.json").write_text(json.dumps(info, indent=1) + "\n")
        print(f"stored {data / 'performance_runs.csv'} and performance_provenance.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
