"""``python -m sdmlib projection``: train learned key projections W_k (protocols E5, E6)."""

from __future__ import annotations

import argparse

from sdmlib.cli._base import CommandParser, input_path, int_arg, output_dir, real_arg

DATASETS = ("mnist", "fashion-mnist")
N_IMAGES = 60_000  # training images of both data sets


def build_parser() -> CommandParser:
    p = CommandParser(
        prog="python -m sdmlib projection",
        description="Train key projections W_k (protocols E5/E6) and save each as a portable .npz.",
        epilog="Example (the book's cached weights): python -m sdmlib projection --dataset mnist "
               "--m 5000 --d 5 9 11 15 --seeds 0 --out book/data/projections",
    )
    p.add_argument("--dataset", choices=DATASETS, default="mnist", help="image data set")
    p.add_argument("--data-path", type=input_path("--data-path"), default=None,
                   help="MNIST pickle or Fashion-MNIST folder (None: the installed packages)")
    p.add_argument("--m", type=int_arg("--m", lo=2, hi=N_IMAGES), default=None,
                   help=f"stored/training images, 2 <= m <= {N_IMAGES} (None: all {N_IMAGES})")
    p.add_argument("--subset-seed", type=int_arg("--subset-seed", lo=0), default=0,
                   help="seed of the subset of m training images")
    p.add_argument("--d", type=int_arg("--d", lo=2), nargs="+", default=[5, 9, 11, 15],
                   help="radii in the latent space, each 2 <= d <= n/2")
    p.add_argument("--n", type=int_arg("--n", lo=4, hi=4096), default=64, help="latent dimension, 4 <= n <= 4096")
    p.add_argument("--beta", choices=("fitted", "learn"), default="fitted", help="fixed fitted beta or learnt beta")
    p.add_argument("--estimator", choices=("as-published", "ols"), default="as-published",
                   help="estimator of the fitted beta")
    p.add_argument("--epochs", type=int_arg("--epochs", lo=1), default=None, help="None: 10 (fitted) / 20 (learn)")
    p.add_argument("--lr", type=real_arg("--lr", lo=0.0, lo_open=True), default=None,
                   help="Adam learning rate > 0 (None: 0.005 fitted / 0.01 learn)")
    p.add_argument("--batch-size", type=int_arg("--batch-size", lo=1), default=128, help="images per batch")
    p.add_argument("--h-range", type=real_arg("--h-range", lo=0.0, hi=784.0), nargs=2, default=[10.0, 100.0],
                   metavar=("LO", "HI"), help="perturbation h ~ U[LO, HI] in pixel units, 0 <= LO <= HI <= 784")
    p.add_argument("--seeds", type=int_arg("--seeds", lo=0), nargs="+", default=[0], help="training seeds")
    p.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda (checked before any work)")
    p.add_argument("--threads", type=int_arg("--threads", lo=1, hi=1024), default=1, help="torch CPU threads")
    p.add_argument("--out", type=output_dir("--out"), required=True, help="output folder (created if needed)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def run(args: argparse.Namespace) -> int:
    for d in args.d:
        if d > args.n // 2:
            raise ValueError(f"--d must be <= n/2 = {args.n // 2}, got {d}")
    if len(set(args.d)) != len(args.d) or len(set(args.seeds)) != len(args.seeds):
        raise ValueError("--d and --seeds must not repeat a value")
    lo, hi = args.h_range
    if lo > hi:
        raise ValueError(f"--h-range must be LO <= HI, got {lo:g} {hi:g}")
    if args.data_path is not None:
        kind = "dir" if args.dataset == "fashion-mnist" else "file"
        input_path("--data-path", kind)(str(args.data_path))
    from sdmlib import projection as P

    torch = P._torch()
    try:
        dev = torch.device(args.device)
        torch.empty(0, device=dev)
    except (RuntimeError, AssertionError, ValueError) as exc:
        raise ValueError(f"--device {args.device!r} is not available here ({' '.join(str(exc).split())[:120]})") from None
    learn = args.beta == "learn"
    epochs = args.epochs if args.epochs is not None else (20 if learn else 10)
    configs = [{"d": d, "seed": seed, "beta": "learn" if learn else None} for seed in args.seeds for d in args.d]
    m_text = "all" if args.m is None else str(args.m)
    print(f"projection: training {len(configs)} projection(s) W_k ({args.dataset}, m = {m_text} images, "
          f"n = {args.n}, d = {' '.join(map(str, args.d))}, {epochs} epochs, beta {args.beta}) on {dev}; "
          f"writing to {args.out}", flush=True)
    torch.set_num_threads(args.threads)
    X = P.load_images(args.dataset, "train", path=args.data_path)
    n_available = len(X)
    if args.m is not None and args.m > n_available:
        raise ValueError(f"--m must be <= {n_available} (the images available), got {args.m}")
    m = n_available if args.m is None else args.m
    X = X[P.training_subset(n_available, m, args.subset_seed)]
    args.out.mkdir(parents=True, exist_ok=True)
    projs = P.train_projections(
        X, configs, n=args.n, epochs=epochs, lr=args.lr, batch_size=args.batch_size, perturbation_range=(lo, hi),
        device=args.device, beta_estimator=args.estimator, label=args.dataset, progress=not args.no_progress,
    )
    argv = getattr(args, "_argv", [])
    for p in projs:
        p.config.update({"dataset": args.dataset, "subset_seed": args.subset_seed, "n_available": n_available,
                         "command": "python -m sdmlib projection " + " ".join(argv)})
        path = p.save(args.out / P.projection_filename(args.dataset, p.d, p.config["seed"], learn))
        print(f"{path}  d={p.d} seed={p.config['seed']} beta={p.beta:.4f} loss {p.epoch_loss[0]:.4f} -> "
              f"{p.epoch_loss[-1]:.4f} ({p.config['train_seconds']:.1f} s for {len(projs)} stacked models)")
    return 0
