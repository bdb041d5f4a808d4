"""Figures of the RNN page's stepper, gradients through time, race and gates: arrays in, plotly specs out."""

from __future__ import annotations

import numpy as np

from dlplay.lessons.rnn.stepper import Unrolling
from dlplay.viz.spec import FONT, Spec, axis, figure, label
from dlplay.viz.training import COLORS, line

DIVERGING = [[0.0, "#2166ac"], [0.5, "#f7f7f7"], [1.0, "#b2182b"]]  # blue < 0 < red (plotly.js names differ)
CELL_COLORS = {"RNN": COLORS[0], "LSTM": COLORS[1], "GRU": COLORS[2]}
LEGEND = dict(orientation="h", yanchor="top", y=-0.22, xanchor="left", x=0)  # below the plot: titles stay readable


def _layout(title: str, height: int = 340, **layout) -> dict:
    return dict(title=label(title), height=height + 50, margin=dict(l=60, r=20, t=50, b=95), uirevision="keep", font=FONT,
                legend=LEGEND, **layout)


def _finite(values: np.ndarray, positive: bool = False) -> np.ndarray:
    """NaN where a value cannot be drawn (inf, or ≤ 0 on a log axis)."""
    values = np.asarray(values, dtype=float)
    keep = np.isfinite(values) & (values > 0 if positive else True)
    return np.where(keep, values, np.nan)


# ----- 1 · the stepper ---------------------------------------------------------------------------------------------------
def series_figure(u: Unrolling, t: int) -> Spec:
    """The inputs xₜ read so far, the current one ringed, and each step's prediction of the next value."""
    steps = np.arange(1, u.steps + 1)
    seen = steps <= t + 1
    data = [
        line(steps, u.x, "the whole sequence", "lightgray", width=2),
        dict(type="scatter", x=steps[seen], y=u.x[seen], mode="markers+lines", name="inputs read: xₜ",
             marker=dict(size=8, color=COLORS[0]), line=dict(color=COLORS[0])),
        dict(type="scatter", x=steps[seen] + 1, y=u.y_hat[seen], mode="markers", name="prediction of the next value ŷₜ",
             marker=dict(size=9, symbol="x", color=COLORS[3])),
        dict(type="scatter", x=[t + 1], y=[float(u.x[t])], mode="markers", name=f"now: step {t + 1}",
             marker=dict(size=18, color="rgba(0,0,0,0)", line=dict(color="black", width=2))),
    ]
    return figure(data, **_layout("The sequence, read one value per step", 320,
                                  xaxis=axis("step t", range=[0.5, u.steps + 1.5], dtick=5),
                                  yaxis=axis("value", range=[-1.3, 1.3])))


def hidden_heatmap(u: Unrolling, t: int) -> Spec:
    """Hidden vectors h₁ … hₜ as columns, growing one column per step (later steps blank), the current one framed."""
    H = u.h.shape[1]
    z = np.full((H, u.steps), np.nan)
    z[:, : t + 1] = u.h[: t + 1].T  # (H, t + 1)
    heat = dict(type="heatmap", z=z, x=np.arange(1, u.steps + 1), y=[f"h[{i}]" for i in range(H)], zmin=-1, zmax=1,
                colorscale=DIVERGING, colorbar=dict(title=label("hₜ"), len=0.9),
                hovertemplate="step %{x}, unit %{y}: %{z:.3f}<extra></extra>")
    frame = dict(type="rect", x0=t + 0.5, x1=t + 1.5, y0=-0.5, y1=H - 0.5, line=dict(color="black", width=3))
    return figure([heat], **_layout("Hidden state hₜ, one column per step", max(240, 60 + 26 * H), shapes=[frame],
                                    xaxis=axis("step t", range=[0.5, u.steps + 0.5], dtick=5),
                                    yaxis=axis(autorange="reversed")))


