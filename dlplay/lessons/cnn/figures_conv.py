"""Figures of the convolution lesson (plotly specs): the input with the window's taps, feature maps, products, pooling."""

from __future__ import annotations

import numpy as np

from dlplay.viz.spec import FONT, Spec, axis, figure, label

HIGHLIGHT = "#e8590c"  # the window and its output cell
DIVERGING = "RdBu_r"  # negative blue, zero white, positive red: a feature map's sign matters
GREYS = [[0.0, "black"], [1.0, "white"]]  # 0 black, 1 white, as images are shown


def image_axes(height: int, width: int, x_domain: tuple[float, float] = (0, 1), y_domain: tuple[float, float] = (0, 1),
                suffix: str = "") -> dict:
    """Axes for an image: row 0 at the top, square pixels, no ticks to read."""
    anchor_x, anchor_y = f"y{suffix}", f"x{suffix}"
    return {
        f"xaxis{suffix}": axis(None, range=[-0.5, width - 0.5], domain=list(x_domain), anchor=anchor_x, showgrid=False,
                               zeroline=False, showticklabels=False, constrain="domain"),
        f"yaxis{suffix}": axis(None, range=[height - 0.5, -0.5], domain=list(y_domain), anchor=anchor_y, showgrid=False,
                               zeroline=False, showticklabels=False, scaleanchor=f"x{suffix}", constrain="domain"),
    }


def image_trace(x: np.ndarray, suffix: str = "", name: str = "input") -> dict:
    """A grey heatmap (1 channel) or an RGB image (3 channels) of x (C, H, W) in [0, 1]."""
    ref = dict(xaxis=f"x{suffix}", yaxis=f"y{suffix}")
    if x.shape[0] == 3:
        rgb = (np.clip(x, 0, 1) * 255).round().astype(np.uint8).transpose(1, 2, 0)  # (H, W, 3)
        return dict(type="image", z=rgb, name=name, hovertemplate="row %{y}, col %{x}<br>RGB %{z}<extra></extra>", **ref)
    return dict(type="heatmap", z=x[0], colorscale=GREYS, zmin=0, zmax=1, showscale=False, name=name,
                hovertemplate="row %{y}, col %{x}: %{z:.2f}<extra></extra>", **ref)


def _box(x0: float, x1: float, y0: float, y1: float, suffix: str = "", color: str = HIGHLIGHT, width: float = 3) -> dict:
    return dict(type="rect", x0=x0, x1=x1, y0=y0, y1=y1, xref=f"x{suffix}", yref=f"y{suffix}",
                line=dict(color=color, width=width))


def input_figure(x: np.ndarray, padding: int, rows: list[int], cols: list[int], title: str) -> Spec:
    """The input (C, H, W) with its zero padding drawn, the window's taps marked and their span boxed."""
    c, h, w = x.shape
    p = padding
    padded = np.zeros((c, h + 2 * p, w + 2 * p), dtype=np.float32)
    padded[:, p : p + h, p : p + w] = x
    data = [image_trace(padded)]
    tap_x = [col + p for _ in rows for col in cols]  # every (row, col) pair of the window, in padded coordinates
    tap_y = [row + p for row in rows for _ in cols]
    data.append(dict(type="scatter", x=tap_x, y=tap_y, mode="markers", name="kernel taps", hoverinfo="skip",
                     marker=dict(symbol="square-open", size=9, color=HIGHLIGHT, line=dict(width=2))))
    shapes = [_box(min(cols) + p - 0.5, max(cols) + p + 0.5, min(rows) + p - 0.5, max(rows) + p + 0.5)]
    if p:
        shapes.append(_box(p - 0.5, p + w - 0.5, p - 0.5, p + h - 0.5, color="#868e96", width=1.5))  # the image's edge
    return figure(data, title=label(title), font=FONT, height=420, margin=dict(l=10, r=10, t=50, b=10), showlegend=False,
                  shapes=shapes, uirevision="cnn-input", **image_axes(h + 2 * p, w + 2 * p))


