"""Figures of the RNN page's stepper, gradients through time, race and gates: arrays in, plotly figures out."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dlplay.lessons.rnn.stepper import Unrolling
from dlplay.viz.training import COLORS

CELL_COLORS = {"RNN": COLORS[0], "LSTM": COLORS[1], "GRU": COLORS[2]}
FONT = dict(size=14)


def _layout(fig: go.Figure, title: str, height: int = 340, **kwargs) -> go.Figure:
    fig.update_layout(title=title, height=height, margin=dict(l=60, r=20, t=60, b=45), uirevision="keep", font=FONT,
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1), **kwargs)
    return fig


# ----- 1 · the stepper ---------------------------------------------------------------------------------------------------
def series_figure(u: Unrolling, t: int) -> go.Figure:
    """The inputs xₜ read so far, the current one ringed, and each step's prediction of the next value against the truth."""
    steps = np.arange(1, u.steps + 1)
    seen = steps <= t + 1
    fig = go.Figure()
    fig.add_scatter(x=steps, y=u.x, mode="lines", line=dict(color="lightgray", width=2), name="the whole sequence")
    fig.add_scatter(x=steps[seen], y=u.x[seen], mode="markers+lines", marker=dict(size=8, color=COLORS[0]),
                    line=dict(color=COLORS[0]), name="inputs read: xₜ")
    fig.add_scatter(x=steps[seen] + 1, y=u.y_hat[seen], mode="markers", marker=dict(size=9, symbol="x", color=COLORS[3]),
                    name="prediction of the next value ŷₜ")
    fig.add_scatter(x=[t + 1], y=[u.x[t]], mode="markers", marker=dict(size=18, color="rgba(0,0,0,0)",
                    line=dict(color="black", width=2)), name=f"now: step {t + 1}", showlegend=True)
    fig.update_xaxes(title="step t", range=[0.5, u.steps + 1.5], dtick=5)
    fig.update_yaxes(title="value", range=[-1.3, 1.3])
    return _layout(fig, "The sequence, read one value per step", height=320)


def hidden_heatmap(u: Unrolling, t: int) -> go.Figure:
    """Hidden vectors h₁ … hₜ as columns, growing one column per step (later steps blank), the current one framed."""
    H = u.h.shape[1]
    z = np.full((H, u.steps), np.nan)
    z[:, : t + 1] = u.h[: t + 1].T  # (H, t + 1)
    fig = go.Figure(go.Heatmap(z=z, x=np.arange(1, u.steps + 1), y=[f"h[{i}]" for i in range(H)], zmin=-1, zmax=1,
                               colorscale="RdBu_r", colorbar=dict(title="hₜ", len=0.9),
                               hovertemplate="step %{x}, unit %{y}: %{z:.3f}<extra></extra>"))
    fig.add_shape(type="rect", x0=t + 0.5, x1=t + 1.5, y0=-0.5, y1=H - 0.5, line=dict(color="black", width=3))
    fig.update_xaxes(title="step t", range=[0.5, u.steps + 0.5], dtick=5)
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "Hidden state hₜ, one column per step", height=max(240, 60 + 26 * H))


def step_terms_figure(u: Unrolling, t: int) -> go.Figure:
    """This step's terms per unit: Wₓₕxₜ + b, Wₕₕhₜ₋₁ + b, their sum, and hₜ = tanh(sum)."""
    units = [f"h[{i}]" for i in range(u.h.shape[1])]
    fig = go.Figure()
    terms = (("Wₓₕ·xₜ + b_ih (the input)", u.input_term[t], COLORS[0]),
             ("Wₕₕ·hₜ₋₁ + b_hh (the memory)", u.recurrent_term[t], COLORS[1]),
             ("sum (before tanh)", u.pre[t], "gray"),
             ("hₜ = tanh(sum)", u.h[t], COLORS[3]))
    for name, values, color in terms:
        fig.add_bar(x=units, y=values, name=name, marker_color=color, hovertemplate="%{x}: %{y:.3f}<extra></extra>")
    fig.update_layout(barmode="group")
    fig.update_yaxes(title="value")
    return _layout(fig, f"Step {t + 1}: xₜ = {u.x[t]:+.3f}, what each unit adds up", height=340)


# ----- 2 · gradients through time -------------------------------------------------------------------------------------
def gradient_profile_figure(profiles: dict[str, np.ndarray], title: str) -> go.Figure:
    """‖∂L/∂hₜ‖ against t for each cell, on a log scale: a straight falling line is an exponential vanishing."""
    fig = go.Figure()
    for cell, norms in profiles.items():
        shown = np.where(norms > 0, norms, np.nan)  # log axes cannot show 0 (underflow)
        fig.add_scatter(x=np.arange(1, len(norms) + 1), y=shown, mode="lines+markers", name=cell,
                        line=dict(color=CELL_COLORS.get(cell), width=3), marker=dict(size=4),
                        hovertemplate=f"{cell}, step %{{x}}: %{{y:.2e}}<extra></extra>")
    fig.update_xaxes(title="step t (the loss is read after the last step)")
    fig.update_yaxes(title="‖∂L/∂hₜ‖", type="log", exponentformat="power")
    return _layout(fig, title, height=360)


def gradient_length_figure(lengths: tuple[int, ...], ratios: dict[str, np.ndarray]) -> go.Figure:
    """‖∂L/∂h₁‖ / ‖∂L/∂h_T‖ against T for each cell: the share of the gradient that reaches the first step."""
    fig = go.Figure()
    for cell, values in ratios.items():
        shown = np.where(values > 0, values, np.nan)
        fig.add_scatter(x=list(lengths), y=shown, mode="lines+markers", name=cell, line=dict(color=CELL_COLORS.get(cell), width=3))
    fig.update_xaxes(title="sequence length T")
    fig.update_yaxes(title="‖∂L/∂h₁‖ / ‖∂L/∂h_T‖", type="log", exponentformat="power")
    return _layout(fig, "What reaches the first step, against length", height=360)


