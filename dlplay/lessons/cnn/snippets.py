"""The PyTorch code the page shows for its current settings."""

from __future__ import annotations

import torch

from dlplay.lessons.cnn.convolution import ConvSettings
from dlplay.lessons.cnn.lab import LabConfig

CURRICULUM_CNN = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class CNN(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()

        # Convolutional layers
        self.conv_layers = nn.Sequential(
            nn.Conv2d(3, 32, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),

            nn.Conv2d(32, 64, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),

            nn.Conv2d(64, 128, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2)
        )

        # Fully connected layers
        self.fc_layers = nn.Sequential(
            nn.Flatten(),
            nn.Linear(128 * 4 * 4, 256),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(256, num_classes)
        )

    def forward(self, x):
        x = self.conv_layers(x)
        x = self.fc_layers(x)
        return x
'''


def convolution_code(kernel: torch.Tensor, settings: ConvSettings, bias: float) -> str:
    """F.conv2d with this kernel (C, k, k), bias and settings, and one output cell written out as the page steps it."""
    channels, k = kernel.shape[0], kernel.shape[-1]
    slices = ",\n".join(
        "    [" + ",\n     ".join("[" + ", ".join(f"{float(v):.4g}" for v in row) + "]" for row in kernel[c]) + "]"
        for c in range(channels))
    s, p, d = settings.stride, settings.padding, settings.dilation
    return f'''
import torch
import torch.nn.functional as F

x = image[None]                                  # (1, {channels}, H, W): a batch of one image
weight = torch.tensor([
{slices}
])[None]                                         # (out=1, in={channels}, {k}, {k}): one {k}×{k} slice per channel
bias = torch.tensor([{bias:g}])
out = F.conv2d(x, weight, bias, stride={s}, padding={p}, dilation={d})  # (1, 1, H_out, W_out)

# One output cell, written out: the window's taps times the kernel, summed over channels and taps, plus the bias.
i, j = 0, 0
x_pad = F.pad(x, ({p}, {p}, {p}, {p}))               # zeros around the image
window = x_pad[0, :, i * {s} : i * {s} + {d} * ({k} - 1) + 1 : {d}, j * {s} : j * {s} + {d} * ({k} - 1) + 1 : {d}]  # ({channels}, {k}, {k})
assert torch.isclose((window * weight[0]).sum() + bias[0], out[0, 0, i, j], atol=1e-5)
'''


def lab_code(config: LabConfig, channels: int, size: int, num_classes: int) -> str:
    """The model and the training loop of the lab, for its current settings."""
    widths = config.widths
    layers = []
    previous = channels
    for width in widths:
        layers.append(f"    nn.Conv2d({previous}, {width}, kernel_size=3, padding=1),")
        if config.batch_norm:
            layers.append(f"    nn.BatchNorm2d({width}),")
        layers += ["    nn.ReLU(),", "    nn.MaxPool2d(2),"]
        previous = width
    side = size
    for _ in widths:
        side //= 2
    conv = "\n".join(layers)
    return f'''
import torch
import torch.nn as nn
import torch.nn.functional as F

# The curriculum's CNN with this page's settings ({channels}×{size}×{size} images, {num_classes} classes)
model = nn.Sequential(
{conv}
    nn.Flatten(),                                   # (B, {previous}, {side}, {side}) → (B, {previous * side * side})
    nn.Linear({previous} * {side} * {side}, {config.hidden_size}),
    nn.ReLU(),
    nn.Dropout({config.dropout:g}),
    nn.Linear({config.hidden_size}, {num_classes}),
)
optimizer = torch.optim.{_optimizer_call(config)}

for epoch in range({config.epochs}):
    model.train()
    for X, y in train_loader:                      # batches of {config.batch_size} images
        loss = F.cross_entropy(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
'''


def _optimizer_call(config: LabConfig) -> str:
    name, lr = config.optimizer, f"{config.lr:g}"
    calls = {
        "SGD": f"SGD(model.parameters(), lr={lr})",
        "Momentum": f"SGD(model.parameters(), lr={lr}, momentum=0.9)",
        "Nesterov": f"SGD(model.parameters(), lr={lr}, momentum=0.9, nesterov=True)",
        "RMSProp": f"RMSprop(model.parameters(), lr={lr}, alpha=0.9)",
        "Adagrad": f"Adagrad(model.parameters(), lr={lr})",
        "Adam": f"Adam(model.parameters(), lr={lr})",
        "AdamW": f"AdamW(model.parameters(), lr={lr})",
    }
    return calls.get(name, f"Adam(model.parameters(), lr={lr})")
