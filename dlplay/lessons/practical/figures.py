"""The chapter's figures as plotly specs (dicts): arrays in, figure out."""

from __future__ import annotations

import math

import numpy as np
from plotly.colors import qualitative

from dlplay.lessons.practical.number_formats import FORMATS, GradientCensus, smallest_subnormal
from dlplay.lessons.practical.onnx_graph import OnnxGraph
from dlplay.training.history import History, downsample
from dlplay.viz.spec import FONT, axis, figure, label

COLORS = qualitative.D3
WAY_COLORS = {"frozen": COLORS[0], "fine-tuned": COLORS[1], "from scratch": COLORS[7]}
MAX_POINTS = 300  # points per live curve
LEGEND = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1}
LEGEND_BELOW = {"orientation": "h", "yanchor": "top", "y": -0.3, "xanchor": "left", "x": 0}  # for long names


def _layout(title: str, x_title: str, y_title: str, height: int = 340, **extra) -> dict:
    return {"title": label(title), "xaxis": axis(x_title), "yaxis": axis(y_title), "height": height, "font": FONT,
            "margin": {"l": 60, "r": 20, "t": 60, "b": 50}, "legend": LEGEND, "uirevision": "keep", **extra}


def _empty_note(layout: dict, text: str) -> None:
    """A centred note on a chart with no data yet."""
    layout.setdefault("annotations", []).append({"text": text, "showarrow": False, "xref": "paper", "yref": "paper",
                                                 "x": 0.5, "y": 0.5, "font": {"size": 15, "color": "#888888"}})


def _line(x, y, name: str, color: str, **style) -> dict:
    return {"type": "scatter", "mode": "lines", "x": list(map(float, x)), "y": [None if not math.isfinite(v) else float(v) for v in y],
            "name": name, "line": {"color": color, "width": style.pop("width", 3), **style.pop("line", {})}, **style}


# ----- transfer learning ---------------------------------------------------------------------------------------------
def race_accuracy_figure(histories: dict[str, History], names: dict[str, str]) -> dict:
    """Validation accuracy (solid) and training accuracy (dotted) of each way against optimizer steps."""
    traces = []
    for way, h in histories.items():
        color = WAY_COLORS.get(way, COLORS[3])
        if h.eval_step:
            x, y = downsample(h.eval_step, h.val_acc, MAX_POINTS)
            traces.append(_line(x, y, f"{names.get(way, way)} · validation", color, mode="lines+markers",
                                marker={"size": 5}))
            x, y = downsample(h.eval_step, h.train_acc, MAX_POINTS)
            traces.append(_line(x, y, "train", color, width=1.5, line={"dash": "dot"}, showlegend=False))
    layout = _layout("Accuracy on held-out target images (dotted: on the labelled ones)", "optimizer step", "accuracy",
                     height=400, legend=LEGEND_BELOW)
    layout["margin"]["b"] = 110
    layout["yaxis"].update(range=[0, 1.02], tickformat=".0%")
    return figure(traces, **layout)


def race_loss_figure(histories: dict[str, History], names: dict[str, str]) -> dict:
    """Validation loss of each way against optimizer steps."""
    traces = []
    for way, h in histories.items():
        if h.eval_step:
            x, y = downsample(h.eval_step, h.val_loss, MAX_POINTS)
            traces.append(_line(x, y, names.get(way, way), WAY_COLORS.get(way, COLORS[3]), mode="lines+markers",
                                marker={"size": 5}))
    layout = _layout("Validation loss", "optimizer step", "cross-entropy", height=400, legend=LEGEND_BELOW)
    layout["margin"]["b"] = 110
    return figure(traces, **layout)


def sweep_figure(labels: tuple[int, ...], accuracy: dict[str, list[float]], names: dict[str, str], steps: int) -> dict:
    """Final validation accuracy against labels per class (log axis), one line per way; points appear as jobs finish."""
    traces = [{"type": "scatter", "mode": "lines+markers", "x": list(labels),
               "y": [None if not math.isfinite(v) else float(v) for v in values], "name": names.get(way, way),
               "line": {"color": WAY_COLORS.get(way, COLORS[3]), "width": 3}, "marker": {"size": 9}}
              for way, values in accuracy.items()]
    layout = _layout(f"Accuracy after {steps} steps against labels per class", "labelled images per class", "validation accuracy")
    layout["xaxis"].update(type="log", tickvals=list(labels))
    layout["yaxis"].update(range=[0, 1.02], tickformat=".0%")
    return figure(traces, **layout)


