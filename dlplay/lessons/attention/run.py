"""SequenceRun: a live training loop for models that predict a token at every position, on batches drawn fresh."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from dlplay.training.history import History
from dlplay.training.pacing import Paced

Batch = tuple[torch.Tensor, torch.Tensor]  # X (B, T) tokens, y (B, T) targets


class SequenceRun(Paced):
    """Owns a model, Adam and a batch sampler; `step(n)` trains n steps, evaluating every `eval_every` steps."""

    def __init__(
        self,
        model: nn.Module,
        sample_batch: Callable[[torch.Generator], Batch],  # a fresh training batch, drawn on the CPU
        evaluate: Callable[[nn.Module], dict[str, float]],  # metrics of the model in eval mode, without autograd
        *,
        lr: float = 3e-3,  # Adam's learning rate
        device: torch.device | str = "cpu",
        eval_every: int = 50,  # optimizer steps between evaluations
        seed: int = 0,  # seeds the batches
        max_steps: int | None = None,  # the run finishes after this many steps; None trains until paused
    ):
        self.device = torch.device(device)
        self.model = model.to(self.device)
        self.sample_batch, self.evaluate_fn = sample_batch, evaluate
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.eval_every, self.max_steps = eval_every, max_steps
        self.generator = torch.Generator().manual_seed(seed)
        self.history = History()
        self.steps, self.samples = 0, 0
        self.status, self.message = "ready", ""  # ready → (diverged | finished)
        self.last_rate, self.last_batch = 0.0, 0
        self._init_pacing()

    @property
    def stopped(self) -> bool:
        """True once the run diverged or reached max_steps."""
        return self.status != "ready"

    @property
    def lr(self) -> float:
        """The learning rate of the next step."""
        return float(self.optimizer.param_groups[0]["lr"])

    def set_lr(self, lr: float) -> None:
        """Apply a new learning rate live."""
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def throughput(self) -> tuple[float, float]:
        """(steps/s, samples/s) over the latest chunk."""
        return self.last_rate, self.last_rate * self.last_batch

    def step(self, n: int = 1) -> None:
        """Advance n optimizer steps (fewer if the run stops)."""
        with self._lock:
            if self.stopped or n <= 0:
                return
            if self.max_steps is not None:
                n = min(n, self.max_steps - self.steps)
            start, taken = time.perf_counter(), 0
            while taken < n and not self.stopped:
                k = min(n - taken, self.eval_every - self.steps % self.eval_every)  # evaluations fall every eval_every
                self._train_chunk(k)
                taken += k
            if self.max_steps is not None and self.steps >= self.max_steps and not self.stopped:
                self.status, self.message = "finished", f"Finished {self.steps} steps."
            elapsed = time.perf_counter() - start
            self.last_rate = taken / elapsed if elapsed > 0 else 0.0

    def _train_step(self) -> torch.Tensor:
        X, y = self.sample_batch(self.generator)
        X, y = X.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)
        logits = self.model(X)  # (B, T, V)
        loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())  # (B·T, V) against (B·T,)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.last_batch = len(X)
        return loss.detach()

    def _train_chunk(self, n: int) -> None:
        """n steps, one device sync, a NaN check; an evaluation when one is due."""
        snapshot = copy.deepcopy(self.model.state_dict())  # the last weights known finite
        self.model.train()
        losses = torch.stack([self._train_step() for _ in range(n)]).float().cpu()  # one sync per chunk
        finite = torch.isfinite(losses)
        if not bool(finite.all()):
            first_bad = int((~finite).nonzero()[0])
            self.model.load_state_dict(snapshot)
            self.optimizer.state.clear()  # its moments saw the non-finite gradients: a stopped run keeps none
            self.status = "diverged"
            self.message = (f"The loss became {losses[first_bad].item()} at step {self.steps + first_bad + 1}: training "
                            f"diverged. The weights from step {self.steps} were kept. Lower the learning rate and press Reset.")
            return
        self.history.step_loss.extend(losses.tolist())
        self.history.step_lr.extend([self.lr] * n)
        self.steps += n
        self.samples += n * self.last_batch
        if self.steps % self.eval_every == 0 or not self.history.eval_step:
            self.evaluate()

    def evaluate(self) -> dict[str, float]:
        """Record the evaluation metrics at the current step, and return them."""
        was_training = self.model.training
        self.model.eval()
        with torch.inference_mode():
            metrics = self.evaluate_fn(self.model)
        self.model.train(was_training)
        self.history.record_eval(self.steps, 0.0, metrics)
        return metrics

    def latest(self, name: str, default: float = float("nan")) -> float:
        """The newest evaluation's value of a metric."""
        h = self.history
        values = getattr(h, name) if name in ("train_loss", "train_acc", "val_loss", "val_acc") else h.extras.get(name, [])
        return values[-1] if values else default
