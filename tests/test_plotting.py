"""The headline figure shows what it says: SDM weights and the fitted softmax."""

import matplotlib

matplotlib.use("Agg")

import numpy as np

from sdmlib.__main__ import main
from sdmlib.beta import fit_beta, sdm_weights, softmax_weights
from sdmlib.hamming import hamming_to_cosine
from sdmlib.plotting import attention_vs_sdm_figure, radius_color


def test_headline_figure_plots_sdm_weights_and_softmax():
    n, radii = 32, (4, 9)
    fig = attention_vs_sdm_figure(n=n, radii=radii)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 2 * len(radii)
    x = hamming_to_cosine(np.arange(n + 1), n)
    for k, d in enumerate(radii):
        points, curve = lines[2 * k], lines[2 * k + 1]
        assert np.allclose(points.get_ydata(), sdm_weights(n, d, x))
        assert np.allclose(curve.get_ydata(), softmax_weights(fit_beta(n, d, estimator="as-published").beta, x))
        assert points.get_color() == radius_color(d)
        # both are normalised weights
        assert np.isclose(np.sum(points.get_ydata()), 1.0)


def test_figure_command_writes_png(tmp_path, capsys):
    out = tmp_path / "fig.png"
    assert main(["figure", "--out", str(out), "--n", "32"]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "wrote" in capsys.readouterr().out


def test_glue_figure_fails_on_a_figure_that_cannot_be_drawn():
    """A label with broken mathtext must fail the cell, not reach the page as "<Figure ...>" text."""
    import pytest

    from sdmlib.plotting import figure, glue_figure

    fig, ax = figure()
    ax.plot([0, 1], [0, 1], label=r"$\frac12$ broken \frac{")
    ax.set_title(r"$\frac{1}{$")
    with pytest.raises(ValueError):
        glue_figure("fig-broken", fig)


def _data_pixels_under_legend(n: int) -> tuple[int, str]:
    """(pixels of plotted data inside the legend box, where the legend is) of the headline figure.

    Independent of the placement code: the figure is rasterised once with its legend (for the
    box) and once with the legend and the grid hidden, and every pixel of the box that is not the
    white background is data drawn there.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from sdmlib.cli.figure import default_radii

    fig = attention_vs_sdm_figure(n=n, radii=default_radii(n))
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    ax = fig.axes[0]
    legend = ax.get_legend() or fig.legends[0]
    box = legend.get_window_extent()
    where = "below" if legend in fig.legends else legend._loc
    legend.set_visible(False)
    ax.grid(False)
    canvas.draw()
    pixels = np.asarray(canvas.buffer_rgba())[..., :3]
    height = pixels.shape[0]
    # display y runs upwards, image rows downwards; one pixel inside the box's edge
    rows = slice(int(np.ceil(height - box.y1)) + 1, int(np.floor(height - box.y0)) - 1)
    cols = slice(int(np.ceil(box.x0)) + 1, int(np.floor(box.x1)) - 1)
    inside = pixels[rows, cols]
    return int((inside < 250).any(axis=2).sum()), where


def test_headline_legend_covers_no_data():
    """At n = 10 the weights fill the upper left (where the legend sat for n = 64): it must move."""
    for n in (10, 64, 256):
        covered, where = _data_pixels_under_legend(n)
        assert covered == 0, f"n = {n}: the legend ({where}) covers {covered} pixels of data"
