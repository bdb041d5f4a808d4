"""Adaptive chunking: train for a wall-clock budget without knowing the cost of a step in advance."""

from __future__ import annotations

import atexit
import collections
import threading
import time
import weakref
from collections.abc import Callable

from dlplay.training.limits import MAX_STEPS, MAX_TRAINING_SESSIONS, LimitError

TRAINER_THREAD = "dlplay-trainer"  # the name of every background training thread


_playing: weakref.WeakSet = weakref.WeakSet()  # runs with a background loop, so the process can stop them at exit

GIVE_WAY_SECONDS = 0.25  # the longest a background slice waits for an interaction before it trains anyway
_busy_elsewhere: Callable[[], bool] = lambda: False  # noqa: E731 - set once per process by give_way_to


def give_way_to(busy: Callable[[], bool]) -> None:
    """Process-wide policy: before each slice, a background loop waits (≤ GIVE_WAY_SECONDS) while busy() is true.
    The app passes "another session's script is running", so interactions get the CPU (and the GIL) first."""
    global _busy_elsewhere
    _busy_elsewhere = busy


def _give_way() -> None:
    deadline = time.monotonic() + GIVE_WAY_SECONDS
    while _busy_elsewhere() and time.monotonic() < deadline:
        time.sleep(0.005)


@atexit.register
def _stop_every_background_loop() -> None:
    """At exit, end every background loop before the interpreter tears down: a daemon thread killed inside torch's
    C++ code aborts the process ("terminate called without an active exception", exit code 134)."""
    for run in list(_playing):
        run.pause()


def _active_trainers() -> int:
    """Background training threads alive in this process (all sessions)."""
    return sum(1 for t in threading.enumerate() if t.name == TRAINER_THREAD and t.is_alive())


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


