"""The VAE's figures as plotly specs (plain dicts): pure functions, arrays in, figure out."""

from __future__ import annotations

import numpy as np
import torch
from plotly.colors import qualitative
from torchvision.utils import make_grid

from dlplay.training.history import downsample
from dlplay.viz.images import png_data_uri
from dlplay.viz.spec import Spec, axis, figure, label

CLASS_COLORS = qualitative.D3  # ten colours, one per class
FONT = dict(size=15)
SIDE = 28


def png_uri(gray: torch.Tensor | np.ndarray) -> str:
    """A gray image (H, W) in [0, 1] as a one-channel PNG data URI (RGB took longer to encode)."""
    return png_data_uri((torch.as_tensor(gray).detach().float().clamp(0, 1).cpu() * 255).round().byte().numpy())


def images_figure(images: torch.Tensor, ncols: int = 8, labels: list[str] | None = None, title: str = "",
                  height: int | None = None) -> Spec:
    """Flat (B, 784) or (B, 1, 28, 28) gray images in [0, 1] as one grid (torchvision's make_grid), labels above."""
    images = images.detach().float().cpu().reshape(-1, 1, SIDE, SIDE)  # (B, 784) → (B, 1, 28, 28)
    layout = dict(title=label(title), font=FONT, margin=dict(l=5, r=5, t=40 if title else 5, b=5), uirevision="keep",
                  xaxis=dict(visible=False), yaxis=dict(visible=False, autorange="reversed"))
    if len(images) == 0:
        return figure([], annotations=[dict(text="no images", showarrow=False)], **layout)
    ncols = max(1, min(ncols, len(images)))
    pad = SIDE // 3 if labels is not None else 2  # room above each image for its label
    grid = make_grid(images.clamp(0, 1), nrow=ncols, padding=pad, pad_value=1.0)[0]  # (H', W'): one channel of three
    annotations = []
    for i, text in enumerate(labels or []):
        row, col = divmod(i, ncols)
        annotations.append(dict(x=pad + col * (SIDE + pad) + SIDE / 2, y=pad + row * (SIDE + pad) - pad / 2,
                                text=str(text), showarrow=False, font=dict(size=14, color="black")))
    image = dict(type="image", source=png_uri(grid), hoverinfo="skip")
    auto = int(min(700, max(120, 60 + 800 * grid.shape[0] / grid.shape[1])))
    return figure([image], annotations=annotations, height=height or auto, **layout)


def curve_figure(values: list[float], eval_step: list[int], eval_values: list[float], title: str, color: str,
                 y_title: str = "nats per image", max_points: int = 300) -> Spec:
    """A per-step series (faint) and its measurements on the test images (bold) against the step."""
    data = []
    if values:
        x, y = downsample(np.arange(1, len(values) + 1), np.asarray(values), max_points)
        data.append(dict(type="scatter", x=x, y=y, mode="lines", name="batch", line=dict(color=color, width=1),
                         opacity=0.4))
    if eval_values:
        x, y = downsample(eval_step, eval_values, max_points)
        data.append(dict(type="scatter", x=x, y=y, mode="lines", name="test images", line=dict(color=color, width=3)))
    return figure(data, title=label(title, font=dict(size=15)), xaxis=axis("step"), yaxis=axis(y_title), height=300,
                  margin=dict(l=55, r=10, t=45, b=40), font=FONT, uirevision="keep",
                  legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1))


def vae_loss_figures(series: dict[str, list[float]], eval_step: list[int], evals: dict[str, list[float]],
                     beta: float) -> tuple[Spec, Spec]:
    """The two terms of the loss, apart: reconstruction, and the KL that β weighs."""
    recon = curve_figure(series.get("recon", []), eval_step, evals.get("test_recon", []),
                         "Reconstruction −log p(x|z)", CLASS_COLORS[0])
    kl = curve_figure(series.get("kl", []), eval_step, evals.get("test_kl", []),
                      f"KL(q(z|x) ‖ N(0, I)) · weighed by β = {beta:g}", CLASS_COLORS[1])
    return recon, kl


