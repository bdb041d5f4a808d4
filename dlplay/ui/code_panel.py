"""The "show the code" panel every page ends with."""

from __future__ import annotations

import streamlit as st

from dlplay.ui.presenter import presenting


def show_code(code: str, label: str = "🐍 The PyTorch code for these settings", expanded: bool = False) -> None:
    """An expander holding the code a page runs for its current settings (hidden in presenter mode)."""
    if presenting():
        return
    with st.expander(label, expanded=expanded):
        st.code(code.strip(), language="python")
