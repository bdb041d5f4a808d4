"""Figures of the residual-vs-plain race and the loss landscape (plotly specs)."""

from __future__ import annotations

import math

import numpy as np

from dlplay.training.history import downsample
from dlplay.viz.spec import FONT, Spec, axis, figure, label, merge
from dlplay.viz.training import curve_layout, line

# residual nets blue, plain nets red; the shallower pair in lighter shades of the same colours
RUN_COLORS = ("#1f77b4", "#d62728", "#7fb8e0", "#f4a09c")
LANDSCAPE_SCALE = "Viridis"


def legend_below(spec: Spec, height: int = 400) -> Spec:
    """The spec with its legend under the plot, where many entries cannot cover the title."""
    return merge(spec, legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="left", x=0), height=height,
                 margin=dict(l=60, r=20, t=50, b=40))


def run_colors(names: list[str]) -> dict[str, str]:
    """A colour per run, in race order (residual deep, plain deep, residual shallow, plain shallow)."""
    return {name: RUN_COLORS[i % len(RUN_COLORS)] for i, name in enumerate(names)}


def race_curves(curves: dict[str, tuple[list, list]], title: str, accuracy: bool = False, max_points: int = 250) -> Spec:
    """One (steps, values) curve per run; residual nets solid, plain nets dashed, a colour per net."""
    colors = run_colors(list(curves))
    data = []
    for name, (steps, values) in curves.items():
        if len(steps) == 0:
            continue
        x, y = downsample(steps, values, max_points)
        mode = dict(mode="lines+markers") if len(x) < 3 else {}  # one or two points draw no line
        data.append({**line(x, y, name, colors[name], dash="dash" if name.startswith("plain") else None), **mode})
    options = dict(range=[0, 1.02], tickformat=".0%") if accuracy else {}
    return legend_below(figure(data, **curve_layout(title, "accuracy" if accuracy else "loss", **options)))


def gradient_bars(norms: dict[str, np.ndarray], layer_names: dict[str, list[str]], title: str) -> Spec:
    """‖∂L/∂W‖ of every main-path layer as bars on a log scale, layer 1 (the input side) on the left, a colour per net."""
    colors = run_colors(list(norms))
    data, finite = [], []
    for name, values in norms.items():
        values = np.asarray(values, dtype=float)
        shown = np.where(np.isfinite(values) & (values > 0), values, np.nan)  # log axes cannot draw 0
        finite += [v for v in shown if np.isfinite(v)]
        data.append(dict(type="bar", x=list(range(1, len(values) + 1)), y=shown, name=name,
                         marker=dict(color=colors[name]), customdata=layer_names[name],
                         hovertemplate=f"{name} · %{{customdata}}<br>‖∂L/∂W‖ = %{{y:.2e}}<extra></extra>"))
    y_axis = axis("‖∂L/∂W‖ (log scale)", type="log", exponentformat="power")
    if finite:
        low, high = math.floor(math.log10(min(finite))), math.ceil(math.log10(max(finite)))
        y_axis["range"] = [low - 0.2, high + 0.2]  # bars start at the bottom of the axis: show the smallest clearly
    return figure(data, title=label(title), font=FONT, height=360, barmode="group", bargap=0.15,
                  margin=dict(l=70, r=20, t=50, b=50), uirevision="arch-grads",
                  xaxis=axis("layer (1 = next to the input)", dtick=1 if max(map(len, norms.values()), default=0) <= 30 else 5),
                  yaxis=y_axis, legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1))


