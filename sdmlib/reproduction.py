"""Rows of the book's "paper vs. this book" table, recorded by the chapters that compute them.

Each chapter that reproduces a result of the paper calls :func:`record_row` in a check
cell. The row carries the paper's value, the book's value (formatted from the computed
numbers), the *scale* at which the book's value was obtained, and a *status* that is decided
by the same comparison the cell asserts: ``agrees`` when the comparison holds, ``differs``
when it does not, ``not reproduced`` when nothing could be computed. The chapter states which
outcome its prose describes (``expected``); if the computation comes out otherwise, the cell
fails and so does the build, so that the table, the chapter's text and its numbers cannot
drift apart.

The *scale* says, in a few words, what the book's number rests on: an exact computation, a
simulation of a stated size, a stored run (and what of it is re-checked at build time), a
reduced protocol against the paper's full one, a real model, the published data. It is
required: a row cannot be recorded without saying how its number was made. Sizes in it are
formatted from the chapter's own variables (:func:`group_digits` writes them as the book
does), never typed.

The four cells of a row are glued as ``repro_<ID>_paper``, ``repro_<ID>_book``,
``repro_<ID>_scale`` and ``repro_<ID>_status`` (:data:`FIELDS`, :func:`glue_keys`);
``book/reproduction.md`` pastes them with cross-document glue (the
``chapter.md::repro_B1_book:s`` form of the ``glue:text`` role) and types none of them.

Examples
--------
The status follows the comparison, and a comparison that contradicts the chapter's
expectation is refused:

>>> beta = 35.48
>>> row = ReproductionRow("B1", paper="35.5", book=f"{beta:.2f}", agrees=abs(beta - 35.5) < 0.05,
...                       scale="exact: fit to exact intersection counts")
>>> row.status
'agrees'
>>> ReproductionRow("E3", paper="0.341", book="0.990", agrees=False, scale="reduced",
...                 note="see chapter").status
'differs: see chapter'
>>> try:
...     record_row("B1", paper="35.5", book="28.39", agrees=abs(28.39 - 35.5) < 0.05, expected=True,
...                scale="exact", glue=False)
... except AssertionError as err:
...     print(str(err)[:40])
row B1: the comparison gives 'differs', 

The scale is formatted from the sizes the chapter used, and a row without one is refused:

>>> queries, paper_queries = 96, 15_360
>>> row = record_row("E1", paper="0.99", book="0.98", agrees=True, expected=True, glue=False,
...                  scale=f"reduced: {queries} of the paper's {group_digits(paper_queries)} queries")
>>> row.scale == "reduced: 96 of the paper's 15\\u00a0360 queries"
True
>>> list(glue_keys("E1").values())
['repro_E1_paper', 'repro_E1_book', 'repro_E1_scale', 'repro_E1_status']
>>> record_row("E1", paper="0.99", book="0.98", agrees=True, expected=True, glue=False)
Traceback (most recent call last):
...
TypeError: record_row() missing 1 required keyword-only argument: 'scale'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from sdmlib._validate import check_int

__all__ = ["ReproductionRow", "record_row", "glue_keys", "group_digits", "ROW_ID", "FIELDS",
           "SCALE_MAX_CHARS"]

#: A row id: one capital letter (the part of the paper) and a number, e.g. ``B1``.
ROW_ID = re.compile(r"^[A-Z][0-9]+$")

#: The glued cells of a row, in the order of the table's columns.
FIELDS = ("paper", "book", "scale", "status")

#: The longest scale text accepted: a few words that fit a table cell and a phone card.
SCALE_MAX_CHARS = 160

_WORDS = {True: "agrees", False: "differs", None: "not reproduced"}


def group_digits(value: int) -> str:
    """An integer as the book writes sizes: digits in groups of three from 10 000 on.

    The separator is a no-break space (U+00A0), so that a size never breaks across lines
    in a table cell; numbers below 10 000 are not grouped (``5000``, as in the chapters).

    Parameters
    ----------
    value : int
        Any integer (negative ones keep their sign).

    Returns
    -------
    str

    Examples
    --------
    Removing the separators gives back ``str(value)``, and four-digit numbers stay whole:

    >>> group_digits(15360), group_digits(5000), group_digits(-2_000_000)
    ('15\\xa0360', '5000', '-2\\xa0000\\xa0000')
    >>> all(group_digits(v).replace("\\u00a0", "") == str(v) for v in (0, 9999, 10**6, 123456789))
    True
    >>> group_digits(2.5)
    Traceback (most recent call last):
    ...
    TypeError: value must be an integer, got float 2.5
    """
    value = check_int("value", value)
    if abs(value) < 10_000:
        return str(value)
    return f"{value:,}".replace(",", "\u00a0")


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
    scale : str
        How the book's value was obtained, in a few words (at most :data:`SCALE_MAX_CHARS`
        characters): ``"exact (integer arithmetic)"``, ``"simulation: 300 draws, run at
        build"``, ``"reduced: 96 of the paper's 15 360 queries per point"``, ``"stored
        benchmark run"``, ``"not run: no weights offline"``, ...
    note : str
        What the status needs to be read correctly (the mechanism of a difference, ...).
    """

    row: str
    paper: str
    book: str
    agrees: bool | None
    scale: str
    note: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.row, str) or not ROW_ID.match(self.row):
            raise ValueError(f"row must look like 'B1' (a capital letter and a number), got {self.row!r}")
        for name in ("paper", "book", "scale", "note"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"{name} must be a str, got {type(getattr(self, name)).__name__}")
        if self.agrees is not None and not isinstance(self.agrees, (bool, np.bool_)):
            raise TypeError(f"agrees must be True, False or None, got {self.agrees!r}")
        if not self.paper.strip() or not self.book.strip():
            raise ValueError(f"row {self.row}: paper and book must not be empty (write '—' for none)")
        if not self.scale.strip():
            raise ValueError(f"row {self.row}: scale must not be empty (say how the book's value was "
                             f"obtained, e.g. 'exact', 'simulation: 500 memories per radius')")
        if len(self.scale) > SCALE_MAX_CHARS:
            raise ValueError(f"row {self.row}: scale must be at most {SCALE_MAX_CHARS} characters (a few "
                             f"words; details belong in the chapter), got {len(self.scale)}")

    @property
    def status(self) -> str:
        """``agrees`` / ``differs`` / ``not reproduced``, then ``: note`` if there is one."""
        word = _WORDS[None if self.agrees is None else bool(self.agrees)]
        return f"{word}: {self.note}" if self.note else word


