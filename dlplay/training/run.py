"""TrainingRun: a step-wise training loop a page can advance a chunk at a time."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from dlplay.optim.factory import OptimizerConfig, make_optimizer
from dlplay.training.early_stopping import EarlyStopping
from dlplay.training.history import History
from dlplay.training.limits import check_run_size
from dlplay.training.pacing import Paced

TASKS = ("classification", "binary", "regression")
WHOLE_EPOCH_BYTES = 32 * 2**20  # training sets up to this size are shuffled a whole epoch at a time (see _next_batch)
LOSSES = {  # the default loss of each task
    "classification": nn.CrossEntropyLoss,  # logits (B, C), integer targets (B,)
    "binary": nn.BCEWithLogitsLoss,  # one logit (B,), float targets in {0, 1}
    "regression": nn.MSELoss,  # prediction (B,), float targets
}


@dataclass
class RunConfig:
    """How a run trains, apart from model, optimizer and data."""

    batch_size: int = 32  # samples per optimizer step
    eval_every: int = 50  # optimizer steps between evaluations (and after the very first chunk)
    eval_samples: int = 4096  # at most this many samples per split are evaluated (keeps evaluation cheap)
    max_steps: int | None = None  # the run finishes after this many steps; None trains until paused
    patience: int | None = None  # early stopping after this many evaluations without improvement; None = off
    l1: float = 0.0  # L1 penalty rate on the weights, added to the loss
    l2: float = 0.0  # L2 penalty rate on the weights, added to the loss (weight decay lives in the optimizer)
    amp_dtype: torch.dtype | None = None  # autocast dtype (torch.bfloat16 / torch.float16); None = full precision
    seed: int = 0  # seeds the batch order


class TrainingRun(Paced):
    """Owns model, optimizer, optional scheduler, loss and device-resident data; `step(n)` trains n steps."""

    def __init__(
        self,
        model: nn.Module,
        X_train: torch.Tensor,
        y_train: torch.Tensor,
        X_val: torch.Tensor | None = None,
        y_val: torch.Tensor | None = None,
        *,
        optimizer: OptimizerConfig | Callable[..., torch.optim.Optimizer] = OptimizerConfig(),
        scheduler: Callable[[torch.optim.Optimizer], torch.optim.lr_scheduler.LRScheduler] | None = None,
        loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
        task: str = "classification",  # one of TASKS: decides the default loss and how accuracy is read
        config: RunConfig | None = None,
        device: torch.device | str = "cpu",
        callbacks: tuple[Callable[[TrainingRun], dict[str, float]], ...] = (),  # extra metrics at each evaluation
    ):
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
        if len(X_train) == 0:
            raise ValueError("the training set is empty")
        check_run_size(sum(p.numel() for p in model.parameters()), len(X_train), (config or RunConfig()).batch_size)
        self.config = config or RunConfig()
        self.device = torch.device(device)
        self.task = task
        self.model = model.to(self.device)
        self.X_train, self.y_train = X_train.to(self.device), y_train.to(self.device)
        has_val = X_val is not None and y_val is not None and len(X_val) > 0
        self.X_val = X_val.to(self.device) if has_val else None
        self.y_val = y_val.to(self.device) if has_val else None
        params = list(self.model.parameters())
        self.optimizer = make_optimizer(params, optimizer) if isinstance(optimizer, OptimizerConfig) else optimizer(params)
        self.scheduler = scheduler(self.optimizer) if scheduler else None
        self.loss_fn = loss_fn or LOSSES[task]()
        self.callbacks = callbacks
        self.batch_size = max(1, min(self.config.batch_size, len(self.X_train)))
        use_scaler = self.config.amp_dtype == torch.float16 and self.device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda") if use_scaler else None
        self.early_stopping = EarlyStopping(self.config.patience) if self.config.patience else None
        self.generator = torch.Generator().manual_seed(self.config.seed)
        self.history = History()
        self.steps = 0
        self.status = "ready"  # ready → (diverged | early_stopped | finished | failed)
        self.message = ""
        self.train_seconds = 0.0
        self.last_rate = 0.0  # optimizer steps per second over the latest chunk
        self.restored_metrics: dict[str, float] | None = None  # validation metrics of the early-stopping restore
        self._finite: dict[str, torch.Tensor] | None = None  # weights before the current chunk, restored on divergence
        self._order = torch.empty(0, dtype=torch.long)
        self._epoch: tuple[torch.Tensor, torch.Tensor] | None = None  # this epoch's shuffled copy of a small training set
        set_bytes = self.X_train.nbytes + self.y_train.nbytes
        self._shuffle_whole_epochs = set_bytes <= WHOLE_EPOCH_BYTES
        self._cursor = 0
        self._init_pacing()

    # ----- state -------------------------------------------------------------------------------------------------
    @property
    def stopped(self) -> bool:
        """True once the run diverged, stopped early or reached max_steps."""
        return self.status != "ready"

    @property
    def epoch(self) -> float:
        """Passes over the training set so far."""
        return self.steps * self.batch_size / len(self.X_train)

    @property
    def lr(self) -> float:
        """The learning rate of the next step."""
        return float(self.optimizer.param_groups[0]["lr"])

    def set_lr(self, lr: float) -> None:
        """Apply a new learning rate live (ignored under a scheduler, which owns the rate)."""
        if self.scheduler is None:
            for group in self.optimizer.param_groups:
                group["lr"] = lr

    def throughput(self) -> tuple[float, float]:
        """(steps/s, samples/s) over the latest chunk."""
        return self.last_rate, self.last_rate * self.batch_size

    def set_max_steps(self, max_steps: int | None) -> None:
        """Change when the run finishes, live: a finished run with steps to go resumes, one past the new end finishes."""
        with self._lock:
            self.config.max_steps = max_steps
            if self.status == "finished" and (max_steps is None or self.steps < max_steps):
                self.status, self.message = "ready", ""
            elif self.status == "ready" and max_steps is not None and self.steps >= max_steps:
                self.status, self.message = "finished", f"Finished {self.steps} steps ({self.epoch:.1f} epochs)."

    # ----- training ----------------------------------------------------------------------------------------------
    def _next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The next minibatch of a seeded per-epoch shuffle, from device-resident tensors.

        A small training set is shuffled once per epoch (one gather) and each batch is then a view of it, which saves
        tiny networks two indexing ops per step; a large one is indexed per batch, to keep one copy in memory."""
        if self._cursor + self.batch_size > len(self._order):
            self._order = torch.randperm(len(self.X_train), generator=self.generator).to(self.device)
            self._cursor = 0
            if self._shuffle_whole_epochs:
                self._epoch = (self.X_train[self._order], self.y_train[self._order])
        start, end = self._cursor, self._cursor + self.batch_size
        self._cursor = end
        if self._shuffle_whole_epochs:
            return self._epoch[0][start:end], self._epoch[1][start:end]
        index = self._order[start:end]
        return self.X_train[index], self.y_train[index]

    def _penalty(self) -> torch.Tensor | float:
        """L1/L2 penalty on the weight matrices (not the biases), as in TensorFlow Playground."""
        if not (self.config.l1 or self.config.l2):
            return 0.0
        weights = [p for name, p in self.model.named_parameters() if p.dim() > 1]
        penalty = 0.0
        if self.config.l1:
            penalty = penalty + self.config.l1 * sum(w.abs().sum() for w in weights)
        if self.config.l2:
            penalty = penalty + self.config.l2 * sum(w.pow(2).sum() for w in weights)
        return penalty

    def _autocast(self) -> contextlib.AbstractContextManager:
        """Mixed precision when asked for (torch.amp), nothing otherwise."""
        if self.config.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.config.amp_dtype)

    def _train_step(self) -> torch.Tensor:
        X, y = self._next_batch()
        with self._autocast():
            y_hat = self.model(X)
            if self.task != "classification":
                y_hat = y_hat.squeeze(-1)  # (B, 1) → (B,)
            loss = self.loss_fn(y_hat, y)
            if self.config.l1 or self.config.l2:  # no extra op (and autograd node) per step when there is no penalty
                loss = loss + self._penalty()
        self.optimizer.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            loss.backward()
            self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()
        return loss.detach()

    def step(self, n: int = 1) -> dict[str, float]:
        """Advance n optimizer steps (fewer if the run stops); return the latest metrics."""
        with self._lock:
            return self._step(n)

    def _step(self, n: int) -> dict[str, float]:
        if self.stopped or n <= 0:
            return self.latest()
        if self.config.max_steps is not None:
            n = min(n, self.config.max_steps - self.steps)
        start, taken = time.perf_counter(), 0
        while taken < n and not self.stopped:
            # Split at evaluation boundaries, so evaluations (and early stopping's patience) fall every eval_every
            # steps whatever the chunk size.
            until_eval = self.config.eval_every - self.steps % self.config.eval_every
            k = min(n - taken, until_eval)
            self._train_chunk(k)
            taken += k
        if self.config.max_steps is not None and self.steps >= self.config.max_steps and not self.stopped:
            if not self.history.eval_step or self.history.eval_step[-1] != self.steps:
                self._evaluate_and_check()
            if not self.stopped:
                self.status, self.message = "finished", f"Finished {self.steps} steps ({self.epoch:.1f} epochs)."
        elapsed = time.perf_counter() - start
        self.train_seconds += elapsed
        self.last_rate = taken / elapsed if elapsed > 0 else 0.0
        return self.latest()

    def _save_finite_weights(self) -> None:
        """Copy the weights and buffers into a kept buffer: the last weights known finite (copy_, not a deep copy:
        a tiny network trains a step in ~0.3 ms, and deepcopy(state_dict) cost about as much per chunk)."""
        state = self.model.state_dict()
        if self._finite is None or self._finite.keys() != state.keys():
            self._finite = {k: v.detach().clone() for k, v in state.items()}
            return
        with torch.no_grad():
            for k, v in state.items():
                self._finite[k].copy_(v)

    def _train_chunk(self, n: int) -> None:
        """n steps, one device sync, a NaN check; then an evaluation when one is due."""
        self._save_finite_weights()
        if not self.model.training:
            self.model.train()
        losses = []
        if self.scheduler is None:  # the rate changes only between chunks (set_lr)
            lrs = [self.lr] * n
            for _ in range(n):
                losses.append(self._train_step())
        else:
            lrs = []
            for _ in range(n):
                lrs.append(self.lr)
                losses.append(self._train_step())
        values = torch.stack(losses).float().cpu()  # one device sync per chunk, not per step
        finite = torch.isfinite(values)
        if not bool(finite.all()):
            first_bad = int((~finite).nonzero()[0])
            self.model.load_state_dict(self._finite)
            self._record_steps(values[:first_bad].tolist(), lrs[:first_bad])
            self.status = "diverged"
            self.message = (
                f"The loss became {values[first_bad].item()} at step {self.steps + 1}: training diverged. "
                f"The weights from step {self.steps - first_bad} were kept. Lower the learning rate and press Reset."
            )
            return
        self._record_steps(values.tolist(), lrs)
        if self.steps % self.config.eval_every == 0 or not self.history.eval_step:
            self._evaluate_and_check()

    def _record_steps(self, losses: list[float], lrs: list[float]) -> None:
        self.history.step_loss.extend(losses)
        self.history.step_lr.extend(lrs)
        self.steps += len(losses)

    # ----- evaluation --------------------------------------------------------------------------------------------
    def evaluate(self, X: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
        """(loss, accuracy) on X, y in eval mode without autograd; accuracy is nan for regression."""
        was_training = self.model.training
        self.model.eval()
        total_loss, correct, count = 0.0, 0, 0
        with torch.inference_mode():
            for start in range(0, len(X), 4096):  # bounded memory on big sets
                Xb, yb = X[start : start + 4096], y[start : start + 4096]
                y_hat = self.model(Xb).float()
                if self.task != "classification":
                    y_hat = y_hat.squeeze(-1)
                total_loss += float(self.loss_fn(y_hat, yb)) * len(Xb)
                correct += int(count_correct(y_hat, yb, self.task))
                count += len(Xb)
        self.model.train(was_training)
        accuracy = correct / count if self.task != "regression" else float("nan")
        return total_loss / count, accuracy

    def predict(self, X: torch.Tensor) -> torch.Tensor:
        """The model's outputs for X (eval mode, no autograd), on the CPU."""
        was_training = self.model.training
        self.model.eval()
        with torch.inference_mode():
            y_hat = self.model(X.to(self.device)).float().cpu()
        self.model.train(was_training)
        return y_hat

    def _evaluate_and_check(self) -> None:
        limit = self.config.eval_samples
        metrics = dict(zip(("train_loss", "train_acc"), self.evaluate(self.X_train[:limit], self.y_train[:limit])))
        if self.X_val is not None:
            metrics.update(zip(("val_loss", "val_acc"), self.evaluate(self.X_val[:limit], self.y_val[:limit])))
        for callback in self.callbacks:
            metrics.update(callback(self))
        self.history.record_eval(self.steps, self.epoch, metrics)
        if not math.isfinite(metrics["train_loss"]):
            self.status, self.message = "diverged", "The training loss is no longer finite: training diverged."
        elif self.early_stopping is not None and "val_loss" in metrics:
            if self.early_stopping.update(metrics["val_loss"], self.steps, self.model):
                self.early_stopping.restore(self.model)
                loss, acc = self.evaluate(self.X_val[:limit], self.y_val[:limit])
                self.restored_metrics = {"val_loss": loss, "val_acc": acc, "step": self.early_stopping.best_step}
                self.status = "early_stopped"
                self.message = (
                    f"Early stopping: no improvement for {self.early_stopping.patience} evaluations. Restored the "
                    f"weights of step {self.early_stopping.best_step} (validation loss {loss:.4f})."
                )

    def latest(self) -> dict[str, float]:
        """The newest values: step, epoch, batch loss, lr and the last evaluation's metrics."""
        h = self.history
        latest = {"step": self.steps, "epoch": self.epoch, "lr": self.lr}
        if h.step_loss:
            latest["loss"] = h.step_loss[-1]
        if h.eval_step:
            for name in ("train_loss", "train_acc", "val_loss", "val_acc"):
                latest[name] = getattr(h, name)[-1]
        return latest


def count_correct(y_hat: torch.Tensor, y: torch.Tensor, task: str) -> torch.Tensor:
    """How many predictions are right: argmax for classes, logit > 0 for binary; 0 for regression."""
    if task == "classification":
        return (y_hat.argmax(dim=1) == y).sum()
    if task == "binary":
        return ((y_hat > 0).to(y.dtype) == y).sum()
    return torch.tensor(0)
