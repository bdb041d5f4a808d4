"""The convolution, written out: output sizes, one window at a time, and the whole map by hand (tested = F.conv2d)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class ConvSettings:
    """How the kernel slides."""

    stride: int = 1  # pixels the window moves per output cell
    padding: int = 0  # zeros added on every side of the input
    dilation: int = 1  # spacing between the kernel's taps (1 = adjacent pixels)


def output_size(size: int, kernel: int, settings: ConvSettings) -> int:
    """⌊(size + 2p − d(k − 1) − 1) / s⌋ + 1: the output side along one axis (≤ 0 means no output at all)."""
    s, p, d = settings.stride, settings.padding, settings.dilation
    return (size + 2 * p - d * (kernel - 1) - 1) // s + 1


def output_size_formula(size: int, kernel: int, settings: ConvSettings) -> str:
    """The output-size formula with the current numbers written in, e.g. ⌊(28 + 2·1 − 1·(3 − 1) − 1) / 1⌋ + 1 = 28."""
    s, p, d = settings.stride, settings.padding, settings.dilation
    return f"⌊({size} + 2·{p} − {d}·({kernel} − 1) − 1) / {s}⌋ + 1 = {output_size(size, kernel, settings)}"


def problems(image_shape: tuple[int, int], kernel: torch.Tensor, settings: ConvSettings) -> list[str]:
    """Why this convolution has no output, in plain words ([] when it has one)."""
    h, w = image_shape
    k = kernel.shape[-1]
    span = settings.dilation * (k - 1) + 1  # the window's reach in pixels, dilation included
    messages = []
    if min(settings.stride, settings.dilation) < 1 or settings.padding < 0:
        messages.append("Stride and dilation must be at least 1, and padding at least 0.")
    elif span > min(h, w) + 2 * settings.padding:
        messages.append(
            f"The kernel reaches over {span}×{span} pixels (k = {k}, dilation {settings.dilation}) but the padded input "
            f"is only {h + 2 * settings.padding}×{w + 2 * settings.padding}: there is no place to put it. "
            "Lower the dilation, use a smaller kernel, or add padding."
        )
    elif min(output_size(h, k, settings), output_size(w, k, settings)) < 1:
        messages.append("These settings leave an output of size 0.")
    return messages


def conv2d_by_hand(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None, settings: ConvSettings = ConvSettings()
) -> torch.Tensor:
    """output[b, o, i, j] = bias[o] + Σ_c Σ_m Σ_n x_pad[b, c, i·s + m·d, j·s + n·d] · weight[o, c, m, n], written as loops.

    x (B, C, H, W), weight (O, C, kh, kw); returns (B, O, H_out, W_out). Slow on purpose: it is the definition."""
    s, p, d = settings.stride, settings.padding, settings.dilation
    batch, channels, h, w = x.shape
    out_channels, _, kh, kw = weight.shape
    x_pad = F.pad(x, (p, p, p, p))  # (B, C, H + 2p, W + 2p): zeros around the image
    h_out, w_out = (h + 2 * p - d * (kh - 1) - 1) // s + 1, (w + 2 * p - d * (kw - 1) - 1) // s + 1
    if h_out < 1 or w_out < 1:
        raise ValueError(f"these settings leave no output ({h_out}×{w_out})")
    out = torch.zeros(batch, out_channels, h_out, w_out, dtype=torch.result_type(x, weight))
    for i in range(h_out):
        for j in range(w_out):
            window = x_pad[:, :, i * s : i * s + d * (kh - 1) + 1 : d, j * s : j * s + d * (kw - 1) + 1 : d]  # (B, C, kh, kw)
            # Every output channel at once: multiply the window by each kernel and add up over channels and taps.
            out[:, :, i, j] = (window[:, None] * weight[None]).sum(dim=(2, 3, 4))  # (B, O)
    if bias is not None:
        out += bias.view(1, -1, 1, 1)
    return out


@dataclass
class Window:
    """One output cell of the stepper: where the window sits and the sum of products that gives the cell."""

    i: int  # output row
    j: int  # output column
    rows: list[int]  # input rows (in the unpadded image; negative or ≥ H where the window is on padding) of the taps
    cols: list[int]  # input columns of the taps
    patch: torch.Tensor  # (C, k, k) the input values under the taps (0 on padding)
    kernel: torch.Tensor  # (C, k, k) the kernel: one k×k slice per input channel
    products: torch.Tensor  # (C, k, k) patch × kernel slice, tap by tap
    channel_sums: torch.Tensor  # (C,) the sum of products of each channel
    bias: float  # added once, after the sum over channels
    value: float  # the output cell: Σ channel_sums + bias


def window_at(x: torch.Tensor, kernel: torch.Tensor, index: int, settings: ConvSettings, bias: float = 0.0) -> Window:
    """The index-th output cell (row-major) of convolving x (C, H, W) with one kernel (C, k, k), written out."""
    channels, h, w = x.shape
    k = kernel.shape[-1]
    h_out, w_out = output_size(h, k, settings), output_size(w, k, settings)
    if h_out < 1 or w_out < 1:
        raise ValueError("these settings leave no output")
    i, j = divmod(index % (h_out * w_out), w_out)
    s, p, d = settings.stride, settings.padding, settings.dilation
    rows = [i * s + m * d - p for m in range(k)]  # tap rows in the image's own coordinates
    cols = [j * s + n * d - p for n in range(k)]
    x_pad = F.pad(x, (p, p, p, p))  # (C, H + 2p, W + 2p)
    patch = x_pad[:, i * s : i * s + d * (k - 1) + 1 : d, j * s : j * s + d * (k - 1) + 1 : d]  # (C, k, k)
    products = patch * kernel  # (C, k, k)
    channel_sums = products.sum(dim=(1, 2))  # (C,)
    return Window(i, j, rows, cols, patch, kernel, products, channel_sums, bias, float(channel_sums.sum()) + bias)


def sum_of_products(window: Window, channel_names: list[str], max_terms: int = 25) -> list[str]:
    """Lines that write the cell out: per channel Σ input·(weight), one kernel row per line (every term when there
    are at most max_terms), then the sum over channels."""
    lines = []
    for c, name in enumerate(channel_names):
        total = f"{float(window.channel_sums[c]):.3f}"
        k = window.patch.shape[-1]
        if window.patch[c].numel() > max_terms:
            lines.append(f"{name}: the {window.patch[c].numel()} products input·(weight) add up to {total}")
            continue
        for m in range(k):
            terms = " + ".join(f"{float(a):.2f}·({float(b):.3g})" for a, b in zip(window.patch[c, m], window.kernel[c, m]))
            head = f"{name}:" if m == 0 else ""
            lines.append(f"{head:<6}{'  ' if m == 0 else '+ '}{terms}")
        lines.append(f"{'':<6}= {total}")
    parts = [f"{v:.3f}" if v >= 0 else f"({v:.3f})" for v in window.channel_sums.tolist()]
    if window.bias:
        parts.append(f"{window.bias:.3g} (bias)" if window.bias >= 0 else f"({window.bias:.3g}) (bias)")
    head = "Σ over channels: " if len(channel_names) > 1 else ""
    sum_text = f"{' + '.join(parts)} = " if len(parts) > 1 else ""
    lines.append(f"{head}out[{window.i}, {window.j}] = {sum_text}{window.value:.3f}")
    return lines
