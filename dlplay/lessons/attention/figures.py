"""The chapter's figures as plotly specs (dicts: built in microseconds, drawn by dlplay.ui.charts.plot)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlplay.training.history import History, downsample
from dlplay.viz.spec import FONT, Spec, axis, figure, label

# Colour scales spelled out: plotly.js and plotly.py name-resolve "Blues" and "RdBu" in opposite directions.
WEIGHTS = [[0.0, "#f7fbff"], [0.25, "#c6dbef"], [0.5, "#6baed6"], [0.75, "#2171b5"], [1.0, "#08306b"]]  # 0 white … 1 dark blue
SIGNED = [[0.0, "#2166ac"], [0.25, "#92c5de"], [0.5, "#f7f7f7"], [0.75, "#f4a582"], [1.0, "#b2182b"]]  # blue < 0 < red
GOOD = [[0.0, "#d73027"], [0.5, "#fee08b"], [1.0, "#1a9850"]]  # red (bad) … green (good)
MARGIN = dict(l=10, r=10, t=50, b=10)


def _labels(values: Sequence) -> list[str]:
    return [str(v) for v in values]


def _cells(M: np.ndarray) -> list[list[str]]:
    """Each value as text, -inf as '−∞' (a masked score)."""
    return [["−∞" if np.isneginf(v) else f"{v:.2f}" for v in row] for row in M]


def matrix_figure(
    M: np.ndarray,
    rows: Sequence,
    columns: Sequence,
    title: str,
    *,
    weights: bool = False,  # True: a 0 … 1 scale (attention weights); False: a signed scale centred on 0
    text: bool | None = None,  # print each value in its cell; None = when the matrix is small
    height: int = 300,
    x_title: str = "",
    y_title: str = "",
    colorbar: bool = True,
) -> Spec:
    """One matrix as a heatmap, rows top to bottom; -inf (masked) cells left empty and labelled −∞."""
    M = np.asarray(M, dtype=float)
    shown = np.where(np.isfinite(M), M, np.nan)
    if weights:
        scale = dict(colorscale=WEIGHTS, zmin=0.0, zmax=1.0)
    else:
        bound = float(np.nanmax(np.abs(shown))) if np.isfinite(shown).any() else 1.0
        scale = dict(colorscale=SIGNED, zmid=0.0, zmin=-(bound or 1.0), zmax=bound or 1.0)
    show_text = text if text is not None else M.size <= 150
    trace = dict(type="heatmap", z=shown, x=_labels(columns), y=_labels(rows), text=_cells(M),
                 hovertemplate="row %{y} · column %{x}: %{text}<extra></extra>", colorbar=dict(thickness=10), xgap=1, ygap=1,
                 showscale=colorbar, **scale)
    if show_text:
        trace["texttemplate"] = "%{text}"
    return figure([trace], title=label(title), height=height, margin=MARGIN, font=FONT, uirevision="keep",
                  plot_bgcolor="#eeeeee", xaxis=axis(x_title, type="category", tickfont=dict(size=11), dtick=1),
                  yaxis=axis(y_title, type="category", autorange="reversed", tickfont=dict(size=11), dtick=1))


def _domains(n: int, gap: float = 0.03) -> list[list[float]]:
    """n side-by-side [start, end] fractions of the width with a small gap between them."""
    width = (1 - gap * (n - 1)) / n
    return [[i * (width + gap), i * (width + gap) + width] for i in range(n)]


def heads_figure(weights: np.ndarray, labels: Sequence[str], title: str = "", height: int = 330) -> Spec:
    """(H, T, T) one attention map per head, side by side, queries down, keys across."""
    H = len(weights)
    labels = _labels(labels)
    data, layout = [], {}
    for h, domain in enumerate(_domains(H)):
        suffix = "" if h == 0 else str(h + 1)
        data.append(dict(type="heatmap", z=np.asarray(weights[h]), x=labels, y=labels, colorscale=WEIGHTS, zmin=0, zmax=1,
                         showscale=h == H - 1, colorbar=dict(thickness=10), xgap=1, ygap=1, xaxis=f"x{suffix}",
                         yaxis=f"y{suffix}",
                         hovertemplate=f"head {h + 1}<br>%{{y}} → %{{x}}: %{{z:.2f}}<extra></extra>"))
        layout[f"xaxis{suffix}"] = axis(f"head {h + 1}", type="category", domain=domain, anchor=f"y{suffix}", tickangle=-60,
                                        side="top")
        layout[f"yaxis{suffix}"] = axis(type="category", autorange="reversed", anchor=f"x{suffix}", showticklabels=h == 0)
    return figure(data, title=label(title), height=height, margin=dict(l=10, r=10, t=110 if title else 80, b=10), font=FONT,
                  uirevision="keep", **layout)


def head_grid_figure(maps: np.ndarray, selected: tuple[int, int] | None = None, tile: int = 110) -> Spec:
    """(L, H, T, T) every layer's and head's map as one light mosaic (a single heatmap, gaps between tiles)."""
    L, H, T, _ = maps.shape
    step = T + 1  # one empty row / column between tiles
    mosaic = np.full((L * step - 1, H * step - 1), np.nan)
    for layer in range(L):
        for head in range(H):
            mosaic[layer * step : layer * step + T, head * step : head * step + T] = maps[layer, head]
    mosaic = np.round(mosaic, 3)  # three decimals are plenty for a thumbnail and halve the JSON
    annotations = [dict(x=h * step + (T - 1) / 2, y=-0.7, text=f"head {h + 1}", showarrow=False, yanchor="bottom",
                        font=dict(size=13)) for h in range(H)]
    annotations += [dict(x=-0.8, y=layer * step + (T - 1) / 2, text=f"layer {layer + 1}", showarrow=False, xanchor="right",
                         textangle=-90, font=dict(size=13)) for layer in range(L)]
    shapes = []
    if selected is not None:
        layer, head = selected
        shapes.append(dict(type="rect", x0=head * step - 0.7, x1=head * step + T - 0.3, y0=layer * step - 0.7,
                           y1=layer * step + T - 0.3, line=dict(color="#d62728", width=3)))
    trace = dict(type="heatmap", z=mosaic, colorscale=WEIGHTS, zmin=0, zmax=1, showscale=False, hoverinfo="skip")
    return figure([trace], height=max(170, L * tile + 50), margin=dict(l=30, r=10, t=30, b=10), annotations=annotations,
                  shapes=shapes, uirevision="keep", plot_bgcolor="white", font=FONT,
                  xaxis=dict(visible=False, range=[-2.5, H * step - 0.5], constrain="domain"),
                  yaxis=dict(visible=False, range=[L * step - 0.5, -1.5], scaleanchor="x", constrain="domain"))


def _metric(history: History, name: str) -> list[float]:
    if name in ("train_loss", "train_acc", "val_loss", "val_acc"):
        return getattr(history, name)
    return history.extras.get(name, [])


def curves_figure(history: History, metrics: dict[str, str], title: str, *, percent: bool = False,
                  batch_loss: bool = False, max_points: int = 250) -> Spec:
    """Evaluation metrics against the step (metrics: name in the history → legend label); optionally the batch loss."""
    data = []
    if batch_loss and history.step_loss:
        x, y = downsample(np.arange(1, len(history.step_loss) + 1), np.asarray(history.step_loss), max_points)
        data.append(dict(type="scatter", x=x, y=y, mode="lines", name="batch loss", line=dict(width=1, color="#aaaaaa")))
    for name, legend in metrics.items():
        values = _metric(history, name)
        if len(values) and len(values) == len(history.eval_step):
            x, y = downsample(history.eval_step, values, max_points)
            data.append(dict(type="scatter", x=x, y=y, mode="lines+markers" if len(x) < 30 else "lines", name=legend,
                             line=dict(width=3)))
    yaxis = axis(range=[0, 1.02], tickformat=".0%") if percent else axis()
    return figure(data, title=label(title), height=300, margin=MARGIN, font=FONT, uirevision="keep",
                  xaxis=axis("optimizer step"), yaxis=yaxis,
                  legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1))


def position_accuracy_figure(accuracy: np.ndarray) -> Spec:
    """(T,) accuracy at each output position, as bars."""
    accuracy = np.asarray(accuracy, dtype=float)
    trace = dict(type="bar", x=[str(i) for i in range(len(accuracy))], y=np.nan_to_num(accuracy), marker=dict(color="#1f77b4"),
                 text=[f"{a:.0%}" if np.isfinite(a) else "" for a in accuracy], textposition="outside")
    return figure([trace], title=label("Accuracy per position"), height=300, margin=MARGIN, font=FONT, uirevision="keep",
                  xaxis=axis("output position", type="category"), yaxis=axis(range=[0, 1.18], tickformat=".0%"))


def ablation_figure(accuracy: np.ndarray, baseline: float) -> Spec:
    """(L, H) sequence accuracy with one head switched off, against the baseline with every head on."""
    L, H = accuracy.shape
    text = [[f"{a:.0%} ({a - baseline:+.0%})" for a in row] for row in accuracy]
    trace = dict(type="heatmap", z=accuracy, x=[f"head {h + 1}" for h in range(H)],
                 y=[f"layer {layer + 1}" for layer in range(L)],
                 colorscale=GOOD, zmin=0, zmax=1, text=text, texttemplate="%{text}", xgap=2, ygap=2,
                 hovertemplate="%{y}, %{x} off: %{text}<extra></extra>", colorbar=dict(thickness=10, tickformat=".0%"))
    return figure([trace], title=label(f"Sequence accuracy with one head off (every head on: {baseline:.0%})"),
                  height=120 + 60 * L, margin=MARGIN, font=FONT, xaxis=axis(type="category"),
                  yaxis=axis(type="category", autorange="reversed"))


def shown_char(c: str) -> str:
    """A character as a readable label: ␣ for a space, ⏎ for a newline."""
    return {" ": "␣", "\n": "⏎"}.get(c, c)


def context_attention_figure(context: str, weights: np.ndarray, next_char: str) -> Spec:
    """(L, H, T) the attention of one query over its context characters: a row per layer and head."""
    L, H, T = weights.shape
    shown = [shown_char(c) for c in context]
    x = list(range(T))  # positions, labelled with their characters (repeated characters stay apart)
    rows = [f"L{layer + 1} H{h + 1}" for layer in range(L) for h in range(H)]
    trace = dict(type="heatmap", z=np.round(weights.reshape(L * H, T), 4), x=x, y=rows, colorscale=WEIGHTS, zmin=0,
                 zmax=float(weights.max()) or 1.0, customdata=[shown] * (L * H), xgap=1, ygap=1,
                 hovertemplate="%{y} → %{customdata}: %{z:.2f}<extra></extra>", colorbar=dict(thickness=10))
    return figure([trace], title=label(f"Where the model looked when it wrote {shown_char(next_char)!r}"),
                  height=110 + 22 * L * H, margin=MARGIN, font=FONT,
                  xaxis=axis(tickvals=x, ticktext=shown, tickangle=0, tickfont=dict(size=12, family="monospace")),
                  yaxis=axis(type="category", autorange="reversed"))


def encoding_figure(encoding: np.ndarray) -> Spec:
    """(T, C) the sinusoidal encoding: a row per position, a column per dimension."""
    trace = dict(type="heatmap", z=np.round(encoding, 3), colorscale=SIGNED, zmin=-1, zmax=1,
                 hovertemplate="position %{y}, dimension %{x}: %{z:.2f}<extra></extra>", colorbar=dict(thickness=10))
    return figure([trace], title=label("Sinusoidal encoding PE[position, dimension]"), height=380, margin=MARGIN, font=FONT,
                  xaxis=axis("dimension"), yaxis=axis("position", autorange="reversed"))


def similarity_figure(similarity: np.ndarray) -> Spec:
    """(T, T) cosine similarity between the encodings of two positions."""
    trace = dict(type="heatmap", z=np.round(similarity, 3), colorscale=SIGNED, zmin=-1, zmax=1,
                 hovertemplate="positions %{y} and %{x}: %{z:.2f}<extra></extra>", colorbar=dict(thickness=10))
    return figure([trace], title=label("Cosine similarity between positions"), height=380, margin=MARGIN, font=FONT,
                  xaxis=axis("position", constrain="domain"), yaxis=axis("position", autorange="reversed", scaleanchor="x"))
