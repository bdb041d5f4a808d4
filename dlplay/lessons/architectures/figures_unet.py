"""Figures of the U-Net lab (plotly specs): masks beside the truth, mask metrics, feature maps, checkerboards."""

from __future__ import annotations

import numpy as np
import torch

from dlplay.lessons.architectures.figures import legend_below
from dlplay.training.history import History, downsample
from dlplay.viz.images import png_data_uri
from dlplay.viz.spec import FONT, Spec, axis, figure, label
from dlplay.viz.training import COLORS, curve_layout, line

METRICS = {"val_iou": ("IoU", None), "val_dice": ("Dice", "dash"), "val_boundary_iou": ("boundary IoU", "dot")}
PAD = 2  # pixels of white between the tiles of a mosaic
PLOT_WIDTH = 740  # about how wide a full-width chart's plot area is drawn (the page's width less the labels' margin)


def _mosaic(rows: list[np.ndarray]) -> np.ndarray:
    """Rows of tiles, each (K, h, w) in [0, 1] with the same h and w, as one grey picture (H', W') with white gaps."""
    k, h, w = rows[0].shape
    out = np.ones((len(rows) * (h + PAD) - PAD, k * (w + PAD) - PAD), dtype=np.float32)
    for r, tiles in enumerate(rows):
        for c in range(k):
            out[r * (h + PAD) : r * (h + PAD) + h, c * (w + PAD) : c * (w + PAD) + w] = tiles[c]
    return out


def _grey_png(picture: np.ndarray) -> str:
    rgb = torch.from_numpy((np.clip(picture, 0, 1) * 255).round().astype(np.uint8))[..., None].expand(-1, -1, 3)
    return png_data_uri(rgb.contiguous())  # (H, W, 3)


def _row_labels(names: list[str], tile_height: int) -> list[dict]:
    """Labels left of each row of a mosaic, in data coordinates (the image's pixels)."""
    return [dict(x=0, xref="paper", xanchor="right", xshift=-8, y=r * (tile_height + PAD) + tile_height / 2, yref="y",
                 text=name, showarrow=False, font=dict(size=14)) for r, name in enumerate(names)]


def _picture_figure(picture: np.ndarray, names: list[str], tile_height: int, title: str, uirevision: str,
                    height: int | None = None) -> Spec:
    h, w = picture.shape
    image = dict(type="image", source=_grey_png(picture), hovertemplate="x %{x}, y %{y}<extra></extra>")
    scale = min(6.0, PLOT_WIDTH / w)  # screen pixels per image pixel when the picture fills the plot's width
    return figure([image], title=label(title), font=FONT, annotations=_row_labels(names, tile_height),
                  height=height or int(h * scale + 70), margin=dict(l=170, r=10, t=50, b=10), uirevision=uirevision,
                  xaxis=dict(visible=False, range=[-0.5, w - 0.5]),
                  yaxis=dict(visible=False, range=[h - 0.5, -0.5], scaleanchor="x"))


def masks_figure(images: torch.Tensor, truth: torch.Tensor, predictions: dict[str, torch.Tensor]) -> Spec:
    """Validation images (K, 1, S, S), their true masks and each net's predicted probability σ(logit), a row each."""
    rows = [images[:, 0].numpy(), truth[:, 0].numpy()] + [p[:, 0].float().numpy() for p in predictions.values()]
    names = ["image", "true mask"] + [f"{name}" for name in predictions]
    picture = _mosaic(rows)
    return _picture_figure(picture, names, images.shape[-2], "Masks: white = the net's probability of 'shape here'",
                           "arch-masks")


