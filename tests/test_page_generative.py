"""The Generative Models page: renders, each panel trains on Step, live settings stay live, bad input gets a message."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from dlplay.lessons.generative.gan_targets import CLICKED

PAGE = str(Path(__file__).resolve().parent.parent / "chapters" / "generative.py")


@pytest.fixture(scope="module")
def at():
    """One rendered page, shared by the tests in order."""
    app = AppTest.from_file(PAGE, default_timeout=240).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def run_of(app: AppTest, key: str):
    return app.session_state[f"{key}__run"]


def click(app: AppTest, key: str) -> None:
    """Click a button, then run the page: a panel's Step re-runs only its fragments, which AppTest's tree then holds alone."""
    app.button(key=key).click().run()
    app.run()


def no_exception(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]


def test_renders_three_live_runs_with_their_charts(at):
    no_exception(at)
    assert run_of(at, "gen_vae").config.latent_dim == 2
    assert len(run_of(at, "gen_gan").target.modes) == 8
    assert run_of(at, "gen_img").model.generator.latent_dim == 100
    assert len(at.get("plotly_chart")) >= 14
    assert not at.warning and not at.error


def test_vae_step_trains_and_measures(at):
    click(at, "gen_vae__step")
    no_exception(at)
    run = run_of(at, "gen_vae")
    assert run.steps == 50 and run.history.eval_step and "knn_acc" in run.history.evals
    assert any("5-NN accuracy" in c.value for c in at.caption)


def test_beta_and_learning_rate_apply_live(at):
    before = run_of(at, "gen_vae")
    at.select_slider(key="gen_vae_beta").set_value(4.0)
    at.select_slider(key="gen_vae_lr").set_value(1e-3).run()
    assert run_of(at, "gen_vae") is before and before.beta == 4.0 and before.lr == 1e-3


def test_a_latent_size_out_of_range_is_refused_and_the_run_kept(at):
    before = run_of(at, "gen_vae")
    at.number_input(key="gen_vae_latent").set_value(40).run()
    no_exception(at)
    assert any("from 2 to 16" in w.value for w in at.warning)
    assert run_of(at, "gen_vae") is before and before.steps == 50


def test_a_bigger_latent_is_drawn_through_principal_axes(at):
    at.number_input(key="gen_vae_latent").set_value(4).run()
    no_exception(at)
    run = run_of(at, "gen_vae")
    assert run.config.latent_dim == 4 and run.steps == 0
    assert any("fresh weights" in i.value for i in at.info)
    scatter = at.session_state["gen_vae_views"]["value"].scatter
    assert "principal axes" in scatter["layout"]["title"]["text"]


def test_a_picked_test_image_moves_the_latent_point_to_its_mean(at):
    at.session_state["gen_vae_pick"] = 7
    at.session_state["gen_vae_pick_pending"] = True
    at.run()
    no_exception(at)
    views = at.session_state["gen_vae_views"]["value"]
    a, b = views.plane.project(views.mu[7][None])[0].tolist()
    assert at.slider(key="gen_vae_a").value == pytest.approx(round(a, 1))
    assert at.slider(key="gen_vae_b").value == pytest.approx(round(b, 1))
    assert any("test image 7" in m.value for m in at.markdown)


def test_gan_round_and_half_rounds(at):
    click(at, "gen_gan__step")
    run = run_of(at, "gen_gan")
    assert (run.steps, run.d_updates, run.g_updates) == (1, 1, 1)
    click(at, "gen_gan_d_once")
    assert (run.steps, run.d_updates, run.g_updates) == (1, 2, 1)
    at.slider(key="gen_gan_d_steps").set_value(3)
    at.select_slider(key="gen_gan_lr_g").set_value(3e-4).run()
    assert run_of(at, "gen_gan") is run and run.d_steps == 3 and run.opt_g.param_groups[0]["lr"] == 3e-4
    no_exception(at)


def test_your_points_without_points_asks_for_clicks_then_trains_on_them(at):
    at.selectbox(key="gen_gan_target").set_value(CLICKED).run()
    no_exception(at)
    assert any("Click at least 3 points" in i.value for i in at.info)
    at.session_state["gen_gan_points"] = [(-0.5, 0.5), (0.5, 0.5), (0.0, -0.5), (0.0, -0.55), (0.05, -0.5)]
    at.run()
    no_exception(at)
    run = run_of(at, "gen_gan")
    assert run.target.name == CLICKED and float(run.target.X[:, 1].max()) < 0.7
    click(at, "gen_gan_clear")
    assert at.session_state["gen_gan_points"] == [] and any("Click at least 3 points" in i.value for i in at.info)
    at.selectbox(key="gen_gan_target").set_value("Ring of 8 Gaussians").run()


def test_a_diverging_gan_stops_with_a_message_and_finite_weights(at):
    at.selectbox(key="gen_gan_opt").set_value("SGD")
    at.select_slider(key="gen_gan_lr_d").set_value(10.0)
    at.select_slider(key="gen_gan_lr_g").set_value(10.0).run()
    run = run_of(at, "gen_gan")
    run.step(50)
    at.run()
    no_exception(at)
    assert run.status == "diverged"
    assert any("diverged" in e.value for e in at.error)
    assert all(bool(torch.isfinite(p).all()) for p in run.model.parameters())
    at.selectbox(key="gen_gan_opt").set_value("Adam").run()


def test_image_gan_steps_and_the_comparison_shows_both(at):
    click(at, "gen_img__step")
    no_exception(at)
    assert run_of(at, "gen_img").steps == 20
    captions = " ".join(c.value for c in at.caption)
    assert "Blur:" in captions and "classes" in captions
    assert any("GAN** after" in m.value and "(20 rounds)" in m.value for m in at.markdown)  # the comparison re-ran
