"""The live-training panel: Step, Reset, rebuild on an architecture change, live learning rate, divergence message."""

import torch
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


def test_a_saved_model_loads_in_a_fresh_session_and_bad_files_get_their_message():
    from dlplay.training.checkpoint import save_checkpoint

    at = AppTest.from_file("apps/panel_app.py", default_timeout=60).run()
    step_button(at).click().run()
    trained = at.session_state["panel__run"]
    data = save_checkpoint(trained, "panel")

    fresh = AppTest.from_file("apps/panel_app.py", default_timeout=60).run()  # another session
    fresh.file_uploader[0].upload("model.pt", data).run()
    assert not fresh.exception, [e.value for e in fresh.exception]
    run = fresh.session_state["panel__run"]
    assert torch.equal(run.predict(run.X_train), trained.predict(trained.X_train))
    assert run.steps == trained.steps and any("Loaded **model.pt**" in s.value for s in fresh.success)

    weights = [p.detach().clone() for p in run.model.parameters()]
    fresh.file_uploader[0].upload("notes.pt", b"just some text, not a model").run()
    assert any("not a file saved by PyTorch" in e.value for e in fresh.error)
    assert all(torch.equal(a, b) for a, b in zip(weights, run.model.parameters()))  # untouched
    fresh.slider(key="panel_width").set_value(4).run()  # another architecture now
    fresh.file_uploader[0].upload("model.pt", data).run()
    assert any("different architecture" in e.value for e in fresh.error) and not fresh.exception
