"""The Optimization Algorithms page: renders, paths and schedules follow their controls, the race steps, bad input is messaged."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from spec_check import check
from streamlit.testing.v1 import AppTest

from dlplay.lessons.optimization.path_lab import paths_code, schedules_code
from dlplay.lessons.optimization.paths import compare_paths
from dlplay.lessons.optimization.sections import FRAME_KEY, FRAMES, PLAYING_KEY
from dlplay.lessons.optimization.surfaces import SURFACES
from dlplay.optim.factory import OptimizerConfig
from dlplay.optim.schedules import ScheduleConfig, lr_curve

PAGE = str(Path(__file__).resolve().parent.parent / "chapters" / "optimization.py")



def decode(values) -> np.ndarray:
    """A plotly JSON array: a plain list, or typed binary {"dtype", "bdata"}."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).astype(float)
    return np.asarray(values, dtype=float)


def figure(at: AppTest, key: str) -> dict:
    """The spec of the plotly chart with this key."""
    for element in at.get("plotly_chart"):
        if element.proto.id.endswith(key):
            return json.loads(element.proto.spec)
    raise AssertionError(f"no chart {key!r}; charts: {[e.proto.id for e in at.get('plotly_chart')]}")


def traces(at: AppTest, key: str) -> dict[str, dict]:
    return {t.get("name"): t for t in figure(at, key)["data"]}


def step_button(at: AppTest, prefix: str):
    return next(b for b in at.button if b.label.startswith(prefix))


@pytest.fixture
def at() -> AppTest:
    app = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_page_renders_paths_schedules_and_race(at):
    assert at.title[0].value.endswith("Optimization Algorithms")
    paths = traces(at, "opt_fig_paths")
    assert {"SGD", "Momentum", "RMSProp", "Adam"} <= set(paths)
    for key in ("opt_fig_3d", "opt_fig_path_loss", "opt_fig_schedules", "opt_fig_race_loss", "opt_fig_race_acc", "opt_fig_race_lr"):
        assert figure(at, key)["layout"], key
    assert len(at.dataframe) == 1 and len(at.expander) >= 3  # results table; a code panel per section
    assert not at.warning
    for chart in at.get("plotly_chart"):
        check(json.loads(chart.proto.spec))  # every spec the page draws is valid plotly


def test_paths_follow_the_optimizer_controls(at):
    at.select_slider(key="opt_adam_lr").set_value(0.05).run()
    at.multiselect(key="opt_optimizers").set_value(["SGD", "Adam", "Nesterov"]).run()
    assert not at.exception
    paths = traces(at, "opt_fig_paths")
    assert "RMSProp" not in paths and "Nesterov" in paths
    rosenbrock = SURFACES["Rosenbrock"]
    configs = {"Adam": OptimizerConfig(name="Adam", lr=0.05), "Nesterov": OptimizerConfig(name="Nesterov", lr=1e-3)}
    expected = compare_paths(rosenbrock, rosenbrock.start, configs, 200)
    for name, path in expected.items():
        np.testing.assert_allclose(decode(paths[name]["x"]), path.points[:, 0], rtol=1e-6)
        np.testing.assert_allclose(decode(paths[name]["y"]), path.points[:, 1], rtol=1e-6)
    # a new surface brings its start point and learning rates that suit it
    at.selectbox(key="opt_surface").set_value("Quadratic bowl").run()
    assert (at.slider(key="opt_x0").value, at.slider(key="opt_y0").value) == SURFACES["Quadratic bowl (κ=10)"].start
    at.select_slider(key="opt_kappa").set_value(50.0).run()
    assert not at.exception and "κ=50" in figure(at, "opt_fig_paths")["layout"]["title"]["text"]


def test_learning_rate_10_on_rosenbrock_is_cut_and_labelled(at):
    at.select_slider(key="opt_sgd_lr").set_value(10.0).run()
    assert not at.exception
    assert any("SGD diverged at step" in w.value for w in at.warning)
    annotations = figure(at, "opt_fig_paths")["layout"].get("annotations", [])
    assert any(a["text"].startswith("SGD ✕ step") for a in annotations)


def test_no_optimizer_gets_an_info_message(at):
    at.multiselect(key="opt_optimizers").set_value([]).run()
    assert not at.exception
    assert any("Pick at least one optimizer" in i.value for i in at.info)
    assert not any(e.proto.id.endswith("opt_fig_paths") for e in at.get("plotly_chart"))


def test_animate_step_and_rewind_walk_through_the_paths(at):
    at.slider(key="opt_steps").set_value(100).run()
    step_button(at, "⏮ Rewind").click().run()
    assert any("step 0 of 100" in c.value for c in at.caption)
    assert all(len(decode(t["x"])) == 1 for n, t in traces(at, "opt_fig_paths").items() if n in ("SGD", "Adam"))
    step_button(at, "⏩ +5 steps").click().run()
    assert any("step 5 of 100" in c.value for c in at.caption)
    assert len(decode(traces(at, "opt_fig_paths")["Adam"]["x"])) == 6
    step_button(at, "▶ Animate").click().run()  # AppTest fires no timers: one frame is drawn
    assert not at.exception and any(f"step {5 + 100 // FRAMES} of 100" in c.value for c in at.caption)
    step_button(at, "⏹ Stop").click().run()
    assert not step_button(at, "▶ Animate").disabled
    assert any(f"step {5 + 100 // FRAMES} of 100" in c.value for c in at.caption)  # Stop keeps the frame


