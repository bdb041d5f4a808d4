"""Activation figures (plotly specs): curves and derivatives, softmax probability bars, gradient norms through a deep stack."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from plotly.colors import qualitative

from dlplay.lessons.activations.activations import ACTIVATION_NAMES
from dlplay.viz.spec import Spec, figure, label

# One fixed colour per activation, so Sigmoid is the same blue in every chart of the page.
COLORS = {name: qualitative.D3[i % len(qualitative.D3)] for i, name in enumerate(ACTIVATION_NAMES)}
FONT = dict(size=17, color="#111111")  # readable from the back of a classroom
AXIS = dict(tickfont=dict(size=16, color="#222222"), zeroline=True, zerolinewidth=2, zerolinecolor="#999999")
AXIS_TITLE_FONT = dict(size=19, color="#111111")
# Below the chart, across the whole figure: eight names wrap onto a second row without hiding the title.
LEGEND = dict(orientation="h", yref="container", y=0, yanchor="bottom", xref="container", x=0, xanchor="left", font=dict(size=16))


def color_of(name: str) -> str:
    """The colour of activation `name` (grey for an unknown one)."""
    return COLORS.get(name, "#555555")


def _axis(text: str, **options) -> dict:
    """A titled axis in the page's big fonts."""
    return {"title": label(text, font=AXIS_TITLE_FONT), **AXIS, **options}


def _layout(title: str, x_title: str, y_title: str, height: int = 440, subtitle: str = "", x_options: dict | None = None,
            y_options: dict | None = None, hovermode: str = "x unified", **extra) -> dict:
    """Big fonts, a legend below the plot, titled axes."""
    return dict(
        title=label(title, font=dict(size=21), subtitle=dict(text=subtitle, font=dict(size=16, color="#444444"))),
        xaxis=_axis(x_title, **(x_options or {})), yaxis=_axis(y_title, **(y_options or {})), font=FONT, legend=LEGEND,
        height=height, margin=dict(l=70, r=20, t=70, b=60), hovermode=hovermode, **extra,
    )


def curves_figure(x: Sequence[float], curves: Mapping[str, Sequence[float]], title: str, y_title: str) -> Spec:
    """One line per activation over x: f(x) or f′(x)."""
    x = np.asarray(x, dtype=float)
    data = [dict(type="scatter", x=x, y=np.asarray(y, dtype=float), mode="lines", name=name,
                 line=dict(color=color_of(name), width=3.5)) for name, y in curves.items()]
    # The legend sits below and wraps about two names a row in a half-width column: grow so the plot keeps its size.
    return figure(data, **_layout(title, "x", y_title, height=420 + 26 * ((len(curves) + 1) // 2)))


def softmax_figure(labels: Sequence[str], probs: Sequence[float], temperature: float,
                   baseline: Sequence[float] | None = None) -> Spec:
    """Softmax probabilities as bars at temperature T, with the T = 1 probabilities beside them when given."""
    data = []
    if baseline is not None:
        baseline = np.asarray(baseline, dtype=float)
        data.append(dict(type="bar", x=list(labels), y=baseline, name="T = 1", marker=dict(color="#bbbbbb"),
                         text=[f"{p:.1%}" for p in baseline], textposition="outside", textfont=dict(size=14)))
    probs = np.asarray(probs, dtype=float)
    data.append(dict(type="bar", x=list(labels), y=probs, name=f"T = {temperature:g}", marker=dict(color="#d6336c"),
                     text=[f"{p:.1%}" for p in probs], textposition="outside", textfont=dict(size=16)))
    return figure(data, **_layout(f"softmax(z / T) at T = {temperature:g}", "logit", "probability", height=420,
                                  y_options=dict(range=[0, 1.12], tickformat=".0%"), hovermode="closest", barmode="group"))


def gradient_flow_figure(norms: Mapping[str, Sequence[float]], subtitle: str = "") -> Spec:
    """‖∂L/∂Wₗ‖ against layer l on a log axis, one line per activation; zeros and non-finite values leave gaps."""
    data = []
    for name, n in norms.items():
        y = np.asarray(n, dtype=float)
        y = np.where(np.isfinite(y) & (y > 0), y, np.nan)  # a log axis cannot show 0, inf or nan
        data.append(dict(type="scatter", x=np.arange(1, len(y) + 1), y=y, mode="lines+markers", name=name,
                         line=dict(color=color_of(name), width=3.5), marker=dict(size=7)))
    title = "Gradient norm reaching each layer's weights, at initialization"
    return figure(data, **_layout(title, "layer l (1 = next to the input)", "‖∂L/∂Wₗ‖ (log scale)", height=500,
                                  subtitle=subtitle, x_options=dict(zeroline=False),
                                  y_options=dict(type="log", exponentformat="power")))
