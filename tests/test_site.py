"""Browser check of the built site (runs after the book build: ``make site-check``).

Static checks of ``_build/html``: every image a page shows exists and is a real picture
(decoded: not blank, not tiny); each page shows at least the figures its source declares
(numbered, with a caption and alt text); every figure reference resolves; the reproduction
table's pasted cells are filled; no internal link points to a missing file; every executed
chapter offers its executed notebook (a valid ``.ipynb`` with outputs) and the command that
re-runs it; the list of figures lists every figure; every page links the general index and the
list of figures; a reader downloads under :data:`SITE_BUDGET_MB` MB of the whole site
(:data:`SITE_DISK_BUDGET_MB` MB on disk).

Browser checks: one headless Chromium opens every page of the site over HTTP (a local server,
nothing from the network) in frames :data:`WIDTHS` px wide (a phone and a desktop) and reports,
per page and width, whether anything is wider than the screen outside an element that scrolls
sideways, whether MathJax typeset the page's mathematics without a TeX error, whether every
image decoded, and whether any resource the page requested (script, style sheet, font, image,
MathJax component) was missing or came from the network. When Chromium is absent the browser
tests are skipped with the install command, except under CI (``CI`` set), where a missing
browser is a failure: the check must never be silently green there.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import socketserver
import subprocess
import tempfile
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from chapter_sources import chapters

pytestmark = pytest.mark.site

ROOT = Path(__file__).resolve().parents[1]
#: The built site; SDMBOOK_SITE checks another build (e.g. one made with --path-output).
SITE = Path(os.environ.get("SDMBOOK_SITE", ROOT / "_build" / "html")).resolve()
INSTALL = "sudo apt-get install -y chromium   (or: make system-deps)"
#: Screen widths of the browser check (CSS px): a phone and a desktop.
WIDTHS = (390, 1400)
#: What a reader downloads of the whole site (every file of _build/html, notebook downloads
#: included, compressed as a web server sends it) stays under this many MB (the issue's 8 MB).
#: Measured 2026-12-01 on the full site (62 pages, 67 figures, 17 executed notebooks): 7.3 MB,
#: of which the figures 3.1 MB (lossless WebP, book/_ext/sdmbook_site.py), the notebook downloads
#: 2.1 MB, the HTML 0.9 MB, MathJax 0.7 MB, icon fonts 0.3 MB, CSS, JS and search index 0.2 MB.
SITE_BUDGET_MB = 8.0
#: ... and the files on disk under this many: measured 15.0 MB the same day (HTML 5.5 MB for 67
#: HTML files, of which the 41 API pages 2.8 MB: every page carries about 27 kB of theme chrome,
#: its 12 kB of navigation included; figures 3.1 MB; notebooks 3.4 MB; MathJax 1.7 MB; CSS, JS,
#: search index and fonts 1.3 MB), plus 1 MB of margin. 8 MB on disk would take cutting content.
SITE_DISK_BUDGET_MB = 16.0
#: Width of the text column (CSS px): a figure is sharp on a 2x screen from twice that, within
#: the figure policy's 1560 px (sdmlib.plotting.PNG_DPI x FIGURE_WIDTH).
COLUMN_PX = 784


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
    only = os.environ.get("SDMBOOK_SITE_PAGES")  # "book/a.html,book/b.html": a quick re-check of a few pages
    if only:
        pages = [p for p in pages if p.relative_to(SITE).as_posix() in only.split(",")]
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


def test_figures_are_sharp_on_a_2x_screen():
    """The re-encoded figures keep their full width: about two device pixels per CSS pixel."""
    from PIL import Image

    narrow, seen = [], 0
    for _chapter, page in _chapter_pages():
        for figure in _parse(page).figures.values():
            target = _local_target(page, figure["img"]) if figure["img"] else None
            if target is None or not target.is_file() or target.suffix == ".svg":
                continue
            seen += 1
            with Image.open(target) as im:
                if im.width < 1.9 * COLUMN_PX:
                    narrow.append(f"{page.name}: {target.name} is {im.width} px wide")
    assert seen, "no chapter page shows a figure"
    assert not narrow, "figures too narrow for a 2x screen:\n" + "\n".join(narrow)


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


def _page_url(page: Path) -> str:
    return page.relative_to(SITE).as_posix()


def _chapter_pages_with_notebooks():
    """(page, parser, notebook link) of every page that carries the per-chapter line."""
    for page in _pages():
        html = page.read_text(encoding="utf-8")
        match = re.search(r'<p class="sdmbook-chapter-line">(.*?)</p>', html, re.S)
        if match:
            yield page, match.group(1)


def test_every_executed_chapter_offers_its_notebook_and_rerun_command():
    """Each chapter's line links a valid executed notebook (with outputs) and names `make chapter`."""
    executed = [c.name for c in chapters() if "kernelspec:" in c.path.read_text(encoding="utf-8")[:1000]]
    lines = dict((p.stem, line) for p, line in _chapter_pages_with_notebooks())
    built = [name for name in executed if (SITE / "book" / f"{name}.html").is_file()]
    assert built, "no executed chapter was built"
    problems = []
    for name in built:
        line = lines.get(name)
        if line is None:
            problems.append(f"{name}: no download / re-run line under the title")
            continue
        if f"make chapter CH=book/{name}.md" not in line:
            problems.append(f"{name}: the line does not name `make chapter CH=book/{name}.md`")
        hrefs = re.findall(r'href="([^"]+\.ipynb)"', line)
        if not hrefs:
            problems.append(f"{name}: no .ipynb download link")
            continue
        target = _local_target(SITE / "book" / f"{name}.html", hrefs[0])
        if target is None or not target.is_file():
            problems.append(f"{name}: the download {hrefs[0]} does not exist")
            continue
        try:
            nb = json.loads(target.read_text(encoding="utf-8"))
        except ValueError as err:
            problems.append(f"{name}: {target.name} is not a notebook ({err})")
            continue
        cells = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
        outputs = sum(len(c.get("outputs", [])) for c in cells)
        if nb.get("nbformat") != 4 or not cells or outputs == 0:
            problems.append(f"{name}: {target.name} has {len(cells)} code cells and {outputs} outputs")
    assert not problems, "\n".join(problems)


