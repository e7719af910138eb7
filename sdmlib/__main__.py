"""Command-line entry point: ``python -m sdmlib <command> [options]``.

The commands live in the package :mod:`sdmlib.cli` (one small module per
command, imported only when called, so that ``python -m sdmlib beta`` never
imports torch). ``python -m sdmlib --version`` prints the version.
"""

from __future__ import annotations

import sys

from sdmlib.cli import COMMANDS, main  # noqa: F401  (COMMANDS re-exported)

if __name__ == "__main__":
    sys.exit(main())
