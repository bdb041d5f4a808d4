"""The curriculum's MLP (chapter 1.2), generalized in depth, activation, dropout and batch norm."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

ACTIVATION_MODULES = {
    "ReLU": nn.ReLU,
    "Tanh": nn.Tanh,
    "Sigmoid": nn.Sigmoid,
    "Leaky ReLU": nn.LeakyReLU,
    "ELU": nn.ELU,
    "GELU": nn.GELU,
    "SiLU": nn.SiLU,
    "Softplus": nn.Softplus,
    "Linear": nn.Identity,
}


def make_activation(name: str) -> nn.Module:
    """A fresh activation module by display name."""
    try:
        return ACTIVATION_MODULES[name]()
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATION_MODULES)}") from None


class MLP(nn.Module):
    """Linear → activation blocks then a linear output; MLP(784, 256, 10) is the curriculum's model exactly."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        *,
        hidden_sizes: Sequence[int] | None = None,  # one width per hidden layer; None = the curriculum's two of hidden_size
        activation: str = "ReLU",  # a key of ACTIVATION_MODULES
        dropout: float = 0.0,  # dropout rate after each hidden activation (0 = none, as in 1.2)
        batch_norm: bool = False,  # BatchNorm1d after each hidden activation, as in chapter 7.2
    ):
        super().__init__()
        widths = list(hidden_sizes) if hidden_sizes is not None else [hidden_size, hidden_size]
        layers: list[nn.Module] = []
        previous = input_size
        for width in widths:
            layers += [nn.Linear(previous, width), make_activation(activation)]
            if batch_norm:
                layers.append(nn.BatchNorm1d(width))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            previous = width
        layers.append(nn.Linear(previous, output_size))
        self.layers = nn.Sequential(*layers)
        self.hidden_widths = tuple(widths)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x.flatten(1))  # (B, ...) → (B, input_size) → (B, output_size)

    def hidden_activations(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Each hidden layer's output after its activation, (B, width) per layer: what the lessons plot."""
        outputs = []
        h = x.flatten(1)  # (B, input_size)
        for module in self.layers:
            h = module(h)
            if isinstance(module, tuple(ACTIVATION_MODULES.values())):
                outputs.append(h)
        return outputs

    def linear_layers(self) -> list[nn.Linear]:
        """The Linear layers in order, the output layer last."""
        return [m for m in self.layers if isinstance(m, nn.Linear)]
