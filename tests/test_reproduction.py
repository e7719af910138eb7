"""The reproduction table types no result: every paper/book/scale/status cell is pasted from its chapter.

These are static checks of the sources (fast, before any build). The build itself fails
(``-W``) when a pasted key was never glued; the site check reads the built table. Every row
says at which scale its number was obtained: the table has a ``scale`` column pasted from the
row's chapter, and every ``record_row`` call in a chapter passes ``scale=``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sdmlib.reproduction import (FIELDS, ROW_ID, SCALE_MAX_CHARS, ReproductionRow, glue_keys, group_digits,
                                 record_row)

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "book" / "reproduction.md"
CELL = re.compile(r"^\{glue:text\}`(?P<doc>[a-z_]+\.md)::(?P<key>repro_(?P<row>[A-Z][0-9]+)_(?P<field>[a-z]+)):s`$")
#: The table's pasted columns, in order, and the field of each (sdmlib.reproduction.FIELDS).
COLUMNS = (("paper", "paper"), ("this book", "book"), ("scale", "scale"), ("status", "status"))
HEADER = ("id", "chapter", "what is compared") + tuple(column for column, _ in COLUMNS)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def table_header(text: str) -> list[str]:
    """The column names of the markdown table whose header starts with ``| id |``."""
    return next((_cells(line) for line in text.splitlines() if line.startswith("| id |")), [])


def table_rows(text: str) -> list[dict[str, str]]:
    """The body rows of the markdown table whose header starts with ``| id |``.

    Each row maps column name -> cell; a row with more or fewer cells than the header also
    carries ``"#cells"`` (its cell count) so that a dropped or extra cell is not hidden by
    ``zip``.
    """
    rows, in_table, header = [], False, []
    for line in text.splitlines():
        if line.startswith("| id |"):
            in_table, header = True, _cells(line)
            continue
        if in_table and line.startswith("|---"):
            continue
        if in_table and line.startswith("|"):
            cells = _cells(line)
            row = dict(zip(header, cells))
            if len(cells) != len(header):
                row["#cells"] = str(len(cells))
            rows.append(row)
        elif in_table:
            break
    return rows


def record_row_calls(source: str) -> list[str]:
    """The argument text of every ``record_row(...)`` call in a chapter's source (brackets matched)."""
    calls = []
    for m in re.finditer(r"\brecord_row\(", source):
        depth, i = 1, m.end()
        while depth and i < len(source):
            depth += {"(": 1, ")": -1}.get(source[i], 0)
            i += 1
        calls.append(source[m.end():i - 1])
    return calls


def calls_without_scale(chapters: dict[str, str]) -> list[str]:
    """``chapter: record_row(...)`` for every call that passes no ``scale=`` (import lines excluded)."""
    missing = []
    for name, source in sorted(chapters.items()):
        for args in record_row_calls(source):
            if not re.search(r"\bscale\s*=", args):
                row = re.match(r"\s*[\"']?([A-Za-z0-9_]+)", args)
                missing.append(f"{name}: record_row({row[1] if row else '?'}, ...) passes no scale=")
    return missing


def table_problems(text: str, chapters: dict[str, str]) -> list[str]:
    """Every way the table's rows break the rule; ``chapters`` maps file name -> source."""
    problems, rows = [], table_rows(text)
    if not rows:
        return ["no table with a '| id |' header"]
    header = table_header(text)
    if tuple(header) != HEADER:
        problems.append(f"the table's columns are {header}, expected {list(HEADER)}")
    for row in rows:
        rid = row.get("id", "")
        if not ROW_ID.match(rid):
            problems.append(f"bad row id {rid!r}")
            continue
        link = re.search(r"\]\(([a-z_]+\.md)\)", row.get("chapter", ""))
        if not link:
            problems.append(f"{rid}: the chapter cell links no chapter")
            continue
        if "#cells" in row:
            problems.append(f"{rid}: the row has {row['#cells']} cells, the header {len(header)}")
        for column, field in COLUMNS:
            if column not in row:
                problems.append(f"{rid}: the row has no {column!r} cell")
                continue
            m = CELL.match(row[column])
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


def test_the_scale_column_is_checked():
    """The scale rules can fail: a row without its scale cell, a scale pasted from another chapter
    or another row, a table without the column, and a chapter call without ``scale=`` are caught."""
    text = TABLE.read_text(encoding="utf-8")
    chapters = _chapters()
    first, second = table_rows(text)[:2]
    line = next(ln for ln in text.splitlines() if ln.startswith(f"| {first['id']} |"))
    dropped = text.replace(line, line.replace(f"| {first['scale']} ", "", 1), 1)
    assert any(f"{first['id']}: the row has 6 cells" in p for p in table_problems(dropped, chapters))
    doc = re.search(r"\(([a-z_]+\.md)\)", first["chapter"])[1]
    elsewhere = text.replace(first["scale"], first["scale"].replace(doc, "api.md"), 1)
    assert any(f"{first['id']}: the 'scale' cell pastes api.md::" in p for p in table_problems(elsewhere, chapters))
    other_row = second["scale"].replace(second["chapter"].split("(")[1][:-1], doc)   # row 2's key, row 1's chapter
    swapped = text.replace(first["scale"], other_row, 1)
    assert any(f"{first['id']}: the 'scale' cell pastes {doc}::repro_{second['id']}_scale" in p
               for p in table_problems(swapped, chapters))
    as_status = text.replace(first["scale"], first["status"], 1)
    assert any("'scale' cell pastes" in p for p in table_problems(as_status, chapters))
    typed = text.replace(first["scale"], "exact", 1)
    assert any(f"{first['id']}: the 'scale' cell is typed" in p for p in table_problems(typed, chapters))
    header_line = next(ln for ln in text.splitlines() if ln.startswith("| id |"))
    rule_line = next(ln for ln in text.splitlines() if ln.startswith("|---"))
    no_column = text.replace(header_line, header_line.replace(" scale |", "", 1), 1).replace(rule_line, rule_line[:-4], 1)
    no_column = re.sub(r"\| \{glue:text\}`[a-z_]+\.md::repro_[A-Z][0-9]+_scale:s` ", "", no_column)
    assert any("the table's columns are" in p for p in table_problems(no_column, chapters))
    assert any("has no 'scale' cell" in p for p in table_problems(no_column, chapters))
    # a chapter whose call lost its scale= is named
    broken = dict(chapters)
    broken[doc] = re.sub(r"\bscale=", "scale_=", broken[doc], count=1)
    assert any(p.startswith(f"{doc}: record_row(") for p in calls_without_scale(broken))


