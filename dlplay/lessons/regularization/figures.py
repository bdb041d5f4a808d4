"""Chapter 7 figures (plotly specs): best-epoch marks, weight norms, dropout masks, batch-norm histograms, boundaries."""

from __future__ import annotations

import numpy as np

from dlplay.lessons.regularization.dropout_view import DropoutView, Histogram
from dlplay.training.history import History, downsample
from dlplay.viz.spec import Spec, figure, label
from dlplay.viz.training import COLORS, curve_layout, line

FONT = dict(size=15)
# Light blue (class 0) → light orange (class 1), with a thin dark band at P = 0.5: the decision boundary.
BOUNDARY_SCALE = [[0.0, "#9ecae9"], [0.47, "#e3eef8"], [0.475, "#222222"], [0.525, "#222222"], [0.53, "#fdebd6"],
                  [1.0, "#ffbb78"]]


def mark_best(spec: Spec, marks: dict[str, tuple[int, float]], names: list[str], text: str = "best (restored)") -> Spec:
    """A star at each run's best evaluation and a dotted vertical line there, in the run's colour (its index in names)."""
    shapes = spec["layout"].setdefault("shapes", [])
    for name, (step, value) in marks.items():
        color = COLORS[names.index(name) % len(COLORS)] if name in names else "black"
        shapes.append(dict(type="line", x0=step, x1=step, xref="x", y0=0, y1=1, yref="y domain",
                           line=dict(color=color, width=2, dash="dot")))
        spec["data"].append(dict(type="scatter", x=[step], y=[value], mode="markers", name=f"{name.split(':')[0]} · {text}",
                                 legendgroup=name, marker=dict(symbol="star", size=18, color=color,
                                                               line=dict(color="black", width=1))))
    return spec


def race_figure(spec: Spec, steps_per_epoch: int) -> Spec:
    """A training curve spec made readable for racing runs: epochs on x, one legend entry per run."""
    for trace in spec["data"]:
        run, sep, what = (trace.get("name") or "").rpartition(" · ")
        run = run if sep else trace.get("name")
        trace["legendgroup"] = trace.get("legendgroup") or run  # clicking a run's entry hides all its curves
        if what == "train":
            trace["name"] = run
        elif sep and trace.get("mode") != "markers":  # the dashed twin of a run already in the legend
            trace["showlegend"] = False
        if trace.get("x") is not None:
            trace["x"] = np.asarray(trace["x"], dtype=float) / steps_per_epoch
    for shape in spec["layout"].get("shapes", []):
        shape["x0"], shape["x1"] = shape["x0"] / steps_per_epoch, shape["x1"] / steps_per_epoch
    layout = spec["layout"]
    layout["xaxis"] = {**layout.get("xaxis", {}), "title": label("epoch")}
    # the legend sits in the bottom margin, under the axis title
    layout.update(legend=dict(orientation="h", yref="container", yanchor="bottom", y=0, xanchor="left", x=0,
                              font=dict(size=13)),
                  height=470, margin={**layout.get("margin", {}), "b": 125})
    return spec


def weight_norm_figure(histories: dict[str, History], max_points: int = 600) -> Spec:
    """‖W‖₂ of every run at each evaluation: weight decay keeps it small, an overfitting network lets it grow."""
    data = []
    for i, (name, h) in enumerate(histories.items()):
        norms = h.extras.get("weight_norm", [])
        if norms:
            x, y = downsample(h.eval_step[: len(norms)], norms, max_points)
            data.append(line(x, y, name, COLORS[i % len(COLORS)]))
    return figure(data, **curve_layout("Weight norm ‖W‖₂ (all weight matrices)", "‖W‖₂"))


def _panel_grid(n_rows: int, n_cols: int, h_gap: float, v_gap: float, titles: list[str],
                title_size: int = 14) -> tuple[dict, list[tuple[str, str]]]:
    """Layout axes and title annotations of an n_rows × n_cols grid, and each panel's (xaxis, yaxis) names, row-major."""
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
                                              xanchor="center", yanchor="bottom", showarrow=False,
                                              font=dict(size=title_size)))
    return layout, refs


def histogram_grid(hists: dict[str, list[Histogram]], height_per_row: int = 150) -> Spec:
    """Small multiples: one row per run, one column per hidden layer, bars = share of values per bin."""
    names = list(hists)
    n_layers = max((len(v) for v in hists.values()), default=0)
    if not names or n_layers == 0:
        empty = curve_layout("Hidden-layer outputs", "share of values")
        return figure([], **empty, annotations=[dict(text="No hidden layers to show", showarrow=False, font=dict(size=18),
                                                     xref="paper", yref="paper", x=0.5, y=0.5)])
    titles = [f"layer {j + 1}: μ = {hists[n][j].mean:.2f}, σ = {hists[n][j].std:.2f}" for n in names for j in range(n_layers)]
    layout, refs = _panel_grid(len(names), n_layers, 0.06, 0.3 / len(names), titles)
    bars = []
    for i, name in enumerate(names):
        for j, hist in enumerate(hists[name]):
            x_ref, y_ref = refs[i * n_layers + j]
            # A filled step line draws like bars but is one SVG path instead of one shape per bin: cheap to redraw live.
            x = np.repeat(hist.edges, 2)[1:-1]  # each bin's left and right edge
            bars.append(dict(type="scatter", x=x, y=np.repeat(hist.fractions, 2), mode="lines", fill="tozeroy",
                             line=dict(width=1.5), marker=dict(color=COLORS[i % len(COLORS)]), name=name,
                             showlegend=j == 0, xaxis=x_ref, yaxis=y_ref,
                             hovertemplate="%{y:.1%} of values<extra></extra>"))
            x_axis = layout[f"xaxis{x_ref[1:]}"]
            if i:
                x_axis["matches"] = f"x{j + 1 if j else ''}"  # one x range per layer
            if i < len(names) - 1:
                x_axis["showticklabels"] = False
            else:
                x_axis["title"] = label("value passed to the next layer")
        layout[f"yaxis{refs[i * n_layers][1][1:]}"]["title"] = label(name.split(":")[0])
    height = 120 + height_per_row * len(names)
    layout.update(
        title=label("What each hidden layer passes on (validation batch)", yref="container", y=1 - 12 / height,
                    yanchor="top"),
        height=height, font=FONT, uirevision="keep", margin=dict(l=60, r=20, t=120, b=50),
        legend=dict(orientation="h", yref="container", yanchor="top", y=1 - 62 / height, xanchor="left", x=0),  # under the title
    )
    return figure(bars, **layout)


