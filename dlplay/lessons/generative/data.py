"""Digit images for the generative models: synthetic digits (centred as MNIST's are), MNIST or FashionMNIST."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from dlplay.data.torchvision_sets import IMAGE_DATASETS, load_image_data

DATASETS = IMAGE_DATASETS[:3]  # synthetic digits, MNIST, FashionMNIST: 28×28 gray, what the curriculum's 784 expects
N_TEST = 1000  # held-out images: the latent scatter, the kNN measure, interpolation ends


@dataclass(frozen=True)
class GenData:
    """Flattened images in [0, 1] for the generative models, with test labels and what was loaded."""

    X_train: torch.Tensor  # (N, 784)
    X_test: torch.Tensor  # (M, 784)
    y_test: torch.Tensor  # (M,) int64
    classes: tuple[str, ...]
    name: str  # the data set actually loaded
    message: str = ""  # why another set was loaded, or ""


def centre_of_mass(X: torch.Tensor) -> torch.Tensor:
    """Images (N, 1, H, W) shifted so their ink's centre of mass sits at the image centre, as MNIST's digits are.

    Why: the synthetic digits are drawn up to ±2 px off centre, and a shift moves more pixels than the digit's identity
    does — a 2D latent code then spends itself on where the digit sits instead of which digit it is."""
    n, _, h, w = X.shape
    ink = X[:, 0]  # (N, H, W)
    total = ink.sum(dim=(1, 2)).clamp_min(1e-6)  # (N,)
    cy = (ink.sum(dim=2) * torch.arange(h, dtype=X.dtype)).sum(dim=1) / total  # (N,) row of the centre of mass
    cx = (ink.sum(dim=1) * torch.arange(w, dtype=X.dtype)).sum(dim=1) / total  # (N,) column
    theta = torch.zeros(n, 2, 3, dtype=X.dtype)  # (N, 2, 3) pure translations in affine_grid's [−1, 1] units
    theta[:, 0, 0] = theta[:, 1, 1] = 1
    theta[:, 0, 2] = (cx - (w - 1) / 2) * 2 / w
    theta[:, 1, 2] = (cy - (h - 1) / 2) * 2 / h
    grid = F.affine_grid(theta, list(X.shape), align_corners=False)  # (N, H, W, 2)
    return F.grid_sample(X, grid, align_corners=False, padding_mode="zeros")  # (N, 1, H, W)


def missing_message(name: str, root: Path | None = None) -> str:
    """Why a real data set cannot be read from disk ('' when it can, or for the synthetic digits); downloads nothing."""
    if name == DATASETS[0]:
        return ""
    return load_image_data(name, root=root, download=False, max_train=1, max_test=1).message


def load_gen_data(name: str, n_train: int, seed: int = 0, root: Path | None = None, download: bool = False) -> GenData:
    """n_train training and N_TEST test images of the named set (synthetic digits with a message when it is missing)."""
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}")
    data = load_image_data(name, root=root, download=download, max_train=n_train, max_test=N_TEST, seed=seed)
    X_train, X_test = data.X_train, data.X_test
    if data.name == DATASETS[0]:
        X_train, X_test = centre_of_mass(X_train), centre_of_mass(X_test)
    return GenData(X_train.flatten(1).contiguous(), X_test.flatten(1).contiguous(), data.y_test, data.classes, data.name,
                   data.message)
