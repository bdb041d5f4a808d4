"""The 2D GAN lab: settings, a run on a target distribution, D's field, and how well G covers the target."""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from dlplay.lessons.generative.gan_lab import GanConfig, GanRun
from dlplay.lessons.generative.gan_targets import EXTENT, TARGETS, Target, make_target

N_REAL = 2000  # real samples of the target
N_EVAL = 2000  # generated samples per measurement
SHARE = 0.25  # a mode is covered when it holds at least this fraction of its fair share of generated points
JS_BINS = 24  # histogram cells per axis of the JS estimate


@dataclass(frozen=True)
class Gan2dConfig:
    """What a user can set of the 2D GAN lab."""

    target: str = TARGETS[0]  # one of TARGETS
    points: tuple[tuple[float, float], ...] = ()  # the clicked points, for "Your points"
    latent_dim: int = 2  # noise dimensions: 2 as GAN Lab, so G folds a plane onto the target
    hidden_size: int = 64  # width of both hidden layers of G and of D: small nets train fast on a CPU
    loss: str = "non-saturating"  # one of GAN_LOSSES
    optimizer: str = "Adam"  # one of GAN_OPTIMIZERS
    lr_d: float = 1e-3  # D's step size; applies live
    lr_g: float = 1e-3  # G's step size; applies live
    d_steps: int = 1  # D updates per round; applies live
    g_steps: int = 1  # G updates per round; applies live
    batch_size: int = 256  # real and fake points per update
    seed: int = 0  # target sample, initial weights and noise

    def signature(self) -> tuple:
        """The settings that need a new run (learning rates and the D:G ratio apply live)."""
        return (self.target, self.points if self.target == TARGETS[-1] else (), self.latent_dim, self.hidden_size,
                self.loss, self.optimizer, self.batch_size, self.seed)

    def gan_config(self) -> GanConfig:
        width = (self.hidden_size, self.hidden_size)
        return GanConfig(latent_dim=self.latent_dim, g_hidden=width, d_hidden=width, loss=self.loss,
                         optimizer=self.optimizer, lr_d=self.lr_d, lr_g=self.lr_g, d_steps=self.d_steps,
                         g_steps=self.g_steps, batch_size=self.batch_size, eval_every=25, seed=self.seed)


@dataclass(frozen=True)
class Coverage:
    """How the generated points fall on the target's modes."""

    counts: torch.Tensor  # (M,) generated points near each mode
    fair: torch.Tensor  # (M,) the count each mode would get if G matched the target
    covered: torch.Tensor  # (M,) bool: the mode holds at least SHARE of its fair count
    on_target: float  # fraction of generated points near some mode (the samples' quality)

    @property
    def n_covered(self) -> int:
        return int(self.covered.sum())


