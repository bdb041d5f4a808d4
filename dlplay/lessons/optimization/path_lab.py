"""The paths and schedules labs of chapter 8, headless: surfaces by name, suggested rates, animation frames, code."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from dlplay.lessons.optimization.figures import contour_with_paths, loss_curves, surface_3d, surface_grid
from dlplay.lessons.optimization.paths import Path, compare_paths
from dlplay.lessons.optimization.race_lab import optimizer_code, schedule_code
from dlplay.lessons.optimization.surfaces import SURFACES, Surface, noisy_bowl, quadratic_bowl
from dlplay.optim.factory import OptimizerConfig
from dlplay.optim.schedules import ScheduleConfig, lr_curve
from dlplay.viz.spec import Spec, typed

SURFACE_NAMES = ("Quadratic bowl", "Rosenbrock", "Beale", "Himmelblau", "Saddle", "Noisy bowl")
FORMULAS = {  # f(x, y) of each surface as PyTorch source, for the code panel
    "Quadratic bowl": "0.5 * (x ** 2 + {kappa:g} * y ** 2)  # condition number κ = {kappa:g}",
    "Rosenbrock": "(1 - x) ** 2 + 100 * (y - x ** 2) ** 2",
    "Beale": "(1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2 + (2.625 - x + x * y ** 3) ** 2",
    "Himmelblau": "(x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2",
    "Saddle": "x ** 2 - y ** 2",
    "Noisy bowl": "0.5 * (x ** 2 + 5 * y ** 2)  # the gradient gets N(0, {noise:g}²) noise, like a minibatch's",
}
PATH_LRS = [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0]
# A learning rate per surface and optimizer that shows the optimizer's character there (picked from runs of 200 steps).
SUGGESTED_LRS = {
    "Quadratic bowl": dict(SGD=0.05, Momentum=0.02, Nesterov=0.02, RMSProp=0.05, Adagrad=0.5, Adam=0.1, AdamW=0.1),
    "Rosenbrock": dict(SGD=1e-3, Momentum=1e-3, Nesterov=1e-3, RMSProp=0.01, Adagrad=0.5, Adam=0.1, AdamW=0.1),
    "Beale": dict(SGD=0.01, Momentum=1e-3, Nesterov=1e-3, RMSProp=0.02, Adagrad=0.5, Adam=0.1, AdamW=0.1),
    "Himmelblau": dict(SGD=0.01, Momentum=2e-3, Nesterov=2e-3, RMSProp=0.02, Adagrad=0.5, Adam=0.1, AdamW=0.1),
    "Saddle": dict(SGD=0.01, Momentum=2e-3, Nesterov=2e-3, RMSProp=0.01, Adagrad=0.1, Adam=0.01, AdamW=0.01),
    "Noisy bowl": dict(SGD=0.02, Momentum=5e-3, Nesterov=5e-3, RMSProp=0.05, Adagrad=0.5, Adam=0.1, AdamW=0.1),
}
DEFAULT_OPTIMIZERS = ["SGD", "Momentum", "RMSProp", "Adam"]
DEFAULT_SCHEDULES = ["StepLR", "CosineAnnealingLR", "OneCycleLR", "Warm-up + cosine"]


def slug(name: str) -> str:
    """'Warm-up + cosine' → 'warm_up__cosine': a widget-key fragment."""
    return name.lower().replace(" ", "_").replace("+", "").replace("-", "_")


def make_surface(name: str, kappa: float, noise: float) -> Surface:
    """The chosen surface; the bowls take the condition-number and noise sliders."""
    if name == "Quadratic bowl":
        return quadratic_bowl(kappa)
    if name == "Noisy bowl":
        return noisy_bowl(noise)
    return SURFACES[name]


def start_step(surface: Surface) -> float:
    """The start sliders' step: coarser on the wide surfaces."""
    return 0.05 if surface.x_range[1] - surface.x_range[0] > 6 else 0.01


def head(path: Path, steps: int) -> Path:
    """The first `steps` steps of a path (an animation frame); a cut shows only once the frame reaches it."""
    if steps >= path.steps:
        return path
    return Path(path.points[: steps + 1], path.losses[: steps + 1])


def clickable(spec: Spec, surface: Surface, resolution: int = 51) -> Spec:
    """An invisible grid of points over the contour: clicking one (a plotly point selection) picks the start."""
    xs, ys = np.linspace(*surface.x_range, resolution), np.linspace(*surface.y_range, resolution)
    X, Y = np.meshgrid(xs, ys)  # (R, R) each
    for trace in spec["data"]:  # a click selects one grid point; keep every other trace fully visible
        if trace["type"] == "scatter":
            trace["unselected"] = dict(marker=dict(opacity=1))
    spec["data"].append(dict(
        type="scatter", x=typed(X.ravel()), y=typed(Y.ravel()), mode="markers", name="click to start here", showlegend=False,
        marker=dict(size=9, opacity=0), hovertemplate="x=%{x:.2f}, y=%{y:.2f}<br>click to start here<extra></extra>",
        unselected=dict(marker=dict(opacity=0)), selected=dict(marker=dict(opacity=0)),
    ))
    spec["layout"]["clickmode"] = "event+select"
    return spec


