"""Optimizer paths against hand-written torch.optim loops; divergence cuts; incremental runs."""

import math

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from dlplay.lessons.optimization.paths import ESCAPE_MARGIN, PathConfig, PathRunner, compare_paths, optimizer_path
from dlplay.lessons.optimization.surfaces import SURFACES, Surface
from dlplay.optim.factory import OPTIMIZERS, OptimizerConfig

# Written out here, independently of the factory.
TORCH_OPTIMIZERS = {
    "SGD": lambda p, c: torch.optim.SGD([p], lr=c.lr),
    "Momentum": lambda p, c: torch.optim.SGD([p], lr=c.lr, momentum=c.momentum),
    "Nesterov": lambda p, c: torch.optim.SGD([p], lr=c.lr, momentum=c.momentum, nesterov=True),
    "RMSProp": lambda p, c: torch.optim.RMSprop([p], lr=c.lr, alpha=c.momentum),
    "Adagrad": lambda p, c: torch.optim.Adagrad([p], lr=c.lr),
    "Adam": lambda p, c: torch.optim.Adam([p], lr=c.lr, betas=(c.beta1, c.beta2)),
    "AdamW": lambda p, c: torch.optim.AdamW([p], lr=c.lr, betas=(c.beta1, c.beta2), weight_decay=c.weight_decay),
}
# step sizes that converge on some surfaces and blow up on others, so both branches are compared
LR = {"SGD": 0.004, "Momentum": 0.004, "Nesterov": 0.004, "RMSProp": 0.05, "Adagrad": 0.5, "Adam": 0.1, "AdamW": 0.1}
STEPS = 60


def reference_loop(surface, start, config, steps, seed=0):
    """The textbook loop: zero_grad, loss, backward, step; ξ for a noisy surface from a generator seeded with seed."""
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = TORCH_OPTIMIZERS[config.name](p, config)
    generator = torch.Generator().manual_seed(seed)
    points, losses = [p.detach().clone()], []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = surface.f(p)
        losses.append(loss.detach().clone())
        if surface.noise:  # ∇(noise·ξ·p) = noise·ξ
            xi = torch.randn(2, generator=generator, dtype=torch.float64)
            loss = loss + surface.noise * torch.dot(xi, p)
        loss.backward()
        optimizer.step()
        points.append(p.detach().clone())
    losses.append(surface.f(p).detach())
    return torch.stack(points).numpy(), torch.stack(losses).numpy()


def outside_box(point, surface):
    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    wx, wy = ESCAPE_MARGIN * (x1 - x0), ESCAPE_MARGIN * (y1 - y0)
    x, y = point
    return not (x0 - wx <= x <= x1 + wx and y0 - wy <= y <= y1 + wy)


@pytest.mark.parametrize("surface_name", list(SURFACES))
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_path_equals_a_hand_written_torch_optim_loop(name, surface_name):
    surface = SURFACES[surface_name]
    config = OptimizerConfig(name, lr=LR[name], weight_decay=0.01 if name == "AdamW" else 0.0)
    path = optimizer_path(surface, surface.start, config, STEPS, seed=3)
    points, losses = reference_loop(surface, surface.start, config, STEPS, seed=3)
    n = len(path.points)
    assert path.points.shape == (n, 2) and path.losses.shape == (n,)
    assert_close(path.points, points[:n])
    assert_close(path.losses, losses[:n])
    for k in range(n):  # everything kept is finite and inside the escape box
        assert np.isfinite(points[k]).all() and np.isfinite(losses[k]) and not outside_box(points[k], surface)
    if path.diverged_at is None:
        assert n == STEPS + 1 and path.message == ""
    else:  # the reference went bad exactly where the path was cut
        k = path.diverged_at
        assert n == k
        assert not np.isfinite(losses[k]) or not np.isfinite(points[k]).all() or outside_box(points[k], surface)
        assert path.message.startswith(f"{name} diverged at step {k}: ")


def test_the_cases_above_include_cut_and_uncut_paths():
    cut = [
        optimizer_path(SURFACES[s], SURFACES[s].start, OptimizerConfig(o, lr=LR[o]), STEPS).diverged_at is not None
        for s in ("Rosenbrock", "Beale", "Himmelblau")
        for o in OPTIMIZERS
    ]
    assert any(cut) and not all(cut)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_rosenbrock_with_lr_10_is_cut_and_labelled(name):
    surface = SURFACES["Rosenbrock"]
    path = optimizer_path(surface, surface.start, OptimizerConfig(name, lr=10.0), 200)
    assert np.isfinite(path.points).all() and np.isfinite(path.losses).all()
    if name == "Adagrad":  # Adagrad's step is at most lr per coordinate and shrinks: it stays in the box
        assert path.diverged_at is None
        return
    assert path.diverged_at is not None and len(path.points) == path.diverged_at
    assert path.message == f"{name} diverged at step {path.diverged_at}: left the plot"


