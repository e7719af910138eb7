"""Grid of trained QK-norm attention heads on in-context associative recall (book chapter "learnt β").

One row per (n, m, eps, g0 rule, seed) in ``book/data/learnt_beta_runs.csv``
(``sdmlib.learnt_beta.run_cell``: learnt g, effective β, the β sweep with the trained
projections frozen, the task's Bayes β and SDM's lines), and the training trace of each
cell (g and loss every 40 steps) in ``book/data/learnt_beta_trajectories.csv``.

Usage (the stored grid: n in {16, 32, 64}, m in {8, 32}, eps in {0.1, 0.3}, g0 rules low /
henry / high, seeds 0-2, 600 Adam steps of 128 sequences; 108 cells)::

    OMP_NUM_THREADS=1 python benchmarks/learnt_beta_runs.py

    # as it was run for book/data: four processes on a loaded 2-core machine (the first stopped
    # after seed 1, n = 16), then merged; cells are deterministic, so the split changes no number:
    OMP_NUM_THREADS=1 python benchmarks/learnt_beta_runs.py --seeds 0 1
    OMP_NUM_THREADS=1 python benchmarks/learnt_beta_runs.py --seeds 2 --out A.csv --trajectories A_traj.csv
    OMP_NUM_THREADS=1 python benchmarks/learnt_beta_runs.py --seeds 1 --n 64 --out B.csv --trajectories B_traj.csv
    OMP_NUM_THREADS=1 python benchmarks/learnt_beta_runs.py --seeds 1 --n 32 --out C.csv --trajectories C_traj.csv
    python benchmarks/learnt_beta_runs.py --merge A.csv A_traj.csv B.csv B_traj.csv C.csv C_traj.csv

    # a bigger grid, e.g. on a machine with more cores (one process per seed, then merge):
    OMP_NUM_THREADS=1 python benchmarks/learnt_beta_runs.py --n 16 32 64 128 --m 8 32 128 \\
        --eps 0.05 0.1 0.2 0.3 0.4 --seeds 0 1 2 3 4 --out OUT/runs.csv --trajectories OUT/traj.csv

The run is resumable: cells already in ``--out`` (same configuration) are skipped, and both
files are rewritten after every cell, so the same command started again continues. Cells run
seed by seed (all of seed 0 first), so a run cut short still has complete seeds. Each file
starts with ``#`` lines: command, seeds, commit (``git rev-parse HEAD``, and whether sdmlib had
uncommitted changes), sha256 of ``sdmlib/learnt_beta.py``, hardware, versions.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sdmlib import learnt_beta as LB  # noqa: E402
from sdmlib.provenance import write_stored_run  # noqa: E402

KEY = ["n", "m", "eps", "g0_rule", "seed", "init", "steps", "batch", "lr", "lr_g"]
TRACE_EVERY = 40


def provenance(command: str, seeds) -> list[str]:
    """``#`` header lines of both CSV files."""
    import torch

    from sdmlib.provenance import stored_run_header

    return stored_run_header(command, list(seeds), LB.__file__, root=ROOT,
                             hardware="torch threads 1 (set inside train_head), no GPU",
                             versions={"torch": torch.__version__})


def _read(path: Path) -> pd.DataFrame | None:
    return pd.read_csv(path, comment="#") if path.exists() else None


