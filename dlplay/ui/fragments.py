"""Helpers for page sections that are fragments."""

from __future__ import annotations

from typing import NoReturn

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx


def in_fragment_rerun() -> bool:
    """True while Streamlit re-runs fragments alone (not the whole page)."""
    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def rerun_section() -> NoReturn:
    """Re-run the fragment being run; the whole page when the fragment runs as part of a page run.

    st.rerun(scope="fragment") raises during a full page run, and a plain st.rerun() inside a fragment re-runs the
    whole page: this picks the one that is both allowed and smallest."""
    if in_fragment_rerun():
        st.rerun(scope="fragment")
    st.rerun()
