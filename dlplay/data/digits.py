"""Synthetic 28×28 handwritten-looking digits, drawn from jittered pen strokes."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

DIGIT_CLASSES = tuple("0123456789")

_SIZE = 28  # image side in pixels, as MNIST
_CENTER = 13.5  # pixel centres run 0..27; the digit is drawn around the middle
_CURVE_STEPS = 6  # line segments per cubic Bézier curve
_FAR = 1e3  # where a dropped stroke is moved so it draws nothing

# Bernstein basis of a cubic Bézier at CURVE_STEPS + 1 parameter values: points = B @ controls.
_T = torch.linspace(0, 1, _CURVE_STEPS + 1)[:, None]
_BEZIER = torch.cat([(1 - _T) ** 3, 3 * (1 - _T) ** 2 * _T, 3 * (1 - _T) * _T**2, _T**3], dim=1)  # (K+1, 4)


@dataclass
class _Glyph:
    """One digit: named control points, and strokes that connect them (lines or cubic curves)."""

    points: list[tuple[float, float]] = field(default_factory=list)
    strokes: list[tuple[tuple[int, ...], float]] = field(default_factory=list)  # (point indices, keep probability)

    def pt(self, x: float, y: float) -> int:
        """Add a control point in pixel coordinates (y grows downwards); return its index."""
        self.points.append((x, y))
        return len(self.points) - 1

    def line(self, a: int, b: int, keep: float = 1.0) -> None:
        """A straight stroke from point a to point b, drawn with probability keep."""
        self.strokes.append(((a, b), keep))

    def curve(self, a: int, c1: int, c2: int, b: int, keep: float = 1.0) -> None:
        """A cubic Bézier stroke from a to b pulled towards c1 and c2."""
        self.strokes.append(((a, c1, c2, b), keep))

    def half_loop(self, a: int, b: int, bulge: tuple[float, float]) -> None:
        """Half an ellipse from a to b bulging by the vector `bulge` (4/3 of the semi-axis)."""
        (ax, ay), (bx, by) = self.points[a], self.points[b]
        dx, dy = bulge
        self.curve(a, self.pt(ax + dx, ay + dy), self.pt(bx + dx, by + dy), b)


def _glyphs() -> list[_Glyph]:
    """Stroke templates of the digits 0–9, in a 28×28 frame, about 12 px wide and 19 px tall."""
    k = 4 / 3  # a half ellipse as one cubic needs control points 4/3 of the semi-axis out
    glyphs = []

    g = _Glyph()  # 0: an ellipse
    top, bottom = g.pt(14, 4.5), g.pt(14, 23.5)
    g.half_loop(top, bottom, (k * 5.5, 0))
    g.half_loop(bottom, top, (-k * 5.5, 0))
    glyphs.append(g)

    g = _Glyph()  # 1: a stem, sometimes a flag and a base
    top, bottom = g.pt(15, 4.5), g.pt(13.5, 23.5)
    g.line(top, bottom)
    g.line(top, g.pt(11, 8), keep=0.5)
    g.line(g.pt(10.5, 23.5), g.pt(17, 23.5), keep=0.2)
    glyphs.append(g)

    g = _Glyph()  # 2: a hook, a diagonal and a base
    start, turn, corner, end = g.pt(8.5, 8.5), g.pt(18.5, 10.5), g.pt(8.5, 23), g.pt(20, 23)
    g.curve(start, g.pt(9, 2.5), g.pt(20.5, 3), turn)
    g.curve(turn, g.pt(16.5, 15), g.pt(12, 18.5), corner)
    g.line(corner, end)
    glyphs.append(g)

    g = _Glyph()  # 3: two bumps meeting in the middle
    start, mid, end = g.pt(9, 6.5), g.pt(13, 13.5), g.pt(8.5, 21)
    g.curve(start, g.pt(12.5, 2), g.pt(22.5, 5), mid)
    g.curve(mid, g.pt(24, 12.5), g.pt(21, 26.5), end)
    glyphs.append(g)

    g = _Glyph()  # 4: diagonal, bar and stem
    top, left, right = g.pt(15, 4.5), g.pt(8, 17), g.pt(20.5, 17)
    g.line(top, left)
    g.line(left, right)
    g.line(g.pt(17, 9), g.pt(17, 24))
    glyphs.append(g)

    g = _Glyph()  # 5: top bar, short stem, belly
    bar, corner, belly, low, end = g.pt(19, 4.5), g.pt(10, 4.5), g.pt(9.5, 12.5), g.pt(17, 22.5), g.pt(8.5, 21)
    g.line(bar, corner)
    g.line(corner, belly)
    g.curve(belly, g.pt(17, 8), g.pt(25.5, 18), low)
    g.curve(low, g.pt(14, 24.5), g.pt(10, 23), end)
    glyphs.append(g)

    g = _Glyph()  # 6: a falling curve into a loop at the bottom
    left, right = g.pt(8.5, 17.5), g.pt(19.5, 17.5)
    g.curve(g.pt(18, 4.5), g.pt(12, 5.5), g.pt(8.5, 11), left)
    g.half_loop(left, right, (0, -k * 5.5))
    g.half_loop(right, left, (0, k * 5.5))
    glyphs.append(g)

    g = _Glyph()  # 7: top bar and a long diagonal, sometimes crossed
    corner = g.pt(19.5, 5)
    g.line(g.pt(8.5, 5), corner)
    g.curve(corner, g.pt(16.5, 11), g.pt(13.5, 17), g.pt(12, 23.5))
    g.line(g.pt(12.5, 14), g.pt(19, 14), keep=0.15)
    glyphs.append(g)

    g = _Glyph()  # 8: a small loop over a larger one
    top, waist, bottom = g.pt(14, 4.5), g.pt(14, 13.5), g.pt(14, 23.5)
    g.half_loop(top, waist, (k * 4.5, 0))
    g.half_loop(waist, top, (-k * 4.5, 0))
    g.half_loop(waist, bottom, (k * 5.5, 0))
    g.half_loop(bottom, waist, (-k * 5.5, 0))
    glyphs.append(g)

    g = _Glyph()  # 9: a loop at the top and a stem
    left, right = g.pt(9, 9.5), g.pt(19, 9.5)
    g.half_loop(left, right, (0, -k * 5))
    g.half_loop(right, left, (0, k * 5))
    g.curve(right, g.pt(19, 15), g.pt(18, 19), g.pt(16.5, 23.5))
    glyphs.append(g)
    return glyphs


_GLYPHS = _glyphs()


def _segments(glyph: _Glyph, n: int, gen: torch.Generator, point_jitter: float) -> torch.Tensor:
    """Line segments (n, S, 2, 2) of n jittered copies of a glyph, dropped strokes moved far away."""
    points = torch.tensor(glyph.points) + point_jitter * torch.randn(n, len(glyph.points), 2, generator=gen)
    parts = []
    for index, keep in glyph.strokes:
        controls = points[:, list(index)]  # (n, 2 or 4, 2)
        if len(index) == 4:
            controls = torch.einsum("kc,ncd->nkd", _BEZIER, controls)  # (n, K+1, 2) points along the curve
        seg = torch.stack([controls[:, :-1], controls[:, 1:]], dim=2)  # (n, s, 2, 2) start and end
        if keep < 1.0:
            dropped = torch.rand(n, generator=gen) >= keep
            seg = seg + _FAR * dropped[:, None, None, None]
        parts.append(seg)
    return torch.cat(parts, dim=1)


def _affine(n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Random matrices (n, 2, 2) (rotation ±12°, scale, shear) and shifts (n, 2) of ±2 px."""
    angle = math.radians(12) * (2 * torch.rand(n, generator=gen) - 1)
    scale = 0.85 + 0.25 * torch.rand(n, 2, generator=gen)  # x and y scale in [0.85, 1.1]
    shear = 0.25 * (2 * torch.rand(n, generator=gen) - 1)
    cos, sin = torch.cos(angle), torch.sin(angle)
    rotation = torch.stack([cos, -sin, sin, cos], dim=1).reshape(n, 2, 2)  # (n, 2, 2)
    shearing = torch.eye(2).repeat(n, 1, 1)
    shearing[:, 0, 1] = shear  # x += shear · y: the slant of handwriting
    matrix = rotation @ shearing @ torch.diag_embed(scale)  # (n, 2, 2)
    shift = 2.0 * (2 * torch.rand(n, 2, generator=gen) - 1)
    return matrix, shift


