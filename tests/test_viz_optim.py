"""Optimizer figures: the traces carry exactly the surface grid, the path points, the losses and the lr curves."""

import base64

import numpy as np
import plotly.graph_objects as go
import pytest
from numpy.testing import assert_allclose
from spec_check import validated

from dlplay.lessons.optimization import figures
from dlplay.lessons.optimization.figures import cut_marker, spans_decades
from dlplay.lessons.optimization.paths import Path, compare_paths
from dlplay.lessons.optimization.surfaces import SURFACES, grid_values
from dlplay.optim.factory import OPTIMIZERS, OptimizerConfig
from dlplay.optim.schedules import ScheduleConfig, lr_curve

ROSENBROCK = SURFACES["Rosenbrock"]
contour_with_paths, loss_curves, lr_curves, surface_3d = map(validated, (
    figures.contour_with_paths, figures.loss_curves, figures.lr_curves, figures.surface_3d))


@pytest.fixture(scope="module")
def paths():
    """All optimizers on Rosenbrock for 40 steps; Momentum and Nesterov at this lr leave the plot."""
    lr = {"SGD": 1e-3, "Momentum": 4e-3, "Nesterov": 4e-3, "RMSProp": 0.02, "Adagrad": 0.5, "Adam": 0.05, "AdamW": 0.05}
    result = compare_paths(ROSENBROCK, ROSENBROCK.start, {o: OptimizerConfig(o, lr=lr[o]) for o in OPTIMIZERS}, 40)
    assert any(p.diverged_at is not None for p in result.values())
    assert any(p.diverged_at is None for p in result.values())
    return result


def values(v) -> np.ndarray:
    """An array of a trace: plain, or a plotly.js typed array {"dtype", "bdata", "shape"}."""
    if isinstance(v, dict):
        flat = np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]).astype(float)
        return flat.reshape([int(n) for n in v["shape"].split(",")]) if "shape" in v else flat
    return np.asarray(v, dtype=float)


def by_name(fig: go.Figure, name: str):
    (trace,) = [t for t in fig.data if t.name == name]
    return trace


def test_contour_draws_the_grid_and_every_path_point(paths):
    fig = contour_with_paths(ROSENBROCK, paths, resolution=40)
    contour = fig.data[0]
    assert isinstance(contour, go.Contour)
    X, Y, Z = grid_values(ROSENBROCK, 40)
    assert_allclose(contour.x, X[0])
    assert_allclose(contour.y, Y[:, 0])
    assert_allclose(values(contour.customdata), Z, rtol=1e-6)  # the hover shows the true f (float32 is plenty)
    z = values(contour.z)
    assert z.shape == (40, 40)
    # log-spaced: the drawn height is log10 of f above its minimum, up to a tiny offset
    assert_allclose(10 ** z[Z > 1] - 10 ** z.min(), Z[Z > 1] - Z.min(), rtol=1e-3)
    ticks = contour.colorbar.ticktext
    assert len(ticks) >= 4 and all(float(t) > 0 for t in ticks)
    colors = set()
    for label, path in paths.items():
        trace = by_name(fig, label)
        assert trace.mode == "lines+markers"
        assert_allclose(trace.x, path.points[:, 0])
        assert_allclose(trace.y, path.points[:, 1])
        colors.add(trace.line.color)
    assert len(colors) == len(paths)  # one distinct colour per path


def test_contour_marks_start_minima_and_cut_points(paths):
    fig = contour_with_paths(ROSENBROCK, paths, resolution=20)
    assert_allclose(np.column_stack([by_name(fig, "start").x, by_name(fig, "start").y]), [ROSENBROCK.start])
    assert_allclose(np.column_stack([by_name(fig, "minimum").x, by_name(fig, "minimum").y]), ROSENBROCK.minima)
    cut = [label for label, p in paths.items() if p.diverged_at is not None]
    for label in cut:
        marker = by_name(fig, f"{label} cut")
        assert marker.marker.symbol == "x"
        assert_allclose([marker.x[0], marker.y[0]], cut_marker(paths[label].points, ROSENBROCK))
        assert paths[label].message in marker.hovertemplate
    labels = [a.text for a in fig.layout.annotations]
    assert sorted(labels) == sorted(f"{label} ✕ step {paths[label].diverged_at}" for label in cut)
    assert list(fig.layout.xaxis.range) == list(ROSENBROCK.x_range)
    assert list(fig.layout.yaxis.range) == list(ROSENBROCK.y_range)
    assert fig.layout.uirevision == ROSENBROCK.name


