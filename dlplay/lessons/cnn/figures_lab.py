"""Figures of the CNN lab: learned kernels and feature maps as one picture each (light to redraw live), and plotly
specs for the confusion matrix, probabilities, heat maps and the shift test."""

from __future__ import annotations

import math

import numpy as np
from plotly.colors import sample_colorscale

from dlplay.lessons.cnn.figures_conv import image_axes, image_trace
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


def _lut(colorscale: str) -> np.ndarray:
    """A plotly colour scale sampled at 256 levels: (256, 3) uint8."""
    rgb = sample_colorscale(colorscale, list(np.linspace(0, 1, 256)))
    return np.array([[int(float(v)) for v in c[c.index("(") + 1 : -1].split(",")] for c in rgb], dtype=np.uint8)


VIRIDIS, RDBU = _lut("Viridis"), _lut("RdBu_r")
GAP = np.array([255, 255, 255], dtype=np.uint8)  # white between the tiles


def colorize(values: np.ndarray, lut: np.ndarray, low: float, high: float) -> np.ndarray:
    """Values (H, W) mapped through a colour table over [low, high]; NaN cells white: (H, W, 3) uint8."""
    scaled = np.clip((np.nan_to_num(values, nan=low) - low) / max(high - low, 1e-12), 0, 1)
    image = lut[(scaled * 255).round().astype(np.intp)]
    image[np.isnan(values)] = GAP
    return image


def enlarge(image: np.ndarray, width: int = 420) -> np.ndarray:
    """An image (H, W, 3) repeated pixel by pixel up to about `width` pixels wide, so the browser shows it crisp."""
    factor = max(1, width // max(image.shape[1], 1))
    return image.repeat(factor, axis=0).repeat(factor, axis=1)


def kernel_grid_image(weights: np.ndarray) -> np.ndarray:
    """Learned kernels (O, C, k, k) as one picture (H, W, 3) uint8: grey input → each kernel on a diverging scale
    (blue −, white 0, red +); RGB input → each kernel as a small colour image (grey = 0). Each scaled to its own max."""
    o, c = weights.shape[:2]
    ncols = min(o, 16)
    bound = np.abs(weights).reshape(o, -1).max(axis=1).clip(min=1e-12)[:, None, None, None]
    scaled = weights / bound  # (O, C, k, k) in [-1, 1]
    if c == 3:
        rgb = np.stack([tile(0.5 + 0.5 * scaled[:, i], ncols) for i in range(3)], axis=-1)  # 0.5 = a zero weight
        gaps = np.isnan(rgb[..., 0])
        image = (np.nan_to_num(rgb).clip(0, 1) * 255).round().astype(np.uint8)
        image[gaps] = GAP
        return enlarge(image)
    return enlarge(colorize(tile(scaled[:, 0], ncols), RDBU, -1.0, 1.0))


def feature_grid_image(maps: np.ndarray, max_maps: int = 32, width: int = 360) -> np.ndarray:
    """A block's feature maps (C, H, W) as one picture (H', W', 3) uint8, each map scaled to its own maximum
    (dark = a channel silent on this image)."""
    maps = maps[:max_maps]
    peak = maps.reshape(len(maps), -1).max(axis=1).clip(min=1e-12)[:, None, None]
    ncols = min(8, math.ceil(math.sqrt(2 * len(maps))))  # 8 maps → 4 × 2, 16 → 6 × 3, 32 → 8 × 4
    return enlarge(colorize(tile(maps / peak, ncols), VIRIDIS, 0.0, 1.0), width)


def picture(x: np.ndarray, width: int = 280) -> np.ndarray:
    """An image (C, H, W) in [0, 1] as (H', W', 3) uint8, enlarged crisp."""
    rgb = np.repeat(x, 3, axis=0) if x.shape[0] == 1 else x
    return enlarge((rgb.clip(0, 1) * 255).round().astype(np.uint8).transpose(1, 2, 0), width)


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

