"""RunGroup: several runs stepped together, so their curves race on one chart."""

from __future__ import annotations

import time

from dlplay.training.pacing import Paced
from dlplay.training.run import TrainingRun


class RunGroup(Paced):
    """Named runs advanced in lockstep chunks; a run that stops (diverges, stops early) drops out alone."""

    def __init__(self, runs: dict[str, TrainingRun]):
        self.runs = runs
        self.last_rate = 0.0  # lockstep steps per second over the latest chunk
        self._init_pacing()

    @property
    def stopped(self) -> bool:
        """True when every run has stopped."""
        return all(run.stopped for run in self.runs.values())

    @property
    def steps(self) -> int:
        """The most steps any run has taken."""
        return max((run.steps for run in self.runs.values()), default=0)

    def step(self, n: int = 1) -> None:
        """Advance every running run by n steps."""
        start = time.perf_counter()
        with self._lock:
            for run in self.runs.values():
                run.step(n)
        elapsed = time.perf_counter() - start
        self.last_rate = n / elapsed if elapsed > 0 else 0.0

    def stop(self, status: str, message: str) -> None:
        """Stop every run that is still training, with the same status and message."""
        with self._lock:
            for run in self.runs.values():
                if not run.stopped:
                    run.stop(status, message)

    def throughput(self) -> tuple[float, float]:
        """(lockstep steps/s, samples/s summed over the runs still training) over the latest chunk."""
        batch = sum(run.batch_size for run in self.runs.values() if not run.stopped)
        return self.last_rate, self.last_rate * batch
