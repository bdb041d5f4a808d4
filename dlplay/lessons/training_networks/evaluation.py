"""Evaluating a classifier (softmax confidence, confusion matrix, mistakes) and the chapter-4 lab run it evaluates."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from dlplay.data.torchvision_sets import IMAGE_DATASETS, ImageData
from dlplay.lessons.training_networks.losses import LAB_LOSS_CODE, make_lab_loss
from dlplay.models.init import seeded_init_
from dlplay.models.mlp import MLP
from dlplay.optim.factory import OptimizerConfig
from dlplay.training.history import History
from dlplay.training.run import RunConfig, TrainingRun

LAB_DATASETS = IMAGE_DATASETS[:3]  # synthetic digits, MNIST, FashionMNIST: 28×28 grayscale, what an MLP(784, …) reads


@dataclass
class Predictions:
    """A classifier's answers on a labelled set: predicted class and its softmax probability."""

    y: torch.Tensor  # (N,) int64 true labels
    y_pred: torch.Tensor  # (N,) int64 argmax of the logits
    confidence: torch.Tensor  # (N,) softmax probability of the predicted class
    probs: torch.Tensor  # (N, C) softmax probabilities

    @property
    def accuracy(self) -> float:
        """Fraction of predictions equal to the label."""
        return float((self.y_pred == self.y).float().mean()) if len(self.y) else float("nan")


def predictions(logits: torch.Tensor, y: torch.Tensor) -> Predictions:
    """Predicted classes and softmax confidences from logits (N, C) and labels (N,)."""
    probs = F.softmax(logits.float(), dim=1)  # (N, C)
    confidence, y_pred = probs.max(dim=1)  # (N,), (N,)
    return Predictions(y.cpu().long(), y_pred, confidence, probs)


