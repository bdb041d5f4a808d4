"""2D test functions for watching optimizers move, written in torch ops so autograd works."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

# Every f below takes p of shape (..., 2) and returns shape (...): one point (2,) → scalar (),
# or a whole grid (R, R, 2) → (R, R) in one call.


@dataclass(frozen=True)
class Surface:
    """A 2D loss landscape: the function, where to look at it, where to start, where its minima are."""

    name: str  # display name
    f: Callable[[Tensor], Tensor]  # f(p) for p of shape (..., 2); the clean loss, no noise
    x_range: tuple[float, float]  # plot range of x
    y_range: tuple[float, float]  # plot range of y
    start: tuple[float, float]  # default starting point, inside the plot range
    minima: tuple[tuple[float, float], ...] = ()  # known global/local minima (none for a saddle)
    log_contours: bool = True  # contour levels log-spaced: the values span many decades
    noise: float = 0.0  # std of the gradient noise added at each step (0: exact gradients)

    def loss(self, p: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """f(p) for one point p (2,), plus gradient noise with ξ = torch.randn(2, generator=generator)."""
        if self.noise == 0.0:
            return self.f(p)
        return self.f(p) + self.grad_noise(p, torch.randn(p.shape, generator=generator, dtype=p.dtype))

    def grad_noise(self, p: Tensor, xi: Tensor) -> Tensor:
        """A term worth 0 whose gradient with respect to p (..., 2) is noise·ξ, for ξ ~ N(0, I) of p's shape."""
        # ξ·(p − p.detach()) is 0 in value but has gradient ξ: the loss curve stays the clean f,
        # while the optimizer sees ∇f + noise·ξ, like a minibatch gradient.
        return self.noise * (xi * (p - p.detach())).sum()


def _xy(p: Tensor) -> tuple[Tensor, Tensor]:
    return p[..., 0], p[..., 1]


def _bowl(kappa: float, angle_deg: float) -> Callable[[Tensor], Tensor]:
    c, s = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))

    def f(p: Tensor) -> Tensor:
        x, y = _xy(p)
        # rotate into the bowl's own axes (u, v): f = ½(u² + κ v²), Hessian eigenvalues 1 and κ
        u, v = c * x + s * y, -s * x + c * y
        return 0.5 * (u**2 + kappa * v**2)

    return f


def quadratic_bowl(kappa: float = 10.0, angle_deg: float = 0.0) -> Surface:
    """The bowl ½(u² + κ v²) with condition number κ, its axes turned by angle_deg."""
    if kappa <= 0:
        raise ValueError(f"the condition number κ must be positive, got {kappa}")
    return Surface(
        name=f"Quadratic bowl (κ={kappa:g})",
        f=_bowl(kappa, angle_deg),
        x_range=(-3.0, 3.0),
        y_range=(-3.0, 3.0),
        start=(-2.5, 2.0),
        minima=((0.0, 0.0),),
    )


def noisy_bowl(noise: float = 2.0, kappa: float = 5.0) -> Surface:
    """A quadratic bowl whose gradient carries seeded Gaussian noise of std `noise`, like SGD's minibatches."""
    if noise < 0:
        raise ValueError(f"the noise level must be ≥ 0, got {noise}")
    return Surface(
        name=f"Noisy bowl (σ={noise:g})",
        f=_bowl(kappa, 0.0),
        x_range=(-3.0, 3.0),
        y_range=(-3.0, 3.0),
        start=(-2.5, 2.0),
        minima=((0.0, 0.0),),
        noise=noise,
    )


def rosenbrock(p: Tensor) -> Tensor:
    """(1 − x)² + 100 (y − x²)²: a curved, flat-bottomed valley with its minimum at (1, 1)."""
    x, y = _xy(p)
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def beale(p: Tensor) -> Tensor:
    """Beale's function: flat plateaus and steep walls, minimum 0 at (3, 0.5)."""
    x, y = _xy(p)
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def himmelblau(p: Tensor) -> Tensor:
    """(x² + y − 11)² + (x + y² − 7)²: four minima of equal height 0; where you end depends on the start."""
    x, y = _xy(p)
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def saddle(p: Tensor) -> Tensor:
    """x² − y²: a saddle at the origin; exact gradients started on the ridge never leave it."""
    x, y = _xy(p)
    return x**2 - y**2


SURFACES: dict[str, Surface] = {
    s.name: s
    for s in (
        quadratic_bowl(),
        Surface("Rosenbrock", rosenbrock, (-2.0, 2.0), (-1.0, 3.0), (-1.5, 2.5), ((1.0, 1.0),)),
        Surface("Beale", beale, (-4.5, 4.5), (-4.5, 4.5), (1.0, 1.5), ((3.0, 0.5),)),
        Surface(
            "Himmelblau",
            himmelblau,
            (-5.0, 5.0),
            (-5.0, 5.0),
            (0.0, 0.0),
            ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)),
        ),
        Surface("Saddle", saddle, (-2.0, 2.0), (-2.0, 2.0), (-1.8, 0.01), (), log_contours=False),
        noisy_bowl(),
    )
}


def grid_values(surface: Surface, resolution: int = 150) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X, Y, Z arrays of shape (resolution, resolution) of f over the plot range, for contour and 3D plots."""
    if resolution < 2:
        raise ValueError(f"the grid needs at least 2 points per side, got {resolution}")
    xs = torch.linspace(*surface.x_range, resolution, dtype=torch.float64)
    ys = torch.linspace(*surface.y_range, resolution, dtype=torch.float64)
    Y, X = torch.meshgrid(ys, xs, indexing="ij")  # (R, R): rows follow y, columns follow x
    with torch.no_grad():
        Z = surface.f(torch.stack([X, Y], dim=-1))  # (R, R, 2) → (R, R)
    return X.numpy(), Y.numpy(), Z.numpy()


__all__ = [
    "SURFACES",
    "Surface",
    "beale",
    "grid_values",
    "himmelblau",
    "noisy_bowl",
    "quadratic_bowl",
    "rosenbrock",
    "saddle",
]
