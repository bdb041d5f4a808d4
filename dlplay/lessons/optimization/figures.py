"""Optimizer figures (plotly specs): paths over a loss surface (contour and 3D), loss per step, learning-rate curves."""

from __future__ import annotations

import numpy as np
import torch
from plotly.colors import qualitative

from dlplay.lessons.optimization.paths import Path
from dlplay.lessons.optimization.surfaces import Surface, grid_values
from dlplay.viz.spec import Spec, axis, figure, label, typed

COLORS = qualitative.D3  # the same colour order as the training charts
# light, low-contrast blues so coloured paths stand out on top; dark blue marks the low ground
SURFACE_COLORS = [[0.0, "#2b5c8a"], [0.25, "#6f9fc8"], [0.6, "#c6dbef"], [1.0, "#f7fbff"]]
FONT = dict(size=16)


def _display_z(values: np.ndarray, surface: Surface, z_min: float, z_span: float) -> np.ndarray:
    """log₁₀(f − min + ε) when the surface asks for log contours, else f itself."""
    if not surface.log_contours:
        return values
    eps = max(z_span, 1e-12) * 1e-6  # ~6 decades of detail below the top of the plot
    return np.log10(np.maximum(values - z_min, 0.0) + eps)


def surface_grid(surface: Surface, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float, float]:
    """(xs, ys, Z, Z as drawn, min of Z, span of Z) over the plot range: what the contour and 3D views draw."""
    X, Y, Z = grid_values(surface, resolution)
    z_min, z_span = float(Z.min()), float(Z.max() - Z.min())
    return X[0], Y[:, 0], Z, _display_z(Z, surface, z_min, z_span), z_min, z_span


def _colorbar(surface: Surface, Zd: np.ndarray) -> dict:
    if not surface.log_contours:
        return dict(title=dict(text="f"))
    ticks = np.arange(np.ceil(Zd.min()), np.floor(Zd.max()) + 1)
    return dict(title=dict(text="f − min"), tickvals=ticks, ticktext=[f"{10.0**k:g}" for k in ticks])


def _inside(points: np.ndarray, surface: Surface) -> np.ndarray:
    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    return (points[:, 0] >= x0) & (points[:, 0] <= x1) & (points[:, 1] >= y0) & (points[:, 1] <= y1)


def cut_marker(points: np.ndarray, surface: Surface) -> np.ndarray:
    """Where to draw a cut path's ✕: its last point, or where it last crossed the plot's edge if that is off it."""
    inside = _inside(points, surface)
    if inside[-1] or not inside.any():
        lo = np.array([surface.x_range[0], surface.y_range[0]])
        return np.clip(points[-1], lo, [surface.x_range[1], surface.y_range[1]])
    j = int(np.nonzero(inside)[0][-1])
    a, b = points[j], points[j + 1]
    t = 1.0  # walk from a (inside) towards b (outside) up to the first edge: a + t (b − a)
    for k, (lo, hi) in enumerate((surface.x_range, surface.y_range)):
        if b[k] > hi:
            t = min(t, (hi - a[k]) / (b[k] - a[k]))
        if b[k] < lo:
            t = min(t, (lo - a[k]) / (b[k] - a[k]))
    return a + t * (b - a)


def _label_offset(point: np.ndarray, surface: Surface, j: int) -> tuple[float, float]:
    """Pixel offset of a cut path's label from its ✕: towards the plot's middle, the j-th one a row further."""
    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    fx, fy = (point[0] - x0) / (x1 - x0), (point[1] - y0) / (y1 - y0)
    ax = 70 if fx < 0.35 else -70 if fx > 0.65 else 0
    down = fy > 0.5  # screen y grows downwards: a positive ay puts the label below the point
    return ax, (40 + 32 * j) * (1 if down else -1)


def _hover(name: str, path: Path) -> tuple[np.ndarray, str]:
    custom = np.column_stack([np.arange(len(path.points)), path.losses])  # (n, 2): step, f
    template = f"<b>{name}</b><br>step %{{customdata[0]:d}}<br>x=%{{x:.3f}}, y=%{{y:.3f}}<br>f=%{{customdata[1]:.3g}}"
    return custom, template + "<extra></extra>"


