"""Stored runs of the learned-projection chapter: every reduced-scale model for several training seeds.

The chapter ``learned_projections.md`` trains at a reduced scale (``m = 5000``
training images) and must execute in a couple of minutes, so the runs that
give its curves an uncertainty are made once by this module and stored under
``book/data/``; the chapter loads them and recomputes a random sample of the
stored cells at build time.

:func:`seed_runs` runs the chapter's E5 (fixed β) and E6 (learnt β) protocols
for training seeds 0, 1, 2: it trains the missing seeds (seed 0 is the
chapter's stored model), evaluates every model on the chapter's own queries
(:func:`reduced_setup`) and writes one row per (data set, β mode, seed,
protocol, model, d, h) with the mean, the standard deviation and the number
of queries.

:func:`seed_summary` turns the per-seed table into a mean with an interval
that holds both the spread over training seeds and the sampling error of the
queries. Command line::

    python -m sdmlib.projection_runs seeds --out book/data/projection_reduced_seeds.csv

The CSV starts with ``#`` lines giving the command, seeds, commit and hardware.

Examples
--------
The interval of :func:`seed_summary` is wider than either of its parts:

>>> import pandas as pd
>>> t = pd.DataFrame(dict(key=["a"] * 3, seed=[0, 1, 2], mean=[0.90, 0.92, 0.94],
...                       std=[0.1] * 3, n_queries=[100] * 3))
>>> s = seed_summary(t, by=["key"]).iloc[0]
>>> float(round(s["mean"], 3)), float(round(s["seed_sd"], 3)), bool(s["half_width"] > 1.96 * 0.1 / 10)
(0.92, 0.02, True)
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from sdmlib._validate import check_bool, check_int
from sdmlib import projection as P
from sdmlib.provenance import write_stored_run

__all__ = [
    "RADII", "LEVELS", "REDUCED_M", "REDUCED_Q", "ALL_WEIGHTINGS", "reduced_setup", "evaluate", "seed_cells",
    "seed_runs", "seed_summary", "z_against_original", "provenance_lines", "read_stored",
]

#: Radii of the paper's projection runs (latent n = 64).
RADII = (5, 9, 11, 15)
#: Perturbation levels h (pixels of 784).
LEVELS = (0, 50, 100, 150, 200, 250, 300)
#: Stored/training images at the reduced scale.
REDUCED_M = 5000
#: Queries per protocol at the reduced scale.
REDUCED_Q = 100
#: The four weightings read through a fixed-β projection.
ALL_WEIGHTINGS = ("binary", "cap", "softmax-bfit", "softmax-cfit")


def reduced_setup(data: dict, *, m: int = REDUCED_M, q: int = REDUCED_Q, seed: int = 0):
    """The chapter's memories and queries: ``m`` training images per data set, ``q`` queries per protocol.

    Parameters
    ----------
    data : dict
        ``{name: (train, test)}`` image arrays, in the order the queries are
        drawn (the chapter: MNIST, then Fashion-MNIST).
    m, q, seed
        Memory size (the first ``m`` of the permutation ``training_subset(.., seed=0)``
        the models trained on), queries per protocol, seed of the query draw.

    Returns
    -------
    memory : dict name -> (m, 784) array
    queries : dict (name, "stored" | "generalization") -> (q, 784) array
        Stored queries are clean copies of images in the memory; generalization
        queries are test images, never written.
    """
    m = check_int("m", m, lo=1)
    q = check_int("q", q, lo=1, hi=m)
    rng = np.random.default_rng(check_int("seed", seed, lo=0))
    memory, queries = {}, {}
    for name, (train, test) in data.items():
        memory[name] = train[P.training_subset(len(train), m, seed=0)]
        queries[(name, "stored")] = memory[name][np.sort(rng.choice(m, q, replace=False))]
        queries[(name, "generalization")] = test[np.sort(rng.choice(len(test), q, replace=False))]
    return memory, queries


def evaluate(p: "P.Projection", memory: np.ndarray, queries: np.ndarray, protocol: str, weightings: Sequence[str],
             *, levels: Sequence[int] = LEVELS, seed: int = 0, learnt_beta: float | None = None, **kw):
    """Recall table of one projection with the chapter's settings (:func:`sdmlib.projection.projected_recall`)."""
    models = P.evaluation_models(p.d, weightings=weightings, learnt_beta=learnt_beta, **kw)
    return P.projected_recall(p, memory, queries, levels, models=models, seed=seed, protocol=protocol)


def seed_cells() -> list[tuple[str, str, str, tuple[str, ...]]]:
    """The evaluated cells of the chapter: (data set, β mode, protocol, weightings), for every radius."""
    cells = []
    for data in P.DATASETS:
        cells += [(data, "fixed", "stored", ALL_WEIGHTINGS), (data, "fixed", "generalization", ("softmax-bfit",))]
    cells += [("mnist", "learnt", "stored", ("softmax-learnt", "softmax-bfit", "cap")),
              ("mnist", "learnt", "generalization", ("softmax-learnt",))]
    return cells


