"""The GAN core: losses against their formulas, a run against a hand-written D-then-G loop, divergence, 2D targets and measures."""

from __future__ import annotations

import copy
import math

import pytest
import torch
import torch.nn.functional as F

from dlplay.lessons.generative.gan2d import Gan2dConfig, build_gan2d, collapse_note, coverage, d_field, js_divergence
from dlplay.lessons.generative.gan_lab import GAN_LOSSES, GanConfig, GanRun, d_loss, d_verdict, g_loss
from dlplay.lessons.generative.gan_targets import (
    CLICKED,
    MAX_CLICKED,
    TARGETS,
    add_selection,
    canvas_points,
    kmeans,
    make_target,
)


def scores(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(16, 1, generator=g) * 2, torch.randn(16, 1, generator=g) * 2


def test_losses_match_their_formulas_on_probabilities():
    real, fake = scores()
    D_real, D_fake = torch.sigmoid(real), torch.sigmoid(fake)
    expected_d = -(torch.log(D_real).mean() + torch.log(1 - D_fake).mean())
    torch.testing.assert_close(d_loss(real, fake, "minimax"), expected_d)
    torch.testing.assert_close(d_loss(real, fake, "non-saturating"), expected_d)
    torch.testing.assert_close(g_loss(fake, "minimax"), torch.log(1 - D_fake).mean())
    torch.testing.assert_close(g_loss(fake, "non-saturating"), -torch.log(D_fake).mean())
    torch.testing.assert_close(d_loss(real, fake, "least squares"), 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake**2).mean())
    torch.testing.assert_close(g_loss(fake, "least squares"), 0.5 * ((fake - 1) ** 2).mean())
    torch.testing.assert_close(d_verdict(fake, "minimax"), D_fake)
    assert float(d_verdict(fake, "least squares").min()) >= 0 and float(d_verdict(fake, "least squares").max()) <= 1
    with pytest.raises(ValueError):
        g_loss(fake, "wasserstein")


def test_minimax_saturates_where_non_saturating_does_not():
    """Where D confidently rejects a fake (very negative score), log(1 − D) is flat; −log D is steep."""
    score = torch.tensor([[-8.0]], requires_grad=True)
    (minimax,) = torch.autograd.grad(g_loss(score, "minimax"), score)
    (non_saturating,) = torch.autograd.grad(g_loss(score, "non-saturating"), score)
    assert abs(float(minimax)) < 1e-3 < abs(float(non_saturating))


def real_points(n: int = 200) -> torch.Tensor:
    return make_target(TARGETS[0], n, seed=0).X


@pytest.mark.parametrize("loss", GAN_LOSSES)
def test_a_round_is_d_steps_d_updates_then_g_steps_g_updates_as_a_hand_written_loop(loss):
    X = real_points()
    config = GanConfig(latent_dim=2, g_hidden=(8, 8), d_hidden=(8, 8), loss=loss, lr_d=1e-2, lr_g=5e-3, d_steps=2,
                       g_steps=1, batch_size=16, seed=4)
    run = GanRun(X, config)
    G, D = copy.deepcopy(run.model.generator), copy.deepcopy(run.model.discriminator)
    run.step(3)

    opt_d = torch.optim.Adam(D.parameters(), lr=1e-2, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=5e-3, betas=(0.5, 0.999))
    noise = torch.Generator().manual_seed(4 + 2)  # the run's noise: batch picks and z, drawn in this order
    d_losses, g_losses = [], []
    for _ in range(3):
        for _ in range(2):
            real = X[torch.randint(0, len(X), (16,), generator=noise)]
            fake = G(torch.randn(16, 2, generator=noise)).detach()
            ld = d_loss(D.logits(real), D.logits(fake), loss)
            opt_d.zero_grad()
            ld.backward()
            opt_d.step()
        lg = g_loss(D.logits(G(torch.randn(16, 2, generator=noise))), loss)
        opt_g.zero_grad()
        lg.backward()
        opt_g.step()
        d_losses.append(ld.item())
        g_losses.append(lg.item())

    torch.testing.assert_close(torch.tensor(run.history.series["d_loss"]), torch.tensor(d_losses))
    torch.testing.assert_close(torch.tensor(run.history.series["g_loss"]), torch.tensor(g_losses))
    for ours, theirs in zip(run.model.parameters(), list(G.parameters()) + list(D.parameters())):
        torch.testing.assert_close(ours, theirs)
    assert (run.steps, run.d_updates, run.g_updates) == (3, 6, 3)


def test_ratio_and_learning_rates_apply_live():
    run = GanRun(real_points(), GanConfig(latent_dim=2, g_hidden=(8,), d_hidden=(8,), batch_size=8))
    run.set_ratio(3, 2)
    run.set_lr(0.5, 0.25)
    run.step(2)
    assert (run.d_updates, run.g_updates) == (6, 4)
    assert run.opt_d.param_groups[0]["lr"] == 0.5 and run.opt_g.param_groups[0]["lr"] == 0.25


def test_single_updates_move_only_their_player():
    run = GanRun(real_points(), GanConfig(latent_dim=2, g_hidden=(8,), d_hidden=(8,), batch_size=8))
    before = copy.deepcopy(run.model.state_dict())
    run.update_once("D")
    after = run.model.state_dict()
    changed = {name.split(".")[0] for name in before if not torch.equal(before[name], after[name])}
    assert changed == {"discriminator"}
    before = copy.deepcopy(after)
    run.update_once("G")
    changed = {name.split(".")[0] for name in before if not torch.equal(before[name], run.model.state_dict()[name])}
    assert changed == {"generator"} and run.steps == 0  # half rounds are not rounds


