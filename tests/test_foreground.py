"""Interactions first: background training waits while another session's script runs, and a playing session's own
redraws are not such interactions."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import torch
from streamlit.runtime.scriptrunner_utils.script_run_context_attr import SCRIPT_RUN_CONTEXT_ATTR_NAME

from dlplay.models import MLP
from dlplay.training import TrainingRun, pacing
from dlplay.ui import foreground
from tests.test_live_training import wait_for


def small_run() -> TrainingRun:
    X = torch.randn(64, 2, generator=torch.Generator().manual_seed(0))  # (N, 2)
    return TrainingRun(MLP(2, 8, 2), X, (X[:, 0] > 0).long(), X, (X[:, 0] > 0).long())


def test_background_training_waits_while_someone_interacts(monkeypatch):
    busy = threading.Event()
    busy.set()
    monkeypatch.setattr(pacing, "GIVE_WAY_SECONDS", 600.0)  # wait as long as the interaction lasts
    monkeypatch.setattr(pacing, "_busy_elsewhere", busy.is_set)
    run = small_run()
    run.play()
    try:
        time.sleep(0.5)
        assert run.steps == 0 and run.playing, "trained while an interaction was running"
        busy.clear()  # the interaction is over
        assert wait_for(lambda: run.steps > 20)
    finally:
        run.pause()


def test_a_long_interaction_only_slows_training(monkeypatch):
    monkeypatch.setattr(pacing, "GIVE_WAY_SECONDS", 0.05)
    monkeypatch.setattr(pacing, "_busy_elsewhere", lambda: True)  # someone always interacting
    run = small_run()
    run.play()
    try:
        assert wait_for(lambda: run.steps > 20)
    finally:
        run.pause()


def _script_thread(session_id: str | None, started: threading.Event, done: threading.Event) -> threading.Thread:
    def body() -> None:
        if session_id is not None:
            setattr(threading.current_thread(), SCRIPT_RUN_CONTEXT_ATTR_NAME, SimpleNamespace(session_id=session_id))
        started.set()
        done.wait(30)

    return threading.Thread(target=body, name=foreground.SCRIPT_THREAD, daemon=True)


def test_a_script_run_counts_unless_its_session_is_playing(monkeypatch):
    monkeypatch.setattr(foreground, "_live_since", {})
    assert not foreground.interaction_running()
    started, done = threading.Event(), threading.Event()
    thread = _script_thread("student-a", started, done)
    thread.start()
    try:
        started.wait(30)
        assert foreground.interaction_running()  # student A moved a slider
        monkeypatch.setattr(foreground, "get_script_run_ctx", lambda: SimpleNamespace(session_id="student-a"))
        foreground.mark_live()  # student A is playing: that run is a live redraw
        assert not foreground.interaction_running()
    finally:
        done.set()
        thread.join(30)
    assert not foreground.interaction_running()
