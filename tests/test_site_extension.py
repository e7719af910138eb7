"""The site extension's image and notebook re-encoding (book/_ext/sdmbook_site.py), without a build."""

from __future__ import annotations

import base64
import io
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import sdmbook_site as site  # noqa: E402

Image = pytest.importorskip("PIL.Image")


def _figure_png(dpi: int = 150) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from sdmlib.plotting import ALGORITHM_STYLES, apply_style, figure

    apply_style()
    fig, ax = figure()
    x = np.linspace(0, 1, 40)
    for i, (name, style) in enumerate(list(ALGORITHM_STYLES.items())[:5]):
        ax.plot(x, x ** (i + 1), label=name, **style)
    ax.legend()
    ax.set_title("a figure with text, markers and five colours")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"), dtype=np.int16)


def test_palette_png_is_smaller_and_looks_the_same():
    original = _figure_png()
    slim = site.palette_png(original)
    assert len(slim) < 0.6 * len(original), (len(slim), len(original))
    a, b = _pixels(original), _pixels(slim)
    assert a.shape == b.shape
    diff = np.abs(a - b).max(axis=2)
    # every pixel within a small colour step of the original, nearly all within 8 levels of 255
    assert diff.max() <= 48, diff.max()
    assert (diff <= 8).mean() > 0.98  # measured 0.989: the pixels that move are antialiased edges


def test_palette_png_keeps_a_light_band():
    # A faint band (240 on a white 255) among many small antialiasing colours: fast octree
    # quantisation maps band and background to one grey (247), maximum coverage paints the band
    # purple; either erased the light bands and ribbons of the site's figures. The guard must
    # keep every large area's colour (here by keeping the full colours).
    rng = np.random.default_rng(0)
    a = np.full((400, 600, 3), 255, np.uint8)
    a[100:300] = 240
    for _ in range(2000):
        y, x = rng.integers(0, 400), rng.integers(0, 600)
        a[y:y + 2, x:x + 2] = rng.integers(0, 256, 3)
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, "PNG")
    b = _pixels(site.palette_png(buf.getvalue()))
    for y, x in ((200, 5), (5, 5)):   # band and background, away from the patches' mean
        assert np.abs(b[y, x] - a[y, x]).max() <= site.PALETTE_FLAT_ERROR, (y, x, b[y, x])
    assert np.abs(b - a.astype(np.int16)).max() <= site.PALETTE_MAX_ERROR


def test_palette_png_narrows_and_keeps_the_aspect_ratio():
    original = _figure_png()
    width, height = Image.open(io.BytesIO(original)).size
    slim = Image.open(io.BytesIO(site.palette_png(original, max_width=300)))
    assert slim.width == 300 and abs(slim.height - height * 300 / width) <= 1


def test_palette_png_leaves_other_data_alone():
    assert site.palette_png(b"not an image") == b"not an image"
    slim = site.palette_png(_figure_png())
    assert site.palette_png(slim) is slim or site.palette_png(slim) == slim  # already a palette PNG


def test_slim_notebook_keeps_every_output():
    import nbformat

    png = base64.b64encode(_figure_png()).decode("ascii")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("print(1)", outputs=[nbformat.v4.new_output("stream", text="1\n")]),
        nbformat.v4.new_code_cell("fig", outputs=[nbformat.v4.new_output(
            "display_data", data={"image/png": png, "text/plain": "<Figure>"},
            metadata={"image/png": {"width": 1560, "height": 900}})]),
    ]
    slim = nbformat.reads(site.slim_notebook(nbformat.writes(nb)), as_version=4)
    nbformat.validate(slim)
    assert [len(c.outputs) for c in slim.cells] == [1, 1]
    assert slim.cells[0].outputs[0].text == "1\n"
    out = slim.cells[1].outputs[0]
    assert out.data["text/plain"] == "<Figure>"
    picture = Image.open(io.BytesIO(base64.b64decode(out.data["image/png"])))
    assert picture.width == site.NOTEBOOK_FIGURE_WIDTH
    assert "image/png" not in out.metadata  # the old picture's sizes would distort the new one
    assert len(json.dumps(slim)) < len(nbformat.writes(nb))


