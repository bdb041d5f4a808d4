"""Evaluation figures (plotly specs): a confusion-matrix heatmap and a gallery of misclassified images."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from dlplay.viz.images import png_data_uri
from dlplay.viz.spec import Spec, axis, figure, label


def confusion_matrix_figure(matrix: np.ndarray, class_names: Sequence[str], title: str = "Confusion matrix") -> Spec:
    """Counts (true × predicted) as a heatmap with each count written in its cell; the diagonal is right."""
    matrix = np.asarray(matrix)
    k = len(class_names)
    if matrix.shape != (k, k):
        raise ValueError(f"a confusion matrix for {k} classes is ({k}, {k}), got {matrix.shape}")
    names = [str(c) for c in class_names]
    # Colour by the share of each true class, so a rare class's mistakes show as clearly as a common one's.
    share = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    heatmap = dict(
        type="heatmap", z=share, x=names, y=names, text=matrix, texttemplate="%{text}", textfont=dict(size=14),
        colorscale="Blues", zmin=0, zmax=1, colorbar=dict(title=label("share of<br>true class"), tickformat=".0%"),
        hovertemplate="true %{y} → predicted %{x}: %{text} images (%{z:.1%} of this class)<extra></extra>", xgap=1, ygap=1,
    )
    return figure(
        [heatmap], title=label(title), height=max(420, 42 * k + 140), font=dict(size=15),
        margin=dict(l=80, r=20, t=60, b=80),
        xaxis=axis("predicted class", type="category", tickfont=dict(size=15),
                   tickangle=-30 if max(map(len, names)) > 3 else 0),
        yaxis=axis("true class", type="category", autorange="reversed", tickfont=dict(size=15)),
    )


def _domains(n: int, spacing: float) -> list[list[float]]:
    """n equal intervals of [0, 1] with `spacing` between them, first to last (as make_subplots lays out cells)."""
    size = (1 - spacing * (n - 1)) / n
    return [[i * (size + spacing), i * (size + spacing) + size] for i in range(n)]


def misclassified_figure(
    images: np.ndarray,
    true_names: Sequence[str],
    pred_names: Sequence[str],
    confidence: Sequence[float],
    ncols: int = 8,
    title: str = "",
) -> Spec:
    """Images (N, C, H, W) in [0, 1], each titled with its true label, the prediction and the model's confidence.

    One small image trace per cell, each a PNG (a few hundred bytes, where its pixels as JSON would take ~8 KB)."""
    images = np.asarray(images, dtype=float)
    if images.ndim == 3:
        images = images[:, None]  # (N, H, W) → (N, 1, H, W)
    n = len(images)
    if not (len(true_names) == len(pred_names) == len(confidence) == n):
        raise ValueError("need one true name, predicted name and confidence per image")
    hidden = dict(visible=False)
    if n == 0:
        return figure([], title=label(title), height=200, xaxis=hidden, yaxis=hidden,
                      annotations=[dict(text="no misclassified images", showarrow=False, font=dict(size=18))])
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    titles = [f"true <b>{t}</b><br>predicted {p} ({c:.0%})" for t, p, c in zip(true_names, pred_names, confidence)]
    rgb = np.clip(images, 0, 1) * 255
    if rgb.shape[1] == 1:
        rgb = np.repeat(rgb, 3, axis=1)  # gray → (N, 3, H, W)
    rgb = rgb.transpose(0, 2, 3, 1).round().astype(np.uint8)  # (N, H, W, 3)
    columns = _domains(ncols, 0.02)
    rows = _domains(nrows, min(0.5 / nrows, 0.12))[::-1]  # row 0 at the top
    data, annotations, layout = [], [], {}
    for i in range(n):
        row, col = divmod(i, ncols)
        suffix = "" if i == 0 else str(i + 1)  # plotly's axis names: x, x2, x3, …
        data.append(dict(type="image", source=png_data_uri(torch.from_numpy(rgb[i])), xaxis=f"x{suffix}",
                         yaxis=f"y{suffix}", hovertemplate=f"{titles[i].replace('<br>', ' · ')}<extra></extra>"))
        layout[f"xaxis{suffix}"] = dict(domain=columns[col], anchor=f"y{suffix}", visible=False)
        layout[f"yaxis{suffix}"] = dict(domain=rows[row], anchor=f"x{suffix}", visible=False, autorange="reversed")
        annotations.append(dict(text=titles[i], x=sum(columns[col]) / 2, y=rows[row][1], xref="paper", yref="paper",
                                xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=13)))
    return figure(data, title=label(title), height=150 * nrows + (70 if title else 30), font=dict(size=15),
                  margin=dict(l=10, r=10, t=80 if title else 50, b=10), annotations=annotations, **layout)