def clipping_figure(traces: dict[str, object], max_norm: float) -> go.Figure:
    """Loss and gradient norm per SGD step, with and without clipping; the clipping threshold dotted."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("training loss", "gradient norm ‖∇θL‖ before clipping"))
    colors = {"without clipping": COLORS[3], "with clipping": COLORS[2]}
    for name, trace in traces.items():
        x = np.arange(1, len(trace.loss) + 1)
        loss = np.where(np.isfinite(trace.loss), trace.loss, np.nan)
        norm = np.where(np.isfinite(trace.grad_norm) & (trace.grad_norm > 0), trace.grad_norm, np.nan)
        fig.add_scatter(x=x, y=loss, mode="lines", name=name, line=dict(color=colors.get(name), width=2), row=1, col=1)
        fig.add_scatter(x=x, y=norm, mode="lines", name=name, line=dict(color=colors.get(name), width=2), row=1, col=2,
                        showlegend=False)
        if trace.diverged_at is not None:
            fig.add_scatter(x=[trace.diverged_at + 1], y=[np.nanmax(loss) if np.isfinite(loss).any() else 1.0],
                            mode="markers+text", text=["✕ diverged"], textposition="top center",
                            marker=dict(symbol="x", size=14, color=colors.get(name)), showlegend=False, row=1, col=1)
    fig.add_hline(y=max_norm, line=dict(dash="dot", color="black"), row=1, col=2,
                  annotation_text=f"max_norm = {max_norm:g}", annotation_position="bottom right")
    fig.update_yaxes(type="log", exponentformat="power", row=1, col=1)
    fig.update_yaxes(type="log", exponentformat="power", row=1, col=2)
    fig.update_xaxes(title="SGD step")
    return _layout(fig, "The same SGD steps, with and without clip_grad_norm_", height=360)


# ----- 3 · the race --------------------------------------------------------------------------------------------------------
def race_accuracy_figure(curves: dict[str, tuple[list[int], list[float]]], chance: float) -> go.Figure:
    """Validation accuracy against step for each cell, with the level of a model that learned nothing."""
    fig = go.Figure()
    for cell, (steps, acc) in curves.items():
        fig.add_scatter(x=steps, y=acc, mode="lines", name=cell, line=dict(color=CELL_COLORS.get(cell), width=3))
    fig.add_hline(y=chance, line=dict(dash="dot", color="gray"), annotation_text="learned nothing",
                  annotation_position="bottom right")
    fig.update_xaxes(title="optimizer step")
    fig.update_yaxes(title="validation accuracy", range=[0, 1.02], tickformat=".0%")
    return _layout(fig, "Accuracy", height=360, hovermode="x unified")


def position_accuracy_figure(positions: np.ndarray, accuracy: dict[str, np.ndarray], x_title: str,
                             chance: float) -> go.Figure:
    """Validation accuracy per position (recalled symbol, or distance the memory spans) for each cell."""
    fig = go.Figure()
    bars = len(positions) <= 8
    for cell, acc in accuracy.items():
        if bars:
            fig.add_bar(x=positions, y=acc, name=cell, marker_color=CELL_COLORS.get(cell))
        else:
            fig.add_scatter(x=positions, y=acc, mode="lines+markers", name=cell, line=dict(color=CELL_COLORS.get(cell), width=2),
                            marker=dict(size=4))
    fig.add_hline(y=chance, line=dict(dash="dot", color="gray"))
    fig.update_xaxes(title=x_title, dtick=1 if bars else None)
    fig.update_yaxes(title="validation accuracy", range=[0, 1.02], tickformat=".0%")
    return _layout(fig, "Accuracy per position", height=360, barmode="group")


# ----- 4 · gates --------------------------------------------------------------------------------------------------------
def gates_figure(panels: dict[str, np.ndarray], inputs: list[str], title: str) -> go.Figure:
    """One heatmap per gate (units × steps), stacked over the same time axis; gates in [0, 1], states in [−1, 1]."""
    names = list(panels)
    H = next(iter(panels.values())).shape[1]
    fig = make_subplots(rows=len(names), cols=1, shared_xaxes=True, vertical_spacing=0.045, subplot_titles=names)
    steps = np.arange(1, len(inputs) + 1)
    for row, name in enumerate(names, start=1):
        values = panels[name].T  # (H, T)
        is_gate = "gate" in name  # gates live in [0, 1]; states in [−1, 1] (a cell state beyond is clipped in colour)
        fig.add_heatmap(z=values, x=steps, y=np.arange(H), zmin=0 if is_gate else -1, zmax=1,
                        colorscale="Viridis" if is_gate else "RdBu_r", showscale=row in (1, len(names)),
                        colorbar=dict(len=0.35, y=1 - 0.2 if row == 1 else 0.15, title="gate" if row == 1 else "state"),
                        customdata=np.tile(np.array(inputs, dtype=object), (H, 1)),
                        hovertemplate=f"{name}<br>step %{{x}} (input %{{customdata}}), unit %{{y}}: %{{z:.3f}}<extra></extra>",
                        row=row, col=1)
        fig.update_yaxes(title="unit", autorange="reversed", row=row, col=1)
    tick_step = max(1, len(inputs) // 25)
    fig.update_xaxes(tickvals=steps[::tick_step], ticktext=inputs[::tick_step], row=len(names), col=1)
    return _layout(fig, title, height=150 + 170 * len(names))
