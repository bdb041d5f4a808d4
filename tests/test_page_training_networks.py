"""The "Training neural networks" page: renders, trains by Step, rebuilds on architecture changes (re-running the lab and
the evaluation), evaluates the model as it is, falls back offline."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parent.parent / "chapters" / "training_networks.py")


@pytest.fixture
def at(tmp_path, monkeypatch) -> AppTest:
    monkeypatch.setenv("DLPLAY_DATA_DIR", str(tmp_path))  # an empty data folder: no real data set is there
    app = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def step(at: AppTest) -> AppTest:
    """Step, then a plain run: Step re-runs only the panel and the evaluation (keyed fragments), and AppTest's tree then
    holds only those; the plain run brings back the whole page for the next interaction."""
    [b for b in at.button if b.label.startswith("⏭")][0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_page_renders_three_sections_and_asks_to_train_before_evaluating(at):
    assert "Training neural networks" in at.title[0].value
    assert [h.value for h in at.header] == ["1 · Loss functions", "2 · Training lab", "3 · Evaluation"]
    assert any("Nothing to evaluate yet" in i.value for i in at.info)
    assert at.session_state["tn__run"].steps == 0


def test_step_trains_and_evaluation_renders(at):
    run = at.session_state["tn__run"]
    step(at)
    assert at.session_state["tn__run"] is run and run.steps == 20 and len(run.history.step_loss) == 20
    assert run.history.eval_step, "the first chunk is evaluated, so the curves have points"
    labels = [m.label for m in at.metric]
    assert "Accuracy on held-out images" in labels and not any("Nothing to evaluate" in i.value for i in at.info)
    step(at)
    assert run.steps == 40


def test_hidden_size_change_rebuilds_but_learning_rate_applies_live(at):
    step(at)
    run = at.session_state["tn__run"]
    at.select_slider(key="tn_lr").set_value(0.01).run()
    assert at.session_state["tn__run"] is run and run.lr == pytest.approx(0.01)
    at.select_slider(key="tn_hidden").set_value(32).run()
    rebuilt = at.session_state["tn__run"]
    assert rebuilt is not run and rebuilt.steps == 0
    assert rebuilt.model.linear_layers()[0].out_features == 32
    assert any("starts again" in i.value for i in at.info)
    # A lab setting re-runs the lab and the evaluation (fragments, by key), not the loss curves.
    assert any("Nothing to evaluate yet" in i.value for i in at.info)
    charts = [c.proto.id for c in at.get("plotly_chart")]
    assert any(c.endswith("tn_fig_loss") for c in charts) and not any(c.endswith("tn_fig_regression") for c in charts)


def test_evaluation_follows_the_model_it_evaluates(at):
    step(at)
    assert [m.value for m in at.metric if m.label == "Evaluated at"] == ["step 20"]
    run = at.session_state["tn__run"]
    run.step(20)  # the run trains on (as it does in the background while playing)
    at.button(key="tn_evaluate").click().run()
    assert [m.value for m in at.metric if m.label == "Evaluated at"] == ["step 40"]
    accuracy = next(m.value for m in at.metric if m.label == "Accuracy on held-out images")
    logits = run.predict(at.session_state["tn__lab"][1].X_test)
    y = at.session_state["tn__lab"][1].y_test
    assert accuracy == f"{float((logits.argmax(1) == y).float().mean()):.1%}"
    charts = [c.proto.id for c in at.get("plotly_chart")]
    assert all(any(c.endswith(key) for c in charts) for key in ("tn_fig_confusion", "tn_fig_mistakes"))


def test_mnist_offline_falls_back_to_synthetic_digits_with_a_message(at):
    at.selectbox(key="tn_data").set_value("MNIST").run()
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "MNIST" in warnings and "synthetic digits" in warnings
    assert any(b.label.startswith("⬇ Download") for b in at.button)
    step(at)
    assert at.session_state["tn__run"].steps == 20


def test_diverging_learning_rate_stops_with_a_message(at):
    at.selectbox(key="tn_opt").set_value("SGD").run()
    at.select_slider(key="tn_lr").set_value(10.0).run()
    for _ in range(5):
        if at.session_state["tn__run"].stopped:
            break
        step(at)
    run = at.session_state["tn__run"]
    assert run.status == "diverged"
    assert any("diverged" in e.value for e in at.error)


def test_a_network_killed_in_its_first_steps_is_called_out(at):
    at.selectbox(key="tn_opt").set_value("SGD").run()
    at.select_slider(key="tn_lr").set_value(10.0).run()
    [b for b in at.button if b.label.startswith("↺")][0].click().run()  # a fresh run that starts at lr 10
    for _ in range(6):
        if at.session_state["tn__run"].stopped:
            break
        step(at)
    run = at.session_state["tn__run"]
    said = " ".join(e.value for e in at.error) + " ".join(w.value for w in at.warning)
    assert run.status == "diverged" and "diverged" in said or "stuck at" in said, said


def test_extreme_batch_sizes_and_epochs_are_explained(at):
    at.select_slider(key="tn_ntrain").set_value(1000).run()
    at.select_slider(key="tn_batch").set_value(2048).run()  # the largest batch a session may use
    assert any("full-batch" in i.value for i in at.info)
    at.slider(key="tn_epochs").set_value(1).run()
    step(at)
    run = at.session_state["tn__run"]
    assert run.steps == 1 and run.status == "finished"  # one full batch is one epoch
    at.slider(key="tn_epochs").set_value(3).run()  # more epochs resume the finished run
    assert not run.stopped
    at.select_slider(key="tn_batch").set_value(1).run()
    assert any("stochastic gradient descent" in i.value for i in at.info)


def test_loss_controls_redraw(at):
    at.slider(key="tn_delta").set_value(0.3)
    at.radio(key="tn_bce_target").set_value(0)
    at.slider(key="tn_classes").set_value(2).run()
    assert not at.exception
    assert any("2 classes" in str(c.proto.spec) for c in at.get("plotly_chart"))