def provenance_lines(command: str, seeds: Any) -> list[str]:
    """``#`` header lines: command, seeds, commit (and whether sdmlib had local changes), hardware, versions."""
    import torch

    from sdmlib.provenance import stored_run_header

    return stored_run_header(command, seeds, P.__file__,
                             hardware=f"torch threads {torch.get_num_threads()}, no GPU",
                             versions={"torch": torch.__version__})


def read_stored(path: str | Path):
    """A CSV written by this module (comment lines skipped) and its ``#`` header lines."""
    import pandas as pd

    path = Path(path)
    header = [ln.rstrip("\n") for ln in open(path) if ln.startswith("#")]
    return pd.read_csv(path, comment="#"), header


def _load_data():
    return {name: (P.load_images(name, "train"), P.load_images(name, "test")) for name in P.DATASETS}


def seed_runs(out: str | Path, *, weights: str | Path = "book/data/projections", seeds: Sequence[int] = (0, 1, 2),
              command: str = "", progress: bool = True):
    """Train the missing seeds of the chapter's twelve models and evaluate every seed (see module docstring).

    A model whose file ``<dataset>_<fixed|learnt>_d<d>_s<seed>.npz`` exists in
    ``weights`` is loaded, otherwise trained with the chapter's settings
    (``m = 5000``, subset seed 0, the paper's epochs and learning rates, the
    four radii stacked) and saved there. Returns the table it writes to ``out``.
    """
    progress = check_bool("progress", progress)
    import pandas as pd

    weights = Path(weights)
    seeds = [check_int("seeds", s, lo=0) for s in seeds]
    data = _load_data()
    memory, queries = reduced_setup(data)
    projs = {}
    for data_name, mode in (("mnist", "fixed"), ("fashion-mnist", "fixed"), ("mnist", "learnt")):
        learn = mode == "learnt"
        for seed in seeds:
            files = {d: weights / P.projection_filename(data_name, d, seed, learn) for d in RADII}
            missing = [d for d, f in files.items() if not f.exists()]
            if missing:
                t0 = time.perf_counter()
                trained = P.train_projections(memory[data_name], [dict(d=d, seed=seed, beta="learn" if learn else None)
                                                                  for d in missing],
                                              epochs=20 if learn else 10, label=data_name)
                for p in trained:
                    p.config.update({"dataset": data_name, "subset_seed": 0, "n_available": 60000,
                                     "command": command or "sdmlib.projection_runs.seed_runs"})
                    p.save(files[p.d])
                if progress:
                    print(f"trained {data_name}/{mode} seed {seed} d={missing} in {time.perf_counter() - t0:.0f} s",
                          file=sys.stderr, flush=True)
            for d, f in files.items():
                projs[(data_name, mode, d, seed)] = P.load_projection(f)
    rows = []
    for data_name, mode, protocol, ws in seed_cells():
        for seed in seeds:
            t0 = time.perf_counter()
            for d in RADII:
                p = projs[(data_name, mode, d, seed)]
                t = evaluate(p, memory[data_name], queries[(data_name, protocol)], protocol, ws,
                             learnt_beta=p.beta if mode == "learnt" else None)
                rows.append(t.assign(data=data_name, beta_mode=mode, seed=seed, beta_trained=p.beta,
                                     beta_init=p.beta_init))
            if progress:
                print(f"evaluated {data_name}/{mode}/{protocol} seed {seed} in {time.perf_counter() - t0:.0f} s",
                      file=sys.stderr, flush=True)
    table = pd.concat(rows, ignore_index=True)
    cols = ["data", "beta_mode", "seed", "protocol", "model", "weighting", "d", "h", "n_queries", "mean", "std",
            "baseline", "steps", "beta", "beta_trained", "beta_init"]
    table = table[cols]
    write_stored_run(Path(out), provenance_lines(command or "sdmlib.projection_runs.seed_runs", seeds), table)
    return table


def seed_summary(table, by: Sequence[str], *, t_seed: float | None = None, z_query: float = 1.96):
    """Mean over training seeds with an interval for the seeds *and* the queries.

    For each group of ``by``: ``mean`` = mean of the seeds' means (k seeds);
    ``seed_sd`` = their standard deviation (ddof 1); ``query_se`` = the pooled
    per-query standard deviation over sqrt(n_queries) (every seed reads the
    same queries, so their sampling error does not average out over seeds);
    ``half_width`` = sqrt((t·seed_sd/sqrt(k))² + (z·query_se)²) with t the 97.5 %
    Student quantile for k - 1 degrees of freedom (``t_seed`` overrides it).

    Supported range: k >= 2 seeds per group with n_queries >= 2; groups with a
    single seed get ``seed_sd = nan`` and only the query part.
    """
    import pandas as pd
    from scipy import stats

    rows = []
    for key, g in table.groupby(list(by), sort=False):
        k = len(g)
        sd = float(g["mean"].std(ddof=1)) if k > 1 else math.nan
        qse = float(np.sqrt(np.mean(np.asarray(g["std"], float) ** 2) / np.mean(np.asarray(g["n_queries"], float))))
        t = (t_seed if t_seed is not None else float(stats.t.ppf(0.975, k - 1))) if k > 1 else 0.0
        seed_part = 0.0 if k < 2 else t * sd / math.sqrt(k)
        rows.append({**dict(zip(by, key if isinstance(key, tuple) else (key,))), "mean": float(g["mean"].mean()),
                     "k_seeds": k, "seed_sd": sd, "query_se": qse, "n_queries": int(np.min(g["n_queries"])),
                     "half_width": math.sqrt(seed_part ** 2 + (z_query * qse) ** 2)})
    return pd.DataFrame(rows)


