"""The chapter-10 figures carry the data they are given."""

from __future__ import annotations

import base64
import io

import numpy as np
import torch
from PIL import Image

from dlplay.lessons.generative.figures import (
    images_figure,
    kl_bars_figure,
    latent_scatter_figure,
    manifold_figure,
    png_uri,
    vae_loss_figure,
)
from dlplay.lessons.generative.figures_gan import (
    arrow_segments,
    canvas_figure,
    distance_figure,
    gan2d_figure,
    gan_curves_figure,
)


def decode_png(uri: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))


def test_png_uri_round_trips_a_gray_image():
    image = torch.linspace(0, 1, 28 * 28).reshape(28, 28)
    np.testing.assert_array_equal(decode_png(png_uri(image)), (image.numpy() * 255).astype(np.uint8))


def test_images_figure_lays_images_out_in_a_grid_with_labels():
    images = torch.zeros(5, 784)
    images[2] = 1.0
    fig = images_figure(images, ncols=3, labels=list("abcde"))
    grid = decode_png(fig.data[0].source)
    assert grid.shape == (2 + 2 * 30, 2 + 3 * 30)  # make_grid: 2 rows × 3 columns of 28 px, 2 px padding
    assert grid[2:30, 62:90].min() == 255 and grid[2:30, 2:30].max() == 0  # the third image is white, the first black
    assert [a.text for a in fig.layout.annotations] == list("abcde")
    assert images_figure(torch.zeros(0, 784)).layout.annotations[0].text == "no images"


def test_latent_scatter_has_a_trace_per_class_and_test_indices():
    ab = np.arange(20, dtype=float).reshape(10, 2)
    labels = np.array([0, 1, 0, 2, 1, 0, 2, 2, 1, 0])
    fig = latent_scatter_figure(ab, labels, ("zero", "one", "two"), (3.0, 3.0), picked=(0.5, -0.5))
    by_name = {t.name: t for t in fig.data}
    assert list(by_name["zero"].customdata) == [0, 2, 5, 9]
    np.testing.assert_array_equal(by_name["two"].x, ab[[3, 6, 7], 0])
    assert by_name["picked point"].x == (0.5,) and fig.layout.xaxis.title.text == "z₁"
    projected = latent_scatter_figure(ab, labels, ("zero", "one", "two"), (3.0, 3.0), projected=True)
    assert projected.layout.xaxis.title.text == "principal axis 1"


def test_manifold_sits_on_the_latent_axes_top_row_up():
    mosaic = torch.zeros(56, 56)
    mosaic[:28] = 1.0  # the top row of tiles is white
    fig = manifold_figure(mosaic, (3.0, 2.0))
    image = fig.data[0]
    assert (image.x0, image.y0) == (-3.0, -2.0)
    assert image.dx * 56 == 6.0 and image.dy * 56 == 4.0
    drawn = decode_png(image.source)
    assert drawn[-1].min() == 255 and drawn[0].max() == 0  # flipped: the last row drawn (top of the axis) is white


def test_loss_and_kl_figures():
    series = {"recon": [5.0, 4.0, 3.0], "kl": [0.1, 0.2, 0.3]}
    fig = vae_loss_figure(series, [3], {"test_recon": [2.5], "test_kl": [0.25]}, beta=2.0)
    assert [list(t.y) for t in fig.data] == [[5.0, 4.0, 3.0], [2.5], [0.1, 0.2, 0.3], [0.25]]
    assert "β = 2" in fig.layout.annotations[1].text
    bars = kl_bars_figure(np.array([0.5, 0.001]), 0.01)
    assert list(bars.data[0].y) == [0.5, 0.001] and bars.data[0].marker.color[1] == "#bbbbbb"


def test_arrows_are_scaled_segments_with_heads_at_the_tips():
    x, y, sizes = arrow_segments(np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([[2.0, 0.0], [0.0, -1.0]]), longest=0.5)
    np.testing.assert_allclose(x[:2], [0.0, 0.5])
    np.testing.assert_allclose(y[3:5], [1.0, 0.75])
    assert np.isnan(x[2]) and np.isnan(y[5])  # gaps between arrows
    assert list(sizes[[0, 1, 3, 4]]) == [0, 9, 0, 9]


def test_gan2d_figure_layers_field_points_arrows_and_modes():
    axis = np.linspace(-1.2, 1.2, 4)
    field = np.full((4, 4), 0.5)
    real, fake = np.zeros((3, 2)), np.ones((2, 2)) * 0.5
    fig = gan2d_figure(axis, field, real, fake, pull=np.ones((2, 2)), modes=np.zeros((1, 2)))
    assert [t.type for t in fig.data] == ["heatmap", "scatter", "scatter", "scatter", "scatter"]
    assert [t.name for t in fig.data[1:]] == ["real", "G's gradient", "generated", "modes"]
    assert fig.layout.uirevision == "keep" and fig.layout.yaxis.scaleanchor == "x"
    bare = gan2d_figure(axis, None, real, fake)
    assert [t.name for t in bare.data] == ["real", "generated"]


def test_gan_curves_distance_and_canvas():
    curves = gan_curves_figure({"d_loss": [1.0, 0.9], "g_loss": [0.7, 0.8], "d_real": [0.6, 0.7], "d_fake": [0.4, 0.3]},
                               "minimax")
    assert [t.name for t in curves.data] == ["D loss", "G loss", "D(real)", "D(G(z))"]
    distance = distance_figure([25, 50], [0.9, 0.5], [2.0, 8.0], 8)
    assert list(distance.data[0].y) == [0.9, 0.5] and list(distance.data[1].y) == [2.0, 8.0]
    canvas = canvas_figure(np.zeros((4, 2)), np.array([[0.1, 0.2]]))
    assert len(canvas.data) == 2 and canvas.layout.clickmode == "event+select"
    assert len(canvas_figure(np.zeros((4, 2)), np.zeros((0, 2))).data) == 1