def test_an_animation_that_reaches_the_end_stops_and_shows_the_whole_paths(at):
    at.slider(key="opt_steps").set_value(60).run()
    step_button(at, "▶ Animate").click().run()
    assert at.session_state[PLAYING_KEY] and step_button(at, "▶ Animate").disabled
    at.session_state[FRAME_KEY] = 59  # one frame before the end (AppTest fires no timers: each run draws a frame)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.session_state[PLAYING_KEY] and not step_button(at, "▶ Animate").disabled
    assert any("step 60 of 60" in c.value for c in at.caption)
    assert len(decode(traces(at, "opt_fig_paths")["Adam"]["x"])) == 61


def test_schedules_overlay_the_real_schedulers(at):
    at.multiselect(key="opt_schedules").set_value(["StepLR", "ExponentialLR", "CosineAnnealingWarmRestarts"]).run()
    at.slider(key="opt_sched_steps").set_value(300).run()
    assert not at.exception
    curves = traces(at, "opt_fig_schedules")
    assert list(curves) == ["StepLR", "ExponentialLR", "CosineAnnealingWarmRestarts"]
    expected = {
        "StepLR": ScheduleConfig(name="StepLR", step_size=100, gamma=0.1),
        "ExponentialLR": ScheduleConfig(name="ExponentialLR", exp_gamma=0.99),
        "CosineAnnealingWarmRestarts": ScheduleConfig(name="CosineAnnealingWarmRestarts", T_0=100),
    }
    for name, config in expected.items():
        np.testing.assert_allclose(decode(curves[name]["y"]), lr_curve(config, 0.1, 300), rtol=1e-6)


def test_nonsense_schedule_parameters_get_a_warning(at):
    at.multiselect(key="opt_schedules").set_value(["OneCycleLR", "CosineAnnealingLR", "StepLR"]).run()
    at.slider(key="opt_s_onecyclelr_pct").set_value(1.0).run()
    at.select_slider(key="opt_s_cosineannealinglr_eta").set_value(1.0).run()  # above the base lr of 0.1
    assert not at.exception
    messages = " ".join(w.value for w in at.warning)
    assert "pct_start" in messages and "eta_min" in messages
    assert list(traces(at, "opt_fig_schedules")) == ["StepLR"]  # the sensible one is still drawn
    at.multiselect(key="opt_schedules").set_value([]).run()
    assert any("Pick at least one schedule" in i.value for i in at.info)


def test_step_advances_every_racer_and_a_config_change_restarts(at):
    group = at.session_state["opt_race__run"]
    step_button(at, "⏭ Step ×").click().run()
    assert not at.exception
    assert [run.steps for run in group.runs.values()] == [25] * 4
    assert all(run.history.eval_step for run in group.runs.values())
    at.select_slider(key="opt_race_a_lr").set_value(0.3).run()  # a constant lr applies live
    assert at.session_state["opt_race__run"] is group and group.runs["A: SGD"].lr == 0.3
    at.selectbox(key="opt_race_b_opt").set_value("Adagrad").run()  # anything else restarts the race
    rebuilt = at.session_state["opt_race__run"]
    assert rebuilt is not group and "B: Adagrad" in rebuilt.runs and rebuilt.steps == 0
    at.slider(key="opt_race_n").set_value(2).run()
    assert list(at.session_state["opt_race__run"].runs) == ["A: SGD", "B: Adagrad"]


def test_a_diverging_racer_is_marked_and_the_others_go_on(at):
    at.select_slider(key="opt_race_a_lr").set_value(10.0).run()
    at.select_slider(key="opt_race_a_wd").set_value(1.0).run()
    step_button(at, "⏭ Step ×").click().run()
    assert not at.exception
    group = at.session_state["opt_race__run"]
    sgd = group.runs["A: SGD"]
    assert sgd.status == "diverged" and sgd.steps < 25
    assert all(run.steps == 25 for name, run in group.runs.items() if name != "A: SGD")
    assert any("A: SGD" in e.value and "diverged" in e.value for e in at.error)  # the panel's message
    assert "A: SGD 💥 diverged" in traces(at, "opt_fig_race_loss")
    table = at.dataframe[0].value
    assert table.loc["A: SGD", "status"].startswith("💥 diverged")


def test_the_code_panels_run_and_draw_what_the_page_draws():
    """The paths and schedules code shown on the page, executed, gives the page's own curves."""
    bowl = SURFACES["Quadratic bowl (κ=10)"]
    configs = {"SGD": OptimizerConfig(name="SGD", lr=0.05), "Adam": OptimizerConfig(name="Adam", lr=0.1, beta1=0.8),
               "Nesterov": OptimizerConfig(name="Nesterov", lr=0.02, momentum=0.7)}
    scope: dict = {}
    exec(paths_code("Quadratic bowl", 10.0, 0.0, (-2.5, 2.0), configs, 30), scope)
    for name, path in compare_paths(bowl, (-2.5, 2.0), configs, 30).items():
        np.testing.assert_allclose(scope["paths"][name].numpy(), path.points, rtol=1e-9, atol=1e-12)
    schedules = {"StepLR": ScheduleConfig(name="StepLR", step_size=7), "Warm-up + cosine": ScheduleConfig(name="Warm-up + cosine"),
                 "OneCycleLR": ScheduleConfig(name="OneCycleLR", pct_start=0.25)}
    scope = {}
    exec(schedules_code(schedules, 0.2, 40), scope)
    for name, config in schedules.items():
        np.testing.assert_allclose(scope["curves"][name], lr_curve(config, 0.2, 40), rtol=1e-9)

