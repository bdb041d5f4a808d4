"""The curriculum's CNN (chapter 5.2), generalized in input, widths, dropout and batch norm; it keeps its feature maps."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def pooled_size(image_size: int, blocks: int) -> int:
    """Side of the feature maps after `blocks` conv blocks: each keeps the size (padding 1) and MaxPool2d(2) halves it."""
    side = image_size
    for _ in range(blocks):
        side //= 2  # MaxPool2d(2) floors: 28 → 14 → 7 → 3
    return side


class CNN(nn.Module):
    """Conv → ReLU → MaxPool blocks, then Flatten → Linear → ReLU → Dropout → Linear; CNN() is the curriculum's model."""

    def __init__(
        self,
        num_classes: int = 10,
        *,
        in_channels: int = 3,  # 3 for colour images (the curriculum's), 1 for digits
        image_size: int = 32,  # input side in pixels: 32 gives the curriculum's 128 * 4 * 4 flatten, 28 for digits
        widths: Sequence[int] = (32, 64, 128),  # output channels of each conv block
        hidden_size: int = 256,  # units of the fully connected hidden layer
        dropout: float = 0.5,  # nn.Dropout rate before the output layer (0 keeps the module, a no-op)
        batch_norm: bool = False,  # nn.BatchNorm2d after each convolution, before its ReLU (chapter 7.2)
        kernel_size: int = 3,  # conv kernel side; padding keeps the size for odd kernels
    ):
        super().__init__()
        if not widths:
            raise ValueError("a CNN needs at least one conv block")
        side = pooled_size(image_size, len(widths))
        if side < 1:
            raise ValueError(f"{len(widths)} pooling blocks shrink a {image_size}-pixel image to nothing")
        layers: list[nn.Module] = []
        previous = in_channels
        for width in widths:
            layers.append(nn.Conv2d(previous, width, kernel_size=kernel_size, padding=kernel_size // 2))
            if batch_norm:
                layers.append(nn.BatchNorm2d(width))
            layers += [nn.ReLU(), nn.MaxPool2d(2)]
            previous = width
        self.conv_layers = nn.Sequential(*layers)
        self.fc_layers = nn.Sequential(
            nn.Flatten(),  # (B, C, s, s) → (B, C·s·s)
            nn.Linear(previous * side * side, hidden_size),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden_size, num_classes),
        )
        self.in_channels, self.image_size, self.widths = in_channels, image_size, tuple(widths)
        # What the lessons plot, for the last batch the model saw (detached, so keeping them costs no memory of the graph):
        self.feature_maps: list[torch.Tensor] = []  # each block's ReLU output (B, C_k, H_k, W_k), before pooling
        self.block_outputs: list[torch.Tensor] = []  # each block's pooled output (B, C_k, H_k/2, W_k/2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feature_maps, block_outputs = [], []
        for layer in self.conv_layers:
            x = layer(x)  # (B, C, H, W) at every stage
            if isinstance(layer, nn.ReLU):
                feature_maps.append(x.detach())
            elif isinstance(layer, nn.MaxPool2d):
                block_outputs.append(x.detach())
        self.feature_maps, self.block_outputs = feature_maps, block_outputs
        return self.fc_layers(x)  # (B, num_classes)

    def conv_modules(self) -> list[nn.Conv2d]:
        """The Conv2d layers in order; the first one's weights are the learned kernels a page draws."""
        return [m for m in self.conv_layers if isinstance(m, nn.Conv2d)]
