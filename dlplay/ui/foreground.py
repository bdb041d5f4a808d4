"""Interactions first: a background trainer steps aside while another session's script runs.

Every session's script and every training thread share one process, and a tiny net's training is Python-bound: it
holds the GIL about as much as it can. So each slice of background training first waits (for a bounded time, see
dlplay.training.pacing.give_way_to) while a script run of a session that is not playing is in progress. Playing
sessions' own redraws do not count: they would make every trainer wait for every other one. Measured in one process
(benchmarks/bench_ui.py, part contention): four training runs took a widget change on another page from 21 to 53 ms;
with this rule, 33 ms."""

from __future__ import annotations

import threading
import time

from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
from streamlit.runtime.scriptrunner_utils.script_run_context_attr import SCRIPT_RUN_CONTEXT_ATTR_NAME

from dlplay.training.pacing import give_way_to

SCRIPT_THREAD = "ScriptRunner.scriptThread"  # the name Streamlit gives the thread that runs a session's script
LIVE_WINDOW = 2.0  # seconds: a session whose live redraw ran this recently is playing

_live_since: dict[str, float] = {}  # session id → time.monotonic() of its last live redraw


def mark_live() -> None:
    """Called by a live redraw: this session is playing, its script runs are not interactions to wait for."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return
    now = time.monotonic()
    for session, since in list(_live_since.items()):  # a copy: other sessions' redraws write here too
        if now - since > LIVE_WINDOW:
            _live_since.pop(session, None)
    _live_since[ctx.session_id] = now


def interaction_running() -> bool:
    """Whether a script run of a session that is not playing is in progress (a click, a slider, a page visit)."""
    now = time.monotonic()
    for thread in threading.enumerate():
        if thread.name != SCRIPT_THREAD:
            continue
        ctx = getattr(thread, SCRIPT_RUN_CONTEXT_ATTR_NAME, None)
        if ctx is None or now - _live_since.get(ctx.session_id, -LIVE_WINDOW - 1) > LIVE_WINDOW:
            return True
    return False


def install() -> None:
    """Make every background trainer of this process give way to interactions."""
    give_way_to(interaction_running)
