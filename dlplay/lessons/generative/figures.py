"""The VAE's figures: pure functions, arrays in, plotly figures out."""

from __future__ import annotations

import base64
import io

import numpy as np
import plotly.graph_objects as go
import torch
from PIL import Image
from plotly.colors import qualitative
from plotly.subplots import make_subplots
from torchvision.utils import make_grid

from dlplay.training.history import downsample

CLASS_COLORS = qualitative.D3  # ten colours, one per class
FONT = dict(size=15)
SIDE = 28


def png_uri(image: torch.Tensor | np.ndarray) -> str:
    """A gray image (H, W) in [0, 1] as a PNG data URI: far lighter for the browser than a z array of numbers."""
    array = np.asarray(torch.as_tensor(image).detach().float().clamp(0, 1).cpu().numpy() * 255, dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(array, mode="L").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _bare_axes(fig: go.Figure) -> go.Figure:
    fig.update_xaxes(visible=False, showgrid=False)
    fig.update_yaxes(visible=False, showgrid=False, scaleanchor="x")
    return fig


def images_figure(images: torch.Tensor, ncols: int = 8, labels: list[str] | None = None, title: str = "",
                  height: int | None = None) -> go.Figure:
    """Flat (B, 784) or (B, 1, 28, 28) gray images in [0, 1] as one grid (torchvision's make_grid), labels below."""
    images = images.detach().float().cpu().reshape(-1, 1, SIDE, SIDE)  # (B, 784) → (B, 1, 28, 28)
    fig = go.Figure()
    fig.update_layout(title=title, font=FONT, margin=dict(l=5, r=5, t=40 if title else 5, b=5), uirevision="keep")
    if len(images) == 0:
        fig.add_annotation(text="no images", showarrow=False)
        return _bare_axes(fig)
    ncols = max(1, min(ncols, len(images)))
    pad = 2
    grid = make_grid(images.clamp(0, 1), nrow=ncols, padding=pad, pad_value=1.0)[0]  # (H', W')
    fig.add_trace(go.Image(source=png_uri(grid), hoverinfo="skip"))
    if labels is not None:
        for i, label in enumerate(labels):
            row, col = divmod(i, ncols)
            fig.add_annotation(x=pad + col * (SIDE + pad) + SIDE / 2, y=(row + 1) * (SIDE + pad) + 0.5, text=str(label),
                               showarrow=False, yanchor="top", font=dict(size=13))
    rows = (len(images) + ncols - 1) // ncols
    extra = 18 * rows if labels is not None else 0
    if labels is not None:
        fig.update_yaxes(range=[rows * (SIDE + pad) + 14, 0])
    fig.update_layout(height=height or int(min(700, max(120, 60 + grid.shape[0] * 900 / max(grid.shape[1], 1)))) + extra)
    return _bare_axes(fig)


def vae_loss_figure(series: dict[str, list[float]], eval_step: list[int], evals: dict[str, list[float]], beta: float,
                    max_points: int = 300) -> go.Figure:
    """Reconstruction and KL, per step (faint) and on the test images (bold), side by side."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Reconstruction −log p(x|z) · nats per image",
                                                         f"KL(q(z|x) ‖ N(0, I)) · nats per image · β = {beta:g}"))
    for col, (name, test, color) in enumerate((("recon", "test_recon", CLASS_COLORS[0]), ("kl", "test_kl", CLASS_COLORS[1])), 1):
        values = series.get(name, [])
        if values:
            x, y = downsample(np.arange(1, len(values) + 1), np.asarray(values), max_points)
            fig.add_scatter(x=x, y=y, mode="lines", line=dict(color=color, width=1), opacity=0.4, name="batch",
                            showlegend=col == 1, legendgroup="batch", row=1, col=col)
        if evals.get(test):
            x, y = downsample(eval_step, evals[test], max_points)
            fig.add_scatter(x=x, y=y, mode="lines", line=dict(color=color, width=3), name="test images",
                            showlegend=col == 1, legendgroup="test", row=1, col=col)
    fig.update_xaxes(title_text="step")
    fig.update_layout(height=320, margin=dict(l=50, r=20, t=60, b=40), font=FONT, uirevision="keep",
                      legend=dict(orientation="h", yanchor="bottom", y=-0.35, x=0))
    fig.update_annotations(font_size=14)
    return fig


def _plane_axes(fig: go.Figure, half_span: tuple[float, float], projected: bool) -> go.Figure:
    names = ("principal axis 1", "principal axis 2") if projected else ("z₁", "z₂")
    fig.update_xaxes(range=[-half_span[0], half_span[0]], title_text=names[0], zeroline=False)
    fig.update_yaxes(range=[-half_span[1], half_span[1]], title_text=names[1], zeroline=False)
    return fig


def _picked_trace(picked: tuple[float, float] | None) -> list[go.Scatter]:
    if picked is None:
        return []
    return [go.Scatter(x=[picked[0]], y=[picked[1]], mode="markers", name="picked point", hoverinfo="skip",
                       marker=dict(symbol="x-thin", size=18, line=dict(width=4, color="black")))]


def latent_scatter_figure(ab: np.ndarray, labels: np.ndarray, classes: tuple[str, ...], half_span: tuple[float, float],
                          projected: bool = False, picked: tuple[float, float] | None = None, title: str = "") -> go.Figure:
    """Latent means (N, 2) of test images, one colour per class; customdata holds each point's test index."""
    fig = go.Figure()
    ab, labels = np.asarray(ab), np.asarray(labels)
    for c, name in enumerate(classes):
        index = np.nonzero(labels == c)[0]
        if len(index):
            fig.add_scatter(x=ab[index, 0], y=ab[index, 1], customdata=index, mode="markers", name=str(name),
                            marker=dict(size=6, color=CLASS_COLORS[c % len(CLASS_COLORS)], opacity=0.75),
                            hovertemplate=f"{name} · test image %{{customdata}}<extra></extra>")
    for trace in _picked_trace(picked):
        fig.add_trace(trace)
    fig.update_layout(title=title, height=440, margin=dict(l=50, r=10, t=50, b=40), font=FONT, uirevision="keep",
                      legend=dict(itemsizing="constant", font=dict(size=13)), clickmode="event+select", dragmode="pan")
    return _plane_axes(fig, half_span, projected)


def manifold_figure(mosaic: torch.Tensor, half_span: tuple[float, float], projected: bool = False,
                    picked: tuple[float, float] | None = None, title: str = "") -> go.Figure:
    """The decoded manifold (n·28, n·28), top row = largest b, placed on the latent plane's own axes."""
    mosaic = torch.as_tensor(mosaic).float()
    h, w = mosaic.shape
    # go.Image draws row i at y0 + i·dy on a rising axis: flip the rows so the top of the mosaic lands at the top.
    fig = go.Figure(go.Image(source=png_uri(mosaic.flip(0)), x0=-half_span[0], dx=2 * half_span[0] / w,
                             y0=-half_span[1], dy=2 * half_span[1] / h, hoverinfo="skip"))
    for trace in _picked_trace(picked):
        trace.marker.line.color = "#d62728"
        fig.add_trace(trace)
    fig.update_layout(title=title, height=440, margin=dict(l=50, r=10, t=50, b=40), font=FONT, uirevision="keep",
                      showlegend=False)
    fig = _plane_axes(fig, half_span, projected)
    fig.update_yaxes(autorange=None, scaleanchor="x")
    return fig


def kl_bars_figure(kl: np.ndarray, threshold: float) -> go.Figure:
    """Average KL of each latent dimension, the 'collapsed' threshold dotted."""
    kl = np.asarray(kl, dtype=float)
    colors = [CLASS_COLORS[0] if v > threshold else "#bbbbbb" for v in kl]
    fig = go.Figure(go.Bar(x=[f"z{i + 1}" for i in range(len(kl))], y=kl, marker_color=colors,
                           hovertemplate="%{x}: %{y:.3f} nats<extra></extra>"))
    fig.add_hline(y=threshold, line=dict(dash="dot", color="gray"))
    fig.update_layout(title="Information each latent dimension carries (KL, nats)", height=280, font=FONT,
                      margin=dict(l=50, r=10, t=50, b=40), uirevision="keep")
    return fig
