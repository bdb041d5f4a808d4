"""Chapter 11's figure specs: valid for plotly, and carrying the data they are given."""

from __future__ import annotations

import math

import numpy as np
import torch
from spec_check import validated

from dlplay.lessons.architectures import figures, figures_unet
from dlplay.training.history import History

gradient_bars = validated(figures.gradient_bars)
race_curves = validated(figures.race_curves)
landscape_contours = validated(figures.landscape_contours)
landscape_surfaces = validated(figures.landscape_surfaces)
masks_figure = validated(figures_unet.masks_figure)
metric_curves = validated(figures_unet.metric_curves)
feature_maps_figure = validated(figures_unet.feature_maps_figure)
checkerboard_figure = validated(figures_unet.checkerboard_figure)
boundary_profile_figure = validated(figures_unet.boundary_profile_figure)


def test_gradient_bars_on_a_log_axis_hide_zeros():
    norms = {"residual 8": np.array([1e-3, 0.0, 2e-2]), "plain 8": np.array([1e-9, math.nan, 1e-1])}
    names = {n: ["stem", "block 1·conv1", "head"] for n in norms}
    fig = gradient_bars(norms, names, "at init")
    assert fig.layout.yaxis.type == "log"
    assert list(fig.data[0].x) == [1, 2, 3] and math.isnan(fig.data[0].y[1]) and fig.data[0].y[2] == 2e-2
    assert fig.data[1].marker.color == figures.RUN_COLORS[1] and list(fig.data[1].customdata) == names["plain 8"]
    low, high = fig.layout.yaxis.range
    assert low < -9 and high > -1  # the smallest bar (1e-9) and the largest (1e-1) both in view
    assert len(gradient_bars({}, {}, "nothing yet").data) == 0


def test_race_curves_dash_the_plain_nets():
    curves = {"residual 20": ([20, 40], [2.0, 1.5]), "plain 20": ([20, 40], [2.1, 2.0]), "residual 8": ([], [])}
    fig = race_curves(curves, "loss")
    assert [t.name for t in fig.data] == ["residual 20", "plain 20"]
    assert fig.data[1].line.dash == "dash" and fig.data[0].line.dash is None and list(fig.data[1].y) == [2.1, 2.0]
    acc = race_curves({"plain 8": ([10], [0.5])}, "accuracy", accuracy=True)
    assert acc.layout.yaxis.tickformat == ".0%"


def test_landscapes_share_one_log_colour_range():
    axis = np.linspace(-1, 1, 5)
    bowl = 0.5 + axis[None, :] ** 2 + axis[:, None] ** 2
    sharp = 0.5 + 1000 * (axis[None, :] ** 2 + axis[:, None] ** 2)  # the same trained loss, a far steeper basin
    results = {"residual 20": (axis, bowl), "plain 20": (axis, sharp)}
    contours = landscape_contours(results)
    traces = [t for t in contours.data if t.type == "contour"]
    assert len(traces) == 2 and traces[0].zmin == traces[1].zmin and traces[0].zmax == traces[1].zmax
    np.testing.assert_allclose(traces[0].z, np.log10(bowl))  # within range: drawn as computed
    assert traces[1].z.max() == traces[1].zmax == np.log10(0.5) + 1  # 10× the highest trained loss: clipped
    np.testing.assert_allclose(traces[1].customdata, sharp)  # the hover shows the true loss
    assert [t.xaxis for t in traces] == ["x", "x2"]
    surfaces = landscape_surfaces(results)
    assert [t.scene for t in surfaces.data] == ["scene", "scene2"]


def test_masks_figure_is_one_image_with_a_row_per_net():
    images, truth = torch.rand(3, 1, 8, 8), (torch.rand(3, 1, 8, 8) > 0.5).float()
    fig = masks_figure(images, truth, {"skips on": torch.rand(3, 1, 8, 8), "skips off": torch.rand(3, 1, 8, 8)})
    assert len(fig.data) == 1 and fig.data[0].type == "image" and fig.data[0].source.startswith("data:image/png")
    assert [a.text for a in fig.layout.annotations] == ["image", "true mask", "skips on", "skips off"]


def test_mosaic_places_tiles_with_gaps():
    rows = [np.zeros((2, 3, 3)), np.full((2, 3, 3), 0.5)]
    picture = figures_unet._mosaic(rows)
    assert picture.shape == (3 + 2 + 3, 3 + 2 + 3)
    assert picture[0, 0] == 0 and picture[5, 5] == 0.5 and picture[3, 0] == 1.0  # white between rows


def test_metric_curves_one_line_per_net_and_metric():
    h = History()
    h.record_eval(10, 1.0, {"val_iou": 0.5, "val_dice": 2 / 3, "val_boundary_iou": 0.2})
    h.record_eval(20, 2.0, {"val_iou": 0.8, "val_dice": 0.8 * 2 / 1.8, "val_boundary_iou": 0.5})
    fig = metric_curves({"skips on": h, "skips off": History()})
    assert [t.name for t in fig.data] == ["skips on · IoU", "skips on · Dice", "skips on · boundary IoU"]
    assert list(fig.data[0].y) == [0.5, 0.8] and fig.data[2].line.dash == "dot"


def test_feature_maps_are_drawn_at_the_image_size():
    maps = {"enc1": torch.rand(4, 8, 8), "enc2": torch.rand(8, 4, 4), "dec1": torch.zeros(4, 8, 8)}
    fig = feature_maps_figure(maps, max_channels=2)
    assert len(fig.layout.annotations) == 3 and fig.layout.annotations[1].text.startswith("enc2 · 4×4, 8 ch")
    picture = figures_unet._mosaic([np.zeros((2, 8, 8))] * 3)
    assert fig.layout.xaxis.range[1] == picture.shape[1] - 0.5


def test_checkerboard_and_profile_figures():
    fig = checkerboard_figure({"bilinear": np.ones((4, 4)), "transposed": np.eye(4)}, "overlaps")
    assert [t.xaxis for t in fig.data] == ["x", "x2"] and fig.data[1].z[0][0] == 1
    profile = boundary_profile_figure({"skips on": np.linspace(0, 1, 6)}, np.array([0, 0, 0, 1, 1, 1]))
    assert [t.name for t in profile.data] == ["true mask", "skips on"] and profile.data[0].line.shape == "hv"
