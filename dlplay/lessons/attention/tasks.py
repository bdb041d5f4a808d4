"""Toy sequence tasks over digit tokens: one output digit per input position."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

DIGITS = 10  # input tokens are the digits 0–9
MAX_LENGTH = 16  # longest sequence of the lab (the positional table's size)
OUT_SIZE = MAX_LENGTH + 1  # output classes: digits, and counts up to MAX_LENGTH


def _count(X: torch.Tensor) -> torch.Tensor:
    """How often each position's digit occurs in its sequence."""
    return (X.unsqueeze(2) == X.unsqueeze(1)).sum(dim=2)  # (B, T, 1) == (B, 1, T) → (B, T, T) → (B, T)


@dataclass(frozen=True)
class Task:
    """A rule mapping a digit sequence to the target at every position."""

    name: str
    rule: str  # what the target is, in words
    target: Callable[[torch.Tensor], torch.Tensor]  # X (B, T) → y (B, T)
    needs_position: bool  # whether the answer at a position depends on where it is (not only on which digits)


TASKS = {
    "reverse": Task("reverse", "the sequence backwards: yᵢ = x₍T−1−i₎", lambda X: X.flip(1), True),
    "copy": Task("copy", "the sequence itself: yᵢ = xᵢ", lambda X: X.clone(), False),
    "sort": Task("sort", "the digits in ascending order", lambda X: X.sort(dim=1).values, True),
    "count": Task("count", "how many times xᵢ occurs in the whole sequence", _count, False),
}


def sample(task: str, batch_size: int, length: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(X, y), both (batch_size, length) int64: uniformly random digits and the task's targets."""
    X = torch.randint(0, DIGITS, (batch_size, length), generator=generator)
    return X, TASKS[task].target(X)


def parse_digits(text: str, max_length: int = MAX_LENGTH) -> torch.Tensor:
    """'3 1 4 1 5' or '31415' → (T,) int64; ValueError with a plain reason otherwise."""
    digits = [c for c in text if not c.isspace() and c != ","]
    if not digits:
        raise ValueError("Type a few digits, e.g. 31415926.")
    if not all(c in "0123456789" for c in digits):
        raise ValueError("Only the digits 0–9 are tokens of these tasks.")
    if len(digits) > max_length:
        raise ValueError(f"{len(digits)} digits are more than the model's maximum length {max_length}.")
    return torch.tensor([int(c) for c in digits])