def coverage(target: Target, fake: torch.Tensor) -> Coverage:
    """Generated points fake (N, 2) counted on the nearest mode of the target, when within that mode's radius."""
    def near_counts(X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        dist = torch.cdist(X, target.modes)  # (N, M)
        nearest = dist.argmin(dim=1)
        near = dist.gather(1, nearest[:, None]).squeeze(1) <= target.radius[nearest]
        return torch.bincount(nearest[near], minlength=len(target.modes)).float(), near

    real_counts, _ = near_counts(target.X)
    counts, near = near_counts(fake)
    fair = real_counts / len(target.X) * len(fake)
    return Coverage(counts, fair, counts >= SHARE * fair, float(near.float().mean()))


def js_divergence(real: torch.Tensor, fake: torch.Tensor, bins: int = JS_BINS, extent: float = EXTENT) -> float:
    """Jensen–Shannon divergence (in bits, 0 … 1) between two point clouds, estimated on a bins × bins histogram."""
    def histogram(X: torch.Tensor) -> torch.Tensor:
        cells = ((X.clamp(-extent, extent - 1e-6) + extent) / (2 * extent) * bins).long()  # (N, 2) cell indices
        h = torch.bincount(cells[:, 0] * bins + cells[:, 1], minlength=bins * bins).double()
        return h / h.sum()

    p, q = histogram(real), histogram(fake)
    m = 0.5 * (p + q)

    def kl(a: torch.Tensor) -> torch.Tensor:
        mask = a > 0
        return (a[mask] * (a[mask] / m[mask]).log2()).sum()

    return float(0.5 * kl(p) + 0.5 * kl(q))


def build_gan2d(config: Gan2dConfig, device: torch.device | str = "cpu") -> GanRun:
    """A GanRun on the configured target, measuring JS divergence and mode coverage every 25 rounds."""
    target = make_target(config.target, N_REAL, config.seed, list(config.points))
    eval_z = torch.randn(N_EVAL, config.latent_dim, generator=torch.Generator().manual_seed(config.seed + 4))

    def metrics(run: GanRun) -> dict[str, float]:
        fake = run.samples(eval_z)
        cov = coverage(target, fake)
        return {"js": js_divergence(target.X, fake), "covered": float(cov.n_covered), "on_target": cov.on_target}

    run = GanRun(target.X, config.gan_config(), device, metrics=metrics, n_fixed=256)
    run.target = target
    run.eval_z = eval_z
    return run


def d_field(run: GanRun, resolution: int = 48, extent: float = EXTENT) -> tuple[torch.Tensor, torch.Tensor]:
    """(axis (G,), D's verdict (G, G) with rows along y) on a grid over [−extent, extent]²."""
    axis = torch.linspace(-extent, extent, resolution)
    gy, gx = torch.meshgrid(axis, axis, indexing="ij")
    grid = torch.stack([gx.flatten(), gy.flatten()], dim=1)  # (G·G, 2)
    return axis, run.verdict(grid).reshape(resolution, resolution)  # (G, G)


def collapse_note(run: GanRun) -> str:
    """A plain sentence when G sits on few of the target's modes after a while; '' otherwise."""
    h = run.history
    if not h.eval_step or run.steps < 400:
        return ""
    n_modes = len(run.target.modes)
    covered, on_target = int(h.evals["covered"][-1]), h.evals["on_target"][-1]
    if covered < n_modes and on_target > 0.5:
        kind = "modes" if run.target.name.endswith("Gaussians") else "regions"
        return (f"**Mode collapse:** the generated points sit on the target ({on_target:.0%} of them on a mode) but on only "
                f"{covered} of its {n_modes} {kind}. G found a few places D accepts and keeps its samples there; D then "
                "learns to reject them and they hop to another mode, rather than spreading out.")
    return ""


def with_points(config: Gan2dConfig, points: list[tuple[float, float]]) -> Gan2dConfig:
    """The same settings with other clicked points."""
    return replace(config, points=tuple(points))


OPTIMIZER_CODE = {  # how each of GAN_OPTIMIZERS is built (dlplay.optim.factory), as a template of (module, lr)
    "Adam": "torch.optim.Adam({}.parameters(), lr={}, betas=(0.5, 0.999))",
    "SGD": "torch.optim.SGD({}.parameters(), lr={})",
    "Momentum": "torch.optim.SGD({}.parameters(), lr={}, momentum=0.9)",
    "RMSProp": "torch.optim.RMSprop({}.parameters(), lr={}, alpha=0.9)",
}


def gan2d_code(config: Gan2dConfig) -> str:
    """The GAN loop this lab runs, for the current settings."""
    c = config
    if c.loss == "least squares":
        losses = ("loss_d = 0.5 * ((D(real) - 1) ** 2).mean() + 0.5 * (D(fake) ** 2).mean()   # D's raw score, no Sigmoid",
                  "loss_g = 0.5 * ((D(G(z)) - 1) ** 2).mean()")
    else:
        g = ("loss_g = torch.log(1 - torch.sigmoid(D(G(z)))).mean()   # minimax: G minimizes log(1 - D(G(z)))"
             if c.loss == "minimax" else "loss_g = bce(D(G(z)), ones)                       # non-saturating: -log D(G(z))")
        losses = ("loss_d = bce(D(real), ones) + bce(D(fake), zeros)   # D(x): logits; bce = F.binary_cross_entropy_with_logits", g)
    optimizer = OPTIMIZER_CODE[c.optimizer]
    return f'''import torch
import torch.nn.functional as F
from dlplay.models.generative import Generator, Discriminator   # the curriculum's classes

G = Generator({c.latent_dim}, 2, hidden_sizes=({c.hidden_size}, {c.hidden_size}))   # noise → point (Tanh: inside ±1)
D = Discriminator(2, hidden_sizes=({c.hidden_size}, {c.hidden_size}))             # point → P(real); D.logits skips the Sigmoid
opt_d = {optimizer.format("D", f"{c.lr_d:g}")}
opt_g = {optimizer.format("G", f"{c.lr_g:g}")}
bce = F.binary_cross_entropy_with_logits

for round in range(rounds):
    for _ in range({c.d_steps}):                       # D's turn: real → 1, fake → 0
        real = X[torch.randint(len(X), ({c.batch_size},))]
        fake = G(torch.randn({c.batch_size}, {c.latent_dim})).detach()   # G held still
        ones, zeros = torch.ones({c.batch_size}, 1), torch.zeros({c.batch_size}, 1)
        {losses[0].replace("D(", "D.logits(")}
        opt_d.zero_grad(); loss_d.backward(); opt_d.step()
    for _ in range({c.g_steps}):                       # G's turn: fool D (only G's optimizer steps)
        z = torch.randn({c.batch_size}, {c.latent_dim})
        {losses[1].replace("D(", "D.logits(")}
        opt_g.zero_grad(); loss_g.backward(); opt_g.step()
'''
