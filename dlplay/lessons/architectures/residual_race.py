"""Residual vs plain: a small ResNet and its no-skip twin racing from the same weights, with per-layer gradient norms."""

from __future__ import annotations

import copy
import math
from dataclasses import astuple, dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F

from dlplay.data.colour_images import make_colour_images
from dlplay.data.digits import make_digits
from dlplay.lessons.architectures.divergence import BlowUpGuard
from dlplay.models.init import seeded_init_
from dlplay.models.resnet import ResNet, parameter_count
from dlplay.optim.factory import OptimizerConfig
from dlplay.training.race import RunGroup
from dlplay.training.run import RunConfig, TrainingRun

DATASETS = ("colour images", "digits")
RACE_OPTIMIZERS = ("Momentum", "SGD", "Adam")  # plain SGD shows vanishing gradients as they are; Adam rescales them
MIN_BLOCKS, MAX_BLOCKS = 1, 10  # blocks per stage: 8 to 62 layers
PROBE_SAMPLES = 64  # training images of the batch the initial gradients are measured on
MAX_COST = 4 * (6 * MAX_BLOCKS + 2) * 8**2  # per-session cap: four 62-layer nets of width 8 (a step takes seconds on a CPU)


def layers(blocks_per_stage: int) -> int:
    """Weighted layers on the main path of a three-stage ResNet: 6n + 2 (stem, 2 convs per block, head)."""
    return 6 * blocks_per_stage + 2


@dataclass(frozen=True)
class RaceSetup:
    """Data, nets and training of the residual-vs-plain race."""

    dataset: str = "colour images"  # one of DATASETS: the embedded 32×32 colour images or 28×28 digits
    n_train: int = 2000  # training images: enough that the race is about optimization, not memorization
    n_val: int = 500  # held-out images for the validation accuracy
    blocks_per_stage: int = 3  # n: each net is 6n + 2 layers deep (3 → 20, He et al.'s ResNet-20)
    width: int = 8  # channels of the first stage (then 2w, 4w): small, so deep nets still train live on a CPU
    batch_norm: bool = True  # the curriculum's blocks have it; without it depth hurts the plain net much sooner
    shallow_blocks: int = 0  # blocks per stage of a shallower pair racing beside (0 = none): the degradation test
    optimizer: str = "Momentum"  # one of RACE_OPTIMIZERS (SGD with momentum 0.9, as He et al. trained)
    lr: float = 0.05  # applies live
    batch_size: int = 64  # images per optimizer step
    eval_every: int = 20  # steps between evaluations: the points of the curves and of the live gradient bars
    eval_samples: int = 256  # images per split evaluated: cheap enough to evaluate often


PRESETS = {  # name → the setup it loads: each shows one thing within a minute or two on two CPU cores
    "ResNet-20 vs plain-20": RaceSetup(),
    # width 4: the gap shows as clearly as at width 8 (measured), in about half the time
    "Degradation: 8 vs 32 layers": RaceSetup(blocks_per_stage=5, shallow_blocks=1, width=4),
    "Vanishing gradients: no batch norm": RaceSetup(blocks_per_stage=4, batch_norm=False, shallow_blocks=1, lr=0.02),
}


def run_names(setup: RaceSetup) -> list[str]:
    """'residual 20', 'plain 20' (then the shallower pair): the race's runs, deep pair first."""
    names = [f"residual {layers(setup.blocks_per_stage)}", f"plain {layers(setup.blocks_per_stage)}"]
    if setup.shallow_blocks:
        names += [f"residual {layers(setup.shallow_blocks)}", f"plain {layers(setup.shallow_blocks)}"]
    return names


def cost(setup: RaceSetup) -> int:
    """Compute per training step, in units of one layer of width 1: Σ layers × width² over the race's nets."""
    depths = [setup.blocks_per_stage] + ([setup.shallow_blocks] if setup.shallow_blocks else [])
    return 2 * sum(layers(n) for n in depths) * setup.width**2


def step_size(setup: RaceSetup, default: int = 5) -> int:
    """Optimizer steps per click on Step: `default` for the default race, fewer for bigger ones (a click stays ≲ 2 s)."""
    return max(1, min(default, round(default * cost(RaceSetup()) / cost(setup))))


