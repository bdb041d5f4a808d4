"""The GANs' figures as plotly specs: D's field with real and fake points and G's pull, the curves, the click canvas."""

from __future__ import annotations

import numpy as np
from plotly.colors import get_colorscale

from dlplay.lessons.generative.gan_targets import EXTENT
from dlplay.training.history import downsample
from dlplay.viz.spec import Spec, axis, figure, label

REAL, FAKE = "#1a9850", "#8e44ad"  # green for real, purple for generated, as GAN Lab
# Purple (D says fake) → white → green (D says real), spelled out: plotly.js knows no "PRGn" (plotly.py resolves it).
FIELD_SCALE = get_colorscale("PRGn")
FONT = dict(size=15)
ARROW = 0.18  # the longest arrow drawn, in plot units


def _square(title: str, height: int = 520, **layout) -> dict:
    """The layout of a view of the plane [−EXTENT, EXTENT]², one unit as long across as up."""
    return dict(title=label(title, font=dict(size=15)), height=height, margin=dict(l=40, r=10, t=60, b=40), font=FONT,
                uirevision="keep", legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0, font=dict(size=13)),
                xaxis=dict(range=[-EXTENT, EXTENT], zeroline=False, showgrid=False, constrain="domain"),
                yaxis=dict(range=[-EXTENT, EXTENT], zeroline=False, showgrid=False, scaleanchor="x", scaleratio=1),
                **layout)


def arrow_segments(points: np.ndarray, vectors: np.ndarray, longest: float = ARROW) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, y, marker sizes) of arrows from points along vectors (N, 2), scaled so the longest is `longest`, NaN-separated."""
    points, vectors = np.asarray(points, dtype=float), np.asarray(vectors, dtype=float)
    norm = np.linalg.norm(vectors, axis=1)
    scale = longest / norm.max() if len(norm) and norm.max() > 0 else 0.0
    tips = points + vectors * scale
    n = len(points)
    x, y = np.full(3 * n, np.nan), np.full(3 * n, np.nan)
    x[0::3], x[1::3] = points[:, 0], tips[:, 0]
    y[0::3], y[1::3] = points[:, 1], tips[:, 1]
    sizes = np.zeros(3 * n)
    sizes[1::3] = np.where(norm * scale > 0.01, 9, 0)  # an arrowhead at each tip long enough to point somewhere
    return x, y, sizes


def _points(X: np.ndarray, name: str, **marker) -> dict:
    return dict(type="scatter", x=X[:, 0], y=X[:, 1], mode="markers", name=name, hoverinfo="skip", marker=marker)


def gan2d_figure(axis_values: np.ndarray, field: np.ndarray | None, real: np.ndarray, fake: np.ndarray,
                 pull: np.ndarray | None = None, modes: np.ndarray | None = None, title: str = "") -> Spec:
    """D's verdict as a heatmap (G, G) behind real (green) and generated (purple) points, G's pull as arrows."""
    data = []
    if field is not None:
        data.append(dict(type="heatmap", x=axis_values, y=axis_values, z=field, zmin=0, zmax=1, colorscale=FIELD_SCALE,
                         opacity=0.6, name="D(x)", colorbar=dict(title=label("D(x)", side="top"), thickness=12, len=0.8),
                         hovertemplate="D(%{x:.2f}, %{y:.2f}) = %{z:.2f}<extra></extra>"))
    data.append(_points(real, "real", size=5, color=REAL, opacity=0.7))
    if pull is not None and len(fake):
        x, y, sizes = arrow_segments(fake, pull)
        data.append(dict(type="scatter", x=x, y=y, mode="lines+markers", name="G's gradient", hoverinfo="skip",
                         connectgaps=False, line=dict(color="rgba(60,60,60,0.55)", width=1),
                         marker=dict(symbol="arrow", angleref="previous", size=sizes, color="rgba(60,60,60,0.8)")))
    data.append(_points(fake, "generated", size=6, color=FAKE, line=dict(width=0.5, color="white")))
    if modes is not None and len(modes):
        data.append(_points(modes, "modes", symbol="circle-open", size=22, color="rgba(0,0,0,0.45)", line=dict(width=1.5)))
    return figure(data, **_square(title))


def _series_figure(traces: list[tuple[str, list[float], str]], title: str, y_range: list[float] | None,
                   x_title: str, max_points: int) -> Spec:
    data = []
    for name, values, color in traces:
        if values:
            x, y = downsample(np.arange(1, len(values) + 1), np.asarray(values), max_points)
            data.append(dict(type="scatter", x=x, y=y, mode="lines", name=name, line=dict(color=color, width=2)))
    y = axis(None, range=y_range) if y_range else axis(None)
    return figure(data, title=label(title, font=dict(size=15)), xaxis=axis(x_title), yaxis=y, height=250,
                  margin=dict(l=50, r=10, t=45, b=40), font=FONT, uirevision="keep",
                  legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1))


def gan_curves_figures(series: dict[str, list[float]], loss: str, max_points: int = 300) -> tuple[Spec, Spec]:
    """D's and G's losses, and D's mean verdict on real and generated samples, per round."""
    losses = _series_figure([("D loss", series.get("d_loss", []), "#1f77b4"), ("G loss", series.get("g_loss", []), "#ff7f0e")],
                            f"Losses ({loss})", None, "round", max_points)
    verdict = _series_figure([("D(real)", series.get("d_real", []), REAL), ("D(G(z))", series.get("d_fake", []), FAKE)],
                             "D's mean verdict", [-0.02, 1.02], "round", max_points)
    return losses, verdict


def distance_figure(eval_step: list[int], js: list[float], covered: list[float], n_modes: int,
                    max_points: int = 300) -> Spec:
    """The JS divergence between real and generated points and the modes covered, over rounds."""
    data = []
    if eval_step:
        x, y = downsample(eval_step, js, max_points)
        data.append(dict(type="scatter", x=x, y=y, mode="lines", name="JS divergence (bits)",
                         line=dict(color="#1f77b4", width=3)))
        x, y = downsample(eval_step, covered, max_points)
        data.append(dict(type="scatter", x=x, y=y, mode="lines", name=f"modes covered (of {n_modes})", yaxis="y2",
                         line=dict(color=FAKE, width=2, dash="dot")))
    return figure(data, title=label("Real vs generated, measured", font=dict(size=15)), xaxis=axis("round"),
                  yaxis=axis("JS (0 = same)", range=[0, 1.02]),
                  yaxis2=axis("modes covered", range=[0, n_modes + 0.3], overlaying="y", side="right", showgrid=False,
                              tickmode="linear", tick0=0, dtick=max(1, n_modes // 4)),
                  height=330, margin=dict(l=50, r=50, t=45, b=90), font=FONT, uirevision="keep",
                  legend=dict(orientation="h", yanchor="top", y=-0.3, x=0))


def canvas_figure(canvas: np.ndarray, points: np.ndarray) -> Spec:
    """The click canvas: faint snap points everywhere, the clicked points on top."""
    data = [dict(type="scatter", x=canvas[:, 0], y=canvas[:, 1], mode="markers", name="click anywhere", hoverinfo="none",
                 marker=dict(size=9, color="rgba(120,120,120,0.07)"), showlegend=False)]
    if len(points):
        data.append(_points(points, "your points", size=9, color=REAL))
    # No drag mode: in plotly a click selects a point only when dragging does not lasso or box (measured in Chromium);
    # the modebar's box and lasso tools still paint many points at once.
    return figure(data, **_square("Click to add a point · box or lasso (top right) to paint many", height=460,
                                  clickmode="event+select", dragmode=False))