def _starts_and_minima(surface: Surface, paths: dict[str, Path], height=None) -> list[dict]:
    """Markers of the start points and the known minima; in 3D when height(xy) gives their z."""
    starts = np.unique(np.array([p.points[0] for p in paths.values()] or [surface.start]), axis=0)  # (s, 2)
    minima = np.array(surface.minima).reshape(-1, 2)  # (m, 2)
    marks = [
        ("start", starts, dict(symbol="circle", size=14, color="white", line=dict(color="black", width=2))),
        ("minimum", minima, dict(symbol="star", size=20, color="gold", line=dict(color="black", width=1.5))),
    ]
    traces = []
    for name, xy, marker in marks:
        if not len(xy):
            continue
        if height is None:
            traces.append(dict(type="scatter", x=xy[:, 0], y=xy[:, 1], mode="markers", name=name, marker=marker,
                               hoverinfo="name+x+y"))
        else:
            marker3d = dict(symbol="diamond" if name == "minimum" else "circle", size=7, color=marker["color"],
                            line=dict(color="black", width=2))
            traces.append(dict(type="scatter3d", x=xy[:, 0], y=xy[:, 1], z=height(xy), mode="markers", name=name,
                               marker=marker3d))
    return traces


def contour_with_paths(surface: Surface, paths: dict[str, Path], resolution: int = 150, grid: tuple | None = None) -> Spec:
    """Contours of the surface (log-spaced where its values span decades) with each optimizer's path on top.

    grid: surface_grid(surface, resolution) when the caller already has it (the grid does not change while paths grow)."""
    xs, ys, Z, Zd, _, _ = grid or surface_grid(surface, resolution)
    data = [dict(
        type="contour", x=xs, y=ys, z=typed(Zd), customdata=typed(Z), colorscale=SURFACE_COLORS, ncontours=30, showlegend=False, name="f",
        line=dict(width=0.6, color="rgba(40,40,40,0.35)"), colorbar=_colorbar(surface, Zd),
        hovertemplate="x=%{x:.2f}, y=%{y:.2f}<br>f=%{customdata:.3g}<extra></extra>",
    )]
    for i, (name, path) in enumerate(paths.items()):
        color = COLORS[i % len(COLORS)]
        custom, template = _hover(name, path)
        data.append(dict(
            type="scatter", x=path.points[:, 0], y=path.points[:, 1], mode="lines+markers", name=name, customdata=custom,
            hovertemplate=template, line=dict(color=color, width=3),
            marker=dict(color=color, size=7 if len(path.points) <= 60 else 4),
        ))
    annotations = []
    cut = [(i, name, path) for i, (name, path) in enumerate(paths.items()) if path.diverged_at is not None]
    for j, (i, name, path) in enumerate(cut):
        color, where = COLORS[i % len(COLORS)], cut_marker(path.points, surface)
        data.append(dict(
            type="scatter", x=[where[0]], y=[where[1]], mode="markers", name=f"{name} cut", showlegend=False,
            cliponaxis=False, hovertemplate=f"{path.message}<extra></extra>",
            marker=dict(symbol="x", size=20, color=color, line=dict(color="black", width=1.5)),
        ))
        # the label sits towards the middle of the plot, staggered so that several cut paths stay legible
        ax, ay = _label_offset(where, surface, j)
        annotations.append(dict(
            x=where[0], y=where[1], ax=ax, ay=ay, text=f"{name} ✕ step {path.diverged_at}", showarrow=True,
            arrowcolor=color, arrowwidth=2, font=dict(size=15, color=color), bgcolor="rgba(255,255,255,0.9)",
            bordercolor=color, borderpad=3, hovertext=path.message,
        ))
    data += _starts_and_minima(surface, paths)
    return figure(
        data, title=label(f"{surface.name}: optimizer paths", font=dict(size=20)), font=FONT, height=620,
        margin=dict(l=60, r=20, t=60, b=40), uirevision=surface.name, plot_bgcolor="white", annotations=annotations,
        legend=dict(orientation="h", yanchor="top", y=-0.1, xanchor="center", x=0.5),
        xaxis=axis("x", range=list(surface.x_range), constrain="domain", showgrid=False),
        yaxis=axis("y", range=list(surface.y_range), scaleanchor="x", scaleratio=1, showgrid=False),
    )


