"""Provenance header of the probe's stored tables; the ``betas`` command itself is ``sdmlib.cli.betas``."""

from __future__ import annotations

import os

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
    """Legacy entry point: ``python -m sdmlib betas`` now lives in ``sdmlib.cli.betas``.

    Kept as a thin wrapper for callers of ``sdmlib.probe.cli_main``; runs the same parser
    (one-line errors, exit status 2) and returns its exit status.

    >>> cli_main("betas", ["--model", "minilm", "--texts", "/nonexistent.txt", "--out", "b.csv"])
    2
    """
    from sdmlib.cli import betas as _betas
    from sdmlib.cli._base import execute

    return execute(command, _betas, list(argv))
