"""Pooling a feature map, and how shifting the input changes the convolution's output and the pooled output."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from dlplay.lessons.cnn.convolution import ConvSettings
from dlplay.lessons.cnn.images import shift

POOLS = ("Max", "Average")


def pool(feature_map: torch.Tensor, kind: str, kernel: int, stride: int) -> torch.Tensor:
    """F.max_pool2d or F.avg_pool2d of a map (H, W) or (C, H, W); an empty map when the window does not fit."""
    x = feature_map[None] if feature_map.dim() == 2 else feature_map  # (C, H, W)
    if kind not in POOLS:
        raise ValueError(f"unknown pooling {kind!r}; choose one of {', '.join(POOLS)}")
    if kernel > min(x.shape[-2:]):
        out = x.new_zeros(x.shape[0], 0, 0)
    elif kind == "Max":
        out = F.max_pool2d(x, kernel, stride)  # (C, ⌊(H − k)/s⌋ + 1, …)
    else:
        out = F.avg_pool2d(x, kernel, stride)
    return out[0] if feature_map.dim() == 2 else out


def convolve(x: torch.Tensor, kernel: torch.Tensor, settings: ConvSettings) -> torch.Tensor:
    """The feature map (H_out, W_out) of one kernel (C, k, k) over x (C, H, W), by F.conv2d."""
    return F.conv2d(x[None], kernel[None], stride=settings.stride, padding=settings.padding,
                    dilation=settings.dilation)[0, 0]


@dataclass
class ShiftComparison:
    """A picture and its shifted copy, through the convolution and through the pooling."""

    conv: torch.Tensor  # (H', W') the feature map of the picture
    conv_shifted: torch.Tensor  # (H', W') the feature map of the shifted picture
    pooled: torch.Tensor  # (H'', W'') the pooled feature map
    pooled_shifted: torch.Tensor  # (H'', W'')
    conv_change: float  # ‖conv_shifted − conv‖ / ‖conv‖: how much the map changed in place
    pooled_change: float  # the same for the pooled maps
    equivariance_error: float  # largest |conv(shift x) − shift(conv x)| away from the borders: ≈ 0 for stride 1


def _relative_change(a: torch.Tensor, b: torch.Tensor) -> float:
    norm = float(a.norm())
    return float((b - a).norm()) / norm if norm > 0 else float("nan")


def compare_shift(x: torch.Tensor, kernel: torch.Tensor, settings: ConvSettings, dx: int, dy: int, kind: str,
                  pool_size: int, pool_stride: int, relu: bool = False) -> ShiftComparison:
    """Convolve x and x shifted by (dx, dy) (then ReLU, when asked, as a CNN block does), pool both, and measure how
    much each stage changed."""
    moved = shift(x, dx, dy)
    conv, conv_shifted = convolve(x, kernel, settings), convolve(moved, kernel, settings)
    if relu:
        conv, conv_shifted = conv.relu(), conv_shifted.relu()
    pooled = pool(conv, kind, pool_size, pool_stride)
    pooled_shifted = pool(conv_shifted, kind, pool_size, pool_stride)
    # Convolution is equivariant: shifting the input shifts the output (by dx/s when s divides dx), borders aside.
    s = settings.stride
    error = float("nan")
    if dx % s == 0 and dy % s == 0:
        expected = shift(conv, dx // s, dy // s)
        margin = kernel.shape[-1] * settings.dilation + max(abs(dx), abs(dy)) // s  # cells that saw the border
        inner = (slice(margin, -margin or None), slice(margin, -margin or None))
        if conv.shape[0] > 2 * margin and conv.shape[1] > 2 * margin:
            error = float((conv_shifted[inner] - expected[inner]).abs().max())
    pooled_change = _relative_change(pooled, pooled_shifted) if pooled.numel() else float("nan")
    return ShiftComparison(conv, conv_shifted, pooled, pooled_shifted, _relative_change(conv, conv_shifted),
                           pooled_change, error)