def metric_curves(histories: dict[str, History], max_points: int = 250) -> Spec:
    """Validation IoU (solid), Dice (dashed) and boundary IoU (dotted) against the step, a colour per net."""
    data = []
    for i, (name, h) in enumerate(histories.items()):
        for metric, (what, dash) in METRICS.items():
            values = h.extras.get(metric, [])
            if h.eval_step and values:
                x, y = downsample(h.eval_step, values, max_points)
                data.append(line(x, y, f"{name} · {what}", COLORS[i % len(COLORS)], dash=dash))
    return legend_below(figure(data, **curve_layout("Validation IoU, Dice and boundary IoU", "score", range=[0, 1.02])),
                        height=440)


def feature_maps_figure(features: dict[str, torch.Tensor], max_channels: int = 8) -> Spec:
    """Each level's first channels (C, h, w), every map scaled to its own range and shown at the image's size
    (nearest-neighbour), so a coarse level looks blocky; one row per level, encoder then decoder."""
    size = max(maps.shape[-1] for maps in features.values())
    rows, names = [], []
    k = min(max_channels, min(maps.shape[0] for maps in features.values()))
    for name, maps in features.items():
        maps = maps[:k].float()
        low = maps.flatten(1).min(dim=1).values.view(-1, 1, 1)
        high = maps.flatten(1).max(dim=1).values.view(-1, 1, 1)
        scaled = (maps - low) / (high - low).clamp_min(1e-8)  # (k, h, w) in [0, 1]
        factor = size // maps.shape[-1]
        big = scaled.repeat_interleave(factor, dim=-2).repeat_interleave(factor, dim=-1)  # (k, size, size)
        rows.append(big.numpy())
        names.append(f"{name} · {maps.shape[-1]}×{maps.shape[-2]}, {features[name].shape[0]} ch")
    picture = _mosaic(rows)
    return _picture_figure(picture, names, size, f"Feature maps (first {k} channels of each level)", "arch-features")


def checkerboard_figure(maps: dict[str, np.ndarray], title: str, colorscale: str = "Greys") -> Spec:
    """Maps (H, W) side by side as heatmaps, each with its own colour range, to compare their patterns."""
    n = max(len(maps), 1)
    data, layout, annotations = [], {}, []
    for i, (name, values) in enumerate(maps.items()):
        suffix = "" if i == 0 else str(i + 1)
        values = np.asarray(values, dtype=float)
        data.append(dict(type="heatmap", z=values, colorscale=colorscale, reversescale=True, showscale=False,
                         xaxis=f"x{suffix}", yaxis=f"y{suffix}", name=name,
                         hovertemplate=f"{name}<br>row %{{y}}, column %{{x}}: %{{z:.3g}}<extra></extra>"))
        start, end = i / n + 0.02, (i + 1) / n - 0.02
        layout[f"xaxis{suffix}"] = dict(visible=False, domain=[start, end])
        layout[f"yaxis{suffix}"] = dict(visible=False, autorange="reversed", anchor=f"x{suffix}", scaleanchor=f"x{suffix}")
        annotations.append(dict(text=f"<b>{name}</b>", x=(start + end) / 2, y=1.0, xref="paper", yref="paper",
                                yanchor="bottom", showarrow=False, font=dict(size=15)))
    return figure(data, title=label(title), font=FONT, height=360, margin=dict(l=10, r=10, t=80, b=10),
                  annotations=annotations, uirevision="arch-checkerboard", **layout)


def boundary_profile_figure(profiles: dict[str, np.ndarray], truth: np.ndarray) -> Spec:
    """One image row across a shape: the true mask and each net's probability, to see how sharp each edge is."""
    x = list(range(len(truth)))
    data = [dict(type="scatter", x=x, y=truth, mode="lines", name="true mask", line=dict(color="black", width=2, shape="hv"))]
    for i, (name, values) in enumerate(profiles.items()):
        data.append(line(x, values, name, COLORS[i % len(COLORS)]))
    return figure(data, title=label("Across one row of the image: probability vs the true edge"), font=FONT, height=300,
                  margin=dict(l=60, r=20, t=50, b=50), uirevision="arch-profile", xaxis=axis("column"),
                  yaxis=axis("probability", range=[-0.05, 1.05]),
                  legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1))
