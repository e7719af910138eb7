"""Browser check of the built site (runs after the book build: ``make site-check``).

Opens every built chapter that contains mathematics in headless Chromium and checks
that MathJax typeset it from the site's own copy (no network), that every image a
page shows exists in ``_build/html``, and that no internal link points to a missing
file. When Chromium is absent the browser test is skipped with the install command,
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
        self.math_nodes = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img" and a.get("src"):
            self.images.append(a["src"])
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "script" and a.get("src"):
            self.scripts.append(a["src"])
        if "math" in (a.get("class") or "").split():
            self.math_nodes += 1


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
