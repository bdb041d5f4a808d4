"""Images for the lessons: samples of the embedded sets, validated uploads, shifts, and a drawing made MNIST-like."""

from __future__ import annotations

import io
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from dlplay.data.colour_images import COLOUR_CLASSES, make_colour_images
from dlplay.data.digits import DIGIT_CLASSES, make_digits

SOURCES = ("A digit", "A colour image")  # built-in pictures of the convolution stepper (an upload is the third)
MAX_UPLOAD_BYTES = 5 * 2**20  # 5 MB: enough for any photo a person would try, small enough to decode at once
MAX_UPLOAD_PIXELS = 40_000_000  # decompression-bomb guard: refuse images with more pixels than this
STEPPER_SIZE = 32  # uploads are shrunk to fit in 32×32: every window of the stepper stays readable


@dataclass
class Picture:
    """An image (C, H, W) in [0, 1] with what it is."""

    x: torch.Tensor  # float32 (C, H, W): C = 1 (grey) or 3 (RGB)
    caption: str  # what the picture shows, for a caption


def sample_picture(source: str, index: int, seed: int = 0) -> Picture:
    """The index-th picture (0–19) of a small seeded sample of digits or colour images."""
    index = int(index) % 20
    if source == SOURCES[0]:
        X, y = make_digits(20, seed=seed, noise=0.0)
        return Picture(X[index], f"synthetic digit “{DIGIT_CLASSES[int(y[index])]}”, 1×28×28")
    if source == SOURCES[1]:
        X, y = make_colour_images(2, seed=seed)
        return Picture(X[index], f"colour image: {COLOUR_CLASSES[int(y[index])]}, 3×32×32")
    raise ValueError(f"unknown source {source!r}; choose one of {', '.join(SOURCES)}")


def decode_upload(data: bytes, size: int = STEPPER_SIZE, grey: bool = False) -> tuple[Picture | None, str]:
    """(Picture, "") from the bytes of a PNG/JPEG, shrunk to fit size×size, as RGB (or grey); else (None, a message)."""
    from PIL import Image, UnidentifiedImageError  # Pillow comes with torchvision

    if not data:
        return None, "The file is empty."
    if len(data) > MAX_UPLOAD_BYTES:
        return None, f"The file is {len(data) / 2**20:.1f} MB; upload an image under {MAX_UPLOAD_BYTES // 2**20} MB."
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("PNG", "JPEG"):
                return None, f"That is a {image.format or 'unknown'} file; upload a PNG or a JPEG image."
            if image.width * image.height > MAX_UPLOAD_PIXELS:
                return None, f"The image has {image.width}×{image.height} pixels, too many to open; use a smaller one."
            original = f"{image.width}×{image.height}"
            image = image.convert("L" if grey else "RGB")  # drops transparency and palettes
            image.thumbnail((size, size), Image.Resampling.LANCZOS)  # keeps the aspect ratio; never enlarges
            channels = 1 if grey else 3
            x = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8).float() / 255.0
            x = x.view(image.height, image.width, channels).permute(2, 0, 1).contiguous()  # (H, W, C) → (C, H, W)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None, "That file is not an image this page can read; upload a PNG or a JPEG."
    return Picture(x, f"your image ({original} pixels), shrunk to {x.shape[2]}×{x.shape[1]}"), ""


def shift(x: torch.Tensor, dx: int, dy: int) -> torch.Tensor:
    """x (…, H, W) moved dx pixels right and dy down; what enters is zero (black), what leaves is lost."""
    h, w = x.shape[-2:]
    out = torch.zeros_like(x)
    if abs(dx) >= w or abs(dy) >= h:
        return out
    src_y, dst_y = slice(max(0, -dy), h - max(0, dy)), slice(max(0, dy), h - max(0, -dy))
    src_x, dst_x = slice(max(0, -dx), w - max(0, dx)), slice(max(0, dx), w - max(0, -dx))
    out[..., dst_y, dst_x] = x[..., src_y, src_x]
    return out


def prepare_drawing(ink: torch.Tensor, size: int = 28, box: int = 20) -> torch.Tensor | None:
    """A drawing (H, W) in [0, 1], white on black, made MNIST-like: its ink cropped, scaled to fit box×box, centred
    by its centre of mass in size×size. Returns (1, size, size), or None when there is no ink."""
    ink = ink.float().clamp(0, 1)
    rows, cols = (ink > 0.05).any(dim=1).nonzero().flatten(), (ink > 0.05).any(dim=0).nonzero().flatten()
    if len(rows) == 0:
        return None
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]  # (h, w) the ink's bounding box
    h, w = crop.shape
    scale = box / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    # Area averaging when shrinking keeps thin strokes as grey instead of dropping them.
    small = F.interpolate(crop[None, None], size=(new_h, new_w), mode="area" if scale < 1 else "bilinear")[0, 0]
    out = torch.zeros(size, size)
    top, left = (size - new_h) // 2, (size - new_w) // 2
    out[top : top + new_h, left : left + new_w] = small
    # Move the centre of mass to the centre, as MNIST's preprocessing does.
    mass = out.sum()
    grid = torch.arange(size, dtype=torch.float32)
    cy, cx = float((out.sum(1) * grid).sum() / mass), float((out.sum(0) * grid).sum() / mass)
    centre = (size - 1) / 2
    out = shift(out, round(centre - cx), round(centre - cy))
    return (out / out.max().clamp_min(1e-6))[None]  # (1, size, size), full ink like the training digits
