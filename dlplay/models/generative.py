"""The curriculum's generative models (chapter 10): a VAE, and a GAN's Generator and Discriminator."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class VAE(nn.Module):
    """Encoder → (μ, log σ²) → z = μ + σ·ε → decoder; VAE(784, 2) is the curriculum's model exactly."""

    def __init__(self, input_dim: int, latent_dim: int, *, hidden_size: int = 256):  # 256: the curriculum's width
        super().__init__()
        # Encoder
        self.encoder = nn.Sequential(nn.Linear(input_dim, hidden_size), nn.ReLU())
        self.fc_mu = nn.Linear(hidden_size, latent_dim)
        self.fc_var = nn.Linear(hidden_size, latent_dim)
        # Decoder
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden_size), nn.ReLU(), nn.Linear(hidden_size, input_dim), nn.Sigmoid()
        )
        self.input_dim, self.latent_dim = input_dim, latent_dim
        # What the lessons plot, kept from the latest forward pass (detached): μ, log σ², ε and z, each (B, latent_dim).
        self.last_mu = self.last_log_var = self.last_eps = self.last_z = None

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(μ, log σ²) of q(z | x), each (B, latent_dim)."""
        h = self.encoder(x.flatten(1))  # (B, ...) → (B, input_dim) → (B, hidden)
        return self.fc_mu(h), self.fc_var(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Pixel means in [0, 1], (B, input_dim), of p(x | z)."""
        return self.decoder(z)

    def reparameterize(
        self, mu: torch.Tensor, log_var: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """z = μ + σ·ε with ε ~ N(0, I): the randomness sits outside the path the gradient follows."""
        std = torch.exp(0.5 * log_var)
        eps = torch.randn(std.shape, generator=generator, device=std.device, dtype=std.dtype)  # randn_like, seedable
        self.last_eps = eps.detach()
        return mu + eps * std

    def forward(
        self, x: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(reconstruction (B, input_dim), μ (B, latent_dim), log σ² (B, latent_dim))."""
        mu, log_var = self.encode(x)
        z = self.reparameterize(mu, log_var, generator)
        self.last_mu, self.last_log_var, self.last_z = mu.detach(), log_var.detach(), z.detach()
        return self.decode(z), mu, log_var


def _widths(hidden_sizes: Sequence[int]) -> list[int]:
    widths = [int(w) for w in hidden_sizes]
    if not widths or min(widths) < 1:
        raise ValueError(f"hidden_sizes needs at least one positive width, got {list(hidden_sizes)}")
    return widths


class Generator(nn.Module):
    """Noise z → sample in (−1, 1) through Linear + LeakyReLU(0.2) layers and a Tanh; defaults are the curriculum's."""

    def __init__(self, latent_dim: int, output_dim: int, *, hidden_sizes: Sequence[int] = (256, 512)):
        super().__init__()
        layers: list[nn.Module] = []
        previous = latent_dim
        for width in _widths(hidden_sizes):
            layers += [nn.Linear(previous, width), nn.LeakyReLU(0.2)]
            previous = width
        layers += [nn.Linear(previous, output_dim), nn.Tanh()]
        self.model = nn.Sequential(*layers)
        self.latent_dim, self.output_dim = latent_dim, output_dim

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.model(z)  # (B, latent_dim) → (B, output_dim)


class Discriminator(nn.Module):
    """Sample → probability it is real, through Linear + LeakyReLU(0.2) layers and a Sigmoid; defaults are the curriculum's."""

    def __init__(self, input_dim: int, *, hidden_sizes: Sequence[int] = (512, 256)):
        super().__init__()
        layers: list[nn.Module] = []
        previous = input_dim
        for width in _widths(hidden_sizes):
            layers += [nn.Linear(previous, width), nn.LeakyReLU(0.2)]
            previous = width
        layers += [nn.Linear(previous, 1), nn.Sigmoid()]
        self.model = nn.Sequential(*layers)
        self.input_dim = input_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x.flatten(1))  # (B, ...) → (B, input_dim) → (B, 1) probability of "real"

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """The score before the Sigmoid, (B, 1): losses read it for numerical stability (BCE with logits)."""
        return self.model[:-1](x.flatten(1))  # (B, input_dim) → (B, 1)
