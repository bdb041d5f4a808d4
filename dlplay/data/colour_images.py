"""Synthetic colour images in 10 classes: shapes and textured patches of varied colour, size, position and background."""

from __future__ import annotations

import math

import torch

COLOUR_CLASSES: tuple[str, ...] = (
    "disc",
    "square",
    "triangle",
    "ring",
    "cross",
    "horizontal stripes",
    "vertical stripes",
    "diagonal stripes",
    "checkerboard",
    "dots",
)

_SHAPES = 5  # classes 0–4 are solid shapes, 5–9 textured patches
_TILT = 0.3  # largest rotation of an oriented class, radians (≈ 17°): a square stays a square, stripes keep their axis
_NOISE = 0.06  # standard deviation of the per-pixel Gaussian noise
_GRADIENT = 0.15  # largest brightness change of the background's linear gradient, edge to edge


def _coverage(sdf: torch.Tensor) -> torch.Tensor:
    """Anti-aliased ink from a signed distance in pixels (negative inside): 1 inside, 0 outside, linear over 1 px."""
    return (0.5 - sdf).clamp(0, 1)


def _stripes(t: torch.Tensor, period: torch.Tensor) -> torch.Tensor:
    """Signed distance to stripes of width period/2 along coordinate t (a square wave, one stripe per period)."""
    return (torch.remainder(t, period) - period / 2).abs() - period / 4


def _shape_sdf(cls: torch.Tensor, u: torch.Tensor, v: torch.Tensor, r: torch.Tensor, width: torch.Tensor) -> torch.Tensor:
    """Signed distance (N, H, W) to each image's shape in its rotated frame (u, v); r its radius, width its stroke."""
    radius = (u.square() + v.square()).sqrt()
    disc = radius - r
    square = torch.maximum(u.abs(), v.abs()) - 0.85 * r  # 0.85: about the area of the disc
    # Equilateral triangle with a flat top, pointing down (v grows downwards): inside where all three edge half-planes agree.
    triangle = torch.full_like(u, -float("inf"))
    for k in range(3):
        edge = math.pi / 2 + 2 * math.pi * k / 3
        triangle = torch.maximum(triangle, u * math.cos(edge) - v * math.sin(edge) - 0.55 * r)
    ring = (radius - r).abs() - width
    arm = torch.minimum(torch.maximum(u.abs() - width, v.abs() - r), torch.maximum(u.abs() - r, v.abs() - width))
    table = torch.stack([disc, square, triangle, ring, arm])  # (5, N, H, W)
    return table.gather(0, cls[None, :, None, None].expand(1, *u.shape)).squeeze(0)  # (N, H, W)


def _texture_sdf(cls: torch.Tensor, u: torch.Tensor, v: torch.Tensor, period: torch.Tensor) -> torch.Tensor:
    """Coverage (N, H, W) of each image's texture (class 5–9) in its rotated, shifted frame (u, v)."""
    a_u, a_v = _coverage(_stripes(u, period)), _coverage(_stripes(v, period))
    horizontal, vertical = a_v, a_u
    diagonal = _coverage(_stripes((u + v) / math.sqrt(2), period))
    checker = a_u * (1 - a_v) + a_v * (1 - a_u)  # inside exactly one of the two stripe sets: exclusive or
    du = torch.remainder(u, period) - period / 2  # offset from the nearest lattice point
    dv = torch.remainder(v, period) - period / 2
    dots = _coverage((du.square() + dv.square()).sqrt() - 0.3 * period)
    table = torch.stack([horizontal, vertical, diagonal, checker, dots])  # (5, N, H, W)
    return table.gather(0, (cls - _SHAPES).clamp_min(0)[None, :, None, None].expand(1, *u.shape)).squeeze(0)


