"""The Advanced Architectures page: renders, the race and the U-Net train by Step, presets and settings reach the runs,
the landscape is computed with its progress, and bad settings get a message."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parent.parent / "chapters" / "architectures.py")


@pytest.fixture(scope="module")
def at():
    """One rendered page at small settings (8-layer nets of width 4, U-Nets of width 4), shared by the tests in order."""
    app = AppTest.from_file(PAGE, default_timeout=180)
    app.query_params["arch_layers"] = "8 layers"
    app.query_params["arch_width"] = "4"
    app.query_params["arch_u_width"] = "4"
    app.query_params["arch_u_size"] = "16"
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    yield app


def _race(app: AppTest):
    return app.session_state["arch_race__run"]


def _lab(app: AppTest):
    return app.session_state["arch_unet__run"]


def _chart_keys(app: AppTest) -> set[str]:
    """The page's charts by key, without the 'arch_fig_' prefix."""
    return {c.proto.id.rsplit("-arch_fig_", 1)[-1] for c in app.get("plotly_chart")}


def _click(app: AppTest, key: str) -> None:
    [b for b in app.button if b.key == key][0].click().run()
    assert not app.exception, [e.value for e in app.exception]


def test_renders_three_sections_with_their_charts(at):
    assert [h.value.split(" ·")[0] for h in at.header] == ["1", "2", "3"]
    assert list(_race(at).runs) == ["residual 8", "plain 8"]
    assert list(_lab(at).runs) == ["skips on", "skips off"]
    assert _lab(at).runs["skips on"].X_train.shape[-1] == 16
    assert _chart_keys(at) == {"loss", "acc", "grad0", "grad", "u_loss", "u_iou", "u_masks", "features", "profile",
                               "overlap", "up"}
    assert not at.error and not at.warning


def test_step_trains_both_races_and_the_gradient_bars_follow(at):
    _click(at, "arch_race__step")
    race = _race(at)
    assert [run.steps for run in race.runs.values()] == [5, 5]
    assert all(probe.step == 5 for probe in race.probes.values())  # the live bars are the last step's gradients
    _click(at, "arch_unet__step")
    lab = _lab(at)
    assert [run.steps for run in lab.runs.values()] == [25, 25]
    assert all(run.history.eval_step == [25] and 0 <= run.history.extras["val_iou"][0] <= 1 for run in lab.runs.values())
    assert any("IoU" in str(t.value) for t in at.table)


def test_learning_rates_apply_live(at):
    race, lab = _race(at), _lab(at)
    at.select_slider(key="arch_lr").set_value(0.01).run()
    at.select_slider(key="arch_u_lr").set_value(1e-3).run()
    assert _race(at) is race and all(run.lr == 0.01 for run in race.runs.values())
    assert _lab(at) is lab and all(run.lr == 1e-3 for run in lab.runs.values())


def test_landscape_is_computed_with_progress_and_then_drawn(at):
    at.select_slider(key="arch_land_res").set_value(11)
    at.select_slider(key="arch_land_n").set_value(64).run()
    _click(at, "arch_land_go")
    for _ in range(200):  # AppTest does not fire the progress timer: each run advances the job a slice
        if "arch_land_result" in at.session_state:
            break
        assert any("Computing the landscape" in p.proto.text for p in at.get("progress"))
        at.run()
    result = at.session_state["arch_land_result"]
    assert set(result["result"]) == {"residual 8", "plain 8"} and result["steps"] == {"residual 8": 5, "plain 8": 5}
    at.run()
    assert {"land", "land3d"} <= _chart_keys(at)  # contours and surfaces
    assert len(at.metric) == 2 and not at.get("progress")


def test_a_shallower_pair_that_is_not_shallower_is_left_out_with_a_warning(at):
    at.select_slider(key="arch_shallow").set_value(14).run()
    assert "must have fewer layers" in " ".join(w.value for w in at.warning)
    assert list(_race(at).runs) == ["residual 8", "plain 8"]


def test_preset_loads_the_degradation_race(at):
    _click(at, "arch_preset_1")
    assert at.select_slider(key="arch_layers").value == 32 and at.select_slider(key="arch_shallow").value == 8
    race = _race(at)
    assert list(race.runs) == ["residual 32", "plain 32", "residual 8", "plain 8"]
    assert any("fresh weights" in i.value for i in at.info) and at.select_slider(key="arch_width").value == 4
    at.select_slider(key="arch_width").set_value(8).run()
    assert "Step ×2" in " ".join(b.label for b in at.button)  # a bigger race steps fewer at a time


def test_a_race_too_big_gets_a_message_and_keeps_the_old_one(at):
    before = _race(at)
    at.select_slider(key="arch_width").set_value(16)
    at.select_slider(key="arch_layers").set_value(62).run()
    assert "too big to train live" in " ".join(e.value for e in at.error)
    assert _race(at) is before
    at.select_slider(key="arch_layers").set_value(8)
    at.select_slider(key="arch_shallow").set_value(0)
    at.select_slider(key="arch_width").set_value(4).run()
    assert not at.error


def test_a_diverging_learning_rate_stops_the_race_with_a_message(at):
    at.selectbox(key="arch_opt").set_value("Adam")
    at.select_slider(key="arch_lr").set_value(10.0).run()
    assert "far above" in " ".join(w.value for w in at.warning)
    for _ in range(4):
        if _race(at).stopped:
            break
        _click(at, "arch_race__step")
    assert _race(at).stopped and "learning rate is too high" in " ".join(e.value for e in at.error)
    assert all(run.status == "diverged" for run in _race(at).runs.values())
    at.select_slider(key="arch_lr").set_value(1e-3).run()
    assert _race(at).stopped and not at.warning  # a new learning rate alone does not restart a stopped race…
    _click(at, "arch_race__reset")
    assert not _race(at).stopped  # …Reset does
    at.selectbox(key="arch_opt").set_value("Momentum")
    at.select_slider(key="arch_lr").set_value(0.05).run()


def test_a_size_that_does_not_divide_is_padded_and_said_so(at):
    at.slider(key="arch_u_size").set_value(18).run()  # depth 2: sides must be multiples of 4
    assert any("pads each image to 20×20" in i.value for i in at.info)
    lab = _lab(at)
    _click(at, "arch_unet__step")
    assert all(run.model.last_padding == (2, 2) for run in lab.runs.values())
    assert all(run.steps > 0 for run in _lab(at).runs.values())


def test_upsampling_race_and_checkerboard_view(at):
    at.radio(key="arch_u_race").set_value("bilinear vs transposed").run()
    assert list(_lab(at).runs) == ["bilinear + conv", "transposed conv"]
    assert any("alternates pixel to pixel" in c.value for c in at.caption)
    at.radio(key="arch_u_race").set_value("one model")
    at.toggle(key="arch_u_skips").set_value(False).run()
    (name,) = _lab(at).runs
    assert name == "U-Net (skips off, bilinear)"


def test_a_u_net_too_big_gets_a_message(at):
    at.slider(key="arch_u_size").set_value(64)
    at.select_slider(key="arch_u_width").set_value(32).run()
    assert "too big to train live" in " ".join(e.value for e in at.error)
    at.select_slider(key="arch_u_width").set_value(4).run()
    assert not at.error and not at.exception
