"""GANs trained live: the G and D losses, a run doing D then G updates, and what the 2D lab draws and measures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from dlplay.lessons.generative.live import LiveRun
from dlplay.models.generative import Discriminator, Generator
from dlplay.models.init import seeded_init_
from dlplay.optim.factory import OptimizerConfig, make_optimizer

GAN_LOSSES = ("non-saturating", "minimax", "least squares")
GAN_OPTIMIZERS = ("Adam", "SGD", "Momentum", "RMSProp")


@dataclass(frozen=True)
class GanConfig:
    """A GAN's sizes and training settings; the defaults are the curriculum's Generator/Discriminator on 28×28 images."""

    latent_dim: int = 100  # size of the noise z
    g_hidden: tuple[int, ...] = (256, 512)  # the Generator's hidden widths (the curriculum's)
    d_hidden: tuple[int, ...] = (512, 256)  # the Discriminator's hidden widths (the curriculum's)
    loss: str = "non-saturating"  # one of GAN_LOSSES
    optimizer: str = "Adam"  # one of GAN_OPTIMIZERS
    lr_d: float = 2e-4  # D's step size (DCGAN's); applies live
    lr_g: float = 2e-4  # G's step size; applies live
    beta1: float = 0.5  # Adam's β₁: 0.5 damps the momentum that makes two players chasing each other overshoot (DCGAN)
    d_steps: int = 1  # D updates per round; applies live
    g_steps: int = 1  # G updates per round; applies live
    batch_size: int = 64  # real and fake samples per update
    eval_every: int = 50  # rounds between measurements
    seed: int = 0  # initial weights, noise and batches


class GAN(nn.Module):
    """The two players in one module, so one state_dict saves (and loads) the whole game."""

    def __init__(self, generator: Generator, discriminator: Discriminator):
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """D's probability that G(z) is real, (B, 1)."""
        return self.discriminator(self.generator(z))


def d_loss(real_score: torch.Tensor, fake_score: torch.Tensor, loss: str) -> torch.Tensor:
    """What D minimizes, from its scores (logits, before the Sigmoid) on real and fake samples.

    minimax / non-saturating: −[log D(x) + log(1 − D(G(z)))] (binary cross-entropy, real → 1, fake → 0);
    least squares (LSGAN): ½(s(x) − 1)² + ½ s(G(z))² on the raw score."""
    if loss == "least squares":
        return 0.5 * ((real_score - 1).pow(2).mean() + fake_score.pow(2).mean())
    return (F.binary_cross_entropy_with_logits(real_score, torch.ones_like(real_score))
            + F.binary_cross_entropy_with_logits(fake_score, torch.zeros_like(fake_score)))


def g_loss(fake_score: torch.Tensor, loss: str) -> torch.Tensor:
    """What G minimizes, from D's scores on its samples.

    minimax: log(1 − D(G(z))), flat where D is sure a sample is fake (G's gradient vanishes early on);
    non-saturating: −log D(G(z)), steep exactly there; least squares: ½(s(G(z)) − 1)²."""
    if loss == "minimax":
        return -F.binary_cross_entropy_with_logits(fake_score, torch.zeros_like(fake_score))  # = mean log(1 − D)
    if loss == "non-saturating":
        return F.binary_cross_entropy_with_logits(fake_score, torch.ones_like(fake_score))
    if loss == "least squares":
        return 0.5 * (fake_score - 1).pow(2).mean()
    raise ValueError(f"unknown GAN loss {loss!r}; choose one of {', '.join(GAN_LOSSES)}")


def d_verdict(score: torch.Tensor, loss: str) -> torch.Tensor:
    """D's answer in [0, 1] (1 = real): the Sigmoid's probability, or LSGAN's raw score clipped to [0, 1]."""
    return score.clamp(0, 1) if loss == "least squares" else torch.sigmoid(score)