def _log_losses(results: dict[str, tuple[np.ndarray, np.ndarray]]) -> tuple[dict[str, np.ndarray], float, float]:
    """log₁₀ of every net's losses and a shared colour range: from the lowest loss to 10× the highest centre loss."""
    logs = {name: np.log10(np.clip(losses, 1e-6, None)) for name, (_, losses) in results.items()}
    finite = np.concatenate([v[np.isfinite(v)] for v in logs.values()] or [np.zeros(1)])
    centres = [v[len(v) // 2, len(v) // 2] for v in logs.values()]
    low = float(finite.min()) if finite.size else 0.0
    high = max(float(np.nanmax(centres)) + 1.0, low + 0.5)  # losses 10× the trained ones all look "high"
    return logs, low, high


def _log_ticks(low: float, high: float) -> dict:
    """Colour-bar ticks at round losses on a log₁₀ scale."""
    values = [v for v in (0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000) if low <= math.log10(v) <= high]
    return dict(tickvals=[math.log10(v) for v in values], ticktext=[f"{v:g}" for v in values])


def landscape_contours(results: dict[str, tuple[np.ndarray, np.ndarray]]) -> Spec:
    """Each net's loss over its 2D slice as filled contours side by side (log colour scale shared), ★ = trained weights."""
    logs, low, high = _log_losses(results)
    n = max(len(results), 1)
    data, layout, gap = [], {}, 0.06
    for i, (name, (axis_values, _)) in enumerate(results.items()):
        suffix = "" if i == 0 else str(i + 1)
        z = np.clip(logs[name], low, high)
        data.append(dict(type="contour", x=axis_values, y=axis_values, z=z, zmin=low, zmax=high, ncontours=25,
                         colorscale=LANDSCAPE_SCALE, customdata=10**logs[name], showscale=i == n - 1,
                         colorbar=dict(title=label("loss"), **_log_ticks(low, high)), contours=dict(coloring="heatmap"),
                         xaxis=f"x{suffix}", yaxis=f"y{suffix}", name=name,
                         hovertemplate=f"{name}<br>α=%{{x:.2f}}, β=%{{y:.2f}}<br>loss %{{customdata:.3g}}<extra></extra>"))
        data.append(dict(type="scatter", x=[0], y=[0], mode="markers", showlegend=False, xaxis=f"x{suffix}",
                         yaxis=f"y{suffix}", marker=dict(symbol="star", size=14, color="white", line=dict(color="black", width=1)),
                         hovertemplate="the trained weights<extra></extra>"))
        start = i / n + (gap / 2 if i else 0)
        end = (i + 1) / n - (gap / 2 if i < n - 1 else 0)
        layout[f"xaxis{suffix}"] = axis("α · direction 1", domain=[start, end * 0.97 if i == n - 1 else end])
        layout[f"yaxis{suffix}"] = axis("β · direction 2" if i == 0 else None, anchor=f"x{suffix}", scaleanchor=f"x{suffix}")
    annotations = [dict(text=f"<b>{name}</b>", x=(i + 0.5) / n, y=1.0, xref="paper", yref="paper", yanchor="bottom",
                        showarrow=False, font=dict(size=16)) for i, name in enumerate(results)]
    return figure(data, title=label("Loss on a 2D slice through the weights (log colour scale)"), font=FONT, height=470,
                  margin=dict(l=60, r=20, t=80, b=50), annotations=annotations, uirevision="arch-landscape", **layout)


def landscape_surfaces(results: dict[str, tuple[np.ndarray, np.ndarray]]) -> Spec:
    """The same slices as 3D surfaces side by side, height log₁₀(loss) clipped at the shared colour range."""
    logs, low, high = _log_losses(results)
    n = max(len(results), 1)
    data, layout = [], {}
    for i, (name, (axis_values, _)) in enumerate(results.items()):
        scene = "scene" if i == 0 else f"scene{i + 1}"
        data.append(dict(type="surface", x=axis_values, y=axis_values, z=np.clip(logs[name], low, high),
                         customdata=10**logs[name], cmin=low, cmax=high, colorscale=LANDSCAPE_SCALE, showscale=False,
                         scene=scene, name=name,
                         hovertemplate=f"{name}<br>α=%{{x:.2f}}, β=%{{y:.2f}}<br>loss %{{customdata:.3g}}<extra></extra>"))
        layout[scene] = dict(domain=dict(x=[i / n, (i + 1) / n], y=[0, 0.92]), aspectmode="cube",
                             xaxis=axis("α"), yaxis=axis("β"), zaxis=axis("log₁₀ loss", range=[low, high]),
                             camera=dict(eye=dict(x=1.5, y=1.5, z=1.1)))
    annotations = [dict(text=f"<b>{name}</b>", x=(i + 0.5) / n, y=1.0, xref="paper", yref="paper", yanchor="bottom",
                        showarrow=False, font=dict(size=16)) for i, name in enumerate(results)]
    return figure(data, title=label("The same slices in 3D (height: log₁₀ loss)"), font=FONT, height=520,
                  margin=dict(l=0, r=0, t=80, b=0), annotations=annotations, uirevision="arch-landscape-3d", **layout)
