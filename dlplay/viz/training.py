"""Training curves (plotly specs): loss, accuracy and learning rate of one run or of several racing runs."""

from __future__ import annotations

import numpy as np
from plotly.colors import qualitative

from dlplay.training.history import History, downsample
from dlplay.viz.spec import Spec, axis, figure, label

COLORS = qualitative.D3


def curve_layout(title: str, y_title: str, log_y: bool = False, **y_options) -> dict:
    """The layout every training curve shares: step on x, a legend above, zoom kept across live redraws."""
    y = axis(y_title, type="log", **y_options) if log_y else axis(y_title, **y_options)
    return dict(title=label(title), xaxis=axis("optimizer step"), yaxis=y, height=360, margin=dict(l=60, r=20, t=50, b=50),
                legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1), uirevision="keep",
                font=dict(size=15), hovermode="x unified")


def _name(run: str, what: str) -> str:
    return f"{run} · {what}" if run else what


def line(x, y, name: str, color: str, width: float = 3, dash: str | None = None, **options) -> dict:
    """A line trace."""
    style = dict(color=color, width=width, dash=dash) if dash else dict(color=color, width=width)
    return dict(type="scatter", x=x, y=y, mode="lines", name=name, line=style, **options)


def loss_figure(histories: dict[str, History], title: str = "Loss", log_y: bool = False, max_points: int = 600) -> Spec:
    """Batch loss (faint), training loss and validation loss (dashed) against step, one colour per run."""
    data = []
    for i, (run, h) in enumerate(histories.items()):
        color = COLORS[i % len(COLORS)]
        if h.step_loss:
            x, y = downsample(np.arange(1, len(h.step_loss) + 1), np.asarray(h.step_loss), max_points)
            data.append(line(x, y, _name(run, "batch loss"), color, width=1, opacity=0.35))
        if h.eval_step:
            x, y = downsample(h.eval_step, h.train_loss, max_points)
            data.append(line(x, y, _name(run, "train"), color))
            if np.isfinite(h.val_loss).any():
                x, y = downsample(h.eval_step, h.val_loss, max_points)
                data.append(line(x, y, _name(run, "validation"), color, dash="dash"))
    return figure(data, **curve_layout(title, "loss", log_y))


def accuracy_figure(histories: dict[str, History], title: str = "Accuracy", max_points: int = 600) -> Spec:
    """Training (solid) and validation (dashed) accuracy against step, one colour per run."""
    data = []
    for i, (run, h) in enumerate(histories.items()):
        color = COLORS[i % len(COLORS)]
        if h.eval_step and np.isfinite(h.train_acc).any():
            x, y = downsample(h.eval_step, h.train_acc, max_points)
            data.append(line(x, y, _name(run, "train"), color))
        if h.eval_step and np.isfinite(h.val_acc).any():
            x, y = downsample(h.eval_step, h.val_acc, max_points)
            data.append(line(x, y, _name(run, "validation"), color, dash="dash"))
    return figure(data, **curve_layout(title, "accuracy", range=[0, 1.02], tickformat=".0%"))


def lr_figure(histories: dict[str, History], title: str = "Learning rate", max_points: int = 600) -> Spec:
    """The learning rate used at each step, one colour per run."""
    data = []
    for i, (run, h) in enumerate(histories.items()):
        if h.step_lr:
            x, y = downsample(np.arange(1, len(h.step_lr) + 1), np.asarray(h.step_lr), max_points)
            data.append(line(x, y, run or "lr", COLORS[i % len(COLORS)]))
    return figure(data, **curve_layout(title, "learning rate"))