def test_a_loss_that_turns_nan_inside_the_plot_is_cut_there():
    # log(2 − x) is NaN for x > 2: SGD jumps over the pole while its point is still finite and on the plot
    surface = Surface("Pole", lambda p: torch.log(2 - p[..., 0]) + p[..., 1] ** 2, (-3.0, 3.0), (-3.0, 3.0), (0.0, 0.0))
    config = OptimizerConfig("SGD", lr=1.0)
    path = optimizer_path(surface, (0.0, 0.0), config, 10)
    points, losses = reference_loop(surface, (0.0, 0.0), config, 10)
    k = int(np.nonzero(~np.isfinite(losses))[0][0])
    assert path.diverged_at == k and path.message == f"SGD diverged at step {k}: the loss became NaN or infinite"
    assert_close(path.points, points[:k])


def test_runner_grows_a_path_step_by_step_exactly_as_one_run():
    surface = SURFACES["Noisy bowl (σ=2)"]
    configs = {o: OptimizerConfig(o, lr=LR[o] * 10) for o in OPTIMIZERS}
    runner = PathRunner(surface, surface.start, configs, seed=5)
    for n in (1, 2, 0, 7, 60):
        runner.step(n)
        assert all(p.steps == runner.paths["SGD"].steps for p in runner.paths.values())
    whole = compare_paths(surface, surface.start, configs, 70, seed=5)
    for label, path in runner.paths.items():
        assert_close(path.points, whole[label].points)
        assert_close(path.losses, whole[label].losses)


def test_paths_run_together_equal_paths_run_alone():
    surface = SURFACES["Beale"]
    configs = {f"{o} lr={lr}": OptimizerConfig(o, lr=lr) for o in ("Momentum", "Adam") for lr in (0.01, 0.2)}
    together = compare_paths(surface, (1.0, 1.0), configs, 80)
    assert any(p.diverged_at is not None for p in together.values())
    for label, config in configs.items():
        alone = optimizer_path(surface, (1.0, 1.0), config, 80)
        assert_close(together[label].points, alone.points)
        assert together[label].diverged_at == alone.diverged_at and together[label].message == alone.message


def test_noise_replays_from_its_seed():
    surface, config = SURFACES["Noisy bowl (σ=2)"], OptimizerConfig("SGD", lr=0.05)
    a, b = (optimizer_path(surface, surface.start, config, 30, seed=1) for _ in range(2))
    c = optimizer_path(surface, surface.start, config, 30, seed=2)
    assert_close(a.points, b.points)
    assert not np.allclose(a.points, c.points)


def test_set_lr_changes_the_step_from_then_on():
    surface = SURFACES["Saddle"]
    runner = PathRunner(surface, (1.0, 0.5), {"SGD": OptimizerConfig("SGD", lr=0.1)}).step(1)
    runner.set_lr(0.01)
    runner.step(1)
    points = runner.paths["SGD"].points
    grad = torch.tensor([2 * points[1, 0], -2 * points[1, 1]])  # ∇(x² − y²)
    assert_close(points[2], points[1] - 0.01 * grad.numpy())


def test_bad_inputs_raise_clear_errors():
    surface = SURFACES["Rosenbrock"]
    with pytest.raises(ValueError, match="outside the plot"):
        optimizer_path(surface, (1e6, 0.0), OptimizerConfig("SGD"), 5)
    with pytest.raises(ValueError, match="outside the plot"):
        optimizer_path(surface, (math.nan, 0.0), OptimizerConfig("SGD"), 5)
    with pytest.raises(ValueError, match="steps"):
        optimizer_path(surface, surface.start, OptimizerConfig("SGD"), -1)
    with pytest.raises(ValueError, match="unknown optimizer"):
        optimizer_path(surface, surface.start, OptimizerConfig("Lion"), 5)


def test_zero_steps_is_just_the_start_and_path_config_holds_steps():
    surface = SURFACES["Himmelblau"]
    cfg = PathConfig(OptimizerConfig("Adam", lr=0.1), steps=0)
    path = optimizer_path(surface, surface.start, cfg.optimizer, cfg.steps)
    assert_close(path.points, np.array([surface.start]))
    assert_close(path.losses, surface.f(torch.tensor(surface.start, dtype=torch.float64)).numpy()[None])