def paths_code(surface_name: str, kappa: float, noise: float, start: tuple, configs: dict[str, OptimizerConfig], steps: int) -> str:
    """The PyTorch loop that draws these paths."""
    formula = FORMULAS[surface_name].format(kappa=kappa, noise=noise)
    makers = "\n".join(f'    "{n}": lambda p: {optimizer_code(c, "[p]")},' for n, c in configs.items())
    noisy = ""
    if surface_name == "Noisy bowl":
        noisy = f"\n        p.grad += {noise:g} * torch.randn(2, dtype=torch.float64)  # a noisy gradient, like a minibatch's"
    return f'''
import torch

def f(p):  # {surface_name}
    x, y = p[0], p[1]
    return {formula}

optimizers = {{
{makers}
}}
paths = {{}}
for name, make in optimizers.items():
    p = torch.tensor([{start[0]:g}, {start[1]:g}], dtype=torch.float64, requires_grad=True)  # the two "weights"
    optimizer = make(p)
    path = [p.detach().clone()]
    for step in range({steps}):
        optimizer.zero_grad()
        loss = f(p)
        loss.backward(){noisy}
        optimizer.step()
        path.append(p.detach().clone())
    paths[name] = torch.stack(path)  # (steps + 1, 2)
'''


def schedules_code(configs: dict[str, ScheduleConfig], lr: float, steps: int) -> str:
    """The PyTorch loop that draws these learning-rate curves."""
    # plain SGD has no momentum for OneCycleLR to cycle: make_scheduler turns cycle_momentum off, and so does this code
    makers = "\n".join(f'    "{name}": lambda optimizer: {schedule_code(c, steps, lr, cycle_momentum=False)},'
                       for name, c in configs.items())
    return f'''
import torch
from torch.optim import lr_scheduler

schedules = {{
{makers}
}}
curves = {{}}
for name, make in schedules.items():
    optimizer = torch.optim.SGD(torch.nn.Linear(784, 10).parameters(), lr={lr:g})  # a fresh optimizer each
    scheduler = make(optimizer)
    curves[name] = []
    for step in range({steps}):
        curves[name].append(optimizer.param_groups[0]["lr"])
        optimizer.step()  # in training: forward, loss.backward(), then optimizer.step()
        if scheduler is not None:
            scheduler.step()  # once per optimizer step, after optimizer.step()
'''


# ----- cached across sessions: paths, grids and curves depend on their settings only -------------------------------
CONTOUR_RESOLUTION, SURFACE_RESOLUTION = 100, 60  # grid sides: smooth contours, and light enough to redraw per frame


@functools.lru_cache(maxsize=64)
def _paths(surface_name: str, kappa: float, noise: float, start: tuple, configs: tuple, steps: int, seed: int) -> dict:
    surface = make_surface(surface_name, kappa, noise)
    return compare_paths(surface, start, {c[0]: OptimizerConfig(*c) for c in configs}, steps, seed)


def cached_paths(surface_name: str, kappa: float, noise: float, start: tuple, configs: tuple[OptimizerConfig, ...],
                 steps: int, seed: int) -> dict[str, Path]:
    """compare_paths, cached: one computation per surface, start, optimizer settings and length (never mutated)."""
    return _paths(surface_name, kappa, noise, start, tuple(dataclasses.astuple(c) for c in configs), steps, seed)


@functools.lru_cache(maxsize=32)
def cached_grid(surface_name: str, kappa: float, noise: float, resolution: int) -> tuple:
    """surface_grid, cached: f over the plot's grid changes with the surface only, not with paths or frames."""
    return surface_grid(make_surface(surface_name, kappa, noise), resolution)


def path_specs(surface_name: str, kappa: float, noise: float, start: tuple, configs: tuple[OptimizerConfig, ...], steps: int,
               seed: int, shown: int, playing: bool) -> tuple[dict[str, Path], Spec, Spec, Spec]:
    """(paths up to step `shown`, clickable contour, 3D view, loss per step) from the cached paths and surface grids."""
    surface = make_surface(surface_name, kappa, noise)
    paths = cached_paths(surface_name, kappa, noise, start, configs, steps, seed)
    frame = {name: head(path, shown) for name, path in paths.items()}
    contour = clickable(contour_with_paths(surface, frame, grid=cached_grid(surface_name, kappa, noise, CONTOUR_RESOLUTION)),
                        surface)
    # while playing, the 3D view keeps the whole paths: an unchanged chart costs the browser nothing to redraw
    grid = cached_grid(surface_name, kappa, noise, SURFACE_RESOLUTION)
    surface_view = surface_3d(surface, paths if playing else frame, grid=grid)
    return frame, contour, surface_view, loss_curves(frame, height=380)


@functools.lru_cache(maxsize=64)
def _lr_curve(config: tuple, lr: float, steps: int) -> np.ndarray:
    return lr_curve(ScheduleConfig(*config), lr, steps)


def cached_lr_curve(config: ScheduleConfig, lr: float, steps: int) -> np.ndarray:
    """lr_curve, cached: stepping a real scheduler hundreds of times would slow every rerun of the page."""
    return _lr_curve(dataclasses.astuple(config), lr, steps)
