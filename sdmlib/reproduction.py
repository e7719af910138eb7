"""Rows of the book's "paper vs. this book" table, recorded by the chapters that compute them.

Each chapter that reproduces a result of the paper calls :func:`record_row` in a check
cell. The row carries the paper's value, the book's value (formatted from the computed
numbers) and a *status* that is decided by the same comparison the cell asserts:
``agrees`` when the comparison holds, ``differs`` when it does not, ``not reproduced``
when nothing could be computed. The chapter states which outcome its prose describes
(``expected``); if the computation comes out otherwise, the cell fails and so does the
build, so that the table, the chapter's text and its numbers cannot drift apart.

The three cells of a row are glued as ``repro_<ID>_paper``, ``repro_<ID>_book`` and
``repro_<ID>_status``; ``book/reproduction.md`` pastes them with cross-document glue (the
``chapter.md::repro_B1_book:s`` form of the ``glue:text`` role) and types none of them.

Examples
--------
The status follows the comparison, and a comparison that contradicts the chapter's
expectation is refused:

>>> beta = 35.48
>>> row = ReproductionRow("B1", paper="35.5", book=f"{beta:.2f}", agrees=abs(beta - 35.5) < 0.05)
>>> row.status
'agrees'
>>> ReproductionRow("E3", paper="0.341", book="0.990", agrees=False, note="see chapter").status
'differs: see chapter'
>>> try:
...     record_row("B1", paper="35.5", book="28.39", agrees=abs(28.39 - 35.5) < 0.05, expected=True)
... except AssertionError as err:
...     print(str(err)[:40])
row B1: the comparison gives 'differs', 
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

__all__ = ["ReproductionRow", "record_row", "glue_keys", "ROW_ID"]

#: A row id: one capital letter (the part of the paper) and a number, e.g. ``B1``.
ROW_ID = re.compile(r"^[A-Z][0-9]+$")

_WORDS = {True: "agrees", False: "differs", None: "not reproduced"}


@dataclass(frozen=True)
class ReproductionRow:
    """One row of the reproduction table.

    Parameters
    ----------
    row : str
        Row id, e.g. ``"B1"`` (:data:`ROW_ID`).
    paper : str
        The paper's value, or what the original's figures show (marked ≈).
    book : str
        The book's value, formatted from the chapter's computed numbers.
    agrees : bool or None
        The outcome of the chapter's comparison; ``None`` when nothing could be computed.
    note : str
        What the status needs to be read correctly (the mechanism of a difference, ...).
    """

    row: str
    paper: str
    book: str
    agrees: bool | None
    note: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.row, str) or not ROW_ID.match(self.row):
            raise ValueError(f"row must look like 'B1' (a capital letter and a number), got {self.row!r}")
        for name in ("paper", "book", "note"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"{name} must be a str, got {type(getattr(self, name)).__name__}")
        if self.agrees is not None and not isinstance(self.agrees, (bool, np.bool_)):
            raise TypeError(f"agrees must be True, False or None, got {self.agrees!r}")
        if not self.paper.strip() or not self.book.strip():
            raise ValueError(f"row {self.row}: paper and book must not be empty (write '—' for none)")

    @property
    def status(self) -> str:
        """``agrees`` / ``differs`` / ``not reproduced``, then ``: note`` if there is one."""
        word = _WORDS[None if self.agrees is None else bool(self.agrees)]
        return f"{word}: {self.note}" if self.note else word


def glue_keys(row: str) -> dict[str, str]:
    """The glue keys of a row's three cells: ``{"paper": "repro_B1_paper", ...}``."""
    return {field: f"repro_{row}_{field}" for field in ("paper", "book", "status")}


def record_row(row: str, *, paper: str, book: str, agrees: bool | None, expected: bool | None,
               note: str = "", glue: bool = True) -> ReproductionRow:
    """Record one row of the reproduction table from a chapter's check cell.

    ``agrees`` is the result of the chapter's comparison (a ``bool`` computed from the
    numbers, e.g. ``abs(beta - 35.5) < 0.05``); ``expected`` is the outcome the chapter's
    prose describes. They must be equal, else :class:`AssertionError`: the check fails
    instead of the table printing a status the chapter does not support. With
    ``glue=True`` (the book) the three cells are glued with ``myst_nb.glue`` under
    :func:`glue_keys`; the row is returned either way.
    """
    if agrees is not None and not isinstance(agrees, (bool, np.bool_)):
        raise TypeError(f"agrees must be True, False or None (a comparison), got {agrees!r}")
    entry = ReproductionRow(row, paper=paper, book=book,
                            agrees=None if agrees is None else bool(agrees), note=note)
    if expected not in (True, False, None):
        raise TypeError(f"expected must be True, False or None, got {expected!r}")
    if entry.agrees is not expected:
        raise AssertionError(
            f"row {row}: the comparison gives {_WORDS[entry.agrees]!r}, but the chapter expects "
            f"{_WORDS[expected]!r} (book: {book}; paper: {paper})"
        )
    if glue:
        from myst_nb import glue as myst_glue

        for field, key in glue_keys(row).items():
            value = entry.status if field == "status" else getattr(entry, field)
            myst_glue(key, value, display=False)
    return entry
