"""Loss curves (plotly specs): each loss and its gradient against the prediction, side by side."""

from __future__ import annotations

import numpy as np
from plotly.colors import qualitative

from dlplay.viz.spec import Spec, axis, figure, label

COLORS = {"MSE": qualitative.D3[0], "L1": qualitative.D3[1], "Huber": qualitative.D3[2], "BCE": qualitative.D3[3],
          "Cross-entropy": qualitative.D3[4]}
SPACING = 0.1  # the gap between the two panels, as a fraction of the width
LEFT, RIGHT = [0.0, (1 - SPACING) / 2], [(1 + SPACING) / 2, 1.0]  # x domains of the loss and the gradient panels


def _range(values: list[np.ndarray], clip: float | None) -> list[float] | None:
    """A y range that shows every curve but stops at ±clip, where a gradient runs off to infinity."""
    if clip is None:
        return None
    finite = np.concatenate([v[np.isfinite(v)] for v in values]) if values else np.zeros(1)
    lo, hi = max(float(finite.min()), -clip), min(float(finite.max()), clip)
    pad = 0.05 * (hi - lo or 1.0)
    return [lo - pad, hi + pad]


def _panel_title(text: str, domain: list[float]) -> dict:
    """A title centred above one panel (what make_subplots writes as subplot_titles)."""
    return dict(text=text, x=sum(domain) / 2, y=1.0, xref="paper", yref="paper", xanchor="center", yanchor="bottom",
                showarrow=False, font=dict(size=16))


def loss_curves_figure(
    x: np.ndarray,
    losses: dict[str, np.ndarray],
    grads: dict[str, np.ndarray],
    title: str,
    x_title: str,
    target: float | None = None,  # a dotted vertical line where the prediction equals the target
    grad_clip: float | None = None,  # the gradient panel's y axis stops at ±grad_clip
    x_range: tuple[float, float] | None = None,  # both panels' x axis (e.g. [0, 1] for a probability)
) -> Spec:
    """Loss (left) and its gradient ∂L/∂x (right) against x, one colour per loss."""
    x = np.asarray(x, dtype=float)
    data = []
    for name, values in losses.items():
        color = COLORS.get(name, qualitative.D3[len(data) % 10])
        data.append(dict(type="scatter", x=x, y=np.asarray(values, dtype=float), mode="lines", name=name, legendgroup=name,
                         line=dict(color=color, width=3), xaxis="x", yaxis="y"))
        if name in grads:
            data.append(dict(type="scatter", x=x, y=np.asarray(grads[name], dtype=float), mode="lines",
                             name=f"{name} gradient", legendgroup=name, showlegend=False,
                             line=dict(color=color, width=3, dash="dash"), xaxis="x2", yaxis="y2"))
    shapes = []
    if target is not None:
        shapes += [dict(type="line", x0=target, x1=target, xref=xref, y0=0, y1=1, yref=f"{yref} domain",
                        line=dict(color="gray", dash="dot", width=2)) for xref, yref in (("x", "y"), ("x2", "y2"))]
    shapes.append(dict(type="line", x0=0, x1=1, xref="x2 domain", y0=0, y1=0, yref="y2",
                       line=dict(color="lightgray", width=1)))
    x_options = dict(range=list(x_range)) if x_range else {}
    y2 = dict(anchor="x2")
    y_range = _range([np.asarray(g, dtype=float) for g in grads.values()], grad_clip)
    if y_range is not None:
        y2["range"] = y_range
    return figure(
        data, title=label(title), height=380, font=dict(size=15), margin=dict(l=60, r=20, t=80, b=50),
        hovermode="x unified", legend=dict(orientation="h", yanchor="bottom", y=1.08, xanchor="right", x=1),
        xaxis=axis(x_title, domain=LEFT, anchor="y", **x_options), yaxis=dict(anchor="x"),
        xaxis2=axis(x_title, domain=RIGHT, anchor="y2", **x_options), yaxis2=y2, shapes=shapes,
        annotations=[_panel_title("loss L", LEFT), _panel_title(f"gradient ∂L/∂{x_title.split()[0]}", RIGHT)],
    )
