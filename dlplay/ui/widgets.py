"""Setting widgets bound to the URL, with a default that does not fight session state."""

from __future__ import annotations

import streamlit as st


def initial(key: str, default, argument: str = "value") -> dict:
    """value=default for a widget, unless session state already holds its value (no double-default warning)."""
    return {} if key in st.session_state else {argument: default}


def bound(widget, label: str, *args, key: str, default, **kwargs):
    """widget(label, *args, **kwargs) under `key`, bound to the URL, starting at `default`; select sliders show numbers."""
    if widget is st.select_slider:
        kwargs.setdefault("format_func", fmt)
    return widget(label, *args, key=key, bind="query-params", **initial(key, default), **kwargs)


def number_format(pattern: str = "{:g}"):
    """A format_func showing numeric options through `pattern`; an option already formatted passes through (AppTest
    sets options as text)."""
    return lambda v: pattern.format(v) if isinstance(v, (int, float)) else str(v)


fmt = number_format()  # 0.001 → '0.001', 1e-4 → '0.0001'
