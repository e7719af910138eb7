"""What the chapter sources declare: figures, figure references, plotting code.

Shared by the static checks (``test_figures.py``) and the browser check of the built
site (``test_site.py``), so that both read the sources the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"

_FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[a-z:-]+)\}[ \t]*(?P<arg>[^\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$",
                    re.S | re.M)
_NUMREF = re.compile(r"\{numref\}`(?:[^`<]*<)?(?P<label>[^`>]+)>?`")
#: Code that draws: pyplot, a subplot grid, a figure helper, or a sdmlib.plotting call.
DRAWS = re.compile(r"plt\.|\.subplots\(|\bfigure\(|glue_figure\(|plotting\.[a-z_]+\(|_figure\(")


@dataclass
class Figure:
    name: str
    alt: str
    caption: str
    directive: str


@dataclass
class Chapter:
    path: Path
    figures: list[Figure] = field(default_factory=list)
    numrefs: list[str] = field(default_factory=list)
    draws: bool = False
    prose: str = ""

    @property
    def name(self) -> str:
        return self.path.stem


def _options(body: str) -> tuple[dict[str, str], str]:
    opts, lines = {}, body.splitlines()
    i = 0
    while i < len(lines) and lines[i].startswith(":"):
        key, _, value = lines[i][1:].partition(":")
        opts[key.strip()] = value.strip().strip('"')
        i += 1
    return opts, "\n".join(lines[i:]).strip()


def read_chapter(path: Path) -> Chapter:
    text = path.read_text(encoding="utf-8")
    chapter = Chapter(path)
    prose = text
    for m in _FENCE.finditer(text):
        name = m["name"]
        if name == "code-cell":
            body = m["body"]
            code = "\n".join(line for line in body.splitlines() if not line.lstrip().startswith("#"))
            chapter.draws |= bool(DRAWS.search(code))
            prose = prose.replace(m.group(0), "")
        elif name in ("glue:figure", "figure"):
            opts, caption = _options(m["body"])
            chapter.figures.append(Figure(opts.get("name", ""), opts.get("alt", ""), caption, name))
    chapter.prose = prose
    chapter.numrefs = _NUMREF.findall(prose)
    return chapter


def chapters() -> list[Chapter]:
    return [read_chapter(p) for p in sorted(BOOK.glob("*.md"))]


#: Prose that points at a figure by position instead of by number.
POINTING = re.compile(
    r"\b(the|this|that|next|last) (figure|plot|panel)s?\b(?! (of|in) the (paper|original))"
    r"|\b(left|right|top|bottom|upper|lower|first|second|third) (panel|figure|plot)\b"
    r"|\bfigure (below|above)\b",
    re.I,
)


def pointing_sentences(chapter: Chapter) -> list[str]:
    """Paragraphs that point at "the figure"/"the left panel" without a {numref} in them."""
    found = []
    for para in re.split(r"\n\s*\n", chapter.prose):
        if "{numref}" in para:
            continue
        m = POINTING.search(para)
        if m:
            start = max(0, m.start() - 60)
            found.append(" ".join(para[start:m.end() + 60].split()))
    return found