def test_first_sentence_of_a_caption():
    assert site._first_sentence("One. Two. Three.") == "One."
    assert site._first_sentence("Weights vs. softmax, e.g. at d = 5. More (here).") == "Weights vs. softmax, e.g. at d = 5."
    assert site._first_sentence("No full stop at all") == "No full stop at all"
    long = "word " * 100
    assert len(site._first_sentence(long)) <= 242


def _band_figure() -> tuple[bytes, np.ndarray]:
    """A matplotlib figure with a faint band (alpha 0.12 grey, 240 on 255) and a ribbon."""
    import matplotlib

    matplotlib.use("Agg")
    from sdmlib.plotting import OKABE_ITO, apply_style, figure

    apply_style()
    fig, ax = figure()
    x = np.linspace(0, 1, 60)
    ax.axhspan(0.3, 0.6, color=OKABE_ITO["grey"], alpha=0.12, lw=0)
    ax.fill_between(x, x ** 2 - 0.1, x ** 2 + 0.1, color=OKABE_ITO["blue"], alpha=0.15, lw=0)
    ax.plot(x, x ** 2, color=OKABE_ITO["blue"], marker="o", markevery=6, label="x²")
    ax.legend()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150)
    return buf.getvalue(), _pixels(buf.getvalue())


def test_webp_figure_draws_exactly_the_palette_picture():
    """The site's WebP holds the palette PNG's pixels (lossless), in fewer bytes."""
    original, pixels = _band_figure()
    palette = site.palette_png(original)
    webp = site.webp_figure(original)
    with Image.open(io.BytesIO(webp)) as im:
        assert im.format == "WEBP"
    assert (_pixels(webp) == _pixels(palette)).all()
    assert len(webp) < len(palette) < len(original)
    # the band, the ribbon and the background keep their exact colours
    assert np.abs(_pixels(webp) - pixels).max() <= site.PALETTE_MAX_ERROR
    values, counts = np.unique(pixels.reshape(-1, 3), axis=0, return_counts=True)
    large = values[counts >= site.PALETTE_FLAT_SHARE * len(pixels.reshape(-1, 3))]
    assert len(large) >= 3   # background, band, ribbon
    got = {tuple(c) for c in _pixels(webp).reshape(-1, 3)}
    assert all(tuple(c) in got for c in large)
    assert site.webp_figure(b"not an image") is None


def test_notebook_previews_keep_their_large_areas_with_fewer_colours():
    import nbformat

    original, _ = _band_figure()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("fig", outputs=[nbformat.v4.new_output(
        "display_data", data={"image/png": base64.b64encode(original).decode("ascii"), "text/plain": "<Figure>"})])]
    slim = json.loads(site.slim_notebook(nbformat.writes(nb)))
    preview = base64.b64decode(slim["cells"][0]["outputs"][0]["data"]["image/png"])
    with Image.open(io.BytesIO(preview)) as im:
        assert im.mode == "P" and im.width == site.NOTEBOOK_FIGURE_WIDTH
        assert len(im.getcolors(256)) <= site.NOTEBOOK_COLOURS
    # the resized picture's large areas (background, band, ribbon) are exact in the preview
    with Image.open(io.BytesIO(original)) as im:
        im = im.convert("RGB")
        width = site.NOTEBOOK_FIGURE_WIDTH
        resized = np.asarray(im.resize((width, round(im.height * width / im.width)), Image.LANCZOS), dtype=np.int16)
    values, counts = np.unique(resized.reshape(-1, 3), axis=0, return_counts=True)
    large = values[counts >= site.PALETTE_FLAT_SHARE * len(resized.reshape(-1, 3))]
    got = _pixels(preview)
    for colour in large:
        where = (resized == colour).all(axis=2)
        assert (got[where] == colour).all(), colour
    # grey pixels (antialiased text, grid) stay grey: without the grey ramp the nearest of 64
    # entries tinted them (11 levels here, 37 on a figure of the book: pink grid lines)
    grey = (resized.max(axis=2) - resized.min(axis=2)) <= 4
    tint = (got.max(axis=2) - got.min(axis=2))[grey]
    assert tint.max() <= 6, tint.max()


