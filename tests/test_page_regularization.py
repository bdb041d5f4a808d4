"""The Regularization page: renders, Step trains every configuration, controls rebuild, bad settings get a message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from spec_check import check
from streamlit.testing.v1 import AppTest
from torch import nn

PAGE = str(Path(__file__).resolve().parent.parent / "chapters" / "regularization.py")


@pytest.fixture(scope="module")
def at():
    """One rendered page at small settings (a narrow, shallow network), shared by the tests in order."""
    app = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not app.exception, [e.value for e in app.exception]
    app.select_slider(key="reg_width").set_value(16)
    app.run()
    yield app


def _group(app: AppTest):
    return app.session_state["reg__run"]


def _figure(app: AppTest, key: str):
    """The chart with this key, its spec validated by plotly."""
    (chart,) = [c for c in app.get("plotly_chart") if c.proto.id.endswith(key)]
    return check(json.loads(chart.proto.spec))


def test_renders_four_configurations_with_their_charts(at):
    assert not at.exception, [e.value for e in at.exception]
    assert list(_group(at).runs) == ["A: baseline", "B: dropout 0.5", "C: weight decay 0.01", "D: batch norm + early stop 20"]
    charts = at.get("plotly_chart")
    assert len(charts) >= 6  # loss, accuracy, weight norm, boundaries, histograms, dropout view
    for chart in charts:
        check(json.loads(chart.proto.spec))  # every spec the page draws is valid plotly
    assert not at.warning
    # the width setting re-ran the dropout view too: it shows the rebuilt 16-wide network
    heatmaps = [t for t in _figure(at, "reg_fig_dropout").data if t.type == "heatmap"]
    assert len(heatmaps) == 3 and len(heatmaps[0].x) == 16


def test_step_advances_every_run_together(at):
    step = [b for b in at.button if b.label.startswith("⏭")][0]
    step.click().run()
    assert not at.exception, [e.value for e in at.exception]
    group = _group(at)
    assert [run.steps for run in group.runs.values()] == [30] * 4
    assert all(len(run.history.eval_step) == 10 and "weight_norm" in run.history.extras for run in group.runs.values())
    assert any("30 training steps" in c.value for c in at.caption), "Step refreshes the dropout view"
    at.run()  # Step re-ran the panel and the dropout view only (keyed fragments): the whole page for the next tests


def test_learning_rate_applies_live_without_a_rebuild(at):
    before = _group(at)
    at.select_slider(key="reg_lr").set_value(1e-2).run()
    assert _group(at) is before and all(run.lr == 1e-2 for run in before.runs.values())


def test_changing_a_configuration_dropout_rebuilds_that_run(at):
    before = _group(at)
    at.slider(key="reg_b_dropout").set_value(0.2).run()
    group = _group(at)
    assert group is not before and all(run.steps == 0 for run in group.runs.values())
    assert "B: dropout 0.2" in group.runs
    rates = [m.p for m in group.runs["B: dropout 0.2"].model.modules() if isinstance(m, nn.Dropout)]
    assert rates == [0.2, 0.2]
    assert any("fresh weights" in info.value for info in at.info)


def test_batch_norm_toggle_and_weight_decay_reach_the_run(at):
    at.toggle(key="reg_a_bn").set_value(True)
    at.select_slider(key="reg_a_wd").set_value(1e-3).run()
    run = _group(at).runs["A: batch norm + weight decay 0.001"]
    assert any(isinstance(m, nn.BatchNorm1d) for m in run.model.modules())
    assert run.optimizer.param_groups[0]["weight_decay"] == 1e-3


def test_patience_beyond_the_epochs_and_extreme_dropout_are_warned_about(at):
    at.slider(key="reg_epochs").set_value(20)
    at.slider(key="reg_c_patience").set_value(50)
    at.slider(key="reg_d_dropout").set_value(0.95).run()
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(w.value for w in at.warning)
    assert "never trigger" in text and "dropout 0.95" in text
    assert _group(at).runs["C: weight decay 0.01 + early stop 50"].early_stopping.patience == 50  # it still runs


def test_two_configurations_and_resample(at):
    at.radio(key="reg_n_configs").set_value(2).run()
    assert len(_group(at).runs) == 2
    seed = at.session_state["reg_view_seed"] if "reg_view_seed" in at.session_state else 0
    at.button(key="reg_view_resample").click().run()
    assert at.session_state["reg_view_seed"] == seed + 1
    assert not at.exception, [e.value for e in at.exception]
