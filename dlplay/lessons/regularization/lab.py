"""The overfitting lab of chapter 7: two to four regularization configurations racing on one small noisy data set."""

from __future__ import annotations

import math
from dataclasses import astuple, dataclass

import torch

from dlplay.data.toy2d import CLASSIFICATION_SETS, make_classification, train_test_split
from dlplay.lessons.regularization.dropout_view import Histogram, block_outputs, layer_histograms
from dlplay.models.init import seeded_init_
from dlplay.models.mlp import ACTIVATION_MODULES, MLP
from dlplay.optim.factory import OptimizerConfig
from dlplay.training.race import RunGroup
from dlplay.training.run import RunConfig, TrainingRun

MIN_CONFIGS, MAX_CONFIGS = 2, 4  # a comparison needs two; four still train live on two CPU cores
LETTERS = "ABCD"
LAB_OPTIMIZERS = ("Adam", "AdamW")  # Adam adds weight decay to the gradient (L2), AdamW decays the weights directly
HIGH_DROPOUT = 0.9  # from this rate on, almost every unit is dropped at every step
STATUS_WORDS = {"ready": "training", "early_stopped": "stopped early", "finished": "finished",
                "diverged": "diverged"}


@dataclass(frozen=True)
class RegConfig:
    """One configuration's regularizers."""

    dropout: float = 0.0  # nn.Dropout rate after each hidden layer (0 = no dropout module)
    batch_norm: bool = False  # nn.BatchNorm1d after each hidden activation, as in chapter 7.2
    weight_decay: float = 0.0  # the optimizer's weight_decay (L2 penalty), as in chapter 7.3
    patience: int = 0  # early stopping after this many evaluations (one per epoch) without improvement; 0 = off


# The defaults show one technique per column, against an unregularized baseline.
DEFAULT_CONFIGS = (
    RegConfig(),  # A: the baseline that overfits
    RegConfig(dropout=0.5),  # B: the curriculum's 50 % dropout
    RegConfig(weight_decay=1e-2),  # C: weight decay strong enough to see on 100 points
    RegConfig(batch_norm=True, patience=20),  # D: batch norm, and early stopping that restores the best epoch
)


@dataclass(frozen=True)
class LabConfig:
    """What every configuration shares: data, architecture, optimizer and training length."""

    dataset: str = "moons"  # one of CLASSIFICATION_SETS (2D, two classes)
    noise: float = 0.5  # label noise of the toy set: noisy labels are what a big model memorizes
    n_train: int = 100  # few training points, so a 256-wide network can memorize them within seconds
    n_val: int = 500  # validation points, drawn from the same distribution
    hidden_size: int = 256  # width of each hidden layer (the curriculum's 256)
    depth: int = 2  # hidden layers
    activation: str = "ReLU"  # a key of ACTIVATION_MODULES
    optimizer: str = "Adam"  # one of LAB_OPTIMIZERS
    lr: float = 3e-3  # learning rate, applied live
    batch_size: int = 32  # samples per step
    epochs: int = 500  # the runs finish after this many epochs (a few seconds of training on 2 CPU cores)
    seed: int = 0  # data, initial weights and batch order


def config_name(index: int, config: RegConfig) -> str:
    """'B: dropout 0.5' — a letter and what the configuration adds to the baseline."""
    parts = []
    if config.dropout > 0:
        parts.append(f"dropout {config.dropout:g}")
    if config.batch_norm:
        parts.append("batch norm")
    if config.weight_decay > 0:
        parts.append(f"weight decay {config.weight_decay:g}")
    if config.patience > 0:
        parts.append(f"early stop {config.patience}")
    return f"{LETTERS[index]}: {' + '.join(parts) or 'baseline'}"