def glue_keys(row: str) -> dict[str, str]:
    """The glue keys of a row's cells: ``{"paper": "repro_B1_paper", ..., "status": ...}``.

    One key per entry of :data:`FIELDS`, in the table's column order.
    """
    return {field: f"repro_{row}_{field}" for field in FIELDS}


def record_row(row: str, *, paper: str, book: str, agrees: bool | None, expected: bool | None,
               scale: str, note: str = "", glue: bool = True) -> ReproductionRow:
    """Record one row of the reproduction table from a chapter's check cell.

    ``agrees`` is the result of the chapter's comparison (a ``bool`` computed from the
    numbers, e.g. ``abs(beta - 35.5) < 0.05``); ``expected`` is the outcome the chapter's
    prose describes. They must be equal, else :class:`AssertionError`: the check fails
    instead of the table printing a status the chapter does not support. ``scale`` is
    required (no default): how the book's value was obtained, with the sizes formatted from
    the chapter's variables (:class:`ReproductionRow`). With ``glue=True`` (the book) the
    four cells are glued with ``myst_nb.glue`` under :func:`glue_keys`; the row is returned
    either way.

    Raises
    ------
    TypeError
        If ``scale`` is missing or not a ``str``, or another field has the wrong type.
    ValueError
        If ``scale`` is empty (or longer than :data:`SCALE_MAX_CHARS`), or ``row``, ``paper``
        or ``book`` are malformed.
    AssertionError
        If the comparison's outcome is not the ``expected`` one.
    """
    if agrees is not None and not isinstance(agrees, (bool, np.bool_)):
        raise TypeError(f"agrees must be True, False or None (a comparison), got {agrees!r}")
    entry = ReproductionRow(row, paper=paper, book=book,
                            agrees=None if agrees is None else bool(agrees), scale=scale, note=note)
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
