"""float32, bfloat16 and float16 side by side: ranges, what a value becomes, and why float16 needs loss scaling."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

FORMATS = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
LAYOUT = {"float32": (8, 23), "bfloat16": (8, 7), "float16": (5, 10)}  # (exponent bits, mantissa bits), + 1 sign bit
DEFAULT_SCALE = 2.0**16  # torch.amp.GradScaler's init_scale


def smallest_subnormal(dtype: torch.dtype) -> float:
    """The smallest positive value the format holds: smallest normal × eps (2^-24 for float16)."""
    info = torch.finfo(dtype)
    return info.smallest_normal * info.eps


def format_rows() -> list[dict]:
    """One row per format: bits, largest value, smallest normal and subnormal, eps (gap above 1), decimal digits."""
    rows = []
    for name, dtype in FORMATS.items():
        info = torch.finfo(dtype)
        exponent, mantissa = LAYOUT[name]
        rows.append({"format": name, "bits": info.bits, "exponent bits": exponent, "mantissa bits": mantissa,
                     "largest": info.max, "smallest normal": info.smallest_normal,
                     "smallest subnormal": smallest_subnormal(dtype), "eps": info.eps,
                     "decimal digits": round(math.log10(2) * (mantissa + 1), 1)})
    return rows


def describe_cast(value: float, stored: float, dtype: torch.dtype) -> str:
    """What happened to `value` stored in `dtype`: exact, rounded, overflow, underflow, or kept as a subnormal."""
    info = torch.finfo(dtype)
    if math.isnan(value):
        return "NaN stays NaN"
    if math.isinf(stored) and not math.isinf(value):
        return "overflow → inf"
    if stored == 0.0 and value != 0.0:
        return "underflow → 0"
    if stored == value:
        kind = "exact"
    else:
        kind = f"rounded (relative error {abs(stored - value) / abs(value):.1e})"
    if value != 0.0 and abs(stored) < info.smallest_normal and not math.isinf(value):
        kind += ", subnormal: fewer significant bits"
    return kind


def cast_rows(value: float) -> list[dict]:
    """`value` stored in each format (float64 → format → float64) and what became of it."""
    rows = []
    for name, dtype in FORMATS.items():
        stored = torch.tensor(value, dtype=torch.float64).to(dtype).double().item()
        rows.append({"format": name, "stored": stored, "what happens": describe_cast(value, stored, dtype)})
    return rows


@dataclass
class ScalingResult:
    """One backward pass of y = w·a under autocast, loss = upstream·y, optionally through a GradScaler."""

    label: str  # e.g. "float16 · scale 65536"
    dtype: str  # the format of the forward op
    scale: float | None  # the loss scale (None: no scaler)
    raw_grad: float  # w.grad right after backward (scaled when there is a scaler)
    grad: float  # w.grad after unscaling: what the optimizer sees
    exact: float  # the true gradient a · upstream
    next_scale: float | None  # the scaler's scale after update(): halved when it met inf, the step skipped

    @property
    def verdict(self) -> str:
        if not math.isfinite(self.raw_grad):
            return f"overflow: the scaler skips this step and halves its scale to {self.next_scale:g}"
        if self.grad == 0.0 and self.exact != 0.0:
            return "vanished: the gradient underflowed to 0, w never learns"
        error = abs(self.grad - self.exact) / abs(self.exact) if self.exact else 0.0
        return f"survives (relative error {error:.1e})"


def scaled_backward(activation: float, upstream: float, dtype: torch.dtype | None, scale: float | None) -> ScalingResult:
    """The gradient of w for y = w·activation computed in `dtype` by autocast, the loss upstream·y in float32.

    dL/dw = activation · upstream: the product of two small numbers, as deep in a network. In float16 it can fall
    below 2^-24 and flush to 0; GradScaler multiplies the loss by `scale` first, so every gradient of the backward pass
    is `scale` times larger, then divides the float32 weight gradients by it before the step."""
    w = nn.Parameter(torch.ones(1, 1))  # float32 master weight, as under torch.autocast
    x = torch.full((1, 1), activation)
    with torch.autocast("cpu", dtype=dtype or torch.bfloat16, enabled=dtype is not None):
        y = F.linear(x, w)  # (1, 1): autocast runs linear in the low-precision format
    loss = (y.float() * upstream).sum()  # the loss in float32, as autocast leaves it
    scaler = torch.amp.GradScaler("cpu", init_scale=scale or 1.0, enabled=scale is not None)
    optimizer = torch.optim.SGD([w], lr=0.0)  # lr 0: only the scaler's bookkeeping of the step matters here
    scaler.scale(loss).backward()
    raw = w.grad.item()
    scaler.unscale_(optimizer)
    grad = w.grad.item()
    scaler.step(optimizer)
    scaler.update()
    name = "float32" if dtype is None else str(dtype).removeprefix("torch.")
    label = f"{name} · {'no scaling' if scale is None else f'scale {scale:g}'}"
    return ScalingResult(label, name, scale, raw, grad, activation * upstream, scaler.get_scale() if scale else None)


def scaling_rows(activation: float, upstream: float, scale: float = DEFAULT_SCALE) -> list[ScalingResult]:
    """float32 (reference), float16 without and with scaling, bfloat16 without scaling."""
    return [
        scaled_backward(activation, upstream, None, None),
        scaled_backward(activation, upstream, torch.float16, None),
        scaled_backward(activation, upstream, torch.float16, scale),
        scaled_backward(activation, upstream, torch.bfloat16, None),
    ]


@dataclass
class GradientCensus:
    """Where a real model's float32 gradient entries would land in float16, without and with a loss scale."""

    log10_abs: torch.Tensor  # log10 |g| of every nonzero entry (for the histogram)
    scale: float
    zero_unscaled: float  # share that would flush to 0 in float16
    subnormal_unscaled: float  # share kept only as a subnormal (few significant bits)
    zero_scaled: float  # the same after multiplying by scale
    subnormal_scaled: float
    overflow_scaled: float  # share that would overflow to inf once scaled