def steps_per_epoch(lab: LabConfig) -> int:
    """Optimizer steps in one pass over the training set (the last partial batch is dropped)."""
    return max(1, lab.n_train // max(1, min(lab.batch_size, lab.n_train)))


def make_data(lab: LabConfig) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(X_train, y_train, X_val, y_val) of the shared toy set."""
    if lab.dataset not in CLASSIFICATION_SETS:
        raise ValueError(f"unknown data set {lab.dataset!r}; choose one of {', '.join(CLASSIFICATION_SETS)}")
    n = lab.n_train + lab.n_val
    X, y = make_classification(lab.dataset, n_samples=n, noise=lab.noise, seed=lab.seed)
    return train_test_split(X, y, test_fraction=lab.n_val / n, seed=lab.seed)


def build_model(lab: LabConfig, config: RegConfig) -> MLP:
    """The shared MLP with this configuration's dropout and batch norm, seeded so every configuration starts alike."""
    model = MLP(2, lab.hidden_size, 2, hidden_sizes=[lab.hidden_size] * lab.depth, activation=lab.activation,
                dropout=config.dropout, batch_norm=config.batch_norm)
    return seeded_init_(model, lab.seed)  # batch norm draws nothing, so the Linear layers match across configurations


def weight_norm(run: TrainingRun) -> dict[str, float]:
    """{"weight_norm": ‖W‖₂ over every weight matrix}: what weight decay shrinks (biases and norms left out)."""
    with torch.no_grad():
        norms = torch.stack([torch.linalg.vector_norm(p) for p in run.model.parameters() if p.dim() > 1])
        return {"weight_norm": float(torch.linalg.vector_norm(norms))}  # √(Σ ‖W‖²)


def build_run(lab: LabConfig, config: RegConfig, data: tuple, device: torch.device | str = "cpu") -> TrainingRun:
    """One configuration's TrainingRun: evaluated once per epoch, early stopping counted in epochs."""
    per_epoch = steps_per_epoch(lab)
    run_config = RunConfig(batch_size=lab.batch_size, eval_every=per_epoch, max_steps=lab.epochs * per_epoch,
                           patience=config.patience or None, seed=lab.seed)
    optimizer = OptimizerConfig(name=lab.optimizer, lr=lab.lr, weight_decay=config.weight_decay)
    return TrainingRun(build_model(lab, config), *data, optimizer=optimizer, config=run_config, device=device,
                       callbacks=(weight_norm,))


def build_group(lab: LabConfig, configs: list[RegConfig], device: torch.device | str = "cpu") -> RunGroup:
    """Every configuration on the same data, seed and initial weights, named 'A: baseline', 'B: dropout 0.5', …"""
    if not MIN_CONFIGS <= len(configs) <= MAX_CONFIGS:
        raise ValueError(f"compare {MIN_CONFIGS} to {MAX_CONFIGS} configurations, got {len(configs)}")
    data = make_data(lab)
    return RunGroup({config_name(i, c): build_run(lab, c, data, device) for i, c in enumerate(configs)})


def signature(lab: LabConfig, configs: list[RegConfig], device: object) -> tuple:
    """Everything that invalidates the runs; the learning rate applies live and is left out."""
    shared = tuple(v for k, v in zip(LabConfig.__dataclass_fields__, astuple(lab)) if k != "lr")
    return shared, tuple(astuple(c) for c in configs), str(device)


def problems(lab: LabConfig, configs: list[RegConfig]) -> list[str]:
    """Plain warnings for settings that make a configuration meaningless (the runs still train)."""
    messages = []
    for i, c in enumerate(configs):
        name = config_name(i, c)
        if c.patience >= lab.epochs:
            messages.append(
                f"**{name}**: patience {c.patience} ≥ {lab.epochs} epochs — early stopping waits for {c.patience} "
                f"evaluations without improvement, but training ends after {lab.epochs}, so it can never trigger."
            )
        if c.dropout >= HIGH_DROPOUT:
            messages.append(
                f"**{name}**: dropout {c.dropout:g} drops {c.dropout:.0%} of the hidden units at every step and "
                f"multiplies the rest by {1 / (1 - c.dropout):.0f} — the network can barely learn. Try 0.1–0.5."
            )
    return messages


def best_marks(group: RunGroup) -> dict[str, tuple[int, float, float]]:
    """{name: (step, val_loss, val_acc)} of the best evaluation early stopping holds, for configurations using it."""
    marks = {}
    for name, run in group.runs.items():
        stopper = run.early_stopping
        if stopper is None or stopper.best_step is None:
            continue
        index = run.history.eval_step.index(stopper.best_step)
        marks[name] = (stopper.best_step, run.history.val_loss[index], run.history.val_acc[index])
    return marks


def _last(values: list[float]) -> float:
    return values[-1] if values else math.nan


def results(group: RunGroup, per_epoch: int = 1) -> list[dict[str, object]]:
    """One row per configuration: best and final validation metrics, and the restored model's when it stopped early."""
    rows = []
    for name, run in group.runs.items():
        h = run.history
        best = h.best("val_loss")
        restored = run.restored_metrics or {}
        rows.append({
            "configuration": name,
            "epochs": run.steps / per_epoch,
            "best val loss": best[1] if best else math.nan,
            "best at epoch": best[0] / per_epoch if best else math.nan,
            "final train loss": _last(h.train_loss),
            "final val loss": _last(h.val_loss),
            "final val acc": _last(h.val_acc),
            "restored val loss": restored.get("val_loss", math.nan),
            "restored val acc": restored.get("val_acc", math.nan),
            "weight norm": _last(h.extras.get("weight_norm", [])),
            "status": STATUS_WORDS.get(run.status, run.status),
        })
    return rows


def decision_grid(group: RunGroup, extent: float = 6.0, resolution: int = 40) -> tuple[torch.Tensor, torch.Tensor]:
    """(axis (R,), P(class 1) (n_runs, R, R)) of every configuration on a square grid, in eval mode."""
    axis = torch.linspace(-extent, extent, resolution)
    gx, gy = torch.meshgrid(axis, axis, indexing="xy")  # (R, R) each, rows follow y
    grid = torch.stack([gx.flatten(), gy.flatten()], dim=1)  # (R·R, 2)
    probs = [run.predict(grid).softmax(dim=1)[:, 1].reshape(resolution, resolution) for run in group.runs.values()]
    return axis, torch.stack(probs)  # (n_runs, R, R)


def hidden_histograms(group: RunGroup, n_points: int = 128, bins: int = 30) -> dict[str, list[Histogram]]:
    """Histograms of what each hidden layer of each run passes on, for the same validation points."""
    outputs = {name: block_outputs(run.model, run.X_val[:n_points]) for name, run in group.runs.items()}
    return layer_histograms(outputs, bins)


def lab_code(lab: LabConfig, configs: list[RegConfig]) -> str:
    """The PyTorch code this lab runs for these settings: chapter 7's dropout, batch norm, weight decay, early stopping."""
    act = ACTIVATION_MODULES[lab.activation].__name__
    width, n = lab.hidden_size, lab.n_train + lab.n_val
    inits, forwards = [], []
    for i in range(1, lab.depth + 1):
        inits += [f"        self.fc{i} = nn.Linear({2 if i == 1 else width}, {width})",
                  f"        self.bn{i} = nn.BatchNorm1d({width}) if batch_norm else nn.Identity()"]
        forwards.append(f"        x = self.dropout(self.bn{i}(self.act(self.fc{i}(x))))")
    lines = [f'    "{config_name(i, c)}": dict(dropout={c.dropout:g}, batch_norm={c.batch_norm}, '
             f'weight_decay={c.weight_decay:g}, patience={c.patience or None}),' for i, c in enumerate(configs)]
    return f'''
import copy
import torch
from torch import nn
import torch.nn.functional as F
from dlplay.data.toy2d import make_classification, train_test_split

X, y = make_classification("{lab.dataset}", n_samples={n}, noise={lab.noise:g}, seed={lab.seed})
X_train, y_train, X_val, y_val = train_test_split(X, y, test_fraction={lab.n_val}/{n}, seed={lab.seed})


class ModelWithDropout(nn.Module):
    def __init__(self, dropout=0.5, batch_norm=False):
        super().__init__()
{chr(10).join(inits)}
        self.act = nn.{act}()
        self.dropout = nn.Dropout(dropout)  # only active in model.train()
        self.out = nn.Linear({width}, 2)

    def forward(self, x):
{chr(10).join(forwards)}
        return self.out(x)


configs = {{
{chr(10).join(lines)}
}}
models = {{}}
for name, c in configs.items():
    torch.manual_seed({lab.seed})  # the same initial weights for every configuration
    model = ModelWithDropout(c["dropout"], c["batch_norm"])
    optimizer = torch.optim.{lab.optimizer}(model.parameters(), lr={lab.lr:g}, weight_decay=c["weight_decay"])
    batches = torch.Generator().manual_seed({lab.seed})
    best_val_loss, best_state, patience_counter = float("inf"), None, 0
    for epoch in range({lab.epochs}):
        model.train()  # dropout drops units, batch norm uses the batch's statistics
        order = torch.randperm(len(X_train), generator=batches)
        for start in range(0, len(X_train) - {lab.batch_size} + 1, {lab.batch_size}):
            index = order[start:start + {lab.batch_size}]
            loss = F.cross_entropy(model(X_train[index]), y_train[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()  # dropout off, batch norm uses its running statistics
        with torch.no_grad():
            val_loss = F.cross_entropy(model(X_val), y_val).item()
        if c["patience"] is None:
            continue
        if val_loss < best_val_loss:  # early stopping (7.4): keep the best weights in memory
            best_val_loss, best_state, patience_counter = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            patience_counter += 1
            if patience_counter >= c["patience"]:
                print(name, "early stopping at epoch", epoch)
                break
    if best_state is not None:
        model.load_state_dict(best_state)  # restore the best epoch's weights
    models[name] = model
'''
