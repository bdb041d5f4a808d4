"""The CNN page: renders, the stepper steps, the lab and the race train, your input is read, bad input gets a message."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from streamlit.testing.v1 import AppTest

from dlplay.lessons.cnn.images import sample_picture

PAGE = str(Path(__file__).resolve().parent.parent / "chapters" / "cnn.py")


@pytest.fixture(scope="module")
def at():
    """One rendered page at small settings (1000 training images, 4 channels in the first block), shared in order."""
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.query_params["cnn_ntrain"] = "1000"
    app.query_params["cnn_width"] = "4"
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    yield app


def _errors(app: AppTest) -> str:
    return " ".join(e.value for e in app.error)


def _stepper_text(app: AppTest) -> str:
    return " ".join(c.value for c in app.code if "out[" in c.value and c.language != "python")  # not the code panels


def test_renders_every_section_with_charts(at):
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) >= 8 and len(at.get("image")) >= 5  # kernels and feature maps are pictures
    assert [h.value.split(" ·")[0] for h in at.header] == ["1", "2", "3", "4", "5"]
    assert "out[14, 14]" in _stepper_text(at)  # the stepper starts in the middle of the 28×28 map


def test_the_stepper_moves_and_writes_the_f_conv2d_value(at):
    at.slider(key="cnn_cell_28x28").set_value(14 * 28 + 8).run()
    next_button = [b for b in at.button if b.key == "cnn_next"][0]
    next_button.click().run()
    next_button.click().run()
    assert at.slider(key="cnn_cell_28x28").value == 14 * 28 + 10
    text = _stepper_text(at)
    # Sobel x, padding 1, on the first digit: the cell (14, 10), on the digit's stroke, as F.conv2d computes it.
    x = sample_picture("A digit", 0).x
    kernel = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    expected = float(F.conv2d(x[None], kernel[None, None], padding=1)[0, 0, 14, 10])
    assert abs(expected) > 1 and text.strip().splitlines()[-1] == f"out[14, 10] = {expected:.3f}"
    [b for b in at.button if b.key == "cnn_prev"][0].click().run()
    assert at.slider(key="cnn_cell_28x28").value == 14 * 28 + 9
    at.slider(key="cnn_cell_28x28").set_value(0).run()
    [b for b in at.button if b.key == "cnn_prev"][0].click().run()
    assert at.slider(key="cnn_cell_28x28").value == 28 * 28 - 1  # Back from the first cell wraps to the last


def test_a_new_map_size_restarts_the_stepper_in_its_middle(at):
    at.slider(key="cnn_stride").set_value(2).run()  # 28×28, padding 1 → a 14×14 map
    at.slider(key="cnn_cell_14x14").set_value(14 * 14 - 1).run()
    at.slider(key="cnn_stride").set_value(4)  # a smaller map, with the old cell moved in the same run
    at.slider(key="cnn_cell_14x14").set_value(100).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "out[3, 3]" in _stepper_text(at)  # 7×7 map: the middle cell


def test_colour_picture_has_a_slice_per_channel_summed(at):
    at.selectbox(key="cnn_src").set_value("A colour image").run()
    assert not at.exception
    assert {n.key for n in at.number_input} >= {"cnn_w_R", "cnn_w_G", "cnn_w_B"}
    assert "Σ over channels" in _stepper_text(at)
    at.selectbox(key="cnn_src").set_value("A digit").run()


def test_bad_kernels_and_settings_get_messages(at):
    at.selectbox(key="cnn_kernel").set_value("Your own numbers").run()
    at.text_area(key="cnn_kernel_text").set_value("1 2\n3").run()
    assert "square" in _errors(at) and not at.exception
    at.text_area(key="cnn_kernel_text").set_value("0 0 0\n0 0 0\n0 0 0").run()
    assert any("Every weight of the kernel is 0" in w.value for w in at.warning)
    at.text_area(key="cnn_kernel_text").set_value("\n".join(["1 1 1 1 1 1 1"] * 7))
    at.slider(key="cnn_dil").set_value(6)
    at.slider(key="cnn_pad").set_value(0).run()
    assert "no place to put it" in _errors(at) and not at.exception
    at.selectbox(key="cnn_kernel").set_value("Sobel x")
    at.slider(key="cnn_dil").set_value(1)
    at.slider(key="cnn_pad").set_value(1).run()
    assert not at.error


def test_pooling_window_larger_than_the_map_is_explained(at):
    at.radio(key="cnn_ksize").set_value(5)
    at.slider(key="cnn_stride").set_value(4)
    at.slider(key="cnn_dil").set_value(6)  # reach 25 px on the 30 px padded digit: a 2×2 feature map
    at.slider(key="cnn_pool_k").set_value(4).run()
    assert not at.exception and any("larger than the 2×2 feature map" in w.value for w in at.warning)
    at.radio(key="cnn_ksize").set_value(3)
    at.slider(key="cnn_stride").set_value(1)
    at.slider(key="cnn_dil").set_value(1).run()
    assert not at.warning


def test_step_trains_and_learning_rate_applies_live(at):
    [b for b in at.button if b.key == "cnn__step"][0].click().run()
    assert not at.exception
    run = at.session_state["cnn__run"]
    assert run.steps == 20 and run.history.eval_step
    at.select_slider(key="cnn_lr").set_value(1e-2).run()
    assert at.session_state["cnn__run"] is run and run.lr == 1e-2


def test_evaluation_and_your_input_after_training(at):
    [b for b in at.button if b.key == "cnn_eval"][0].click().run()
    assert any("Test accuracy" in m.label for m in at.metric)
    at.radio(key="cnn_in_mode").set_value("A test image").run()
    assert any("reads it as" in m.value for m in at.markdown)
    at.radio(key="cnn_in_mode").set_value("Draw").run()
    assert any("canvas is empty" in i.value for i in at.info)
    bar = [0] * (56 * 10) + ([0] * 26 + [255] * 4 + [0] * 26) * 36 + [0] * (56 * 10)  # a vertical stroke: a “1”
    at.session_state["cnn_canvas"] = {"ink": {"side": 56, "pixels": bar}}
    at.radio(key="cnn_explainer").set_value("Saliency").run()
    assert not at.exception and any("reads it as" in m.value for m in at.markdown)


def test_architecture_change_rebuilds_with_a_notice(at):
    before = at.session_state["cnn__run"]
    at.toggle(key="cnn_bn").set_value(True).run()
    run = at.session_state["cnn__run"]
    assert run is not before and run.steps == 0
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in run.model.modules())
    assert any("fresh weights" in i.value for i in at.info)


def test_race_steps_both_models_and_the_shift_test_runs(at):
    [b for b in at.button if b.key == "cnn_race__step"][0].click().run()
    group = at.session_state["cnn_race__run"]
    assert [r.steps for r in group.runs.values()] == [20, 20]
    [b for b in at.button if b.key == "cnn_shift_test"][0].click().run()
    assert not at.exception and any("At 4 pixels" in m.value for m in at.markdown)


def test_colour_images_train_the_curriculum_input_size(at):
    at.selectbox(key="cnn_data").set_value("Colour images").run()
    assert not at.exception
    run = at.session_state["cnn__run"]
    assert run.X_train.shape[1:] == (3, 32, 32) and run.model.fc_layers[1].in_features == 16 * 4 * 4


def test_a_real_set_not_in_the_data_folder_gets_a_plain_message(at):
    at.selectbox(key="cnn_data").set_value("CIFAR-10").run()
    assert not at.exception
    assert any("CIFAR-10" in w.value for w in at.warning)
