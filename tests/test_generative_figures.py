"""The chapter-10 figures (plotly specs, validated) carry the data they are given."""

from __future__ import annotations

import base64
import io

import numpy as np
import torch
from PIL import Image
from spec_check import validated

from dlplay.lessons.generative import figures, figures_gan
from dlplay.lessons.generative.figures import png_uri
from dlplay.lessons.generative.figures_gan import arrow_segments

images_figure, latent_scatter_figure, manifold_figure, kl_bars_figure, curve_figure = map(validated, (
    figures.images_figure, figures.latent_scatter_figure, figures.manifold_figure, figures.kl_bars_figure,
    figures.curve_figure))
gan2d_figure, distance_figure, canvas_figure = map(validated, (
    figures_gan.gan2d_figure, figures_gan.distance_figure, figures_gan.canvas_figure))


def decode_png(uri: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))


def test_png_uri_round_trips_a_gray_image():
    image = torch.linspace(0, 1, 28 * 28).reshape(28, 28)
    np.testing.assert_array_equal(decode_png(png_uri(image)), (image * 255).round().byte().numpy())


def test_images_figure_lays_images_out_in_a_grid_with_labels():
    images = torch.zeros(5, 784)
    images[2] = 1.0
    fig = images_figure(images, ncols=3, labels=list("abcde"))
    grid = decode_png(fig.data[0].source)
    pad = 28 // 3  # room above each image for its label
    assert grid.shape == (pad + 2 * (28 + pad), pad + 3 * (28 + pad))
    assert grid[pad : pad + 28, pad + 2 * (28 + pad) :][:, :28].min() == 255  # the third image is white
    assert grid[pad : pad + 28, pad : pad + 28].max() == 0  # the first black
    assert [a.text for a in fig.layout.annotations] == list("abcde")


def test_curves_show_the_steps_and_the_test_measurements():
    fig = curve_figure([5.0, 4.0, 3.0], [3], [2.5], "Reconstruction", "#1f77b4")
    assert [list(t.y) for t in fig.data] == [[5.0, 4.0, 3.0], [2.5]] and fig.layout.title.text == "Reconstruction"
    recon, kl = figures.vae_loss_figures({"recon": [1.0], "kl": [0.5]}, [1], {"test_recon": [0.9], "test_kl": [0.4]}, 2.0)
    assert "β = 2" in kl["layout"]["title"]["text"] and list(kl["data"][1]["y"]) == [0.4]


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
    fig = manifold_figure(mosaic, (3.0, 2.0), picked=(1.0, 1.0))
    image = fig.data[0]
    assert (image.x0, image.y0) == (-3.0, -2.0)
    assert image.dx * 56 == 6.0 and image.dy * 56 == 4.0
    drawn = decode_png(image.source)
    assert drawn[-1].min() == 255 and drawn[0].max() == 0  # flipped: the last row drawn (top of the axis) is white
    assert fig.data[1].x == (1.0,) and list(fig.layout.yaxis.range) == [-2.0, 2.0]


def test_kl_bars_grey_out_unused_dimensions():
    bars = kl_bars_figure(np.array([0.5, 0.001]), 0.01)
    assert list(bars.data[0].y) == [0.5, 0.001] and bars.data[0].marker.color[1] == "#bbbbbb"
    assert bars.layout.shapes[0].y0 == 0.01


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
    fig = gan2d_figure(axis, field, real, fake, pull=np.ones((2, 2)), modes=np.zeros((1, 2)), title="Round 3")
    assert [t.type for t in fig.data] == ["heatmap", "scatter", "scatter", "scatter", "scatter"]
    assert [t.name for t in fig.data[1:]] == ["real", "G's gradient", "generated", "modes"]
    assert fig.layout.uirevision == "keep" and fig.layout.yaxis.scaleanchor == "x" and fig.layout.title.text == "Round 3"
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), field)
    bare = gan2d_figure(axis, None, real, fake)
    assert [t.name for t in bare.data] == ["real", "generated"]


def test_gan_curves_distance_and_canvas():
    losses, verdict = figures_gan.gan_curves_figures(
        {"d_loss": [1.0, 0.9], "g_loss": [0.7, 0.8], "d_real": [0.6, 0.7], "d_fake": [0.4, 0.3]}, "minimax")
    assert [t["name"] for t in losses["data"]] == ["D loss", "G loss"]
    assert [t["name"] for t in verdict["data"]] == ["D(real)", "D(G(z))"]
    distance = distance_figure([25, 50], [0.9, 0.5], [2.0, 8.0], 8)
    assert list(distance.data[0].y) == [0.9, 0.5] and list(distance.data[1].y) == [2.0, 8.0]
    assert distance.data[1].yaxis == "y2" and distance.layout.yaxis2.range == (0, 8.3)
    canvas = canvas_figure(np.zeros((4, 2)), np.array([[0.1, 0.2]]))
    assert len(canvas.data) == 2 and canvas.layout.clickmode == "event+select"
    assert len(canvas_figure(np.zeros((4, 2)), np.zeros((0, 2))).data) == 1
