"""Playground figures (plotly specs): the perceptron's line, decision heatmaps, every neuron's map, loss curves, one layer."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlplay.training.history import History, downsample
from dlplay.viz.spec import FONT, Spec, axis, figure, label

# TF Playground's colours: orange for class 0 / negative values, blue for class 1 / positive values.
ORANGE, BLUE, NEUTRAL = "#f59322", "#0877bd", "#e8eaeb"
DIVERGING = [[0.0, ORANGE], [0.5, NEUTRAL], [1.0, BLUE]]
CLASS_NAMES = {0: "class 0", 1: "class 1"}


def _square_axes(extent: float) -> dict:
    """x₁ and x₂ axes over the same range, one unit as long on both."""
    return dict(xaxis=axis("x₁", range=[-extent, extent], constrain="domain", zeroline=False),
                yaxis=axis("x₂", range=[-extent, extent], scaleanchor="x", scaleratio=1, constrain="domain", zeroline=False))


def _class_points(X: np.ndarray, y: np.ndarray, label: str, symbol: str, line_color: str, size: int) -> list[dict]:
    """One scatter per class (blue = 1, orange = 0)."""
    traces = []
    for cls, color in ((1, BLUE), (0, ORANGE)):
        mask = y == cls
        if mask.any():
            edge = dict(color=line_color, width=1.0 if line_color == "black" else 1.5)  # thin dark rims on test points
            traces.append(dict(type="scatter", x=X[mask, 0], y=X[mask, 1], mode="markers", name=f"{label}{CLASS_NAMES[cls]}",
                               marker=dict(color=color, symbol=symbol, size=size, line=edge)))
    return traces


# ---------------------------------------------------------------- perceptron
def decision_line(weights: Sequence[float], bias: float, extent: float) -> tuple[np.ndarray, np.ndarray] | None:
    """Two end points of the line w₁x₁ + w₂x₂ + b = 0 across the square, or None when w = 0 (no line)."""
    w1, w2 = float(weights[0]), float(weights[1])
    if abs(w2) >= abs(w1) and w2 != 0:  # solve for x₂: steep lines are handled by the other branch
        x1 = np.array([-extent, extent])
        return x1, -(w1 * x1 + bias) / w2
    if w1 != 0:
        x2 = np.array([-extent, extent])
        return -(w2 * x2 + bias) / w1, x2
    return None


def perceptron_figure(X: np.ndarray, y: np.ndarray, weights: Sequence[float], bias: float, highlight: int | None = None,
                      extent: float = 6.0, title: str = "Perceptron") -> Spec:
    """Points, the half-planes the perceptron predicts, its line, its weight vector, misclassified points ringed."""
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    w = np.asarray(weights, dtype=float)
    axis = np.linspace(-extent, extent, 121)
    g1, g2 = np.meshgrid(axis, axis)  # (121, 121) each, rows follow x₂
    region = (w[0] * g1 + w[1] * g2 + bias > 0).astype(np.int8)
    data = [dict(type="heatmap", x=axis, y=axis, z=region, colorscale=[[0, ORANGE], [1, BLUE]], zmin=0, zmax=1,
                 opacity=0.22, showscale=False, hoverinfo="skip", name="prediction")]
    data += _class_points(X, y, "", "circle", "white", 10)
    wrong = (X @ w + bias > 0).astype(int) != y
    if wrong.any():
        data.append(dict(type="scatter", x=X[wrong, 0], y=X[wrong, 1], mode="markers", name=f"misclassified ({int(wrong.sum())})",
                         marker=dict(symbol="circle-open", size=16, color="black", line=dict(width=2))))  # open: colour = stroke
    annotations = []
    line = decision_line(w, bias, extent)
    if line is not None:
        data.append(dict(type="scatter", x=line[0], y=line[1], mode="lines", name="w·x + b = 0",
                         line=dict(color="black", width=3.5)))
        norm2 = float(w @ w)
        foot = -bias * w / norm2  # the point of the line closest to the origin
        if np.all(np.abs(foot) < extent):
            tip = foot + 1.5 * w / np.sqrt(norm2)  # w is normal to the line and points to the class-1 side
            annotations.append(dict(x=tip[0], y=tip[1], ax=foot[0], ay=foot[1], xref="x", yref="y", axref="x", ayref="y",
                                    showarrow=True, arrowhead=3, arrowsize=1.5, arrowwidth=3, arrowcolor="black",
                                    text="<b>w</b>", font=dict(size=20, color="black")))
    if highlight is not None and 0 <= highlight < len(X):
        data.append(dict(type="scatter", x=[X[highlight, 0]], y=[X[highlight, 1]], mode="markers", name="caused the last update",
                         marker=dict(symbol="circle-open", size=30, color="#d6336c", line=dict(width=4))))
    return figure(data, title=label(title), font=FONT, height=520, margin=dict(l=60, r=20, t=60, b=50),
                  legend=dict(orientation="h", yanchor="top", y=-0.14, x=0), uirevision="perceptron",
                  annotations=annotations, **_square_axes(extent))


def errors_figure(errors: Sequence[int], n_points: int, title: str = "Misclassified points after each update") -> Spec:
    """The perceptron rule's error count against the update number: it reaches 0 only on separable data."""
    errors = np.asarray(errors, dtype=float)
    x, y = downsample(np.arange(len(errors)), errors, 1500)  # long logs as bucket means, so the chart stays light
    trace = dict(type="scatter", x=x, y=y, mode="lines+markers" if len(errors) < 80 else "lines", name="misclassified",
                 line=dict(color="#d6336c", width=3 if len(errors) < 80 else 1.5))
    x_axis = axis("update", dtick=1) if len(errors) <= 12 else axis("update")  # whole updates only
    return figure([trace], title=label(title), font=FONT, height=330, margin=dict(l=60, r=20, t=60, b=50),
                  showlegend=False, xaxis=x_axis,
                  yaxis=axis("misclassified points", range=[-0.5, max(n_points, 1) * 1.02], rangemode="tozero"))