def _key(row) -> tuple:
    return (int(row["n"]), int(row["m"]), round(float(row["eps"]), 10), str(row["g0_rule"]), int(row["seed"]),
            str(row["init"]), int(row["steps"]), int(row["batch"]), round(float(row["lr"]), 12),
            round(float(row["lr_g"]), 12))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, nargs="+", default=[16, 32, 64])
    ap.add_argument("--m", type=int, nargs="+", default=[8, 32])
    ap.add_argument("--eps", type=float, nargs="+", default=[0.1, 0.3])
    ap.add_argument("--rules", nargs="+", default=list(LB.G0_RULES), choices=LB.G0_RULES)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-2)
    ap.add_argument("--lr-g", type=float, default=0.3)
    ap.add_argument("--init", default="gaussian", choices=("gaussian", "identity"))
    ap.add_argument("--out", default=str(ROOT / "book/data/learnt_beta_runs.csv"))
    ap.add_argument("--trajectories", default=str(ROOT / "book/data/learnt_beta_trajectories.csv"))
    ap.add_argument("--max-minutes", type=float, default=None, help="stop (resumably) after this long")
    ap.add_argument("--merge", nargs="+", metavar="CSV", default=None,
                    help="pairs RUNS.csv TRAJECTORIES.csv of other processes to merge into --out/--trajectories")
    args = ap.parse_args(argv)
    if args.merge:
        return merge(args, argv)

    out, traj_path = Path(args.out), Path(args.trajectories)
    command = "OMP_NUM_THREADS=1 python benchmarks/learnt_beta_runs.py" + (
        " " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if argv is None and sys.argv[1:] else "")
    runs, traj = _read(out), _read(traj_path)
    done = set() if runs is None else {_key(r) for _, r in runs.iterrows()}
    cells = [(seed, n, m, eps, rule) for seed in args.seeds for n in args.n for m in args.m
             for eps in args.eps for rule in args.rules]
    todo = [c for c in cells if _key(dict(n=c[1], m=c[2], eps=c[3], g0_rule=c[4], seed=c[0], init=args.init,
                                          steps=args.steps, batch=args.batch, lr=args.lr, lr_g=args.lr_g))
            not in done]
    print(f"{len(cells)} cells, {len(cells) - len(todo)} already in {out}, {len(todo)} to run", flush=True)
    start = time.perf_counter()
    for i, (seed, n, m, eps, rule) in enumerate(todo, 1):
        if args.max_minutes is not None and time.perf_counter() - start > 60 * args.max_minutes:
            print("time limit reached; run the same command again to continue", flush=True)
            break
        row, head = LB.run_cell(n, m, eps, rule, seed, steps=args.steps, batch=args.batch, lr=args.lr,
                                lr_g=args.lr_g, init=args.init)
        h = head.history
        keep = (h["step"] % TRACE_EVERY == 0) | (h["step"] == h["step"][-1])
        trace = pd.DataFrame({"n": n, "m": m, "eps": eps, "g0_rule": rule, "seed": seed, "init": args.init,
                              "step": h["step"][keep], "g": h["g"][keep], "loss": h["loss"][keep]})
        runs = pd.DataFrame([row]) if runs is None else pd.concat([runs, pd.DataFrame([row])], ignore_index=True)
        traj = trace if traj is None else pd.concat([traj, trace], ignore_index=True)
        header = provenance(command, sorted(set(runs["seed"].astype(int))))
        write_stored_run(out, header, runs)
        write_stored_run(traj_path, header, traj)
        print(f"[{i}/{len(todo)}] n={n} m={m} eps={eps} g0={rule}({row['g0']:.2f}) seed={seed}: "
              f"g={row['g']:.3f} beta_eff={row['beta_eff']:.2f} beta*={row['beta_bayes']:.2f} "
              f"best_mse={row['beta_best_mse']:.2f} recall={row['recall']:.3f} "
              f"train {row['train_seconds']:.1f}s, elapsed {time.perf_counter() - start:.0f}s", flush=True)
    return 0


def merge(args, argv) -> int:
    """Merge other processes' files into ``--out``/``--trajectories`` (duplicate cells dropped)."""
    if len(args.merge) % 2:
        raise SystemExit("--merge takes pairs: RUNS.csv TRAJECTORIES.csv")
    out, traj_path = Path(args.out), Path(args.trajectories)
    runs = [_read(out)] + [_read(Path(p)) for p in args.merge[0::2]]
    trajs = [_read(traj_path)] + [_read(Path(p)) for p in args.merge[1::2]]
    commands = [ln.split(":", 1)[1].strip() for p in [out, *map(Path, args.merge[0::2])] if p.exists()
                for ln in open(p) if ln.startswith("# command:")]
    cell = ["n", "m", "eps", "g0_rule", "seed"]
    order = {r: i for i, r in enumerate(LB.G0_RULES)}
    table = pd.concat([r for r in runs if r is not None], ignore_index=True).drop_duplicates(cell)
    table = table.sort_values(["seed", "n", "m", "eps"], kind="stable")
    table = table.iloc[np.lexsort((table.g0_rule.map(order), table.eps, table.m, table.n, table.seed))]
    traces = pd.concat([t for t in trajs if t is not None], ignore_index=True).drop_duplicates(cell + ["step"])
    traces = traces.iloc[np.lexsort((traces.step, traces.g0_rule.map(order), traces.eps, traces.m, traces.n,
                                     traces.seed))]
    made = sorted({ln.split(":", 1)[1].strip() for p in [out, *map(Path, args.merge[0::2])] if p.exists()
                   for ln in open(p) if ln.startswith("# commit:") or ln.startswith("# computed at:")})
    header = provenance("; ".join(commands) + " (merged: python benchmarks/learnt_beta_runs.py --merge ...)",
                        sorted(set(table["seed"].astype(int))))
    header[2:2] = [f"# computed at: {c}" for c in made]
    write_stored_run(out, header, table.reset_index(drop=True))
    write_stored_run(traj_path, header, traces.reset_index(drop=True))
    print(f"merged: {len(table)} cells, {len(traces)} trace rows", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
