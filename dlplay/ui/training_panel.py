"""The live-training panel: Play / Pause / Step / Reset, and a fragment that trains in chunks and redraws."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Protocol

import streamlit as st

from dlplay.device import device_label


class Steppable(Protocol):
    """What the panel drives: a TrainingRun or a RunGroup."""

    stopped: bool
    steps: int

    def step(self, n: int = 1) -> object: ...

    def step_for(self, seconds: float) -> object: ...

    def interrupt(self) -> None: ...

    def throughput(self) -> tuple[float, float]: ...


def _keys(key: str) -> tuple[str, str, str]:
    return f"{key}__run", f"{key}__signature", f"{key}__playing"


def session_run(key: str, signature: Hashable, build: Callable[[], Steppable]) -> Steppable:
    """This session's run for a page; rebuilt, with a visible notice, when the signature (model/data settings) changes."""
    run_key, signature_key, playing_key = _keys(key)
    state = st.session_state
    if run_key not in state or state.get(signature_key) != signature:
        if run_key in state:
            st.info("🔄 You changed the model or the data, so training starts again from fresh weights.")
        state[run_key] = build()
        state[signature_key] = signature
        state[playing_key] = False
    return state[run_key]


def is_playing(key: str) -> bool:
    """Whether the page's run is playing."""
    return bool(st.session_state.get(_keys(key)[2], False))


def training_panel(
    key: str,
    signature: Hashable,
    build: Callable[[], Steppable],
    render: Callable[[Steppable], None],
    *,
    device: object = None,  # shown to the user; the run's own device is used when it has one
    step_size: int = 10,  # optimizer steps per click on Step
    chunk_seconds: float = 0.2,  # training time per live update: short enough that Pause answers within half a second
) -> Steppable:
    """Controls, status and a live view that trains while playing; returns the session's run."""
    run = session_run(key, signature, build)
    run_key, _, playing_key = _keys(key)

    # Each callback runs in the new script thread; interrupt() first ends a chunk the previous thread is still training.
    def play() -> None:
        st.session_state[playing_key] = True

    def pause() -> None:
        st.session_state[playing_key] = False
        st.session_state[run_key].interrupt()

    def step() -> None:
        st.session_state[playing_key] = False
        st.session_state[run_key].interrupt()
        st.session_state[run_key].step(step_size)

    def reset() -> None:
        st.session_state[playing_key] = False
        st.session_state[run_key].interrupt()
        st.session_state[run_key] = build()

    playing = is_playing(key) and not run.stopped
    play_col, pause_col, step_col, reset_col, status_col = st.columns([1, 1, 1, 1, 4], vertical_alignment="center")
    play_col.button("▶ Play", key=f"{key}__play", on_click=play, disabled=playing or run.stopped, type="primary", width="stretch")
    pause_col.button("⏸ Pause", key=f"{key}__pause", on_click=pause, disabled=not playing, width="stretch")
    step_col.button(f"⏭ Step ×{step_size}", key=f"{key}__step", on_click=step, disabled=run.stopped, width="stretch")
    reset_col.button("↺ Reset", key=f"{key}__reset", on_click=reset, width="stretch")
    status_col.caption(_status_line(run, playing))
    _show_messages(run)
    where = device_label(getattr(run, "device", None) or device or "cpu")

    @st.fragment(run_every=chunk_seconds + 0.05 if playing else None)
    def live_view() -> None:
        current = st.session_state[run_key]
        if st.session_state.get(playing_key) and not current.stopped:
            current.step_for(chunk_seconds)
            if current.stopped:  # refresh the buttons and show why it stopped
                st.session_state[playing_key] = False
                st.rerun()
        render(current)
        steps_per_s, samples_per_s = current.throughput()
        st.caption(f"Runs on **{where}** · {steps_per_s:,.0f} steps/s · {samples_per_s:,.0f} samples/s · step {current.steps:,}")

    live_view()
    return run


def _status_line(run: Steppable, playing: bool) -> str:
    if playing:
        return "🟢 Training… every other control stays live; Pause stops after the current chunk."
    if run.stopped:
        return "⏹ Stopped — press Reset to start again."
    return "Press **Play** to train live, or **Step** to advance a few steps at a time."


def _show_messages(run: Steppable) -> None:
    """Why a run (or each run of a group) stopped, in plain words."""
    runs = getattr(run, "runs", {"": run})
    for name, member in runs.items():
        message = getattr(member, "message", "")
        if not message:
            continue
        prefix = f"**{name}**: " if name else ""
        status = getattr(member, "status", "")
        if status == "diverged":
            st.error(f"{prefix}{message}", icon="💥")
        elif status == "early_stopped":
            st.success(f"{prefix}{message}", icon="🛑")
        else:
            st.info(f"{prefix}{message}")
