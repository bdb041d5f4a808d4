"""The GANs' figures: D's field with real and fake points and G's pull, the curves, the click canvas."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dlplay.lessons.generative.gan_targets import EXTENT
from dlplay.training.history import downsample

REAL, FAKE = "#1a9850", "#8e44ad"  # green for real, purple for generated, as GAN Lab
FIELD_SCALE = "PRGn"  # purple (D says fake) → white → green (D says real)
FONT = dict(size=15)
ARROW = 0.18  # the longest arrow drawn, in plot units


def _square(fig: go.Figure, height: int = 520) -> go.Figure:
    fig.update_xaxes(range=[-EXTENT, EXTENT], zeroline=False, showgrid=False, constrain="domain")
    fig.update_yaxes(range=[-EXTENT, EXTENT], zeroline=False, showgrid=False, scaleanchor="x", scaleratio=1)
    fig.update_layout(height=height, margin=dict(l=40, r=10, t=50, b=40), font=FONT, uirevision="keep",
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0, font=dict(size=13)))
    return fig


def arrow_segments(points: np.ndarray, vectors: np.ndarray, longest: float = ARROW) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, y, marker sizes) of arrows from points along vectors (N, 2), scaled so the longest is `longest`, None-separated."""
    points, vectors = np.asarray(points, dtype=float), np.asarray(vectors, dtype=float)
    norm = np.linalg.norm(vectors, axis=1)
    scale = longest / norm.max() if len(norm) and norm.max() > 0 else 0.0
    tips = points + vectors * scale
    n = len(points)
    x = np.full(3 * n, np.nan)
    y = np.full(3 * n, np.nan)
    x[0::3], x[1::3] = points[:, 0], tips[:, 0]
    y[0::3], y[1::3] = points[:, 1], tips[:, 1]
    sizes = np.zeros(3 * n)
    sizes[1::3] = np.where(norm * scale > 0.01, 9, 0)  # an arrowhead at each tip that is long enough to point somewhere
    return x, y, sizes


def gan2d_figure(axis: np.ndarray, field: np.ndarray | None, real: np.ndarray, fake: np.ndarray,
                 pull: np.ndarray | None = None, modes: np.ndarray | None = None, title: str = "") -> go.Figure:
    """D's verdict as a heatmap (G, G) behind real (green) and generated (purple) points, G's pull as arrows."""
    fig = go.Figure()
    if field is not None:
        fig.add_heatmap(x=axis, y=axis, z=field, zmin=0, zmax=1, colorscale=FIELD_SCALE, opacity=0.6, showscale=True,
                        colorbar=dict(title=dict(text="D(x)", side="top"), thickness=12, len=0.8),
                        hovertemplate="D(%{x:.2f}, %{y:.2f}) = %{z:.2f}<extra></extra>", name="D(x)")
    fig.add_scatter(x=real[:, 0], y=real[:, 1], mode="markers", name="real", hoverinfo="skip",
                    marker=dict(size=5, color=REAL, opacity=0.7))
    if pull is not None and len(fake):
        x, y, sizes = arrow_segments(fake, pull)
        fig.add_scatter(x=x, y=y, mode="lines+markers", name="G's gradient", hoverinfo="skip", connectgaps=False,
                        line=dict(color="rgba(60,60,60,0.55)", width=1),
                        marker=dict(symbol="arrow", angleref="previous", size=sizes, color="rgba(60,60,60,0.8)"))
    fig.add_scatter(x=fake[:, 0], y=fake[:, 1], mode="markers", name="generated", hoverinfo="skip",
                    marker=dict(size=6, color=FAKE, line=dict(width=0.5, color="white")))
    if modes is not None and len(modes):
        fig.add_scatter(x=modes[:, 0], y=modes[:, 1], mode="markers", name="modes", hoverinfo="skip",
                        marker=dict(symbol="circle-open", size=22, color="rgba(0,0,0,0.45)", line=dict(width=1.5)))
    fig.update_layout(title=title)
    return _square(fig)


def gan_curves_figure(series: dict[str, list[float]], loss: str, max_points: int = 300) -> go.Figure:
    """D's and G's losses (top) and D's mean verdict on real and generated samples (below), per round."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.14,
                        subplot_titles=(f"Losses ({loss})", "D's mean verdict on real and generated samples"))
    for row, name, label, color in ((1, "d_loss", "D loss", "#1f77b4"), (1, "g_loss", "G loss", "#ff7f0e"),
                                    (2, "d_real", "D(real)", REAL), (2, "d_fake", "D(G(z))", FAKE)):
        values = series.get(name, [])
        if values:
            x, y = downsample(np.arange(1, len(values) + 1), np.asarray(values), max_points)
            fig.add_scatter(x=x, y=y, mode="lines", name=label, line=dict(color=color, width=2), row=row, col=1)
    fig.update_yaxes(range=[-0.02, 1.02], row=2, col=1)
    fig.update_xaxes(title_text="round", row=2, col=1)
    fig.update_layout(height=430, margin=dict(l=50, r=10, t=40, b=40), font=FONT, uirevision="keep",
                      legend=dict(orientation="h", yanchor="bottom", y=-0.3, x=0))
    fig.update_annotations(font_size=14)
    return fig


def distance_figure(eval_step: list[int], js: list[float], covered: list[float], n_modes: int,
                    max_points: int = 300) -> go.Figure:
    """The JS divergence between real and generated points and the modes covered, over rounds."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    if eval_step:
        x, y = downsample(eval_step, js, max_points)
        fig.add_scatter(x=x, y=y, mode="lines", name="JS divergence (bits)", line=dict(color="#1f77b4", width=3))
        x, y = downsample(eval_step, covered, max_points)
        fig.add_scatter(x=x, y=y, mode="lines", name=f"modes covered (of {n_modes})", line=dict(color=FAKE, width=2, dash="dot"),
                        secondary_y=True)
    fig.update_yaxes(range=[0, 1.02], title_text="JS (0 = same)", secondary_y=False)
    fig.update_yaxes(range=[0, n_modes + 0.3], title_text="modes covered", secondary_y=True, showgrid=False)
    fig.update_xaxes(title_text="round")
    fig.update_layout(title="Real vs generated, measured", height=300, margin=dict(l=50, r=50, t=50, b=40), font=FONT,
                      uirevision="keep", legend=dict(orientation="h", yanchor="bottom", y=-0.5, x=0))
    return fig


def canvas_figure(canvas: np.ndarray, points: np.ndarray) -> go.Figure:
    """The click canvas: faint snap points everywhere, the clicked points on top."""
    fig = go.Figure()
    fig.add_scatter(x=canvas[:, 0], y=canvas[:, 1], mode="markers", name="click anywhere", hoverinfo="none",
                    marker=dict(size=9, color="rgba(120,120,120,0.07)"), showlegend=False)
    if len(points):
        fig.add_scatter(x=points[:, 0], y=points[:, 1], mode="markers", name="your points", hoverinfo="skip",
                        marker=dict(size=9, color=REAL))
    fig.update_layout(title="Click to add a point · drag a box or lasso to paint many", clickmode="event+select",
                      dragmode="lasso")
    return _square(fig, height=460)
