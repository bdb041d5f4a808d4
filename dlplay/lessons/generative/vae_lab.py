"""The VAE lab: the ELBO loss, a live VAE run on digit images, and what it measures (kNN on the latent means, KL)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from dlplay.lessons.generative.live import LiveRun
from dlplay.models.generative import VAE
from dlplay.models.init import seeded_init_

LATENT_RANGE = (2, 16)  # latent sizes the lab accepts: 2 is drawn as is, more through a 2D projection
ACTIVE_KL = 0.01  # nats: a latent dimension whose average KL is below this carries no information (it is "collapsed")


@dataclass(frozen=True)
class VaeConfig:
    """What a user can set of the VAE lab (the fields that need a new model, plus the live ones)."""

    dataset: str = "Synthetic digits"  # one of the image data sets (MNIST/FashionMNIST when on disk)
    n_train: int = 3000  # training images: plenty for a 2D code, and few enough to draw fast on a first visit
    latent_dim: int = 2  # size of z: 2 lets the latent space be drawn as is
    hidden_size: int = 256  # the curriculum's encoder/decoder width
    beta: float = 1.0  # weight of the KL term (β-VAE); 1 is the true ELBO; applies live
    lr: float = 2e-3  # Adam's step size; applies live
    batch_size: int = 64  # images per step: small batches, many steps — the latent space sorts itself out sooner
    eval_every: int = 100  # steps between measurements on the test images
    seed: int = 0  # initial weights, batch order and the ε noise

    def signature(self) -> tuple:
        """The settings that need a new model (β and lr apply live)."""
        return (self.dataset, self.n_train, self.latent_dim, self.hidden_size, self.batch_size, self.seed)


def vae_loss_terms(x_hat: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, log_var: torch.Tensor
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """(reconstruction, KL), each summed over pixels / latent dimensions and averaged over the batch.

    Reconstruction = −log p(x | z) for Bernoulli pixels = binary cross-entropy; KL(N(μ, σ²) ‖ N(0, 1)) in closed form:
    −½ Σ (1 + log σ² − μ² − σ²)."""
    batch = x.shape[0]
    recon = F.binary_cross_entropy(x_hat, x.flatten(1), reduction="sum") / batch  # (B, D) → scalar
    kl = -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp()) / batch
    return recon, kl


def vae_loss(x_hat: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, log_var: torch.Tensor, beta: float = 1.0
             ) -> torch.Tensor:
    """The (β-)VAE loss: reconstruction + β·KL; with β = 1 it is the negative ELBO."""
    recon, kl = vae_loss_terms(x_hat, x, mu, log_var)
    return recon + beta * kl


def knn_accuracy(points: torch.Tensor, labels: torch.Tensor, k: int = 5) -> float:
    """Leave-one-out k-nearest-neighbour accuracy of labels from points (N, d): how well the classes separate."""
    n = len(points)
    if n < 2:
        return float("nan")
    k = min(k, n - 1)
    dist = torch.cdist(points.float(), points.float())  # (N, N)
    dist.fill_diagonal_(float("inf"))  # a point is not its own neighbour
    neighbours = dist.topk(k, largest=False).indices  # (N, k)
    votes = F.one_hot(labels[neighbours], int(labels.max()) + 1).sum(dim=1)  # (N, k, C) → (N, C)
    return float((votes.argmax(dim=1) == labels).float().mean())


def kl_per_dim(mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """The average KL of each latent dimension (d,), in nats: ≈ 0 where the posterior collapsed onto the prior."""
    return (-0.5 * (1 + log_var - mu.pow(2) - log_var.exp())).mean(dim=0)


class VaeRun(LiveRun):
    """A VAE trained live on flattened images X (N, D) in [0, 1]; test images with labels feed the measurements."""

    SERIES = ("loss", "recon", "kl")

    def __init__(self, X_train: torch.Tensor, X_test: torch.Tensor, y_test: torch.Tensor, config: VaeConfig,
                 device: torch.device | str = "cpu"):
        if not LATENT_RANGE[0] <= config.latent_dim <= LATENT_RANGE[1]:
            raise ValueError(f"latent_dim must be between {LATENT_RANGE[0]} and {LATENT_RANGE[1]}, got {config.latent_dim}")
        if len(X_train) == 0 or len(X_test) == 0:
            raise ValueError("the VAE needs training and test images")
        model = seeded_init_(VAE(X_train[0].numel(), config.latent_dim, hidden_size=config.hidden_size), config.seed)
        super().__init__(model, device, eval_every=config.eval_every,
                         batch_size=max(1, min(config.batch_size, len(X_train))))
        self.config = config
        self.beta = config.beta
        self.X_train = X_train.flatten(1).to(self.device)  # (N, D)
        self.X_test = X_test.flatten(1).to(self.device)  # (M, D)
        self.y_test = y_test.to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.lr)
        self.batches = torch.Generator().manual_seed(config.seed)  # batch order
        self.noise = torch.Generator(device=self.device).manual_seed(config.seed + 1)  # ε of the reparameterization
        self._order, self._cursor = torch.empty(0, dtype=torch.long), 0

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def set_lr(self, lr: float) -> None:
        """Apply a new learning rate live."""
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def set_beta(self, beta: float) -> None:
        """Apply a new weight of the KL term live."""
        self.beta = float(beta)

    def _next_batch(self) -> torch.Tensor:
        if self._cursor + self.batch_size > len(self._order):
            self._order, self._cursor = torch.randperm(len(self.X_train), generator=self.batches).to(self.device), 0
        index = self._order[self._cursor : self._cursor + self.batch_size]
        self._cursor += self.batch_size
        return self.X_train[index]

    def _train(self, k: int) -> torch.Tensor:
        rows = []
        for _ in range(k):
            x = self._next_batch()  # (B, D)
            x_hat, mu, log_var = self.model(x, generator=self.noise)
            recon, kl = vae_loss_terms(x_hat, x, mu, log_var)
            loss = recon + self.beta * kl
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            rows.append(torch.stack([loss.detach(), recon.detach(), kl.detach()]))
        return torch.stack(rows)  # (k, 3)

    def _evaluate(self) -> dict[str, float]:
        mu, log_var = self.model.encode(self.X_test)  # (M, d) each
        x_hat = self.model.decode(mu)  # the mean reconstruction: no sampling noise in a measurement
        recon, kl = vae_loss_terms(x_hat, self.X_test, mu, log_var)
        per_dim = kl_per_dim(mu, log_var)
        return {"test_recon": float(recon), "test_kl": float(kl), "knn_acc": knn_accuracy(mu.cpu(), self.y_test.cpu()),
                "active_dims": float((per_dim > ACTIVE_KL).sum())}

    def latents(self, X: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(μ, log σ²) of X (the test images by default), on the CPU, without autograd."""
        X = self.X_test if X is None else X.flatten(1).to(self.device)
        with self._lock, torch.no_grad():
            mu, log_var = self.model.encode(X)
        return mu.float().cpu(), log_var.float().cpu()

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Decoded images (B, D) in [0, 1] of latent points z (B, d), on the CPU."""
        with self._lock, torch.no_grad():
            return self.model.decode(z.to(self.device, torch.float32)).float().cpu()


def vae_code(config: VaeConfig, input_dim: int = 784) -> str:
    """The curriculum's VAE and the loss and loop this lab runs, for the current settings."""
    return f'''import torch
import torch.nn.functional as F
from torch import nn

class VAE(nn.Module):
    def __init__(self, input_dim, latent_dim):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(input_dim, {config.hidden_size}), nn.ReLU())
        self.fc_mu = nn.Linear({config.hidden_size}, latent_dim)
        self.fc_var = nn.Linear({config.hidden_size}, latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, {config.hidden_size}), nn.ReLU(),
            nn.Linear({config.hidden_size}, input_dim), nn.Sigmoid())

    def reparameterize(self, mu, log_var):
        std = torch.exp(0.5 * log_var)
        eps = torch.randn_like(std)          # the randomness, outside the gradient's path
        return mu + eps * std

    def forward(self, x):
        h = self.encoder(x)
        mu, log_var = self.fc_mu(h), self.fc_var(h)
        z = self.reparameterize(mu, log_var)
        return self.decoder(z), mu, log_var

def vae_loss(x_hat, x, mu, log_var, beta={config.beta:g}):
    recon = F.binary_cross_entropy(x_hat, x, reduction="sum") / len(x)       # -log p(x|z)
    kl = -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp()) / len(x)  # KL(q(z|x) || N(0, I))
    return recon + beta * kl                                                 # beta = 1: the negative ELBO

model = VAE({input_dim}, {config.latent_dim})
optimizer = torch.optim.Adam(model.parameters(), lr={config.lr:g})
for x in loader:                                   # batches of {config.batch_size} images, flattened to (B, {input_dim})
    x_hat, mu, log_var = model(x)
    loss = vae_loss(x_hat, x, mu, log_var)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

with torch.no_grad():                              # samples: decode draws from the prior
    samples = model.decoder(torch.randn(64, {config.latent_dim}))
'''