def step_terms_figure(u: Unrolling, t: int) -> Spec:
    """This step's terms per unit: Wₓₕxₜ + b, Wₕₕhₜ₋₁ + b, their sum, and hₜ = tanh(sum)."""
    units = [f"h[{i}]" for i in range(u.h.shape[1])]
    terms = (("Wₓₕ·xₜ + b_ih (the input)", u.input_term[t], COLORS[0]),
             ("Wₕₕ·hₜ₋₁ + b_hh (the memory)", u.recurrent_term[t], COLORS[1]),
             ("sum (before tanh)", u.pre[t], "gray"),
             ("hₜ = tanh(sum)", u.h[t], COLORS[3]))
    data = [dict(type="bar", x=units, y=values, name=name, marker=dict(color=color),
                 hovertemplate="%{x}: %{y:.3f}<extra></extra>") for name, values, color in terms]
    return figure(data, **_layout(f"Step {t + 1}: xₜ = {u.x[t]:+.3f}, what each unit adds up", 340, barmode="group",
                                  yaxis=axis("value")))


# ----- 2 · gradients through time -------------------------------------------------------------------------------------
def gradient_profile_figure(profiles: dict[str, np.ndarray], title: str) -> Spec:
    """‖∂L/∂hₜ‖ against t for each cell, on a log scale: a straight falling line is an exponential vanishing."""
    data = []
    for cell, norms in profiles.items():
        data.append(dict(type="scatter", x=np.arange(1, len(norms) + 1), y=_finite(norms, positive=True), name=cell,
                         mode="lines+markers", line=dict(color=CELL_COLORS.get(cell), width=3), marker=dict(size=4),
                         hovertemplate=f"{cell}, step %{{x}}: %{{y:.2e}}<extra></extra>"))
    return figure(data, **_layout(title, 360, xaxis=axis("step t (the loss is read after the last step)"),
                                  yaxis=axis("‖∂L/∂hₜ‖", type="log", exponentformat="power")))


def gradient_length_figure(lengths: tuple[int, ...], ratios: dict[str, np.ndarray]) -> Spec:
    """‖∂L/∂h₁‖ / ‖∂L/∂h_T‖ against T for each cell: the share of the gradient that reaches the first step."""
    data = [dict(type="scatter", x=list(lengths), y=_finite(values, positive=True), name=cell, mode="lines+markers",
                 line=dict(color=CELL_COLORS.get(cell), width=3)) for cell, values in ratios.items()]
    return figure(data, **_layout("What reaches the first step, against length", 360, xaxis=axis("sequence length T"),
                                  yaxis=axis("‖∂L/∂h₁‖ / ‖∂L/∂h_T‖", type="log", exponentformat="power")))


def clipping_figure(traces: dict[str, object], max_norm: float) -> Spec:
    """Loss and gradient norm per SGD step, with and without clipping (side by side); the threshold dotted."""
    colors = {"without clipping": COLORS[3], "with clipping": COLORS[2]}
    data, longest = [], 1
    for name, trace in traces.items():
        x = np.arange(1, len(trace.loss) + 1)
        longest = max(longest, len(x))
        color = colors.get(name, "gray")
        data.append(line(x, _finite(trace.loss, positive=True), name, color, width=2, legendgroup=name))
        data.append(line(x, _finite(trace.grad_norm, positive=True), name, color, width=2, legendgroup=name,
                         showlegend=False, xaxis="x2", yaxis="y2"))
        if trace.diverged_at is not None:
            finite = _finite(trace.loss, positive=True)
            top = float(np.nanmax(finite)) if np.isfinite(finite).any() else 1.0
            data.append(dict(type="scatter", x=[trace.diverged_at + 1], y=[top], mode="markers+text", text=["✕ diverged"],
                             textposition="top center", marker=dict(symbol="x", size=14, color=color), showlegend=False))
    threshold = dict(type="line", xref="x2", yref="y2", x0=1, x1=longest, y0=max_norm, y1=max_norm,
                     line=dict(dash="dot", color="black"))
    # on a log axis an annotation sits at log10(y)
    note = dict(text=f"max_norm = {max_norm:g}", xref="x2", yref="y2", x=longest, y=float(np.log10(max_norm)),
                showarrow=False, xanchor="right", yanchor="top")
    return figure(data, **_layout(
        "The same SGD steps, with and without clip_grad_norm_", 360, shapes=[threshold], annotations=[note],
        xaxis=axis("SGD step", domain=[0, 0.45]), yaxis=axis("training loss", type="log", exponentformat="power"),
        xaxis2=axis("SGD step", domain=[0.55, 1], anchor="y2"),
        yaxis2=axis("‖∇θL‖ before clipping", type="log", exponentformat="power", anchor="x2")))


