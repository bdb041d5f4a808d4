"""Loss landscapes: the loss on a 2D slice through the weights along two filter-normalized random directions.

Li, Xu, Taylor, Studer & Goldstein, "Visualizing the Loss Landscape of Neural Nets" (NeurIPS 2018): each direction is
Gaussian noise rescaled filter by filter to the norm of the weights it perturbs, so a step of 1 changes every filter
by about its own size — whatever the layer's scale (which batch norm leaves arbitrary). Biases and batch-norm
parameters are held fixed (their directions are 0), as in the paper's default."""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call
from torch.fx.experimental.optimization import fuse

RESOLUTIONS = (11, 15, 21, 31)  # grid points a side
SPANS = (0.25, 0.5, 1.0, 2.0)  # the slice covers α, β ∈ [−span, span]
SUBSETS = (64, 128, 256, 512)  # training images each loss is measured on


@dataclass(frozen=True)
class LandscapeSetup:
    """The slice: its size, its resolution and the data each point is measured on."""

    resolution: int = 21  # points a side: 21 × 21 = 441 losses per net
    span: float = 1.0  # α and β run over [−span, span] in filter-normalized units (1 = each filter's own norm)
    n_samples: int = 64  # training images per loss: a subset keeps 2 × 441 evaluations within half a minute on a CPU
    seed: int = 0  # draws the two random directions


def eval_copy(model: nn.Module) -> nn.Module:
    """A frozen copy to evaluate: eval mode, each batch norm folded into the convolution before it (where torch.fx can
    trace the model), channels-last weights. Folding is exact in eval mode and makes each evaluation about a third
    cheaper (measured on the race's nets); a direction drawn for the folded weights is one drawn for the originals:
    folding rescales each filter, and filter normalization takes each filter's own norm."""
    frozen = copy.deepcopy(model).eval()
    try:
        frozen = fuse(frozen)  # conv → batch norm pairs become one conv
    except Exception:  # noqa: BLE001 - a model fx cannot trace is evaluated as it is
        pass
    return frozen.to(memory_format=torch.channels_last)


def random_directions(named_params: dict[str, torch.Tensor], seed: int) -> tuple[dict, dict]:
    """Two random directions {name: tensor}, each drawn per parameter name from a generator seeded with `seed`.

    Drawing per name (a generator seeded from the seed and the name) gives two nets that share layer names — a
    ResNet and its plain twin — the same directions on the layers they share."""
    directions = []
    for which in range(2):
        direction = {}
        for name, w in named_params.items():
            g = torch.Generator().manual_seed(hash_seed(seed, which, name))
            if w.dim() <= 1:  # biases and batch-norm scales stay put
                direction[name] = torch.zeros_like(w)
                continue
            d = torch.empty_like(w).copy_(torch.randn(w.shape, generator=g))  # w's device, dtype and memory format
            # filter normalization: each output filter d[i] gets the norm of w[i]
            d_norm = d.flatten(1).norm(dim=1).clamp_min(1e-12)  # (out,)
            w_norm = w.detach().flatten(1).norm(dim=1)  # (out,)
            direction[name] = d * (w_norm / d_norm).view(-1, *[1] * (w.dim() - 1))
        directions.append(direction)
    return directions[0], directions[1]


def hash_seed(seed: int, which: int, name: str) -> int:
    """A stable 63-bit seed from (seed, direction index, parameter name) (Python's hash() varies between processes)."""
    value = (seed * 1_000_003 + which * 7919) & (2**63 - 1)
    for ch in name.encode():
        value = (value * 131 + ch) % (2**61 - 1)
    return value


class LandscapeJob:
    """The slices of several nets, computed a few points at a time (`advance`), so a page stays live while it works.

    Each net is a frozen copy in eval mode (batch norm uses its running statistics, folded into the convolutions):
    training may go on meanwhile."""

    def __init__(self, models: dict[str, nn.Module], X: torch.Tensor, y: torch.Tensor, setup: LandscapeSetup = LandscapeSetup()):
        self.setup = setup
        self.axis = np.linspace(-setup.span, setup.span, setup.resolution)  # α (columns) and β (rows)
        self.models = {name: eval_copy(model) for name, model in models.items()}
        device = next(next(iter(self.models.values())).parameters()).device
        self.X, self.y = X[: setup.n_samples].to(device), y[: setup.n_samples].to(device)
        self.losses = {name: np.full((setup.resolution, setup.resolution), math.nan) for name in models}
        self._params, self._buffers = {}, {}
        self.directions: dict[str, tuple[dict, dict]] = {}  # net → (d₁, d₂), drawn for the frozen copy's weights
        for name, model in self.models.items():
            self._params[name] = {n: p.detach() for n, p in model.named_parameters()}
            self._buffers[name] = {n: b.detach() for n, b in model.named_buffers()}
            self.directions[name] = random_directions(self._params[name], setup.seed)
        self.total = len(models) * setup.resolution**2  # losses to compute in all
        self.done = 0  # losses computed so far
        self.seconds = 0.0  # compute time so far

    @property
    def finished(self) -> bool:
        """True once every point of every net is computed."""
        return self.done >= self.total

    def _point(self, index: int) -> None:
        per_net = self.setup.resolution**2
        name = list(self.models)[index // per_net]
        j, i = divmod(index % per_net, self.setup.resolution)
        alpha, beta = float(self.axis[i]), float(self.axis[j])
        d1, d2 = self.directions[name]
        moved = {n: w + alpha * d1[n] + beta * d2[n] for n, w in self._params[name].items()}  # w + α·d₁ + β·d₂
        with torch.inference_mode():
            logits = functional_call(self.models[name], (moved, self._buffers[name]), (self.X,))
            self.losses[name][j, i] = float(F.cross_entropy(logits.float(), self.y))

    def advance(self, seconds: float) -> int:
        """Compute points for about `seconds` (at least one, unless finished); return how many were computed."""
        start = time.perf_counter()
        computed = 0
        while not self.finished and (computed == 0 or time.perf_counter() - start < seconds):
            self._point(self.done)
            self.done += 1
            computed += 1
        self.seconds += time.perf_counter() - start
        return computed

    def result(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """{net: (axis (R,), losses (R, R))}, losses[j, i] at α = axis[i], β = axis[j]; nan where not computed yet."""
        return {name: (self.axis, losses) for name, losses in self.losses.items()}


def loss_surface(
    model: nn.Module, X: torch.Tensor, y: torch.Tensor, setup: LandscapeSetup = LandscapeSetup()
) -> tuple[np.ndarray, np.ndarray]:
    """(axis (R,), losses (R, R)) with losses[j, i] = L(w + axis[i]·d₁ + axis[j]·d₂) on X, y, in eval mode."""
    job = LandscapeJob({"net": model}, X, y, setup)
    job.advance(math.inf)
    return job.result()["net"]


def sharpness(axis: np.ndarray, losses: np.ndarray) -> float:
    """The mean loss over the slice minus its centre loss: how steeply the loss rises away from the trained weights."""
    centre = losses[len(axis) // 2, len(axis) // 2]
    finite = losses[np.isfinite(losses)]
    return float(finite.mean() - centre) if finite.size else math.nan
