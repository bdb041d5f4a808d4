"""Figures of the CNN lab (plotly specs): learned kernels, feature maps as one grid per block, confusion, probabilities."""

from __future__ import annotations

import math

import numpy as np

from dlplay.lessons.cnn.figures_conv import DIVERGING, image_axes, image_trace
from dlplay.viz.spec import FONT, Spec, axis, figure, label

COLORS = ("#1f77b4", "#ff7f0e")  # CNN, MLP
# Low heat is transparent, so the picture shows through where nothing drove the answer.
HEAT = [[0.0, "rgba(255, 230, 0, 0)"], [0.3, "rgba(255, 190, 0, 0.25)"], [0.65, "rgba(255, 110, 0, 0.6)"],
        [1.0, "rgba(220, 0, 0, 0.85)"]]


def tile(maps: np.ndarray, ncols: int, pad: int = 1, fill: float = np.nan) -> np.ndarray:
    """Maps (N, H, W) laid out in a grid (rows × ncols) with `pad` cells of `fill` between them: (H', W')."""
    n, h, w = maps.shape
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    grid = np.full((nrows * (h + pad) - pad, ncols * (w + pad) - pad), fill, dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, ncols)
        grid[r * (h + pad) : r * (h + pad) + h, c * (w + pad) : c * (w + pad) + w] = maps[i]
    return grid


def _height(rows: int, cols: int, plot_width: int = 560) -> int:
    """A figure height that fits a grid of rows × cols cells drawn about plot_width pixels wide, title included."""
    return int(min(640, max(160, 60 + plot_width * rows / max(cols, 1))))


def kernel_grid_figure(weights: np.ndarray, title: str = "First-layer kernels") -> Spec:
    """Learned kernels (O, C, k, k) as one grid: grey input → a diverging map of each kernel's weights; RGB input →
    each kernel as a small colour image, scaled per kernel so grey = 0 (what colour and which edge it looks for)."""
    o, c, k, _ = weights.shape
    ncols = min(o, 16)
    if c == 3:
        bound = np.abs(weights).reshape(o, -1).max(axis=1).clip(min=1e-12)[:, None, None, None]
        scaled = 0.5 + 0.5 * weights / bound  # (O, 3, k, k) in [0, 1], 0.5 = a zero weight
        channels = [tile(scaled[:, i], ncols, fill=1.0) for i in range(3)]  # white between kernels
        data = [image_trace(np.stack(channels), name="kernels")]
        height, width = channels[0].shape
    else:
        grid = tile(weights[:, 0] / np.abs(weights).reshape(o, -1).max(axis=1).clip(min=1e-12)[:, None, None], ncols)
        height, width = grid.shape
        data = [dict(type="heatmap", z=grid, colorscale=DIVERGING, zmin=-1, zmax=1, zmid=0, showscale=False,
                     hovertemplate="%{z:.2f} of the kernel's largest |weight|<extra></extra>")]
    return figure(data, title=label(title), font=FONT, height=_height(height, width),
                  margin=dict(l=10, r=10, t=50, b=10), uirevision="cnn-kernels", **image_axes(height, width))


def feature_grid_figure(maps: np.ndarray, title: str, max_maps: int = 32, plot_width: int = 360) -> Spec:
    """A block's feature maps (C, H, W) as one grid, each map scaled to its own maximum (dark = silent channel);
    plot_width: about how wide the chart is drawn, so its height fits the grid."""
    maps = maps[:max_maps]
    peak = maps.reshape(len(maps), -1).max(axis=1).clip(min=1e-12)[:, None, None]
    ncols = min(8, math.ceil(math.sqrt(2 * len(maps))))  # 8 maps → 4 × 2, 16 → 6 × 3, 32 → 8 × 4
    grid = tile(maps / peak, ncols)
    h, w = grid.shape
    return figure([dict(type="heatmap", z=grid, colorscale="Viridis", zmin=0, zmax=1, showscale=False,
                        hovertemplate="%{z:.2f} of the map's peak<extra></extra>")],
                  title=label(title), font=FONT, height=_height(h, w, plot_width), margin=dict(l=10, r=10, t=50, b=10),
                  uirevision=f"cnn-fm-{title}", **image_axes(h, w))


def confusion_figure(matrix: np.ndarray, names: list[str], title: str) -> Spec:
    """Counts (C, C): rows true, columns predicted, each cell written."""
    return figure([dict(type="heatmap", z=matrix, x=names, y=names, colorscale="Blues", texttemplate="%{z}",
                        hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>", showscale=False)],
                  title=label(title), font=FONT, height=520, margin=dict(l=10, r=10, t=50, b=10),
                  xaxis=axis("predicted", type="category"), yaxis=axis("true", type="category", autorange="reversed"))


def probability_figure(probs: np.ndarray, names: list[str], title: str = "Class probabilities") -> Spec:
    """Softmax probabilities as horizontal bars, the predicted class highlighted."""
    best = int(np.argmax(probs))
    colors = ["#e8590c" if i == best else "#adb5bd" for i in range(len(probs))]
    return figure([dict(type="bar", x=probs, y=names, orientation="h", marker=dict(color=colors),
                        texttemplate="%{x:.1%}", textposition="outside", hovertemplate="%{y}: %{x:.2%}<extra></extra>")],
                  title=label(title), font=FONT, height=max(300, 30 * len(names) + 80), margin=dict(l=10, r=30, t=50, b=40),
                  xaxis=axis("probability", range=[0, 1.15], tickformat=".0%"),
                  yaxis=axis(None, type="category", autorange="reversed"), uirevision="cnn-probs")


def heat_figure(x: np.ndarray, heat: np.ndarray, title: str) -> Spec:
    """The input (C, H, W) with a heat map (H, W) in [0, 1] laid over it, half transparent."""
    h, w = heat.shape
    data = [image_trace(x), dict(type="heatmap", z=heat, colorscale=HEAT, zmin=0, zmax=1, colorbar=dict(thickness=12),
                                  hovertemplate="%{z:.2f}<extra></extra>")]
    return figure(data, title=label(title), font=FONT, height=380, margin=dict(l=10, r=10, t=50, b=10), showlegend=False,
                  uirevision="cnn-heat", **image_axes(h, w))


def drawing_figure(x: np.ndarray, title: str) -> Spec:
    """The model's input as it sees it (C, H, W)."""
    h, w = x.shape[1:]
    return figure([image_trace(x)], title=label(title), font=FONT, height=380, margin=dict(l=10, r=10, t=50, b=10),
                  showlegend=False, uirevision="cnn-drawing", **image_axes(h, w))


def shift_accuracy_figure(curves: dict[str, list[float]], title: str = "Accuracy on shifted test images") -> Spec:
    """Accuracy against the shift in pixels, one line per model."""
    data = [dict(type="scatter", x=list(range(len(acc))), y=acc, mode="lines+markers", name=name,
                 line=dict(color=COLORS[i % len(COLORS)], width=3), hovertemplate=f"{name}: %{{y:.1%}}<extra></extra>")
            for i, (name, acc) in enumerate(curves.items())]
    return figure(data, title=label(title), font=FONT, height=380, margin=dict(l=60, r=20, t=50, b=50),
                  xaxis=axis("shift (pixels, each of right, left, down, up)", dtick=1),
                  yaxis=axis("accuracy", range=[0, 1.02], tickformat=".0%"), hovermode="x unified", uirevision="cnn-shift-acc")