def test_every_page_links_the_index_and_the_list_of_figures():
    missing = []
    for page in _pages():
        html = page.read_text(encoding="utf-8")
        if 'http-equiv="Refresh"' in html or "http-equiv=\"refresh\"" in html.lower():
            continue  # the root index.html only redirects to the first page
        # a page's link to itself is "#" (Sphinx), so it counts as its own name
        links = {Path(urlparse(h).path).name or page.name for h in _parse(page).links}
        if "genindex.html" not in links or "figures.html" not in links:
            missing.append(_page_url(page))
    assert not missing, "pages without a link to the general index and the list of figures:\n" + "\n".join(missing)


def test_list_of_figures_lists_every_figure():
    page = SITE / "book" / "figures.html"
    assert page.is_file(), "the list of figures (book/figures.md) was not built"
    links = _parse(page).links
    problems = []
    for chapter, chapter_page in _chapter_pages():
        for fig in chapter.figures:
            if not any(Path(urlparse(h).path).name == chapter_page.name and urlparse(h).fragment == fig.name
                       for h in links):
                problems.append(f"{chapter.name}: {fig.name}")
    assert not problems, "figures missing from the list of figures:\n" + "\n".join(problems)


def _site_weight() -> tuple[int, int, list[tuple[int, int, str]]]:
    """(bytes on disk, bytes a reader downloads, [(disk, download, path)]) of every file of the site.

    A reader downloads each file compressed (gzip, as GitHub Pages and any static web server
    send HTML, CSS, JavaScript and JSON); PNGs and fonts barely compress, so they count whole.
    """
    import gzip

    rows = []
    for path in SITE.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            rows.append((len(data), min(len(data), len(gzip.compress(data, 6))), path.relative_to(SITE).as_posix()))
    return sum(r[0] for r in rows), sum(r[1] for r in rows), rows


def test_site_weighs_under_budget():
    """Everything under _build/html counts: pages, images, MathJax, notebook downloads.

    The budget is what a reader downloads (compressed, :data:`SITE_BUDGET_MB`); the files on
    disk must stay under :data:`SITE_DISK_BUDGET_MB`, so that uncompressed bloat fails too.
    """
    _pages()
    disk, download, rows = _site_weight()
    detail = "\n".join(f"  {d / 1e6:6.2f} MB ({z / 1e6:5.2f} MB compressed)  {p}"
                       for d, z, p in sorted(rows, key=lambda r: r[1], reverse=True)[:8])
    assert download < SITE_BUDGET_MB * 1e6, (
        f"a reader downloads {download / 1e6:.2f} MB of the site (budget {SITE_BUDGET_MB} MB); largest files:\n{detail}")
    assert disk < SITE_DISK_BUDGET_MB * 1e6, (
        f"the site weighs {disk / 1e6:.2f} MB on disk (budget {SITE_DISK_BUDGET_MB} MB); largest files:\n{detail}")


