"""Chapter 7 figures carry the data they are given."""

from __future__ import annotations

import numpy as np
import torch
from spec_check import validated

from dlplay.lessons.regularization import figures
from dlplay.lessons.regularization.dropout_view import Histogram, dropout_view
from dlplay.training.history import History
from dlplay.viz.training import COLORS, loss_figure

boundary_figure, dropout_figure, histogram_grid, mark_best, race_figure, weight_norm_figure = map(validated, (
    figures.boundary_figure, figures.dropout_figure, figures.histogram_grid, figures.mark_best, figures.race_figure,
    figures.weight_norm_figure))


def _history(norms: list[float]) -> History:
    h = History()
    for i, norm in enumerate(norms):
        h.record_eval(3 * (i + 1), i + 1.0, {"train_loss": 1.0 / (i + 1), "val_loss": 0.5 + 0.1 * i, "weight_norm": norm})
    return h


def test_mark_best_puts_a_star_and_a_line_at_the_best_step_in_the_run_colour():
    histories = {"A: baseline": _history([1, 2, 3]), "B: early stop 5": _history([1, 1, 1])}
    fig = mark_best(loss_figure(histories), {"B: early stop 5": (6, 0.6)}, list(histories))
    stars = [t for t in fig.data if t.marker is not None and t.marker.symbol == "star"]
    assert len(stars) == 1 and list(stars[0].x) == [6] and list(stars[0].y) == [0.6]
    assert stars[0].marker.color == COLORS[1]
    assert [s.x0 for s in fig.layout.shapes] == [6]


def test_race_figure_counts_epochs_and_lists_each_run_once():
    histories = {"A: baseline": _history([1, 2, 3]), "B: early stop 5": _history([1, 1, 1])}
    spec = figures.mark_best(loss_figure(histories), {"B: early stop 5": (6, 0.6)}, list(histories))
    fig = race_figure(spec, 3)
    train = [t for t in fig.data if t.name == "A: baseline"][0]
    np.testing.assert_allclose(train.x, [1, 2, 3])  # steps 3, 6, 9 at 3 steps per epoch
    assert fig.layout.xaxis.title.text == "epoch" and [s.x0 for s in fig.layout.shapes] == [2]
    shown = [t.name for t in fig.data if t.showlegend is not False]
    assert shown == ["A: baseline", "B: early stop 5", "B · best (restored)"]  # the dashed twins stay out of the legend


def test_weight_norm_figure_plots_the_callback_values_against_step():
    histories = {"A": _history([4.0, 5.0, 6.5]), "B": _history([4.0, 3.0, 2.5])}
    fig = weight_norm_figure(histories)
    assert [t.name for t in fig.data] == ["A", "B"]
    np.testing.assert_allclose(fig.data[1].y, [4.0, 3.0, 2.5])
    np.testing.assert_allclose(fig.data[1].x, [3, 6, 9])


def test_histogram_grid_has_one_bar_chart_per_run_and_layer():
    edges = np.linspace(-1, 1, 5)
    hists = {name: [Histogram(edges, np.roll([0.1, 0.2, 0.3, 0.4], k), 0.1 * k, 1.0) for k in range(3)]
             for name in ("A: baseline", "B: batch norm")}
    fig = histogram_grid(hists)
    steps = [t for t in fig.data if t.type == "scatter" and t.fill == "tozeroy"]
    assert len(steps) == 6
    np.testing.assert_allclose(steps[4].y, np.repeat(hists["B: batch norm"][1].fractions, 2))  # flat across each bin
    np.testing.assert_allclose(steps[0].x, [-1, -0.5, -0.5, 0, 0, 0.5, 0.5, 1])
    assert "μ = 0.20" in fig.layout.annotations[2].text
    assert histogram_grid({}).data == ()


def test_dropout_figure_shows_input_train_and_eval_outputs_and_marks_each_dropped_unit():
    view = dropout_view(torch.rand(6, 10) + 0.1, p=0.5, seed=1)
    fig = dropout_figure(view)
    heatmaps = [t for t in fig.data if t.type == "heatmap"]
    for trace, tensor in zip(heatmaps, (view.h, view.train_out, view.eval_out), strict=True):
        np.testing.assert_allclose(np.asarray(trace.z), tensor.numpy())
    crosses = [t for t in fig.data if t.type == "scatter"][0]
    assert len(crosses.x) == int((~view.kept).sum())
    rows, cols = np.nonzero(~view.kept.numpy())
    np.testing.assert_array_equal(crosses.y, rows + 1)
    np.testing.assert_array_equal(crosses.x, cols + 1)


def test_boundary_figure_has_one_panel_per_run_with_its_probabilities_and_the_points():
    axis = np.linspace(-6, 6, 5)
    probs = np.random.default_rng(0).random((3, 5, 5))
    X, y = np.array([[0.0, 1.0], [2.0, -1.0], [1.0, 1.0]]), np.array([0, 1, 1])
    fig = boundary_figure(axis, probs, ["A", "B", "C"], X, y)
    panels = [t for t in fig.data if t.type == "heatmap"]
    assert len(panels) == 3 and [t.xaxis for t in panels] == ["x", "x2", "x3"]
    np.testing.assert_allclose(np.asarray(panels[2].z), probs[2])
    points = [t for t in fig.data if t.type == "scatter"]
    assert sum(len(t.x) for t in points) == 3 * len(X)
    assert [a.text for a in fig.layout.annotations] == ["A", "B", "C"]