def test_divergence_stops_the_run_and_keeps_finite_weights():
    config = GanConfig(latent_dim=2, g_hidden=(16, 16), d_hidden=(16, 16), loss="least squares", optimizer="SGD",
                       lr_d=1e4, lr_g=1e4, batch_size=32)
    run = GanRun(real_points(), config)
    for _ in range(20):
        run.step(10)
        if run.stopped:
            break
    assert run.status == "diverged" and "diverged" in run.message and "Lower the learning rate" in run.message
    assert all(bool(torch.isfinite(p).all()) for p in run.model.parameters())
    assert all(math.isfinite(v) for v in run.history.series["d_loss"] + run.history.series["g_loss"])
    steps = run.steps
    run.step(5)  # a stopped run stays stopped
    assert run.steps == steps


def test_generator_pull_points_where_g_loss_falls():
    run = build_gan2d(Gan2dConfig(hidden_size=16, seed=1))
    run.step(20)
    fake, pull = run.generator_pull()
    D = run.model.discriminator
    with torch.no_grad():
        before = F.softplus(-D.logits(fake)).squeeze(1)  # per-point non-saturating loss −log D(x)
        after = F.softplus(-D.logits(fake + 1e-3 * pull / pull.norm(dim=1, keepdim=True))).squeeze(1)
    moving = pull.norm(dim=1) > 1e-6
    assert bool((after[moving] < before[moving]).float().mean() > 0.95)


def test_targets_are_inside_the_tanh_and_carry_their_modes():
    for name in TARGETS[:4]:
        target = make_target(name, 500, seed=2)
        assert target.X.shape == (500, 2) and float(target.X.abs().max()) <= 0.95
        assert len(target.modes) == len(target.radius) and bool((target.radius > 0).all())
    assert len(make_target(TARGETS[0]).modes) == 8 and len(make_target(TARGETS[1]).modes) == 25
    clicked = make_target(CLICKED, 300, points=[(0.5, 0.5), (-0.5, -0.5), (0.5, -0.5)])
    assert len(clicked.modes) == 3
    assert float(torch.cdist(clicked.X, torch.tensor([[0.5, 0.5], [-0.5, -0.5], [0.5, -0.5]])).amin(1).max()) < 0.2
    with pytest.raises(ValueError, match="at least 3"):
        make_target(CLICKED, points=[(0.0, 0.0)])
    with pytest.raises(ValueError):
        make_target("a cat")


def test_clicks_snap_to_the_canvas_and_are_capped():
    canvas = canvas_points()
    assert float(canvas.abs().max()) <= 1.0 + 1e-6 and len(canvas) == 41 * 41
    points = add_selection([], [{"x": 0.25, "y": -0.5, "curve_number": 0}, {"x": "a"}, {"x": 3.0, "y": 0.0}, {}])
    assert points == [(0.25, -0.5)]
    many = add_selection([], [{"x": 0.0, "y": 0.0}] * (MAX_CLICKED + 50))
    assert len(many) == MAX_CLICKED


def test_kmeans_finds_separated_blobs():
    g = torch.Generator().manual_seed(0)
    centres = torch.tensor([[-0.6, 0.0], [0.6, 0.0], [0.0, 0.7]])
    X = centres.repeat(100, 1) + 0.02 * torch.randn(300, 2, generator=g)
    found = kmeans(X, 3, seed=1)
    assert float(torch.cdist(centres, found).amin(dim=1).max()) < 0.05


def test_coverage_and_js_tell_a_match_from_a_collapse():
    target = make_target(TARGETS[0], 2000, seed=0)
    matched = make_target(TARGETS[0], 2000, seed=9).X
    collapsed = target.modes[0] + 0.02 * torch.randn(2000, 2, generator=torch.Generator().manual_seed(0))
    full, one = coverage(target, matched), coverage(target, collapsed)
    assert full.n_covered == 8 and full.on_target > 0.8
    assert one.n_covered == 1 and one.on_target > 0.99
    assert js_divergence(target.X, matched) < 0.15 < 0.6 < js_divergence(target.X, collapsed) <= 1.0  # ideal: 0.84 bits
    assert js_divergence(target.X, target.X) == pytest.approx(0.0, abs=1e-9)


def test_collapse_is_named_only_when_points_sit_on_few_modes():
    run = build_gan2d(Gan2dConfig(hidden_size=8))
    run.step(1)
    assert collapse_note(run) == ""  # too early to judge
    run.steps = 1000
    run.history.record_eval(1000, {"js": 0.7, "covered": 2.0, "on_target": 0.9})
    assert "Mode collapse" in collapse_note(run) and "2 of its 8 modes" in collapse_note(run)
    run.history.record_eval(1025, {"js": 0.1, "covered": 8.0, "on_target": 0.9})
    assert collapse_note(run) == ""


def test_d_field_is_ds_verdict_on_the_grid():
    run = build_gan2d(Gan2dConfig(hidden_size=8))
    axis, field = d_field(run, resolution=5)
    assert field.shape == (5, 5)
    point = torch.tensor([[float(axis[1]), float(axis[3])]])  # x = axis[1], y = axis[3] → row 3, column 1
    torch.testing.assert_close(field[3, 1], run.verdict(point)[0])
