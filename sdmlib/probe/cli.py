"""``python -m sdmlib betas``: effective β (or the per-head statistics) of any local transformer."""

from __future__ import annotations

import os
from pathlib import Path

from sdmlib._validate import check_int

__all__ = ["cli_main", "provenance_lines"]


def provenance_lines(command: list[str]) -> list[str]:
    """Header lines of a stored table: command, seed, commit, hardware, versions, date.

    Examples
    --------
    >>> lines = provenance_lines(["python", "-m", "sdmlib", "betas"])
    >>> [line.split(":")[0] for line in lines]
    ['command', 'seed', 'commit', 'hardware', 'versions', 'written']
    """
    import datetime
    import platform
    import subprocess
    from importlib import metadata

    from sdmlib.probe.texts import _REPO_ROOT

    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=_REPO_ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "sdmlib"], cwd=_REPO_ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        commit += " (sdmlib had uncommitted changes)" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"

    def version(name):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    try:
        import torch

        threads = f"torch threads {torch.get_num_threads()}, " + ("GPU" if torch.cuda.is_available() else "no GPU")
    except ImportError:
        threads = "no torch"
    return [
        "command: " + " ".join(command),
        "seed: none (deterministic forward passes in float32 on the CPU)",
        f"commit: {commit}",
        f"hardware: {platform.processor() or platform.machine()}, {os.cpu_count()} logical cores, {threads}",
        f"versions: python {platform.python_version()}, numpy {version('numpy')}, torch {version('torch')}, "
        f"transformers {version('transformers')}",
        "written: " + datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
    ]


def cli_main(command: str, argv: list[str]) -> int:
    """``python -m sdmlib betas --model PATH --texts FILE --out betas.csv [--table stats|classes]``.

    ``--table betas`` (default) writes :func:`sdmlib.probe.effective_betas`; ``--table stats``
    the per-token :func:`sdmlib.probe.head_statistics`; ``--table classes`` the per-head
    :func:`sdmlib.probe.classify_heads` joined with the paper's per-head statistic (the max over
    texts of the last-token effective β). Works for any local Hugging Face model folder whose
    attention dispatches through ``AttentionInterface`` (GPT-2, BERT, LLaMA, Qwen, Gemma, ...).
    """
    import argparse
    import sys

    from sdmlib.probe.capture import capture_attention
    from sdmlib.probe.models import load_model
    from sdmlib.probe.sdm_comparison import compare_to_sdm
    from sdmlib.probe.statistics import classify_heads, effective_betas, head_statistics, summarise_heads
    from sdmlib.probe.texts import read_texts

    parser = argparse.ArgumentParser(
        prog=f"python -m sdmlib {command}",
        description="Effective beta and per-head statistics of every attention head of a transformer (offline).",
    )
    parser.add_argument("--model", required=True, help="local model folder, cached model name, or 'minilm'")
    parser.add_argument("--texts", required=True, help="texts file (passages separated by '---' lines, or .jsonl)")
    parser.add_argument("--out", required=True, help="output CSV")
    parser.add_argument("--table", default="betas", choices=("betas", "stats", "summary", "classes"),
                        help="betas: effective beta (default); stats: per-token head statistics; "
                        "summary: per text and head (with a provenance header); classes: head classes")
    parser.add_argument("--query", default="last", choices=("last", "all"), help="--table betas: query position(s)")
    parser.add_argument("--reduce", default=None, choices=("max", "mean"), help="with --query all: aggregate over tokens")
    parser.add_argument("--name", default=None, help="model label in the table (default: the folder name)")
    parser.add_argument("--max-length", type=int, default=None, help="truncate texts to this many tokens")
    parser.add_argument("--sdm", action="store_true", help="--table betas: add the SDM radius and reference-beta columns")
    parser.add_argument("--attn", default="eager", choices=("eager", "sdpa"), help="attention kernel (default eager)")
    parser.add_argument("--route", default="interface", choices=("interface", "hooks"), help="capture route")
    parser.add_argument("--no-verify", action="store_true", help="skip the attention-reproduction check")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(argv)
    try:
        if args.max_length is not None:
            check_int("--max-length", args.max_length, lo=1)
        texts = read_texts(args.texts)
        model, tokenizer = load_model(args.model, attn_implementation=args.attn)
        caps = capture_attention(
            model,
            tokenizer,
            texts,
            model_name=args.name or (Path(args.model).name if os.sep in args.model else args.model),
            max_length=args.max_length,
            store_attentions=False,
            verify=not args.no_verify,
            progress=not args.no_progress,
            route=args.route,
        )
        if args.table == "betas":
            table = effective_betas(caps, query=args.query, reduce=args.reduce)
            if args.sdm:
                table = compare_to_sdm(table)
        elif args.table == "stats":
            table = head_statistics(caps)
        elif args.table == "summary":
            table = summarise_heads(head_statistics(caps))
        else:
            per_head = effective_betas(caps).groupby(["model", "layer", "head"]).beta_eff.max().reset_index()
            table = classify_heads(head_statistics(caps)).merge(per_head, on=["model", "layer", "head"])
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"sdmlib {command}: {exc}", file=sys.stderr)
        return 2
    if args.table == "summary":
        with open(args.out, "w", encoding="utf-8") as fh:
            for line in provenance_lines(["python", "-m", "sdmlib", command, *argv]):
                fh.write(f"# {line}\n")
            table.to_csv(fh, index=False)
    else:
        table.to_csv(args.out, index=False)
    worst = max((c.max_abs_diff for c in caps), default=float("nan"))
    worst_out = max((c.max_output_diff for c in caps), default=float("nan"))
    print(
        f"wrote {len(table)} rows ({len(caps)} texts, {caps[0].n_layers} layers x {caps[0].n_heads} heads) "
        f"to {args.out}; max |attention difference| {worst:.2g}, |output difference| {worst_out:.2g}"
    )
    return 0
