"""The shared sidebar: the device models train on and the global seed."""

from __future__ import annotations

import streamlit as st
import torch

from dlplay.device import available_devices, device_label, pick_device
from dlplay.ui.presenter import presenter_toggle
from dlplay.ui.share import share_control

DEVICE_KEY = "device"
SEED_KEY = "seed"


def render_sidebar() -> None:
    """Device switch (where more than one exists) and the global seed, on every page."""
    devices = available_devices()
    default = str(pick_device("auto"))
    with st.sidebar:
        st.markdown("### ⚙️ Settings")
        if len(devices) > 1:
            st.selectbox(
                "Device", devices, index=devices.index(default) if default in devices else 0,
                key=DEVICE_KEY, format_func=lambda d: device_label(d), help="Where models train. CUDA is used when present.",
            )
        else:
            st.session_state[DEVICE_KEY] = devices[0]
            st.caption(f"Device: **{device_label(devices[0])}**")
        st.number_input(
            "Global seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key=SEED_KEY, bind="query-params",
            help="Seeds data, initial weights and batching: the same seed gives the same run.",
        )
        presenter_toggle()
        share_control()


def current_device() -> torch.device:
    """The device chosen in the sidebar (auto before the sidebar has run)."""
    return pick_device(st.session_state.get(DEVICE_KEY, "auto"))


def current_seed() -> int:
    """The global seed chosen in the sidebar."""
    return int(st.session_state.get(SEED_KEY, 0))
