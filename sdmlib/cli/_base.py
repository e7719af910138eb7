"""The parser base of every command: one-line errors, exit status 2, defaults in ``--help``.

Argument types here check values while parsing (so that bad input is refused
before any work), and name the option as the user wrote it.

Examples
--------
>>> p = CommandParser(prog="python -m sdmlib demo", description="demo")
>>> _ = p.add_argument("--n", type=int_arg("--n", lo=1), default=4, help="dimension")
>>> p.parse_args(["--n", "7"]).n
7
>>> "(default: 4)" in p.format_help()
True
>>> p.parse_args(["--n", "0"])
Traceback (most recent call last):
...
sdmlib.cli._base.UsageError: --n must be an integer >= 1, got 0
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

__all__ = [
    "CommandParser",
    "UsageError",
    "execute",
    "int_arg",
    "real_arg",
    "int_list_arg",
    "output_file",
    "output_dir",
    "input_path",
    "one_line",
]


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit status 2."""


class _Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows every option's default (``(default: X)``), also for options without help text."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "%(default)" in text or action.default is argparse.SUPPRESS or action.option_strings == []:
            return text
        if isinstance(action, (argparse._StoreTrueAction, argparse._HelpAction)):
            return text
        if action.required:
            return text + " (required)" if text else "(required)"
        return f"{text} (default: %(default)s)"


class CommandParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose errors raise `UsageError` instead of printing usage."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        # "argument --n: --n must be ..." -> "--n must be ..." (our types already name the option)
        if message.startswith("argument "):
            head, sep, rest = message.partition(": ")
            option = head[len("argument "):].split("/")[0]
            if sep and rest.startswith(option):
                message = rest
        raise UsageError(message)


def one_line(exc: BaseException) -> str:
    """The exception's message on one line (newlines folded), never empty."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def execute(command: str, module: Any, argv: Sequence[str]) -> int:
    """Parse ``argv`` with ``module.build_parser()`` and call ``module.run(args)``.

    Any error (bad usage, a ``ValueError`` from the library, a missing file, a
    failed computation) becomes one line ``sdmlib <command>: error: ...`` on
    stderr and exit status 2; set ``SDMLIB_TRACEBACK=1`` to see the traceback.
    ``--help`` exits 0; Ctrl-C exits 130.
    """
    try:
        parser = module.build_parser()
        args = parser.parse_args(list(argv))
        args._argv = list(argv)  # what the user typed, for provenance records
        return int(module.run(args) or 0)
    except SystemExit as exc:  # --help
        return int(exc.code or 0) if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        print(f"sdmlib {command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the command line never shows a traceback
        if os.environ.get("SDMLIB_TRACEBACK"):
            raise
        kind = "" if isinstance(exc, (UsageError, ValueError, TypeError)) else f"{type(exc).__name__}: "
        print(f"sdmlib {command}: error: {kind}{one_line(exc)}", file=sys.stderr)
        return 2


def _wrap(name: str, check: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            return check(text)
        except (ValueError, TypeError) as exc:
            raise argparse.ArgumentTypeError(one_line(exc)) from None

    parse.__name__ = name  # argparse names the type in "invalid <name> value" messages
    return parse


def _to_int(option: str, text: str) -> int:
    t = text.strip()
    try:
        return int(t)
    except ValueError:
        pass
    try:
        v = float(t)
    except ValueError:
        raise ValueError(f"{option} must be an integer, got {text!r}") from None
    if not math.isfinite(v) or v != int(v):
        raise ValueError(f"{option} must be an integer, got {text!r}")
    return int(v)


def int_arg(option: str, lo: int | None = None, hi: int | None = None) -> Callable[[str], int]:
    """Argument type: an integer (``5``, ``1e3``; not ``2.5``) within ``[lo, hi]``."""
    from sdmlib._validate import check_int

    return _wrap("integer", lambda t: check_int(option, _to_int(option, t), lo=lo, hi=hi))


def real_arg(option: str, lo: float | None = None, hi: float | None = None, *,
             lo_open: bool = False, hi_open: bool = False) -> Callable[[str], float]:
    """Argument type: a finite real number within the (open or closed) range."""
    from sdmlib._validate import check_real

    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise ValueError(f"{option} must be a real number, got {text!r}") from None
        return check_real(option, v, lo=lo, hi=hi, lo_open=lo_open, hi_open=hi_open)

    return _wrap("number", parse)


def int_list_arg(option: str, lo: int | None = None, hi: int | None = None) -> Callable[[str], tuple[int, ...]]:
    """Argument type: comma-separated distinct integers, e.g. ``5,11,15``."""

    def parse(text: str) -> tuple[int, ...]:
        parts = [p for p in text.split(",") if p.strip()]
        if not parts:
            raise ValueError(f"{option} must hold at least one integer, got {text!r}")
        values = tuple(int_arg(option, lo, hi)(p) for p in parts)
        if len(set(values)) != len(values):
            raise ValueError(f"{option} must not repeat a value, got {text!r}")
        return values

    return _wrap("list", parse)


def output_file(option: str, suffixes: tuple[str, ...] = ()) -> Callable[[str], Path]:
    """Argument type: a file that can be written (its folder exists and is writable).

    Checked when parsing, so that a long run never ends by failing to save.
    """

    def parse(text: str) -> Path:
        p = Path(text).expanduser()
        if not text.strip():
            raise ValueError(f"{option} must be a file path, got an empty string")
        if p.is_dir():
            raise ValueError(f"{option} must be a file, but {text} is a folder")
        parent = p.parent if str(p.parent) else Path(".")
        if not parent.is_dir():
            raise ValueError(f"{option}: folder {parent} does not exist")
        if not os.access(parent, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
            raise ValueError(f"{option}: {text} is not writable")
        if suffixes and p.suffix.lower() not in suffixes:
            raise ValueError(f"{option} must end in {' or '.join(suffixes)}, got {text!r}")
        return p

    return _wrap("path", parse)


def output_dir(option: str) -> Callable[[str], Path]:
    """Argument type: a folder that exists and is writable, or can be created (its parent is)."""

    def parse(text: str) -> Path:
        p = Path(text).expanduser()
        if p.exists() and not p.is_dir():
            raise ValueError(f"{option} must be a folder, but {text} is a file")
        probe = p
        while not probe.exists():
            probe = probe.parent
        if not probe.is_dir() or not os.access(probe, os.W_OK):
            raise ValueError(f"{option}: {text} cannot be created or written ({probe} is not writable)")
        return p

    return _wrap("folder", parse)


def input_path(option: str, kind: str = "any") -> Callable[[str], Path]:
    """Argument type: an existing file (``kind="file"``), folder (``"dir"``) or either."""

    def parse(text: str) -> Path:
        p = Path(text).expanduser()
        if not p.exists():
            raise ValueError(f"{option}: {text} does not exist")
        if kind == "file" and not p.is_file():
            raise ValueError(f"{option} must be a file, got the folder {text}")
        if kind == "dir" and not p.is_dir():
            raise ValueError(f"{option} must be a folder, got the file {text}")
        return p

    return _wrap("path", parse)