def _fake_site(tmp_path: Path) -> Path:
    out = tmp_path / "html"
    (out / "_images").mkdir(parents=True)
    (out / "book").mkdir()
    original, _ = _band_figure()
    (out / "_images" / "fig1.png").write_bytes(original)
    (out / "_images" / "stale.png").write_bytes(original)
    (out / "book" / "page.html").write_text(
        '<figure id="f"><img alt="a" src="../_images/fig1.png" /></figure>', encoding="utf-8")
    return out


def test_slim_images_writes_webp_and_points_the_pages_at_it(tmp_path):
    out = _fake_site(tmp_path)
    site._remove_stale_images(out)
    assert not (out / "_images" / "stale.png").exists()
    site._slim_images(out)
    assert sorted(p.name for p in (out / "_images").iterdir()) == ["fig1.webp"]
    assert 'src="../_images/fig1.webp"' in (out / "book" / "page.html").read_text(encoding="utf-8")
    # an incremental build: Sphinx copies the PNG again and rewrites another page with the old name
    original, _ = _band_figure()
    (out / "_images" / "fig1.png").write_bytes(original)
    (out / "book" / "other.html").write_text('<img alt="b" src="../_images/fig1.png" />', encoding="utf-8")
    site._remove_stale_images(out)
    site._slim_images(out)                     # from the cache this time
    assert sorted(p.name for p in (out / "_images").iterdir()) == ["fig1.webp"]
    for page in ("page.html", "other.html"):
        assert "fig1.webp" in (out / "book" / page).read_text(encoding="utf-8")
    assert any(tmp_path.joinpath(".sdmbook-image-cache").glob(f"*-v{site.IMAGE_ENCODING}.webp"))


_PYGMENTS_CSS = """
html[data-theme="light"] .highlight { background: #fefefe; color: #080808 }
html[data-theme="light"] .highlight .n { color: #080808 }
html[data-theme="light"] .highlight .o { color: #00622F }
html[data-theme="light"] .highlight .p { color: #080808 }
html[data-theme="light"] .highlight .w { color: #080808 }
html[data-theme="dark"] .highlight { background: #2b2b2b; color: #F8F8F2 }
html[data-theme="dark"] .highlight .n { color: #F8F8F2 }
html[data-theme="dark"] .highlight .o { color: #ABE338 }
html[data-theme="dark"] .highlight .p { color: #FF0000 }
html[data-theme="dark"] .highlight .w { color: #F8F8F2; font-weight: bold }
"""


def test_plain_tokens_are_those_drawn_in_the_block_colour_in_every_theme():
    # p has another colour in the dark theme, w another style: only n is plain
    assert site._plain_token_classes(_PYGMENTS_CSS) == ("n",)
    same = _PYGMENTS_CSS.replace("#FF0000", "#F8F8F2").replace("; font-weight: bold", "")
    assert site._plain_token_classes(same) == ("n", "p", "w")