# ---------------------------------------------------------------- MLP playground
def decision_figure(axis: np.ndarray, output: np.ndarray, points: tuple[np.ndarray, ...], task: str = "binary",
                    show_test: bool = True, discretize: bool = False, title: str = "Output",
                    highlight: tuple[float, float] | None = None) -> Spec:
    """The network's output over the square (probability of class 1, or the value) with train ● and test ◆ points."""
    axis = np.asarray(axis, dtype=float)
    G = len(axis)
    Z = np.asarray(output, dtype=float).reshape(G, G)  # (G, G): rows follow x₂
    X_train, y_train, X_test, y_test = (np.asarray(a) for a in points)
    if task == "binary":
        Z = (Z > 0.5).astype(float) if discretize else Z
        zmin, zmax, bar = 0.0, 1.0, "P(class 1)"
    else:
        span = float(max(np.abs(y_train).max(initial=0), np.abs(y_test).max(initial=0), 1e-6))
        Z = np.round(Z * 4 / span) * span / 4 if discretize else Z
        zmin, zmax, bar = -span, span, "ŷ"
    data = [dict(type="heatmap", x=axis, y=axis, z=np.round(Z, 3).astype(np.float32), colorscale=DIVERGING, zmin=zmin,
                 zmax=zmax, zsmooth="fast", opacity=0.85, name="output", colorbar=dict(title=label(bar), thickness=14, len=0.8),
                 hovertemplate="x₁ %{x:.2f}<br>x₂ %{y:.2f}<br>output %{z:.3f}<extra></extra>")]
    sets = [("train", X_train, y_train, "circle", "white", 8)]
    if show_test:
        sets.append(("test", X_test, y_test, "diamond", "black", 7))
    for name, X, y, symbol, edge, size in sets:
        if len(X) == 0:
            continue
        if task == "binary":
            data += _class_points(X, y.astype(int), f"{name} · ", symbol, edge, size)
        else:
            data.append(dict(type="scatter", x=X[:, 0], y=X[:, 1], mode="markers", name=name, marker=dict(
                color=y, colorscale=DIVERGING, cmin=zmin, cmax=zmax, symbol=symbol, size=size, line=dict(color=edge, width=1.2))))
    if highlight is not None:
        data.append(dict(type="scatter", x=[highlight[0]], y=[highlight[1]], mode="markers", name="your point",
                         marker=dict(symbol="star", size=22, color="#d6336c", line=dict(color="black", width=1.5))))
    return figure(data, title=label(title), font=FONT, height=560, margin=dict(l=55, r=10, t=50, b=40),
                  uirevision="decision", legend=dict(orientation="h", yanchor="top", y=-0.1, x=0, font=dict(size=14)),
                  **_square_axes(float(abs(axis[0]))))


GAP = 127  # int8 code of the white space between tiles (map values are −100 … 100)
TILE_COLORS = [[0.0, ORANGE], [100 / 227, NEUTRAL], [200 / 227, BLUE], [200.5 / 227, "white"], [1.0, "white"]]


def _tile(values: np.ndarray, G: int, stride: int) -> np.ndarray:
    """(G·G,) → (g, g) int8 in −100 … 100: downsampled, scaled by its own largest magnitude, x₂ growing upward."""
    t = values.reshape(G, G)[::stride, ::stride]  # (g, g)
    peak = float(np.abs(t).max())
    t = t / peak if peak > 1e-12 else t
    return np.round(100 * t[::-1]).astype(np.int8)  # int8 keeps the live figure small: 1 byte a cell


