"""The Practical Deep Learning page: pretrain, race, sweep, mixed precision, export and upload, bad input gets a message."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from dlplay.lessons.practical import sections
from dlplay.lessons.practical.backbone import ColourNet
from dlplay.lessons.practical.pretraining import PretrainConfig, current_job

PAGE = str(Path(__file__).resolve().parent.parent / "chapters" / "practical.py")
TINY = PretrainConfig(width=8, n_per_class=16, n_test_per_class=4, steps=8, batch_size=16)


@pytest.fixture(scope="module")
def at(tmp_path_factory):
    """One page on an empty data folder and torch cache, with a pretraining short enough for a test."""
    patch = pytest.MonkeyPatch()
    patch.setenv("DLPLAY_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    patch.setenv("TORCH_HOME", str(tmp_path_factory.mktemp("torch")))
    patch.setattr(sections, "PRETRAIN", TINY)
    app = AppTest.from_file(PAGE, default_timeout=120).run()
    yield app
    patch.undo()


def _no_exception(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]


def test_renders_before_the_backbone_exists(at):
    _no_exception(at)
    assert at.title[0].value.startswith("🧰")
    assert at.button(key="prac_pretrain") and sections.RACE_KEY not in at.session_state
    assert any("not pretrained on this machine yet" in i.value for i in at.info)
    assert "prac_amp__run" in at.session_state  # the rest of the page works meanwhile
    assert len(at.get("plotly_chart")) >= 4


def test_pretraining_runs_in_the_background_then_the_race_appears(at):
    at.button(key="prac_pretrain").click().run()
    job = current_job(TINY)
    assert job is not None and job.wait(120) and not job.error
    at.run()
    _no_exception(at)
    race = at.session_state[sections.RACE_KEY]
    assert list(race.runs) == ["frozen", "fine-tuned", "from scratch"]
    assert "prac_pretrain" not in [b.key for b in at.button]
    assert any("held-out source images" in c.value for c in at.caption)


def test_step_advances_the_three_ways_together(at):
    at.button(key="prac_transfer__step").click().run()
    _no_exception(at)
    race = at.session_state[sections.RACE_KEY]
    assert [run.steps for run in race.runs.values()] == [20, 20, 20]
    table = at.dataframe[0].value
    assert list(table["way"]) == ["Frozen backbone + new head", "Fine-tuned end to end", "From scratch"]


def test_learning_rate_is_live_and_labels_rebuild(at):
    race = at.session_state[sections.RACE_KEY]
    at.select_slider(key="prac_lr").set_value(1e-2).run()
    assert at.session_state[sections.RACE_KEY] is race and race.runs["frozen"].lr == pytest.approx(1e-2)
    assert race.runs["fine-tuned"].optimizer.param_groups[0]["lr"] == pytest.approx(1e-3)
    at.select_slider(key="prac_labels").set_value(2).run()
    _no_exception(at)
    rebuilt = at.session_state[sections.RACE_KEY]
    assert rebuilt is not race and len(rebuilt.runs["frozen"].X_train) == 2 * 5
    assert any("fresh weights" in i.value for i in at.info)


def test_sweep_steps_fill_the_first_points(at):
    at.select_slider(key="prac_sweep_steps").set_value(50).run()
    at.button(key="prac_sweep__step").click().run()
    _no_exception(at)
    sweep = at.session_state["prac_sweep__run"]
    assert sweep.steps == 50 and sweep.job == 1 and 0 <= sweep.accuracy["frozen"][0] <= 1


def test_precision_race_steps_and_the_census_appears(at):
    at.select_slider(key="prac_amp_cnn_width").set_value(8)
    at.select_slider(key="prac_amp_batch").set_value(32).run()
    at.button(key="prac_amp__step").click().run()
    _no_exception(at)
    race = at.session_state["prac_amp__run"]
    assert [run.steps for run in race.runs.values()] == [10, 10]
    assert any("of its gradient entries would be 0" in c.value for c in at.caption)
    at.selectbox(key="prac_amp_model").set_value("MLP").run()
    _no_exception(at)
    assert at.session_state["prac_amp__run"] is not race


def test_number_formats_and_scaling_tables(at):
    at.number_input(key="prac_value").set_value(1e-8).run()
    _no_exception(at)
    cast = next(d.value for d in at.dataframe if "what happens" in d.value.columns)
    assert list(cast["what happens"])[2] == "underflow → 0"
    scaling = next(d.value for d in at.dataframe if "verdict" in d.value.columns)
    assert "vanished" in list(scaling["verdict"])[1] and "survives" in list(scaling["verdict"])[2]


def test_export_verifies_every_format_and_offers_downloads(at):
    at.button(key="prac_export").click().run()
    _no_exception(at)
    result = at.session_state[sections.EXPORT_KEY]
    assert set(result["report"].artifacts) == {"state_dict", "onnx", "pt2", "torchscript"}
    assert result["report"].artifacts["onnx"].max_abs_diff <= 1e-4 and not result["report"].errors
    assert set(result["latency"]) == {"eager PyTorch", "ONNX Runtime", "torch.export program"}
    table = next(d.value for d in at.dataframe if "same outputs" in d.value.columns)
    assert list(table["same outputs"]) == ["✅"] * 4


def _saved(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


class Payload:
    def __reduce__(self):
        return os.system, ("true",)


def test_uploads_malicious_foreign_and_good(at):
    at.radio(key="prac_dep_source").set_value(sections.DEPLOY_SOURCES[2]).run()
    _no_exception(at)
    at.file_uploader(key="prac_upload").upload("evil.pt", _saved({"state_dict": Payload()})).run()
    _no_exception(at)
    assert any("Refused" in e.value and "system" in e.value for e in at.error)
    at.file_uploader(key="prac_upload").upload("notes.pt", b"just some text").run()
    assert any("not a PyTorch file" in e.value for e in at.error)
    at.file_uploader(key="prac_upload").upload("tiny.pt", _saved(ColourNet(num_classes=3, width=4).state_dict())).run()
    _no_exception(at)
    assert not at.error and any("ColourNet(num_classes=3, width=4)" in c.value for c in at.caption)


def test_a_checkpoint_saved_by_the_race_is_deployed_member_by_member(at):
    from dlplay.training.checkpoint import save_checkpoint

    race = at.session_state[sections.RACE_KEY]
    at.file_uploader(key="prac_upload").upload("race.pt", save_checkpoint(race, page="practical")).run()
    _no_exception(at)
    assert at.selectbox(key="prac_upload_member").options == ["frozen", "fine-tuned", "from scratch"]
    at.selectbox(key="prac_upload_member").set_value("from scratch").run()
    _no_exception(at)
    assert not at.error and any("ColourNet(num_classes=5, width=8)" in c.value for c in at.caption)


def test_resnet18_without_weights_says_so_and_keeps_the_race(at):
    at.radio(key="prac_backbone").set_value("resnet18").run()
    _no_exception(at)
    assert any("not in torch's cache" in i.value for i in at.info)
    assert sections.RACE_KEY in at.session_state and at.button(key="prac_resnet_download")