class FairLock:
    """A re-entrant lock granted in the order it was asked for (threading.RLock is not fair: a thread that releases and
    re-acquires at once, as a training loop does, can keep a waiting thread out indefinitely)."""

    def __init__(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._owner: int | None = None
        self._depth = 0
        self._queue: collections.deque[object] = collections.deque()

    def acquire(self) -> bool:
        me = threading.get_ident()
        with self._condition:
            if self._owner == me:
                self._depth += 1
                return True
            ticket = object()
            self._queue.append(ticket)
            while self._owner is not None or self._queue[0] is not ticket:
                self._condition.wait()
            self._queue.popleft()
            self._owner, self._depth = me, 1
            return True

    def release(self) -> None:
        with self._condition:
            if self._owner != threading.get_ident():
                raise RuntimeError("release of a FairLock this thread does not hold")
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._condition.notify_all()

    def __enter__(self) -> FairLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


class Paced:
    """Mixin: train in adaptive chunks for a time budget (`step_for`) or in a background thread (`play`), one caller
    at a time, and `interrupt` from another thread.

    Why a lock: Streamlit starts a new script run on any click while the previous one may still be training or drawing;
    without it, training went on behind a Pause and raced the page for the model. Subclasses call `_init_pacing()`,
    hold `self._lock` in their `step`, and have `stopped`, `status` and `message`."""

    stopped: bool
    status: str
    message: str

    def _init_pacing(self) -> None:
        self._lock = FairLock()  # one thread trains (or reads the model) at a time, in the order they asked
        self._generation = 0  # interrupt() bumps it: a step_for or background loop begun before then stops
        self._worker: threading.Thread | None = None
        self._touched = 0.0  # time.monotonic() of the page's last sign of life
        self._window = (time.monotonic(), 0)  # (start, steps) of the current live-rate window
        self.live_rate = 0.0  # steps per wall-clock second while playing, drawing pauses included

    def step(self, n: int = 1) -> object:
        raise NotImplementedError

    def stop(self, status: str, message: str) -> None:
        """End the run from outside (a divergence a page detects, an error): status "diverged", "finished", "failed"…"""
        if status == "ready":
            raise ValueError("stop() ends a run: give a final status")
        with self._lock:
            self.status, self.message = status, message

    def step_for(self, seconds: float) -> int:
        """Train for about `seconds` of wall time in adaptive chunks; return steps taken."""
        generation = self._generation

        def chunk(n: int) -> None:
            with self._lock:
                if self._generation == generation:  # not interrupted while waiting for the lock
                    self.step(n)

        return step_for(chunk, lambda: self.stopped or self._generation != generation, seconds)

    def interrupt(self) -> None:
        """Make a step_for or background loop in another thread stop after its current chunk, and wait for that chunk."""
        self._generation += 1
        with self._lock:
            pass

    def locked(self) -> FairLock:
        """`with run.locked():` reads the model without the background thread changing it meanwhile (the lock is
        first come, first served: the loop, which asks again the moment it lets go, cannot keep a reader out)."""
        return self._lock

    # ----- training in the background ----------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        """True while a background loop trains this run."""
        worker = self._worker
        return worker is not None and worker.is_alive()

    def touch(self) -> None:
        """The page is still shown: keep a background loop going (it stops by itself when nobody looks)."""
        self._touched = time.monotonic()

    def play(self, slice_seconds: float = 0.05, idle_timeout: float = 5.0) -> None:
        """Train in a background thread until pause(), a stop, or no touch() for idle_timeout seconds.

        Training holds the lock for one slice (≈ slice_seconds) at a time, so a page that takes the lock to draw
        waits at most that long, and drawing never stops training for longer than the drawing itself.
        LimitError when MAX_TRAINING_SESSIONS runs of this server are training already."""
        self.touch()
        if self.playing or self.stopped:
            return
        if _active_trainers() >= MAX_TRAINING_SESSIONS:
            raise LimitError(f"{MAX_TRAINING_SESSIONS} sessions are training on this server right now, its cap. "
                             "Press Step to train a few steps at a time, or Play again in a moment.")
        generation = self._generation
        self._window = (time.monotonic(), self._steps_now())
        _playing.add(self)
        self._worker = threading.Thread(target=self._train_in_background, args=(generation, slice_seconds, idle_timeout),
                                        name=TRAINER_THREAD, daemon=True)
        self._worker.start()

    def pause(self) -> None:
        """Stop the background loop after its current slice; return once it has stopped training."""
        self.interrupt()
        worker = self._worker
        if worker is not None and worker is not threading.current_thread():
            worker.join(timeout=5)
        self.live_rate = 0.0

    def _steps_now(self) -> int:
        return int(getattr(self, "steps", 0))

    def _train_in_background(self, generation: int, slice_seconds: float, idle_timeout: float) -> None:
        chunk = 1
        try:
            while self._generation == generation and not self.stopped:
                if self._steps_now() >= MAX_STEPS:
                    self.stop("finished", f"Stopped at {MAX_STEPS:,} steps, the most one run may train on this server.")
                    break
                if time.monotonic() - self._touched > idle_timeout:
                    break  # the page is gone (tab closed, another page): don't train for nobody
                _give_way()
                with self._lock:
                    if self._generation != generation or self.stopped:
                        break
                    started = time.perf_counter()
                    self.step(chunk)
                    took = time.perf_counter() - started
                per_step = took / chunk if took > 0 else 1e-4
                chunk = max(1, min(int(slice_seconds / per_step), 4 * chunk))
                self._update_rate()
        except Exception as error:  # noqa: BLE001 - reported on the page, not lost in a thread
            self.stop("failed", f"Training stopped on an error: {type(error).__name__}: {error}")

    def _update_rate(self) -> None:
        start, steps = self._window
        now, elapsed = time.monotonic(), time.monotonic() - start
        if elapsed >= 1.0:
            self.live_rate = (self._steps_now() - steps) / elapsed
            self._window = (now, self._steps_now())
