"""Full-scale recall runs that the chapter *Retrieval experiments* loads instead of computing.

The book executes its chapters in a few minutes; these runs take longer, so they are stored as
CSV tables under ``book/data/`` with their provenance in ``#`` comment lines (command, master
seed, commit, machine, time taken). The chapter re-computes a random sample of the stored cells
at build time and asserts that they still match the code.

    python benchmarks/recall_stored_runs.py e3-original --out book/data/recall_E3_original_batch.csv

``e3-original``
    Protocol E3 at the original's full scale (3 data sets x 5 repeats x 1024 queries, all 1024
    queries of a repeat in **one batch**) for the pattern-based SDM with 10**5 neurons, run as the
    original ran it: the batch-global convergence test (iterate every query until a read changes
    no bit of the whole batch, at most 100 reads), stochastic rounding redrawn at every read, and
    empty reads turned into the all-zero vector (``convergence="original"``,
    ``on_empty="original"``; experiments specification section 3, B1 and B11).

Every row is one (model, d, h, data set) of `sdmlib.experiments.run_recall_protocol`; the
replicate seeds are ``seed, seed + 1, seed + 2``.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from sdmlib import experiments as ex

#: What each run does: a function returning its protocol.
RUNS = {
    "e3-original": lambda: ex.recall_protocol(
        "E3", "full", models=("pattern_sdm_finite",), convergence="original", on_empty="original"
    ),
}


def _commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "sdmlib"], capture_output=True, text=True).stdout
        return head + (" (sdmlib/ with uncommitted changes)" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", choices=sorted(RUNS), help="which stored run to make")
    parser.add_argument("--seed", type=int, default=2021, help="master seed (the chapter's is 2021)")
    parser.add_argument("--out", required=True, help="CSV file to write")
    args = parser.parse_args(argv)
    p = RUNS[args.run]()
    t0 = time.perf_counter()
    table = ex.run_recall_protocol(p, args.seed, progress=None)
    elapsed = time.perf_counter() - t0
    header = [
        f"stored recall run '{args.run}' (benchmarks/recall_stored_runs.py): {p.name}, {p.scale} scale, "
        f"models {','.join(p.models)}, {p.queries_per_point} queries per point, batches of "
        f"{p.m if p.n_queries is None else p.n_queries} queries, convergence={p.convergence}, on_empty={p.on_empty}",
        f"command: python benchmarks/recall_stored_runs.py {args.run} --seed {args.seed} --out {args.out}",
        f"master seed {args.seed} (data sets {args.seed}..{args.seed + p.n_datasets - 1}); commit {_commit()}",
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.processor() or platform.platform()}; "
        f"python {platform.python_version()}; {elapsed:.0f} s on {time.strftime('%Y-%m-%d', time.gmtime())}",
    ]
    out = Path(args.out)
    with out.open("w") as f:
        for line in header:
            f.write(f"# {line}\n")
        table.to_csv(f, index=False)
    print(f"wrote {out} ({len(table)} rows, {elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
