"""The embedded backbone: a small CNN for 32×32 colour images, and the source and target tasks it transfers between."""

from __future__ import annotations

import torch
from torch import nn

from dlplay.data.colour_images import COLOUR_CLASSES, make_colour_images

# Two disjoint tasks, each mixing solid shapes and textures: the backbone learns edges, corners and periodic patterns
# on the source classes, and the target classes reuse them (a square is corners like the triangle's, horizontal
# stripes are vertical ones turned).
SOURCE_CLASSES = (0, 2, 4, 6, 8)  # disc, triangle, cross, vertical stripes, checkerboard
TARGET_CLASSES = (1, 3, 5, 7, 9)  # square, ring, horizontal stripes, diagonal stripes, dots


def class_names(classes: tuple[int, ...]) -> tuple[str, ...]:
    """The names of a task's classes, in label order."""
    return tuple(COLOUR_CLASSES[c] for c in classes)


def conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """3×3 convolution, batch norm, ReLU (the convolution has no bias: batch norm's β replaces it)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
    )


class ColourNet(nn.Module):
    """A small CNN with torchvision's ResNet interface: `features`, global average pooling, then `fc`, the head."""

    def __init__(self, num_classes: int = len(SOURCE_CLASSES), width: int = 16):
        super().__init__()
        self.width = width
        self.features = nn.Sequential(
            conv_block(3, width), nn.MaxPool2d(2),  # (B, w, 16, 16)
            conv_block(width, 2 * width), nn.MaxPool2d(2),  # (B, 2w, 8, 8)
            conv_block(2 * width, 4 * width), nn.MaxPool2d(2),  # (B, 4w, 4, 4)
            conv_block(4 * width, 4 * width),  # (B, 4w, 4, 4)
        )
        self.avgpool = nn.AdaptiveAvgPool2d(1)  # (B, 4w, 1, 1)
        self.fc = nn.Linear(4 * width, num_classes)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The backbone's features of images x (B, 3, H, W): what the head sees, (B, 4w)."""
        return torch.flatten(self.avgpool(self.features(x)), 1)  # (B, 4w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.embed(x))  # (B, num_classes)


def head_and_backbone(model: nn.Module) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
    """(head parameters, backbone parameters) of a model whose head is `model.fc`, ResNet-style."""
    head = list(model.fc.parameters())
    ids = {id(p) for p in head}
    return head, [p for p in model.parameters() if id(p) not in ids]


def task_images(classes: tuple[int, ...], n_per_class: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Colour images of the given classes only, relabelled 0..len(classes)−1: X (N, 3, 32, 32), y (N,)."""
    X, y = make_colour_images(n_per_class, seed=seed)  # every class, n_per_class each
    wanted = torch.tensor(classes)
    keep = torch.isin(y, wanted)
    relabel = torch.full((len(COLOUR_CLASSES),), -1, dtype=torch.int64)
    relabel[wanted] = torch.arange(len(classes))
    return X[keep], relabel[y[keep]]


def first_per_class(y: torch.Tensor, k: int, num_classes: int) -> torch.Tensor:
    """Indices of the first k samples of each class (in data order, so a larger k keeps the smaller k's samples)."""
    return torch.cat([torch.nonzero(y == c).flatten()[:k] for c in range(num_classes)])
