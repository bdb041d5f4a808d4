"""Save the trained model of a training panel to a file, and load such a file back (weights only, never code)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from dlplay.training.checkpoint import MAX_BYTES, CheckpointError, load_checkpoint, save_checkpoint
from dlplay.ui.share import current_settings, share_url


def _load(key: str, run_key: str, uploader_key: str, counter_key: str, on_load: Callable[[], None]) -> None:
    """Uploader callback: load the file into the run, or say why not (the run is untouched then)."""
    state = st.session_state
    upload = state.get(uploader_key)
    if upload is None:
        return
    state[counter_key] = state.get(counter_key, 0) + 1  # a fresh uploader next time: the file does not linger
    try:
        loaded = load_checkpoint(upload.getvalue(), state[run_key], key)
    except CheckpointError as error:
        state[f"{key}__file_message"] = ("error", f"**{upload.name}** was not loaded: {error}")
        return
    optimizer = "with its optimizer's state, so training continues exactly" if loaded.with_optimizer else \
        "(weights only: the optimizer starts afresh)"
    state[f"{key}__file_message"] = ("success", f"Loaded **{upload.name}**: weights trained for {loaded.steps:,} steps, "
                                                f"{optimizer}.")
    on_load()


def model_file_controls(key: str, run_key: str, on_load: Callable[[], None] = lambda: None) -> None:
    """A popover with Download and Upload, and the outcome of the last upload."""
    state = st.session_state
    counter_key = f"{key}__file_counter"
    uploader_key = f"{key}__upload_{state.get(counter_key, 0)}"
    run, settings, link = state[run_key], current_settings(), share_url()  # read now: the download runs later
    with st.popover("💾 Save / load", width="stretch"):
        st.download_button(
            "⬇️ Download the trained model", data=lambda: save_checkpoint(run, key, settings, link),
            file_name=f"dlplay-{key}.pt", mime="application/octet-stream", on_click="ignore", key=f"{key}__download",
            width="stretch", help="One file: the weights and the optimizer's state, with the settings that built them.",
        )
        st.file_uploader(
            "⬆️ Continue from a model saved on this page", type=["pt", "pth"], key=uploader_key, on_change=_load,
            args=(key, run_key, uploader_key, counter_key, on_load), max_upload_size=MAX_BYTES // 2**20,
            help="Only tensors and numbers are read (torch.load(weights_only=True)): a file that holds code is refused.",
        )
        st.caption("In your own code: `torch.load(path, weights_only=True)['models']['']` is the model's state_dict.")
    message = state.pop(f"{key}__file_message", None)  # shown once, after the upload that caused it
    if message:
        (st.error if message[0] == "error" else st.success)(message[1])
