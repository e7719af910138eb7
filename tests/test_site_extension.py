"""The site extension's image and notebook re-encoding (book/_ext/sdmbook_site.py), without a build."""

from __future__ import annotations

import base64
import io
import json
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
