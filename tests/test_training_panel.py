"""The live-training panel: Step, Reset, rebuild on an architecture change, live learning rate, divergence message."""

from streamlit.testing.v1 import AppTest


def step_button(at):
    return next(b for b in at.button if b.label.startswith("⏭"))


def test_step_reset_and_rebuild():
    at = AppTest.from_file("apps/panel_app.py", default_timeout=60).run()
    assert not at.exception
    assert at.session_state["panel__run"].steps == 0
    step_button(at).click().run()
    run = at.session_state["panel__run"]
    assert run.steps == 5 and len(run.history.step_loss) == 5
    assert any("steps/s" in c.value for c in at.caption)

    next(b for b in at.button if "Reset" in b.label).click().run()
    assert at.session_state["panel__run"].steps == 0

    step_button(at).click().run()
    at.slider(key="panel_width").set_value(4).run()  # the architecture changed: a fresh run and a notice
    assert at.session_state["panel__run"].steps == 0
    assert any("starts again" in i.value for i in at.info)


def test_learning_rate_applies_live_and_divergence_is_explained():
    at = AppTest.from_file("apps/panel_app.py", default_timeout=60).run()
    step_button(at).click().run()
    at.select_slider(key="panel_lr").set_value(1e9).run()
    run = at.session_state["panel__run"]
    assert run.steps == 5, "a learning-rate change keeps the run"
    for _ in range(5):
        if at.session_state["panel__run"].stopped:
            break
        step_button(at).click().run()
    assert at.session_state["panel__run"].status == "diverged"
    assert any("diverged" in e.value for e in at.error)
    assert not at.exception
    assert step_button(at).disabled
