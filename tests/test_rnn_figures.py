"""The RNN page's figure specs: valid plotly, and they show the data they are given."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from dlplay.lessons.rnn import figures, text_figures
from dlplay.lessons.rnn.bptt import ClipTrace
from dlplay.lessons.rnn.stepper import StepperSetup, build_stepper_model, unroll_sequence


@pytest.fixture(scope="module")
def unrolling():
    setup = StepperSetup(seq_len=10, hidden_size=3, trained=False)
    return unroll_sequence(build_stepper_model(setup), setup)


def _valid(spec: dict) -> go.Figure:
    return go.Figure(spec)  # raises on any property plotly.js would not understand


def test_stepper_figures_grow_with_the_step(unrolling):
    heat = _valid(figures.hidden_heatmap(unrolling, 3))
    z = np.asarray(heat.data[0].z, dtype=float)
    assert z.shape == (3, 10) and np.isfinite(z[:, :4]).all() and np.isnan(z[:, 4:]).all()
    np.testing.assert_allclose(z[:, 3], unrolling.h[3])
    series = _valid(figures.series_figure(unrolling, 3))
    assert len(series.data[1].x) == 4  # the inputs read so far
    terms = _valid(figures.step_terms_figure(unrolling, 3))
    np.testing.assert_allclose(terms.data[3].y, unrolling.h[3])


def test_gradient_and_clipping_figures():
    profiles = {"RNN": np.array([0.0, 1e-3, 1e-1]), "LSTM": np.array([1e-2, 1e-1, 1.0])}
    fig = _valid(figures.gradient_profile_figure(profiles, "t"))
    assert np.isnan(fig.data[0].y[0])  # 0 cannot sit on a log axis
    _valid(figures.gradient_length_figure((5, 10), {"GRU": np.array([0.1, 0.01])}))
    traces = {"without clipping": ClipTrace(np.array([1.0, np.inf]), np.array([2.0, np.inf]), 1),
              "with clipping": ClipTrace(np.array([1.0, 0.5]), np.array([2.0, 3.0]), None)}
    clip = _valid(figures.clipping_figure(traces, 1.0))
    assert {t.yaxis or "y" for t in clip.data} == {"y", "y2"}
    assert any(t.text == ("✕ diverged",) for t in clip.data)


def test_race_figures():
    acc = _valid(figures.race_accuracy_figure({"RNN": ([25, 50], [0.2, 0.3]), "GRU": ([], [])}, 0.25))
    assert [t.name for t in acc.data] == ["RNN"]
    bars = _valid(figures.position_accuracy_figure(np.array([1, 2, 3]), {"LSTM": np.array([1.0, 0.5, 0.25])}, "symbol", 0.25))
    assert bars.data[0].type == "bar"
    lines = _valid(figures.position_accuracy_figure(np.arange(1, 30), {"LSTM": np.linspace(0, 1, 29)}, "distance", 0.19))
    assert lines.data[0].type == "scatter"


def test_gates_figure_stacks_one_heatmap_per_panel():
    panels = {"input gate iₜ": np.full((5, 4), 0.5), "cell state cₜ": np.zeros((5, 4))}
    fig = _valid(figures.gates_figure(panels, list("ABCDE"), "gates"))
    assert [t.yaxis for t in fig.data] == ["y", "y2"]
    assert fig.data[0].zmin == 0 and fig.data[1].zmin == -1
    assert np.asarray(fig.data[0].z).shape == (4, 5)  # units × steps


def test_text_figures():
    passage = "ab c\nd"
    fig = _valid(text_figures.char_activation_figure(passage, np.linspace(-1, 1, 6), unit=2, width=4))
    assert np.asarray(fig.data[0].z).shape == (2, 4)
    assert list(fig.data[0].text[0]) == ["a", "b", "␣", "c"]
    prefix = _valid(text_figures.prefix_figure(["not", "good"], np.array([0.6, 0.1])))
    assert list(prefix.data[0].x) == ["1. not", "2. good"]
