"""Chapter 7 figures: best-epoch marks, weight norms, dropout masks, batch-norm histograms, decision boundaries."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dlplay.lessons.regularization.dropout_view import DropoutView, Histogram
from dlplay.training.history import History, downsample
from dlplay.viz.training import COLORS, _layout

FONT = dict(size=15)
# Light blue (class 0) → light orange (class 1), with a thin dark band at P = 0.5: the decision boundary.
BOUNDARY_SCALE = [[0.0, "#9ecae9"], [0.47, "#e3eef8"], [0.475, "#222222"], [0.525, "#222222"], [0.53, "#fdebd6"],
                  [1.0, "#ffbb78"]]


def mark_best(fig: go.Figure, marks: dict[str, tuple[int, float]], names: list[str], label: str = "best (restored)") -> go.Figure:
    """A star at each run's best evaluation and a dotted vertical line there, in the run's colour (its index in names)."""
    for name, (step, value) in marks.items():
        color = COLORS[names.index(name) % len(COLORS)] if name in names else "black"
        fig.add_vline(x=step, line=dict(color=color, width=2, dash="dot"))
        fig.add_scatter(x=[step], y=[value], mode="markers", name=f"{name.split(':')[0]} · {label}",
                        legendgroup=name, marker=dict(symbol="star", size=18, color=color, line=dict(color="black", width=1)))
    return fig


def race_figure(fig: go.Figure, steps_per_epoch: int) -> go.Figure:
    """A training_panel curve figure made readable for racing runs: epochs on x, one legend entry per run."""
    for trace in fig.data:
        run, sep, what = (trace.name or "").rpartition(" · ")
        run = run if sep else trace.name
        trace.legendgroup = trace.legendgroup or run  # clicking a run's entry hides all its curves
        if what == "train":
            trace.name = run
        elif sep and trace.mode != "markers":  # the dashed twin of a run already in the legend
            trace.showlegend = False
        if trace.x is not None:
            trace.x = np.asarray(trace.x, dtype=float) / steps_per_epoch
    for shape in fig.layout.shapes:
        shape.x0, shape.x1 = shape.x0 / steps_per_epoch, shape.x1 / steps_per_epoch
    fig.update_xaxes(title_text="epoch")
    fig.update_layout(legend=dict(orientation="h", yref="container", yanchor="bottom", y=0, xanchor="left", x=0, font_size=13),
                      height=470, margin=dict(b=125))  # the legend sits in the bottom margin, under the axis title
    return fig


def weight_norm_figure(histories: dict[str, History], max_points: int = 600) -> go.Figure:
    """‖W‖₂ of every run at each evaluation: weight decay keeps it small, an overfitting network lets it grow."""
    fig = go.Figure()
    for i, (name, h) in enumerate(histories.items()):
        norms = h.extras.get("weight_norm", [])
        if norms:
            x, y = downsample(h.eval_step[: len(norms)], norms, max_points)
            fig.add_scatter(x=x, y=y, mode="lines", name=name, line=dict(color=COLORS[i % len(COLORS)], width=3))
    return _layout(fig, "Weight norm ‖W‖₂ (all weight matrices)", "‖W‖₂")


def _panel_grid(n_rows: int, n_cols: int, h_gap: float, v_gap: float, titles: list[str]) -> tuple[dict, list[tuple[str, str]]]:
    """Layout axes and title annotations of an n_rows × n_cols grid, and each panel's (xaxis, yaxis) names, row-major.

    make_subplots does the same but validates every step; one plain dict keeps live redraws cheap."""
    layout: dict = {"annotations": []}
    refs = []
    width, height = (1 - h_gap * (n_cols - 1)) / n_cols, (1 - v_gap * (n_rows - 1)) / n_rows
    for k in range(n_rows * n_cols):
        row, col = divmod(k, n_cols)
        x0, y1 = col * (width + h_gap), 1 - row * (height + v_gap)
        suffix = str(k + 1) if k else ""
        layout[f"xaxis{suffix}"] = dict(domain=[max(0.0, x0), min(1.0, x0 + width)], anchor=f"y{suffix}")
        layout[f"yaxis{suffix}"] = dict(domain=[max(0.0, y1 - height), min(1.0, y1)], anchor=f"x{suffix}")
        refs.append((f"x{suffix}", f"y{suffix}"))
        if k < len(titles):
            layout["annotations"].append(dict(text=titles[k], x=x0 + width / 2, y=y1, xref="paper", yref="paper",
                                              xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=14)))
    return layout, refs


def histogram_grid(hists: dict[str, list[Histogram]], height_per_row: int = 150) -> go.Figure:
    """Small multiples: one row per run, one column per hidden layer, bars = share of values per bin."""
    names = list(hists)
    n_layers = max((len(v) for v in hists.values()), default=0)
    if not names or n_layers == 0:
        fig = go.Figure()
        fig.add_annotation(text="No hidden layers to show", showarrow=False, font=dict(size=18))
        return _layout(fig, "Hidden-layer outputs", "share of values")
    titles = [f"layer {j + 1}: μ = {hists[n][j].mean:.2f}, σ = {hists[n][j].std:.2f}" for n in names for j in range(n_layers)]
    layout, refs = _panel_grid(len(names), n_layers, 0.06, 0.3 / len(names), titles)
    bars = []
    for i, name in enumerate(names):
        for j, hist in enumerate(hists[name]):
            x_ref, y_ref = refs[i * n_layers + j]
            # A filled step line draws like bars but is one SVG path instead of one shape per bin: cheap to redraw live.
            x = np.repeat(hist.edges, 2)[1:-1]  # each bin's left and right edge
            bars.append(go.Scatter(x=x, y=np.repeat(hist.fractions, 2), mode="lines", fill="tozeroy", line=dict(width=1.5),
                                   marker_color=COLORS[i % len(COLORS)], name=name, showlegend=j == 0, xaxis=x_ref, yaxis=y_ref,
                                   hovertemplate="%{y:.1%} of values<extra></extra>"))
            layout[f"xaxis{x_ref[1:]}"]["matches"] = f"x{j + 1 if j else ''}" if i else None  # one x range per layer
            if i < len(names) - 1:
                layout[f"xaxis{x_ref[1:]}"]["showticklabels"] = False
            else:
                layout[f"xaxis{x_ref[1:]}"]["title"] = dict(text="value passed to the next layer")
        layout[f"yaxis{refs[i * n_layers][1][1:]}"]["title"] = dict(text=name.split(":")[0])
    height = 120 + height_per_row * len(names)
    layout.update(
        title=dict(text="What each hidden layer passes on (validation batch)", yref="container", y=1 - 12 / height, yanchor="top"),
        height=height, font=FONT, uirevision="keep",
        margin=dict(l=60, r=20, t=120, b=50),
        legend=dict(orientation="h", yref="container", yanchor="top", y=1 - 62 / height, xanchor="left", x=0),  # under the title
    )
    return go.Figure(data=bars, layout=layout)


def dropout_figure(view: DropoutView) -> go.Figure:
    """Three heatmaps of the same units: the input, one training step of dropout (✕ = dropped), and eval mode."""
    h, out, ev = (t.numpy() for t in (view.h, view.train_out, view.eval_out))
    top = float(max(np.abs(out).max(), np.abs(h).max(), 1e-6))
    titles = ("input h (the layer's activations)", f"model.train(): kept × {view.scale:.3g}, ✕ dropped",
              "model.eval(): h unchanged")
    fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.06, subplot_titles=titles)
    samples, units = h.shape
    for col, z in enumerate((h, out, ev), start=1):
        fig.add_heatmap(z=z, x=np.arange(1, units + 1), y=np.arange(1, samples + 1), coloraxis="coloraxis",
                        hovertemplate="sample %{y}, unit %{x}: %{z:.3f}<extra></extra>", row=1, col=col)
    rows, cols = np.nonzero(~view.kept.numpy())
    fig.add_scatter(x=cols + 1, y=rows + 1, mode="markers", name="dropped", showlegend=False, hoverinfo="skip",
                    marker=dict(symbol="x-thin", size=9, line=dict(width=2, color="crimson")), row=1, col=2)
    fig.update_yaxes(range=[samples + 0.5, 0.5])  # sample 1 on top, as in a table
    fig.update_yaxes(title_text="sample", row=1, col=1)
    fig.update_xaxes(title_text="hidden unit", range=[0.5, units + 0.5])
    fig.update_annotations(font_size=15)
    low = 0 if h.min() >= 0 else -top  # ReLU outputs start at 0; signed activations get a symmetric scale
    fig.update_layout(coloraxis=dict(colorscale="Viridis", cmin=low, cmax=top, colorbar=dict(title="value")),
                      height=340, margin=dict(l=60, r=20, t=60, b=50), font=FONT)
    return fig


def boundary_figure(axis: np.ndarray, probs: np.ndarray, names: list[str], X: np.ndarray, y: np.ndarray) -> go.Figure:
    """One panel per run: P(class 1) over the plane and the training points — a wiggly boundary is memorized noise."""
    n_cols = 2 if len(names) == 4 else len(names)  # four runs read best as a 2 × 2 grid
    n_rows = -(-len(names) // n_cols)
    titles = [name.replace(": ", ":<br>", 1) if n_cols > 2 else name for name in names]  # narrow panels: two lines
    layout, refs = _panel_grid(n_rows, n_cols, 0.04, 0.12, titles)
    traces = []
    for k, (x_ref, y_ref) in enumerate(refs[: len(names)]):
        # A heatmap is an image to the browser — cheap to redraw live; P = 0.5, the boundary, is its white band.
        traces.append(go.Heatmap(x=axis, y=axis, z=probs[k], coloraxis="coloraxis", xaxis=x_ref, yaxis=y_ref, zsmooth="best",
                                 hovertemplate="x₁ %{x:.1f}, x₂ %{y:.1f}: P(orange) %{z:.2f}<extra></extra>"))
        for label, color in ((0, "#1f77b4"), (1, "#ff7f0e")):
            mask = y == label
            traces.append(go.Scatter(x=X[mask, 0], y=X[mask, 1], mode="markers", hoverinfo="skip", xaxis=x_ref, yaxis=y_ref,
                                     marker=dict(color=color, size=7, line=dict(color="white", width=1))))
        # Square panels: each y axis keeps its own x axis's scale.
        layout[f"xaxis{x_ref[1:]}"].update(range=[axis[0], axis[-1]], constrain="domain", showticklabels=False)
        layout[f"yaxis{y_ref[1:]}"].update(range=[axis[0], axis[-1]], scaleanchor=x_ref, constrain="domain", showticklabels=False)
    for x_ref, y_ref in refs[len(names):]:  # an empty cell of the grid draws no axes
        layout[f"xaxis{x_ref[1:]}"]["visible"] = layout[f"yaxis{y_ref[1:]}"]["visible"] = False
    layout.update(
        title=dict(text="Decision boundary on the training points"), height=90 + 290 * n_rows, margin=dict(l=10, r=10, t=90, b=10),
        font=FONT, coloraxis=dict(colorscale=BOUNDARY_SCALE, cmin=0, cmax=1, colorbar=dict(title=dict(text="P(orange)"), len=0.8)),
        uirevision="keep", showlegend=False,
    )
    return go.Figure(data=traces, layout=layout)
