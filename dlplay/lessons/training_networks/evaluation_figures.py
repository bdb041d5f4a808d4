"""Evaluation figures: a confusion-matrix heatmap and a gallery of misclassified images."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots


def confusion_matrix_figure(matrix: np.ndarray, class_names: Sequence[str], title: str = "Confusion matrix") -> go.Figure:
    """Counts (true × predicted) as a heatmap with each count written in its cell; the diagonal is right."""
    matrix = np.asarray(matrix)
    k = len(class_names)
    if matrix.shape != (k, k):
        raise ValueError(f"a confusion matrix for {k} classes is ({k}, {k}), got {matrix.shape}")
    names = [str(c) for c in class_names]
    # Colour by the share of each true class, so a rare class's mistakes show as clearly as a common one's.
    share = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    fig = go.Figure(go.Heatmap(
        z=share, x=names, y=names, text=matrix, texttemplate="%{text}", textfont=dict(size=14),
        colorscale="Blues", zmin=0, zmax=1, colorbar=dict(title="share of<br>true class", tickformat=".0%"),
        hovertemplate="true %{y} → predicted %{x}: %{text} images (%{z:.1%} of this class)<extra></extra>", xgap=1, ygap=1,
    ))
    fig.update_layout(
        title=title, height=max(420, 42 * k + 140), font=dict(size=15), margin=dict(l=80, r=20, t=60, b=80),
        xaxis=dict(title="predicted class", type="category", tickfont=dict(size=15), tickangle=-30 if max(map(len, names)) > 3 else 0),
        yaxis=dict(title="true class", type="category", autorange="reversed", tickfont=dict(size=15)),
    )
    return fig


def misclassified_figure(
    images: np.ndarray,
    true_names: Sequence[str],
    pred_names: Sequence[str],
    confidence: Sequence[float],
    ncols: int = 8,
    title: str = "",
) -> go.Figure:
    """Images (N, C, H, W) in [0, 1], each titled with its true label, the prediction and the model's confidence."""
    images = np.asarray(images, dtype=float)
    if images.ndim == 3:
        images = images[:, None]  # (N, H, W) → (N, 1, H, W)
    n = len(images)
    if not (len(true_names) == len(pred_names) == len(confidence) == n):
        raise ValueError("need one true name, predicted name and confidence per image")
    if n == 0:
        fig = go.Figure()
        fig.add_annotation(text="no misclassified images", showarrow=False, font=dict(size=18))
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        return fig.update_layout(title=title, height=200)
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    titles = [f"true <b>{t}</b><br>predicted {p} ({c:.0%})" for t, p, c in zip(true_names, pred_names, confidence)]
    fig = make_subplots(rows=nrows, cols=ncols, subplot_titles=titles, horizontal_spacing=0.02,
                        vertical_spacing=min(0.5 / nrows, 0.12))
    rgb = np.clip(images, 0, 1) * 255
    if rgb.shape[1] == 1:
        rgb = np.repeat(rgb, 3, axis=1)  # gray → (N, 3, H, W)
    rgb = rgb.transpose(0, 2, 3, 1).round().astype(np.uint8)  # (N, H, W, 3) for go.Image
    for i in range(n):
        row, col = divmod(i, ncols)
        fig.add_trace(go.Image(z=rgb[i], hovertemplate=f"{titles[i].replace('<br>', ' · ')}<extra></extra>"),
                      row=row + 1, col=col + 1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_annotations(font_size=13)
    fig.update_layout(title=title, height=150 * nrows + (70 if title else 30), font=dict(size=15),
                      margin=dict(l=10, r=10, t=80 if title else 50, b=10))
    return fig
