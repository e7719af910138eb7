"""``python -m sdmlib betas``: effective β (or per-head statistics) of every attention head of a local transformer.

Everything the user typed is checked before the model is loaded: the texts
file is read (a bad line is named with the file and its line number), the
output file must be writable, and the options must fit together. The model
is then loaded offline (nothing downloads), the queries and keys of every
head are captured with a progress bar over the texts, and the table is
written.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from sdmlib.cli._base import CommandParser, UsageError, input_path, int_arg, output_file

TABLES = ("betas", "stats", "summary", "classes")


def build_parser() -> CommandParser:
    parser = CommandParser(
        prog="python -m sdmlib betas",
        description=(
            "Effective beta and per-head statistics of every attention head of a transformer (offline). "
            "Works for any local Hugging Face model folder whose attention dispatches through "
            "transformers' AttentionInterface (GPT-2, BERT, LLaMA, Qwen, Gemma, ...)."
        ),
        epilog="Example: python -m sdmlib betas --model minilm --texts book/data/probe_texts.txt --out betas.csv",
    )
    parser.add_argument("--model", required=True, help="local model folder, cached model name, or 'minilm'")
    parser.add_argument("--texts", required=True, type=input_path("--texts", kind="file"),
                        help="texts file (passages separated by '---' lines, or .jsonl with a 'text' field)")
    parser.add_argument("--out", required=True, type=output_file("--out", (".csv",)),
                        help="output CSV (checked before the model is loaded)")
    parser.add_argument("--table", default="betas", choices=TABLES,
                        help="betas: effective beta; stats: per-token head statistics; "
                        "summary: per text and head (with a provenance header); classes: head classes")
    parser.add_argument("--query", default="last", choices=("last", "all"),
                        help="--table betas: the last non-special token, or every query position")
    parser.add_argument("--reduce", default=None, choices=("max", "mean"),
                        help="with --query all: aggregate over tokens (None: one row per token)")
    parser.add_argument("--name", default=None, help="model label in the table (None: the folder name)")
    parser.add_argument("--max-length", type=int_arg("--max-length", lo=1), default=None,
                        help="truncate texts to this many tokens (None: the model's position limit)")
    parser.add_argument("--sdm", action="store_true",
                        help="--table betas: add the SDM radius and reference-beta columns")
    parser.add_argument("--attn", default="eager", choices=("eager", "sdpa"), help="attention kernel")
    parser.add_argument("--route", default="interface", choices=("interface", "hooks"),
                        help="capture route (hooks: the independent cross-check; needs --attn eager)")
    parser.add_argument("--no-verify", action="store_true", help="skip the attention-reproduction check")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def _check_combination(args: argparse.Namespace) -> None:
    """Options that only make sense together, refused before any work."""
    if args.table != "betas":
        for flag, given in (("--sdm", args.sdm), ("--query", args.query != "last"),
                            ("--reduce", args.reduce is not None)):
            if given:
                raise UsageError(f"{flag} applies only to --table betas, got --table {args.table}")
    if args.reduce is not None and args.query != "all":
        raise UsageError("--reduce aggregates over query positions, so it needs --query all")
    if args.route == "hooks" and args.attn != "eager":
        raise UsageError("--route hooks needs --attn eager (fused kernels never form the attention weights)")
    if args.name is not None and not args.name.strip():
        raise UsageError("--name must not be empty")
    if not str(args.model).strip():
        raise UsageError("--model must be a model folder, a cached model name or 'minilm', got an empty string")


def _renamed(exc: Exception) -> Exception:
    """The library names parameters; the command line names options."""
    text = str(exc)
    for name, option in (("max_length", "--max-length"), ("texts", "--texts"), ("model", "--model"),
                         ("name_or_path", "--model"), ("attn_implementation", "--attn")):
        if text.startswith(name) and not text.startswith(option):
            return type(exc)(option + text[len(name):]) if isinstance(exc, (ValueError, TypeError)) else exc
    return exc


def run(args: argparse.Namespace) -> int:
    _check_combination(args)
    from sdmlib.probe.texts import read_texts

    try:
        texts = read_texts(args.texts)
    except (ValueError, TypeError) as exc:
        raise _renamed(exc) from None
    label = args.name or (Path(args.model).name if os.sep in str(args.model) else str(args.model))
    print(f"betas: loading {args.model} (offline), then capturing the queries and keys of every head on "
          f"{len(texts)} texts; writing --table {args.table} to {args.out}", flush=True)

    from sdmlib.probe.capture import capture_attention
    from sdmlib.probe.cli import provenance_lines
    from sdmlib.probe.models import load_model
    from sdmlib.probe.statistics import classify_heads, effective_betas, head_statistics, summarise_heads

    try:
        model, tokenizer = load_model(args.model, attn_implementation=args.attn)
        caps = capture_attention(
            model, tokenizer, texts, model_name=label, max_length=args.max_length, store_attentions=False,
            verify=not args.no_verify, progress=not args.no_progress, route=args.route,
        )
    except (ValueError, TypeError) as exc:
        raise _renamed(exc) from None
    if args.table == "betas":
        table = effective_betas(caps, query=args.query, reduce=args.reduce)
        if args.sdm:
            from sdmlib.probe.sdm_comparison import compare_to_sdm

            table = compare_to_sdm(table)
    elif args.table == "stats":
        table = head_statistics(caps)
    elif args.table == "summary":
        table = summarise_heads(head_statistics(caps))
    else:
        per_head = effective_betas(caps).groupby(["model", "layer", "head"]).beta_eff.max().reset_index()
        table = classify_heads(head_statistics(caps)).merge(per_head, on=["model", "layer", "head"])
    if args.table == "summary":
        argv = getattr(args, "_argv", [])
        with open(args.out, "w", encoding="utf-8") as fh:
            for line in provenance_lines(["python", "-m", "sdmlib", "betas", *argv]):
                fh.write(f"# {line}\n")
            table.to_csv(fh, index=False)
    else:
        table.to_csv(args.out, index=False)
    worst = max(c.max_abs_diff for c in caps)
    worst_out = max(c.max_output_diff for c in caps)
    print(
        f"wrote {len(table)} rows ({len(caps)} texts, {caps[0].n_layers} layers x {caps[0].n_heads} heads) "
        f"to {args.out}; max |attention difference| {worst:.2g}, |output difference| {worst_out:.2g}"
    )
    return 0