def _colours(n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Background and foreground colours (N, 3), the foreground far enough from the background to be seen."""
    background = torch.rand(n, 3, generator=gen)
    foreground = torch.rand(n, 3, generator=gen)
    # Too close a pair gets a foreground shifted half-way round each channel's circle: at least 0.2 away per channel.
    shifted = torch.remainder(background + 0.5 + 0.3 * (torch.rand(n, 3, generator=gen) - 0.5), 1.0)
    close = (foreground - background).norm(dim=1, keepdim=True) < 0.45
    return background, torch.where(close, shifted, foreground)


def make_colour_images(n_per_class: int, seed: int = 0, size: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    """Images X float32 (N, 3, size, size) in [0, 1] and labels y int64 (N,), N = 10·n_per_class, shuffled by seed."""
    if n_per_class < 1 or size < 8:
        raise ValueError(f"need n_per_class ≥ 1 and size ≥ 8, got {n_per_class} and {size}")
    gen = torch.Generator().manual_seed(seed)
    n = n_per_class * len(COLOUR_CLASSES)
    y = torch.arange(n) % len(COLOUR_CLASSES)
    y = y[torch.randperm(n, generator=gen)]
    shape = y < _SHAPES

    def uniform(low: float, high: float) -> torch.Tensor:
        return low + (high - low) * torch.rand(n, generator=gen)

    # Shapes: radius 18–34 % of the side; textured patches: larger (30–44 %), so several periods show.
    r = size * torch.where(shape, uniform(0.18, 0.34), uniform(0.30, 0.44))
    reach = torch.where(shape, 1.15 * r, r)  # farthest extent from the centre (a square's corner, a triangle's tip)
    room = (size / 2 - reach).clamp_min(0)
    cx, cy = room * uniform(-1, 1), room * uniform(-1, 1)  # centre offsets that keep the object inside the frame
    angle = _TILT * uniform(-1, 1)
    width = r * uniform(0.22, 0.34)  # ring and cross stroke half-width
    period = size * uniform(0.15, 0.25)  # texture period: 5–8 px at 32
    phase_u, phase_v = period * uniform(0, 1), period * uniform(0, 1)
    square_patch = uniform(0, 1) < 0.5  # a texture fills a disc or a square patch

    pix = torch.arange(size, dtype=torch.float32) - (size - 1) / 2
    dx = pix.view(1, 1, size) - cx.view(n, 1, 1)  # (N, 1, W)
    dy = pix.view(1, size, 1) - cy.view(n, 1, 1)  # (N, H, 1)
    cos, sin = torch.cos(angle).view(n, 1, 1), torch.sin(angle).view(n, 1, 1)
    u, v = cos * dx + sin * dy, -sin * dx + cos * dy  # (N, H, W): pixel in the object's rotated frame
    r3, width3, period3, phase_u3, phase_v3 = (t.view(n, 1, 1) for t in (r, width, period, phase_u, phase_v))

    solid = _coverage(_shape_sdf(y.clamp_max(_SHAPES - 1), u, v, r3, width3))
    patch_sdf = torch.where(square_patch.view(n, 1, 1), torch.maximum(u.abs(), v.abs()), (u.square() + v.square()).sqrt())
    pattern = _texture_sdf(y, u + phase_u3, v + phase_v3, period3)
    textured = _coverage(patch_sdf - r3) * pattern
    alpha = torch.where(shape.view(n, 1, 1), solid, textured)[:, None]  # (N, 1, H, W)

    background, foreground = _colours(n, gen)
    # A gentle linear gradient in a random direction, so backgrounds are not flat.
    g_angle = 2 * math.pi * torch.rand(n, generator=gen)
    ramp = torch.cos(g_angle).view(n, 1, 1) * pix.view(1, 1, size) + torch.sin(g_angle).view(n, 1, 1) * pix.view(1, size, 1)
    ramp = _GRADIENT * torch.rand(n, 1, 1, generator=gen) * ramp / size  # (N, H, W)
    back = background.view(n, 3, 1, 1) + ramp[:, None]  # (N, 3, H, W)
    X = back * (1 - alpha) + foreground.view(n, 3, 1, 1) * alpha
    X = (X + _NOISE * torch.randn(X.shape, generator=gen)).clamp(0, 1)
    return X.float(), y
