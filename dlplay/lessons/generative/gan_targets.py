"""Target distributions of the 2D GAN: Gaussian mixtures, toy shapes and points the user clicks, with their modes."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from dlplay.data.toy2d import make_classification

TARGETS = ("Ring of 8 Gaussians", "Grid of 25 Gaussians", "Two moons", "Spiral", "Your points")
CLICKED = TARGETS[-1]
EXTENT = 1.2  # the plots show [−EXTENT, EXTENT]²; targets stay inside (−0.9, 0.9), the Generator's Tanh reaches ±1
MIN_CLICKED = 3  # fewer clicked points than this are not a distribution to learn
MAX_CLICKED = 400  # a cap on clicked points, so a huge lasso cannot flood the set
CANVAS_STEP = 0.05  # spacing of the invisible points a click snaps to
CLICK_JITTER = 0.03  # σ of the Gaussian blur around each clicked point


@dataclass(frozen=True)
class Target:
    """Real samples X (N, 2) of a target and its modes (M, 2): Gaussian centres, or k-means centres of a shape."""

    name: str
    X: torch.Tensor  # (N, 2) real points
    modes: torch.Tensor  # (M, 2) where the generator must put points to cover the target
    radius: torch.Tensor  # (M,) how near a mode a point must be to count for it (90 % of its real points are)


def _ring(n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    angles = 2 * math.pi * torch.arange(8) / 8
    centres = 0.75 * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)  # (8, 2)
    pick = torch.randint(0, 8, (n,), generator=g)
    return centres[pick] + 0.05 * torch.randn(n, 2, generator=g), centres


def _grid(n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    ticks = torch.linspace(-0.8, 0.8, 5)
    centres = torch.cartesian_prod(ticks, ticks)  # (25, 2)
    pick = torch.randint(0, 25, (n,), generator=g)
    return centres[pick] + 0.035 * torch.randn(n, 2, generator=g), centres


def kmeans(X: torch.Tensor, k: int, seed: int = 0, iterations: int = 25) -> torch.Tensor:
    """k cluster centres (k, 2) of X by Lloyd's algorithm from a seeded k-means++ start."""
    g = torch.Generator().manual_seed(seed)
    k = max(1, min(k, len(torch.unique(X, dim=0))))
    centres = X[torch.randint(0, len(X), (1,), generator=g)]
    while len(centres) < k:  # k-means++: a new centre far from the chosen ones, with probability ∝ distance²
        d2 = torch.cdist(X, centres).amin(dim=1).pow(2)  # (N,)
        centres = torch.cat([centres, X[torch.multinomial(d2 / d2.sum(), 1, generator=g)]])
    for _ in range(iterations):
        nearest = torch.cdist(X, centres).argmin(dim=1)  # (N,)
        for j in range(k):
            members = X[nearest == j]
            if len(members):
                centres[j] = members.mean(dim=0)
    return centres


def mode_radius(X: torch.Tensor, modes: torch.Tensor) -> torch.Tensor:
    """(M,) the 90th percentile of the distance of each mode's real points to it."""
    dist = torch.cdist(X, modes)  # (N, M)
    nearest = dist.argmin(dim=1)
    radius = torch.empty(len(modes))
    for j in range(len(modes)):
        own = dist[nearest == j, j]
        radius[j] = torch.quantile(own, 0.9) if len(own) else 0.1
    return radius.clamp_min(0.05)


def make_target(name: str, n: int = 2000, seed: int = 0, points: list[tuple[float, float]] | None = None) -> Target:
    """n real samples of the named target; `points` are the clicked points of "Your points"."""
    g = torch.Generator().manual_seed(seed)
    if name == TARGETS[0]:
        X, modes = _ring(n, g)
    elif name == TARGETS[1]:
        X, modes = _grid(n, g)
    elif name in (TARGETS[2], TARGETS[3]):
        kind, k = ("moons", 8) if name == TARGETS[2] else ("spiral", 10)
        X, _ = make_classification(kind, n, noise=0.1, seed=seed)
        X = X * (0.85 / X.abs().max())  # the toy sets fill ±5: scale them into the Generator's reach
        modes = kmeans(X, k, seed)
    elif name == CLICKED:
        base = torch.tensor(points or [], dtype=torch.float32).reshape(-1, 2)
        if len(base) < MIN_CLICKED:
            raise ValueError(f"click at least {MIN_CLICKED} points onto the plot (there are {len(base)})")
        X = base[torch.randint(0, len(base), (n,), generator=g)] + CLICK_JITTER * torch.randn(n, 2, generator=g)
        modes = kmeans(base, 8, seed)
    else:
        raise ValueError(f"unknown target {name!r}; choose one of {', '.join(TARGETS)}")
    X = X.clamp(-0.95, 0.95)  # inside the Tanh's reach
    return Target(name, X.float(), modes.float(), mode_radius(X, modes))


def canvas_points() -> torch.Tensor:
    """(P, 2) the invisible grid a click on the canvas snaps to."""
    ticks = torch.arange(-1.0, 1.0 + 1e-6, CANVAS_STEP)
    return torch.cartesian_prod(ticks, ticks)


def add_selection(points: list[tuple[float, float]], selected: list[dict]) -> list[tuple[float, float]]:
    """The clicked points plus the canvas points of a plotly selection (clicks, boxes, lassos), capped at MAX_CLICKED."""
    new = list(points)
    for p in selected:
        x, y = p.get("x"), p.get("y")
        if isinstance(x, int | float) and isinstance(y, int | float) and abs(x) <= 1 and abs(y) <= 1:
            new.append((round(float(x), 3), round(float(y), 3)))
    return new[:MAX_CLICKED]