# ------------------------------------------------------------------------- the browser check

_HARNESS = "/__sdmbook_site_check__.html"

#: Runs in the harness page: opens every page in one frame per width, waits for MathJax and the
#: fonts, and writes one JSON report into <pre id="report">.
_HARNESS_JS = r"""
const PAGES = %(pages)s;   // [url, [widths]]
const sleep = ms => new Promise(r => setTimeout(r, ms));
function label(el) {
  let s = el.tagName.toLowerCase();
  if (el.id) s += '#' + el.id;
  if (el.classList.length) s += '.' + [...el.classList].slice(0, 3).join('.');
  const text = (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 50);
  return text ? `${s} "${text}"` : s;
}
function measure(win, width) {
  const doc = win.document, vw = doc.documentElement.clientWidth;
  // reachable: some ancestor that scrolls sideways fits on the screen (nested boxes included)
  const reachable = el => {
    for (let a = el.parentElement; a && a !== doc.body; a = a.parentElement) {
      const o = win.getComputedStyle(a).overflowX;
      if (o === 'auto' || o === 'scroll') {
        const b = a.getBoundingClientRect();
        if (b.right <= vw + 1 && b.left >= -1) return true;
      }
    }
    return false;
  };
  const cut = [], reported = new Set();
  for (const el of doc.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || (r.right <= vw + 1 && r.left >= -1)) continue;
    if (r.right <= 0 || r.left >= vw) continue;                 // an off-canvas drawer
    if (!el.checkVisibility({opacityProperty: true, visibilityProperty: true})) continue;
    if (el.closest('mjx-assistive-mml')) continue;             // MathML for screen readers, clipped on purpose
    if (reachable(el)) continue;                              // it scrolls inside a box that fits
    let parent = el.parentElement, dup = false;
    while (parent) { if (reported.has(parent)) { dup = true; break; } parent = parent.parentElement; }
    if (dup) continue;
    reported.add(el);
    cut.push(`${label(el)}: ${Math.round(r.left)}..${Math.round(r.right)} px`);
  }
  const imgs = [...doc.querySelectorAll('.bd-content img')];
  const resources = win.performance.getEntriesByType('resource');
  return {
    width, viewport: vw, page_width: doc.documentElement.scrollWidth, cut: cut.slice(0, 12),
    math_nodes: doc.querySelectorAll('.math').length,
    mathjax: doc.querySelectorAll('mjx-container').length,
    merror: [...doc.querySelectorAll('mjx-merror')].map(e => e.textContent.slice(0, 80)),
    // maths MathJax did not typeset (e.g. unbalanced braces hide the closing delimiter)
    raw_tex: [...doc.querySelectorAll('.math')].filter(e => !e.querySelector('mjx-container'))
      .map(e => e.textContent.trim().slice(0, 80)),
    broken_images: imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.getAttribute('src')),
    missing: resources.filter(e => e.responseStatus >= 400).map(e => `${e.name} (${e.responseStatus})`),
    resources: resources.map(e => e.name),
  };
}
async function check(url, width) {
  const frame = document.createElement('iframe');
  frame.style.width = width + 'px'; frame.style.height = '900px';
  document.body.appendChild(frame);
  const loaded = new Promise(r => frame.addEventListener('load', r, {once: true}));
  frame.src = url;
  await Promise.race([loaded, sleep(600000)]);
  const win = frame.contentWindow;
  try {
    if (win.MathJax && win.MathJax.startup && win.MathJax.startup.promise) {
      await Promise.race([win.MathJax.startup.promise, sleep(600000)]);
    }
    await Promise.race([win.document.fonts.ready, sleep(600000)]);
    await sleep(300);
    return measure(win, width);
  } catch (err) {
    return {width, error: String(err)};
  } finally {
    frame.remove();
  }
}
(async () => {
  const report = {}, queue = [...PAGES];
  async function worker() {
    while (queue.length) {
      const [url, widths] = queue.shift();
      report[url] = await Promise.all(widths.map(w => check('/' + url, w)));
    }
  }
  await Promise.all(Array.from({length: %(parallel)d}, worker));
  const pre = document.createElement('pre');
  pre.id = 'report'; pre.textContent = JSON.stringify(report);
  document.body.appendChild(pre);
})();
"""


