"""Activation figures (plotly specs, validated) carry the data they are given, readable and labelled."""

import math

import numpy as np
import torch
from numpy.testing import assert_allclose
from spec_check import validated

from dlplay.lessons.activations import figures
from dlplay.lessons.activations.activations import StackConfig, curves, gradient_flow, softmax_steps
from dlplay.lessons.activations.figures import COLORS

curves_figure, gradient_flow_figure, softmax_figure = map(validated, (
    figures.curves_figure, figures.gradient_flow_figure, figures.softmax_figure))


def test_curves_figure_has_one_line_per_activation_with_its_data():
    x, values, derivatives = curves(["Sigmoid", "ReLU", "GELU"], -4.0, 4.0, n_points=41)
    fig = curves_figure(x, values, "Activation f(x)", "f(x)")
    assert [t.name for t in fig.data] == ["Sigmoid", "ReLU", "GELU"]
    for trace in fig.data:
        assert_allclose(trace.x, x.numpy())
        assert_allclose(trace.y, values[trace.name].numpy())
        assert trace.line.color == COLORS[trace.name]
    assert fig.layout.xaxis.title.text == "x" and fig.layout.yaxis.title.text == "f(x)"
    assert fig.layout.title.text == "Activation f(x)"
    assert fig.layout.font.size >= 16 and fig.layout.showlegend is not False
    derivative_fig = curves_figure(x, derivatives, "f′", "f′(x)")
    # The same activation keeps its colour from one chart to the next.
    assert [t.line.color for t in derivative_fig.data] == [t.line.color for t in fig.data]
    assert_allclose(derivative_fig.data[1].y, derivatives["ReLU"].numpy())


def test_softmax_figure_shows_probabilities_and_the_t1_baseline():
    steps = softmax_steps([2.0, 1.0, 0.1], 0.5)
    baseline = softmax_steps([2.0, 1.0, 0.1], 1.0).reference
    fig = softmax_figure(["a", "b", "c"], steps.stable.numpy(), 0.5, baseline.numpy())
    assert [t.type for t in fig.data] == ["bar", "bar"]
    assert fig.data[0].name == "T = 1" and fig.data[1].name == "T = 0.5"
    assert_allclose(fig.data[1].y, steps.stable.numpy())
    assert_allclose(fig.data[0].y, baseline.numpy())
    assert list(fig.data[1].x) == ["a", "b", "c"]
    assert fig.data[1].text[0] == f"{float(steps.stable[0]):.1%}"
    alone = softmax_figure(["a", "b", "c"], steps.stable.numpy(), 0.5)
    assert len(alone.data) == 1 and alone.layout.yaxis.range[1] > 1


def test_gradient_flow_figure_is_log_scale_one_line_per_activation():
    norms = gradient_flow(["Sigmoid", "Tanh"], StackConfig(depth=5, hidden_size=8))
    fig = gradient_flow_figure(norms)
    assert fig.layout.yaxis.type == "log"
    assert [t.name for t in fig.data] == ["Sigmoid", "Tanh"]
    for trace in fig.data:
        assert_allclose(trace.x, np.arange(1, 6))
        assert_allclose(trace.y, norms[trace.name].numpy(), rtol=1e-6)
    assert "layer" in fig.layout.xaxis.title.text


def test_gradient_flow_figure_leaves_gaps_for_zero_and_non_finite():
    fig = gradient_flow_figure({"ReLU": torch.tensor([0.0, 1e-3, math.inf, 2.0])})
    y = np.asarray(fig.data[0].y, dtype=float)
    assert np.isnan(y[0]) and np.isnan(y[2])
    assert_allclose(y[[1, 3]], [1e-3, 2.0])
