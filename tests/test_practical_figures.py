"""Chapter 12 figures: valid plotly specs carrying the data they are given."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from spec_check import validated

from dlplay.lessons.practical import figures
from dlplay.lessons.practical.number_formats import gradient_census
from dlplay.lessons.practical.onnx_graph import GraphNode, OnnxGraph
from dlplay.training.history import History

(race_accuracy_figure, race_loss_figure, sweep_figure, projection_figure, precision_loss_figure, cost_figure,
 format_range_figure, gradient_histogram_figure, onnx_graph_figure, latency_figure) = map(validated, (
    figures.race_accuracy_figure, figures.race_loss_figure, figures.sweep_figure, figures.projection_figure,
    figures.precision_loss_figure, figures.cost_figure, figures.format_range_figure, figures.gradient_histogram_figure,
    figures.onnx_graph_figure, figures.latency_figure))


def _history(accs: list[float]) -> History:
    h = History()
    h.step_loss = [2.0, 1.5, 1.0, 0.8]
    for i, acc in enumerate(accs):
        h.record_eval(10 * (i + 1), float(i), {"train_loss": 1.0, "train_acc": min(1.0, acc + 0.1), "val_loss": 1 - acc,
                                               "val_acc": acc})
    return h


def test_race_figures_one_validation_line_per_way_in_its_colour():
    histories = {"frozen": _history([0.2, 0.5]), "fine-tuned": _history([0.3, 0.6]), "from scratch": _history([0.1, 0.2])}
    names = {"frozen": "Frozen", "fine-tuned": "Fine-tuned", "from scratch": "Scratch"}
    acc = race_accuracy_figure(histories, names)
    validation = [t for t in acc.data if t.name.endswith("validation")]
    assert [t.name for t in validation] == ["Frozen · validation", "Fine-tuned · validation", "Scratch · validation"]
    assert list(validation[1].y) == [0.3, 0.6] and list(validation[1].x) == [10, 20]
    assert validation[0].line.color == figures.WAY_COLORS["frozen"] and acc.layout.yaxis.tickformat == ".0%"
    loss = race_loss_figure(histories, names)
    assert [list(t.y) for t in loss.data] == [pytest.approx([0.8, 0.5]), pytest.approx([0.7, 0.4]), pytest.approx([0.9, 0.8])]


def test_sweep_figure_leaves_gaps_for_points_not_yet_trained():
    fig = sweep_figure((1, 5, 50), {"frozen": [0.5, math.nan, math.nan], "fine-tuned": [0.4, 0.7, 0.9]}, {}, 150)
    assert list(fig.data[0].y) == [0.5, None, None] and list(fig.data[1].x) == [1, 5, 50]
    assert fig.layout.xaxis.type == "log" and "150 steps" in fig.layout.title.text


def test_projection_figure_one_panel_per_backbone_one_colour_per_class():
    xy = np.arange(12, dtype=float).reshape(6, 2)
    y = np.array([0, 1, 2, 0, 1, 2])
    fig = projection_figure({"pretrained": xy, "random": -xy}, y, ("a", "b", "c"))
    assert len(fig.data) == 6 and [t.showlegend for t in fig.data] == [True] * 3 + [False] * 3
    assert list(fig.data[4].x) == [-2.0, -8.0] and fig.data[4].xaxis == "x2"
    assert fig.layout.xaxis2.title.text == "random"


def test_precision_figures():
    histories = {"float32": _history([0.2]), "autocast bfloat16": _history([0.25])}
    loss = precision_loss_figure(histories)
    assert [t.name for t in loss.data] == ["float32 · batch", "float32 · validation", "autocast bfloat16 · batch",
                                           "autocast bfloat16 · validation"]
    rows = [{"run": "float32", "ms per step": 10.0, "saved for backward (MB)": 4.0},
            {"run": "autocast bfloat16", "ms per step": 8.0, "saved for backward (MB)": math.nan}]
    cost = cost_figure(rows, "saved for backward (MB)")
    assert list(cost.data[0].y) == [10.0, 8.0] and list(cost.data[1].y) == [4.0, None]
    assert list(cost.data[1].text) == ["4.0 MB", "—"]


def test_format_range_figure_spans_each_formats_range_and_marks_the_value():
    fig = format_range_figure(70000.0)
    half_normal = [t for t in fig.data if t.type == "bar" and t.y == ("float16",) and t.name == "normal"][0]
    assert half_normal.base[0] == pytest.approx(math.log10(2.0**-14))
    assert half_normal.base[0] + half_normal.x[0] == pytest.approx(math.log10(65504))
    assert fig.layout.shapes[0].x0 == fig.layout.shapes[0].x1 == math.log10(70000.0)
    assert len(fig.data) == 6 and not format_range_figure(0.0).layout.shapes  # no mark for 0


def test_gradient_histogram_shifts_by_the_scale():
    g = torch.tensor([1e-9, 1e-8, 1e-7, 1e-3], dtype=torch.float64)
    fig = gradient_histogram_figure(gradient_census(g, 2.0**16), bins=30)
    unscaled, scaled = fig.data
    assert sum(unscaled.y) == pytest.approx(1.0) and sum(scaled.y) == pytest.approx(1.0)
    mean = lambda t: sum(x * w for x, w in zip(t.x, t.y))  # noqa: E731
    assert mean(scaled) - mean(unscaled) == pytest.approx(16 * math.log10(2), abs=0.4)  # one bin's width
    assert len(fig.layout.shapes) == 3


def test_onnx_graph_figure_draws_every_node_and_edge():
    graph = OnnxGraph(nodes=[GraphNode("input x", "input", "x", 0, 0), GraphNode("Conv", "op", "c", 1, 0),
                             GraphNode("Relu", "op", "r", 2, -0.5), GraphNode("Add", "op", "a", 2, 0.5),
                             GraphNode("output y", "output", "y", 3, 0)],
                      edges=[(0, 1, "x"), (1, 2, "c"), (1, 3, "c"), (2, 4, "r")], opset=20)
    fig = onnx_graph_figure(graph)
    edges, nodes = fig.data
    assert list(nodes.text) == ["input x", "Conv", "Relu", "Add", "output y"] and list(nodes.hovertext)[1] == "c"
    assert list(edges.x).count(None) == 4 and list(edges.y[3:5]) == [0.0, -0.5]
    assert "3 operators, opset 20" in fig.layout.title.text


def test_latency_figure_in_milliseconds():
    fig = latency_figure({"eager PyTorch": 0.002, "ONNX Runtime": 0.0005}, batch=8)
    assert list(fig.data[0].y) == [2.0, 0.5] and "batch of 8" in fig.layout.title.text


def test_onnx_graph_wraps_long_chains_into_bands():
    nodes = [GraphNode(f"op{i}", "op", "", i, 0.0) for i in range(5)]
    graph = OnnxGraph(nodes=nodes, edges=[(i, i + 1, "t") for i in range(4)])
    xs, ys = figures.onnx_graph_layout(graph, per_line=2)
    assert xs == [0, 1, 0, 1, 0] and ys == [0, 0, 2, 2, 4]
    fig = onnx_graph_figure(graph, per_line=2)
    assert list(fig.layout.yaxis.range) == [5, -1]  # first band on top