def gradient_magnitudes(model: nn.Module, X: torch.Tensor, y: torch.Tensor, max_entries: int = 20_000) -> torch.Tensor:
    """|g| of the nonzero float32 gradient entries of the cross-entropy on (X, y), float64 on the CPU; an evenly
    strided sample of max_entries of them for a big model (the shares it gives are within a fraction of a percent).

    The model runs in eval mode (batch norm's running statistics stay put) and torch.autograd.grad leaves .grad alone."""
    params = [p for p in model.parameters() if p.requires_grad]
    was_training = model.training
    model.eval()
    try:
        loss = F.cross_entropy(model(X).float(), y)
        grads = torch.autograd.grad(loss, params)
    finally:
        model.train(was_training)
    g = torch.cat([t.detach().flatten().float().abs() for t in grads]).cpu()
    g = g[g > 0]
    if len(g) > max_entries:
        g = g[:: -(-len(g) // max_entries)]  # every k-th entry: all layers stay represented
    return g.double()


def gradient_census(magnitudes: torch.Tensor, scale: float = DEFAULT_SCALE) -> GradientCensus:
    """Shares of the gradient magnitudes that float16 would flush to 0, keep as subnormals, or overflow, unscaled and scaled."""
    if magnitudes.numel() == 0:
        raise ValueError("every gradient entry is zero")
    half = torch.finfo(torch.float16)
    tiny = smallest_subnormal(torch.float16)

    def shares(values: torch.Tensor) -> tuple[float, float, float]:
        zero = float((values < tiny / 2).double().mean())  # round to nearest: below half the smallest subnormal → 0
        sub = float(((values >= tiny / 2) & (values < half.smallest_normal)).double().mean())
        over = float((values > half.max).double().mean())
        return zero, sub, over

    zero, sub, _ = shares(magnitudes)
    zero_s, sub_s, over_s = shares(magnitudes * scale)
    return GradientCensus(torch.log10(magnitudes).float(), scale, zero, sub, zero_s, sub_s, over_s)