class _Handler(http.server.SimpleHTTPRequestHandler):
    harness = b""

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        if self.path == _HARNESS:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(self.harness)))
            self.end_headers()
            self.wfile.write(self.harness)
            return
        super().do_GET()


@functools.lru_cache(maxsize=1)
def _browser_report() -> dict:
    browser = _chromium()
    pages = [_page_url(p) for p in _pages()]
    # every page on a phone; the desktop width for every page but the API reference's (generated
    # by one template: none of them was ever wider than 1400 px, and they are half the run time)
    plan = [[url, [w for w in WIDTHS if w <= 700 or not url.startswith("book/api/")]] for url in pages]
    script = _HARNESS_JS % {"pages": json.dumps(plan), "parallel": 3}
    handler = type("Handler", (_Handler,), {"harness": f"<!doctype html><body><script>{script}</script>".encode()})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(SITE)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with tempfile.TemporaryDirectory() as profile:
            cmd = [
                browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", f"--user-data-dir={profile}", "--hide-scrollbars",
                f"--virtual-time-budget={1_200_000 * len(pages)}", "--window-size=1500,1000",
                "--dump-dom", f"http://127.0.0.1:{server.server_address[1]}{_HARNESS}",
            ]
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    finally:
        server.shutdown()
        server.server_close()
    assert out.returncode == 0, f"chromium failed: {out.stderr[-800:]}"
    match = re.search(r'<pre id="report">(.*?)</pre>', out.stdout, re.S)
    assert match, "the browser check did not finish (no report in the page): " + out.stdout[-500:]
    import html as _html

    report = json.loads(_html.unescape(match.group(1)))
    assert set(report) == set(pages), "the browser check skipped pages"
    return report


def _each(report):
    for url, results in sorted(report.items()):
        for result in results:
            yield url, result


def test_browser_opened_every_page():
    errors = [f"{url} at {r['width']} px: {r['error']}" for url, r in _each(_browser_report()) if "error" in r]
    assert not errors, "\n".join(errors)


def test_nothing_is_cut_off_on_a_phone_or_a_desktop():
    """No page is wider than the screen, and nothing sticks out except inside a box that scrolls."""
    problems = []
    for url, r in _each(_browser_report()):
        if "error" in r:
            continue
        if r["page_width"] > r["viewport"] + 1:
            problems.append(f"{url} at {r['width']} px: the page is {r['page_width']} px wide")
        for item in r["cut"]:
            problems.append(f"{url} at {r['width']} px: cut off: {item}")
    assert not problems, "\n".join(problems)


def test_every_resource_a_page_loads_exists():
    """A file the site does not ship (pruned MathJax component, font, script) fails here."""
    missing = [f"{url}: {m}" for url, r in _each(_browser_report()) for m in r.get("missing", [])]
    assert not missing, "resources requested by pages but missing from the site:\n" + "\n".join(sorted(set(missing)))
    external = sorted({f"{url}: {name}" for url, r in _each(_browser_report()) for name in r.get("resources", [])
                       if not name.startswith("http://127.0.0.1:")})
    assert not external, "pages fetch from the network:\n" + "\n".join(external)


def test_every_image_decodes_in_the_browser():
    broken = [f"{url} at {r['width']} px: {src}" for url, r in _each(_browser_report())
              for src in r.get("broken_images", [])]
    assert not broken, "images that do not load in the browser:\n" + "\n".join(broken)


def test_mathjax_typesets_every_page_with_equations():
    pages = [(url, r) for url, r in _each(_browser_report()) if r.get("math_nodes")]
    assert pages, "no built page contains mathematics"
    problems = []
    for url, r in pages:
        if r["mathjax"] == 0:
            problems.append(f"{url} at {r['width']} px: MathJax typeset nothing (raw TeX left on the page)")
        if r["merror"]:
            problems.append(f"{url} at {r['width']} px: MathJax reported a TeX error: {r['merror'][:3]}")
        if r.get("raw_tex"):
            problems.append(f"{url} at {r['width']} px: maths left as raw TeX: {r['raw_tex'][:3]}")
    assert not problems, "\n".join(problems)
