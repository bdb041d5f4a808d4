"""Optimizer trajectories on 2D surfaces: real torch.optim steps on a 2-parameter tensor."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from dlplay.lessons.optimization.surfaces import Surface
from dlplay.optim.factory import OptimizerConfig, make_optimizer

DTYPE = torch.float64  # float64 so long, slow paths (Adagrad, tiny lr) are not rounding noise
ESCAPE_MARGIN = 5.0  # a path is cut once it is more than this many plot widths off the plot
CHECK_EVERY = 50  # steps between divergence checks; a cut path stops costing time after at most this many


@dataclass
class PathConfig:
    """One optimizer and how many steps to run it."""

    optimizer: OptimizerConfig  # which optimizer, with its lr and betas
    steps: int = 200  # number of optimizer steps


@dataclass
class Path:
    """Where an optimizer went: points, loss at each point, and whether (and why) it was cut."""

    points: np.ndarray  # (n, 2): start, then the point after each step; n = steps + 1 unless cut
    losses: np.ndarray  # (n,): the clean f at each point
    diverged_at: int | None = None  # the step whose point was NaN/inf or off the plot; None: not cut
    message: str = ""  # e.g. "Adam diverged at step 12: left the plot"; empty when not cut

    @property
    def steps(self) -> int:
        """Number of optimizer steps kept in this path."""
        return len(self.points) - 1


def escape_box(surface: Surface) -> tuple[tuple[float, float], tuple[float, float]]:
    """The x and y limits beyond which a path counts as diverged: the plot range widened by ESCAPE_MARGIN widths."""
    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    mx, my = ESCAPE_MARGIN * (x1 - x0), ESCAPE_MARGIN * (y1 - y0)
    return (x0 - mx, x1 + mx), (y0 - my, y1 + my)


class _Track:
    """One optimizer's parameter, state and history inside a PathRunner."""

    def __init__(self, start: tuple[float, float], config: OptimizerConfig, seed: int):
        self.name = config.name
        self.p = torch.tensor(start, dtype=DTYPE, requires_grad=True)  # (2,): the model is just (x, y)
        self.optimizer = make_optimizer([self.p], config)
        # the gradient noise of a noisy surface comes from this generator only, so a seed replays a path
        self.generator = torch.Generator().manual_seed(seed)
        self.points = self.p.detach().clone()[None]  # (n, 2): start, then the point after each step
        self.losses = torch.empty(0, dtype=DTYPE)  # (n − 1,): loss at each point but the newest
        self.diverged_at: int | None = None
        self.message = ""


