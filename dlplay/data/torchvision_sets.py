"""Image data sets: real ones through torchvision, synthetic digits when those cannot be had."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from dlplay.data.digits import DIGIT_CLASSES, make_digits

IMAGE_DATASETS = ("Synthetic digits", "MNIST", "FashionMNIST", "CIFAR-10")

_SYNTHETIC_TRAIN = 6000  # synthetic digits drawn for training when max_train is None
_SYNTHETIC_TEST = 1000  # and for testing when max_test is None


def data_dir() -> Path:
    """The folder real data sets live in: $DLPLAY_DATA_DIR, else ~/.cache/dlplay/data."""
    env = os.environ.get("DLPLAY_DATA_DIR", "").strip()
    return Path(env).expanduser() if env else Path.home() / ".cache" / "dlplay" / "data"


@dataclass
class ImageData:
    """Train and test images (N, C, H, W) in [0, 1] with int64 labels, and what was loaded."""

    X_train: torch.Tensor  # float32 (N, C, H, W) in [0, 1]
    y_train: torch.Tensor  # int64 (N,)
    X_test: torch.Tensor  # float32 (M, C, H, W) in [0, 1]
    y_test: torch.Tensor  # int64 (M,)
    classes: tuple[str, ...]  # class names, indexed by label
    name: str  # the data set actually loaded, one of IMAGE_DATASETS
    message: str = ""  # "" when the requested set loaded, else a sentence saying what happened


def _subsample(X: torch.Tensor, y: torch.Tensor, limit: int | None, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """At most limit samples chosen by a seeded permutation (all of them when limit is None)."""
    if limit is None or limit >= len(X):
        return X, y
    keep = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))[: max(limit, 1)]
    return X[keep], y[keep]


def _to_tensors(dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """A torchvision data set's whole .data/.targets as float images (N, C, H, W) in [0, 1] and int64 labels."""
    data = dataset.data
    if isinstance(data, np.ndarray):  # CIFAR keeps uint8 (N, H, W, C) in numpy
        X = torch.from_numpy(data).permute(0, 3, 1, 2)  # (N, C, H, W)
    else:  # MNIST and FashionMNIST keep uint8 (N, H, W) tensors
        X = data.unsqueeze(1)  # (N, 1, H, W)
    y = torch.as_tensor(dataset.targets, dtype=torch.int64)
    return X.float().div_(255.0).contiguous(), y


def _load_real(name: str, root: Path, download: bool) -> tuple[tuple[torch.Tensor, ...], tuple[str, ...]]:
    """(X_train, y_train, X_test, y_test) and class names of a torchvision data set; raises on any failure."""
    import torchvision.datasets as tvd  # imported here: only the real data sets need it

    cls = {"MNIST": tvd.MNIST, "FashionMNIST": tvd.FashionMNIST, "CIFAR-10": tvd.CIFAR10}[name]
    train = cls(root=str(root), train=True, download=download)
    test = cls(root=str(root), train=False, download=download)
    return (*_to_tensors(train), *_to_tensors(test)), tuple(train.classes)


def _synthetic(max_train: int | None, max_test: int | None, seed: int, message: str) -> ImageData:
    """Synthetic digits, split into train and test, carrying message."""
    n_train = _SYNTHETIC_TRAIN if max_train is None else max(max_train, 1)
    n_test = _SYNTHETIC_TEST if max_test is None else max(max_test, 1)
    X, y = make_digits(n_train + n_test, seed=seed)
    return ImageData(X[:n_train], y[:n_train], X[n_train:], y[n_train:], DIGIT_CLASSES, IMAGE_DATASETS[0], message)


def _failure_message(name: str, root: Path, download: bool, error: Exception) -> str:
    """A plain sentence saying why a real data set did not load."""
    fallback = "using synthetic digits instead."
    missing = isinstance(error, RuntimeError) and "not found" in str(error).lower()
    if missing and not download:
        return f"{name} is not in {root} and downloading is off — {fallback}"
    if download and ("download" in str(error).lower() or isinstance(error, OSError)):
        return f"Could not download {name} (no network?) — {fallback}"
    detail = str(error).strip().splitlines()[0][:120] if str(error).strip() else ""
    reason = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    return f"Could not read {name} in {root}; the files may be damaged ({reason}) — {fallback}"


def load_image_data(
    name: str,
    root: Path | None = None,
    download: bool = True,
    max_train: int | None = None,
    max_test: int | None = None,
    seed: int = 0,
) -> ImageData:
    """The named image data set, subsampled to max_train/max_test; synthetic digits with a message if it fails."""
    if name not in IMAGE_DATASETS:
        raise ValueError(f"unknown image data set {name!r}; choose one of {', '.join(IMAGE_DATASETS)}")
    if name == IMAGE_DATASETS[0]:
        return _synthetic(max_train, max_test, seed, "")
    root = Path(root) if root is not None else data_dir()
    try:
        (X_train, y_train, X_test, y_test), classes = _load_real(name, root, download)
    except Exception as error:  # noqa: BLE001 — any failure to get real data falls back to synthetic digits
        return _synthetic(max_train, max_test, seed, _failure_message(name, root, download, error))
    X_train, y_train = _subsample(X_train, y_train, max_train, seed)
    X_test, y_test = _subsample(X_test, y_test, max_test, seed + 1)
    return ImageData(X_train, y_train, X_test, y_test, classes, name, "")
