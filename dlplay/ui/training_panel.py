"""The live-training panel: Play / Pause / Step / Reset over a view that redraws while a background thread trains."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Protocol

import streamlit as st

from dlplay.device import device_label
from dlplay.training.limits import LimitError
from dlplay.ui.foreground import mark_live
from dlplay.ui.model_file import model_file_controls


class Steppable(Protocol):
    """What the panel drives: a TrainingRun, a RunGroup, or any run built on dlplay.training.pacing.Paced."""

    stopped: bool
    steps: int
    playing: bool
    live_rate: float

    def step(self, n: int = 1) -> object: ...

    def play(self) -> None: ...

    def pause(self) -> None: ...

    def touch(self) -> None: ...

    def locked(self) -> object: ...

    def throughput(self) -> tuple[float, float]: ...


def _keys(key: str) -> tuple[str, str, str]:
    return f"{key}__run", f"{key}__signature", f"{key}__playing"


def session_run(key: str, signature: Hashable, build: Callable[[], Steppable]) -> Steppable:
    """This session's run for a page; rebuilt, with a visible notice, when the signature (model/data settings) changes."""
    run_key, signature_key, playing_key = _keys(key)
    state = st.session_state
    if run_key not in state or state.get(signature_key) != signature:
        try:
            fresh = build()
        except LimitError as error:  # a setting beyond this server's per-session caps: say which, keep the old run
            st.error(f"{error} The model below is the one you had.", icon="🚧")
            if run_key in state:
                return state[run_key]
            st.stop()
        if run_key in state:
            state[run_key].pause()
            st.info("🔄 You changed the model or the data, so training starts again from fresh weights.")
        state[run_key] = fresh
        state[signature_key] = signature
        state[playing_key] = False
    return state[run_key]


def panel_run(key: str) -> Steppable | None:
    """The run of the training panel `key` in this session (None before the panel has built it)."""
    return st.session_state.get(_keys(key)[0])


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
    chunk_seconds: float = 0.4,  # seconds between live redraws while playing (training goes on in between)
    rerun_also: tuple[str, ...] = (),  # keys of other fragments (@st.fragment(key=…)) that show this run: Pause,
    # Step, Reset and a loaded model re-run them with the panel
) -> Steppable:
    """Controls, status and a live view of the session's run; returns the run.

    The panel is a fragment: Play, Pause, Step and Reset re-run the panel only, never the page. While playing, a
    background thread trains (dlplay.training.pacing.Paced.play) and a nested fragment redraws `render(run)` every
    `chunk_seconds`, holding the run's lock while it draws so the view is consistent; training resumes as soon as
    drawing ends. Pausing drops the nested fragment, which cancels its timer in the browser."""
    run = session_run(key, signature, build)
    run_key, _, playing_key = _keys(key)
    state = st.session_state
    where = device_label(getattr(run, "device", None) or device or "cpu")

    def refresh_panel(was_playing: bool = False) -> None:
        """A keyed rerun (allowed from callbacks) of the panel and of the sections that show the run. From the live
        fragment's buttons (was_playing) it also stops the live fragment: the panel re-runs without it, which cancels
        its timer, and a live redraw already queued is skipped (it belongs to the panel re-run) instead of drawing
        first. A click on the paused panel re-runs the panel anyway: only the other sections need naming then."""
        if was_playing or rerun_also:
            st.rerun([f"{key}__panel", *rerun_also])

    def play() -> None:
        try:
            state[run_key].play()
            state[playing_key] = True
        except LimitError as error:  # the server is training for as many sessions as it may
            state[f"{key}__limit"] = str(error)

    def stop_playing() -> bool:
        """Pause; whether it was playing."""
        was_playing = bool(state.get(playing_key))
        state[playing_key] = False
        state[run_key].pause()
        return was_playing

    def pause() -> None:
        refresh_panel(stop_playing())

    def step() -> None:
        was_playing = stop_playing()
        state[run_key].step(step_size)
        refresh_panel(was_playing)

    def reset() -> None:
        was_playing = stop_playing()
        state[run_key] = build()
        refresh_panel(was_playing)

    def view(current: Steppable) -> None:
        with current.locked():  # the background thread waits while the view reads the model
            render(current)
        steps_per_s, samples_per_s = current.throughput()
        rate = (f"{current.live_rate:,.0f} steps/s live · {steps_per_s:,.0f} steps/s while training"
                if current.playing else f"{steps_per_s:,.0f} steps/s · {samples_per_s:,.0f} samples/s")
        st.caption(f"Runs on **{where}** · {rate} · step {current.steps:,}")

    @st.fragment(run_every=chunk_seconds)
    def live() -> None:
        mark_live()  # this session's redraws are not interactions the trainers wait for
        current = state[run_key]
        if current.stopped:  # it stopped by itself (diverged, finished, failed): redraw the controls and say why
            state[playing_key] = False
            st.rerun()
        try:
            current.play()  # keeps the background thread alive (it stops when nobody has looked for a few seconds)
        except LimitError as error:
            state[playing_key], state[f"{key}__limit"] = False, str(error)
            st.rerun()
        controls(current, True)
        view(current)

    def controls(current: Steppable, playing: bool) -> None:
        """The buttons, save/load and the status: in the live fragment while playing (so Pause re-runs the panel
        directly, not after a queued redraw), in the panel otherwise."""
        c = st.columns([1, 1, 1, 1, 1.3, 3.2], vertical_alignment="center")
        c[0].button("▶ Play", key=f"{key}__play", on_click=play, disabled=playing or current.stopped, type="primary",
                    width="stretch")
        c[1].button("⏸ Pause", key=f"{key}__pause", on_click=pause, disabled=not playing, width="stretch")
        c[2].button(f"⏭ Step ×{step_size}", key=f"{key}__step", on_click=step, disabled=current.stopped, width="stretch")
        c[3].button("↺ Reset", key=f"{key}__reset", on_click=reset, width="stretch")
        with c[4]:
            model_file_controls(key, run_key, on_load=refresh_panel)
        c[5].caption(_status_line(current, playing))
        if limit := state.pop(f"{key}__limit", None):
            st.warning(limit, icon="🚦")
        _show_messages(current)

    @st.fragment(key=f"{key}__panel")
    def panel() -> None:
        current = state[run_key]
        playing = bool(state.get(playing_key)) and not current.stopped
        state[playing_key] = playing
        if playing:
            live()
        else:
            with st.container():  # one slot, as the live fragment's own container is: nothing of it can linger
                controls(current, False)
                view(current)

    panel()
    return state[run_key]


def _status_line(run: Steppable, playing: bool) -> str:
    if playing:
        return "🟢 Training… every other control stays live; Pause stops it at once."
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
        if status in ("diverged", "failed"):
            st.error(f"{prefix}{message}", icon="💥")
        elif status == "early_stopped":
            st.success(f"{prefix}{message}", icon="🛑")
        else:
            st.info(f"{prefix}{message}")
