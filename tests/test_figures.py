"""Static rules for the chapters' figures (before any build).

Every chapter that draws declares its figures (``{glue:figure}`` or ``{figure}``), each
with a name, alt text and a caption, and refers to each one by ``{numref}``; no
paragraph points at "the figure" or "the left panel" without a number. The built site
is checked against the same declarations in ``test_site.py``.
"""

from __future__ import annotations

import re

import pytest

from chapter_sources import Chapter, chapters, pointing_sentences, read_chapter

CHAPTERS = chapters()
IDS = [c.name for c in CHAPTERS]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_a_chapter_that_draws_declares_its_figures(chapter: Chapter):
    if chapter.draws:
        assert chapter.figures, f"{chapter.name} draws but declares no {{glue:figure}}: its plots reach no reader"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_every_figure_is_named_described_captioned_and_referred_to(chapter: Chapter):
    problems = []
    names = [f.name for f in chapter.figures]
    for f in chapter.figures:
        if not f.name:
            problems.append(f"a {f.directive} has no :name:")
            continue
        if len(f.alt) < 20:
            problems.append(f"{f.name}: alt text missing or too short ({f.alt!r})")
        if len(f.caption) < 30:
            problems.append(f"{f.name}: caption missing or too short")
        if f.name not in chapter.numrefs:
            problems.append(f"{f.name}: never referred to with {{numref}} in {chapter.name}")
    if len(set(names)) != len(names):
        problems.append(f"duplicate figure names: {names}")
    assert not problems, "\n".join(problems)


def test_every_numref_points_at_a_declared_figure():
    declared = {f.name for c in CHAPTERS for f in c.figures}
    labels = set()
    for c in CHAPTERS:  # tables with a :name: are numbered too
        labels |= set(re.findall(r"^:name:\s*(\S+)", c.path.read_text(encoding="utf-8"), re.M))
    missing = [f"{c.name}: {{numref}}`{r}`" for c in CHAPTERS for r in c.numrefs if r not in declared | labels]
    assert not missing, "numref to nothing:\n" + "\n".join(missing)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_no_paragraph_points_at_a_figure_without_its_number(chapter: Chapter):
    found = pointing_sentences(chapter)
    assert not found, "use {numref} (or say which figure of the paper):\n" + "\n".join(found)


def test_the_rules_can_fail(tmp_path):
    """A chapter that plots with no declared figure, and prose that points, are both caught."""
    src = tmp_path / "ch.md"
    src.write_text(
        "# T\n\nThe left panel shows it.\n\n```{code-cell} ipython3\nfig, ax = plt.subplots()\n```\n",
        encoding="utf-8",
    )
    ch = read_chapter(src)
    assert ch.draws and not ch.figures
    assert pointing_sentences(ch)
    src.write_text(
        "# T\n\n{numref}`fig-t` shows it.\n\n```{glue:figure} fig-t\n:name: fig-t\n:alt: A line rising from left to right\n\n"
        "Caption: the line rises, as the formula says.\n```\n",
        encoding="utf-8",
    )
    ch = read_chapter(src)
    assert [f.name for f in ch.figures] == ["fig-t"] and ch.numrefs == ["fig-t"] and not pointing_sentences(ch)