def projection_figure(panels: dict[str, np.ndarray], y: np.ndarray, class_names: tuple[str, ...]) -> dict:
    """Side-by-side scatter plots of 2D feature projections (one panel per backbone), coloured by class."""
    traces, layout = [], _layout("What a new head sees: the backbone's features of target images (2 principal axes)",
                                 "", "", height=380)
    n = len(panels)
    gap = 0.06
    width = (1 - gap * (n - 1)) / n
    for p, (title, xy) in enumerate(panels.items()):
        suffix = "" if p == 0 else str(p + 1)
        for c, name in enumerate(class_names):
            mask = y == c
            traces.append({"type": "scatter", "mode": "markers", "x": xy[mask, 0].tolist(), "y": xy[mask, 1].tolist(),
                           "name": name, "legendgroup": name, "showlegend": p == 0, "xaxis": f"x{suffix}",
                           "yaxis": f"y{suffix}", "marker": {"color": COLORS[c % len(COLORS)], "size": 7, "opacity": 0.8}})
        start = p * (width + gap)
        layout[f"xaxis{suffix}"] = axis(title, domain=[start, start + width], showticklabels=False, zeroline=False)
        layout[f"yaxis{suffix}"] = axis(None, anchor=f"x{suffix}", showticklabels=False, zeroline=False)
    return figure(traces, **layout)


# ----- mixed precision -----------------------------------------------------------------------------------------------
def precision_loss_figure(histories: dict[str, History]) -> dict:
    """Batch loss (faint) and validation loss of each run, overlaid."""
    traces = []
    for i, (name, h) in enumerate(histories.items()):
        color = COLORS[i % len(COLORS)]
        if h.step_loss:
            x, y = downsample(np.arange(1, len(h.step_loss) + 1), np.asarray(h.step_loss), MAX_POINTS)
            traces.append(_line(x, y, f"{name} · batch", color, width=1, opacity=0.4))
        if h.eval_step:
            x, y = downsample(h.eval_step, h.val_loss, MAX_POINTS)
            traces.append(_line(x, y, f"{name} · validation", color))
    return figure(traces, **_layout("Loss: the two runs overlaid", "optimizer step", "cross-entropy"))


def cost_figure(rows: list[dict], memory_key: str) -> dict:
    """Two bar charts side by side: median milliseconds per step, and memory in MB, one bar per run."""
    names = [r["run"] for r in rows]
    colors = [COLORS[i % len(COLORS)] for i in range(len(rows))]

    def bars(values, axis_suffix: str, fmt: str) -> dict:
        clean = [None if not math.isfinite(v) else float(v) for v in values]
        return {"type": "bar", "x": names, "y": clean, "marker": {"color": colors}, "showlegend": False,
                "text": [fmt.format(v) if v is not None else "—" for v in clean], "textposition": "auto",
                "xaxis": f"x{axis_suffix}", "yaxis": f"y{axis_suffix}"}

    layout = _layout("Cost per step", "", "", height=320)
    layout.update(xaxis=axis("time per step (median of recent steps)", domain=[0, 0.45]),
                  yaxis=axis("ms"), xaxis2=axis(memory_key, domain=[0.55, 1]), yaxis2=axis("MB", anchor="x2"))
    if not any(math.isfinite(r["ms per step"]) for r in rows):
        _empty_note(layout, "press Play or Step to measure")
    return figure([bars([r["ms per step"] for r in rows], "", "{:.1f} ms"),
                   bars([r[memory_key] for r in rows], "2", "{:.1f} MB")], **layout)


def format_range_figure(value: float | None = None) -> dict:
    """Each format's positive range on a log scale: subnormals (pale) then normal numbers (solid); the value marked."""
    import torch

    traces = []
    for i, (name, dtype) in enumerate(FORMATS.items()):
        info = torch.finfo(dtype)
        low, normal, high = math.log10(smallest_subnormal(dtype)), math.log10(info.smallest_normal), math.log10(info.max)
        color = COLORS[i % len(COLORS)]
        traces.append({"type": "bar", "orientation": "h", "y": [name], "x": [normal - low], "base": [low],
                       "marker": {"color": color, "opacity": 0.35}, "name": "subnormal", "showlegend": i == 0,
                       "legendgroup": "sub", "hovertemplate": f"{name} subnormals: 1e%{{base:.1f}} … 1e{normal:.1f}<extra></extra>"})
        traces.append({"type": "bar", "orientation": "h", "y": [name], "x": [high - normal], "base": [normal],
                       "marker": {"color": color}, "name": "normal", "showlegend": i == 0, "legendgroup": "normal",
                       "hovertemplate": f"{name} normal numbers: 1e{normal:.1f} … 1e{high:.1f}<extra></extra>"})
    layout = _layout("Positive numbers each format can hold (log₁₀ scale)", "log₁₀ of the magnitude", "", height=320,
                     barmode="overlay", legend=LEGEND_BELOW)
    layout["margin"]["b"] = 90
    layout["yaxis"].update(autorange="reversed")
    if value is not None and value != 0 and math.isfinite(value):
        x = math.log10(abs(value))
        layout["shapes"] = [{"type": "line", "x0": x, "x1": x, "y0": 0, "y1": 1, "yref": "paper",
                             "line": {"color": "black", "width": 3, "dash": "dash"}}]
        layout["annotations"] = [{"x": x, "y": 1, "yref": "paper", "yanchor": "bottom", "showarrow": False,
                                  "text": f"|{value:g}|", "font": {"size": 14}}]
    return figure(traces, **layout)


