"""Classic image kernels (3×3 and 5×5) and parsing of a kernel typed by hand."""

from __future__ import annotations

import math
import re

import torch

KERNEL_NAMES = ("Identity", "Box blur", "Gaussian blur", "Sharpen", "Sobel x", "Sobel y", "Laplacian", "Emboss")
KERNEL_SIZES = (3, 5)
MAX_KERNEL = 7  # the largest kernel side a person may type
MAX_ABS_WEIGHT = 1e6  # larger typed weights are refused: they only overflow the picture


def _binomial(k: int) -> torch.Tensor:
    """Row k of Pascal's triangle, normalised to sum 1: [1 2 1]/4, [1 4 6 4 1]/16 — a discrete Gaussian."""
    row = torch.tensor([math.comb(k - 1, i) for i in range(k)], dtype=torch.float32)
    return row / row.sum()


def _derivative(k: int) -> torch.Tensor:
    """A central difference of length k: [-1 0 1] or [-1 -2 0 2 1]."""
    return torch.tensor([-1.0, 0.0, 1.0]) if k == 3 else torch.tensor([-1.0, -2.0, 0.0, 2.0, 1.0])


def make_kernel(name: str, size: int = 3) -> torch.Tensor:
    """The named kernel as a (size, size) float32 tensor."""
    if size not in KERNEL_SIZES:
        raise ValueError(f"kernel size must be one of {KERNEL_SIZES}, got {size}")
    c = size // 2
    identity = torch.zeros(size, size)
    identity[c, c] = 1.0
    smooth = _binomial(size) * {3: 4, 5: 16}[size]  # unnormalised smoothing [1 2 1] / [1 4 6 4 1]
    if name == "Identity":
        return identity
    if name == "Box blur":
        return torch.full((size, size), 1.0 / size**2)
    if name == "Gaussian blur":
        return torch.outer(_binomial(size), _binomial(size))  # separable: a column blur times a row blur
    if name == "Sharpen":
        return 2 * identity - torch.outer(_binomial(size), _binomial(size))  # unsharp mask: x + (x − blur(x))
    if name == "Sobel x":
        return torch.outer(smooth, _derivative(size))  # smooth down the columns, differentiate along the rows
    if name == "Sobel y":
        return torch.outer(_derivative(size), smooth)
    if name == "Laplacian":
        if size == 3:
            return torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
        return 16 * (torch.outer(_binomial(5), _binomial(5)) - identity)  # blur minus centre: a Laplacian of Gaussian
    if name == "Emboss":
        ramp = torch.arange(size, dtype=torch.float32) - c
        kernel = (ramp[:, None] + ramp[None, :]).sign() * (ramp[:, None] + ramp[None, :]).abs().clamp(max=2)
        kernel[c, c] = 1.0  # bright where the image rises towards the bottom right, the picture kept at the centre
        return kernel
    raise ValueError(f"unknown kernel {name!r}; choose one of {', '.join(KERNEL_NAMES)}")


def format_kernel(kernel: torch.Tensor) -> str:
    """A kernel as text, one row per line, numbers separated by spaces (what parse_kernel reads back)."""
    return "\n".join(" ".join(f"{float(v):.4g}" for v in row) for row in kernel)


def parse_kernel(text: str) -> tuple[torch.Tensor | None, str]:
    """(kernel, "") from rows of numbers (lines or ';' between rows, spaces or commas between numbers),
    or (None, a plain message) when the text is not a square kernel of 1 to MAX_KERNEL finite numbers per side."""
    rows = [r for r in re.split(r"[;\n]", text.strip()) if r.strip()]
    if not rows:
        return None, "The kernel is empty: type rows of numbers, one row per line."
    values = []
    for i, row in enumerate(rows, start=1):
        try:
            values.append([float(v) for v in re.split(r"[,\s]+", row.strip()) if v])
        except ValueError:
            return None, f"Row {i} has something that is not a number: “{row.strip()[:40]}”."
    k = len(values)
    if any(len(r) != k for r in values):
        lengths = ", ".join(str(len(r)) for r in values)
        return None, f"A kernel must be square: {k} rows, but their lengths are {lengths}."
    if k > MAX_KERNEL:
        return None, f"A {k}×{k} kernel is larger than this page draws; use at most {MAX_KERNEL}×{MAX_KERNEL}."
    kernel = torch.tensor(values, dtype=torch.float32)
    if not torch.isfinite(kernel).all() or kernel.abs().max() > MAX_ABS_WEIGHT:
        return None, f"Every weight must be a finite number below {MAX_ABS_WEIGHT:g} in size."
    return kernel, ""
