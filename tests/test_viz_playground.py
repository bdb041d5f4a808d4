"""Playground figures (data checked), the grid view, the code panel, and the spiral preset reaching 95 % headless."""

import threading
import time
from dataclasses import replace

import numpy as np
import pytest
import torch
from spec_check import validated
from torch.testing import assert_close

from dlplay.lessons.fundamentals import figures
from dlplay.lessons.fundamentals.features import FEATURES
from dlplay.lessons.fundamentals.figures import decision_line
from dlplay.lessons.fundamentals.forward_inspector import inspect_forward
from dlplay.lessons.fundamentals.playground import (
    SPIRAL_PRESET,
    SPIRAL_PRESET_STEPS,
    PlaygroundConfig,
    build_run,
    grid_view,
    playground_code,
)
from dlplay.training.history import History

decision_figure, errors_figure, layer_figure, loss_curves_figure, neuron_maps_figure, perceptron_figure = map(validated, (
    figures.decision_figure, figures.errors_figure, figures.layer_figure, figures.loss_curves_figure,
    figures.neuron_maps_figure, figures.perceptron_figure))


def traces(fig, kind):
    return [t for t in fig.data if t.type == kind]


# ---------------------------------------------------------------- perceptron figures
def test_decision_line_lies_on_w_x_plus_b_equals_zero():
    for w, b in [([0.5, -1.0], 0.3), ([2.0, 0.1], -1.0), ([0.0, 1.0], 2.0), ([1.0, 0.0], 0.5)]:
        x1, x2 = decision_line(w, b, 6.0)
        np.testing.assert_allclose(w[0] * x1 + w[1] * x2 + b, 0.0, atol=1e-12)
    assert decision_line([0.0, 0.0], 1.0, 6.0) is None


def test_perceptron_figure_marks_errors_and_the_updated_point():
    X = np.array([[1.0, 1.0], [-1.0, -1.0], [2.0, -2.0], [-3.0, 0.5]])
    y = np.array([1, 0, 0, 1])
    w, b = np.array([1.0, 1.0]), 0.0
    fig = perceptron_figure(X, y, w, b, highlight=2)
    names = {t.name: t for t in fig.data}
    wrong = (X @ w + b > 0).astype(int) != y
    assert len(names[f"misclassified ({wrong.sum()})"].x) == wrong.sum()
    assert (names["caused the last update"].x[0], names["caused the last update"].y[0]) == (2.0, -2.0)
    line = names["w·x + b = 0"]
    np.testing.assert_allclose(np.asarray(line.x) + np.asarray(line.y), 0.0, atol=1e-12)
    region = traces(fig, "heatmap")[0]
    assert set(np.unique(region.z)) <= {0.0, 1.0}
    assert len(names["class 1"].x) == 2 and len(names["class 0"].x) == 2


def test_errors_figure_plots_the_counts():
    fig = errors_figure([5, 3, 4, 0], n_points=10)
    assert list(fig.data[0].y) == [5, 3, 4, 0] and list(fig.data[0].x) == [0, 1, 2, 3]


# ---------------------------------------------------------------- playground core and figures
@pytest.fixture(scope="module")
def run():
    r = build_run(PlaygroundConfig(dataset="moons", features=("x₁", "x₂", "x₁x₂"), hidden_sizes=(5, 3)))
    r.step(30)
    return r


def test_grid_view_is_one_consistent_forward_pass(run):
    view = grid_view(run, resolution=20)
    assert view.features.shape == (400, 3) and [h.shape for h in view.hidden] == [(400, 5), (400, 3)]
    assert_close(view.output, torch.sigmoid(run.predict(view.features)[:, 0]))
    for h, expected in zip(view.hidden, run.model.hidden_activations(view.features)):
        assert_close(h, expected.detach())
    # row-major, x₂ the slow axis: grid point (row 0, column 19) is (x₁, x₂) = (6, −6)
    assert_close(view.features[19], run.transform(torch.tensor([[6.0, -6.0]]))[0])


def test_decision_figure_data(run):
    view = grid_view(run, resolution=20)
    points = tuple(t.numpy() for t in run.points)
    fig = decision_figure(view.axis.numpy(), view.output.numpy(), points, "binary")
    heat = traces(fig, "heatmap")[0]
    np.testing.assert_allclose(np.asarray(heat.z), view.output.numpy().reshape(20, 20), atol=5e-4)  # rounded to 3 decimals: a lighter live chart
    scatter = traces(fig, "scatter")
    n_train = sum(len(t.x) for t in scatter if t.name.startswith("train"))
    n_test = sum(len(t.x) for t in scatter if t.name.startswith("test"))
    assert (n_train, n_test) == (len(points[0]), len(points[2]))
    assert {t.marker.symbol for t in scatter if t.name.startswith("test")} == {"diamond"}
    hidden = decision_figure(view.axis.numpy(), view.output.numpy(), points, "binary", show_test=False, discretize=True)
    assert not any(t.name.startswith("test") for t in traces(hidden, "scatter"))
    assert set(np.unique(traces(hidden, "heatmap")[0].z)) <= {0.0, 1.0}
    marked = decision_figure(view.axis.numpy(), view.output.numpy(), points, highlight=(1.0, 2.0))
    assert [(t.x[0], t.y[0]) for t in marked.data if t.name == "your point"] == [(1.0, 2.0)]


def test_regression_decision_figure_colours_points_by_target():
    r = build_run(PlaygroundConfig(dataset="plane", hidden_sizes=()))
    view = grid_view(r, resolution=10)
    fig = decision_figure(view.axis.numpy(), view.output.numpy(), tuple(t.numpy() for t in r.points), "regression")
    train = [t for t in fig.data if t.name == "train"][0]
    np.testing.assert_allclose(train.marker.color, r.points[1].numpy())
    assert traces(fig, "heatmap")[0].zmin == -traces(fig, "heatmap")[0].zmax