def gradient_histogram_figure(census: GradientCensus, bins: int = 60) -> dict:
    """Histogram of log₁₀|g| of a model's gradients, before and after the loss scale, with float16's limits marked."""
    import torch

    shift = math.log10(census.scale)
    values = census.log10_abs.double().numpy()
    low, high = min(values.min(), -9.0), max(values.max() + shift, 5.0)
    edges = np.linspace(low, high, bins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    traces = []
    for name, data, color in (("gradients", values, COLORS[0]), (f"× scale {census.scale:g}", values + shift, COLORS[1])):
        counts, _ = np.histogram(data, edges)
        traces.append({"type": "bar", "x": centres.tolist(), "y": (counts / len(values)).tolist(), "name": name,
                       "marker": {"color": color}, "opacity": 0.6})
    half = torch.finfo(torch.float16)
    marks = (("float16 rounds to 0 below", math.log10(smallest_subnormal(torch.float16) / 2), "red"),
             ("float16 normal from", math.log10(half.smallest_normal), "orange"),
             ("float16 max", math.log10(half.max), "red"))
    shapes = [{"type": "line", "x0": x, "x1": x, "y0": 0, "y1": 1, "yref": "paper", "line": {"color": c, "dash": "dash"}}
              for _, x, c in marks]
    annotations = [{"x": x, "y": 1, "yref": "paper", "text": text, "showarrow": False, "yanchor": "bottom",
                    "font": {"size": 12, "color": c}} for text, x, c in marks]
    layout = _layout("Where this model's gradient entries fall, without and with loss scaling", "log₁₀ |gradient|",
                     "share of entries", height=380, barmode="overlay", shapes=shapes, annotations=annotations,
                     legend={"x": 0.01, "y": 0.97, "xanchor": "left", "yanchor": "top", "bgcolor": "rgba(255,255,255,0.7)"})
    layout["margin"]["t"] = 80
    layout["yaxis"].update(tickformat=".0%")
    return figure(traces, **layout)


# ----- deployment ----------------------------------------------------------------------------------------------------
def onnx_graph_layout(graph: OnnxGraph, per_line: int = 12) -> tuple[list[float], list[float]]:
    """(x, y) of each node: columns by depth, wrapped every `per_line` columns into bands read like lines of text."""
    span = 2 * max((abs(n.row) for n in graph.nodes), default=0) + 2  # a band's height: its widest column plus a gap
    xs = [float(n.layer % per_line) for n in graph.nodes]
    ys = [(n.layer // per_line) * span + n.row for n in graph.nodes]
    return xs, ys


def onnx_graph_figure(graph: OnnxGraph, per_line: int = 12) -> dict:
    """The ONNX graph left to right, wrapped into bands: one marker per operator (hover for tensors, weights,
    attributes), lines for the tensors between them."""
    xs, ys = onnx_graph_layout(graph, per_line)
    edge_x, edge_y = [], []
    for a, b, _ in graph.edges:
        edge_x += [xs[a], xs[b], None]
        edge_y += [ys[a], ys[b], None]
    kinds = sorted({n.label for n in graph.nodes if n.kind == "op"})
    palette = {k: COLORS[i % len(COLORS)] for i, k in enumerate(kinds)}
    colors = [palette.get(n.label, "#444444") for n in graph.nodes]
    symbols = ["square" if n.kind != "op" else "circle" for n in graph.nodes]
    traces = [
        {"type": "scatter", "mode": "lines", "x": edge_x, "y": edge_y, "hoverinfo": "skip", "showlegend": False,
         "line": {"color": "#999999", "width": 1.5}},
        {"type": "scatter", "mode": "markers+text", "x": xs, "y": ys, "text": [n.label for n in graph.nodes],
         "textposition": ["top center" if n.layer % 2 == 0 else "bottom center" for n in graph.nodes],
         "hovertext": [n.detail for n in graph.nodes], "hoverinfo": "text", "showlegend": False,
         "marker": {"color": colors, "size": 18, "symbol": symbols, "line": {"color": "white", "width": 1}},
         "textfont": {"size": 13}},
    ]
    low, high = (min(ys, default=0) - 1, max(ys, default=0) + 1)
    ops = sum(1 for n in graph.nodes if n.kind == "op")
    layout = _layout(f"The ONNX graph: {ops} operators, opset {graph.opset}, {graph.n_weights:,} weights "
                     "(hover a node for its tensors)", "", "", height=int(120 + 55 * (high - low)), hovermode="closest")
    layout["xaxis"].update(visible=False, range=[-0.7, min(per_line, max(xs, default=0) + 1) - 0.3])
    layout["yaxis"].update(visible=False, range=[high, low])
    return figure(traces, **layout)


def latency_figure(latencies: dict[str, float], batch: int) -> dict:
    """Median milliseconds per call of each runtime, as bars."""
    names = list(latencies)
    values = [latencies[n] * 1e3 for n in names]
    bars = {"type": "bar", "x": names, "y": values, "marker": {"color": [COLORS[i % len(COLORS)] for i in range(len(names))]},
            "text": [f"{v:.3g} ms" for v in values], "textposition": "auto", "showlegend": False}
    return figure([bars], **_layout(f"Latency on the CPU, batch of {batch} (median)", "", "ms per call", height=320))
