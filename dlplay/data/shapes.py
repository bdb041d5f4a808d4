"""Synthetic images of circles, squares and triangles with per-pixel segmentation masks."""

from __future__ import annotations

import math

import torch

SHAPE_CLASSES = ("background", "circle", "square", "triangle")


def _inside(kind: torch.Tensor, dx: torch.Tensor, dy: torch.Tensor, r: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    """Whether each pixel offset (dx, dy) from a shape's centre lies inside it; shape tensors broadcast."""
    cos, sin = torch.cos(angle), torch.sin(angle)
    u, v = cos * dx + sin * dy, -sin * dx + cos * dy  # pixel in the shape's rotated frame
    circle = dx.square() + dy.square() <= r.square()
    square = (u.abs() <= r * 0.85) & (v.abs() <= r * 0.85)  # 0.85: a square about as big as the circle
    # Equilateral triangle with circumradius r·1.2: inside when all three edge half-planes agree.
    triangle = torch.ones_like(circle)
    for k in range(3):
        edge = 2 * math.pi * k / 3
        triangle &= u * math.cos(edge) + v * math.sin(edge) <= r * 0.6
    return torch.where(kind == 1, circle, torch.where(kind == 2, square, triangle))


def make_shapes(
    n_samples: int, size: int = 32, seed: int = 0, max_shapes: int = 3, noise: float = 0.05
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Images float32 (N, 1, size, size), masks int64 (N, size, size) and labels int64 (N,) of the largest shape."""
    if n_samples < 1 or size < 8 or max_shapes < 1:
        raise ValueError(f"need n_samples ≥ 1, size ≥ 8 and max_shapes ≥ 1, got {n_samples}, {size}, {max_shapes}")
    gen = torch.Generator().manual_seed(seed)
    n, k = n_samples, max_shapes
    kind = torch.randint(1, len(SHAPE_CLASSES), (n, k), generator=gen)  # class index of each shape slot
    count = torch.randint(1, k + 1, (n, 1), generator=gen)  # how many slots each image uses
    present = torch.arange(k) < count  # (N, K)
    r = size * (0.12 + 0.12 * torch.rand(n, k, generator=gen))  # radius: 12–24% of the side
    reach = 1.2 * r  # the farthest any shape extends from its centre (a triangle's corner)
    cx = reach + (size - 1 - 2 * reach) * torch.rand(n, k, generator=gen)  # centres keep shapes inside
    cy = reach + (size - 1 - 2 * reach) * torch.rand(n, k, generator=gen)
    angle = 2 * math.pi * torch.rand(n, k, generator=gen)
    brightness = 0.5 + 0.5 * torch.rand(n, k, generator=gen)

    pix = torch.arange(size, dtype=torch.float32)
    dx = pix.view(1, 1, 1, size) - cx[..., None, None]  # (N, K, 1, W)
    dy = pix.view(1, 1, size, 1) - cy[..., None, None]  # (N, K, H, 1)
    kind4, r4, angle4, present4 = (t[..., None, None] for t in (kind, r, angle, present))  # (N, K, 1, 1)
    inside = _inside(kind4, dx, dy, r4, angle4) & present4  # (N, K, H, W)

    # Later slots are painted over earlier ones: the top shape at a pixel is the last slot covering it.
    slot = torch.arange(1, k + 1).view(1, k, 1, 1)
    top = (inside * slot).amax(dim=1)  # (N, H, W): 0 for background, else slot index + 1
    kind0 = torch.cat([torch.zeros(n, 1, dtype=torch.long), kind], dim=1)  # (N, K+1): slot 0 = background
    masks = kind0.gather(1, top.flatten(1)).view(n, size, size)
    light0 = torch.cat([torch.zeros(n, 1), brightness], dim=1)  # (N, K+1)
    images = light0.gather(1, top.flatten(1)).view(n, 1, size, size)  # (N, 1, H, W)
    images = (images + noise * torch.randn(images.shape, generator=gen)).clamp(0, 1)

    # The label is the class of the shape that shows the most pixels.
    visible = (top.flatten(1)[:, None, :] == slot.view(1, k, 1)).sum(-1)  # (N, K) visible pixels per slot
    labels = kind.gather(1, visible.argmax(dim=1, keepdim=True)).squeeze(1)
    return images, masks, labels
