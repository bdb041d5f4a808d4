"""The chapter's figure specs: valid plotly, and they carry the data they were given."""

import numpy as np
import torch

from dlplay.lessons.cnn.convolution import ConvSettings, window_at
from dlplay.lessons.cnn.figures_conv import feature_map_figure, input_figure, products_figure, shift_figure
from dlplay.lessons.cnn.figures_lab import (
    RDBU,
    VIRIDIS,
    colorize,
    confusion_figure,
    drawing_figure,
    feature_grid_image,
    heat_figure,
    kernel_grid_image,
    picture,
    probability_figure,
    shift_accuracy_figure,
    tile,
)
from tests.spec_check import check


def test_input_figure_pads_the_image_and_marks_every_tap():
    x = np.random.default_rng(0).random((1, 6, 5)).astype(np.float32)
    fig = check(input_figure(x, padding=2, rows=[-2, 0, 2], cols=[1, 3, 5], title="input"))
    z = np.asarray(fig.data[0].z)
    assert z.shape == (10, 9) and z[:2].sum() == 0 and np.allclose(z[2:8, 2:7], x[0])
    assert list(fig.data[1].x) == [3, 5, 7] * 3 and list(fig.data[1].y) == [0] * 3 + [2] * 3 + [4] * 3
    rgb = check(input_figure(np.ones((3, 4, 4), np.float32), 0, [0], [0], "rgb"))
    assert rgb.data[0].type == "image" and np.asarray(rgb.data[0].z).shape == (4, 4, 3)


def test_feature_map_and_products_figures():
    fmap = np.array([[1.0, -2.0], [0.5, 0.0]])
    fig = check(feature_map_figure(fmap, (1, 0), "out"))
    assert fig.data[0].zmin == -2 and fig.data[0].zmax == 2 and fig.layout.shapes[0].x0 == -0.5
    window = window_at(torch.rand(3, 5, 5), torch.randn(3, 3, 3), 4, ConvSettings())
    fig = check(products_figure(window.patch.numpy(), window.kernel.numpy(), window.products.numpy(), ["R", "G", "B"]))
    assert len(fig.data) == 9  # three channels × (patch, kernel slice, products)
    np.testing.assert_allclose(np.asarray(fig.data[5].z), window.products[1].numpy())


def test_shift_figure_draws_each_map_even_an_empty_one():
    fig = check(shift_figure([np.ones((4, 4)), np.zeros((0, 0))], ["a", "b"]))
    assert len(fig.data) == 2 and fig.layout.annotations[1].text == "b"


def test_tile_lays_maps_out_with_gaps():
    grid = tile(np.arange(12, dtype=np.float32).reshape(3, 2, 2), ncols=2)
    assert grid.shape == (5, 5) and np.isnan(grid[2]).all() and grid[3, 0] == 8


def test_kernel_grid_pictures_grey_and_colour():
    weights = np.random.default_rng(0).normal(size=(8, 1, 3, 3))
    grey = kernel_grid_image(weights)
    assert grey.dtype == np.uint8 and grey.shape[2] == 3 and grey.shape[1] % 31 == 0  # 8 kernels of 3 + 7 gaps, enlarged
    factor = grey.shape[1] // 31
    # The largest |weight| of the first kernel is drawn at the end of the diverging scale (dark red or dark blue).
    i, j = np.unravel_index(np.abs(weights[0, 0]).argmax(), (3, 3))
    cell = grey[i * factor, j * factor]
    assert tuple(cell) in {tuple(colorize(np.array([[1.0]]), RDBU, -1, 1)[0, 0]), tuple(colorize(np.array([[-1.0]]), RDBU, -1, 1)[0, 0])}
    assert tuple(grey[0, 3 * factor]) == (255, 255, 255)  # the white gap after the first kernel
    colour = kernel_grid_image(np.random.default_rng(0).normal(size=(4, 3, 5, 5)))
    assert colour.shape[1] % 23 == 0 and colour.dtype == np.uint8


def test_colorize_maps_the_range_and_leaves_gaps_white():
    image = colorize(np.array([[0.0, 0.5, 1.0, np.nan]]), VIRIDIS, 0.0, 1.0)
    assert tuple(image[0, 0]) == tuple(VIRIDIS[0]) and tuple(image[0, 2]) == tuple(VIRIDIS[-1])
    assert tuple(image[0, 3]) == (255, 255, 255)


def test_feature_grid_and_picture():
    maps = np.random.default_rng(0).random((12, 7, 7))
    grid = feature_grid_image(maps, width=100)
    assert grid.shape[2] == 3 and grid.shape[1] >= 39  # 5 columns of 7 + 4 gaps, enlarged
    assert picture(np.ones((1, 4, 4)), width=8).shape == (8, 8, 3)


def test_lab_figures():
    fig = check(confusion_figure(np.eye(3, dtype=int) * 5, ["a", "b", "c"], "confusion"))
    assert np.asarray(fig.data[0].z).trace() == 15
    fig = check(probability_figure(np.array([0.1, 0.7, 0.2]), ["a", "b", "c"]))
    assert fig.data[0].marker.color[1] != fig.data[0].marker.color[0]
    check(heat_figure(np.random.default_rng(0).random((1, 8, 8)), np.ones((8, 8)), "heat"))
    check(drawing_figure(np.zeros((1, 28, 28)), "drawing"))
    fig = check(shift_accuracy_figure({"CNN": [0.9, 0.8], "MLP": [0.9, 0.5]}))
    assert [t.name for t in fig.data] == ["CNN", "MLP"] and list(fig.data[1].y) == [0.9, 0.5]


def test_live_view_figures_of_a_trained_run():
    from dlplay.lessons.cnn.lab import LabConfig, build_run, load_lab_data
    from dlplay.lessons.cnn.live_view import curve_figures, model_pictures, status_line

    config = LabConfig(n_train=100, n_test=20, width=4, hidden_size=16, eval_every=5, eval_samples=20)
    data = load_lab_data(config.dataset, config.n_train, config.n_test)
    run = build_run(config, data)
    assert status_line(run) == ""
    run.step(10)
    assert status_line(run).startswith("**Epoch") and "not yet at 97%" in status_line(run)
    loss, accuracy = (check(spec) for spec in curve_figures(run))
    assert len(loss.data[0].y) == 10  # every batch loss
    pictures = model_pictures(run, data, 23)  # the index wraps around the 20 test images
    assert [title for title, _ in pictures] == [f"Test image 3: {data.classes[int(data.y_test[3])]}",
                                                "First-layer kernels (blue −, white 0, red +)", "Block 1: 4 maps 28×28",
                                                "Block 2: 8 maps 14×14", "Block 3: 16 maps 7×7"]
    assert all(image.dtype == np.uint8 and image.ndim == 3 for _, image in pictures)
    run.history.val_acc[-1] = 0.99  # as if the last evaluation had reached the target
    assert "reached 97%" in status_line(run) and "s of training" in status_line(run)


def test_png_bytes_round_trip():
    import io

    from PIL import Image

    from dlplay.viz.images import png_bytes

    image = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png_bytes(image)))), image)
