"""Browser check of the built site (runs after the book build: ``make site-check``).

Opens every built chapter that contains mathematics in headless Chromium and checks
that MathJax typeset it from the site's own copy (no network), that every image a
page shows exists in ``_build/html`` and is a real picture (decoded: not blank, not
tiny), that each page shows at least the figures its source declares (numbered, with a
caption and alt text), that every figure reference resolves, that the reproduction
table's pasted cells are filled, and that no internal link points to a missing file. When Chromium is absent the browser test is skipped with the install command,
except under CI (``CI`` set), where a missing browser is a failure: the check must
never be silently green there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from chapter_sources import chapters

pytestmark = pytest.mark.site

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
INSTALL = "sudo apt-get install -y chromium   (or: make system-deps)"


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.links: list[str] = []
        self.scripts: list[str] = []
        self.ids: set[str] = set()
        self.math_nodes = 0
        #: <figure id=...>: {"img": src, "alt": alt, "caption": text}
        self.figures: dict[str, dict[str, str]] = {}
        self.numrefs: list[tuple[str | None, str]] = []  # (href of the enclosing <a>, text)
        self.pasted: list[str] = []                     # text of glued <span class="pasted-text">
        self._figure: str | None = None
        self._in_caption = False
        self._a_href: str | None = None
        self._numref: list[str] | None = None
        self._pasted: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "img" and a.get("src"):
            self.images.append(a["src"])
            if self._figure is not None:
                self.figures[self._figure].update(img=a["src"], alt=a.get("alt") or "")
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
            self._a_href = a["href"]
        elif tag == "script" and a.get("src"):
            self.scripts.append(a["src"])
        elif tag == "figure":
            self._figure = a.get("id") or f"(unnamed {len(self.figures)})"
            self.figures[self._figure] = {"img": "", "alt": "", "caption": ""}
        elif tag == "figcaption":
            self._in_caption = True
        if tag == "span" and "std-numref" in classes:
            self._numref = [self._a_href or ""]
        if tag == "span" and "pasted-text" in classes:
            self._pasted = []
        if "math" in classes:
            self.math_nodes += 1

    def handle_endtag(self, tag):
        if tag == "a":
            self._a_href = None
        elif tag == "figure":
            self._figure = None
        elif tag == "figcaption":
            self._in_caption = False
        elif tag == "span" and self._numref is not None:
            href, *text = self._numref
            self.numrefs.append((href or None, "".join(text).strip()))
            self._numref = None
        elif tag == "span" and self._pasted is not None:
            self.pasted.append("".join(self._pasted).strip())
            self._pasted = None

    def handle_data(self, data):
        if self._in_caption and self._figure is not None:
            self.figures[self._figure]["caption"] += data
        if self._numref is not None:
            self._numref.append(data)
        if self._pasted is not None:
            self._pasted.append(data)


def _pages() -> list[Path]:
    if not SITE.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SITE} does not exist: the book build must run before the site check")
        pytest.skip("no built site: run `make book` first")
    pages = sorted(p for p in SITE.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts)
    assert pages, "the built site has no HTML pages"
    return pages


def _parse(page: Path) -> _PageParser:
    parser = _PageParser()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def _local_target(page: Path, url: str) -> Path | None:
    parsed = urlparse(url)
    if parsed.scheme or parsed.netloc or url.startswith(("#", "mailto:", "javascript:", "data:")):
        return None
    if not parsed.path:
        return None
    return (page.parent / unquote(parsed.path)).resolve()


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    message = f"Chromium is not installed; install it with: {INSTALL}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _dump_dom(browser: str, page: Path) -> str:
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", f"--user-data-dir={profile}", "--virtual-time-budget=15000",
            "--dump-dom", page.as_uri(),
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"chromium failed on {page.name}: {out.stderr[-500:]}"
    return out.stdout


def test_every_image_exists():
    missing = []
    for page in _pages():
        for src in _parse(page).images:
            target = _local_target(page, src)
            if target is not None and not target.is_file():
                missing.append(f"{page.relative_to(SITE)} -> {src}")
    assert not missing, "images missing from the site:\n" + "\n".join(missing)


def _picture_problems(path: Path) -> str | None:
    """Why the image at ``path`` is not a real figure (None if it is one)."""
    from PIL import Image

    if path.suffix.lower() == ".svg":
        text = path.read_text(encoding="utf-8", errors="replace")
        return None if text.count("<path") + text.count("<use") >= 20 else "an SVG with almost nothing drawn"
    try:
        with Image.open(path) as im:
            im = im.convert("RGB")
            width, height = im.size
            colours = im.getcolors(maxcolors=1 << 16)
    except Exception as err:  # an undecodable file is exactly what this check is for
        return f"does not decode ({err})"
    if width < 300 or height < 150:
        return f"only {width}x{height} px"
    if colours is not None:
        if len(colours) < 3:
            return f"blank: {len(colours)} colour(s)"
        background = max(colours)[0]
        if 1 - background / (width * height) < 0.01:
            return "blank: under 1 % of the pixels differ from the background"
    return None


def _chapter_pages():
    for chapter in chapters():
        page = SITE / "book" / f"{chapter.name}.html"
        if page.is_file():
            yield chapter, page


def test_every_image_is_a_picture():
    bad = []
    for page in _pages():
        for src in _parse(page).images:
            target = _local_target(page, src)
            if target is not None and target.is_file() and "_static" not in target.parts:
                problem = _picture_problems(target)
                if problem:
                    bad.append(f"{page.relative_to(SITE)} -> {src}: {problem}")
    assert not bad, "images that are not figures:\n" + "\n".join(bad)


def test_every_page_shows_the_figures_its_source_declares():
    """The count comes from the sources ({glue:figure} / {figure}), so a page without figures fails."""
    pages = list(_chapter_pages())
    assert pages, "no chapter page was built"
    problems, declared_total = [], 0
    for chapter, page in pages:
        shown = _parse(page).figures
        declared_total += len(chapter.figures)
        with_image = [name for name, f in shown.items() if f["img"]]
        if len(with_image) < len(chapter.figures):
            problems.append(f"{chapter.name}: declares {len(chapter.figures)} figures, the page shows {len(with_image)}")
        for fig in chapter.figures:
            f = shown.get(fig.name)
            if f is None or not f["img"]:
                problems.append(f"{chapter.name}: figure {fig.name!r} has no image on the page")
                continue
            if not f["alt"].strip():
                problems.append(f"{chapter.name}: figure {fig.name!r} has no alt text")
            if "Fig." not in f["caption"] or len(f["caption"]) < 30:
                problems.append(f"{chapter.name}: figure {fig.name!r} has no numbered caption")
    assert declared_total > 0, "the sources declare no figure at all"
    assert not problems, "\n".join(problems)


def test_every_figure_reference_resolves():
    problems, seen = [], 0
    for _chapter, page in _chapter_pages():
        for href, text in _parse(page).numrefs:
            seen += 1
            if not href:
                problems.append(f"{page.name}: unresolved reference {text!r}")
                continue
            target = _local_target(page, href) or page
            fragment = urlparse(href).fragment
            if not target.is_file() or (fragment and fragment not in _parse(target).ids):
                problems.append(f"{page.name}: {text!r} -> {href} points at nothing")
    assert seen > 0, "no page refers to a figure by number"
    assert not problems, "\n".join(problems)


def test_reproduction_table_is_filled():
    page = SITE / "book" / "reproduction.html"
    if not page.is_file():
        pytest.fail("the reproduction page was not built")
    pasted = _parse(page).pasted
    assert len(pasted) >= 60, f"the reproduction table pastes only {len(pasted)} cells"
    assert all(pasted), "a pasted cell of the reproduction table is empty"


def test_internal_links_resolve():
    broken = []
    for page in _pages():
        for href in _parse(page).links:
            target = _local_target(page, href)
            if target is not None and not target.exists():
                broken.append(f"{page.relative_to(SITE)} -> {href}")
    assert not broken, "internal links to missing files:\n" + "\n".join(broken)


def test_mathjax_is_served_by_the_site():
    pages = [p for p in _pages() if _parse(p).math_nodes]
    assert pages, "no built page contains mathematics"
    for page in pages:
        scripts = _parse(page).scripts
        assert not any("cdn" in s or s.startswith("http") for s in scripts if "mathjax" in s.lower()), page
        mj = [s for s in scripts if "mathjax" in s.lower()]
        assert mj, f"{page.name} loads no MathJax script"
        for s in mj:
            target = _local_target(page, s)
            assert target is not None and target.is_file(), f"{page.name}: MathJax script {s} not in the site"


def test_mathjax_typesets_every_page_with_equations():
    browser = _chromium()
    pages = [p for p in _pages() if _parse(p).math_nodes]
    assert pages, "no built page contains mathematics"
    for page in pages:
        dom = _dump_dom(browser, page)
        typeset = dom.count("<mjx-container")
        assert typeset > 0, f"{page.relative_to(SITE)}: MathJax typeset nothing (raw TeX left on the page)"
        # A TeX error renders as <mjx-merror>: the page shows red error text instead of maths.
        assert "<mjx-merror" not in dom, f"{page.relative_to(SITE)}: MathJax reported a TeX error"
