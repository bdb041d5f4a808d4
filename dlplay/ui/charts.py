"""Charts on the page: plotly figure specs (dicts) drawn without building plotly objects."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import streamlit as st

from dlplay.ui.presenter import emphasize, presenting
from dlplay.viz.spec import compact


class _SpecFigure(go.Figure):
    """A plotly Figure that hands st.plotly_chart its spec as it is: no plotly objects, no validation, no deep copy.

    st.plotly_chart validates a dict by building a Figure from it (10–20 ms), but takes a Figure's to_dict() as given:
    this class makes to_dict() the spec itself. Specs are validated by the tests instead (go.Figure(spec)).
    Built without go.Figure.__init__ (which sets up a template, ~1.6 ms): st.plotly_chart only calls to_dict()."""

    def __new__(cls, spec: dict):
        figure = object.__new__(cls)
        object.__setattr__(figure, "_spec", spec)
        return figure

    def __init__(self, spec: dict):
        pass

    def to_dict(self) -> dict:
        return self._spec


def plot(spec: dict | go.Figure, *, key: str, container: Any = None, width: str | int = "stretch", **kwargs: Any) -> Any:
    """st.plotly_chart for a spec (or a plotly Figure), in `container` (default: where the page is writing)."""
    if isinstance(spec, dict):
        if presenting():
            spec = emphasize(spec)  # thicker lines, larger text, for the back of the room
        spec = compact(spec)  # long arrays as typed arrays: a quarter of the JSON
    figure = _SpecFigure(spec) if isinstance(spec, dict) else spec
    return (container or st).plotly_chart(figure, key=key, width=width, **kwargs)
