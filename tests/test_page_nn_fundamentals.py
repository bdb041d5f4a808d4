"""The Neural Network Fundamentals page (chapter 1): renders, trains through Step, rebuilds on architecture changes,
explains bad input, runs the perceptron rule and the forward-pass inspector."""

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dlplay.lessons.fundamentals.features import FEATURES
from dlplay.lessons.fundamentals.playground import EVAL_EVERY, SPIRAL_PRESET

PAGE = str(Path(__file__).resolve().parent.parent / "chapters" / "nn_fundamentals.py")
RUN = "nn_mlp__run"


@pytest.fixture
def at() -> AppTest:
    app = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def open_tab(at: AppTest, label: str) -> AppTest:
    """Open one of the page's lazy tabs (only the open tab's content runs)."""
    at.session_state["nn_tab"] = label
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def step(at: AppTest) -> None:
    [b for b in at.button if b.label.startswith("⏭ Step")][0].click().run()
    assert not at.exception, [e.value for e in at.exception]


def test_renders_with_title_tabs_and_live_charts(at):
    assert at.title[0].value.endswith("Neural network fundamentals")
    assert [t.label for t in at.tabs] == ["🧩 Perceptron", "🕸️ MLP playground", "🔬 Forward pass"]
    keys = {c.proto.id for c in at.get("plotly_chart")}
    assert len(keys) == 3  # the playground tab opens first: the network view, the loss, the output map
    assert any("steps/s" in c.value for c in at.caption)
    assert len({c.proto.id for c in open_tab(at, "🧩 Perceptron").get("plotly_chart")}) == 2  # the line, its errors


def test_step_trains_and_reset_starts_again(at):
    run = at.session_state[RUN]
    step(at)
    step(at)
    assert at.session_state[RUN] is run and run.steps == 2 * EVAL_EVERY and len(run.history.step_loss) == 2 * EVAL_EVERY
    assert len(run.history.eval_step) >= 2
    [b for b in at.button if b.label.startswith("↺ Reset")][0].click().run()
    assert at.session_state[RUN].steps == 0


def test_architecture_change_rebuilds_but_learning_rate_applies_live(at):
    step(at)
    first = at.session_state[RUN]
    at.select_slider(key="nn_lr").set_value(0.3).run()
    assert at.session_state[RUN] is first and first.lr == pytest.approx(0.3)
    at.slider(key="nn_layers").set_value(3).run()
    rebuilt = at.session_state[RUN]
    assert rebuilt is not first and rebuilt.model.hidden_widths == (4, 2, 4)
    assert any("starts again" in i.value for i in at.info)
    at.number_input(key="nn_h2").set_value(7).run()
    assert at.session_state[RUN].model.hidden_widths == (4, 7, 4)
    at.slider(key="nn_layers").set_value(0).run()  # no hidden layer: a linear model, still trains
    assert at.session_state[RUN].model.hidden_widths == ()
    step(at)
    assert at.session_state[RUN].steps == EVAL_EVERY


def test_no_feature_selected_gives_a_message_not_a_traceback(at):
    at.pills(key="nn_features").set_value([]).run()
    assert not at.exception
    assert any("Select at least one input feature" in i.value for i in at.info)
    assert not [b for b in at.button if b.label.startswith("⏭ Step")]  # no network to train
    at.pills(key="nn_features").set_value(["x₂"]).run()
    assert at.session_state[RUN].model.linear_layers()[0].in_features == 1


def test_six_layers_of_eight_with_every_feature_renders_fast(at):
    at.slider(key="nn_layers").set_value(6).run()
    for i in range(1, 7):
        at.number_input(key=f"nn_h{i}").set_value(8)
    at.pills(key="nn_features").set_value(list(FEATURES)).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state[RUN].model.hidden_widths == (8,) * 6
    step(at)
    assert at.session_state[RUN].steps == EVAL_EVERY


def test_spiral_preset_sets_every_control(at):
    [b for b in at.button if "Spiral preset" in b.label][0].click().run()
    assert not at.exception
    run = at.session_state[RUN]
    config = run.playground
    assert (config.dataset, config.features, config.hidden_sizes, config.activation, config.optimizer, config.batch_size) == (
        SPIRAL_PRESET.dataset, SPIRAL_PRESET.features, SPIRAL_PRESET.hidden_sizes, SPIRAL_PRESET.activation,
        SPIRAL_PRESET.optimizer, SPIRAL_PRESET.batch_size)
    assert run.lr == pytest.approx(SPIRAL_PRESET.lr)


def test_diverging_learning_rate_stops_with_a_message(at):
    at.selectbox(key="nn_data").set_value("plane").run()
    at.select_slider(key="nn_lr").set_value(10.0).run()
    for _ in range(3):
        if not at.session_state[RUN].stopped:
            step(at)
    assert at.session_state[RUN].status == "diverged"
    assert any("diverged" in e.value for e in at.error)


def test_regression_set_and_options_render(at):
    at.selectbox(key="nn_data").set_value("multi-gaussian").run()
    at.checkbox(key="nn_discretize").check().run()
    at.checkbox(key="nn_show_test").uncheck().run()
    at.selectbox(key="nn_reg").set_value("L1").run()
    at.select_slider(key="nn_reg_rate").set_value(0.01).run()
    step(at)
    assert not at.exception
    assert at.session_state[RUN].task == "regression" and at.session_state[RUN].config.l1 == pytest.approx(0.01)


def test_perceptron_next_update_moves_the_line(at):
    open_tab(at, "🧩 Perceptron")
    before = (at.slider(key="nn_pc_w1").value, at.slider(key="nn_pc_w2").value, at.slider(key="nn_pc_b").value)
    at.button(key="nn_pc_next").click().run()
    assert not at.exception
    after = (at.slider(key="nn_pc_w1").value, at.slider(key="nn_pc_w2").value, at.slider(key="nn_pc_b").value)
    assert after != before
    assert at.session_state["nn_pc_highlight"] is not None and len(at.session_state["nn_pc_log"]) == 2
    assert any("Last update on point" in c.value for c in at.caption)
    at.button(key="nn_pc_run").click().run()
    assert any("Converged" in s.value for s in at.success)  # the default set is separable


def test_perceptron_on_xor_never_converges(at):
    open_tab(at, "🧩 Perceptron")
    at.selectbox(key="nn_pc_data").set_value("XOR — not separable").run()
    at.button(key="nn_pc_run").click().run()
    assert not at.exception
    assert any("Not converged" in w.value for w in at.warning)
    assert min(at.session_state["nn_pc_log"]) > 0


def test_forward_inspector_ends_in_the_models_output(at):
    open_tab(at, "🔬 Forward pass")
    at.number_input(key="nn_fx1").set_value(-3.0)
    at.number_input(key="nn_fx2").set_value(4.5).run()
    assert not at.exception
    text = [m.value for m in at.markdown if "3 · Output" in m.value][0]
    inspector, model = re.findall(r"\*\*(-?\d+\.\d{6})\*\*", text)[:2]
    assert inspector == model  # the inspector's last value and model(x), to 6 decimals
