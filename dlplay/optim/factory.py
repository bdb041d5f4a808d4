"""Build a torch.optim optimizer from a name and a few numbers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch

# Display name → what builds it. Momentum and Nesterov are SGD with a velocity term.
OPTIMIZERS = ("SGD", "Momentum", "Nesterov", "RMSProp", "Adagrad", "Adam", "AdamW")


@dataclass
class OptimizerConfig:
    """What a user can set of an optimizer."""

    name: str = "Adam"  # one of OPTIMIZERS
    lr: float = 1e-3  # step size α
    momentum: float = 0.9  # β of Momentum / Nesterov, α of RMSProp's moving average
    beta1: float = 0.9  # Adam's first-moment decay
    beta2: float = 0.999  # Adam's second-moment decay
    weight_decay: float = 0.0  # L2 penalty (decoupled for AdamW)


def make_optimizer(params: Iterable[torch.Tensor], config: OptimizerConfig) -> torch.optim.Optimizer:
    """The real torch.optim class for config.name, configured from config."""
    name, lr, wd = config.name, config.lr, config.weight_decay
    if name == "SGD":
        return torch.optim.SGD(params, lr=lr, weight_decay=wd)
    if name == "Momentum":
        return torch.optim.SGD(params, lr=lr, momentum=config.momentum, weight_decay=wd)
    if name == "Nesterov":
        return torch.optim.SGD(params, lr=lr, momentum=config.momentum, nesterov=True, weight_decay=wd)
    if name == "RMSProp":
        return torch.optim.RMSprop(params, lr=lr, alpha=config.momentum, weight_decay=wd)
    if name == "Adagrad":
        return torch.optim.Adagrad(params, lr=lr, weight_decay=wd)
    if name == "Adam":
        return torch.optim.Adam(params, lr=lr, betas=(config.beta1, config.beta2), weight_decay=wd)
    if name == "AdamW":
        return torch.optim.AdamW(params, lr=lr, betas=(config.beta1, config.beta2), weight_decay=wd)
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