def test_every_record_row_call_passes_a_scale():
    """Every chapter call says at which scale its number was obtained (the keyword has no default)."""
    chapters = _chapters()
    linked = {re.search(r"\(([a-z_]+\.md)\)", row["chapter"])[1] for row in table_rows(TABLE.read_text())}
    assert linked and all(record_row_calls(chapters[doc]) for doc in linked)   # the scan finds the calls
    missing = calls_without_scale(chapters)
    assert not missing, "\n".join(missing)


def test_status_is_the_comparison():
    assert ReproductionRow("O1", paper="11", book="11", agrees=True, scale="exact").status == "agrees"
    assert ReproductionRow("T2", paper="2–10", book="not run", agrees=None, scale="not run",
                           note="no weights").status == "not reproduced: no weights"
    row = record_row("O2", paper="5", book="5", agrees=5 == 5, expected=True, scale="exact", glue=False)
    assert row.status == "agrees" and row.scale == "exact"
    with pytest.raises(AssertionError, match="row E3: the comparison gives 'agrees'"):
        record_row("E3", paper="0.341", book="0.340", agrees=True, expected=False, scale="reduced", glue=False)


def test_the_fields_are_the_table_columns():
    assert FIELDS == tuple(field for _, field in COLUMNS)
    assert glue_keys("E1") == {f: f"repro_E1_{f}" for f in ("paper", "book", "scale", "status")}


def test_record_row_glues_four_cells(monkeypatch):
    import myst_nb

    glued = {}
    monkeypatch.setattr(myst_nb, "glue", lambda key, value, display=True: glued.__setitem__(key, (value, display)))
    row = record_row("G9", paper="—", book="3", agrees=True, expected=True, scale="simulation: 300 draws")
    assert glued == {"repro_G9_paper": ("—", False), "repro_G9_book": ("3", False),
                     "repro_G9_scale": ("simulation: 300 draws", False), "repro_G9_status": (row.status, False)}


def test_scale_is_required():
    args = dict(paper="35.5", book="35.48", agrees=True, expected=True, glue=False)
    with pytest.raises(TypeError, match="scale"):
        record_row("B1", **args)                    # no default: a chapter must say it
    with pytest.raises(TypeError, match="scale"):
        ReproductionRow("B1", paper="35.5", book="35.48", agrees=True)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(row="b1"), ValueError, "row must look like 'B1'"),
    (dict(book=3.5), TypeError, "book must be a str"),
    (dict(agrees=1), TypeError, "agrees must be True, False or None"),
    (dict(paper=" "), ValueError, "must not be empty"),
    (dict(expected="yes"), TypeError, "expected must be True, False or None"),
    (dict(scale=None), TypeError, "scale must be a str, got NoneType"),
    (dict(scale=15360), TypeError, "scale must be a str, got int"),
    (dict(scale=""), ValueError, "row B1: scale must not be empty"),
    (dict(scale=" \u00a0"), ValueError, "row B1: scale must not be empty"),
    (dict(scale="x" * (SCALE_MAX_CHARS + 1)), ValueError, f"scale must be at most {SCALE_MAX_CHARS} characters"),
])
def test_bad_rows_are_refused(kwargs, error, match):
    args = dict(row="B1", paper="35.5", book="35.48", agrees=True, expected=True, scale="exact",
                glue=False) | kwargs
    with pytest.raises(error, match=match):
        record_row(**args)


def test_a_scale_of_the_longest_length_is_accepted():
    assert len(record_row("B1", paper="1", book="1", agrees=True, expected=True, scale="x" * SCALE_MAX_CHARS,
                          glue=False).scale) == SCALE_MAX_CHARS


def _grouped_by_hand(value: int) -> str:
    """Groups of three digits from the right, built digit by digit (independent of format(..., ','))."""
    digits, sign = str(abs(value)), "-" if value < 0 else ""
    if len(digits) <= 4:
        return sign + digits
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return sign + "\u00a0".join(groups)


@pytest.mark.parametrize("value", [0, 7, 999, 1000, 5000, 9999, 10_000, 15_360, 60_000, 999_999, 10**6,
                                   -12_345, 2**64, 123_456_789])
def test_group_digits(value):
    assert group_digits(value) == _grouped_by_hand(value)


def test_group_digits_refuses_non_integers():
    for bad in (2.5, "15360", None):
        with pytest.raises(TypeError, match="value must be an integer"):
            group_digits(bad)
