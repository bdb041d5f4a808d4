"""TensorFlow-Playground input features of 2D points (x₁, x₂, x₁², …, sin x₂) and their standardization."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

# Display name → the feature of a point, computed from the raw coordinates (x₁, x₂) as TF Playground does.
_FEATURE_FNS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "x₁": lambda x1, x2: x1,
    "x₂": lambda x1, x2: x2,
    "x₁²": lambda x1, x2: x1**2,
    "x₂²": lambda x1, x2: x2**2,
    "x₁x₂": lambda x1, x2: x1 * x2,
    "sin x₁": lambda x1, x2: torch.sin(x1),
    "sin x₂": lambda x1, x2: torch.sin(x2),
}
FEATURES = tuple(_FEATURE_FNS)  # every feature a user can feed the network, in TF Playground's order
FEATURE_CODE = {  # the same features as PyTorch expressions of X (N, 2), for the code panel
    "x₁": "X[:, 0]", "x₂": "X[:, 1]", "x₁²": "X[:, 0] ** 2", "x₂²": "X[:, 1] ** 2", "x₁x₂": "X[:, 0] * X[:, 1]",
    "sin x₁": "torch.sin(X[:, 0])", "sin x₂": "torch.sin(X[:, 1])",
}


def _check_names(names: Sequence[str]) -> None:
    """Raise ValueError for an empty selection or an unknown feature name."""
    if not names:
        raise ValueError("select at least one input feature")
    unknown = [n for n in names if n not in _FEATURE_FNS]
    if unknown:
        raise ValueError(f"unknown feature(s) {', '.join(map(repr, unknown))}; choose from {', '.join(FEATURES)}")


def make_features(X: torch.Tensor, names: Sequence[str]) -> torch.Tensor:
    """The chosen features of points X (N, 2), one column per name in the given order: (N, F)."""
    _check_names(names)
    X = torch.as_tensor(X, dtype=torch.float32)
    x1, x2 = X[:, 0], X[:, 1]  # (N,) each
    return torch.stack([_FEATURE_FNS[n](x1, x2) for n in names], dim=1)  # (N, F)


@dataclass
class FeatureTransform:
    """Raw points → chosen features → standardized with the training set's mean and std (as sklearn's StandardScaler).

    Why standardize: the toy coordinates span about [−6, 6], so x₁² reaches 36 while sin x₁ stays within ±1.
    Fed raw (as TF Playground does) the squares saturate tanh units at PyTorch's default init and the sines are
    nearly ignored; scaled to mean 0 and std 1, every feature starts on an equal footing and training is faster.
    """

    names: tuple[str, ...]  # the selected features, in column order
    mean: torch.Tensor  # (F,) training-set mean of each feature
    std: torch.Tensor  # (F,) training-set std of each feature (1 where a feature is constant)

    @classmethod
    def fit(cls, X_train: torch.Tensor, names: Sequence[str]) -> FeatureTransform:
        """Learn the mean and std of each chosen feature on the training points."""
        F = make_features(X_train, names)  # (N, F)
        std = F.std(dim=0, unbiased=False) if len(F) > 1 else torch.ones(F.shape[1])
        std = torch.where(std > 1e-8, std, torch.ones_like(std))  # a constant feature is left unscaled
        return cls(tuple(names), F.mean(dim=0), std)

    def raw(self, X: torch.Tensor) -> torch.Tensor:
        """The chosen features of X before scaling: (N, F)."""
        return make_features(X, self.names)

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        """Standardized features (f − mean) / std of points X (N, 2): (N, F)."""
        return (self.raw(X) - self.mean) / self.std

    @property
    def size(self) -> int:
        """F, the network's input size."""
        return len(self.names)
