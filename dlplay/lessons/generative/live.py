"""LiveRun: the step-wise loop the chapter's VAE and GAN runs share (chunks, NaN guard, history, pacing)."""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field

import torch
from torch import nn

from dlplay.training.pacing import Paced


@dataclass
class LiveHistory:
    """Per-step series (losses and the like) and per-evaluation metrics, by name."""

    series: dict[str, list[float]] = field(default_factory=dict)  # one value per training step
    eval_step: list[int] = field(default_factory=list)  # the step count at each evaluation
    evals: dict[str, list[float]] = field(default_factory=dict)  # one value per evaluation

    def record_steps(self, names: tuple[str, ...], values: torch.Tensor) -> None:
        """Append rows of values (k, len(names)), one row per step."""
        for name, column in zip(names, values.T.tolist()):
            self.series.setdefault(name, []).extend(column)

    def record_eval(self, step: int, metrics: dict[str, float]) -> None:
        """Append one evaluation's metrics."""
        self.eval_step.append(step)
        for name, value in metrics.items():
            self.evals.setdefault(name, []).append(float(value))

    def latest(self, name: str, default: float = math.nan) -> float:
        """The newest value of a step series or an evaluation metric."""
        values = self.evals.get(name) or self.series.get(name)
        return values[-1] if values else default


class LiveRun(Paced):
    """A model trained in chunks: `step(n)` takes n steps, stops with a plain message on NaN, keeping finite weights.

    Subclasses set SERIES (the names of the per-step values) and implement `_train(k)` → (k, len(SERIES)) tensor;
    `_evaluate()` → metrics, called every `eval_every` steps."""

    SERIES: tuple[str, ...] = ("loss",)
    UNIT = "step"  # what one step is called in messages ("round" for a GAN)

    def __init__(self, model: nn.Module, device: torch.device | str, *, eval_every: int, batch_size: int):
        self.device = torch.device(device)
        self.model = model.to(self.device)
        self.eval_every = max(1, int(eval_every))
        self.batch_size = batch_size
        self.history = LiveHistory()
        self.steps = 0
        self.status = "ready"  # ready → diverged (a live run never finishes on its own)
        self.message = ""
        self.train_seconds = 0.0  # wall time spent training, for "after the same training time"
        self.last_rate = 0.0  # steps per second over the latest call to step
        self._init_pacing()

    @property
    def stopped(self) -> bool:
        """True once training diverged."""
        return self.status != "ready"

    def throughput(self) -> tuple[float, float]:
        """(steps/s, samples/s) over the latest chunk."""
        return self.last_rate, self.last_rate * self.batch_size

    def step(self, n: int = 1) -> None:
        """Advance n steps (fewer if the run diverges)."""
        with self._lock:
            if self.stopped or n <= 0:
                return
            start, taken = time.perf_counter(), 0
            while taken < n and not self.stopped:
                k = min(n - taken, self.eval_every - self.steps % self.eval_every)  # evaluations fall every eval_every
                taken += self._chunk(k)
            elapsed = time.perf_counter() - start
            self.train_seconds += elapsed
            self.last_rate = taken / elapsed if elapsed > 0 else 0.0

    def _chunk(self, k: int) -> int:
        """k steps with one device sync and a NaN check; an evaluation when due. Returns the steps kept."""
        snapshot = copy.deepcopy(self.model.state_dict())  # the last weights known finite
        self.model.train()
        values = self._train(k).float().cpu()  # (k, len(SERIES)): one sync per chunk, not per step
        finite = torch.isfinite(values).all(dim=1)
        weights_finite = all(bool(torch.isfinite(p).all()) for p in self.model.parameters())
        if not (bool(finite.all()) and weights_finite):
            good = int(finite.long().cumprod(0).sum())  # the finite prefix, kept on the curves
            self.model.load_state_dict(snapshot)
            self.history.record_steps(self.SERIES, values[:good])
            kept, self.steps = self.steps, self.steps + good
            self.status = "diverged"
            self.message = (f"Training diverged by {self.UNIT} {self.steps + 1:,}: the loss or the weights became infinite "
                            f"or NaN. The last finite weights ({self.UNIT} {kept:,}) were kept. Lower the learning rate "
                            "and press Reset.")
            return good
        self.history.record_steps(self.SERIES, values)
        self.steps += k
        if self.steps % self.eval_every == 0 or not self.history.eval_step:
            self.evaluate_now()
        return k

    def evaluate_now(self) -> dict[str, float]:
        """Measure and record the run's metrics at the current step."""
        was_training = self.model.training
        self.model.eval()
        with torch.no_grad():
            metrics = self._evaluate()
        self.model.train(was_training)
        self.history.record_eval(self.steps, metrics)
        return metrics

    def _train(self, k: int) -> torch.Tensor:
        raise NotImplementedError

    def _evaluate(self) -> dict[str, float]:
        return {}
