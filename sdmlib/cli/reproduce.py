"""``python -m sdmlib reproduce``: the recall protocols as a resumable grid, serially, in processes or on Dask."""

from __future__ import annotations

import argparse
import shlex

from sdmlib.cli._base import CommandParser, int_arg, output_dir


def _protocols(text: str) -> tuple[str, ...]:
    from sdmlib.reproduce.grid import parse_protocols

    try:
        return parse_protocols(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError("--" + str(exc)) from None


def _scheduler(text: str) -> str:
    from sdmlib.reproduce.run import scheduler_name

    try:
        return scheduler_name(text.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError("--" + str(exc)) from None


_protocols.__name__ = "protocols"
_scheduler.__name__ = "scheduler"


def build_parser() -> CommandParser:
    parser = CommandParser(
        prog="python -m sdmlib reproduce",
        description=(
            "Run the recall protocols E1-E4 as a grid of independent cells (model x radius x replicate seed), "
            "resumably: cells already stored in --out are skipped. The numbers do not depend on the scheduler."
        ),
        epilog=(
            "Examples: python -m sdmlib reproduce --protocols E1 --scale reduced --out runs/reduced ; "
            "python -m sdmlib reproduce --scale full --scheduler dask --out runs/full ; "
            "python -m sdmlib reproduce --scale full --scheduler tcp://10.0.0.5:8786 --out runs/full"
        ),
    )
    parser.add_argument("--protocols", type=_protocols, default="all",
                        help="comma-separated protocols (E1,E2,E3,E4) or 'all'")
    parser.add_argument("--scale", default="reduced", choices=("reduced", "full"),
                        help="the book's scale or the paper's (3 data sets x 5 repeats x 1024 queries per point)")
    parser.add_argument("--scheduler", type=_scheduler, default="serial",
                        help="serial, processes (a local pool), dask (a LocalCluster sized to the machine) "
                             "or tcp://HOST:PORT (an existing Dask scheduler)")
    parser.add_argument("--workers", type=int_arg("--workers", lo=1, hi=1024), default=None,
                        help="worker processes of 'processes' and 'dask' (None: one per core)")
    parser.add_argument("--out", type=output_dir("--out"), default=None,
                        help="output folder (None: reproduce-<scale>); stored cells there are not recomputed")
    parser.add_argument("--backend", default="numpy", choices=("numpy", "torch"),
                        help="array library of the memories (torch: every model but hopfield)")
    parser.add_argument("--device", default=None,
                        help="torch device with --backend torch: cpu, cuda, cuda:1, ... (None: the memories' "
                             "default); cuda cells ask a Dask cluster for a worker with a GPU resource")
    parser.add_argument("--seed", type=int_arg("--seed", lo=0), default=0,
                        help="master seed; the replicates are seed, seed+1, ...")
    parser.add_argument("--dry-run", action="store_true", help="list how many cells each protocol has and exit")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar and no status lines")
    return parser


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from sdmlib.reproduce.grid import parse_protocols, protocol_cells
    from sdmlib.reproduce.run import _stored, reproduce

    names = parse_protocols(args.protocols) if isinstance(args.protocols, str) else args.protocols
    if args.device is not None and args.backend != "torch":
        raise ValueError("--device needs --backend torch")
    if args.device is not None and not (args.device == "cpu" or args.device.startswith("cuda")):
        raise ValueError(f"--device must be cpu, cuda or cuda:N, got {args.device!r}")
    out = Path(args.out) if args.out is not None else Path(f"reproduce-{args.scale}")
    if args.dry_run:
        for name in names:
            from sdmlib import experiments as ex

            p = ex.recall_protocol(name, args.scale).replace(backend=args.backend, device=args.device)
            cells = protocol_cells(name, args.scale, args.seed, protocol=p)
            done = sum(_stored(out, c) for c in cells) if out.is_dir() else 0
            print(f"{name} ({args.scale}): {len(cells)} cells, {done} stored in {out}")
        return 0
    command = "python -m sdmlib reproduce " + " ".join(shlex.quote(a) for a in getattr(args, "_argv", []))
    reproduce(names, args.scale, args.scheduler, out, seed=args.seed, workers=args.workers,
              progress=False if args.no_progress else True, command=command.strip(), backend=args.backend,
              device=args.device)
    return 0
