"""Activation figures: curves and derivatives, softmax probability bars, gradient norms through a deep stack."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from dlplay.lessons.activations.activations import ACTIVATION_NAMES

# One fixed colour per activation, so Sigmoid is the same blue in every chart of the page.
COLORS = {name: qualitative.D3[i % len(qualitative.D3)] for i, name in enumerate(ACTIVATION_NAMES)}
FONT = dict(size=17, color="#111111")  # readable from the back of a classroom
AXIS = dict(tickfont=dict(size=16, color="#222222"), title_font=dict(size=19, color="#111111"), zeroline=True,
            zerolinewidth=2, zerolinecolor="#999999")
# Below the chart, across the whole figure: eight names wrap onto a second row without hiding the title.
LEGEND = dict(orientation="h", yref="container", y=0, yanchor="bottom", xref="container", x=0, xanchor="left", font=dict(size=16))


def color_of(name: str) -> str:
    """The colour of activation `name` (grey for an unknown one)."""
    return COLORS.get(name, "#555555")


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str, height: int = 440, subtitle: str = "") -> go.Figure:
    """Big fonts, a legend above the plot, titled axes."""
    fig.update_layout(
        title=dict(text=title, font=dict(size=21), subtitle=dict(text=subtitle, font=dict(size=16, color="#444444"))),
        xaxis_title=x_title, yaxis_title=y_title, font=FONT, legend=LEGEND, height=height,
        margin=dict(l=70, r=20, t=70, b=60), hovermode="x unified",
    )
    fig.update_xaxes(**AXIS)
    fig.update_yaxes(**AXIS)
    return fig


def curves_figure(x: Sequence[float], curves: Mapping[str, Sequence[float]], title: str, y_title: str) -> go.Figure:
    """One line per activation over x: f(x) or f′(x)."""
    fig = go.Figure()
    x = np.asarray(x, dtype=float)
    for name, y in curves.items():
        fig.add_scatter(x=x, y=np.asarray(y, dtype=float), mode="lines", name=name, line=dict(color=color_of(name), width=3.5))
    # The legend sits below and wraps about two names a row in a half-width column: grow so the plot keeps its size.
    return _layout(fig, title, "x", y_title, height=420 + 26 * ((len(curves) + 1) // 2))


def softmax_figure(labels: Sequence[str], probs: Sequence[float], temperature: float,
                   baseline: Sequence[float] | None = None) -> go.Figure:
    """Softmax probabilities as bars at temperature T, with the T = 1 probabilities beside them when given."""
    fig = go.Figure()
    if baseline is not None:
        fig.add_bar(x=list(labels), y=np.asarray(baseline, dtype=float), name="T = 1", marker_color="#bbbbbb",
                    text=[f"{p:.1%}" for p in baseline], textposition="outside", textfont=dict(size=14))
    probs = np.asarray(probs, dtype=float)
    fig.add_bar(x=list(labels), y=probs, name=f"T = {temperature:g}", marker_color="#d6336c",
                text=[f"{p:.1%}" for p in probs], textposition="outside", textfont=dict(size=16))
    fig = _layout(fig, f"softmax(z / T) at T = {temperature:g}", "logit", "probability", height=420)
    fig.update_layout(barmode="group", hovermode="closest")
    fig.update_yaxes(range=[0, 1.12], tickformat=".0%")
    return fig


def gradient_flow_figure(norms: Mapping[str, Sequence[float]], subtitle: str = "") -> go.Figure:
    """‖∂L/∂Wₗ‖ against layer l on a log axis, one line per activation; zeros and non-finite values leave gaps."""
    fig = go.Figure()
    for name, n in norms.items():
        y = np.asarray(n, dtype=float)
        y = np.where(np.isfinite(y) & (y > 0), y, np.nan)  # a log axis cannot show 0, inf or nan
        layers = np.arange(1, len(y) + 1)
        fig.add_scatter(x=layers, y=y, mode="lines+markers", name=name, line=dict(color=color_of(name), width=3.5),
                        marker=dict(size=7))
    title = "Gradient norm reaching each layer's weights, at initialization"
    fig = _layout(fig, title, "layer l (1 = next to the input)", "‖∂L/∂Wₗ‖ (log scale)", height=500, subtitle=subtitle)
    fig.update_yaxes(type="log", exponentformat="power")
    fig.update_xaxes(zeroline=False)
    return fig
