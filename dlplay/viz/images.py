"""Grids of images with their labels."""

from __future__ import annotations

import plotly.graph_objects as go
import torch
from torchvision.utils import make_grid


def image_grid_figure(
    images: torch.Tensor, labels: list[str] | None = None, ncols: int = 8, title: str = ""
) -> go.Figure:
    """A grid of images (N, C, H, W) in [0, 1], grayscale shown as gray, each labelled above."""
    images = images.detach().float().cpu()
    if images.ndim == 3:
        images = images.unsqueeze(1)  # (N, 1, H, W)
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"expected images of shape (N, 1 or 3, H, W), got {tuple(images.shape)}")
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"got {len(labels)} labels for {len(images)} images")
    fig = go.Figure()
    fig.update_layout(title=title, font=dict(size=15), margin=dict(l=10, r=10, t=50 if title else 10, b=10))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    if len(images) == 0:
        fig.add_annotation(text="no images to show", showarrow=False, font=dict(size=18))
        return fig

    n, _, h, w = images.shape
    ncols = max(1, min(ncols, n))
    pad = max(2, h // 3) if labels is not None else 2  # room above each image for its label
    grid = make_grid(images.clamp(0, 1), nrow=ncols, padding=pad, pad_value=1.0)  # (3, H', W'): gray → 3 channels
    rgb = (grid * 255).round().byte().permute(1, 2, 0).numpy()  # (H', W', 3) for go.Image
    fig.add_trace(go.Image(z=rgb, hovertemplate="x %{x}, y %{y}<extra></extra>"))
    if labels is not None:
        for i, label in enumerate(labels):
            row, col = divmod(i, ncols)
            x = pad + col * (w + pad) + w / 2  # centre of the image's column
            y = pad + row * (h + pad) - pad / 2  # middle of the padding above it
            fig.add_annotation(x=x, y=y, text=str(label), showarrow=False, font=dict(size=14, color="black"))
    fig.update_layout(height=int(min(900, max(200, 800 * grid.shape[1] / grid.shape[2]))) + (40 if title else 0))
    return fig
