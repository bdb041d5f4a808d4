"""Caps per session: one server process trains for a whole class, so no session may take all of it."""

from __future__ import annotations

import os

MAX_PARAMETERS = 30_000_000  # trainable and frozen parameters of one run's model (a ResNet-18 has 11.7 M)
MAX_TRAIN_SAMPLES = 70_000  # training samples held by one run (MNIST's training set is 60,000)
MAX_BATCH_SIZE = 2048  # samples per optimizer step
MAX_STEPS = 1_000_000  # optimizer steps of one run: a run left playing stops there
MAX_TRAINING_SESSIONS = max(8, 4 * (os.cpu_count() or 2))  # runs training in the background at once, server-wide


class LimitError(ValueError):
    """A setting beyond a cap of this server; the message names the cap and what to change."""


def check_run_size(parameters: int, samples: int, batch_size: int) -> None:
    """LimitError when a run would exceed the per-session caps."""
    if parameters > MAX_PARAMETERS:
        raise LimitError(f"This model has {parameters:,} parameters; a session here may train at most "
                         f"{MAX_PARAMETERS:,}. Choose fewer or narrower layers.")
    if samples > MAX_TRAIN_SAMPLES:
        raise LimitError(f"{samples:,} training samples is more than the {MAX_TRAIN_SAMPLES:,} a session may hold. "
                         "Choose a smaller training set.")
    if batch_size > MAX_BATCH_SIZE:
        raise LimitError(f"A batch of {batch_size:,} is more than the {MAX_BATCH_SIZE:,} a session may use. "
                         "Choose a smaller batch size.")
