"""Loss curves: each loss and its gradient against the prediction, side by side."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

COLORS = {"MSE": qualitative.D3[0], "L1": qualitative.D3[1], "Huber": qualitative.D3[2], "BCE": qualitative.D3[3],
          "Cross-entropy": qualitative.D3[4]}


def _range(values: list[np.ndarray], clip: float | None) -> list[float] | None:
    """A y range that shows every curve but stops at ±clip, where a gradient runs off to infinity."""
    if clip is None:
        return None
    finite = np.concatenate([v[np.isfinite(v)] for v in values]) if values else np.zeros(1)
    lo, hi = max(float(finite.min()), -clip), min(float(finite.max()), clip)
    pad = 0.05 * (hi - lo or 1.0)
    return [lo - pad, hi + pad]


def loss_curves_figure(
    x: np.ndarray,
    losses: dict[str, np.ndarray],
    grads: dict[str, np.ndarray],
    title: str,
    x_title: str,
    target: float | None = None,  # a dotted vertical line where the prediction equals the target
    grad_clip: float | None = None,  # the gradient panel's y axis stops at ±grad_clip
    x_range: tuple[float, float] | None = None,  # both panels' x axis (e.g. [0, 1] for a probability)
) -> go.Figure:
    """Loss (left) and its gradient ∂L/∂x (right) against x, one colour per loss."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("loss L", f"gradient ∂L/∂{x_title.split()[0]}"),
                        horizontal_spacing=0.1)
    x = np.asarray(x, dtype=float)
    for name, values in losses.items():
        color = COLORS.get(name, qualitative.D3[len(fig.data) % 10])
        fig.add_scatter(x=x, y=np.asarray(values, dtype=float), mode="lines", name=name, legendgroup=name,
                        line=dict(color=color, width=3), row=1, col=1)
        if name in grads:
            fig.add_scatter(x=x, y=np.asarray(grads[name], dtype=float), mode="lines", name=f"{name} gradient",
                            legendgroup=name, showlegend=False, line=dict(color=color, width=3, dash="dash"), row=1, col=2)
    if target is not None:
        for col in (1, 2):
            fig.add_vline(x=target, line=dict(color="gray", dash="dot", width=2), row=1, col=col)
    fig.add_hline(y=0, line=dict(color="lightgray", width=1), row=1, col=2)
    fig.update_xaxes(title_text=x_title, range=list(x_range) if x_range else None)
    y_range = _range([np.asarray(g, dtype=float) for g in grads.values()], grad_clip)
    if y_range is not None:
        fig.update_yaxes(range=y_range, row=1, col=2)
    fig.update_layout(
        title=title, height=380, font=dict(size=15), margin=dict(l=60, r=20, t=80, b=50), hovermode="x unified",
        legend=dict(orientation="h", yanchor="bottom", y=1.08, xanchor="right", x=1),
    )
    fig.update_annotations(font_size=16)  # the subplot titles
    return fig