# ----- 3 · the race --------------------------------------------------------------------------------------------------------
def _chance_line(chance: float) -> dict:
    return dict(type="line", xref="paper", x0=0, x1=1, y0=chance, y1=chance, line=dict(dash="dot", color="gray"))


def race_accuracy_figure(curves: dict[str, tuple[list[int], list[float]]], chance: float) -> Spec:
    """Validation accuracy against step for each cell, with the level of a model that learned nothing."""
    data = [line(steps, acc, cell, CELL_COLORS.get(cell, "gray")) for cell, (steps, acc) in curves.items() if steps]
    note = dict(text="learned nothing", xref="paper", x=1, y=chance, showarrow=False, xanchor="right", yanchor="top",
                font=dict(color="gray"))
    return figure(data, **_layout("Accuracy", 360, hovermode="x unified", shapes=[_chance_line(chance)], annotations=[note],
                                  xaxis=axis("optimizer step"),
                                  yaxis=axis("validation accuracy", range=[0, 1.02], tickformat=".0%")))


def position_accuracy_figure(positions: np.ndarray, accuracy: dict[str, np.ndarray], x_title: str, chance: float) -> Spec:
    """Validation accuracy per position (recalled symbol, or distance the memory spans) for each cell."""
    bars = len(positions) <= 8
    data = []
    for cell, acc in accuracy.items():
        color = CELL_COLORS.get(cell, "gray")
        if bars:
            data.append(dict(type="bar", x=positions, y=acc, name=cell, marker=dict(color=color)))
        else:
            data.append(dict(type="scatter", x=positions, y=acc, name=cell, mode="lines+markers",
                             line=dict(color=color, width=2), marker=dict(size=4)))
    return figure(data, **_layout("Accuracy per position", 360, barmode="group", shapes=[_chance_line(chance)],
                                  xaxis=axis(x_title, dtick=1) if bars else axis(x_title),
                                  yaxis=axis("validation accuracy", range=[0, 1.02], tickformat=".0%")))


# ----- 4 · gates --------------------------------------------------------------------------------------------------------
def gates_figure(panels: dict[str, np.ndarray], inputs: list[str], title: str) -> Spec:
    """One heatmap per gate (units × steps) stacked over the same time axis; gates in [0, 1], states in [−1, 1]."""
    names = list(panels)
    n, gap = len(names), 0.05
    height = (1 - gap * (n - 1)) / n
    steps = np.arange(1, len(inputs) + 1)
    tick_step = max(1, len(inputs) // 25)
    data, layout, notes = [], {}, []
    shown_scales = set()
    for row, name in enumerate(names):
        suffix = "" if row == 0 else str(row + 1)
        top = 1 - row * (height + gap)
        values = panels[name].T  # (H, T)
        is_gate = "gate" in name  # gates live in [0, 1]; states in [−1, 1] (a cell state beyond is clipped in colour)
        kind = "gate" if is_gate else "state"
        data.append(dict(
            type="heatmap", z=values, x=steps, y=np.arange(values.shape[0]), xaxis=f"x{suffix}", yaxis=f"y{suffix}",
            zmin=0 if is_gate else -1, zmax=1, colorscale="Viridis" if is_gate else DIVERGING,
            showscale=kind not in shown_scales,
            colorbar=dict(title=label(kind), len=0.4, y=0.8 if is_gate else 0.2),
            customdata=np.tile(np.array(inputs, dtype=object), (values.shape[0], 1)),
            hovertemplate=f"{name}<br>step %{{x}} (input %{{customdata}}), unit %{{y}}: %{{z:.3f}}<extra></extra>",
        ))
        shown_scales.add(kind)
        last = row == n - 1
        layout[f"xaxis{suffix}"] = axis(anchor=f"y{suffix}", matches="x" if row else None, showticklabels=last,
                                        **(dict(tickvals=steps[::tick_step], ticktext=inputs[::tick_step]) if last else {}))
        layout[f"yaxis{suffix}"] = axis("unit", domain=[max(0.0, top - height), top], autorange="reversed",
                                        anchor=f"x{suffix}")
        notes.append(dict(text=f"<b>{name}</b>", xref="paper", yref="paper", x=0, y=top, xanchor="left", yanchor="bottom",
                          showarrow=False))
    layout["xaxis"].pop("matches", None)
    return figure(data, **_layout(title, 150 + 170 * n, annotations=notes, **layout))
