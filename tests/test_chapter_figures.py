"""Figures reach an executed notebook (``make chapter``) even where ``MPLBACKEND=Agg`` reached the kernel.

The first version of the book showed no figure at all: the Makefile exported
``MPLBACKEND=Agg``, the kernel inherited it and figures produced no image output. This test
executes a small chapter the way ``make chapter`` does, under ``MPLBACKEND=Agg``, and
asserts that the glued figure is in the notebook as a PNG of the policy's resolution.
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CHAPTER = '''---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
# A figure

```{code-cell} ipython3
:tags: [hide-input, remove-output]
from sdmlib.plotting import apply_style, figure, glue_figure
apply_style()
fig, ax = figure()
ax.plot([0, 1, 2], [0, 1, 4], marker="o")
glue_figure("fig-test-line", fig)
```
'''


def test_make_chapter_shows_figures_under_agg(tmp_path):
    jupytext = Path(sys.executable).with_name("jupytext")
    if not jupytext.exists():
        jupytext = shutil.which("jupytext")
    if not jupytext:
        pytest.skip("jupytext is not installed (the test extra)")
    src = tmp_path / "chapter.md"
    src.write_text(CHAPTER, encoding="utf-8")
    out = tmp_path / "chapter.ipynb"
    env = dict(os.environ, MPLBACKEND="Agg")
    run = subprocess.run([str(jupytext), "--execute", "--run-path", str(tmp_path), "--to", "ipynb",
                          "-o", str(out), str(src)], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    outputs = [o for cell in json.loads(out.read_text())["cells"] for o in cell.get("outputs", [])]
    pngs = [o["data"]["image/png"] for o in outputs if "image/png" in o.get("data", {})]
    assert pngs, f"no image output; outputs were {[sorted(o.get('data', {})) for o in outputs]}"
    from PIL import Image

    from sdmlib.plotting import FIGURE_WIDTH, PNG_DPI

    with Image.open(io.BytesIO(base64.b64decode(pngs[0]))) as im:
        # bbox_inches="tight" trims the margins: within 15 % of the policy width
        assert abs(im.width - FIGURE_WIDTH * PNG_DPI) < 0.15 * FIGURE_WIDTH * PNG_DPI, im.size


def test_glue_figure_refuses_a_kernel_that_would_show_text(tmp_path):
    """Without apply_style (no PNG formatter under Agg) the figure cell fails instead of pasting text."""
    jupytext = Path(sys.executable).with_name("jupytext")
    if not jupytext.exists():
        pytest.skip("jupytext is not installed (the test extra)")
    src = tmp_path / "chapter.md"
    src.write_text(CHAPTER.replace("apply_style()\n", ""), encoding="utf-8")
    env = dict(os.environ, MPLBACKEND="Agg")
    run = subprocess.run([str(jupytext), "--execute", "--to", "ipynb", "-o", str(tmp_path / "c.ipynb"), str(src)],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode != 0
    assert "would reach the book as text" in run.stdout + run.stderr