def neuron_maps_figure(columns: Sequence[np.ndarray], titles: Sequence[str], weights: Sequence[np.ndarray] = (),
                       row_labels: Sequence[str] | None = None, stride: int = 2,
                       title: str = "What every neuron computes") -> Spec:
    """TF Playground's network view in one figure: every neuron's output over the square as a tile, layer by layer.

    columns[k] is (G·G, width_k): the outputs of layer k on a G × G grid (inputs first, output last);
    weights[k] (width_{k+1}, width_k) draws the connections between column k and k+1 (blue > 0, orange < 0, width ∝ |w|).
    Each tile is scaled to its own range, so a neuron's pattern shows whatever its magnitude.
    """
    G = int(round(np.sqrt(columns[0].shape[0])))
    g = len(range(0, G, stride))  # cells per tile side
    gap_x, gap_y = max(4, int(0.7 * g)), max(2, g // 6)  # room for the connections between columns, and between neurons
    heights = [c.shape[1] for c in columns]
    rows = max(heights)
    H, W = rows * g + (rows - 1) * gap_y, len(columns) * g + (len(columns) - 1) * gap_x
    data = []
    centres: list[list[tuple[float, float]]] = []  # (row centre, x of the tile's left edge) per neuron
    strips = []
    for k, column in enumerate(columns):
        top = int(round((rows - heights[k]) * (g + gap_y) / 2))  # centre shorter columns, as TF Playground does
        left = k * (g + gap_x)
        strip = np.full((heights[k] * (g + gap_y) - gap_y, g), GAP, dtype=np.int8)  # one column of tiles
        for i in range(heights[k]):
            strip[i * (g + gap_y) : i * (g + gap_y) + g] = _tile(np.asarray(column[:, i], dtype=float), G, stride)
        strips.append((strip, left, top))
        centres.append([(top + i * (g + gap_y) + g / 2 - 0.5, left) for i in range(heights[k])])
    lines: dict[tuple[int, float], tuple[list, list]] = {}  # (sign, width) → x and y of its segments, NaN-separated
    for k, Wk in enumerate(weights[: len(columns) - 1]):
        Wk = np.asarray(Wk, dtype=float)
        rel = np.abs(Wk) / (float(np.abs(Wk).max()) or 1.0)
        width = np.where(rel < 0.33, 1.0, np.where(rel < 0.66, 2.5, 4.5))  # three line widths by |w| / max|w| in the layer
        for j, i in np.ndindex(*Wk.shape):
            (r0, l0), (r1, l1) = centres[k][i], centres[k + 1][j]
            xs, ys = lines.setdefault((1 if Wk[j, i] >= 0 else -1, float(width[j, i])), ([], []))
            xs += [l0 + g - 0.5, l1 - 0.5, np.nan]
            ys += [r0, r1, np.nan]
    for (sign, width), (xs, ys) in sorted(lines.items()):  # one trace per colour and width, not one per connection
        color = BLUE if sign > 0 else ORANGE
        data.append(dict(type="scatter", x=np.array(xs), y=np.array(ys), mode="lines", line=dict(color=color, width=width),
                         opacity=0.7, hoverinfo="skip", showlegend=False))
    for strip, left, top in strips:
        data.append(dict(type="heatmap", z=strip, x0=left, dx=1, y0=top, dy=1, colorscale=TILE_COLORS, zmin=-100, zmax=GAP,
                         showscale=False, hoverinfo="skip"))
    label_x = [k * (g + gap_x) + g / 2 for k in range(len(titles))]
    data.append(dict(type="scatter", x=label_x, y=[-g * 0.4] * len(titles), mode="text", text=list(titles),
                     textfont=dict(size=14), hoverinfo="skip", showlegend=False))
    if row_labels:  # e.g. the feature names beside the input tiles
        data.append(dict(type="scatter", x=[left - 1 for _, left in centres[0]], y=[r for r, _ in centres[0]], mode="text",
                         text=list(row_labels), textposition="middle left", textfont=dict(size=14), hoverinfo="skip",
                         showlegend=False))
    x_range, y_range = [-(g * 1.6 if row_labels else 1), W + g * 0.4], [H, -g * 0.8]
    aspect = (y_range[0] - y_range[1]) / (x_range[1] - x_range[0])
    height = int(min(800, max(300, 60 + 620 * aspect)))  # about the mosaic's shape at a ~620 px wide column
    return figure(data, title=label(title), font=FONT, height=height, margin=dict(l=5, r=5, t=45, b=5),
                  plot_bgcolor="white", showlegend=False, uirevision="network", xaxis=dict(visible=False, range=x_range),
                  yaxis=dict(visible=False, range=y_range, scaleanchor="x", scaleratio=1))


def loss_curves_figure(history: History, title: str = "Loss", max_points: int = 400) -> Spec:
    """Training loss (solid) and test loss (dashed) at each evaluation, against the optimizer step."""
    data = []
    if history.eval_step:
        x, y = downsample(history.eval_step, history.train_loss, max_points)
        data.append(dict(type="scatter", x=x, y=y, mode="lines", name="train", line=dict(color="#333333", width=3)))
        if np.isfinite(history.val_loss).any():
            x, y = downsample(history.eval_step, history.val_loss, max_points)
            data.append(dict(type="scatter", x=x, y=y, mode="lines", name="test", line=dict(color="#d6336c", width=3, dash="dash")))
    return figure(data, title=label(title), font=FONT, height=300, margin=dict(l=60, r=10, t=50, b=45), uirevision="loss",
                  xaxis=axis("optimizer step"), yaxis=axis("loss", rangemode="tozero"), hovermode="x unified",
                  legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1))


