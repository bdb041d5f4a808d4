"""Presenter mode (`?present=1`): a page readable from the back of a classroom."""

from __future__ import annotations

import copy

import streamlit as st

PARAM = "present"  # the URL parameter: ?present=1
KEY = "presenter_mode"  # the sidebar toggle's key
SCALE_LINES, SCALE_MARKERS, FONT_BOOST = 1.7, 1.35, 5  # how much thicker, bigger and larger charts get
CSS = """
<style>
html, body, [data-testid="stAppViewContainer"] { font-size: 21px; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.15rem; line-height: 1.5; }
h1 { font-size: 3.1rem !important; } h2 { font-size: 2.3rem !important; } h3 { font-size: 1.8rem !important; }
[data-testid="stWidgetLabel"] p { font-size: 1.1rem !important; }
[data-testid="stMetricValue"] { font-size: 2.6rem !important; }
button p { font-size: 1.15rem !important; }
/* larger labels wrap instead of being cut off ("Step …") */
button p, button div { white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
[data-testid="stTooltipIcon"], [data-testid="stTooltipHoverTarget"] svg { display: none !important; }
/* charts as wide as the screen: rows of columns that hold a chart stack into full-width rows */
div[data-testid="stHorizontalBlock"]:has(.stPlotlyChart) { flex-direction: column !important; }
div[data-testid="stHorizontalBlock"]:has(.stPlotlyChart) > div[data-testid="stColumn"] {
  width: 100% !important; flex: 1 1 100% !important; }
</style>
"""


def presenting() -> bool:
    """Whether presenter mode is on (from the URL, or the sidebar toggle in this session)."""
    if KEY in st.session_state:
        return bool(st.session_state[KEY])
    return st.query_params.get(PARAM) == "1"


def _sync_url() -> None:
    """Toggle callback: keep ?present=1 in the address, so a shared link opens in presenter mode."""
    if st.session_state[KEY]:
        st.query_params[PARAM] = "1"
    elif PARAM in st.query_params:
        del st.query_params[PARAM]


def presenter_toggle() -> None:
    """The sidebar's toggle."""
    st.toggle("🎓 Presenter mode", value=presenting(), key=KEY, on_change=_sync_url,
              help="Large type and thick chart lines for a projector; code panels and help icons hidden, the sidebar "
                   "closed and charts full width. The address gets ?present=1: open it in class and you are there.")


def apply_presenter_style() -> None:
    """The presenter CSS, when presenting."""
    if presenting():
        st.html(CSS)


def emphasize(spec: dict) -> dict:
    """A copy of a figure spec with thicker lines, bigger markers and larger text (the original is left alone)."""
    spec = copy.copy(spec)
    spec["data"] = [_thicker(trace) for trace in spec.get("data", [])]
    layout = dict(spec.get("layout", {}))
    font = dict(layout.get("font") or {})
    font["size"] = int(font.get("size", 14)) + FONT_BOOST
    layout["font"] = font
    spec["layout"] = layout
    return spec


def _thicker(trace: dict) -> dict:
    trace = dict(trace)
    if isinstance(trace.get("line"), dict):
        line = dict(trace["line"])
        line["width"] = float(line.get("width", 2)) * SCALE_LINES
        trace["line"] = line
    if isinstance(trace.get("marker"), dict) and isinstance(trace["marker"].get("size"), int | float):
        marker = dict(trace["marker"])
        marker["size"] = marker["size"] * SCALE_MARKERS
        trace["marker"] = marker
    return trace