def surface_3d(surface: Surface, paths: dict[str, Path], resolution: int = 80, grid: tuple | None = None) -> Spec:
    """The surface in 3D (log height where the contours are log-spaced) with each path drawn on it."""
    xs, ys, Z, Zd, z_min, z_span = grid or surface_grid(surface, resolution)
    lift = 0.01 * float(Zd.max() - Zd.min())  # draw paths just above the surface so it does not hide them

    def height(values: np.ndarray) -> np.ndarray:
        return _display_z(values, surface, z_min, z_span) + lift

    data = [dict(
        type="surface", x=xs, y=ys, z=typed(Zd), customdata=typed(Z), colorscale=SURFACE_COLORS, opacity=0.92, showscale=False, name="f",
        hovertemplate="x=%{x:.2f}, y=%{y:.2f}<br>f=%{customdata:.3g}<extra></extra>",
    )]
    for i, (name, path) in enumerate(paths.items()):
        color = COLORS[i % len(COLORS)]
        shown = np.where(_inside(path.points, surface)[:, None], path.points, np.nan)  # (n, 2): off-plot → gap
        data.append(dict(
            type="scatter3d", x=shown[:, 0], y=shown[:, 1], z=height(path.losses), mode="lines+markers", name=name,
            line=dict(color=color, width=6), marker=dict(color=color, size=2.5),
        ))

    def minima_height(xy: np.ndarray) -> np.ndarray:
        with torch.no_grad():  # the surface's own f gives the height of starts and minima
            return height(surface.f(torch.as_tensor(xy, dtype=torch.float64)).numpy())

    data += _starts_and_minima(surface, paths, height=minima_height)
    z_title = "log₁₀(f − min)" if surface.log_contours else "f"
    return figure(
        data, title=label(f"{surface.name} in 3D", font=dict(size=20)), font=FONT, height=620,
        margin=dict(l=0, r=0, t=60, b=0), uirevision=surface.name,
        legend=dict(orientation="h", yanchor="top", y=0.02, xanchor="center", x=0.5),
        scene=dict(
            domain=dict(y=[0.1, 1.0]),  # leave the bottom strip to the legend
            xaxis=axis("x", range=list(surface.x_range)), yaxis=axis("y", range=list(surface.y_range)),
            zaxis=axis(z_title), aspectmode="cube", camera=dict(eye=dict(x=-1.6, y=-1.8, z=1.2)),
        ),
    )


def spans_decades(values: np.ndarray, decades: float = 2.0) -> bool:
    """True if the values are all ≥ 0 and their positive part spans at least `decades` powers of ten."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    positive = values[values > 0]
    if (values < 0).any() or len(positive) < 2:
        return False
    return bool(np.log10(positive.max() / positive.min()) >= decades)


def _curve_layout(title: str, y_title: str, log_y: bool, uirevision: str) -> dict:
    y = axis(y_title + (" (log scale)" if log_y else ""), **(dict(type="log", exponentformat="power") if log_y else {}))
    return dict(title=label(title, font=dict(size=20)), font=FONT, height=420, uirevision=uirevision,
                xaxis=axis("step"), yaxis=y, margin=dict(l=70, r=20, t=60, b=50))


def loss_curves(paths: dict[str, Path], title: str = "Loss per step", height: int = 420) -> Spec:
    """f at each step of each path; log y-axis when the losses span decades; a cut path ends in ✕."""
    data = []
    for i, (name, path) in enumerate(paths.items()):
        color = COLORS[i % len(COLORS)]
        data.append(dict(type="scatter", x=np.arange(len(path.losses)), y=path.losses, mode="lines", name=name,
                         line=dict(color=color, width=3)))
        if path.diverged_at is not None:
            data.append(dict(
                type="scatter", x=[len(path.losses) - 1], y=[path.losses[-1]], mode="markers", name=f"{name} cut",
                showlegend=False, marker=dict(symbol="x", size=16, color=color, line=dict(color="black", width=1)),
                hovertemplate=f"{path.message}<extra></extra>",
            ))
    log_y = spans_decades(np.concatenate([p.losses for p in paths.values()])) if paths else False
    return figure(data, **{**_curve_layout(title, "loss f(x, y)", log_y, "loss"), "height": height})


def lr_curves(curves: dict[str, np.ndarray], title: str = "Learning rate per step", log_y: bool = False) -> Spec:
    """The learning rate at each step, one line per schedule."""
    data = [dict(type="scatter", x=np.arange(len(lrs)), y=np.asarray(lrs), mode="lines", name=name,
                 line=dict(color=COLORS[i % len(COLORS)], width=3),
                 hovertemplate=f"{name}<br>step %{{x}}<br>lr=%{{y:.3g}}<extra></extra>")
            for i, (name, lrs) in enumerate(curves.items())]
    return figure(data, **_curve_layout(title, "learning rate", log_y, "lr"))