def confusion_matrix(y_true: torch.Tensor, y_pred: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(C, C) int64 counts: row = true class, column = predicted class."""
    y_true, y_pred = y_true.long().flatten(), y_pred.long().flatten()
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} labels but {len(y_pred)} predictions")
    if len(y_true) and (min(y_true.min(), y_pred.min()) < 0 or max(y_true.max(), y_pred.max()) >= num_classes):
        raise ValueError(f"labels must lie in 0..{num_classes - 1}")
    # Each (true, predicted) pair gets its own bin true·C + predicted; one bincount counts them all.
    counts = torch.bincount(y_true * num_classes + y_pred, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)  # (C·C,) → (C, C)


def misclassified(y_true: torch.Tensor, y_pred: torch.Tensor, confidence: torch.Tensor, limit: int = 24) -> torch.Tensor:
    """Indices of wrong predictions, the most confident mistakes first, at most limit of them."""
    wrong = (y_true != y_pred).nonzero().squeeze(1)  # (M,)
    order = confidence[wrong].argsort(descending=True, stable=True)
    return wrong[order][: max(limit, 0)]


# ----- the training lab ---------------------------------------------------------------------------------------------
@dataclass
class LabConfig:
    """The training lab's settings; the defaults are the page's defaults."""

    dataset: str = "Synthetic digits"  # one of LAB_DATASETS
    n_train: int = 6000  # training images (synthetic digits: all that are drawn; real sets: a seeded subsample)
    n_test: int = 1000  # held-out images, used for validation curves and the evaluation
    hidden_size: int = 256  # width of each hidden layer, as in MLP(784, 256, 10)
    depth: int = 2  # hidden layers; 2 is the curriculum's MLP
    loss: str = "Cross-entropy"  # a key of dlplay.lessons.training_networks.losses.LAB_LOSSES
    optimizer: str = "Adam"  # one of dlplay.optim.factory.OPTIMIZERS
    lr: float = 1e-3  # Adam's usual default step size
    batch_size: int = 64  # images per optimizer step
    epochs: int = 30  # passes over the training set before the run finishes (97% comes after about 3)
    eval_every: int = 50  # optimizer steps between evaluations of the curves
    eval_samples: int = 2000  # training images evaluated for the train curve (keeps evaluation cheap)
    seed: int = 0  # data, initial weights and batch order


def lab_max_steps(epochs: int, n_train: int, batch_size: int) -> int:
    """Optimizer steps in `epochs` passes over n_train images at batch_size (a batch never exceeds the set)."""
    batch_size = max(1, min(batch_size, n_train))
    return max(1, math.ceil(epochs * n_train / batch_size))


def lab_model(config: LabConfig, input_size: int = 784, num_classes: int = 10) -> MLP:
    """MLP(input_size, hidden_size, num_classes) with `depth` hidden layers: the curriculum's model at the defaults."""
    return MLP(input_size, config.hidden_size, num_classes, hidden_sizes=[config.hidden_size] * config.depth)


def build_lab_run(config: LabConfig, data: ImageData, device: torch.device | str = "cpu") -> TrainingRun:
    """A fresh, seeded TrainingRun of the lab's model on data (the test split validates)."""
    input_size = math.prod(data.X_train.shape[1:])  # C·H·W = 784 for 28×28 grayscale
    model = seeded_init_(lab_model(config, input_size, len(data.classes)), config.seed)
    run_config = RunConfig(
        batch_size=config.batch_size, eval_every=config.eval_every, eval_samples=config.eval_samples,
        max_steps=lab_max_steps(config.epochs, len(data.X_train), config.batch_size), seed=config.seed,
    )
    return TrainingRun(
        model, data.X_train, data.y_train, data.X_test, data.y_test, optimizer=OptimizerConfig(config.optimizer, lr=config.lr),
        loss_fn=make_lab_loss(config.loss), task="classification", config=run_config, device=device,
    )


def stop_if_exploded(run: TrainingRun, factor: float = 100.0) -> bool:
    """Stop a run whose batch loss rose above factor × its first value; True if this call stopped it.

    A too-large learning rate does not always end in NaN: with ReLUs the loss can shoot up to 1e12, kill every unit
    and fall back to chance level, a finite loss that would hide the divergence.
    """
    losses = run.history.step_loss
    if run.stopped or not losses:
        return False
    limit = factor * max(losses[0], 1e-8)
    bad = next((i for i, loss in enumerate(losses) if loss > limit), None)
    if bad is None:
        return False
    run.stop("diverged", (
        f"The loss jumped from {losses[0]:.3g} to {losses[bad]:.3g} at step {bad + 1}: the learning rate is too large "
        "and training diverged (the weights it reached are useless). Lower the learning rate and press Reset."
    ))
    return True


def chance_loss(run: TrainingRun, num_classes: int) -> float:
    """The run's loss for a model that guesses uniformly (all logits equal): ln C for cross-entropy."""
    y = run.y_train[:4096]
    return float(run.loss_fn(torch.zeros(len(y), num_classes, device=y.device), y))


def stuck_at_chance(run: TrainingRun, num_classes: int, tolerance: float = 0.02, min_epochs: float = 1.0) -> bool:
    """True when, after min_epochs, the training loss is still within tolerance of the uniform guess's loss."""
    h = run.history
    if not h.train_loss or run.epoch < min_epochs:
        return False
    chance = chance_loss(run, num_classes)
    return abs(h.train_loss[-1] - chance) <= tolerance * chance


def first_reaching(history: History, threshold: float, metric: str = "val_acc") -> tuple[int, float] | None:
    """(step, epoch) of the first evaluation where metric reached threshold; None if it never did."""
    for step, epoch, value in zip(history.eval_step, history.eval_epoch, getattr(history, metric)):
        if value >= threshold:
            return step, epoch
    return None


# ----- the curriculum's code, for the current settings --------------------------------------------------------------
_OPTIMIZER_CODE = {
    "SGD": "torch.optim.SGD(model.parameters(), lr={lr:g})",
    "Momentum": "torch.optim.SGD(model.parameters(), lr={lr:g}, momentum=0.9)",
    "Nesterov": "torch.optim.SGD(model.parameters(), lr={lr:g}, momentum=0.9, nesterov=True)",
    "RMSProp": "torch.optim.RMSprop(model.parameters(), lr={lr:g}, alpha=0.9)",
    "Adagrad": "torch.optim.Adagrad(model.parameters(), lr={lr:g})",
    "Adam": "torch.optim.Adam(model.parameters(), lr={lr:g})",
    "AdamW": "torch.optim.AdamW(model.parameters(), lr={lr:g})",
}


def _model_code(config: LabConfig, num_classes: int) -> str:
    if config.depth == 2:
        return f"model = MLP(784, {config.hidden_size}, {num_classes})  # chapter 1.2's MLP"
    widths = [784] + [config.hidden_size] * config.depth
    hidden = "".join(f"nn.Linear({a}, {b}), nn.ReLU(), " for a, b in zip(widths[:-1], widths[1:]))
    return f"model = nn.Sequential(nn.Flatten(), {hidden}nn.Linear({widths[-1]}, {num_classes}))"


def train_code(config: LabConfig, num_classes: int = 10) -> str:
    """Chapter 4.2's train() with the lab's model, loss, optimizer, batch size and epochs filled in."""
    criterion = LAB_LOSS_CODE.get(config.loss, "nn.CrossEntropyLoss()").format(classes=num_classes)
    optimizer = _OPTIMIZER_CODE.get(config.optimizer, _OPTIMIZER_CODE["Adam"]).format(lr=config.lr)
    return f"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

{_model_code(config, num_classes)}
criterion = {criterion}
optimizer = {optimizer}
train_loader = DataLoader(TensorDataset(X_train.flatten(1), y_train), batch_size={config.batch_size}, shuffle=True)

def train(model, train_loader, optimizer, criterion, epochs):
    model.train()
    for epoch in range(epochs):
        total_loss = 0
        for batch_x, batch_y in train_loader:
            predictions = model(batch_x)              # forward pass
            loss = criterion(predictions, batch_y)
            optimizer.zero_grad()                     # backward pass
            loss.backward()
            optimizer.step()                          # update weights
            total_loss += loss.item()
        print(f"Epoch {{epoch+1}}, Loss: {{total_loss/len(train_loader):.4f}}")

train(model, train_loader, optimizer, criterion, epochs={config.epochs})
"""


def evaluate_code(config: LabConfig, num_classes: int = 10) -> str:
    """Chapter 4.3's evaluate(), plus the confusion matrix and the confident mistakes this page draws."""
    return f"""
def evaluate(model, test_loader):
    model.eval()
    correct = 0
    total = 0
    with torch.no_grad():
        for batch_x, batch_y in test_loader:
            predictions = model(batch_x)
            _, predicted = torch.max(predictions, 1)
            total += batch_y.size(0)
            correct += (predicted == batch_y).sum().item()
    return correct / total

test_loader = DataLoader(TensorDataset(X_test.flatten(1), y_test), batch_size=1024)
print(f"accuracy: {{evaluate(model, test_loader):.2%}}")

# What the page adds: softmax confidence, a confusion matrix, the most confident mistakes
with torch.no_grad():
    probs = F.softmax(model(X_test.flatten(1)), dim=1)        # (N, {num_classes})
confidence, y_pred = probs.max(dim=1)                          # (N,), (N,)
counts = torch.bincount(y_test * {num_classes} + y_pred, minlength={num_classes * num_classes})
confusion = counts.reshape({num_classes}, {num_classes})                          # rows: true, columns: predicted
wrong = (y_pred != y_test).nonzero().squeeze(1)
worst = wrong[confidence[wrong].argsort(descending=True)]     # most confident mistakes first
"""