def lr_warning(setup: RaceSetup) -> str:
    """A sentence when the learning rate is far above what these nets train with; '' otherwise."""
    high = 0.1 if setup.optimizer == "Adam" else 1.0
    if setup.lr < high:
        return ""
    usual = "1e-3 to 1e-2" if setup.optimizer == "Adam" else "0.01 to 0.1"
    return (f"A learning rate of {setup.lr:g} is far above what these nets train with ({setup.optimizer}: {usual}). Expect "
            "the loss to blow up (the run then stops with a message) or the nets to stall at chance, loss ln 10 ≈ 2.30.")


def problems(setup: RaceSetup) -> list[str]:
    """A plain sentence for each setting the race cannot use; empty when it can be built."""
    found = []
    if setup.dataset not in DATASETS:
        found.append(f"Unknown data set {setup.dataset!r}: choose one of {', '.join(DATASETS)}.")
    for what, n in (("The depth", setup.blocks_per_stage), ("The shallower pair's depth", setup.shallow_blocks or 1)):
        if not MIN_BLOCKS <= n <= MAX_BLOCKS:
            found.append(f"{what} must be {MIN_BLOCKS}–{MAX_BLOCKS} blocks per stage ({layers(MIN_BLOCKS)}–"
                         f"{layers(MAX_BLOCKS)} layers), got {n}.")
    if setup.shallow_blocks and setup.shallow_blocks >= setup.blocks_per_stage:
        found.append(f"The shallower pair ({layers(setup.shallow_blocks)} layers) must be shallower than the main pair "
                     f"({layers(setup.blocks_per_stage)} layers).")
    if setup.optimizer not in RACE_OPTIMIZERS:
        found.append(f"Unknown optimizer {setup.optimizer!r}: choose one of {', '.join(RACE_OPTIMIZERS)}.")
    if not (math.isfinite(setup.lr) and setup.lr > 0):
        found.append(f"The learning rate must be a positive number, got {setup.lr}.")
    if setup.width < 1 or setup.n_train < 1 or setup.n_val < 1 or setup.batch_size < 1:
        found.append("Width, set sizes and batch size must be at least 1.")
    elif cost(setup) > MAX_COST:
        found.append(f"This race is {cost(setup) / cost(RaceSetup()):.0f}× the default's size, too big to train live "
                     f"here (the limit is {MAX_COST / cost(RaceSetup()):.0f}×): lower the width, the depth, or drop the "
                     "shallower pair.")
    return found