# ---------------------------------------------------------------- forward pass inspector
def layer_figure(x: np.ndarray, W: np.ndarray, b: np.ndarray, z: np.ndarray, a: np.ndarray, input_names: Sequence[str],
                 activation: str, title: str) -> Spec:
    """One layer as coloured cells: x above the columns of W it multiplies, then b, z = Wx + b and a = act(z)."""
    x, W, b, z, a = (np.asarray(v, dtype=float) for v in (x, W, b, z, a))
    out, n_in = W.shape
    act = "a = z" if activation == "none" else f"a = {activation.lower()}(z)"
    columns = [f"{name} " for name in input_names] + ["   ", "b", "z = Wx + b", act]  # trailing space: unique categories
    rows = ["x (input)", "    "] + [f"neuron {j + 1}" for j in range(out)]
    table = np.full((out + 2, n_in + 4), np.nan)
    table[0, :n_in] = x  # x_j sits above column j of W: z_i = Σ_j W_ij·x_j + b_i
    table[2:, :n_in] = W
    table[2:, n_in + 1], table[2:, n_in + 2], table[2:, n_in + 3] = b, z, a
    peak = float(max(np.nanmax(np.abs(table)), 1e-6))
    text = np.where(np.isnan(table), "", np.vectorize(lambda v: f"{v:.2f}")(np.nan_to_num(table)))
    heatmap = dict(type="heatmap", z=table, x=columns, y=rows, text=text, texttemplate="%{text}", textfont=dict(size=15),
                   colorscale=DIVERGING, zmin=-peak, zmax=peak, showscale=False, xgap=2, ygap=2,
                   hovertemplate="%{y} · %{x}: %{z:.5f}<extra></extra>")
    return figure([heatmap], title=label(title, y=0.98, yanchor="top"), font=dict(size=15), plot_bgcolor="white",
                  height=130 + 36 * (out + 2), margin=dict(l=100, r=10, t=90, b=10),
                  xaxis=dict(side="top", tickfont=dict(size=14), showgrid=False),
                  yaxis=dict(autorange="reversed", tickfont=dict(size=14), showgrid=False))


# ---------------------------------------------------------------- your own points
def canvas_figure(points: list[tuple[float, float, int]], extent: float = 6.0, grid: int = 49) -> Spec:
    """The square with the points clicked so far, over an invisible grid that catches clicks."""
    axis_values = np.linspace(-extent, extent, grid)
    gx, gy = np.meshgrid(axis_values, axis_values)  # (grid, grid) each: 0.25 apart at the defaults
    data = [dict(type="scatter", x=gx.ravel(), y=gy.ravel(), mode="markers", name="click here", showlegend=False,
                 marker=dict(size=10, opacity=0), hovertemplate="x₁ %{x:.2f}, x₂ %{y:.2f}<extra>click to add</extra>",
                 unselected=dict(marker=dict(opacity=0)), selected=dict(marker=dict(opacity=0)))]
    for colour, name, value in ((ORANGE, "orange (0)", 0), (BLUE, "blue (1)", 1)):
        xs = [x for x, _, c in points if c == value]
        ys = [y for _, y, c in points if c == value]
        data.append(dict(type="scatter", x=xs, y=ys, mode="markers", name=f"{name}: {len(xs)}", hoverinfo="skip",
                         marker=dict(color=colour, size=11, line=dict(color="white", width=1.5))))
    return figure(data, title=label("Click to add a point of the chosen colour"), font=FONT, height=480,
                  margin=dict(l=50, r=10, t=50, b=40), clickmode="event+select", uirevision="canvas",
                  legend=dict(orientation="h", yanchor="top", y=-0.1, x=0),
                  xaxis=axis("x₁", range=[-extent, extent], zeroline=False, constrain="domain"),
                  yaxis=axis("x₂", range=[-extent, extent], zeroline=False, scaleanchor="x", constrain="domain"))