class PathRunner:
    """Paths of several optimizers from one start that grow step by step, for Step / Play controls."""

    # All optimizers share one forward and backward pass per step: the loss summed over their points has,
    # for each point, exactly that point's gradient, so each path is the one it would be alone (tested).

    def __init__(
        self, surface: Surface, start: tuple[float, float], configs: dict[str, OptimizerConfig], seed: int = 0
    ):
        self.surface = surface
        self.tracks = {label: _Track(start, c, seed) for label, c in configs.items()}
        (self._x0, self._x1), (self._y0, self._y1) = escape_box(surface)
        x, y = start
        if not (np.isfinite(x) and np.isfinite(y) and self._x0 <= x <= self._x1 and self._y0 <= y <= self._y1):
            raise ValueError(f"start {start} is far outside the plot of {surface.name}")

    @property
    def done(self) -> bool:
        """True once every path has been cut; further steps do nothing."""
        return all(t.diverged_at is not None for t in self.tracks.values())

    def step(self, n: int = 1) -> PathRunner:
        """Take up to n optimizer steps on every path not yet cut, and return self."""
        for done in range(0, n, CHECK_EVERY):  # paths found cut after a chunk stop taking steps
            self._run(min(CHECK_EVERY, n - done))
        return self

    def _run(self, n: int) -> None:
        active = [t for t in self.tracks.values() if t.diverged_at is None]
        if not active:
            return
        f, noisy = self.surface.f, self.surface.noise != 0.0
        params = [t.p for t in active]
        new_points, new_losses = [], []
        for _ in range(n):
            for p in params:
                p.grad = None  # what optimizer.zero_grad() does, without its profiler hooks
            P = torch.stack(params)  # (k, 2): one row per optimizer
            values = f(P)  # (k,)
            total = values.sum()
            if noisy:  # each path draws its own ξ (2,) from its own generator, as it would alone
                xi = torch.stack([torch.randn(2, generator=t.generator, dtype=DTYPE) for t in active])  # (k, 2)
                total = total + self.surface.grad_noise(P, xi)
            total.backward()
            for t in active:
                t.optimizer.step()
            new_losses.append(values.detach())
            new_points.append(torch.stack(params).detach())  # (k, 2)
        points, losses = torch.stack(new_points, dim=1), torch.stack(new_losses, dim=1)  # (k, n, 2), (k, n)
        for i, t in enumerate(active):
            first = len(t.points) - 1
            t.points = torch.cat([t.points, points[i]])
            t.losses = torch.cat([t.losses, losses[i]])
            # check the new points all at once: one sync per chunk instead of one per step
            self._check(t, first)

    def _check(self, t: _Track, first: int) -> None:
        new, losses = t.points[first + 1 :], t.losses[first:]  # (m, 2) this chunk's points, (m,) losses before them
        finite = torch.isfinite(new).all(dim=1)  # (m,)
        inside = (new[:, 0] >= self._x0) & (new[:, 0] <= self._x1) & (new[:, 1] >= self._y0) & (new[:, 1] <= self._y1)
        # a point is bad if it is NaN/inf or off the box; a loss is bad if NaN/inf (overflow in f)
        bad_point = (~(finite & inside)).nonzero()
        bad_loss = (~torch.isfinite(losses)).nonzero()
        cuts = []
        if len(bad_point):
            k = int(bad_point[0]) + first + 1
            cuts.append((k, "left the plot" if bool(finite[k - first - 1]) else "the point became NaN or infinite"))
        if len(bad_loss):
            cuts.append((int(bad_loss[0]) + first, "the loss became NaN or infinite"))
        if not cuts:
            return
        cut, why = min(cuts)
        t.points, t.losses = t.points[:cut], t.losses[:cut]
        t.diverged_at = cut
        t.message = f"{t.name} diverged at step {cut}: {why}"

    @property
    def paths(self) -> dict[str, Path]:
        """Every path so far, by label, as numpy arrays."""
        return {label: self._path(t) for label, t in self.tracks.items()}

    def _path(self, t: _Track) -> Path:
        with torch.no_grad():
            last = self.surface.f(t.points[-1])  # the newest point's loss is not computed by a step yet
        losses = torch.cat([t.losses[: len(t.points) - 1], last[None]])  # (n,)
        return Path(t.points.numpy().copy(), losses.numpy(), t.diverged_at, t.message)

    def set_lr(self, lr: float) -> None:
        """Change every optimizer's learning rate from here on, keeping its state (momentum, moments)."""
        for t in self.tracks.values():
            for group in t.optimizer.param_groups:
                group["lr"] = lr


def optimizer_path(
    surface: Surface, start: tuple[float, float], config: OptimizerConfig, steps: int, seed: int = 0
) -> Path:
    """Run `steps` torch.optim steps of config's optimizer on surface.f from start; cut if it diverges."""
    if steps < 0:
        raise ValueError(f"steps must be ≥ 0, got {steps}")
    return PathRunner(surface, start, {config.name: config}, seed).step(steps).paths[config.name]


def compare_paths(
    surface: Surface, start: tuple[float, float], configs: dict[str, OptimizerConfig], steps: int, seed: int = 0
) -> dict[str, Path]:
    """One path per labelled optimizer config, all from the same start, run together; same as one by one."""
    if steps < 0:
        raise ValueError(f"steps must be ≥ 0, got {steps}")
    return PathRunner(surface, start, configs, seed).step(steps).paths
