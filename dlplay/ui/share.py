"""Share this setup: the page's address with every current setting."""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st


def current_settings() -> dict[str, str | list[str]]:
    """The page's settings as they stand in the address (every setting widget is bound to it)."""
    return {k: (v if len(v) > 1 else v[0]) for k in st.query_params for v in [st.query_params.get_all(k)] if v}


def share_url() -> str:
    """The full address that reproduces this page's setup: same data, seed and model."""
    base = st.context.url or ""
    query = urlencode(current_settings(), doseq=True)
    return f"{base}?{query}" if query else base


@st.fragment
def share_control() -> None:
    """A button that shows the current address, ready to copy (a fragment: it reads the settings when clicked)."""
    if st.button("🔗 Share this setup", key="share_button", width="stretch",
                 help="The address of this page with every setting you changed."):
        st.session_state["share_open"] = True
    if st.session_state.get("share_open"):
        st.code(share_url(), language=None, wrap_lines=True)
        st.caption("Copy it (the icon at the right). Opening it reproduces this setup — the same data, seed and "
                   "model settings — for anyone, though not the training done since: save the model for that. "
                   "Changed a setting since? Click the button again.")