class GanRun(LiveRun):
    """A GAN trained on real samples X (N, D) in [−1, 1]; one step is a round of d_steps D then g_steps G updates."""

    SERIES = ("d_loss", "g_loss", "d_real", "d_fake")
    UNIT = "round"

    def __init__(self, X_real: torch.Tensor, config: GanConfig, device: torch.device | str = "cpu", *,
                 metrics: Callable[[GanRun], dict[str, float]] | None = None, n_fixed: int = 64):
        if config.loss not in GAN_LOSSES:
            raise ValueError(f"unknown GAN loss {config.loss!r}; choose one of {', '.join(GAN_LOSSES)}")
        if len(X_real) == 0:
            raise ValueError("the GAN needs real samples")
        X_real = X_real.flatten(1)  # (N, D)
        dim = X_real.shape[1]
        generator = seeded_init_(Generator(config.latent_dim, dim, hidden_sizes=config.g_hidden), config.seed)
        discriminator = seeded_init_(Discriminator(dim, hidden_sizes=config.d_hidden), config.seed + 1)
        super().__init__(GAN(generator, discriminator), device, eval_every=config.eval_every,
                         batch_size=max(1, min(config.batch_size, len(X_real))))
        self.config = config
        self.loss = config.loss
        self.d_steps, self.g_steps = config.d_steps, config.g_steps
        self.X_real = X_real.to(self.device)
        self.opt_d = self._optimizer(self.model.discriminator, config.lr_d)
        self.opt_g = self._optimizer(self.model.generator, config.lr_g)
        self.noise = torch.Generator(device=self.device).manual_seed(config.seed + 2)  # z and batch picks
        fixed = torch.Generator().manual_seed(config.seed + 3)
        self.z_fixed = torch.randn(n_fixed, config.latent_dim, generator=fixed).to(self.device)  # the samples we watch
        self.metrics = metrics
        self.d_updates = self.g_updates = 0

    @property
    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """D's and G's optimizers (a saved model keeps both states)."""
        return {"D": self.opt_d, "G": self.opt_g}

    def _optimizer(self, module: nn.Module, lr: float) -> torch.optim.Optimizer:
        if self.config.optimizer not in GAN_OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.config.optimizer!r}; choose one of {', '.join(GAN_OPTIMIZERS)}")
        return make_optimizer(module.parameters(), OptimizerConfig(self.config.optimizer, lr=lr, beta1=self.config.beta1))

    # ----- live settings ---------------------------------------------------------------------------------------------
    def set_lr(self, lr_d: float, lr_g: float | None = None) -> None:
        """Apply new learning rates live (one rate for both players when lr_g is None)."""
        for optimizer, lr in ((self.opt_d, lr_d), (self.opt_g, lr_d if lr_g is None else lr_g)):
            for group in optimizer.param_groups:
                group["lr"] = lr

    def set_ratio(self, d_steps: int, g_steps: int) -> None:
        """D and G updates per round, live."""
        self.d_steps, self.g_steps = max(1, int(d_steps)), max(1, int(g_steps))

    # ----- training --------------------------------------------------------------------------------------------------
    def _z(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.config.latent_dim, generator=self.noise, device=self.device)

    def _real_batch(self) -> torch.Tensor:
        index = torch.randint(0, len(self.X_real), (self.batch_size,), generator=self.noise, device=self.device)
        return self.X_real[index]

    def _d_update(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One D step on a real and a fake batch: (loss, mean D verdict on real, on fake)."""
        D = self.model.discriminator
        real = self._real_batch()
        with torch.no_grad():
            fake = self.model.generator(self._z(self.batch_size))  # G is not trained here
        real_score, fake_score = D.logits(real), D.logits(fake)
        loss = d_loss(real_score, fake_score, self.loss)
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        self.d_updates += 1
        return loss.detach(), d_verdict(real_score.detach(), self.loss).mean(), d_verdict(fake_score.detach(), self.loss).mean()

    def _g_update(self) -> torch.Tensor:
        """One G step through a D held still (only G's optimizer steps)."""
        fake_score = self.model.discriminator.logits(self.model.generator(self._z(self.batch_size)))
        loss = g_loss(fake_score, self.loss)
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        self.g_updates += 1
        return loss.detach()

    def _train(self, k: int) -> torch.Tensor:
        rows = []
        for _ in range(k):
            for _ in range(self.d_steps):
                ld, d_real, d_fake = self._d_update()
            for _ in range(self.g_steps):
                lg = self._g_update()
            rows.append(torch.stack([ld, lg, d_real, d_fake]))
        return torch.stack(rows)  # (k, 4)

    def update_once(self, player: str) -> None:
        """One update of only D ("D") or only G ("G"): the round taken apart. Not counted as a round."""
        with self._lock:
            if self.stopped:
                return
            snapshot = {k: v.clone() for k, v in self.model.state_dict().items()}
            value = self._d_update()[0] if player == "D" else self._g_update()
            if not (torch.isfinite(value) and all(bool(torch.isfinite(p).all()) for p in self.model.parameters())):
                self.model.load_state_dict(snapshot)
                self.status = "diverged"
                self.message = f"That {player} update made the loss or the weights infinite: the weights before it were kept."

    def _evaluate(self) -> dict[str, float]:
        return self.metrics(self) if self.metrics else {}

    # ----- views -----------------------------------------------------------------------------------------------------
    def samples(self, z: torch.Tensor | None = None) -> torch.Tensor:
        """G(z) on the CPU without autograd; the fixed noise by default."""
        with self._lock, torch.no_grad():
            return self.model.generator(self.z_fixed if z is None else z.to(self.device)).float().cpu()

    def verdict(self, X: torch.Tensor) -> torch.Tensor:
        """D's verdict in [0, 1] (1 = real) on samples X (N, D), on the CPU."""
        with self._lock, torch.no_grad():
            return d_verdict(self.model.discriminator.logits(X.to(self.device)), self.loss).float().cpu().squeeze(1)

    def generator_pull(self, z: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(fake points x = G(z), −∂L_G/∂x): where D's current verdict pushes each generated sample."""
        with self._lock:
            with torch.no_grad():
                x = self.model.generator(self.z_fixed if z is None else z.to(self.device))
            x.requires_grad_(True)
            loss = g_loss(self.model.discriminator.logits(x), self.loss) * len(x)  # per-sample gradients, not /B
            (grad,) = torch.autograd.grad(loss, x)
        return x.detach().float().cpu(), -grad.float().cpu()
