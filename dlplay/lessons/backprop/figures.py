"""Figures for backpropagation (plotly specs): a computation graph with values and gradients, per-layer gradient errors."""

from __future__ import annotations

from collections.abc import Sequence

from dlplay.viz.spec import Spec, axis, figure, label

ACCENT = "#d6336c"  # the app's primary colour: the current node and its edges
LEAF_FILL = "#e7f5ff"  # inputs and constants
OP_FILL = "#f8f9fa"  # intermediate results
CURRENT_FILL = "#fff3bf"
FONT_SIZE = 15  # readable on a projector


def _number(x: float | None) -> str:
    return "?" if x is None else f"{x + 0.0:.3g}"  # 3 digits keep the boxes narrow enough for 10 columns


def layered_positions(depths: Sequence[int], edges: Sequence[tuple[int, int]], sweeps: int = 4) -> list[tuple[float, float]]:
    """(x, y) per node: x is the depth column; within a column, nodes sit near the mean height of their neighbours."""
    columns: dict[int, list[int]] = {}
    for i, d in enumerate(depths):
        columns.setdefault(d, []).append(i)
    neighbours: list[list[int]] = [[] for _ in depths]
    for a, b in edges:
        neighbours[a].append(b)
        neighbours[b].append(a)
    y = [0.0] * len(depths)

    def place(column: list[int]) -> None:
        for rank, i in enumerate(column):
            y[i] = (len(column) - 1) / 2 - rank  # centred, top to bottom

    for column in columns.values():
        place(column)
    # Barycentre sweeps (Sugiyama-style): fewer edge crossings, so the chain rule's paths are easy to follow.
    for _ in range(sweeps):
        for d in sorted(columns):
            column = columns[d]
            key = {i: -sum(y[n] for n in neighbours[i]) / len(neighbours[i]) if neighbours[i] else 0.0 for i in column}
            column.sort(key=lambda i: key[i])
            place(column)
    return [(float(d), y[i]) for i, d in enumerate(depths)]


def computation_graph_figure(
    labels: Sequence[str],
    values: Sequence[float | None],
    grads: Sequence[float | None],
    edges: Sequence[tuple[int, int]],
    depths: Sequence[int],
    is_leaf: Sequence[bool],
    current: int | None = None,
    highlight_edges: Sequence[tuple[int, int]] = (),
    title: str = "Computation graph",
    hover: Sequence[str] | None = None,
) -> Spec:
    """Boxes left→right by depth showing label, value and gradient; the current node and its edges highlighted."""
    positions = layered_positions(depths, edges)
    xs = [p[0] for p in positions]
    ys = [p[1] for p in positions]
    data = []
    highlighted = set(highlight_edges)
    for style, chosen in (("plain", False), ("highlight", True)):
        edge_x: list[float | None] = []
        edge_y: list[float | None] = []
        for a, b in edges:
            if ((a, b) in highlighted) == chosen:
                edge_x += [xs[a], xs[b], None]
                edge_y += [ys[a], ys[b], None]
        data.append(dict(
            type="scatter", x=edge_x, y=edge_y, mode="lines", name=f"edges ({style})", hoverinfo="skip", showlegend=False,
            line=dict(color=ACCENT if chosen else "#adb5bd", width=4 if chosen else 2),
        ))
    texts = [f"<b>{name}</b><br>value {_number(v)}<br>grad {_number(g)}" for name, v, g in zip(labels, values, grads)]
    hover_texts = [f"{h}<br>value {_number(v)}<br>grad {_number(g)}" for h, v, g in zip(hover or labels, values, grads)]
    data.append(dict(
        type="scatter", x=xs, y=ys, mode="markers", name="nodes", text=hover_texts, hovertemplate="%{text}<extra></extra>",
        marker=dict(size=40, opacity=0), showlegend=False,
    ))
    annotations = []
    for i, text in enumerate(texts):
        is_current = i == current
        annotations.append(dict(
            x=xs[i], y=ys[i], text=text, showarrow=False, align="center", borderpad=6,
            font=dict(size=FONT_SIZE, color="#111111" if values[i] is not None else "#868e96"),
            bgcolor=CURRENT_FILL if is_current else (LEAF_FILL if is_leaf[i] else OP_FILL),
            bordercolor=ACCENT if is_current else "#495057", borderwidth=4 if is_current else 1,
        ))
    tallest = max((list(depths).count(d) for d in set(depths)), default=1)
    return figure(
        data, annotations=annotations, title=label(title, font=dict(size=20)), height=max(360, 115 * tallest + 90),
        margin=dict(l=10, r=10, t=50, b=10), plot_bgcolor="white",
        xaxis=dict(visible=False, range=[min(xs, default=0) - 0.6, max(xs, default=0) + 0.6]),
        yaxis=dict(visible=False, range=[min(ys, default=0) - 0.7, max(ys, default=0) + 0.7]),
    )


def relative_error_figure(layers: Sequence[str], errors: dict[str, Sequence[float]], floor: float = 1e-17) -> Spec:
    """Grouped bars of relative error per layer (log scale; exact zeros drawn at `floor`)."""
    data = [dict(
        type="bar", x=list(layers), y=[max(v, floor) for v in values], name=name,
        text=["0" if v == 0 else f"{v:.1e}" for v in values], textposition="outside", textfont=dict(size=FONT_SIZE),
    ) for name, values in errors.items()]
    return figure(
        data, title=label("Manual gradients vs torch.autograd: relative error per layer", font=dict(size=20)),
        barmode="group", height=420, font=dict(size=FONT_SIZE), legend=dict(orientation="h", y=-0.2),
        yaxis=axis("relative error  ‖manual − autograd‖ / ‖autograd‖", type="log", exponentformat="power"),
        xaxis=axis("layer"), margin=dict(l=10, r=10, t=60, b=10),
    )