def test_cut_marker_is_the_last_point_or_where_the_path_crossed_the_edge():
    on_plot = np.array([[0.0, 0.0], [1.0, 2.0]])
    assert_allclose(cut_marker(on_plot, ROSENBROCK), [1.0, 2.0])
    # x range is (−2, 2): the segment from (1, 1) to (6, 1) leaves at x = 2
    assert_allclose(cut_marker(np.array([[0.0, 0.0], [1.0, 1.0], [6.0, 1.0], [9.0, 1.0]]), ROSENBROCK), [2.0, 1.0])
    # y range is (−1, 3): from (0, 2) to (1, 6) it leaves at y = 3, a quarter of the way
    assert_allclose(cut_marker(np.array([[0.0, 2.0], [1.0, 6.0]]), ROSENBROCK), [0.25, 3.0])


def test_saddle_contours_are_linear_and_have_no_minimum():
    saddle = SURFACES["Saddle"]
    path = compare_paths(saddle, saddle.start, {"SGD": OptimizerConfig("SGD", lr=0.1)}, 10)
    fig = contour_with_paths(saddle, path, resolution=15)
    assert_allclose(values(fig.data[0].z), grid_values(saddle, 15)[2], rtol=1e-6, atol=1e-6)
    assert not [t for t in fig.data if t.name == "minimum"]


def test_surface_3d_puts_paths_on_the_surface(paths):
    fig = surface_3d(ROSENBROCK, paths, resolution=30)
    surface = fig.data[0]
    assert isinstance(surface, go.Surface)
    assert values(surface.z).shape == (30, 30)
    for label, path in paths.items():
        trace = by_name(fig, label)
        assert isinstance(trace, go.Scatter3d)
        x, y = np.asarray(trace.x, dtype=float), np.asarray(trace.y, dtype=float)
        on_plot = (np.abs(path.points[:, 0]) <= 2) & (path.points[:, 1] >= -1) & (path.points[:, 1] <= 3)
        assert_allclose(x[on_plot], path.points[on_plot, 0])
        assert_allclose(y[on_plot], path.points[on_plot, 1])
        assert np.isnan(x[~on_plot]).all()  # off-plot points are gaps, not stretched axes
        z = np.asarray(trace.z, dtype=float)
        assert (np.diff(z) > 0).tolist() == (np.diff(path.losses) > 0).tolist()  # height follows the loss
    assert list(fig.layout.scene.xaxis.range) == list(ROSENBROCK.x_range)


def test_loss_curves_plot_each_loss_and_go_log_when_they_span_decades(paths):
    fig = loss_curves(paths)
    for label, path in paths.items():
        trace = by_name(fig, label)
        assert_allclose(trace.y, path.losses)
        assert_allclose(trace.x, np.arange(len(path.losses)))
        if path.diverged_at is not None:
            assert path.message in by_name(fig, f"{label} cut").hovertemplate
    assert fig.layout.yaxis.type == "log"
    flat = {"a": Path(np.zeros((3, 2)), np.array([3.0, 2.0, 1.0]))}
    assert loss_curves(flat).layout.yaxis.type != "log"
    negative = {"a": Path(np.zeros((3, 2)), np.array([1e3, 1.0, -5.0]))}
    assert loss_curves(negative).layout.yaxis.type != "log"


def test_spans_decades():
    assert spans_decades(np.array([100.0, 1.0]))
    assert not spans_decades(np.array([50.0, 1.0]))
    assert spans_decades(np.array([1e-3, 0.0, 10.0]))  # an exact 0 is not drawn on a log axis but harms nothing
    assert not spans_decades(np.array([1e3, -1.0]))


def test_lr_curves_draw_each_schedule():
    curves = {n: lr_curve(ScheduleConfig(n), 0.1, 50) for n in ("StepLR", "OneCycleLR")}
    fig = lr_curves(curves)
    assert [t.name for t in fig.data] == list(curves)
    for trace, lrs in zip(fig.data, curves.values()):
        assert_allclose(trace.y, lrs)
        assert_allclose(trace.x, np.arange(50))
    assert fig.layout.yaxis.type != "log"
    assert lr_curves(curves, log_y=True).layout.yaxis.type == "log"
