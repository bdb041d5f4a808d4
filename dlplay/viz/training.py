"""Training curves: loss, accuracy and learning rate of one run or of several racing runs."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from dlplay.training.history import History, downsample

COLORS = qualitative.D3


def _layout(fig: go.Figure, title: str, y_title: str, log_y: bool = False) -> go.Figure:
    fig.update_layout(
        title=title, xaxis_title="optimizer step", yaxis_title=y_title, height=360, margin=dict(l=60, r=20, t=50, b=50),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1), uirevision="keep", font=dict(size=15),
        hovermode="x unified",
    )
    if log_y:
        fig.update_yaxes(type="log")
    return fig


def _name(run: str, what: str) -> str:
    return f"{run} · {what}" if run else what


def loss_figure(histories: dict[str, History], title: str = "Loss", log_y: bool = False, max_points: int = 600) -> go.Figure:
    """Batch loss (faint), training loss and validation loss (dashed) against step, one colour per run."""
    fig = go.Figure()
    for i, (run, h) in enumerate(histories.items()):
        color = COLORS[i % len(COLORS)]
        if h.step_loss:
            x, y = downsample(np.arange(1, len(h.step_loss) + 1), np.asarray(h.step_loss), max_points)
            fig.add_scatter(x=x, y=y, mode="lines", name=_name(run, "batch loss"), line=dict(color=color, width=1), opacity=0.35)
        if h.eval_step:
            x, y = downsample(h.eval_step, h.train_loss, max_points)
            fig.add_scatter(x=x, y=y, mode="lines", name=_name(run, "train"), line=dict(color=color, width=3))
            if np.isfinite(h.val_loss).any():
                x, y = downsample(h.eval_step, h.val_loss, max_points)
                fig.add_scatter(x=x, y=y, mode="lines", name=_name(run, "validation"), line=dict(color=color, width=3, dash="dash"))
    return _layout(fig, title, "loss", log_y)


def accuracy_figure(histories: dict[str, History], title: str = "Accuracy", max_points: int = 600) -> go.Figure:
    """Training (solid) and validation (dashed) accuracy against step, one colour per run."""
    fig = go.Figure()
    for i, (run, h) in enumerate(histories.items()):
        color = COLORS[i % len(COLORS)]
        if h.eval_step and np.isfinite(h.train_acc).any():
            x, y = downsample(h.eval_step, h.train_acc, max_points)
            fig.add_scatter(x=x, y=y, mode="lines", name=_name(run, "train"), line=dict(color=color, width=3))
        if h.eval_step and np.isfinite(h.val_acc).any():
            x, y = downsample(h.eval_step, h.val_acc, max_points)
            fig.add_scatter(x=x, y=y, mode="lines", name=_name(run, "validation"), line=dict(color=color, width=3, dash="dash"))
    fig = _layout(fig, title, "accuracy")
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    return fig


def lr_figure(histories: dict[str, History], title: str = "Learning rate", max_points: int = 600) -> go.Figure:
    """The learning rate used at each step, one colour per run."""
    fig = go.Figure()
    for i, (run, h) in enumerate(histories.items()):
        if h.step_lr:
            x, y = downsample(np.arange(1, len(h.step_lr) + 1), np.asarray(h.step_lr), max_points)
            fig.add_scatter(x=x, y=y, mode="lines", name=run or "lr", line=dict(color=COLORS[i % len(COLORS)], width=3))
    return _layout(fig, title, "learning rate")
