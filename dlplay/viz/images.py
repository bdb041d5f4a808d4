"""Pictures as PNG, and grids of images with their labels (plotly specs) drawn as one PNG: light enough for live
redraws."""

from __future__ import annotations

import base64
import io

import numpy as np
import torch
from PIL import Image

from dlplay.viz.spec import Spec, figure, label


def png_bytes(image: np.ndarray | torch.Tensor, compress_level: int = 1) -> bytes:
    """A (H, W) grey or (H, W, 3) RGB uint8 picture as PNG bytes. Light compression: encoding is what a live redraw of
    pictures costs most (zlib's default level took 5× longer, measured on the generative page)."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image)).save(buffer, format="PNG", compress_level=compress_level)
    return buffer.getvalue()


def png_data_uri(image: np.ndarray | torch.Tensor) -> str:
    """A (H, W) grey or (H, W, 3) RGB uint8 picture as a data: URI holding a PNG."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(image)).decode("ascii")


def image_grid_figure(images: torch.Tensor, labels: list[str] | None = None, ncols: int = 8, title: str = "",
                      height: int | None = None) -> Spec:
    """A grid of images (N, C, H, W) in [0, 1], grayscale shown as gray, each labelled above."""
    images = images.detach().float().cpu()
    if images.ndim == 3:
        images = images.unsqueeze(1)  # (N, 1, H, W)
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"expected images of shape (N, 1 or 3, H, W), got {tuple(images.shape)}")
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"got {len(labels)} labels for {len(images)} images")
    layout = dict(title=label(title), font=dict(size=15), margin=dict(l=10, r=10, t=50 if title else 10, b=10),
                  xaxis=dict(visible=False), yaxis=dict(visible=False))
    if len(images) == 0:
        return figure([], annotations=[dict(text="no images to show", showarrow=False, font=dict(size=18))], **layout)

    n, _, h, w = images.shape
    ncols = max(1, min(ncols, n))
    pad = max(2, h // 3) if labels is not None else 2  # room above each image for its label
    from torchvision.utils import make_grid  # here: pages that only encode pictures need not import torchvision

    grid = make_grid(images.clamp(0, 1), nrow=ncols, padding=pad, pad_value=1.0)  # (3, H', W'): gray → 3 channels
    rgb = (grid * 255).round().byte().permute(1, 2, 0)  # (H', W', 3)
    annotations = []
    for i, text in enumerate(labels or []):
        row, col = divmod(i, ncols)
        x = pad + col * (w + pad) + w / 2  # centre of the image's column
        y = pad + row * (h + pad) - pad / 2  # middle of the padding above it
        annotations.append(dict(x=x, y=y, text=str(text), showarrow=False, font=dict(size=14, color="black")))
    image = dict(type="image", source=png_data_uri(rgb), hovertemplate="x %{x}, y %{y}<extra></extra>")
    auto_height = int(min(900, max(200, 800 * grid.shape[1] / grid.shape[2]))) + (40 if title else 0)
    layout["yaxis"] = dict(visible=False, autorange="reversed")  # images draw top-down
    return figure([image], annotations=annotations, height=height or auto_height, **layout)
