"""Training in the background (Paced.play): it trains, Pause stops it for good, readers get the lock, nobody watching
stops it, errors are reported; and many sessions build their runs at once without touching each other."""

from __future__ import annotations

import threading
import time

import pytest
import torch

from dlplay.lessons.fundamentals.playground import PlaygroundConfig, build_run
from dlplay.models import MLP
from dlplay.training import RunConfig, RunGroup, TrainingRun


def wait_for(condition, timeout: float = 30.0) -> bool:
    """Poll until condition() holds (generous: the test machine is shared); False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def small_run(**kwargs) -> TrainingRun:
    X = torch.randn(64, 2, generator=torch.Generator().manual_seed(0))  # (N, 2)
    y = (X[:, 0] > 0).long()
    return TrainingRun(MLP(2, 8, 2), X, y, X, y, **kwargs)


def test_play_trains_in_the_background_and_pause_stops_it():
    run = small_run()
    run.play()
    assert wait_for(lambda: run.steps > 20) and run.playing
    run.pause()
    assert not run.playing
    stopped_at = run.steps
    time.sleep(0.3)
    assert run.steps == stopped_at, "training went on after pause() returned"
    run.play()  # and it resumes
    assert wait_for(lambda: run.steps > stopped_at)
    run.pause()


def test_a_reader_gets_the_lock_while_training_goes_on():
    run = small_run()
    run.play()
    try:
        for _ in range(20):
            with run.locked():  # the background loop waits: the model and history hold still
                steps, losses = run.steps, len(run.history.step_loss)
                time.sleep(0.002)
                assert run.steps == steps and len(run.history.step_loss) == losses == steps
        assert wait_for(lambda: run.steps > steps)
    finally:
        run.pause()


def test_nobody_watching_stops_the_background_loop():
    run = small_run()
    run.play(idle_timeout=0.2)
    assert wait_for(lambda: not run.playing, timeout=30)
    steps = run.steps
    time.sleep(0.3)
    assert run.steps == steps and not run.stopped  # paused, not ended: Play resumes it


def test_a_run_that_finishes_ends_its_loop():
    run = small_run(config=RunConfig(max_steps=50))
    run.play()
    assert wait_for(lambda: not run.playing)
    assert run.steps == 50 and run.status == "finished"


def test_an_error_while_training_is_reported_not_lost():
    run = small_run()
    run.y_train = run.y_train[:3]  # batches can no longer be indexed: the step raises
    run.play()
    assert wait_for(lambda: run.stopped)
    assert run.status == "failed" and "error" in run.message


def test_a_group_plays_and_pauses_as_one():
    group = RunGroup({"a": small_run(), "b": small_run()})
    group.play()
    assert wait_for(lambda: group.steps > 10)
    group.pause()
    a, b = (run.steps for run in group.runs.values())
    assert a == b  # lockstep


@pytest.mark.parametrize("seeds", [(1, 2)])
def test_runs_built_at_once_in_two_threads_equal_their_single_threaded_builds(seeds):
    """Many sessions, one process: a run's data, weights and batches come from its own seed, whatever else runs."""
    configs = {seed: PlaygroundConfig(dataset="spiral", hidden_sizes=(8, 8), seed=seed) for seed in seeds}

    def fingerprint(run) -> list[torch.Tensor]:
        run.step(15)
        return [run.X_train.clone()] + [p.detach().clone() for p in run.model.parameters()]

    expected = {seed: fingerprint(build_run(config)) for seed, config in configs.items()}
    results, barrier = {}, threading.Barrier(len(seeds))

    def session(seed: int) -> None:
        barrier.wait()
        for _ in range(5):
            results[seed] = fingerprint(build_run(configs[seed]))

    threads = [threading.Thread(target=session, args=(seed,)) for seed in seeds]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for seed in seeds:
        for actual, wanted in zip(results[seed], expected[seed]):
            torch.testing.assert_close(actual, wanted, rtol=0, atol=0)


def test_caps_refuse_a_run_too_big_and_a_trainer_too_many(monkeypatch):
    from dlplay.training import limits, pacing

    with pytest.raises(limits.LimitError, match="batch of 1,000,000"):
        TrainingRun(MLP(2, 8, 2), torch.zeros(10, 2), torch.zeros(10, dtype=torch.long), config=RunConfig(batch_size=10**6))
    monkeypatch.setattr(limits, "MAX_PARAMETERS", 10)
    with pytest.raises(limits.LimitError, match="parameters"):
        small_run()
    monkeypatch.setattr(limits, "MAX_PARAMETERS", 10**9)
    first, second = small_run(), small_run()
    monkeypatch.setattr(pacing, "MAX_TRAINING_SESSIONS", 1)
    first.play()
    try:
        with pytest.raises(limits.LimitError, match="sessions are training"):
            second.play()
        assert not second.playing
    finally:
        first.pause()
    second.play()  # a slot is free again
    second.pause()


def test_the_run_lock_is_first_come_first_served():
    """A loop that releases and re-acquires at once (as training does) cannot keep a waiting reader out: once the
    reader has asked, the loop gets the lock at most once more (the turn it was already waiting for)."""
    from dlplay.training.pacing import FairLock

    lock, turns, stop = FairLock(), [0], threading.Event()

    def busy() -> None:
        while not stop.is_set():
            with lock:
                with lock:  # re-entrant, as TrainingRun.step inside the background loop
                    turns[0] += 1

    def reader(result: list) -> None:
        with lock:
            result.append(turns[0])

    thread = threading.Thread(target=busy)
    thread.start()
    try:
        assert wait_for(lambda: turns[0] > 100)
        for _ in range(20):
            result: list[int] = []
            with lock:  # hold the loop off while the reader queues up behind us
                waiter = threading.Thread(target=reader, args=(result,))
                waiter.start()
                assert wait_for(lambda: len(lock._queue) >= 2)  # the loop and the reader have both asked
                queued_at = turns[0]
            waiter.join()
            assert result[0] - queued_at <= 1, f"the loop took the lock {result[0] - queued_at} times before the reader"
    finally:
        stop.set()
        thread.join()
