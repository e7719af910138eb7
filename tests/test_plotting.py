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
