"""CNN against an MLP of about the same size on the same images, and how each copes with shifted test images."""

from __future__ import annotations

import math

import torch
from torch import nn

from dlplay.data.torchvision_sets import ImageData
from dlplay.lessons.cnn.images import shift
from dlplay.lessons.cnn.lab import LabConfig, build_model, build_run
from dlplay.models.init import seeded_init_
from dlplay.models.mlp import MLP
from dlplay.training.race import RunGroup

MAX_SHIFT = 6  # the shift test moves test images by 0 … 6 pixels
DIRECTIONS = ((1, 0), (-1, 0), (0, 1), (0, -1))  # right, left, down, up: each shift is tried in all four
SHIFT_SAMPLES = 500  # test images per shift (× 4 directions): enough for a smooth curve, cheap to compute


def parameter_count(model: nn.Module) -> int:
    """Trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def matching_hidden_size(target: int, input_size: int, num_classes: int) -> int:
    """The hidden size h of a two-hidden-layer MLP(input_size, h, num_classes) with about `target` parameters.

    Its count is in·h + h + h·h + h + h·out + out: solve h² + (in + out + 2)·h + out − target = 0 for h > 0."""
    b = input_size + num_classes + 2
    c = num_classes - target
    h = (-b + math.sqrt(b * b - 4 * c)) / 2
    return max(1, round(h))


def build_mlp(config: LabConfig, data: ImageData, target: int) -> MLP:
    """The curriculum's MLP on flattened images, sized to about `target` parameters, seeded like the CNN."""
    input_size = data.X_train[0].numel()
    hidden = matching_hidden_size(target, input_size, len(data.classes))
    return seeded_init_(MLP(input_size, hidden, len(data.classes)), config.seed)


def build_race(config: LabConfig, data: ImageData, device: torch.device | str = "cpu") -> RunGroup:
    """A CNN and an MLP with about as many parameters, on the same images, batches and optimizer."""
    cnn = build_model(config, data)
    mlp = build_mlp(config, data, parameter_count(cnn))
    return RunGroup({"CNN": build_run(config, data, device, cnn), "MLP": build_run(config, data, device, mlp)})


def shift_accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor, max_shift: int = MAX_SHIFT) -> list[float]:
    """Accuracy on X shifted by 0 … max_shift pixels, each shift averaged over the four directions."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    accuracies = []
    with torch.inference_mode():
        for pixels in range(max_shift + 1):
            correct = 0
            directions = DIRECTIONS if pixels else DIRECTIONS[:1]
            for dx, dy in directions:
                moved = shift(X, dx * pixels, dy * pixels).to(device)  # (N, C, H, W)
                correct += int((model(moved).argmax(dim=1).cpu() == y).sum())
            accuracies.append(correct / (len(y) * len(directions)))
    model.train(was_training)
    return accuracies
