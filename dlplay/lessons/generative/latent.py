"""The VAE's latent space made visible: a 2D plane through it, the decoded manifold, interpolations, prior samples."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torchvision.utils import make_grid

from dlplay.lessons.generative.vae_lab import VaeRun

SIDE = 28  # image side: the models see 784 = 28 × 28 pixels


@dataclass(frozen=True)
class LatentPlane:
    """A 2D window onto the latent space: z = center + a·basis[0] + b·basis[1], |a|, |b| ≤ half_span."""

    center: torch.Tensor  # (d,)
    basis: torch.Tensor  # (2, d) orthonormal rows: the identity for d = 2, the top principal axes of μ otherwise
    half_span: tuple[float, float]  # how far the window reaches along each axis
    projected: bool  # True when d > 2 and the plane is a projection

    def project(self, z: torch.Tensor) -> torch.Tensor:
        """Plane coordinates (N, 2) of latent points z (N, d)."""
        return (z - self.center) @ self.basis.T  # (N, d) @ (d, 2) → (N, 2)

    def lift(self, ab: torch.Tensor) -> torch.Tensor:
        """Latent points (N, d) of plane coordinates ab (N, 2)."""
        return self.center + ab @ self.basis  # (N, 2) @ (2, d) → (N, d)


def latent_plane(mu: torch.Tensor) -> LatentPlane:
    """The plane to draw: the latent space itself when d = 2, else the two principal axes of the means μ (N, d)."""
    d = mu.shape[1]
    if d == 2:
        center, basis = torch.zeros(2), torch.eye(2)
    else:
        center = mu.mean(dim=0)
        _, _, vh = torch.linalg.svd(mu - center, full_matrices=False)  # rows of vh: principal axes, largest first
        basis = vh[:2]  # (2, d)
    ab = (mu - center) @ basis.T  # (N, 2)
    # The prior's ±3σ, widened where the means reach further (a small β spreads them out).
    reach = ab.abs().quantile(0.99, dim=0) * 1.1 if len(ab) > 1 else torch.zeros(2)
    half = torch.maximum(reach, torch.full((2,), 3.0))
    return LatentPlane(center, basis, (float(half[0]), float(half[1])), projected=d > 2)


def to_images(x: torch.Tensor) -> torch.Tensor:
    """Flat images (B, 784) as (B, 1, 28, 28)."""
    return x.reshape(-1, 1, SIDE, SIDE)  # (B, 784) → (B, 1, 28, 28)


def manifold(run: VaeRun, plane: LatentPlane, n: int = 12) -> torch.Tensor:
    """The decoded manifold: one (n·28, n·28) image of decodings of an n × n grid of the plane, top row = largest b."""
    a = torch.linspace(-plane.half_span[0], plane.half_span[0], n)
    b = torch.linspace(plane.half_span[1], -plane.half_span[1], n)  # top to bottom
    gb, ga = torch.meshgrid(b, a, indexing="ij")
    ab = torch.stack([ga.flatten(), gb.flatten()], dim=1)  # (n·n, 2), row by row
    images = to_images(run.decode(plane.lift(ab)))  # (n·n, 1, 28, 28)
    return make_grid(images, nrow=n, padding=0)[0]  # (n·28, n·28)


def interpolate(run: VaeRun, x_from: torch.Tensor, x_to: torch.Tensor, steps: int = 10) -> torch.Tensor:
    """Decodings (steps, 784) of the straight line between the latent means of two images."""
    mu, _ = run.latents(torch.stack([x_from, x_to]))  # (2, d)
    t = torch.linspace(0, 1, steps)[:, None]  # (steps, 1)
    return run.decode((1 - t) * mu[0] + t * mu[1])  # (steps, d) → (steps, 784)


def prior_samples(run: VaeRun, n: int = 32, seed: int = 0) -> torch.Tensor:
    """Decodings (n, 784) of z ~ N(0, I): what the VAE generates."""
    z = torch.randn(n, run.config.latent_dim, generator=torch.Generator().manual_seed(seed))
    return run.decode(z)


@dataclass(frozen=True)
class Reparameterized:
    """The reparameterization trick on one image, in numbers: z = μ + σ·ε."""

    mu: torch.Tensor  # (d,)
    sigma: torch.Tensor  # (d,) = exp(½ log σ²)
    eps: torch.Tensor  # (d,) ~ N(0, 1)
    z: torch.Tensor  # (d,)
    decoded_mu: torch.Tensor  # (784,) the decoding of μ (the mean code)
    decoded_z: torch.Tensor  # (784,) the decoding of the sampled z


def reparameterize_example(run: VaeRun, x: torch.Tensor, seed: int = 0) -> Reparameterized:
    """μ, σ, a seeded ε, z and both decodings for one image x (784,)."""
    mu, log_var = run.latents(x[None])  # (1, d) each
    sigma = torch.exp(0.5 * log_var[0])
    eps = torch.randn(mu.shape[1], generator=torch.Generator().manual_seed(seed))
    z = mu[0] + sigma * eps
    decoded = run.decode(torch.stack([mu[0], z]))  # (2, 784)
    return Reparameterized(mu[0], sigma, eps, z, decoded[0], decoded[1])
