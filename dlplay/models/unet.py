"""The curriculum's UNet (chapter 11.2), generalized in depth, width, skips and the upsampling operator."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

UPSAMPLING = ("bilinear", "transposed")


class UNet(nn.Module):
    """An encoder–decoder with skip connections; UNet() is the curriculum's model exactly (3 → 1 channel, one pooling).

    Encoder level i (enc1 … enc{depth+1}) has base_width·2^(i−1) channels; each decoder level upsamples ×2 and, with
    skips on, concatenates the encoder's map of the same size. An input whose sides do not divide by 2^depth is padded
    on the right and bottom (replicating the edge) and the output cropped back: `last_padding` says by how much."""

    def __init__(
        self,
        in_channels: int = 3,  # 3 for colour images, 1 for the embedded grey shapes
        out_channels: int = 1,  # one logit per pixel: a binary mask
        *,
        base_width: int = 64,  # channels of the first encoder level
        depth: int = 1,  # poolings (the curriculum's UNet pools once); the bottleneck is 2^depth times smaller
        skips: bool = True,  # False: the decoder sees only the upsampled bottleneck, no encoder maps
        upsampling: str = "bilinear",  # "bilinear" (fixed interpolation, then convs) or "transposed" (learned)
    ):
        super().__init__()
        if upsampling not in UPSAMPLING:
            raise ValueError(f"unknown upsampling {upsampling!r}; choose one of {', '.join(UPSAMPLING)}")
        if depth < 1 or base_width < 1:
            raise ValueError(f"need depth ≥ 1 and base_width ≥ 1, got {depth} and {base_width}")
        self.depth, self.skips, self.upsampling = depth, skips, upsampling
        widths = [base_width * 2**i for i in range(depth + 1)]  # channels of enc1 … enc{depth+1}
        self.widths = tuple(widths)
        # Encoder (downsampling)
        previous = in_channels
        for i, width in enumerate(widths, start=1):
            setattr(self, f"enc{i}", self.conv_block(previous, width))
            previous = width
        self.pool = nn.MaxPool2d(2)

        # Decoder (upsampling)
        if upsampling == "bilinear":
            self.up = nn.Upsample(scale_factor=2, mode="bilinear")
        else:
            # kernel 3, stride 2: the kernel footprints overlap unevenly (3 is not a multiple of 2), so some output
            # pixels receive 4 contributions and others 1 or 2 — the checkerboard pattern of Odena et al. (Distill 2016)
            self.up_convs = nn.ModuleList(
                nn.ConvTranspose2d(widths[i], widths[i], 3, stride=2, padding=1, output_padding=1) for i in range(1, depth + 1)
            )
        for i in range(depth, 0, -1):
            below, here = widths[i], widths[i - 1]
            setattr(self, f"dec{i}", self.conv_block(below + here if skips else below, here))
        self.final = nn.Conv2d(base_width, out_channels, 1)
        self.last_padding = (0, 0)  # (rows, columns) added to the latest input
        self.last_features: dict[str, torch.Tensor] = {}  # every level's map of the latest forward (detached)

    def conv_block(self, in_c: int, out_c: int) -> nn.Sequential:
        """Two 3×3 convolutions (size-preserving) with ReLUs, as in the curriculum."""
        return nn.Sequential(
            nn.Conv2d(in_c, out_c, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(out_c, out_c, 3, padding=1),
            nn.ReLU(),
        )

    def upsample(self, x: torch.Tensor, level: int) -> torch.Tensor:
        """×2 upsampling of the map arriving at decoder level `level` (1 = the finest)."""
        if self.upsampling == "bilinear":
            return self.up(x)  # (B, C, 2H, 2W)
        return self.up_convs[level - 1](x)  # (B, C, 2H, 2W)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        multiple = 2**self.depth
        pad_h, pad_w = -height % multiple, -width % multiple
        self.last_padding = (pad_h, pad_w)
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")  # (B, C, H + pad_h, W + pad_w)
        features = {}

        # Encoder
        skip_maps = []
        h = x
        for i in range(1, self.depth + 2):
            h = getattr(self, f"enc{i}")(h if i == 1 else self.pool(h))  # (B, widths[i−1], H/2^(i−1), W/2^(i−1))
            features[f"enc{i}"] = h.detach()
            skip_maps.append(h)

        # Decoder with skip connections
        for i in range(self.depth, 0, -1):
            h = self.upsample(h, i)  # (B, widths[i], H/2^(i−1), W/2^(i−1))
            features[f"up{i}"] = h.detach()
            if self.skips:
                h = torch.cat([h, skip_maps[i - 1]], dim=1)  # (B, widths[i] + widths[i−1], H/2^(i−1), W/2^(i−1))
            h = getattr(self, f"dec{i}")(h)  # (B, widths[i−1], H/2^(i−1), W/2^(i−1))
            features[f"dec{i}"] = h.detach()
        self.last_features = features

        out = self.final(h)  # (B, out_channels, H + pad_h, W + pad_w)
        return out[..., :height, :width]  # (B, out_channels, H, W): the padding cropped away