# Pixel centres relative to the image centre, with the features [x, y, 1, x² + y²] that make
# both the projection onto a segment and the squared distance to its start linear in them.
_COORDS = torch.arange(_SIZE, dtype=torch.float32) - _CENTER
_GY, _GX = torch.meshgrid(_COORDS, _COORDS, indexing="ij")
_FEATURES = torch.stack([_GX.flatten(), _GY.flatten(), torch.ones(_SIZE * _SIZE), (_GX**2 + _GY**2).flatten()])  # (4, P)


def _render(seg: torch.Tensor, half_width: torch.Tensor) -> torch.Tensor:
    """Anti-aliased images (n, 28, 28) of segments (n, S, 2, 2) drawn with pens of half_width (n,)."""
    n, s = seg.shape[:2]
    a = seg[:, :, 0] - _CENTER  # (n, S, 2) segment starts, centred
    ab = seg[:, :, 1] - seg[:, :, 0]  # (n, S, 2) segment directions
    length2 = (ab * ab).sum(-1).clamp_min(1e-6)  # (n, S) squared lengths L
    # t = (p − a)·ab / L is the projection of pixel p on the segment; |p − a|² = |p|² − 2 p·a + |a|².
    t_coef = torch.cat([ab / length2[..., None], -((a * ab).sum(-1) / length2)[..., None], torch.zeros(n, s, 1)], -1)
    d_coef = torch.cat([-2 * a, (a * a).sum(-1, keepdim=True), torch.ones(n, s, 1)], -1)
    t, pa2 = torch.stack([t_coef, d_coef]).reshape(2, n * s, 4) @ _FEATURES  # (2, n·S, P): one matmul for both
    # Distance² to the nearest point a + t_c·ab with t_c = clamp(t, 0, 1): |p − a|² − L·t_c·(2t − t_c).
    tc = t.clamp(0, 1)
    d2 = pa2.sub_(tc.mul_(t.mul_(2).sub_(tc)).mul_(length2.reshape(n * s, 1)))  # in place: this is the hot loop
    d2 = d2.view(n, s, -1).amin(dim=1)  # (n, P) nearest segment
    # Ink 1 inside the pen, falling linearly to 0 over one pixel: anti-aliasing by coverage.
    ink = (half_width[:, None] + 0.5 - d2.clamp_min(0).sqrt()).clamp(0, 1)
    return ink.reshape(n, _SIZE, _SIZE)  # (n, 28, 28)


