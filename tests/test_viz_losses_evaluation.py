"""The loss-curve, confusion-matrix and mistake-gallery figures (plotly specs, validated) carry the data they are given."""

from __future__ import annotations

import base64
import io

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image
from spec_check import validated

from dlplay.lessons.training_networks import evaluation_figures, loss_figures
from dlplay.lessons.training_networks.losses import bce_curves, regression_curves

confusion_matrix_figure, misclassified_figure, loss_curves_figure = map(validated, (
    evaluation_figures.confusion_matrix_figure, evaluation_figures.misclassified_figure, loss_figures.loss_curves_figure))


def png_pixels(source: str) -> np.ndarray:
    """The (H, W, 3) pixels of a data:image/png;base64 URI."""
    assert source.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1]))).convert("RGB"))


def test_loss_curves_figure_has_loss_and_gradient_panels():
    curves = regression_curves(1.0, -3.0, 3.0, delta=0.5, n=61)
    losses = {k: v.numpy() for k, v in curves.loss.items()}
    grads = {k: v.numpy() for k, v in curves.grad.items()}
    fig = loss_curves_figure(curves.x.numpy(), losses, grads, "Regression", "ŷ (prediction)", target=1.0)
    by_name = {trace.name: trace for trace in fig.data}
    for name in losses:
        np.testing.assert_allclose(by_name[name].y, losses[name])
        np.testing.assert_allclose(by_name[f"{name} gradient"].y, grads[name])
        assert by_name[name].xaxis == "x" and by_name[f"{name} gradient"].xaxis == "x2"
    assert [s.x0 for s in fig.layout.shapes if s.type == "line" and s.x0 == s.x1] == [1.0, 1.0]
    assert fig.layout.title.text == "Regression"


def test_exploding_gradient_axis_is_clipped():
    curves = bce_curves(1)
    fig = loss_curves_figure(curves.x.numpy(), {"BCE": curves.loss["BCE"].numpy()}, {"BCE": curves.grad["BCE"].numpy()},
                             "BCE", "p", grad_clip=25.0)
    low, high = fig.layout.yaxis2.range
    assert low >= -25 * 1.2 and high <= 0.5 and float(curves.grad["BCE"].min()) < -25


def test_confusion_matrix_figure_annotates_counts():
    matrix = np.array([[5, 1, 0], [0, 3, 2], [0, 0, 0]])
    fig = confusion_matrix_figure(matrix, ["cat", "dog", "cow"])
    heat = fig.data[0]
    assert isinstance(heat, go.Heatmap)
    np.testing.assert_array_equal(np.asarray(heat.text), matrix)
    np.testing.assert_allclose(np.asarray(heat.z), [[5 / 6, 1 / 6, 0], [0, 0.6, 0.4], [0, 0, 0]])
    assert list(heat.x) == list(heat.y) == ["cat", "dog", "cow"]
    assert fig.layout.xaxis.title.text == "predicted class" and fig.layout.yaxis.title.text == "true class"
    with pytest.raises(ValueError):
        evaluation_figures.confusion_matrix_figure(matrix, ["a", "b"])


def test_misclassified_figure_titles_each_image():
    images = np.random.default_rng(0).random((5, 1, 28, 28))
    fig = misclassified_figure(images, list("01234"), list("98765"), [0.9, 0.8, 0.7, 0.6, 0.51], ncols=3)
    assert sum(isinstance(t, go.Image) for t in fig.data) == 5
    texts = [a.text for a in fig.layout.annotations]
    assert texts[0] == "true <b>0</b><br>predicted 9 (90%)" and len(texts) == 5
    pixels = png_pixels(fig.data[2].source)  # each image travels as a small PNG, exactly
    assert pixels.shape == (28, 28, 3)
    np.testing.assert_array_equal(pixels[..., 0], np.round(images[2, 0] * 255).astype(np.uint8))
    assert [t.xaxis for t in fig.data] == ["x", "x2", "x3", "x4", "x5"]
    # Three columns, two rows: the third image ends the first row, the fourth starts the second, below it.
    assert fig.layout.xaxis4.domain == fig.layout.xaxis.domain and fig.layout.yaxis4.domain[1] < fig.layout.yaxis.domain[0]
    assert fig.layout.xaxis3.domain[1] == pytest.approx(1.0)
    empty = misclassified_figure(np.zeros((0, 1, 28, 28)), [], [], [])
    assert not empty.data and "no misclassified" in empty.layout.annotations[0].text
    with pytest.raises(ValueError):
        evaluation_figures.misclassified_figure(images, ["0"], ["1"], [0.5])
