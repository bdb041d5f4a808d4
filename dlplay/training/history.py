"""What a run records: the loss at every step and the metrics at every evaluation."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class History:
    """Per-step training loss and learning rate; per-evaluation train/validation loss and accuracy."""

    step_loss: list[float] = field(default_factory=list)  # training loss of every optimizer step (batch loss)
    step_lr: list[float] = field(default_factory=list)  # learning rate used at every step
    eval_step: list[int] = field(default_factory=list)  # the step count at each evaluation
    eval_epoch: list[float] = field(default_factory=list)  # epochs seen at each evaluation
    train_loss: list[float] = field(default_factory=list)  # full (or sampled) training-set loss at each evaluation
    train_acc: list[float] = field(default_factory=list)  # training accuracy at each evaluation (nan for regression)
    val_loss: list[float] = field(default_factory=list)  # validation loss at each evaluation (nan without validation data)
    val_acc: list[float] = field(default_factory=list)  # validation accuracy at each evaluation
    extras: dict[str, list[float]] = field(default_factory=dict)  # any metric a callback adds at each evaluation

    def record_eval(self, step: int, epoch: float, metrics: dict[str, float]) -> None:
        """Append one evaluation's metrics."""
        self.eval_step.append(step)
        self.eval_epoch.append(epoch)
        for name in ("train_loss", "train_acc", "val_loss", "val_acc"):
            getattr(self, name).append(metrics.get(name, float("nan")))
        for name, value in metrics.items():
            if name not in ("train_loss", "train_acc", "val_loss", "val_acc"):
                self.extras.setdefault(name, []).append(value)

    def best(self, metric: str = "val_loss") -> tuple[int, float] | None:
        """(step, value) of the best evaluation by metric (lowest loss, highest accuracy); None before any."""
        values = np.asarray(getattr(self, metric), dtype=float)
        if values.size == 0 or np.all(np.isnan(values)):
            return None
        index = int(np.nanargmax(values) if metric.endswith("acc") else np.nanargmin(values))
        return self.eval_step[index], float(values[index])


def downsample(x: np.ndarray, y: np.ndarray, max_points: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """Bucket means of a long curve, so a plot stays light: at most max_points points, the last kept exactly."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = len(x)
    if n <= max_points:
        return x, y
    starts = np.linspace(0, n, max_points + 1).astype(int)[:-1]  # each bucket's first index (buckets are never empty)
    counts = np.diff(np.append(starts, n))
    xs = np.add.reduceat(x, starts) / counts
    finite = np.isfinite(y)
    finite_counts = np.add.reduceat(finite.astype(float), starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        ys = np.add.reduceat(np.where(finite, y, 0.0), starts) / finite_counts  # nanmean; a bucket of NaN stays NaN
    xs[-1], ys[-1] = x[-1], y[-1]
    return xs, ys