def test_neuron_maps_are_one_figure_with_a_tile_per_neuron_and_a_line_per_weight(run):
    view = grid_view(run, resolution=20)
    columns = [view.features.numpy()] + [h.numpy() for h in view.hidden] + [view.output.numpy()[:, None]]
    weights = [layer.weight.detach().numpy() for layer in run.model.linear_layers()]
    titles = ["inputs", "layer 1", "layer 2", "output"]
    fig = neuron_maps_figure(columns, titles, weights, row_labels=["x₁", "x₂", "x₁x₂"], stride=2)
    heatmaps = traces(fig, "heatmap")
    assert len(heatmaps) == 4  # one strip of tiles per column, not one chart per neuron
    g = 10
    first = np.asarray(heatmaps[1].z)[:g]  # layer 1, neuron 1: downsampled, scaled by its peak, x₂ upward
    tile = view.hidden[0][:, 0].numpy().reshape(20, 20)[::2, ::2]
    np.testing.assert_allclose(first, np.round(100 * tile[::-1] / np.abs(tile).max()), atol=1)
    segments = sum(np.isnan(np.asarray(t.x, dtype=float)).sum() for t in traces(fig, "scatter") if t.mode == "lines")
    assert segments == sum(w.size for w in weights)  # 3·5 + 5·3 + 3·1 connections
    labels = [t for t in traces(fig, "scatter") if t.mode == "text"]
    assert list(labels[0].text) == ["inputs", "layer 1", "layer 2", "output"] and list(labels[1].text) == ["x₁", "x₂", "x₁x₂"]


def test_loss_curves_figure_data():
    h = History()
    for step, (a, b) in enumerate([(0.7, 0.72), (0.5, 0.55), (0.3, 0.4)], start=1):
        h.record_eval(step * 10, step, {"train_loss": a, "val_loss": b})
    fig = loss_curves_figure(h)
    train, test = fig.data
    assert (train.name, test.name) == ("train", "test")
    assert list(train.x) == [10, 20, 30] and list(train.y) == [0.7, 0.5, 0.3] and list(test.y) == [0.72, 0.55, 0.4]


def test_layer_figure_shows_x_above_w_then_b_z_a(run):
    features = run.transform(torch.tensor([[1.0, -1.0]]))[0]
    step = inspect_forward(run.model, features)[0]
    fig = layer_figure(step.x.numpy(), step.W.numpy(), step.b.numpy(), step.z.numpy(), step.a.numpy(), ["x₁", "x₂", "x₁x₂"],
                       step.activation, "hidden layer 1")
    table = np.asarray(fig.data[0].z, dtype=float)
    np.testing.assert_allclose(table[0, :3], step.x.numpy(), rtol=1e-6)
    np.testing.assert_allclose(table[2:, :3], step.W.numpy(), rtol=1e-6)
    np.testing.assert_allclose(table[2:, 4:7], np.stack([step.b, step.z, step.a], axis=1), rtol=1e-6)
    assert list(fig.data[0].x)[-1] == "a = tanh(z)"


# ---------------------------------------------------------------- code panel and preset
@pytest.mark.parametrize("config", [
    PlaygroundConfig(),
    PlaygroundConfig(dataset="plane", hidden_sizes=(), optimizer="Adam", regularization="L2", reg_rate=0.01, features=FEATURES),
    replace(SPIRAL_PRESET, regularization="L1", reg_rate=0.001),
])
def test_code_panel_runs_and_builds_the_same_model(config):
    code = playground_code(config).replace("range(100)", "range(1)")  # one epoch is enough to prove it runs
    scope: dict = {}
    exec(code, scope)  # noqa: S102 - our own generated code
    model = scope["model"]
    assert model.hidden_widths == config.hidden_sizes
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in build_run(config).model.parameters())
    assert f"hidden_sizes={list(config.hidden_sizes)}" in code and f"lr={config.lr:g}" in code
    assert scope["F_train"].shape[1] == len(config.features)


def test_lr_is_not_part_of_the_signature():
    assert PlaygroundConfig(lr=0.1).signature() == PlaygroundConfig(lr=0.001).signature()
    assert PlaygroundConfig(hidden_sizes=(4,)).signature() != PlaygroundConfig(hidden_sizes=(5,)).signature()


def test_spiral_preset_reaches_95_percent_test_accuracy_headless():
    """The page's Spiral preset, trained through the same build_run → run.step path the page's Play uses."""
    run = build_run(SPIRAL_PRESET)
    reached = None
    while run.steps < SPIRAL_PRESET_STEPS and reached is None:
        metrics = run.step(50)
        if metrics["val_acc"] >= 0.95:
            reached = run.steps
    assert reached is not None, f"test accuracy {metrics['val_acc']:.3f} after {run.steps} steps"
    _, test_acc = run.evaluate(run.X_val, run.y_val)
    assert test_acc >= 0.95


def test_interrupt_stops_a_chunk_training_in_another_thread():
    """Streamlit's fast reruns overlap script threads: interrupt() must end the other thread's step_for promptly."""
    run = build_run(PlaygroundConfig(batch_size=30))
    worker = threading.Thread(target=run.step_for, args=(5.0,))
    worker.start()
    time.sleep(0.3)
    run.interrupt()
    steps = run.steps
    worker.join(timeout=5)
    assert not worker.is_alive() and steps > 0
    assert run.steps == steps  # nothing trained after interrupt() returned
    run.step(5)  # the run still trains afterwards, by Step …
    assert run.steps == steps + 5
    run.step_for(0.05)  # … and by a new step_for
    assert run.steps > steps + 5
