"""Figures of the character model and the sentence classifier: arrays in, plotly figures out."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from dlplay.viz.training import COLORS

SHOWN = {" ": "␣", "\n": "⏎"}  # characters a heatmap cell could not show


def char_activation_figure(passage: str, activation: np.ndarray, unit: int, width: int = 60) -> go.Figure:
    """The passage as a grid of characters, each coloured by one hidden unit's value when the model read it."""
    rows = max(1, -(-len(passage) // width))  # ceil
    z = np.full(rows * width, np.nan)
    z[: len(passage)] = activation[: len(passage)]
    text = np.array([SHOWN.get(c, c) for c in passage] + [""] * (rows * width - len(passage)), dtype=object)
    fig = go.Figure(go.Heatmap(
        z=z.reshape(rows, width), text=text.reshape(rows, width), texttemplate="%{text}", textfont=dict(size=13),
        zmin=-1, zmax=1, colorscale="RdBu_r", colorbar=dict(title=f"h[{unit}]", len=0.9), xgap=1, ygap=1,
        hovertemplate="'%{text}': %{z:.3f}<extra></extra>",
    ))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed")
    fig.update_layout(title=f"Hidden unit {unit} while reading a held-out passage (red > 0, blue < 0)",
                      height=90 + 34 * rows, margin=dict(l=10, r=10, t=50, b=10), uirevision="keep", font=dict(size=14))
    return fig


def prefix_figure(words: list[str], prefix_positive: np.ndarray) -> go.Figure:
    """P(positive) after reading each word: how the prediction turns as the words arrive."""
    colors = [COLORS[2] if p >= 0.5 else COLORS[3] for p in prefix_positive]
    labels = [f"{i + 1}. {w}" for i, w in enumerate(words)]  # numbered: a repeated word stays its own bar
    fig = go.Figure(go.Bar(x=labels, y=prefix_positive, marker_color=colors,
                           hovertemplate="after '%{x}': P(positive) = %{y:.3f}<extra></extra>"))
    fig.add_hline(y=0.5, line=dict(dash="dot", color="gray"))
    fig.update_yaxes(title="P(positive)", range=[0, 1.02], tickformat=".0%")
    fig.update_xaxes(tickangle=-30)
    fig.update_layout(title="The prediction after each word (the model reads the sentence so far)", height=340,
                      margin=dict(l=60, r=20, t=50, b=80), uirevision="keep", font=dict(size=14))
    return fig
