"""TensorFlow-Playground-style 2D data sets for classification and regression."""

from __future__ import annotations

import math

import torch

CLASSIFICATION_SETS = ("circle", "xor", "gaussians", "spiral", "moons")
REGRESSION_SETS = ("plane", "multi-gaussian")

# Half-width of the square the points live in, as in TF Playground.
_RADIUS = 5.0


def _uniform(gen: torch.Generator, n: int, low: float, high: float) -> torch.Tensor:
    """n samples of U(low, high)."""
    return low + (high - low) * torch.rand(n, generator=gen)


def _check_args(name: str, valid: tuple[str, ...], n_samples: int, noise: float) -> None:
    """Raise ValueError for an unknown name, too few samples or a noise outside [0, 1]."""
    if name not in valid:
        raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(valid)}")
    if n_samples < 2:
        raise ValueError(f"n_samples must be at least 2, got {n_samples}")
    if not 0.0 <= noise <= 1.0:
        raise ValueError(f"noise must be between 0 and 1, got {noise}")


def _circle(gen: torch.Generator, n: int, noise: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Class 1 inside radius 2.5, class 0 in the ring 3.5–5; noise flips labels near the border."""
    n_in = n // 2
    r = torch.cat([_uniform(gen, n_in, 0.0, 0.5 * _RADIUS), _uniform(gen, n - n_in, 0.7 * _RADIUS, _RADIUS)])
    angle = _uniform(gen, n, 0.0, 2 * math.pi)
    X = torch.stack([r * torch.sin(angle), r * torch.cos(angle)], dim=1)  # (N, 2)
    # As in TF Playground: the point stays, its label is read at a jittered position.
    jitter = (torch.rand(n, 2, generator=gen) * 2 - 1) * _RADIUS * noise
    y = ((X + jitter).norm(dim=1) < 0.5 * _RADIUS).long()
    return X, y


def _xor(gen: torch.Generator, n: int, noise: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Class 1 where x·y ≥ 0 (quadrants I and III), with a 0.3 gap along the axes."""
    X = _uniform(gen, 2 * n, -_RADIUS, _RADIUS).reshape(n, 2)  # (N, 2)
    X = X + 0.3 * torch.where(X > 0, 1.0, -1.0)
    jitter = (torch.rand(n, 2, generator=gen) * 2 - 1) * _RADIUS * noise
    Xj = X + jitter
    y = (Xj[:, 0] * Xj[:, 1] >= 0).long()
    return X, y


def _gaussians(gen: torch.Generator, n: int, noise: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Two Gaussian blobs at (2, 2) (class 1) and (−2, −2) (class 0); noise widens them."""
    # TF Playground maps noise 0 → variance 0.5 and noise 0.5 → variance 4.
    variance = 0.5 + noise * (4.0 - 0.5) / 0.5
    n_pos = n // 2
    y = torch.cat([torch.ones(n_pos), torch.zeros(n - n_pos)]).long()
    centers = torch.where(y[:, None] == 1, 2.0, -2.0)  # (N, 1)
    X = centers + math.sqrt(variance) * torch.randn(n, 2, generator=gen)  # (N, 2)
    return X, y


def _spiral(gen: torch.Generator, n: int, noise: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Two interleaved spiral arms of 1.5 turns each, the second rotated by π."""
    n_pos = n // 2
    y = torch.cat([torch.ones(n_pos), torch.zeros(n - n_pos)]).long()
    # Position along the arm, stratified (one point per equal stretch, as TF Playground's i / n):
    # purely uniform draws leave gaps along the arms that the test half then falls into.
    u = torch.cat([(torch.arange(m) + torch.rand(m, generator=gen)) / m for m in (n_pos, n - n_pos)])
    r = u * _RADIUS
    t = 1.5 * u * 2 * math.pi + math.pi * (1 - y)  # 1.5 turns (TF: 1.75): arms 1.7 apart, learnable by a small MLP
    X = torch.stack([r * torch.sin(t), r * torch.cos(t)], dim=1)  # (N, 2)
    X = X + (torch.rand(n, 2, generator=gen) * 2 - 1) * noise
    return X, y


def _moons(gen: torch.Generator, n: int, noise: float) -> tuple[torch.Tensor, torch.Tensor]:
    """sklearn's two moons, centred and scaled by 3 to fill the playground square."""
    n_pos = n // 2
    y = torch.cat([torch.ones(n_pos), torch.zeros(n - n_pos)]).long()
    t = torch.rand(n, generator=gen) * math.pi
    # Upper moon (cos t, sin t) for class 1; lower moon (1 − cos t, 1 − sin t − 0.5) for class 0.
    upper = torch.stack([torch.cos(t), torch.sin(t)], dim=1)  # (N, 2)
    lower = torch.stack([1 - torch.cos(t), 0.5 - torch.sin(t)], dim=1)  # (N, 2)
    X = torch.where(y[:, None] == 1, upper, lower)
    X = X + 0.5 * noise * torch.randn(n, 2, generator=gen)  # noise 0.5 → σ 0.25 in moon units
    X = 3.0 * (X - torch.tensor([0.5, 0.25]))
    return X, y


def _plane(gen: torch.Generator, n: int, noise: float) -> tuple[torch.Tensor, torch.Tensor]:
    """y = (x₁ + x₂) / 10 on the square [−6, 6]², read at a jittered position."""
    X = _uniform(gen, 2 * n, -6.0, 6.0).reshape(n, 2)  # (N, 2)
    Xj = X + (torch.rand(n, 2, generator=gen) * 2 - 1) * 6.0 * noise
    y = Xj.sum(dim=1) / 10.0
    return X, y


# (centre x, centre y, sign) of TF Playground's six bumps.
_BUMPS = torch.tensor([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]])


def _multi_gaussian(gen: torch.Generator, n: int, noise: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Six signed bumps; y is the bump value largest in magnitude, 1 − dist/2 clamped to [0, 1]."""
    X = _uniform(gen, 2 * n, -6.0, 6.0).reshape(n, 2)  # (N, 2)
    Xj = X + (torch.rand(n, 2, generator=gen) * 2 - 1) * 6.0 * noise
    dist = torch.cdist(Xj, _BUMPS[:, :2].float())  # (N, 6)
    values = (1 - dist / 2).clamp(0, 1) * _BUMPS[:, 2]  # (N, 6)
    pick = values.abs().argmax(dim=1, keepdim=True)  # (N, 1)
    y = values.gather(1, pick).squeeze(1)  # (N,)
    return X, y


_CLASSIFIERS = {"circle": _circle, "xor": _xor, "gaussians": _gaussians, "spiral": _spiral, "moons": _moons}
_REGRESSORS = {"plane": _plane, "multi-gaussian": _multi_gaussian}


def make_classification(
    name: str, n_samples: int = 400, noise: float = 0.0, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """X float32 (N, 2) and labels y int64 (N,) in {0, 1} of the named set."""
    _check_args(name, CLASSIFICATION_SETS, n_samples, noise)
    gen = torch.Generator().manual_seed(seed)
    X, y = _CLASSIFIERS[name](gen, n_samples, noise)
    return X.float(), y.long()


def make_regression(
    name: str, n_samples: int = 400, noise: float = 0.0, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """X float32 (N, 2) and targets y float32 (N,) of the named regression set."""
    _check_args(name, REGRESSION_SETS, n_samples, noise)
    gen = torch.Generator().manual_seed(seed)
    X, y = _REGRESSORS[name](gen, n_samples, noise)
    return X.float(), y.float()


def train_test_split(
    X: torch.Tensor, y: torch.Tensor, test_fraction: float = 0.5, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(X_train, y_train, X_test, y_test) from a seeded permutation, at least one sample on each side."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be strictly between 0 and 1, got {test_fraction}")
    n = len(X)
    if n < 2 or len(y) != n:
        raise ValueError(f"need at least 2 samples and as many labels as samples, got {n} and {len(y)}")
    n_test = min(max(round(n * test_fraction), 1), n - 1)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    test, train = order[:n_test], order[n_test:]
    return X[train], y[train], X[test], y[test]