def z_against_original(summary, original, *, k_original: int = 3, n_original: int = 60000):
    """z-scores of ``summary`` (rows of :func:`seed_summary`) against the original's values.

    The original averaged ``k_original`` trained key maps, each over
    ``n_original`` queries (the saved E5 tables: 3 × 60 000), so its standard
    error is ``sqrt(seed_sd² / k_original + query_sd² / n_original)``, with its
    (unsaved) spreads estimated by ours: ``seed_sd`` over key maps and
    ``query_sd = query_se · sqrt(n_queries)`` over queries. Ours is
    ``sqrt(seed_sd² / k + query_se²)`` (our seeds read the same queries).
    ``z = (ours - original) / sqrt(se_ours² + se_original²)``.

    Parameters
    ----------
    summary : pandas.DataFrame
        Columns ``mean, k_seeds, seed_sd, query_se`` and ``n_queries`` (one row per cell).
    original : array_like
        The original's value of each row.
    k_original, n_original : int
        The original's key maps and queries per key map (at least 1).

    Examples
    --------
    Our 3 seeds × 2000 queries against the original's 3 × 60 000: the seed part
    counts twice, the query part of the original is 30 times smaller in variance:

    >>> import pandas as pd
    >>> s = pd.DataFrame(dict(mean=[0.90], k_seeds=[3], seed_sd=[0.003], query_se=[0.1 / 2000 ** 0.5],
    ...                       n_queries=[2000]))
    >>> z = float(z_against_original(s, [0.895])[0])
    >>> bool(np.isclose(z, 0.005 / np.sqrt(2 * 0.003 ** 2 / 3 + 0.1 ** 2 / 2000 + 0.1 ** 2 / 60000)))
    True
    """
    k_original = check_int("k_original", k_original, lo=1)
    n_original = check_int("n_original", n_original, lo=1)
    sd = np.nan_to_num(np.asarray(summary["seed_sd"], dtype=float))
    k = np.asarray(summary["k_seeds"], dtype=float)
    qse = np.asarray(summary["query_se"], dtype=float)
    qsd = qse * np.sqrt(np.asarray(summary["n_queries"], dtype=float))
    se2 = sd ** 2 / k + qse ** 2 + sd ** 2 / k_original + qsd ** 2 / n_original
    return (np.asarray(summary["mean"], dtype=float) - np.asarray(original, dtype=float)) / np.sqrt(se2)


def _main(argv: Sequence[str] | None = None) -> int:
    from types import SimpleNamespace

    from sdmlib.cli._base import CommandParser, execute, input_path, int_arg, output_file

    def build_parser() -> CommandParser:
        ap = CommandParser(prog="python -m sdmlib.projection_runs", description=__doc__.split("\n\n")[0])
        sub = ap.add_subparsers(dest="run", required=True, parser_class=CommandParser)
        a = sub.add_parser("seeds", help="chapter models for seeds 0-2, evaluated")
        a.add_argument("--out", type=output_file("--out", (".csv",)), required=True,
                       help="CSV file to write (checked before the run)")
        a.add_argument("--weights", type=input_path("--weights", "dir"), default="book/data/projections",
                       help="folder of the saved projections")
        a.add_argument("--seeds", type=int_arg("--seeds", lo=0), nargs="+", default=[0, 1, 2], help="training seeds")
        a.add_argument("--threads", type=int_arg("--threads", lo=1, hi=1024), default=1, help="torch CPU threads")
        return ap

    def run(args: Any) -> int:
        import torch

        torch.set_num_threads(args.threads)
        command = "python -m sdmlib.projection_runs " + " ".join(args._argv)
        print(f"projection_runs: evaluating the chapter's projections for seeds {args.seeds}; writing {args.out}",
              flush=True)
        seed_runs(args.out, weights=args.weights, seeds=args.seeds, command=command)
        return 0

    argv = list(sys.argv[1:] if argv is None else argv)
    return execute("projection_runs", SimpleNamespace(build_parser=build_parser, run=run), argv)


if __name__ == "__main__":
    sys.exit(_main())