def make_data(setup: RaceSetup, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(X_train, y_train, X_val, y_val): colour images (N, 3, 32, 32) or digits (N, 1, 28, 28), labels in 0–9."""
    n = setup.n_train + setup.n_val
    if setup.dataset == "digits":
        X, y = make_digits(n, seed=seed)
    else:
        X, y = make_colour_images(math.ceil(n / 10), seed=seed)
        X, y = X[:n], y[:n]
    return X[: setup.n_train], y[: setup.n_train], X[setup.n_train :], y[setup.n_train :]


def build_pair(blocks_per_stage: int, setup: RaceSetup, in_channels: int, seed: int) -> tuple[ResNet, ResNet]:
    """A seeded ResNet and its plain twin holding the very same weights (the twin lacks only the projections)."""
    residual = seeded_init_(ResNet(blocks_per_stage, setup.width, 10, in_channels, batch_norm=setup.batch_norm), seed)
    plain = residual.plain_twin()
    # channels-last weights make PyTorch pick the faster NHWC convolutions (about 25 % per step on a CPU, measured)
    return residual.to(memory_format=torch.channels_last), plain.to(memory_format=torch.channels_last)


def gradient_norms(model: ResNet) -> np.ndarray:
    """‖∂L/∂W‖ of every main-path layer's weight, input first, from the gradients the latest backward left (nan if none)."""
    norms = [layer.weight.grad.norm().item() if layer.weight.grad is not None else math.nan
             for _, layer in model.main_layers()]
    return np.asarray(norms)


def initial_gradient_norms(model: ResNet, X: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """The per-layer gradient norms of one backward pass at the current weights, measured on a copy (model untouched)."""
    probe = copy.deepcopy(model).train()  # a copy: the forward would move batch norm's running statistics
    F.cross_entropy(probe(X), y).backward()
    return gradient_norms(probe)


class GradientProbe:
    """A TrainingRun callback: at each evaluation, keep the per-layer gradient norms of the latest training step."""

    def __init__(self, model: ResNet):
        self.model = model
        self.latest = np.full(len(model.main_layers()), math.nan)  # ‖∂L/∂W‖ per layer, input first
        self.step = 0  # the step those norms come from

    def __call__(self, run: TrainingRun) -> dict[str, float]:
        self.latest, self.step = gradient_norms(self.model), run.steps
        return {"grad_first": float(self.latest[0]), "grad_last": float(self.latest[-1])}


class ResidualRace(RunGroup):
    """The runs of the race, with each net's gradient norms at initialization and live."""

    def __init__(self, runs: dict[str, TrainingRun], probes: dict[str, GradientProbe], initial: dict[str, np.ndarray]):
        super().__init__(runs)
        self.probes = probes  # name → its live GradientProbe
        self.initial_norms = initial  # name → per-layer norms before the first step
        self.layer_names = {name: [n for n, _ in run.model.main_layers()] for name, run in runs.items()}

    def pairs(self) -> list[tuple[str, str]]:
        """(residual name, plain name) of each depth, deepest first."""
        names = list(self.runs)
        return [(names[i], names[i + 1]) for i in range(0, len(names), 2)]


def build_race(setup: RaceSetup, data: tuple, seed: int = 0, device: torch.device | str = "cpu") -> ResidualRace:
    """The residual net and its plain twin (and a shallower pair if asked) on the same data, batches and weights."""
    found = problems(setup)
    if found:
        raise ValueError(" ".join(found))
    X_train, y_train = data[0], data[1]
    in_channels = X_train.shape[1]
    depths = [setup.blocks_per_stage] + ([setup.shallow_blocks] if setup.shallow_blocks else [])
    models = [m for n in depths for m in build_pair(n, setup, in_channels, seed)]
    config = RunConfig(batch_size=setup.batch_size, eval_every=setup.eval_every, eval_samples=setup.eval_samples,
                       seed=seed)
    optimizer = OptimizerConfig(name=setup.optimizer, lr=setup.lr)
    runs, probes, initial = {}, {}, {}
    X_probe, y_probe = X_train[:PROBE_SAMPLES], y_train[:PROBE_SAMPLES]
    for name, model in zip(run_names(setup), models):
        initial[name] = initial_gradient_norms(model, X_probe, y_probe)
        probes[name] = GradientProbe(model)
        runs[name] = TrainingRun(model, *data, optimizer=optimizer, config=config, device=device,
                                 callbacks=(probes[name], BlowUpGuard()))
    return ResidualRace(runs, probes, initial)


def signature(setup: RaceSetup, seed: int, device: object) -> tuple:
    """Everything that restarts the race (the learning rate applies live and is left out)."""
    return astuple(replace(setup, lr=0.0)), seed, str(device)


def results(race: ResidualRace) -> list[dict[str, object]]:
    """One row per net: depth, parameters, status, losses, accuracies and the gradient reaching its first layer."""
    rows = []
    for name, run in race.runs.items():
        h, probe = run.history, race.probes[name]
        best = h.best("val_acc")
        status = {"ready": "training" if run.steps else "ready"}.get(run.status, run.status)
        rows.append({
            "net": name,
            "layers": run.model.depth,
            "parameters": parameter_count(run.model),
            "steps": run.steps,
            "train loss": smoothed_train_loss(run, min(run.steps, 40)) if run.steps else math.nan,
            "val acc": h.val_acc[-1] if h.eval_step else math.nan,
            "best val acc": best[1] if best else math.nan,
            "first-layer gradient": float(probe.latest[0]) if run.steps else float(race.initial_norms[name][0]),
            "status": status,
        })
    return rows


def smoothed_train_loss(run: TrainingRun, window: int = 40) -> float:
    """The mean batch loss of the latest `window` steps: the training loss the optimizer sees (train mode).

    Why not the evaluations' training loss: they run in eval mode, where batch norm's running statistics lag behind
    weights that change fast, and a deep net's evaluated loss then jumps around."""
    values = run.history.step_loss[-window:]
    return sum(values) / len(values) if len(values) == window else math.nan


def batch_loss_curve(run: TrainingRun, every: int) -> tuple[list[int], list[float]]:
    """(steps, mean batch loss of each block of `every` steps): a smooth training-loss curve at no extra cost."""
    losses = run.history.step_loss
    blocks = len(losses) // every
    x = [(b + 1) * every for b in range(blocks)]
    y = [sum(losses[b * every : (b + 1) * every]) / every for b in range(blocks)]
    return x, y


def degradation(race: ResidualRace, window: int = 40) -> tuple[float, float] | None:
    """(plain gap, residual gap): deep minus shallow training loss (mean batch loss of the latest `window` steps) of each
    kind; None without a shallower pair (nan before `window` steps).

    The degradation problem (He et al. 2015): the plain gap is positive — more layers, worse *training* loss — while
    the residual gap is not."""
    pairs = race.pairs()
    if len(pairs) < 2:
        return None
    (res_deep, plain_deep), (res_shallow, plain_shallow) = pairs[0], pairs[1]
    loss = {name: smoothed_train_loss(run, window) for name, run in race.runs.items()}
    return loss[plain_deep] - loss[plain_shallow], loss[res_deep] - loss[res_shallow]


def shows_degradation(race: ResidualRace, margin: float = 0.3, slack: float = 0.2) -> bool:
    """True once the deep plain net trains worse than the shallow one by `margin` (nats of training loss) while the
    deep residual net stays within `slack` of its shallow one."""
    gaps = degradation(race)
    return gaps is not None and gaps[0] >= margin and gaps[1] <= slack


def race_code(setup: RaceSetup) -> str:
    """The curriculum's block, the nets of the current settings and the loop that trains them, as PyTorch source."""
    bn = "" if setup.batch_norm else ", batch_norm=False"
    channels = 1 if setup.dataset == "digits" else 3
    optimizer = {
        "Momentum": f"torch.optim.SGD(model.parameters(), lr={setup.lr:g}, momentum=0.9)",
        "SGD": f"torch.optim.SGD(model.parameters(), lr={setup.lr:g})",
        "Adam": f"torch.optim.Adam(model.parameters(), lr={setup.lr:g})",
    }.get(setup.optimizer, "...")
    return f'''
import torch
import torch.nn as nn
import torch.nn.functional as F

class ResidualBlock(nn.Module):  # the curriculum's block (dlplay.models.resnet adds shortcut= and batch_norm=)
    def __init__(self, in_channels, out_channels, stride=1, shortcut=True):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = None  # the plain twin: no skip, no projection
        if shortcut:
            self.shortcut = nn.Sequential()
            if stride != 1 or in_channels != out_channels:
                self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride),
                                              nn.BatchNorm2d(out_channels))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.shortcut is not None:
            out = out + self.shortcut(x)  # skip connection
        return F.relu(out)

# {layers(setup.blocks_per_stage)} layers: a stem, 3 stages of {setup.blocks_per_stage} blocks (widths {setup.width}, {2 * setup.width}, {4 * setup.width}), a linear head
from dlplay.models.resnet import ResNet
from dlplay.models.init import seeded_init_
residual = seeded_init_(ResNet({setup.blocks_per_stage}, width={setup.width}, num_classes=10, in_channels={channels}{bn}), seed=0)
plain = residual.plain_twin()  # same weights, shortcut=False in every block

for model in (residual, plain):
    optimizer = {optimizer}
    for X, y in train_loader:  # batches of {setup.batch_size}, the same order for both nets
        loss = F.cross_entropy(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        grad_norms = [layer.weight.grad.norm() for _, layer in model.main_layers()]  # the bars, input first
        optimizer.step()
'''