def _plane_axes(half_span: tuple[float, float], projected: bool) -> dict:
    names = ("principal axis 1", "principal axis 2") if projected else ("z₁", "z₂")
    return dict(xaxis=axis(names[0], range=[-half_span[0], half_span[0]], zeroline=False),
                yaxis=axis(names[1], range=[-half_span[1], half_span[1]], zeroline=False))


def _picked_trace(picked: tuple[float, float] | None, color: str = "black") -> list[dict]:
    if picked is None:
        return []
    return [dict(type="scatter", x=[picked[0]], y=[picked[1]], mode="markers", name="picked point", hoverinfo="skip",
                 marker=dict(symbol="x-thin", size=18, line=dict(width=4, color=color)))]


def latent_scatter_figure(ab: np.ndarray, labels: np.ndarray, classes: tuple[str, ...], half_span: tuple[float, float],
                          projected: bool = False, picked: tuple[float, float] | None = None, title: str = "") -> Spec:
    """Latent means (N, 2) of test images, one colour per class; customdata holds each point's test index."""
    ab, labels = np.asarray(ab), np.asarray(labels)
    data = []
    for c, name in enumerate(classes):
        index = np.nonzero(labels == c)[0]
        if len(index):
            data.append(dict(type="scatter", x=ab[index, 0], y=ab[index, 1], customdata=index, mode="markers",
                             name=str(name), marker=dict(size=6, color=CLASS_COLORS[c % len(CLASS_COLORS)], opacity=0.75),
                             hovertemplate=f"{name} · test image %{{customdata}}<extra></extra>"))
    return figure(data + _picked_trace(picked), title=label(title, font=dict(size=15)), height=440,
                  margin=dict(l=50, r=10, t=50, b=40), font=FONT, uirevision="keep", clickmode="event+select",
                  dragmode="pan", legend=dict(itemsizing="constant", font=dict(size=13)),
                  **_plane_axes(half_span, projected))


def manifold_figure(mosaic: torch.Tensor, half_span: tuple[float, float], projected: bool = False,
                    picked: tuple[float, float] | None = None, title: str = "") -> Spec:
    """The decoded manifold (n·28, n·28), top row = largest b, placed on the latent plane's own axes."""
    mosaic = torch.as_tensor(mosaic).float()
    h, w = mosaic.shape
    # An image trace draws row i at y0 + i·dy on a rising axis: flip the rows so the top of the mosaic lands on top.
    image = dict(type="image", source=png_uri(mosaic.flip(0)), x0=-half_span[0], dx=2 * half_span[0] / w,
                 y0=-half_span[1], dy=2 * half_span[1] / h, hoverinfo="skip")
    layout = _plane_axes(half_span, projected)
    layout["yaxis"].update(scaleanchor="x", autorange=False)
    return figure([image, *_picked_trace(picked, "#d62728")], title=label(title, font=dict(size=15)), height=440,
                  margin=dict(l=50, r=10, t=50, b=40), font=FONT, uirevision="keep", showlegend=False, **layout)


def kl_bars_figure(kl: np.ndarray, threshold: float) -> Spec:
    """Average KL of each latent dimension, the 'unused' threshold dotted."""
    kl = np.asarray(kl, dtype=float)
    colors = [CLASS_COLORS[0] if v > threshold else "#bbbbbb" for v in kl]
    bars = dict(type="bar", x=[f"z{i + 1}" for i in range(len(kl))], y=kl, marker=dict(color=colors),
                hovertemplate="%{x}: %{y:.3f} nats<extra></extra>")
    line = dict(type="line", xref="paper", x0=0, x1=1, y0=threshold, y1=threshold, line=dict(dash="dot", color="gray"))
    return figure([bars], title=label("Information each latent dimension carries (KL, nats)", font=dict(size=15)),
                  height=280, font=FONT, margin=dict(l=50, r=10, t=50, b=40), uirevision="keep", shapes=[line])
