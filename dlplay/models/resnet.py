"""The curriculum's ResidualBlock (chapter 11.1), a small CIFAR-style ResNet built from it, and its plain twin."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ResidualBlock(nn.Module):
    """Two 3×3 conv + batch-norm layers and a skip; ResidualBlock(in, out, stride) is the curriculum's block exactly.

    `shortcut=False` removes the skip (and its projection): the block's plain twin, relu(bn2(conv2(relu(bn1(conv1 x)))))."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int = 1,
        *,
        shortcut: bool = True,  # False: no skip connection at all, the "plain" block of He et al.'s comparison
        batch_norm: bool = True,  # False: nn.Identity where the curriculum has BatchNorm2d
    ):
        super().__init__()
        norm = nn.BatchNorm2d if batch_norm else _identity
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1)
        self.bn1 = norm(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1)
        self.bn2 = norm(out_channels)
        self.has_shortcut = shortcut

        self.shortcut: nn.Module | None = None
        if shortcut:
            self.shortcut = nn.Sequential()  # identity: x passes unchanged
            if stride != 1 or in_channels != out_channels:
                # a 1×1 projection matches the new shape; the plain twin has none, so it has fewer parameters here
                self.shortcut = nn.Sequential(
                    nn.Conv2d(in_channels, out_channels, 1, stride),
                    norm(out_channels),
                )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))  # (B, out, H/stride, W/stride)
        out = self.bn2(self.conv2(out))
        if self.shortcut is not None:
            out = out + self.shortcut(x)  # skip connection: the block learns a correction F(x) to x
        return F.relu(out)


def _identity(channels: int) -> nn.Module:
    """Stands in for BatchNorm2d(channels) when batch norm is off."""
    return nn.Identity()


class ResNet(nn.Module):
    """A CIFAR-style ResNet: a 3×3 stem, three stages of ResidualBlocks (widths w, 2w, 4w), pooling and a linear head.

    `blocks_per_stage` = n gives 6n + 2 weighted layers on the main path (He et al.'s ResNet-20 is n = 3 at width 16)."""

    def __init__(
        self,
        blocks_per_stage: int = 3,  # n: 6n + 2 layers deep
        width: int = 16,  # channels of the first stage; the next stages double it
        num_classes: int = 10,  # outputs of the linear head
        in_channels: int = 3,  # 3 for colour images, 1 for digits
        *,
        shortcut: bool = True,  # False builds the plain twin: the same layers, no skips
        batch_norm: bool = True,  # False drops every BatchNorm2d (then depth hurts plain nets much sooner)
        stages: int = 3,  # stages after the stem; each after the first halves the resolution and doubles the width
    ):
        super().__init__()
        if blocks_per_stage < 1 or width < 1 or stages < 1:
            raise ValueError(f"need blocks_per_stage, width and stages ≥ 1, got {blocks_per_stage}, {width}, {stages}")
        self.config = dict(blocks_per_stage=blocks_per_stage, width=width, num_classes=num_classes,
                           in_channels=in_channels, batch_norm=batch_norm, stages=stages)
        self.has_shortcut = shortcut
        self.stem = nn.Conv2d(in_channels, width, 3, 1, 1)
        self.stem_bn = nn.BatchNorm2d(width) if batch_norm else nn.Identity()
        blocks, channels = [], width
        for stage in range(stages):
            out_channels = width * 2**stage
            for i in range(blocks_per_stage):
                stride = 2 if stage > 0 and i == 0 else 1
                blocks.append(ResidualBlock(channels, out_channels, stride, shortcut=shortcut, batch_norm=batch_norm))
                channels = out_channels
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(channels, num_classes)

    @property
    def depth(self) -> int:
        """Weighted layers on the main path: the stem, two convs per block, the head (projections not counted)."""
        return 2 + 2 * len(self.blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.stem_bn(self.stem(x)))  # (B, w, H, W)
        h = self.blocks(h)  # (B, w·2^(stages−1), H/2^(stages−1), W/2^(stages−1))
        h = F.adaptive_avg_pool2d(h, 1).flatten(1)  # (B, C)
        return self.head(h)  # (B, num_classes)

    def main_layers(self) -> list[tuple[str, nn.Module]]:
        """(name, layer) of every weighted layer on the main path, input first: what the gradient bars show."""
        layers: list[tuple[str, nn.Module]] = [("stem", self.stem)]
        for i, block in enumerate(self.blocks):
            layers += [(f"block {i + 1}·conv1", block.conv1), (f"block {i + 1}·conv2", block.conv2)]
        return layers + [("head", self.head)]

    def plain_twin(self) -> ResNet:
        """The same network without skips, holding copies of this one's weights (projection shortcuts have no twin)."""
        twin = ResNet(**self.config, shortcut=False)
        own = {k: v for k, v in self.state_dict().items() if ".shortcut." not in k}
        twin.load_state_dict(own)  # strict: every layer of the twin gets this network's weights
        return twin.to(next(self.parameters()).device)


def parameter_count(model: nn.Module) -> int:
    """Trainable parameters of a model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
