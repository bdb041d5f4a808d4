"""Figure specs under test: each is validated by plotly (go.Figure) and checked for plotly.js 3's title objects."""

from __future__ import annotations

import functools
from collections.abc import Callable

import plotly.graph_objects as go


def _plain_titles(node, path: str = "") -> list[str]:
    """Paths of titles given as plain strings (plotly.py accepts them, plotly.js 3 in the browser ignores them)."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "title" and isinstance(value, str):
                found.append(f"{path}.title")
            found += _plain_titles(value, f"{path}.{key}")
    elif isinstance(node, list | tuple):
        for i, value in enumerate(node):
            found += _plain_titles(value, f"{path}[{i}]")
    return found


def check(spec: dict) -> go.Figure:
    """The spec as a validated plotly Figure (raises on any invalid property)."""
    assert isinstance(spec, dict) and set(spec) <= {"data", "layout"}, "a figure spec is {'data': […], 'layout': {…}}"
    assert not _plain_titles(spec), f"plain-string titles: {_plain_titles(spec)}"
    return go.Figure(spec)


def validated(builder: Callable[..., dict]) -> Callable[..., go.Figure]:
    """A figure builder whose specs come back validated, as plotly Figures (fig.data[0].x …)."""

    @functools.wraps(builder)
    def build(*args, **kwargs) -> go.Figure:
        return check(builder(*args, **kwargs))

    return build
