"""The reproduction table types no result: every paper/book/status cell is pasted from its chapter.

These are static checks of the sources (fast, before any build). The build itself fails
(``-W``) when a pasted key was never glued; the site check reads the built table.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sdmlib.reproduction import ROW_ID, ReproductionRow, glue_keys, record_row

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "book" / "reproduction.md"
CELL = re.compile(r"^\{glue:text\}`(?P<doc>[a-z_]+\.md)::(?P<key>repro_(?P<row>[A-Z][0-9]+)_(?P<field>paper|book|status)):s`$")


def table_rows(text: str) -> list[list[str]]:
    """The body rows of the markdown table whose header starts with ``| id |``."""
    rows, in_table = [], False
    for line in text.splitlines():
        if line.startswith("| id |"):
            in_table = True
            header = [c.strip() for c in line.strip().strip("|").split("|")]
            continue
        if in_table and line.startswith("|---"):
            continue
        if in_table and line.startswith("|"):
            rows.append(dict(zip(header, (c.strip() for c in line.strip().strip("|").split("|")))))
        elif in_table:
            break
    return rows


def table_problems(text: str, chapters: dict[str, str]) -> list[str]:
    """Every way the table's rows break the rule; ``chapters`` maps file name -> source."""
    problems, rows = [], table_rows(text)
    if not rows:
        return ["no table with a '| id |' header"]
    for row in rows:
        rid = row.get("id", "")
        if not ROW_ID.match(rid):
            problems.append(f"bad row id {rid!r}")
            continue
        link = re.search(r"\]\(([a-z_]+\.md)\)", row.get("chapter", ""))
        if not link:
            problems.append(f"{rid}: the chapter cell links no chapter")
            continue
        for field, column in (("paper", "paper"), ("book", "this book"), ("status", "status")):
            m = CELL.match(row.get(column, ""))
            if not m:
                problems.append(f"{rid}: the {column!r} cell is typed, not pasted: {row.get(column)!r}")
            elif (m["doc"], m["row"], m["field"]) != (link[1], rid, field):
                problems.append(f"{rid}: the {column!r} cell pastes {m['doc']}::{m['key']}, "
                                f"expected {link[1]}::{glue_keys(rid)[field]}")
        source = chapters.get(link[1])
        if source is None:
            problems.append(f"{rid}: chapter {link[1]} does not exist")
        # record_row("B1", ...) or a loop over ["B1", "B2", ...] feeding record_row(row_id, ...)
        elif "record_row(" not in source or not re.search(rf"[\"']{rid}[\"']", source):
            problems.append(f"{rid}: {link[1]} never calls record_row({rid!r}, ...)")
    return problems


def _chapters() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "book").glob("*.md")}


def test_no_result_in_the_table_is_typed_by_hand():
    problems = table_problems(TABLE.read_text(encoding="utf-8"), _chapters())
    assert not problems, "\n".join(problems)


def test_the_table_check_catches_a_typed_value():
    """The rule above can fail: a typed number, a wrong chapter and a missing record are caught."""
    text = TABLE.read_text(encoding="utf-8")
    rows = table_rows(text)
    assert len(rows) >= 20
    first = rows[0]
    typed = text.replace(first["this book"], "35.48 as published", 1)
    assert any("typed" in p for p in table_problems(typed, _chapters()))
    moved = text.replace(first["status"], first["status"].replace(first["chapter"].split("(")[1][:-1], "api.md"), 1)
    assert any("pastes" in p for p in table_problems(moved, _chapters()))
    chapters = _chapters()
    doc = re.search(r"\(([a-z_]+\.md)\)", first["chapter"])[1]
    chapters[doc] = chapters[doc].replace(f'"{first["id"]}"', "ROW")
    assert any("never calls record_row" in p for p in table_problems(text, chapters))


def test_status_is_the_comparison():
    assert ReproductionRow("O1", paper="11", book="11", agrees=True).status == "agrees"
    assert ReproductionRow("T2", paper="2–10", book="not run", agrees=None, note="no weights").status == \
        "not reproduced: no weights"
    row = record_row("O2", paper="5", book="5", agrees=5 == 5, expected=True, glue=False)
    assert row.status == "agrees"
    with pytest.raises(AssertionError, match="row E3: the comparison gives 'agrees'"):
        record_row("E3", paper="0.341", book="0.340", agrees=True, expected=False, glue=False)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(row="b1"), ValueError, "row must look like 'B1'"),
    (dict(book=3.5), TypeError, "book must be a str"),
    (dict(agrees=1), TypeError, "agrees must be True, False or None"),
    (dict(paper=" "), ValueError, "must not be empty"),
    (dict(expected="yes"), TypeError, "expected must be True, False or None"),
])
def test_bad_rows_are_refused(kwargs, error, match):
    args = dict(row="B1", paper="35.5", book="35.48", agrees=True, expected=True, glue=False) | kwargs
    with pytest.raises(error, match=match):
        record_row(**args)
