"""The curriculum's Generator and Discriminator on 28×28 images, and the VAE-vs-GAN comparison measures."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from dlplay.lessons.generative.gan_lab import GanConfig, GanRun

N_SAMPLES = 64  # samples drawn from fixed noise, the grid the page shows


@dataclass(frozen=True)
class ImageGanConfig:
    """What a user can set of the image GAN; the networks are the curriculum's Generator(100, 784) / Discriminator(784)."""

    loss: str = "non-saturating"  # one of GAN_LOSSES
    lr: float = 2e-4  # both players' step size (DCGAN's); applies live
    d_steps: int = 1  # D updates per round; applies live
    batch_size: int = 64  # real and fake images per update
    seed: int = 0  # initial weights and noise

    def signature(self) -> tuple:
        """The settings that need a new run."""
        return (self.loss, self.batch_size, self.seed)

    def gan_config(self) -> GanConfig:
        return GanConfig(latent_dim=100, loss=self.loss, lr_d=self.lr, lr_g=self.lr, d_steps=self.d_steps,
                         batch_size=self.batch_size, eval_every=100, seed=self.seed)


def build_image_gan(X_train: torch.Tensor, config: ImageGanConfig, device: torch.device | str = "cpu") -> GanRun:
    """A GanRun of the curriculum's networks on images X_train (N, 784) in [0, 1], rescaled to the Tanh's [−1, 1]."""
    return GanRun(X_train.flatten(1) * 2 - 1, config.gan_config(), device, n_fixed=N_SAMPLES)


def gan_images(run: GanRun, z: torch.Tensor | None = None) -> torch.Tensor:
    """G's images (B, 784) in [0, 1] from the fixed noise (or z)."""
    return (run.samples(z) + 1) / 2


def blur_score(images: torch.Tensor, ink: float = 0.2, solid: float = 0.8) -> float:
    """Of the inked pixels (> ink), the fraction that are only grey (< solid): high for blurry images, low for sharp ones."""
    inked = images > ink
    grey = inked & (images < solid)
    return float(grey.sum() / inked.sum().clamp_min(1))


def nearest_classes(samples: torch.Tensor, X_ref: torch.Tensor, y_ref: torch.Tensor, n_classes: int) -> torch.Tensor:
    """(C,) how many samples (B, 784) look most like each class: the label of their nearest reference image (pixels)."""
    nearest = torch.cdist(samples.float(), X_ref.float()).argmin(dim=1)  # (B,)
    return torch.bincount(y_ref[nearest], minlength=n_classes)


IMAGE_LOSS_CODE = {  # (D's loss, G's loss) as the curriculum's Sigmoid-ended D would write them
    "non-saturating": ("loss_d = -(torch.log(D(real) + eps).mean() + torch.log(1 - D(fake) + eps).mean())",
                       "loss_g = -torch.log(D(fake) + eps).mean()              # non-saturating: -log D(G(z))"),
    "minimax": ("loss_d = -(torch.log(D(real) + eps).mean() + torch.log(1 - D(fake) + eps).mean())",
                "loss_g = torch.log(1 - D(fake) + eps).mean()            # minimax: log(1 - D(G(z)))"),
    "least squares": ("loss_d = 0.5 * ((score(real) - 1) ** 2).mean() + 0.5 * (score(fake) ** 2).mean()",
                      "loss_g = 0.5 * ((score(fake) - 1) ** 2).mean()       # score = D.model[:-1]: no Sigmoid"),
}


def image_gan_code(config: ImageGanConfig) -> str:
    """The curriculum's GAN classes and the image loop this section runs."""
    d_line, g_line = IMAGE_LOSS_CODE[config.loss]
    return f'''import torch
import torch.nn.functional as F
from torch import nn
from torchvision.utils import make_grid

class Generator(nn.Module):                     # the curriculum's, unchanged
    def __init__(self, latent_dim, output_dim):
        super().__init__()
        self.model = nn.Sequential(
            nn.Linear(latent_dim, 256), nn.LeakyReLU(0.2),
            nn.Linear(256, 512), nn.LeakyReLU(0.2),
            nn.Linear(512, output_dim), nn.Tanh())
    def forward(self, z):
        return self.model(z)

class Discriminator(nn.Module):
    def __init__(self, input_dim):
        super().__init__()
        self.model = nn.Sequential(
            nn.Linear(input_dim, 512), nn.LeakyReLU(0.2),
            nn.Linear(512, 256), nn.LeakyReLU(0.2),
            nn.Linear(256, 1), nn.Sigmoid())
    def forward(self, x):
        return self.model(x)

G, D = Generator(100, 784), Discriminator(784)
opt_g = torch.optim.Adam(G.parameters(), lr={config.lr:g}, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(D.parameters(), lr={config.lr:g}, betas=(0.5, 0.999))
fixed_z = torch.randn(64, 100)                  # the same noise every time: watch the samples change
eps = 1e-7                                      # dlplay reads D's logits with F.binary_cross_entropy_with_logits instead
score = D.model[:-1]                            # D without its Sigmoid (least squares)

for real in loader:                             # (B, 784) images scaled to [-1, 1], B = {config.batch_size}
    for _ in range({config.d_steps}):
        fake = G(torch.randn(len(real), 100)).detach()
        {d_line}
        opt_d.zero_grad(); loss_d.backward(); opt_d.step()
    fake = G(torch.randn(len(real), 100))
    {g_line}
    opt_g.zero_grad(); loss_g.backward(); opt_g.step()

with torch.no_grad():
    grid = make_grid((G(fixed_z).reshape(-1, 1, 28, 28) + 1) / 2, nrow=8)
'''