def test_strip_plain_tokens_keeps_the_text_and_the_other_tokens():
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self):
            super().__init__()
            self.text = []

        def handle_data(self, data):
            self.text.append(data)

    code = ('<div class="highlight"><pre><span></span><span class="n">np</span><span class="o">.</span>'
            '<span class="n">sum</span><span class="p">(</span><span class="n">x</span><span class="p">)</span>'
            '<span class="w">  </span><span class="c1"># total</span>\n</pre></div>')
    output = '<div class="highlight"><pre>printed (n) text</pre></div>'
    mixed = '<div class="highlight"><pre>plain <span class="n">x</span></pre></div>'
    html = "<p>keep <span class=\"n\">this</span></p>" + code + output + mixed
    slim = site.strip_plain_tokens(html)
    texts = []
    for doc in (html, slim):
        parser = Text()
        parser.feed(doc)
        texts.append("".join(parser.text))
    assert texts[0] == texts[1]                        # the same characters, in the same order
    assert slim.count('class="o"') == 1 and slim.count('class="c1"') == 1
    assert 'class="n">np' not in slim and f'<pre class="{site.PLAIN_TOKENS_CLASS}">' in slim
    assert output in slim and mixed in slim            # blocks with bare text keep their spans
    assert '<p>keep <span class="n">this</span></p>' in slim   # outside code blocks: untouched
    assert site.strip_plain_tokens(slim) == slim


def test_the_site_css_gives_marked_blocks_the_block_colour():
    css = (ROOT / "book" / "_static" / "sdmbook.css").read_text(encoding="utf-8")
    assert re.search(rf"\.highlight pre\.{site.PLAIN_TOKENS_CLASS}\s*\{{\s*color:\s*inherit;?\s*\}}", css)


def test_prune_static_keeps_what_mathjax_can_fetch(tmp_path):
    out = tmp_path / "html"
    ext = out / "_static" / "mathjax" / "input" / "tex" / "extensions"
    ext.mkdir(parents=True)
    for name in ("all-packages", "ams", "newcommand", "mathtools", "cancel", "physics"):
        (ext / f"{name}.js").write_text("//", encoding="utf-8")
    (out / "_static" / "mathjax" / "tex-chtml.js").write_text("//", encoding="utf-8")
    (out / "_static" / "mathjax" / "tex-svg.js").write_text("//", encoding="utf-8")
    (out / "_static" / "webpack-macros.html").write_text("{% macro %}", encoding="utf-8")
    (out / "_static" / "images").mkdir()
    for name in ("logo_binder.svg", "logo_used.svg"):
        (out / "_static" / "images" / name).write_text("<svg/>", encoding="utf-8")
    (out / "page.html").write_text('<img src="_static/images/logo_used.svg">', encoding="utf-8")
    site._prune_static(out)
    left = sorted(p.relative_to(out / "_static").as_posix() for p in (out / "_static").rglob("*") if p.is_file())
    assert left == ["images/logo_used.svg", "mathjax/input/tex/extensions/cancel.js",
                    "mathjax/input/tex/extensions/mathtools.js", "mathjax/input/tex/extensions/physics.js",
                    "mathjax/tex-chtml.js"]


@pytest.mark.parametrize("kwargs, name", [(dict(colours=8), "colours"), (dict(colours=300), "colours"),
                                          (dict(colours=64, greys=17), "greys"), (dict(max_width=0), "max_width"),
                                          (dict(colours=64.0), "colours")])
def test_bad_encoding_parameters_raise(kwargs, name):
    original, _ = _band_figure()
    with pytest.raises(ValueError, match=name):
        site.palette_png(original, **kwargs)
    if set(kwargs) == {"colours"}:
        with pytest.raises(ValueError, match=name):
            site.webp_figure(original, **kwargs)


def test_slim_images_falls_back_to_a_palette_png_without_webp(tmp_path, monkeypatch):
    """A Pillow built without WebP: the figures stay PNG (palette) and the pages keep their names."""
    out = _fake_site(tmp_path)
    monkeypatch.setattr(site, "webp_figure", lambda data, colours=site.PALETTE_COLOURS: None)
    site._remove_stale_images(out)
    site._slim_images(out)
    assert sorted(p.name for p in (out / "_images").iterdir()) == ["fig1.png"]
    with Image.open(out / "_images" / "fig1.png") as im:
        assert im.mode == "P"
    assert 'src="../_images/fig1.png"' in (out / "book" / "page.html").read_text(encoding="utf-8")