def feature_map_figure(feature_map: np.ndarray, cell: tuple[int, int] | None, title: str, height: int = 420) -> Spec:
    """A feature map (H, W) on a diverging scale centred at 0, one cell boxed."""
    h, w = feature_map.shape
    bound = float(np.abs(feature_map).max()) or 1.0
    data = [dict(type="heatmap", z=feature_map, colorscale=DIVERGING, zmin=-bound, zmax=bound, zmid=0,
                 hovertemplate="out[%{y}, %{x}] = %{z:.3f}<extra></extra>", colorbar=dict(thickness=12))]
    shapes = [] if cell is None else [_box(cell[1] - 0.5, cell[1] + 0.5, cell[0] - 0.5, cell[0] + 0.5)]
    return figure(data, title=label(title), font=FONT, height=height, margin=dict(l=10, r=10, t=50, b=10), shapes=shapes,
                  uirevision="cnn-map", **image_axes(h, w))


def products_figure(patch: np.ndarray, kernel: np.ndarray, products: np.ndarray, channel_names: list[str]) -> Spec:
    """Per channel (a row): the input patch, the kernel slice and their products, each cell written out."""
    c = patch.shape[0]
    columns = (("input patch", patch, GREYS, 0.0, 1.0), ("kernel slice", kernel, DIVERGING, None, None),
               ("input × kernel", products, DIVERGING, None, None))
    data, layout, annotations = [], {}, []
    gap = 0.04
    for r in range(c):
        y0 = 1 - (r + 1) / c + gap / 2
        y1 = 1 - r / c - gap / 2
        for col, (name, values, scale, low, high) in enumerate(columns):
            index = r * 3 + col
            suffix = "" if index == 0 else str(index + 1)
            x0, x1 = col / 3 + gap / 2, (col + 1) / 3 - gap / 2
            layout.update(image_axes(*values.shape[1:], (x0, x1), (y0, y1), suffix))
            bound = float(np.abs(values[r]).max()) or 1.0
            zmin, zmax = (low, high) if low is not None else (-bound, bound)
            data.append(dict(type="heatmap", z=values[r], colorscale=scale, zmin=zmin, zmax=zmax, showscale=False,
                             texttemplate="%{z:.2f}", textfont=dict(size=12), xaxis=f"x{suffix}", yaxis=f"y{suffix}",
                             hovertemplate=f"{name} [%{{y}}, %{{x}}] = %{{z:.4f}}<extra></extra>"))
            if r == 0:
                annotations.append(dict(text=f"<b>{name}</b>", x=(x0 + x1) / 2, y=1.0, xref="paper", yref="paper",
                                        yanchor="bottom", showarrow=False))
        if c > 1:
            annotations.append(dict(text=f"<b>{channel_names[r]}</b>", x=0, y=(y0 + y1) / 2, xref="paper", yref="paper",
                                    xanchor="right", showarrow=False, textangle=-90))
    size = patch.shape[-1]
    return figure(data, font=FONT, height=min(900, max(220, c * (60 + 34 * size))), annotations=annotations,
                  margin=dict(l=40 if c > 1 else 10, r=10, t=40, b=10), uirevision="cnn-products", **layout)


def shift_figure(maps: list[np.ndarray], titles: list[str]) -> Spec:
    """Feature maps side by side, each on its own diverging scale (original, shifted; conv, pooled)."""
    n = len(maps)
    data, layout, annotations = [], {}, []
    gap = 0.03
    for i, (values, title) in enumerate(zip(maps, titles)):
        suffix = "" if i == 0 else str(i + 1)
        x0, x1 = i / n + gap / 2, (i + 1) / n - gap / 2
        layout.update(image_axes(max(1, values.shape[0]), max(1, values.shape[1]), (x0, x1), (0, 0.9), suffix))
        bound = float(np.abs(values).max()) if values.size else 1.0
        data.append(dict(type="heatmap", z=values, colorscale=DIVERGING, zmin=-(bound or 1), zmax=bound or 1, showscale=False,
                         xaxis=f"x{suffix}", yaxis=f"y{suffix}", hovertemplate="[%{y}, %{x}] = %{z:.3f}<extra></extra>"))
        annotations.append(dict(text=title, x=(x0 + x1) / 2, y=0.93, xref="paper", yref="paper", yanchor="bottom",
                                showarrow=False, font=dict(size=14)))
    return figure(data, font=FONT, height=330, annotations=annotations, margin=dict(l=10, r=10, t=30, b=10),
                  uirevision="cnn-shift", **layout)
