"""Command-line entry point: ``python -m sdmlib <command> [options]``.

Each command lives in the module that owns the concept, so that (for example)
``python -m sdmlib beta`` never imports torch. A module provides a command by
defining ``cli_main(command: str, argv: list[str]) -> int``.
"""

from __future__ import annotations

import importlib
import sys

#: command -> (module that implements it, one-line description)
COMMANDS: dict[str, tuple[str, str]] = {
    "beta": ("sdmlib.beta", "softmax beta of an SDM radius, every estimator"),
    "radius": ("sdmlib.beta", "SDM radius and space fraction equivalent to a softmax beta"),
    "recall": ("sdmlib.experiments", "recall curves of the associative memories (E1-E4)"),
    "betas": ("sdmlib.probe", "effective beta of every attention head of a transformer"),
    "figure": ("sdmlib.plotting", "write the headline figure (SDM read weights vs softmax) to a PNG"),
    "radii": ("sdmlib.capacity", "optimal SDM radii: d*_SNR, d*_Mem and d*_CD for n, m, r"),
    "projection": ("sdmlib.projection", "train learned key projections W_k on MNIST / Fashion-MNIST (E5, E6)"),
}


def _usage() -> str:
    lines = ["usage: python -m sdmlib <command> [options]", "", "commands:"]
    for name, (_, text) in COMMANDS.items():
        lines.append(f"  {name:<11} {text}")
    lines.append("")
    lines.append("Run 'python -m sdmlib <command> --help' for the options of a command.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        return 0
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"sdmlib: unknown command {command!r}; choose one of {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[command][0])
    return int(module.cli_main(command, rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
