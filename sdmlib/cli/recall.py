"""``python -m sdmlib recall``: recall curves of the associative memories (protocols E1-E4)."""

from __future__ import annotations

import argparse
from typing import Any

from sdmlib.cli._base import CommandParser, int_arg, int_list_arg, output_file


def _name_list(text: str) -> tuple[str, ...]:
    values = tuple(v.strip() for v in text.split(",") if v.strip())
    if not values:
        raise argparse.ArgumentTypeError("--models must hold at least one model label")
    if len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(f"--models must not repeat a label, got {text!r}")
    return values


def _queries(text: str) -> int | None:
    if text.strip() == "all":
        return None
    return int_arg("--queries", lo=1)(text)


def _neurons(text: str) -> int | None:
    if text.strip() == "all":
        return None
    return int_arg("--neurons", lo=1)(text)


#: protocol field -> the command-line option that sets it
_OPTION_OF = {
    "n_queries": "--queries", "n_datasets": "--datasets", "n_repeats": "--repeats", "max_steps": "--max-steps",
    "radii": "--radii", "levels": "--levels", "models": "--models", "r": "--neurons",
    "convergence": "--convergence", "estimator": "--estimator", "on_empty": "--on-empty",
}

_name_list.__name__ = "list"
_queries.__name__ = "queries"
_neurons.__name__ = "neurons"


def build_parser() -> CommandParser:
    parser = CommandParser(
        prog="python -m sdmlib recall",
        description=(
            "Recall curves of the associative memories (protocols E1-E4 of Bricken & Pehlevan 2021). "
            "Runs a protocol at the paper's scale (--scale full) or the book's "
            "(--scale reduced) and writes one CSV row per (model, d, h, seed)."
        ),
        epilog=(
            "Examples: python -m sdmlib recall --protocol E1 --out e1.csv ; "
            "python -m sdmlib recall --protocol E3 --on-empty original --radii 15,19 --out e3.csv"
        ),
    )
    parser.add_argument("--protocol", required=True, choices=("E1", "E2", "E3", "E4"), help="which protocol to run")
    parser.add_argument("--scale", default="full", choices=("full", "reduced"), help="paper scale or book scale")
    parser.add_argument("--seed", type=int_arg("--seed", lo=0), default=0,
                        help="master seed; data sets use seed, seed+1, ...")
    parser.add_argument("--out", type=output_file("--out", (".csv",)), default=None,
                        help="CSV file to write (None: recall_<protocol>_<scale>_seed<seed>.csv); checked before the run")
    parser.add_argument("--models", type=_name_list, default=None,
                        help="comma-separated model labels (None: the protocol's)")
    parser.add_argument("--radii", type=int_list_arg("--radii", lo=0), default=None,
                        help="comma-separated Hamming radii d (None: the protocol's)")
    parser.add_argument("--levels", type=int_list_arg("--levels", lo=0), default=None,
                        help="comma-separated perturbation sizes h (None: the protocol's)")
    parser.add_argument("--datasets", type=int_arg("--datasets", lo=1), default=None,
                        help="number of data sets (replicate seeds; None: the protocol's)")
    parser.add_argument("--repeats", type=int_arg("--repeats", lo=1), default=None,
                        help="perturbation repeats per data set (None: the protocol's)")
    parser.add_argument("--queries", type=_queries, default=False,
                        help="queried patterns per repeat, or 'all' (False: the protocol's)")
    parser.add_argument("--neurons", type=_neurons, default=False,
                        help="r of the finite-neuron models, or 'all' (r = 2**n) (False: the protocol's)")
    parser.add_argument("--max-steps", type=int_arg("--max-steps", lo=1), default=None,
                        help="cap on update steps (None: 100)")
    parser.add_argument("--convergence", choices=("per-query", "original"), default=None,
                        help="per-query convergence (None: per-query) or the original's batch-global test")
    parser.add_argument("--estimator", choices=("as-published", "ols"), default=None,
                        help="beta estimator of the attention models (None: as-published)")
    parser.add_argument("--on-empty", choices=("keep", "original"), default=None,
                        help="reads with nothing in range: keep the query (None: keep) or do what the original did")
    parser.add_argument("--summary", action="store_true", help="print the table pooled over seeds")
    parser.add_argument("--dry-run", action="store_true", help="print the configuration and exit")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def run(args: argparse.Namespace) -> int:
    from sdmlib.cli._base import output_file as _out
    from sdmlib.experiments import (
        recall_protocol,
        recall_protocol_radii,
        run_recall_protocol,
        summarize_recall,
    )

    changes: dict[str, Any] = {}
    for field_name, value in (
        ("models", args.models),
        ("radii", args.radii),
        ("levels", args.levels),
        ("n_datasets", args.datasets),
        ("n_repeats", args.repeats),
        ("max_steps", args.max_steps),
        ("convergence", args.convergence),
        ("estimator", args.estimator),
        ("on_empty", args.on_empty),
    ):
        if value is not None:
            changes[field_name] = value
    if args.queries is not False:
        changes["n_queries"] = args.queries
    if args.neurons is not False:
        changes["r"] = args.neurons
    if args.radii is not None:
        changes["fractions"] = ()
    try:
        p = recall_protocol(args.protocol, args.scale, **changes)
    except (ValueError, TypeError) as exc:  # name the option the user typed, not the field
        text = str(exc)
        for field_name, option in _OPTION_OF.items():
            if text.startswith(field_name + " ") or text.startswith(field_name + "["):
                text = option + text[len(field_name):]
                break
        raise type(exc)(text) from None
    radii = recall_protocol_radii(p)
    out = args.out if args.out is not None else _out("--out", (".csv",))(
        f"recall_{p.name}_{p.scale}_seed{args.seed}.csv")
    if args.dry_run:
        print(p)
        print(f"radii: {radii}; scored queries per point: {p.queries_per_point}; output: {out}")
        return 0
    print(f"recall: protocol {p.name} ({p.scale} scale), {len(p.models)} models x {len(radii)} radii x "
          f"{len(p.levels)} levels x {p.n_datasets} data sets; writing {out}", flush=True)
    table = run_recall_protocol(p, args.seed, progress=False if args.no_progress else True)
    table.to_csv(out, index=False)
    print(f"wrote {len(table)} rows to {out}")
    if args.summary:
        import pandas as pd

        cols = ["model", "d", "h", "n_seeds", "mean", "std", "sem", "steps", "n_empty"]
        with pd.option_context("display.width", 160, "display.max_rows", 500):
            print(summarize_recall(table)[cols].to_string(index=False))
    return 0
