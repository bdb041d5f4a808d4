"""What the lab's live view draws after every update, as figure specs: shared by the page and the benchmark."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from dlplay.lessons.attention.figures import curves_figure, head_grid_figure, matrix_figure, position_accuracy_figure
from dlplay.lessons.attention.lab import look, position_accuracy
from dlplay.lessons.attention.run import SequenceRun
from dlplay.lessons.attention.tasks import TASKS
from dlplay.viz.spec import Spec


@dataclass
class LabView:
    """One example through the current model, and the live figures."""

    X: np.ndarray  # (T,) input digits
    y: np.ndarray  # (T,) targets
    prediction: np.ndarray  # (T,) the model's outputs
    figures: dict[str, Spec]  # grid, map, loss, accuracy, positions

    def line(self) -> str:
        """Input, target and prediction as one line of markdown, wrong outputs in red."""
        right = self.prediction == self.y

        def digits(values, marks=None) -> str:
            return " ".join(f"`{v}`" if marks is None or marks[i] else f"**:red[{v}]**" for i, v in enumerate(values))

        done = " ✅" if right.all() else ""
        return (f"input {digits(self.X.tolist())} · target {digits(self.y.tolist())} · "
                f"prediction {digits(self.prediction.tolist(), right)}{done}")


def example(run: SequenceRun, typed: torch.Tensor | None, index: int) -> torch.Tensor:
    """The typed digits, or held-out sequence number `index` (cycling)."""
    return typed if typed is not None else run.X_val[index % len(run.X_val)].cpu()


def lab_view(run: SequenceRun, X: torch.Tensor, selected: tuple[int, int], title: str) -> LabView:
    """The example's prediction and attention maps, the layer × head grid, the enlarged map and the curves."""
    y = TASKS[run.config.task].target(X.unsqueeze(0))[0]  # (T,)
    prediction, maps = look(run.model, X)
    L, H = maps.shape[:2]
    keys = [f"{i}:{d}" for i, d in enumerate(X.tolist())]
    queries = [f"{i}→{t}" for i, t in enumerate(y.tolist())]
    figures = {
        "grid": head_grid_figure(maps, selected, tile=120 if L * H <= 8 else 80),
        "map": matrix_figure(maps[selected], queries, keys, title, weights=True, height=380, text=len(X) <= 10,
                             x_title="looks at input position:digit", y_title="output position→target"),
        "loss": curves_figure(run.history, {"val_loss": "held-out loss"}, "Loss", batch_loss=True),
        "accuracy": curves_figure(run.history, {"val_acc": "tokens", "seq_acc": "whole sequences"}, "Held-out accuracy",
                                  percent=True),
        "positions": position_accuracy_figure(position_accuracy(run)),
    }
    return LabView(X.numpy(), y.numpy(), prediction, figures)
