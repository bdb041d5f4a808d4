"""Accuracy against labels per class: each way trained a fixed number of steps at each label count, one after another."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import torch
from torch import nn

from dlplay.lessons.practical.transfer import WAYS, TargetData, TransferConfig, TransferRun, make_run, transfer_models
from dlplay.training.pacing import Paced

SWEEP_LABELS = (1, 2, 5, 10, 20, 50)  # labels per class on the x axis (log-spaced)


@dataclass(frozen=True)
class SweepConfig:
    """What every point of the sweep shares."""

    steps: int = 150  # optimizer steps per way and label count: the final validation accuracy is the point
    labels: tuple[int, ...] = SWEEP_LABELS  # label counts swept
    transfer: TransferConfig = TransferConfig()  # lr, backbone lr scale, batch size, seed (its labels_per_class unused)


class LabelSweep(Paced):
    """Trains (label count, way) jobs in turn, each from fresh weights; `accuracy[way][i]` fills in as they finish."""

    def __init__(self, config: SweepConfig, backbone: nn.Module, make_scratch: Callable[[int], nn.Module],
                 data: TargetData, device: torch.device | str = "cpu"):
        self.config, self.backbone, self.make_scratch, self.data = config, backbone, make_scratch, data
        self.device = torch.device(device)
        self.jobs = [(k, way) for k in config.labels for way in WAYS]
        self.accuracy = {way: [math.nan] * len(config.labels) for way in WAYS}
        self.job = 0  # index of the job training now
        self.steps = 0  # optimizer steps over all jobs
        self.status, self.message = "ready", ""
        self.last_rate = 0.0
        self.run: TransferRun = self._start_job()  # the job training now (the last one once finished)
        self._init_pacing()

    @property
    def stopped(self) -> bool:
        return self.status != "ready"

    @property
    def model(self) -> nn.Module:
        """The network of the job training now (or the last one)."""
        return self.run.model

    @property
    def total_steps(self) -> int:
        return len(self.jobs) * self.config.steps

    def current(self) -> tuple[int, str] | None:
        """(labels per class, way) of the job training now; None once finished."""
        return self.jobs[self.job] if self.job < len(self.jobs) else None

    def _start_job(self) -> TransferRun:
        k, way = self.jobs[self.job]
        config = replace(self.config.transfer, labels_per_class=k)
        model = transfer_models(self.backbone, self.make_scratch, self.data.num_classes, config.seed)[way]
        # Evaluated once at the end (and after the first step, as every run is): the point is the final accuracy.
        return make_run(way, model, self.data, config, self.device, max_steps=self.config.steps,
                        eval_every=self.config.steps)

    def step(self, n: int = 1) -> None:
        """Train n more steps of the sweep, moving on to the next job when one finishes."""
        with self._lock:
            start, taken = time.perf_counter(), 0
            while taken < n and not self.stopped:
                before = self.run.steps
                self.run.step(min(n - taken, self.config.steps - self.run.steps))
                taken += self.run.steps - before
                if self.run.stopped:
                    self._finish_job()
            self.steps += taken
            elapsed = time.perf_counter() - start
            self.last_rate = taken / elapsed if elapsed > 0 else 0.0

    def _finish_job(self) -> None:
        k, way = self.jobs[self.job]
        h = self.run.history
        self.accuracy[way][self.config.labels.index(k)] = h.val_acc[-1] if h.val_acc else math.nan
        if self.run.status == "diverged":
            self.message = f"{way} at {k} labels per class diverged: {self.run.message}"
        self.job += 1
        if self.job < len(self.jobs):
            self.run = self._start_job()
        else:
            self.status = "finished"
            self.message = f"Sweep finished: {len(self.jobs)} runs of {self.config.steps} steps."

    def throughput(self) -> tuple[float, float]:
        return self.last_rate, self.last_rate * self.run.batch_size
