"""sdmbook's site extension: downloads, the list of figures, and a site that ships what it loads.

Registered in ``_config.yml`` (``sphinx.local_extensions``). It does six things:

* **Per-chapter line.** Under the title of every executed chapter: a download link to the
  executed notebook (``<chapter>.ipynb``, with its outputs, next to the page), the command that
  re-runs the chapter (``make chapter CH=book/<chapter>.md``) and a link to the source in the
  repository (``repository.url`` of ``_config.yml``, the one place the URL is typed).
* **Notebook downloads.** After the build, each executed notebook of ``_build/jupyter_execute``
  is copied beside its page with its figures re-encoded at :data:`NOTEBOOK_FIGURE_WIDTH` px
  (palette PNG): the outputs stay, the download stays small.
* **List of figures.** The ``{list-of-figures}`` directive (``book/figures.md``) lists every
  numbered figure of the book with its number, chapter and the first sentence of its caption,
  collected from the documents at build time (never typed by hand).
* **Bibliography style.** ``sdmbook``: titles as typed in ``references.bib`` (pybtex's
  default lowercases them), with URLs, arXiv links and DOIs.
* **Footer links and download menu.** Every page's footer links the general index and the list
  of figures; the theme's download menu offers the executed notebook, the source in the
  repository and print-to-PDF (the theme's own entries pointed at files the site does not ship).
* **Weight.** After the build, files no page loads are removed from ``_static`` (MathJax
  components other than ``tex-chtml.js``, its a11y/speech engines, source maps, the theme's
  translation catalogues, TrueType copies of the woff2 icon fonts) and the theme's 1.5 MB
  ``fontawesome.js`` (which only swaps the icon font for inline SVG) is replaced by a stub, so
  the icons are drawn by the icon font the theme's CSS already loads. Figures in ``_images``
  are re-encoded as palette PNGs (:func:`palette_png`), losslessly for these figures' few
  colours up to antialiasing. ``tests/test_site.py`` checks in a browser that every resource a
  page requests exists, so a pruned file a page needs fails the check.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

#: Width of the figures inside a downloaded notebook (px): about what Jupyter shows a default
#: matplotlib figure at (6.4 in × 100 dpi); the page shows the full resolution. Re-running the
#: notebook redraws them at full resolution.
NOTEBOOK_FIGURE_WIDTH = 600
#: Colours of a re-encoded figure (palette PNG).
PALETTE_COLOURS = 256
#: Bumped whenever the re-encoding changes, so that cached results of an older one are not used.
IMAGE_ENCODING = 5
#: Largest change of any pixel's colour channel (of 255) a palette PNG may make (antialiased
#: edges and colour-map gradients move by up to about 18 with maximum-coverage quantisation).
PALETTE_MAX_ERROR = 24
#: Every colour that covers at least ``PALETTE_FLAT_SHARE`` of a figure (background, bands,
#: ribbons, grid) must keep its own palette entry within ``PALETTE_FLAT_ERROR`` levels, so that
#: a faint band (alpha 0.12 grey on white: 240 against 255) never merges into the background.
#: Beyond any of these limits the figure keeps its full colours.
PALETTE_FLAT_SHARE, PALETTE_FLAT_ERROR = 0.01, 8

#: What of ``_static/mathjax`` the pages load: the combined TeX → CommonHTML component, its
#: fonts, and the TeX extensions it autoloads when a page uses one of their macros.
MATHJAX_KEEP = ("tex-chtml.js", "output/chtml/fonts/woff-v2/", "input/tex/extensions/")
FONTAWESOME_STUB = (
    "/* sdmbook: the theme's fontawesome.js (1.5 MB) only replaces <i class=\"fa-...\"> icons by\n"
    "   inline SVG; the icon font of the theme's CSS draws the same icons, so it is not shipped\n"
    "   (book/_ext/sdmbook_site.py). */\n"
)


# ---------------------------------------------------------------------------- images


def _palette_keeping_large_areas(rgb):
    """``rgb`` mapped to 256 colours: every colour covering ``PALETTE_FLAT_SHARE`` of the image
    exactly, the rest from a maximum-coverage palette, each pixel to its nearest entry (no
    dithering). Quantisers alone merged a faint band into the background."""
    from PIL import Image

    large = [colour for count, colour in rgb.getcolors(1 << 24)
             if count >= PALETTE_FLAT_SHARE * rgb.width * rgb.height][: PALETTE_COLOURS // 2]
    rest = rgb.quantize(PALETTE_COLOURS - len(large), method=Image.Quantize.MAXCOVERAGE)
    colours = [c for colour in large for c in colour] + rest.getpalette()[: 3 * (PALETTE_COLOURS - len(large))]
    colours += [0] * (3 * PALETTE_COLOURS - len(colours))
    # each distinct colour to its nearest entry, exactly (PIL's own mapping is approximate and
    # turned the white background into 250)
    pixels = np.asarray(rgb, dtype=np.int32)
    packed = (pixels[..., 0] << 16) | (pixels[..., 1] << 8) | pixels[..., 2]
    distinct, inverse = np.unique(packed.ravel(), return_inverse=True)
    rgb_distinct = np.stack([distinct >> 16, (distinct >> 8) & 255, distinct & 255], axis=1)
    entries = np.array(colours, dtype=np.int32).reshape(-1, 3)
    nearest = np.empty(len(distinct), dtype=np.uint8)
    for start in range(0, len(distinct), 4096):   # bounded memory: 4096 x 256 distances at a time
        block = rgb_distinct[start:start + 4096]
        nearest[start:start + 4096] = ((block[:, None, :] - entries[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    out = Image.fromarray(nearest[inverse].reshape(packed.shape), mode="P")
    out.putpalette(colours)
    return out


def palette_png(data: bytes, max_width: int | None = None) -> bytes:
    """Re-encode a PNG as a palette PNG of :data:`PALETTE_COLOURS` colours, optionally narrower.

    Returns ``data`` unchanged when the result would not be smaller (or it is no PNG).
    """
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.format != "PNG":
                return data
            if im.mode == "P" and (max_width is None or im.width <= max_width):
                return data
            im = im.convert("RGBA")
            if max_width is not None and im.width > max_width:
                height = round(im.height * max_width / im.width)
                im = im.resize((max_width, height), Image.LANCZOS)
            # fast octree merged a faint band (242) and white into one grey (253) and erased the
            # light bands of the book's figures: large areas keep their exact colours
            pixels = np.asarray(im, dtype=np.int16)
            if pixels[..., 3].min() == 255:   # opaque (every figure of the book): quantise RGB
                im = im.convert("RGB")
                quantised = _palette_keeping_large_areas(im)
            else:                             # only fast octree takes an alpha channel
                quantised = im.quantize(PALETTE_COLOURS, method=Image.Quantize.FASTOCTREE)
            error = np.abs(np.asarray(quantised.convert(im.mode), dtype=np.int16) - np.asarray(im, dtype=np.int16))
            kept = np.array([c for _, c in quantised.convert(im.mode).getcolors(PALETTE_COLOURS + 1)],
                            dtype=np.int16).reshape(-1, len(im.mode))
            common = [item for item in im.getcolors(1 << 24) if item[0] >= PALETTE_FLAT_SHARE * im.width * im.height]
            gaps = np.stack([np.abs(kept - np.array(c, dtype=np.int16)).max(axis=1) for _, c in common])
            nearest = gaps.argmin(axis=1)      # the palette entry each large area is drawn with
            colours = np.array([c for _, c in common], dtype=np.int16).reshape(len(common), -1)
            apart = np.abs(colours[:, None, :] - colours[None, :, :]).max(axis=2) > PALETTE_FLAT_ERROR
            merged = bool((apart & (nearest[:, None] == nearest[None, :])).any())   # distinct areas, one entry
            out = io.BytesIO()
            # a narrowed copy (the notebook downloads' previews) has many resampled edge
            # colours: there only the large areas must be exact
            too_far = max_width is None and error.max() > PALETTE_MAX_ERROR
            if too_far or gaps.min(axis=1).max() > PALETTE_FLAT_ERROR or merged:
                im.save(out, "PNG", optimize=True)   # too many colours for a palette: keep them
            else:
                quantised.save(out, "PNG", optimize=True)
    except Exception as err:  # an image we cannot read stays as it is; the site check judges it
        logger.warning(f"sdmbook_site: cannot re-encode an image ({err})", type="sdmbook", subtype="image")
        return data
    return out.getvalue() if out.tell() < len(data) else data


def _remove_stale_images(outdir: Path) -> None:
    """Delete ``_images`` files no page shows (Sphinx keeps those of earlier builds)."""
    shown: set[str] = set()
    for page in outdir.rglob("*.html"):
        shown.update(re.findall(r"_images/([^\"'()\s?#]+)", page.read_text(encoding="utf-8", errors="replace")))
    for path in (outdir / "_images").glob("*"):
        if path.is_file() and path.name not in shown:
            path.unlink()


def _slim_images(outdir: Path) -> None:
    """Re-encode ``_images/*.png`` in place; results are cached by content (Sphinx re-copies
    the originals on every build), so an unchanged figure costs one hash."""
    import hashlib

    cache = outdir.parent / ".sdmbook-image-cache"
    cache.mkdir(exist_ok=True)
    for path in sorted((outdir / "_images").glob("*.png")):
        data = path.read_bytes()
        key = cache / (hashlib.sha256(data).hexdigest()[:32] + f"-{PALETTE_COLOURS}-v{IMAGE_ENCODING}.png")
        if key.is_file():
            slim = key.read_bytes()
        else:
            slim = palette_png(data)
            key.write_bytes(slim)
        if slim != data:
            path.write_bytes(slim)


# ---------------------------------------------------------------------------- notebooks


def _executed_notebook(app: Sphinx, docname: str) -> Path:
    return Path(app.outdir).parent / "jupyter_execute" / f"{docname}.ipynb"


def _is_notebook(app: Sphinx, docname: str) -> bool:
    source = Path(app.env.doc2path(docname))
    if source.suffix == ".ipynb":
        return True
    if source.suffix != ".md" or not source.is_file():
        return False
    head = source.read_text(encoding="utf-8")[:1000]
    return head.startswith("---") and "kernelspec:" in head.split("\n---", 1)[0]


def slim_notebook(text: str, max_width: int = NOTEBOOK_FIGURE_WIDTH) -> str:
    """The notebook ``text`` with every PNG output re-encoded by :func:`palette_png` at ``max_width``."""
    nb = json.loads(text)
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            png = data.get("image/png")
            if png:
                raw = base64.b64decode("".join(png) if isinstance(png, list) else png)
                data["image/png"] = base64.b64encode(palette_png(raw, max_width)).decode("ascii")
                output.get("metadata", {}).pop("image/png", None)  # sizes of the old picture
    return json.dumps(nb, ensure_ascii=False, indent=1) + "\n"


def _copy_notebooks(app: Sphinx) -> None:
    outdir = Path(app.outdir)
    for docname in sorted(app.env.found_docs):
        source = _executed_notebook(app, docname)
        if not _is_notebook(app, docname):
            continue
        if not source.is_file():
            logger.warning(f"sdmbook_site: no executed notebook for {docname} ({source})",
                           type="sdmbook", subtype="download")
            continue
        target = outdir / f"{docname}.ipynb"
        if target.is_file() and target.stat().st_mtime >= source.stat().st_mtime:
            continue  # already written from this version of the executed notebook
        target.parent.mkdir(parents=True, exist_ok=True)
        text = _with_cached_outputs(app, source.read_text(encoding="utf-8"))
        target.write_text(slim_notebook(text), encoding="utf-8")


def _with_cached_outputs(app: Sphinx, text: str) -> str:
    """``text`` with its outputs from the execution cache when myst-nb wrote it without them.

    In ``execute_notebooks: cache`` mode, a chapter taken from the cache is written to
    ``jupyter_execute`` with empty outputs; the cache (jupyter-cache) holds the executed copy.
    """
    nb = json.loads(text)
    if any(cell.get("outputs") for cell in nb.get("cells", [])):
        return text
    config = getattr(app.env, "mystnb_config", None)
    cache_path = getattr(config, "execution_cache_path", "") or str(Path(app.outdir).parent / ".jupyter_cache")
    try:
        import nbformat
        from jupyter_cache import get_cache

        _, merged = get_cache(cache_path).merge_match_into_notebook(nbformat.reads(text, as_version=4))
    except Exception as err:  # no cache entry: the download keeps what myst-nb wrote, and says why
        logger.warning(f"sdmbook_site: no cached outputs for a notebook ({err})", type="sdmbook", subtype="download")
        return text
    return nbformat.writes(merged)


def _chapter_line(app: Sphinx, doctree: nodes.document) -> None:
    """The download / re-run / source line under the title of an executed chapter."""
    docname = app.env.docname
    if not _is_notebook(app, docname):
        return
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None:
        return
    name = Path(docname).name
    source = Path(app.env.doc2path(docname, False)).as_posix()
    url, branch = _repository(app)
    parts = [
        f'<a class="reference download" href="{name}.ipynb" download>{name}.ipynb</a> '
        "(executed, with outputs)",
        f're-run this chapter: <code class="docutils literal notranslate">make chapter CH={source}</code>',
    ]
    if url:
        parts.append(f'<a class="reference external" href="{url}/blob/{branch}/{source}">source</a>')
    html = '<p class="sdmbook-chapter-line">' + " · ".join(parts) + "</p>\n"
    section.insert(1, nodes.raw("", html, format="html"))


# ---------------------------------------------------------------------------- list of figures


class list_of_figures(nodes.General, nodes.Element):
    """Placeholder of the list of figures, filled when the page is resolved."""


class ListOfFigures(SphinxDirective):
    """``{list-of-figures}``: every numbered figure of the book, by chapter."""

    def run(self):
        return [list_of_figures("")]


_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)(?<!\bFig)(?<!\bEq)(?<!\bcf)\.\s+(?=[A-Z(])")


def _first_sentence(text: str, limit: int = 240) -> str:
    """The first sentence of a caption (not cut at "e.g.", "vs.", "Fig."), at most ``limit`` characters."""
    text = " ".join(text.split())
    match = _SENTENCE_END.search(text)
    if match:
        text = text[: match.start() + 1]
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


def _caption_start(caption: nodes.caption) -> list[nodes.Node]:
    """The caption's first sentence as nodes: maths stays maths, cross-references become text."""
    out: list[nodes.Node] = []
    for child in caption.children:
        if isinstance(child, nodes.Text):
            match = _SENTENCE_END.search(str(child))
            if match:
                out.append(nodes.Text(str(child)[: match.start() + 1]))
                break
            out.append(nodes.Text(str(child)))
        elif isinstance(child, nodes.math):
            out.append(child.deepcopy())
        else:  # emphasis, references, pending cross-references: their text
            out.append(nodes.Text(child.astext()))
    return out


def _collect_figures(app: Sphinx, doctree: nodes.document) -> None:
    figures = []
    for figure in doctree.findall(nodes.figure):
        caption = next(iter(figure.findall(nodes.caption)), None)
        if figure["ids"] and caption is not None:
            figures.append((figure["ids"][0], _caption_start(caption)))
    store = getattr(app.env, "sdmbook_figures", {})
    store[app.env.docname] = figures
    if any(True for _ in doctree.findall(list_of_figures)):
        # the list is filled with captions' maths only when the page is resolved: tell the math
        # domain now, so that the page loads MathJax
        app.env.get_domain("math").data["has_equations"][app.env.docname] = True
    app.env.sdmbook_figures = store


def _purge(app, env, docname):
    getattr(env, "sdmbook_figures", {}).pop(docname, None)


def _merge(app, env, docnames, other):
    store = getattr(env, "sdmbook_figures", {})
    for docname in docnames:
        if docname in getattr(other, "sdmbook_figures", {}):
            store[docname] = other.sdmbook_figures[docname]
    env.sdmbook_figures = store


def _toc_order(env) -> list[str]:
    order, seen = [], set()

    def walk(doc):
        if doc in seen:
            return
        seen.add(doc)
        order.append(doc)
        for child in env.toctree_includes.get(doc, []):
            walk(child)

    walk(env.config.root_doc)
    return order


def _fill_list_of_figures(app: Sphinx, doctree: nodes.document, fromdocname: str) -> None:
    placeholders = list(doctree.findall(list_of_figures))
    if not placeholders:
        return
    env, builder = app.env, app.builder
    content: list[nodes.Node] = []
    total = 0
    for docname in _toc_order(env):
        figures = getattr(env, "sdmbook_figures", {}).get(docname) or []
        numbers = env.toc_fignumbers.get(docname, {}).get("figure", {})
        numbered = [(numbers[fid], fid, cap) for fid, cap in figures if fid in numbers]
        numbered.sort(key=lambda item: item[0])
        if not numbered:
            continue
        uri = builder.get_relative_uri(fromdocname, docname)
        title = env.titles[docname].astext()
        heading = nodes.paragraph(classes=["sdmbook-lof-chapter"])
        heading += nodes.reference("", title, internal=True, refuri=uri)
        items = nodes.bullet_list(classes=["sdmbook-lof"])
        for number, fid, caption in numbered:
            label = "Fig. " + ".".join(map(str, number))
            para = nodes.paragraph()
            ref = nodes.reference("", "", internal=True, refuri=f"{uri}#{fid}")
            ref += nodes.strong(label, label)
            para += ref
            para += nodes.Text(" ")
            para += [node.deepcopy() for node in caption]
            items += nodes.list_item("", para)
            total += 1
        content += [heading, items]
    summary = nodes.paragraph(text=f"{total} figures.", classes=["sdmbook-lof-count"])
    for node in placeholders:
        node.replace_self([summary, *content])


def _always_reread_list_of_figures(app, env, added, changed, removed):
    return [doc for doc in env.found_docs if doc.endswith("figures") and doc not in changed | added]


# ---------------------------------------------------------------------------- bibliography


def _register_bibliography_style() -> None:
    """The pybtex style ``sdmbook``: pybtex's ``unsrt`` with titles printed as typed in the .bib.

    ``unsrt`` sets every title in sentence case ("Sentence-bert", "Minilm"); the .bib types
    its titles in the publishers' case, so they are kept. URLs, arXiv identifiers and DOIs are
    printed (as links) by ``unsrt`` already.
    """
    from pybtex.plugin import register_plugin
    from pybtex.style.formatting.unsrt import Style as Unsrt
    from pybtex.style.template import field, sentence

    class Style(Unsrt):
        def format_title(self, e, which_field, as_sentence=True):
            title = field(which_field)
            return sentence[title] if as_sentence else title

    register_plugin("pybtex.style.formatting", "sdmbook", Style)


# ---------------------------------------------------------------------------- footer and weight


def _repository(app: Sphinx) -> tuple[str, str]:
    options = app.config.html_theme_options or {}
    return options.get("repository_url", "").rstrip("/"), options.get("repository_branch", "main")


def _download_menu(app, pagename, context) -> None:
    """Point the theme's download menu at what the site ships.

    The theme offers ``_sources/<page>`` (not shipped: ``html_copy_source`` is off) and no
    notebook for text notebooks; the menu then lists the executed notebook beside the page, the
    source in the repository, and the theme's print-to-PDF.
    """
    url, branch = _repository(app)
    for group in context.get("header_buttons", []):
        if group.get("label") != "download-buttons":
            continue
        buttons = []
        if pagename in app.env.found_docs and _is_notebook(app, pagename):
            buttons.append({"type": "link", "url": f"{Path(pagename).name}.ipynb", "text": ".ipynb",
                            "icon": "fas fa-code", "tooltip": "Download the executed notebook",
                            "label": "download-notebook-button"})
        if url and pagename in app.env.found_docs:
            source = Path(app.env.doc2path(pagename, False)).as_posix()
            buttons.append({"type": "link", "url": f"{url}/blob/{branch}/{source}", "text": Path(source).suffix,
                            "icon": "fas fa-file", "tooltip": "Source file in the repository",
                            "label": "download-source-button"})
        buttons += [b for b in group.get("buttons", []) if b.get("label") == "download-pdf-button"]
        group["buttons"] = buttons


def _page_context(app, pagename, templatename, context, doctree):
    pathto = context.get("pathto")
    if pathto is None:
        return
    _download_menu(app, pagename, context)
    links = f'<a href="{pathto("genindex")}">Index</a>'
    if "book/figures" in app.env.found_docs:
        links += f' · <a href="{pathto("book/figures")}">List of figures</a>'
    footer = context.get("theme_extra_footer") or ""
    context["theme_extra_footer"] = f"{footer} · {links}" if footer else links


def _prune_static(outdir: Path) -> None:
    static = outdir / "_static"
    mathjax = static / "mathjax"
    if mathjax.is_dir():
        for path in sorted(mathjax.rglob("*"), reverse=True):
            rel = path.relative_to(mathjax).as_posix()
            if path.is_file() and not any(rel == k or rel.startswith(k) for k in MATHJAX_KEEP):
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    for path in list(static.rglob("*.map")) + list(static.rglob("*.ttf")):
        path.unlink()
    for catalogue in ("locales",):
        shutil.rmtree(static / catalogue, ignore_errors=True)
    fontawesome = static / "scripts" / "fontawesome.js"
    if fontawesome.is_file():
        fontawesome.write_text(FONTAWESOME_STUB, encoding="utf-8")


def _build_finished(app: Sphinx, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    _copy_notebooks(app)
    _remove_stale_images(outdir)
    _slim_images(outdir)
    _prune_static(outdir)


def setup(app: Sphinx):
    _register_bibliography_style()
    app.add_node(list_of_figures)
    app.add_directive("list-of-figures", ListOfFigures)
    app.connect("doctree-read", _chapter_line)
    app.connect("doctree-read", _collect_figures)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-get-outdated", _always_reread_list_of_figures)
    app.connect("doctree-resolved", _fill_list_of_figures)
    app.connect("html-page-context", _page_context, priority=900)
    app.connect("build-finished", _build_finished, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True, "env_version": 2}
