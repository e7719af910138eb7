"""sdmbook's site extension: downloads, the list of figures, and a site that ships what it loads.

Registered in ``_config.yml`` (``sphinx.local_extensions``). It does six things:

* **Per-chapter line.** Under the title of every executed chapter: a download link to the
  executed notebook (``<chapter>.ipynb``, with its outputs, next to the page), the command that
  re-runs the chapter (``make chapter CH=book/<chapter>.md``) and a link to the source in the
  repository (``repository.url`` of ``_config.yml``, the one place the URL is typed).
* **Notebook downloads.** After the build, each executed notebook of ``_build/jupyter_execute``
  is copied beside its page (compact JSON) with its figures re-encoded at
  :data:`NOTEBOOK_FIGURE_WIDTH` px and :data:`NOTEBOOK_COLOURS` colours (palette PNG, large
  areas exact): the outputs stay, the download stays small.
* **List of figures.** The ``{list-of-figures}`` directive (``book/figures.md``) lists every
  numbered figure of the book with its number, chapter and the first sentence of its caption,
  collected from the documents at build time (never typed by hand).
* **Bibliography style.** ``sdmbook``: titles as typed in ``references.bib`` (pybtex's
  default lowercases them), with URLs, arXiv links and DOIs.
* **Footer links and download menu.** Every page's footer links the general index and the list
  of figures; the theme's download menu offers the executed notebook, the source in the
  repository and print-to-PDF (the theme's own entries pointed at files the site does not ship).
* **Weight.** After the build, files no page loads are removed from ``_static`` (MathJax
  components other than ``tex-chtml.js``, its a11y/speech engines, the TeX extensions it
  contains already, source maps, the theme's translation catalogues, Jinja macros and unused
  launch-button logos, TrueType copies of the woff2 icon fonts) and the theme's 1.5 MB
  ``fontawesome.js`` (which only swaps the icon font for inline SVG) is replaced by a stub, so
  the icons are drawn by the icon font the theme's CSS already loads. Figures in ``_images``
  are reduced to 256 colours (large areas such as the background, bands and ribbons exact;
  antialiased edges within :data:`PALETTE_MAX_ERROR`) and stored as lossless WebP
  (:func:`webp_figure`; the pages are pointed at ``X.webp``), at their full 2×-screen width.
  Code blocks lose the markup of tokens drawn in the block's own colour
  (:func:`strip_plain_tokens`). ``tests/test_site.py`` checks in a browser that every resource
  a page requests exists, so a pruned file a page needs fails the check, and that the whole
  site stays under its weight budget.
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
#: Colours of a re-encoded figure of the site.
PALETTE_COLOURS = 256
#: Colours of a notebook preview, of which ``NOTEBOOK_GREYS`` a grey ramp: 600 px previews keep
#: their large areas exact (PALETTE_FLAT_SHARE) and their text legible with 64 colours, in 13 %
#: fewer bytes than with 256 (1.74 MB against 2.01 MB for the book's 67 figures). Measured on a
#: third of them: without the ramp, 64 colours tinted 2.7 % of the grey pixels by over 10 levels
#: (up to 48: pink grid lines), with it 0.1 % (up to 19; 256 colours without it: 0.6 %, up to 24).
#: The site's figures need no ramp: at 256 colours 0.04 % of their grey pixels move, by at most 18.
NOTEBOOK_COLOURS, NOTEBOOK_GREYS = 64, 16
#: Effort of the lossless WebP encoder (0-6): 6 takes 25 times longer for 0.2 % fewer bytes.
WEBP_METHOD = 4
#: Bumped whenever the re-encoding changes, so that cached results of an older one are not used.
IMAGE_ENCODING = 8
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
#: ... less the TeX extensions no page can request: those ``tex-chtml.js`` contains already (it
#: preloads them) and ``all-packages.js``, a bundle of every extension that only an explicit
#: ``loader.load`` fetches (270 kB together).
MATHJAX_NEVER_FETCHED = tuple(f"input/tex/extensions/{name}.js" for name in (
    "all-packages", "ams", "newcommand", "noundefined", "require", "autoload", "configmacros"))
#: Files of the themes' ``_static`` that no browser fetches: Jinja macros of their build.
THEME_TEMPLATES = ("webpack-macros.html", "sbt-webpack-macros.html")
FONTAWESOME_STUB = (
    "/* sdmbook: the theme's fontawesome.js (1.5 MB) only replaces <i class=\"fa-...\"> icons by\n"
    "   inline SVG; the icon font of the theme's CSS draws the same icons, so it is not shipped\n"
    "   (book/_ext/sdmbook_site.py). */\n"
)


# ---------------------------------------------------------------------------- images


def _quantised(rgb, colours: int, greys: int = 0):
    """``rgb`` (an opaque RGB image) mapped to ``colours`` colours, and whether that is faithful.

    Every colour covering ``PALETTE_FLAT_SHARE`` of the image gets its own entry (up to half the
    palette), ``greys`` evenly spaced greys follow, the rest come from a maximum-coverage
    palette, and each distinct colour is drawn
    with its nearest entry (exactly, in numpy: PIL's own mapping is approximate and turned the
    white background into 250). Quantisers alone merged a faint band into the background.

    Returns ``(palette image, largest channel error, large areas kept)``: the last is False when
    a large area moved by more than ``PALETTE_FLAT_ERROR`` levels or two large areas that differ
    by more than that share one entry.
    """
    from PIL import Image

    pixels = np.asarray(rgb, dtype=np.int32)
    packed = (pixels[..., 0] << 16) | (pixels[..., 1] << 8) | pixels[..., 2]
    distinct, inverse, counts = np.unique(packed.ravel(), return_inverse=True, return_counts=True)
    rgb_distinct = np.stack([distinct >> 16, (distinct >> 8) & 255, distinct & 255], axis=1)
    is_large = counts >= PALETTE_FLAT_SHARE * packed.size
    by_count = np.argsort(-counts[is_large], kind="stable")
    large = rgb_distinct[is_large][by_count][: colours // 2]
    # a ramp of greys keeps the antialiased edges of black text and grey lines grey: with few
    # colours the nearest entry of a maximum-coverage palette tinted them (pink grid lines)
    levels = np.linspace(0, 255, greys).round().astype(np.int32) if greys else np.zeros(0, np.int32)
    greys = np.array([(v, v, v) for v in levels if not (large == v).all(axis=1).any()],
                     dtype=np.int32).reshape(-1, 3)
    n_rest = colours - len(large) - len(greys)
    rest = rgb.quantize(n_rest, method=Image.Quantize.MAXCOVERAGE)
    rest_entries = np.array(rest.getpalette()[: 3 * n_rest], dtype=np.int32).reshape(-1, 3)
    entries = np.concatenate([large, greys, rest_entries])
    nearest = np.empty(len(distinct), dtype=np.uint8)
    for start in range(0, len(distinct), 4096):   # bounded memory: 4096 x 256 distances at a time
        block = rgb_distinct[start:start + 4096]
        nearest[start:start + 4096] = ((block[:, None, :] - entries[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    error = np.abs(rgb_distinct - entries[nearest]).max(axis=1)
    large_entry = nearest[is_large]
    large_colours = rgb_distinct[is_large]
    apart = np.abs(large_colours[:, None, :] - large_colours[None, :, :]).max(axis=2) > PALETTE_FLAT_ERROR
    merged = bool((apart & (large_entry[:, None] == large_entry[None, :])).any())
    kept = not merged and (error[is_large].max(initial=0) <= PALETTE_FLAT_ERROR)
    out = Image.fromarray(nearest[inverse].reshape(packed.shape), mode="P")
    flat = entries.astype(np.uint8).ravel().tolist()
    out.putpalette(flat + [0] * (3 * 256 - len(flat)))
    return out, int(error.max()), kept


def _check_encoding(max_width, colours, greys: int = 0) -> None:
    if isinstance(colours, bool) or not isinstance(colours, int) or not 16 <= colours <= 256:
        raise ValueError(f"colours must be an integer from 16 to 256, got {colours!r}")
    if isinstance(greys, bool) or not isinstance(greys, int) or not (greys == 0 or 2 <= greys <= colours // 4):
        raise ValueError(f"greys must be 0 or an integer from 2 to colours // 4 = {colours // 4}, got {greys!r}")
    if max_width is not None and (isinstance(max_width, bool) or not isinstance(max_width, int) or max_width < 16):
        raise ValueError(f"max_width must be None or an integer >= 16 (px), got {max_width!r}")


def _reduced_picture(data: bytes, max_width: int | None, colours: int, greys: int = 0):
    """The picture a re-encoded figure shows, or None when ``data`` is no PNG.

    The PNG ``data``, narrowed to ``max_width`` px (LANCZOS) if wider, mapped to ``colours``
    colours by :func:`_quantised` when that keeps every large area (and, at full width, every
    pixel within ``PALETTE_MAX_ERROR``), else in its full colours (RGB, or RGBA when it is not
    opaque: no figure of the book is).
    """
    from PIL import Image

    _check_encoding(max_width, colours, greys)
    with Image.open(io.BytesIO(data)) as im:
        if im.format != "PNG":
            return None
        im = im.convert("RGBA")
    if max_width is not None and im.width > max_width:
        im = im.resize((max_width, round(im.height * max_width / im.width)), Image.LANCZOS)
    if np.asarray(im.getchannel("A")).min() < 255:
        return im
    im = im.convert("RGB")
    quantised, error, kept = _quantised(im, colours, greys)
    # a narrowed copy (the notebook downloads' previews) has many resampled edge colours: there
    # only the large areas must be exact
    if kept and (max_width is not None or error <= PALETTE_MAX_ERROR):
        return quantised
    return im


def palette_png(data: bytes, max_width: int | None = None, colours: int = PALETTE_COLOURS, greys: int = 0) -> bytes:
    """Re-encode a PNG as a palette PNG of ``colours`` colours (16 to 256), optionally narrower.

    ``greys`` entries (0, or 2 to ``colours // 4``) are an evenly spaced grey ramp, for few colours.

    Large areas (background, bands, ribbons) keep their exact colours; when a palette cannot
    draw the figure faithfully (see :func:`_reduced_picture`) its full colours are kept.
    Returns ``data`` unchanged when the result would not be smaller, it is no PNG, or it is a
    palette PNG already no wider than ``max_width``.

    Examples
    --------
    >>> from PIL import Image
    >>> a = np.full((400, 600, 3), 255, np.uint8); a[130:270] = 240; a[140:260, 10:590] = (0, 114, 178)
    >>> buf = io.BytesIO(); Image.fromarray(a).save(buf, "PNG")
    >>> slim = Image.open(io.BytesIO(palette_png(buf.getvalue())))
    >>> slim.mode, bool((np.asarray(slim.convert("RGB")) == a).all())
    ('P', True)
    """
    from PIL import Image

    _check_encoding(max_width, colours, greys)
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.format == "PNG" and im.mode == "P" and (max_width is None or im.width <= max_width):
                return data
        picture = _reduced_picture(data, max_width, colours, greys)
        if picture is None:
            return data
        out = io.BytesIO()
        picture.save(out, "PNG", optimize=True)
    except Exception as err:  # an image we cannot read stays as it is; the site check judges it
        logger.warning(f"sdmbook_site: cannot re-encode an image ({err})", type="sdmbook", subtype="image")
        return data
    return out.getvalue() if out.tell() < len(data) else data


def webp_figure(data: bytes, colours: int = PALETTE_COLOURS) -> bytes | None:
    """The picture :func:`palette_png` draws, as a lossless WebP (None when ``data`` is no PNG).

    Lossless WebP stores the same pixels as the palette PNG in about 28 % fewer bytes for the
    book's figures (measured on its 67 figures: 4.28 MB as palette PNGs, 3.12 MB as WebP).

    Examples
    --------
    >>> from PIL import Image
    >>> a = np.full((400, 600, 3), 255, np.uint8); a[130:270] = 240; a[140:260, 10:590] = (0, 114, 178)
    >>> buf = io.BytesIO(); Image.fromarray(a).save(buf, "PNG")
    >>> webp = Image.open(io.BytesIO(webp_figure(buf.getvalue())))
    >>> webp.format, bool((np.asarray(webp.convert("RGB")) == a).all())
    ('WEBP', True)
    """
    _check_encoding(None, colours)
    try:
        picture = _reduced_picture(data, None, colours)
        if picture is None:
            return None
        out = io.BytesIO()
        picture.save(out, "WEBP", lossless=True, quality=100, method=WEBP_METHOD, exact=True)
    except Exception as err:  # an image we cannot read stays as it is; the site check judges it
        logger.warning(f"sdmbook_site: cannot re-encode an image ({err})", type="sdmbook", subtype="image")
        return None
    return out.getvalue()


_IMAGE_REF = re.compile(r"(_images/)([^\"'()\s?#/]+)\.(png|webp)\b")


def _site_pages(outdir: Path) -> list[Path]:
    return [page for page in outdir.rglob("*.html") if "_static" not in page.relative_to(outdir).parts]


def _remove_stale_images(outdir: Path) -> None:
    """Delete ``_images`` files no page shows (Sphinx keeps those of earlier builds).

    On an incremental build the pages Sphinx did not rewrite show ``X.webp`` (written by
    :func:`_slim_images` before) and the rewritten ones ``X.png`` (copied again): both count.
    """
    shown: set[str] = set()
    for page in _site_pages(outdir):
        shown.update(re.findall(r"_images/([^\"'()\s?#]+)", page.read_text(encoding="utf-8", errors="replace")))
    for path in (outdir / "_images").glob("*"):
        if path.is_file() and path.name not in shown:
            path.unlink()


def _slim_images(outdir: Path) -> None:
    """Re-encode every ``_images/X.png`` as ``_images/X.webp`` (:func:`webp_figure`) and point
    the pages at it; results are cached by content (Sphinx re-copies the originals on every
    build), so an unchanged figure costs one hash."""
    import hashlib

    cache = outdir.parent / ".sdmbook-image-cache"
    cache.mkdir(exist_ok=True)
    images = outdir / "_images"
    for path in sorted(images.glob("*.png")):
        data = path.read_bytes()
        key = cache / (hashlib.sha256(data).hexdigest()[:32] + f"-{PALETTE_COLOURS}-v{IMAGE_ENCODING}.webp")
        if key.is_file():
            slim = key.read_bytes()
        else:
            slim = webp_figure(data)
            if slim is None:   # no PNG after all, or a Pillow without WebP: a palette PNG in place
                png = palette_png(data)
                if png != data:
                    path.write_bytes(png)
                continue
            key.write_bytes(slim)
        path.with_suffix(".webp").write_bytes(slim)
        path.unlink()
    renamed = {p.stem for p in images.glob("*.webp") if not p.with_suffix(".png").exists()}

    def webp(match: re.Match) -> str:
        return f"{match.group(1)}{match.group(2)}.webp" if match.group(2) in renamed else match.group(0)

    for page in _site_pages(outdir):
        text = page.read_text(encoding="utf-8")
        new = _IMAGE_REF.sub(webp, text)
        if new != text:
            page.write_text(new, encoding="utf-8")


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


def slim_notebook(text: str, max_width: int = NOTEBOOK_FIGURE_WIDTH, colours: int = NOTEBOOK_COLOURS) -> str:
    """The notebook ``text`` with every PNG output re-encoded by :func:`palette_png` at
    ``max_width`` px and ``colours`` colours (with a ramp of :data:`NOTEBOOK_GREYS` greys),
    written as compact JSON (Jupyter reads it as any notebook, and indents it when it saves it)."""
    nb = json.loads(text)
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            png = data.get("image/png")
            if png:
                raw = base64.b64decode("".join(png) if isinstance(png, list) else png)
                slim = palette_png(raw, max_width, colours, NOTEBOOK_GREYS)
                data["image/png"] = base64.b64encode(slim).decode("ascii")
                output.get("metadata", {}).pop("image/png", None)  # sizes of the old picture
    return json.dumps(nb, ensure_ascii=False, separators=(",", ":")) + "\n"


def _copy_notebooks(app: Sphinx) -> None:
    outdir = Path(app.outdir)
    # a download written by an older encoding is written again even if its notebook is unchanged
    stamp = outdir.parent / ".sdmbook-image-cache" / f"notebooks-v{IMAGE_ENCODING}"
    current = stamp.is_file()
    for docname in sorted(app.env.found_docs):
        source = _executed_notebook(app, docname)
        if not _is_notebook(app, docname):
            continue
        if not source.is_file():
            logger.warning(f"sdmbook_site: no executed notebook for {docname} ({source})",
                           type="sdmbook", subtype="download")
            continue
        target = outdir / f"{docname}.ipynb"
        if current and target.is_file() and target.stat().st_mtime >= source.stat().st_mtime:
            continue  # already written from this version of the executed notebook
        target.parent.mkdir(parents=True, exist_ok=True)
        text = _with_cached_outputs(app, source.read_text(encoding="utf-8"))
        target.write_text(slim_notebook(text), encoding="utf-8")
    stamp.parent.mkdir(exist_ok=True)
    stamp.touch()


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
            if path.is_file() and (rel in MATHJAX_NEVER_FETCHED
                                   or not any(rel == k or rel.startswith(k) for k in MATHJAX_KEEP)):
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    for path in list(static.rglob("*.map")) + list(static.rglob("*.ttf")):
        path.unlink()
    for catalogue in ("locales",):
        shutil.rmtree(static / catalogue, ignore_errors=True)
    for name in THEME_TEMPLATES:
        (static / name).unlink(missing_ok=True)
    _remove_unused_theme_images(outdir)
    fontawesome = static / "scripts" / "fontawesome.js"
    if fontawesome.is_file():
        fontawesome.write_text(FONTAWESOME_STUB, encoding="utf-8")


def _remove_unused_theme_images(outdir: Path) -> None:
    """Delete the theme's ``_static/images`` (launch-button logos) that no page, style sheet or
    script names: the book configures no launch buttons."""
    images = outdir / "_static" / "images"
    if not images.is_dir():
        return
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in _site_pages(outdir)]
    texts += [p.read_text(encoding="utf-8", errors="replace") for p in (outdir / "_static").rglob("*")
              if p.is_file() and p.suffix in (".css", ".js")]
    for path in images.glob("*"):
        if path.is_file() and not any(path.name in text for text in texts):
            path.unlink()


#: Pygments token classes that the book's highlighting style draws in the code block's own colour
#: (names, punctuation, whitespace: about half of all tokens, 1 MB of ``<span class="n">``
#: markup over the site). Their spans are dropped when ``pygments.css`` confirms the colours
#: (:func:`_plain_token_classes`); the block is marked ``PLAIN_TOKENS_CLASS`` and
#: ``sdmbook.css`` gives its text the block's colour, so every token keeps its colour.
PLAIN_TOKENS = ("n", "p", "w")
PLAIN_TOKENS_CLASS = "sdmbook-plain-tokens"
_HIGHLIGHT_PRE = re.compile(r'(<div class="highlight"><pre)(>)(.*?)(</pre>)', re.S)
_SPAN_TAG = re.compile(r"(<span[^>]*>|</span>)")


def _plain_token_classes(css: str) -> tuple[str, ...]:
    """Those of :data:`PLAIN_TOKENS` whose only style, in every theme of ``css`` (pygments.css),
    is the colour of the ``.highlight`` block itself."""
    themes = set(re.findall(r'html\[data-theme="(\w+)"\] \.highlight \{', css)) or {""}
    plain = []
    for token in PLAIN_TOKENS:
        ok = True
        for theme in themes:
            prefix = rf'html\[data-theme="{theme}"\] ' if theme else ""
            block = re.search(prefix + r"\.highlight \{[^}]*?color: *(#[0-9A-Fa-f]{3,8})", css)
            rule = re.findall(prefix + rf"\.highlight \.{token} \{{([^}}]*)\}}", css)
            if not (block and len(rule) == 1 and re.fullmatch(rf"\s*color: *{block.group(1)}\s*;?\s*",
                                                              rule[0], re.I)):
                ok = False
        if ok:
            plain.append(token)
    return tuple(plain)


def strip_plain_tokens(html: str, tokens: tuple[str, ...] = PLAIN_TOKENS) -> str:
    """``html`` with the spans of the Pygments classes ``tokens`` removed from its code blocks.

    Only blocks whose text outside spans is whitespace are touched (so that no text changes
    colour), and each touched ``<pre>`` gets the class :data:`PLAIN_TOKENS_CLASS`. Running it
    again changes nothing.

    Examples
    --------
    >>> block = ('<div class="highlight"><pre><span class="n">x</span> <span class="o">=</span> '
    ...          '<span class="n">f</span><span class="p">(</span><span class="p">)</span></pre></div>')
    >>> strip_plain_tokens(block)
    '<div class="highlight"><pre class="sdmbook-plain-tokens">x <span class="o">=</span> f()</pre></div>'
    >>> strip_plain_tokens(strip_plain_tokens(block)) == strip_plain_tokens(block)
    True
    """
    if not tokens:
        return html
    plain = re.compile(r'<span class="(?:' + "|".join(map(re.escape, tokens)) + r')">([^<]*)</span>')

    def block(match: re.Match) -> str:
        body, depth = match.group(3), 0
        for piece in _SPAN_TAG.split(body):
            if piece.startswith("<span"):
                depth += 1
            elif piece == "</span>":
                depth -= 1
            elif depth == 0 and piece.strip():
                return match.group(0)   # plain text of another colour: leave the block alone
        stripped = plain.sub(r"\1", body)
        if stripped == body:
            return match.group(0)
        return f'{match.group(1)} class="{PLAIN_TOKENS_CLASS}"{match.group(2)}{stripped}{match.group(4)}'

    return _HIGHLIGHT_PRE.sub(block, html)


def _slim_pages(outdir: Path) -> None:
    """Drop the markup of plain tokens from every page's code blocks (:func:`strip_plain_tokens`)."""
    css = outdir / "_static" / "pygments.css"
    tokens = _plain_token_classes(css.read_text(encoding="utf-8")) if css.is_file() else ()
    if not tokens:
        return
    for page in _site_pages(outdir):
        text = page.read_text(encoding="utf-8")
        new = strip_plain_tokens(text, tokens)
        if new != text:
            page.write_text(new, encoding="utf-8")


def _build_finished(app: Sphinx, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    _copy_notebooks(app)
    _remove_stale_images(outdir)
    _slim_images(outdir)
    _slim_pages(outdir)
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
