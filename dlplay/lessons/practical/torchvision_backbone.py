"""torchvision's resnet18 with ImageNet weights: loaded from torch's cache, downloaded when allowed, else a plain message."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)  # the normalization resnet18's ImageNet weights expect
IMAGENET_STD = (0.229, 0.224, 0.225)


def resnet18_weights_file() -> Path:
    """Where torch.hub keeps resnet18's ImageNet weights ($TORCH_HOME/hub/checkpoints/…)."""
    from torchvision.models import ResNet18_Weights

    return Path(torch.hub.get_dir()) / "checkpoints" / Path(ResNet18_Weights.DEFAULT.url).name


def pretrained_resnet18(download: bool = False) -> tuple[nn.Module | None, str]:
    """(resnet18 with ImageNet weights, "") when they are cached or downloadable; (None, why not) otherwise."""
    from torchvision.models import ResNet18_Weights, resnet18

    path = resnet18_weights_file()
    if not path.is_file() and not download:
        return None, (f"resnet18's ImageNet weights are not in torch's cache ({path}). Downloading them needs the "
                      "network (≈ 45 MB); the embedded backbone works offline.")
    try:
        if not path.is_file():
            _reachable(ResNet18_Weights.DEFAULT.url)
        model = resnet18(weights=ResNet18_Weights.DEFAULT)  # reads the cache, or downloads into it
    except Exception as error:  # noqa: BLE001 — no network, a damaged file…: said plainly, the page goes on
        reason = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
        return None, (f"Could not load resnet18's ImageNet weights ({type(error).__name__}: {reason}). "
                      "The embedded backbone works offline.")
    return model.eval(), ""


def _reachable(url: str, timeout: float = 5.0) -> None:
    """Raise (URLError, TimeoutError) unless the download server answers within `timeout` seconds.

    Why: torch.hub downloads without a timeout, so behind a firewall that drops packets the page would hang."""
    import urllib.request

    with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout):
        pass


def imagenet_normalize(X: torch.Tensor) -> torch.Tensor:
    """Images in [0, 1] (N, 3, H, W) normalized as the ImageNet weights expect."""
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (X - mean) / std  # (N, 3, H, W)


def scratch_resnet18(num_classes: int) -> nn.Module:
    """resnet18 without pretrained weights (the race's from-scratch way)."""
    from torchvision.models import resnet18

    return resnet18(weights=None, num_classes=num_classes)
