"""2D test surfaces: formulas, minima, the conditioning slider, grids and seeded gradient noise."""

import math

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from dlplay.lessons.optimization.surfaces import SURFACES, Surface, grid_values, noisy_bowl, quadratic_bowl

# Written out here in plain Python, independently of the core.
FORMULAS = {
    "Rosenbrock": lambda x, y: (1 - x) ** 2 + 100 * (y - x * x) ** 2,
    "Beale": lambda x, y: (1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2 + (2.625 - x + x * y**3) ** 2,
    "Himmelblau": lambda x, y: (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2,
    "Saddle": lambda x, y: x * x - y * y,
    "Quadratic bowl (κ=10)": lambda x, y: 0.5 * (x * x + 10 * y * y),
    "Noisy bowl (σ=2)": lambda x, y: 0.5 * (x * x + 5 * y * y),
}


def test_every_surface_has_a_formula_here_and_sane_metadata():
    assert set(SURFACES) == set(FORMULAS)
    for name, s in SURFACES.items():
        assert s.name == name
        (x0, x1), (y0, y1) = s.x_range, s.y_range
        assert x0 < x1 and y0 < y1
        for x, y in (s.start, *s.minima):
            assert x0 <= x <= x1 and y0 <= y <= y1, (name, x, y)


@pytest.mark.parametrize("name", list(FORMULAS))
def test_values_match_the_formula(name):
    s = SURFACES[name]
    gen = torch.Generator().manual_seed(0)
    for _ in range(5):
        u = torch.rand(2, generator=gen, dtype=torch.float64)
        x = s.x_range[0] + float(u[0]) * (s.x_range[1] - s.x_range[0])
        y = s.y_range[0] + float(u[1]) * (s.y_range[1] - s.y_range[0])
        value = s.f(torch.tensor([x, y], dtype=torch.float64))
        assert value.shape == ()
        assert_close(value, torch.tensor(FORMULAS[name](x, y), dtype=torch.float64))


@pytest.mark.parametrize("name", [n for n, s in SURFACES.items() if s.minima])
def test_known_minima_are_stationary_points(name):
    s = SURFACES[name]
    for m in s.minima:
        p = torch.tensor(m, dtype=torch.float64, requires_grad=True)
        s.f(p).backward()
        assert p.grad.abs().max() < 1e-4, (m, p.grad)
        hessian = torch.autograd.functional.hessian(s.f, p.detach())
        assert (torch.linalg.eigvalsh(hessian) > 0).all()  # a minimum, not a saddle


def test_saddle_is_a_saddle():
    hessian = torch.autograd.functional.hessian(SURFACES["Saddle"].f, torch.zeros(2, dtype=torch.float64))
    assert_close(torch.linalg.eigvalsh(hessian), torch.tensor([-2.0, 2.0], dtype=torch.float64))


@pytest.mark.parametrize("kappa, angle", [(1.0, 0.0), (10.0, 0.0), (25.0, 30.0), (4.0, -70.0)])
def test_bowl_has_condition_number_kappa_along_turned_axes(kappa, angle):
    s = quadratic_bowl(kappa, angle)
    hessian = torch.autograd.functional.hessian(s.f, torch.tensor([0.3, -0.2], dtype=torch.float64))
    eigenvalues, vectors = torch.linalg.eigh(hessian)
    assert_close(eigenvalues, torch.tensor([1.0, kappa], dtype=torch.float64))
    if kappa > 1:  # the steep direction v is the y axis turned by angle
        a = math.radians(angle)
        steep = torch.tensor([-math.sin(a), math.cos(a)], dtype=torch.float64)
        assert_close(vectors[:, 1].abs(), steep.abs())


def test_bowl_rejects_nonpositive_kappa():
    with pytest.raises(ValueError, match="κ"):
        quadratic_bowl(0.0)
    with pytest.raises(ValueError, match="noise"):
        noisy_bowl(-1.0)


@pytest.mark.parametrize("name", list(SURFACES))
def test_grid_values_are_f_at_each_grid_point(name):
    s = SURFACES[name]
    X, Y, Z = grid_values(s, 7)
    assert X.shape == Y.shape == Z.shape == (7, 7)
    assert_close(X[0], np.linspace(*s.x_range, 7))
    assert_close(Y[:, 0], np.linspace(*s.y_range, 7))
    for i in range(7):
        for j in range(7):
            assert_close(Z[i, j], FORMULAS[name](X[i, j], Y[i, j]))
    with pytest.raises(ValueError):
        grid_values(s, 1)


def test_noisy_surface_keeps_the_clean_value_and_adds_seeded_gradient_noise():
    s = SURFACES["Noisy bowl (σ=2)"]
    assert s.noise == 2.0
    point = torch.tensor([1.0, -0.5], dtype=torch.float64)

    def value_and_grad(generator):
        p = point.clone().requires_grad_(True)
        loss = s.loss(p, generator)
        loss.backward()
        return loss.detach(), p.grad

    clean = point.clone().requires_grad_(True)
    s.f(clean).backward()
    gen = torch.Generator().manual_seed(7)
    value, grad = value_and_grad(gen)
    xi = torch.randn(2, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    assert_close(value, s.f(point))  # the noise term is worth nothing
    assert_close(grad, clean.grad + 2.0 * xi)
    _, second = value_and_grad(gen)  # a fresh ξ on the next draw
    assert not torch.equal(second, grad)
    _, replay = value_and_grad(torch.Generator().manual_seed(7))
    assert_close(replay, grad)


def test_clean_surface_loss_is_f():
    s = SURFACES["Rosenbrock"]
    p = torch.tensor([0.5, 0.5], dtype=torch.float64)
    assert_close(s.loss(p), s.f(p))
    assert isinstance(s, Surface) and s.noise == 0.0
