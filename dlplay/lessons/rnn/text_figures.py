"""Figures of the character model and the sentence classifier: arrays in, plotly specs out."""

from __future__ import annotations

import numpy as np

from dlplay.lessons.rnn.figures import DIVERGING
from dlplay.viz.spec import FONT, Spec, axis, figure, label
from dlplay.viz.training import COLORS

SHOWN = {" ": "␣", "\n": "⏎"}  # characters a heatmap cell could not show


def char_activation_figure(passage: str, activation: np.ndarray, unit: int, width: int = 60) -> Spec:
    """The passage as a grid of characters, each coloured by one hidden unit's value when the model read it."""
    rows = max(1, -(-len(passage) // width))  # ceil
    z = np.full(rows * width, np.nan)
    z[: len(passage)] = activation[: len(passage)]
    text = [SHOWN.get(c, c) for c in passage] + [""] * (rows * width - len(passage))
    grid = [text[r * width : (r + 1) * width] for r in range(rows)]
    heat = dict(type="heatmap", z=z.reshape(rows, width), text=grid, texttemplate="%{text}", textfont=dict(size=13),
                zmin=-1, zmax=1, colorscale=DIVERGING, colorbar=dict(title=label(f"h[{unit}]"), len=0.9),
                xgap=1, ygap=1, hovertemplate="'%{text}': %{z:.3f}<extra></extra>")
    return figure([heat], title=label(f"Hidden unit {unit} while reading a held-out passage (red > 0, blue < 0)"),
                  height=90 + 34 * rows, margin=dict(l=10, r=10, t=50, b=10), uirevision="keep", font=FONT,
                  xaxis=axis(visible=False), yaxis=axis(visible=False, autorange="reversed"))


def prefix_figure(words: list[str], prefix_positive: np.ndarray) -> Spec:
    """P(positive) after reading each word: how the prediction turns as the words arrive."""
    colors = [COLORS[2] if p >= 0.5 else COLORS[3] for p in prefix_positive]
    labels = [f"{i + 1}. {w}" for i, w in enumerate(words)]  # numbered: a repeated word stays its own bar
    bar = dict(type="bar", x=labels, y=prefix_positive, marker=dict(color=colors),
               hovertemplate="after '%{x}': P(positive) = %{y:.3f}<extra></extra>")
    half = dict(type="line", xref="paper", x0=0, x1=1, y0=0.5, y1=0.5, line=dict(dash="dot", color="gray"))
    return figure([bar], title=label("The prediction after each word (the model reads the sentence so far)"), height=340,
                  margin=dict(l=60, r=20, t=50, b=80), uirevision="keep", font=FONT, shapes=[half],
                  yaxis=axis("P(positive)", range=[0, 1.02], tickformat=".0%"), xaxis=axis(tickangle=-30))