def make_digits(n_samples: int, seed: int = 0, noise: float = 0.1) -> tuple[torch.Tensor, torch.Tensor]:
    """Images X float32 (N, 1, 28, 28) in [0, 1] and labels y int64 (N,), balanced over the 10 digits."""
    if n_samples < 1:
        raise ValueError(f"n_samples must be at least 1, got {n_samples}")
    gen = torch.Generator().manual_seed(seed)
    y = torch.arange(n_samples) % 10
    y = y[torch.randperm(n_samples, generator=gen)]
    X = torch.zeros(n_samples, _SIZE, _SIZE)
    center = torch.full((2,), _CENTER)
    for digit, glyph in enumerate(_GLYPHS):
        index = (y == digit).nonzero().squeeze(1)
        n = len(index)
        if n == 0:
            continue
        seg = _segments(glyph, n, gen, point_jitter=0.8)  # (n, S, 2, 2)
        matrix, shift = _affine(n, gen)
        seg = torch.einsum("nij,nsej->nsei", matrix, seg - center) + center + shift[:, None, None]
        half_width = 1.0 + 0.8 * torch.rand(n, generator=gen)  # pens from 2 to 3.6 px wide
        for chunk in torch.arange(n).split(64):  # 64 × S × 784 distances at a time stay in cache
            X[index[chunk]] = _render(seg[chunk], half_width[chunk])
    # A light blur softens the edges like scanned pen strokes.
    blur = torch.tensor([0.25, 0.5, 0.25])
    kernel = (blur[:, None] * blur[None, :])[None, None]  # (1, 1, 3, 3)
    X = F.conv2d(X[:, None], kernel, padding=1)  # (N, 1, 28, 28)
    X = X / X.amax(dim=(2, 3), keepdim=True).clamp_min(1e-6)
    X = (X + noise * torch.randn(X.shape, generator=gen)).clamp(0, 1)
    return X, y
