"""Adaptive chunking: train for a wall-clock budget without knowing the cost of a step in advance."""

from __future__ import annotations

import time
from collections.abc import Callable


def step_for(step: Callable[[int], object], is_stopped: Callable[[], bool], seconds: float) -> int:
    """Call step(k) with growing chunks until about `seconds` have passed; return the steps taken."""
    deadline = time.perf_counter() + seconds
    chunk, taken = 1, 0
    while not is_stopped():
        started = time.perf_counter()
        step(chunk)
        taken += chunk
        took = time.perf_counter() - started
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            break
        per_step = took / chunk if took > 0 else 1e-4
        chunk = max(1, min(int(remaining / per_step), 4 * chunk))  # grow at most 4× so one slow step can't overshoot
    return taken
