"""The command line: ``python -m sdmlib <command> [options]``.

One small module per command (``sdmlib.cli.<module>``), each defining
``build_parser() -> CommandParser`` and ``run(args) -> int``; one parser base
(``sdmlib.cli._base``) whose errors are one line on stderr with exit status 2.
Commands are imported only when called, and each imports the numerical modules
it needs inside ``run``, so that (for example) ``python -m sdmlib beta`` never
imports torch.

Examples
--------
>>> main(["--version"])  # doctest: +ELLIPSIS
sdmlib ...
0
>>> sorted(COMMANDS)[:3]
['beta', 'betas', 'figure']
"""

from __future__ import annotations

import importlib
import sys
from typing import Sequence

__all__ = ["COMMANDS", "main"]

#: command -> (module that implements it, one-line description)
COMMANDS: dict[str, tuple[str, str]] = {
    "beta": ("sdmlib.cli.beta", "softmax beta of an SDM radius, every estimator"),
    "radius": ("sdmlib.cli.radius", "SDM radius and space fraction equivalent to a softmax beta"),
    "recall": ("sdmlib.cli.recall", "recall curves of the associative memories (E1-E4)"),
    "reproduce": ("sdmlib.cli.reproduce", "E1-E4 as a resumable grid of cells: serial, processes or Dask"),
    "betas": ("sdmlib.cli.betas", "effective beta of every attention head of a transformer"),
    "figure": ("sdmlib.cli.figure", "write the headline figure (SDM read weights vs softmax) to a PNG"),
    "radii": ("sdmlib.cli.radii", "optimal SDM radii: d*_SNR, d*_Mem and d*_CD for n, m, r"),
    "projection": ("sdmlib.cli.projection", "train learned key projections W_k on MNIST / Fashion-MNIST (E5, E6)"),
}


def _usage() -> str:
    lines = ["usage: python -m sdmlib [--version] <command> [options]", "", "commands:"]
    for name, (_, text) in COMMANDS.items():
        lines.append(f"  {name:<11} {text}")
    lines.append("")
    lines.append("Run 'python -m sdmlib <command> --help' for the options of a command (each with its default).")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status (0 success, 2 bad usage or failure)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        return 0
    if argv[0] in ("-V", "--version"):
        from sdmlib import __version__

        print(f"sdmlib {__version__}")
        return 0
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"sdmlib: error: unknown command {command!r}; choose one of {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[command][0])
    from sdmlib.cli._base import execute

    return execute(command, module, rest)