def dropout_figure(view: DropoutView) -> Spec:
    """Three heatmaps of the same units: the input, one training step of dropout (✕ = dropped), and eval mode."""
    h, out, ev = (t.numpy() for t in (view.h, view.train_out, view.eval_out))
    top = float(max(np.abs(out).max(), np.abs(h).max(), 1e-6))
    titles = ["input h (the layer's activations)", f"model.train(): kept × {view.scale:.3g}, ✕ dropped",
              "model.eval(): h unchanged"]
    layout, refs = _panel_grid(1, 3, 0.06, 0.0, titles, title_size=15)
    samples, units = h.shape
    data = []
    for (x_ref, y_ref), z in zip(refs, (h, out, ev), strict=True):
        data.append(dict(type="heatmap", z=z, x=np.arange(1, units + 1), y=np.arange(1, samples + 1), coloraxis="coloraxis",
                         xaxis=x_ref, yaxis=y_ref, hovertemplate="sample %{y}, unit %{x}: %{z:.3f}<extra></extra>"))
        layout[f"xaxis{x_ref[1:]}"].update(title=label("hidden unit"), range=[0.5, units + 0.5])
        layout[f"yaxis{y_ref[1:]}"]["range"] = [samples + 0.5, 0.5]  # sample 1 on top, as in a table
    layout["yaxis"]["title"] = label("sample")
    rows, cols = np.nonzero(~view.kept.numpy())
    data.append(dict(type="scatter", x=cols + 1, y=rows + 1, mode="markers", name="dropped", showlegend=False,
                     hoverinfo="skip", xaxis=refs[1][0], yaxis=refs[1][1],
                     marker=dict(symbol="x-thin", size=9, line=dict(width=2, color="crimson"))))
    low = 0 if h.min() >= 0 else -top  # ReLU outputs start at 0; signed activations get a symmetric scale
    layout.update(coloraxis=dict(colorscale="Viridis", cmin=low, cmax=top, colorbar=dict(title=label("value"))),
                  height=340, margin=dict(l=60, r=20, t=60, b=50), font=FONT)
    return figure(data, **layout)


def boundary_figure(grid: np.ndarray, probs: np.ndarray, names: list[str], X: np.ndarray, y: np.ndarray) -> Spec:
    """One panel per run: P(class 1) over the plane and the training points — a wiggly boundary is memorized noise."""
    n_cols = 2 if len(names) == 4 else len(names)  # four runs read best as a 2 × 2 grid
    n_rows = -(-len(names) // n_cols)
    titles = [name.replace(": ", ":<br>", 1) if n_cols > 2 else name for name in names]  # narrow panels: two lines
    layout, refs = _panel_grid(n_rows, n_cols, 0.04, 0.12, titles)
    traces = []
    masks = [(y == cls, color) for cls, color in ((0, "#1f77b4"), (1, "#ff7f0e"))]
    for k, (x_ref, y_ref) in enumerate(refs[: len(names)]):
        # A heatmap is an image to the browser — cheap to redraw live; P = 0.5, the boundary, is its dark band.
        traces.append(dict(type="heatmap", x=grid, y=grid, z=probs[k], coloraxis="coloraxis", xaxis=x_ref, yaxis=y_ref,
                           zsmooth="best", hovertemplate="x₁ %{x:.1f}, x₂ %{y:.1f}: P(orange) %{z:.2f}<extra></extra>"))
        for mask, color in masks:
            traces.append(dict(type="scatter", x=X[mask, 0], y=X[mask, 1], mode="markers", hoverinfo="skip", xaxis=x_ref,
                               yaxis=y_ref, marker=dict(color=color, size=7, line=dict(color="white", width=1))))
        # Square panels: each y axis keeps its own x axis's scale.
        layout[f"xaxis{x_ref[1:]}"].update(range=[grid[0], grid[-1]], constrain="domain", showticklabels=False)
        layout[f"yaxis{y_ref[1:]}"].update(range=[grid[0], grid[-1]], scaleanchor=x_ref, constrain="domain",
                                           showticklabels=False)
    for x_ref, y_ref in refs[len(names):]:  # an empty cell of the grid draws no axes
        layout[f"xaxis{x_ref[1:]}"]["visible"] = layout[f"yaxis{y_ref[1:]}"]["visible"] = False
    layout.update(
        title=label("Decision boundary on the training points"), height=90 + 290 * n_rows,
        margin=dict(l=10, r=10, t=90, b=10), font=FONT, showlegend=False, uirevision="keep",
        coloraxis=dict(colorscale=BOUNDARY_SCALE, cmin=0, cmax=1, colorbar=dict(title=label("P(orange)"), len=0.8)),
    )
    return figure(traces, **layout)
