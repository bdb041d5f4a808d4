"""Adaptive chunking: train for a wall-clock budget without knowing the cost of a step in advance."""

from __future__ import annotations

import threading
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


class Paced:
    """Mixin: `step_for` in adaptive chunks, one caller at a time, and `interrupt` from another thread.

    Why: on any click Streamlit starts the new script run at once ("fast reruns") while the previous run's thread may
    still be inside the live fragment's step_for; without the lock it trained on behind a Pause and raced the new
    script run for the model. Subclasses call `_init_pacing()` and hold `self._lock` in their `step`."""

    stopped: bool

    def _init_pacing(self) -> None:
        self._lock = threading.RLock()  # one thread trains at a time
        self._generation = 0  # interrupt() bumps it: a step_for begun before then stops

    def step(self, n: int = 1) -> object:
        raise NotImplementedError

    def step_for(self, seconds: float) -> int:
        """Train for about `seconds` of wall time in adaptive chunks (the live page's unit of work); return steps taken."""
        generation = self._generation

        def chunk(n: int) -> None:
            with self._lock:
                if self._generation == generation:  # not interrupted while waiting for the lock
                    self.step(n)

        return step_for(chunk, lambda: self.stopped or self._generation != generation, seconds)

    def interrupt(self) -> None:
        """Make a step_for running in another thread stop after its current chunk, and wait for that chunk."""
        self._generation += 1
        with self._lock:
            pass
