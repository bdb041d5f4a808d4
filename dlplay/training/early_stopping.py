"""Early stopping as in chapter 7.4: keep the best weights, stop after `patience` evaluations without improvement."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from torch import nn


@dataclass
class EarlyStopping:
    """Watches validation loss; holds the best weights in memory (the curriculum's best_model.pt)."""

    patience: int = 10  # evaluations without improvement before stopping
    min_delta: float = 0.0  # an improvement must beat the best by more than this
    best_loss: float = float("inf")
    best_step: int | None = None
    counter: int = 0
    best_state: dict | None = field(default=None, repr=False)

    def update(self, val_loss: float, step: int, model: nn.Module) -> bool:
        """Record one evaluation; True when training should stop."""
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_step, self.counter = val_loss, step, 0
            self.best_state = copy.deepcopy(model.state_dict())
            return False
        self.counter += 1
        return self.counter >= self.patience

    def restore(self, model: nn.Module) -> bool:
        """Load the best weights back into model; False when none were kept."""
        if self.best_state is None:
            return False
        model.load_state_dict(self.best_state)
        return True
