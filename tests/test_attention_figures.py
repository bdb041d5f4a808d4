"""The chapter's figure specs: valid plotly, and the data they show."""

from __future__ import annotations

import numpy as np
from spec_check import check

from dlplay.lessons.attention.figures import (
    ablation_figure,
    context_attention_figure,
    curves_figure,
    encoding_figure,
    head_grid_figure,
    heads_figure,
    matrix_figure,
    position_accuracy_figure,
    similarity_figure,
)
from dlplay.training.history import History


def test_matrix_figure_labels_masked_cells_and_keeps_rows_in_order():
    M = np.array([[0.5, -np.inf], [1.0, 2.0]])
    fig = check(matrix_figure(M, ["a", "b"], ["x", "y"], "scores"))
    heat = fig.data[0]
    assert list(heat.y) == ["a", "b"] and list(heat.x) == ["x", "y"]
    assert np.isnan(heat.z[0][1]) and heat.text[0][1] == "−∞" and heat.text[1][1] == "2.00"
    assert fig.layout.yaxis.autorange == "reversed" and heat.zmid == 0 and heat.zmax == 2.0
    weights = check(matrix_figure(np.eye(2), ["a", "b"], ["a", "b"], "weights", weights=True, colorbar=False))
    assert (weights.data[0].zmin, weights.data[0].zmax, weights.data[0].showscale) == (0.0, 1.0, False)
    assert check(matrix_figure(np.zeros((20, 20)), range(20), range(20), "big")).data[0].texttemplate is None


def test_head_grid_places_every_layer_and_head():
    maps = np.random.default_rng(0).random((2, 3, 4, 4))
    fig = check(head_grid_figure(maps, selected=(1, 2)))
    mosaic = np.array(fig.data[0].z, dtype=float)
    assert mosaic.shape == (2 * 5 - 1, 3 * 5 - 1)
    for layer in range(2):
        for head in range(3):
            np.testing.assert_allclose(mosaic[layer * 5 : layer * 5 + 4, head * 5 : head * 5 + 4], maps[layer, head], atol=1e-3)
    assert np.isnan(mosaic[4]).all() and np.isnan(mosaic[:, 4]).all()  # the gaps
    assert len(fig.layout.annotations) == 2 + 3 and fig.layout.shapes[0].x0 < 10 < fig.layout.shapes[0].x1


def test_heads_figure_has_one_map_per_head():
    weights = np.full((4, 3, 3), 1 / 3)
    fig = check(heads_figure(weights, ["a", "b", "c"]))
    assert len(fig.data) == 4 and [t.xaxis for t in fig.data] == ["x", "x2", "x3", "x4"]
    assert fig.layout.xaxis4.title.text == "head 4" and fig.layout.xaxis.domain[1] < fig.layout.xaxis2.domain[0]


def test_curves_and_position_accuracy():
    history = History(step_loss=[2.0, 1.5, 1.0])
    history.record_eval(1, 0.0, {"val_loss": 2.0, "val_acc": 0.1, "seq_acc": 0.0})
    history.record_eval(3, 0.0, {"val_loss": 1.0, "val_acc": 0.6, "seq_acc": 0.2})
    fig = check(curves_figure(history, {"val_acc": "tokens", "seq_acc": "sequences"}, "acc", percent=True))
    assert [t.name for t in fig.data] == ["tokens", "sequences"] and list(fig.data[1].y) == [0.0, 0.2]
    loss = check(curves_figure(history, {"val_loss": "held-out"}, "loss", batch_loss=True))
    assert [t.name for t in loss.data] == ["batch loss", "held-out"]
    bars = check(position_accuracy_figure(np.array([1.0, 0.5, np.nan])))
    assert list(bars.data[0].text) == ["100%", "50%", ""]


def test_ablation_context_encoding_and_similarity_figures():
    fig = check(ablation_figure(np.array([[0.9, 0.2]]), 1.0))
    assert fig.data[0].text[0][1] == "20% (-80%)" and "100%" in fig.layout.title.text
    context = check(context_attention_figure("ab c", np.full((2, 2, 4), 0.25), "d"))
    assert list(context.data[0].y) == ["L1 H1", "L1 H2", "L2 H1", "L2 H2"]
    assert list(context.layout.xaxis.ticktext) == ["a", "b", "␣", "c"]
    assert check(encoding_figure(np.zeros((8, 4)))).data[0].zmin == -1
    assert check(similarity_figure(np.eye(3))).layout.yaxis.scaleanchor == "x"
