"""The MLP playground's core: settings → toy data → features → MLP → TrainingRun, its view on a grid, its code."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch

from dlplay.data.toy2d import CLASSIFICATION_SETS, REGRESSION_SETS, make_classification, make_regression, train_test_split
from dlplay.lessons.fundamentals.features import FEATURE_CODE, FeatureTransform
from dlplay.lessons.fundamentals.own_data import OwnData
from dlplay.models.init import seeded_init_
from dlplay.models.mlp import MLP
from dlplay.optim.factory import OptimizerConfig
from dlplay.training.run import RunConfig, TrainingRun

DATASETS = CLASSIFICATION_SETS + REGRESSION_SETS
REGULARIZATIONS = ("None", "L1", "L2")
MAX_LAYERS = 6  # TF Playground's limits: up to 6 hidden layers of up to 8 neurons
MAX_NEURONS = 8
OWN = "own"  # the data-set name of the user's own points
EXTENT = 6.0  # the playground square is [−6, 6]², as in TF Playground
EVAL_EVERY = 25  # steps between train/test loss evaluations: one epoch of TF Playground's default (250 points, batch 10)


@dataclass(frozen=True)
class PlaygroundConfig:
    """Everything a user sets in the playground (TF Playground's defaults)."""

    dataset: str = "circle"  # one of DATASETS
    noise: float = 0.0  # label/position noise, 0–0.5 as TF Playground's 0–50 %
    test_fraction: float = 0.5  # share of the points held out as the test set
    n_samples: int = 500  # points generated before the split
    features: tuple[str, ...] = ("x₁", "x₂")  # input features, names of dlplay.lessons.fundamentals.features.FEATURES
    hidden_sizes: tuple[int, ...] = (4, 2)  # neurons per hidden layer; () = a linear model
    activation: str = "Tanh"  # a key of dlplay.models.mlp.ACTIVATION_MODULES
    optimizer: str = "SGD"  # a name of dlplay.optim.factory.OPTIMIZERS (TF Playground uses plain SGD)
    lr: float = 0.03  # learning rate (applies live)
    batch_size: int = 10  # samples per optimizer step
    regularization: str = "None"  # one of REGULARIZATIONS: a penalty on the weights added to the loss
    reg_rate: float = 0.0  # λ of the penalty
    seed: int = 0  # seeds data, split, initial weights and batch order
    own: OwnData | None = None  # the user's own points (a CSV or a drawing); when set, `dataset` is OWN

    @property
    def task(self) -> str:
        """'binary' for the classification sets (one logit), 'regression' for the others."""
        return self.own.task if self.own is not None else task_of(self.dataset)

    def signature(self) -> PlaygroundConfig:
        """Every setting that needs a fresh model or fresh data: all but the learning rate."""
        return replace(self, lr=0.0)


# Tuned and measured headless (seeds 0–5): ≥ 95 % test accuracy after 80–150 steps (≈ 0.05 s of CPU), 98.8–100 % at
# 1,000 steps; tests/test_viz_playground.py checks it through build_run → run.step, the page's own path.
SPIRAL_PRESET = PlaygroundConfig(
    dataset="spiral", noise=0.0, test_fraction=0.5, features=("x₁", "x₂", "x₁²", "x₂²", "sin x₁", "sin x₂"),
    hidden_sizes=(8, 8, 6), activation="Tanh", optimizer="Adam", lr=0.03, batch_size=16,
)
SPIRAL_PRESET_STEPS = 1000  # optimizer steps within which the preset must pass 95 % test accuracy (≈ 6× margin)


def task_of(dataset: str) -> str:
    """The TrainingRun task of a data set name."""
    if dataset not in DATASETS:
        raise ValueError(f"unknown data set {dataset!r}; choose one of {', '.join(DATASETS)}")
    return "binary" if dataset in CLASSIFICATION_SETS else "regression"


def make_points(config: PlaygroundConfig) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Raw (X_train, y_train, X_test, y_test) of the configured set; y float32 (0/1 labels or targets)."""
    if config.own is not None:
        X, y = torch.tensor(config.own.X, dtype=torch.float32), torch.tensor(config.own.y, dtype=torch.float32)
        return train_test_split(X, y, test_fraction=config.test_fraction, seed=config.seed)
    make = make_classification if config.task == "binary" else make_regression
    X, y = make(config.dataset, n_samples=config.n_samples, noise=config.noise, seed=config.seed)
    return train_test_split(X, y.float(), test_fraction=config.test_fraction, seed=config.seed)


class PlaygroundRun(TrainingRun):
    """A TrainingRun on standardized features that also keeps the raw points and the feature transform."""

    def __init__(self, config: PlaygroundConfig, device: torch.device | str = "cpu"):
        X_train, y_train, X_test, y_test = make_points(config)
        self.playground = config
        self.points = (X_train, y_train, X_test, y_test)  # raw coordinates on the CPU, for the plots
        self.transform = FeatureTransform.fit(X_train, config.features)
        model = MLP(self.transform.size, 0, 1, hidden_sizes=config.hidden_sizes, activation=config.activation)
        seeded_init_(model, config.seed)  # the same seed → the same initial weights (Reset reproduces them)
        optimizer = OptimizerConfig(name=config.optimizer, lr=config.lr)
        l1 = config.reg_rate if config.regularization == "L1" else 0.0
        l2 = config.reg_rate if config.regularization == "L2" else 0.0
        run_config = RunConfig(batch_size=config.batch_size, eval_every=EVAL_EVERY, l1=l1, l2=l2, seed=config.seed)
        super().__init__(
            model, self.transform(X_train), y_train, self.transform(X_test), y_test,
            optimizer=optimizer, task=config.task, config=run_config, device=device,
        )


def build_run(config: PlaygroundConfig, device: torch.device | str = "cpu") -> PlaygroundRun:
    """A fresh run for the playground settings."""
    return PlaygroundRun(config, device)


@dataclass
class GridView:
    """The network seen on a square grid of points: features, every hidden neuron, the output."""

    axis: torch.Tensor  # (G,) coordinates along x₁ and along x₂
    features: torch.Tensor  # (G·G, F) standardized input features, row-major with x₂ the slow axis
    hidden: list[torch.Tensor] = field(default_factory=list)  # per hidden layer (G·G, width) after the activation
    output: torch.Tensor = field(default_factory=lambda: torch.empty(0))  # (G·G,) probability of class 1, or the value

    @property
    def size(self) -> int:
        """G, points per side."""
        return len(self.axis)


def grid_view(run: PlaygroundRun, resolution: int = 50, extent: float = EXTENT) -> GridView:
    """One forward pass over a resolution × resolution grid: every hidden layer's output and the network's output."""
    axis = torch.linspace(-extent, extent, resolution)
    x2, x1 = torch.meshgrid(axis, axis, indexing="ij")  # (G, G) each; rows follow x₂, columns x₁
    points = torch.stack([x1.reshape(-1), x2.reshape(-1)], dim=1)  # (G·G, 2)
    features = run.transform(points)  # (G·G, F)
    model = run.model
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        hidden = model.hidden_activations(features.to(run.device))  # list of (G·G, width)
        last = hidden[-1] if hidden else features.to(run.device)
        out = model.linear_layers()[-1](last).squeeze(-1).float()  # (G·G,) the output layer on the last hidden layer
        out = torch.sigmoid(out) if run.task == "binary" else out
    model.train(was_training)
    return GridView(axis, features, [h.float().cpu() for h in hidden], out.cpu())


def _data_code(config: PlaygroundConfig, make: str, to_float: str) -> str:
    """The lines that make X and y: a built-in set, the user's CSV, or the points they drew."""
    own = config.own
    if own is None:
        return f'X, y = {make}("{config.dataset}", n_samples={config.n_samples}, noise={config.noise:g}, seed={config.seed}){to_float}'
    if own.source == "drawn":
        return f"X = torch.tensor(your_points)  # ({own.size}, 2): the points you clicked\ny = torch.tensor(your_colours)  # 1 = blue"
    target = (f'torch.tensor((data["label"].astype(str) == "{own.classes[1]}").values, dtype=torch.float32)  # 1 = {own.classes[1]}'
              if own.task == "binary" else 'torch.tensor(data["y"].values, dtype=torch.float32)\ny = y / y.abs().max()')
    return f"""import pandas as pd

data = pd.read_csv("{own.source}")  # columns x1, x2, {"label" if own.task == "binary" else "y"}
X = torch.tensor(data[["x1", "x2"]].values, dtype=torch.float32)
X = (X - X.min(0).values) / (X.max(0).values - X.min(0).values) * 10 - 5  # into the square [−5, 5]²
y = {target}"""


def playground_code(config: PlaygroundConfig) -> str:
    """The PyTorch code that trains the current playground settings."""
    make = "make_classification" if config.task == "binary" else "make_regression"
    features = "\n".join(f"        {FEATURE_CODE[n]},  # {n}" for n in config.features)
    loss = "nn.BCEWithLogitsLoss()  # one logit, sigmoid inside" if config.task == "binary" else "nn.MSELoss()"
    to_float = "\ny = y.float()  # BCEWithLogitsLoss wants float targets in {0, 1}" if config.task == "binary" else ""
    optimizer = {
        "SGD": "torch.optim.SGD(model.parameters(), lr={lr})",
        "Momentum": "torch.optim.SGD(model.parameters(), lr={lr}, momentum=0.9)",
        "Nesterov": "torch.optim.SGD(model.parameters(), lr={lr}, momentum=0.9, nesterov=True)",
        "RMSProp": "torch.optim.RMSprop(model.parameters(), lr={lr}, alpha=0.9)",
        "Adagrad": "torch.optim.Adagrad(model.parameters(), lr={lr})",
        "Adam": "torch.optim.Adam(model.parameters(), lr={lr})",
        "AdamW": "torch.optim.AdamW(model.parameters(), lr={lr})",
    }[config.optimizer].format(lr=f"{config.lr:g}")
    evaluation = ('print("test accuracy", ((y_hat > 0).float() == y_test).float().mean().item())' if config.task == "binary"
                  else 'print("test MSE", nn.functional.mse_loss(y_hat, y_test).item())')
    penalty = ""
    if config.regularization != "None" and config.reg_rate > 0:
        term = "w.abs().sum()" if config.regularization == "L1" else "w.pow(2).sum()"
        penalty = (
            f"\n        # {config.regularization} penalty on the weight matrices (not the biases)"
            f"\n        loss = loss + {config.reg_rate:g} * sum({term} for w in model.parameters() if w.dim() > 1)"
        )
    return f'''import torch
from torch import nn
from dlplay.data.toy2d import {make}, train_test_split
from dlplay.models.mlp import MLP

torch.manual_seed({config.seed})
{_data_code(config, make, to_float)}
X_train, y_train, X_test, y_test = train_test_split(X, y, test_fraction={config.test_fraction:g}, seed={config.seed})


def features(X):  # (N, 2) → (N, {len(config.features)})
    return torch.stack([
{features}
    ], dim=1)


F_train = features(X_train)
mean, std = F_train.mean(0), F_train.std(0, unbiased=False)  # standardize with training statistics
F_train, F_test = (F_train - mean) / std, (features(X_test) - mean) / std

# hidden_sizes sets every hidden layer (hidden_size, the 2nd argument, is then unused); [] is a linear model
model = MLP({len(config.features)}, 0, 1, hidden_sizes={list(config.hidden_sizes)}, activation="{config.activation}")
loss_fn = {loss}
optimizer = {optimizer}

for epoch in range(100):
    order = torch.randperm(len(F_train))
    for start in range(0, len(order) - {config.batch_size} + 1, {config.batch_size}):  # batch_size = {config.batch_size}
        index = order[start:start + {config.batch_size}]
        y_hat = model(F_train[index]).squeeze(-1)  # (B, 1) → (B,)
        loss = loss_fn(y_hat, y_train[index]){penalty}
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

with torch.no_grad():
    y_hat = model(F_test).squeeze(-1)
    {evaluation}
'''
