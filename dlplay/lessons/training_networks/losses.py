"""Loss functions as curves: each torch.nn loss and its autograd gradient against the prediction; the lab's losses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

REGRESSION_LOSSES = ("MSE", "L1", "Huber")
P_MARGIN = 1e-3  # BCE's probability axis stops this far from 0 and 1, where log p is -inf

# What each loss punishes, in a sentence a projector can show.
LOSS_NOTES: dict[str, str] = {
    "MSE": "squares the error: a miss twice as large costs four times as much, so **outliers dominate** the loss "
    "and pull the fit towards them. Its gradient 2(ŷ − y) shrinks near the target, so steps slow down as it gets close.",
    "L1": "costs the plain distance |ŷ − y|: every unit of error costs the same, so outliers pull no harder than "
    "small errors (**robust**; it estimates the median). Its gradient is always ±1, even next to the target.",
    "Huber": "is MSE for small errors (|ŷ − y| < δ) and L1 beyond: smooth near the target, **robust to outliers** "
    "far from it. "
    "Its gradient is the error clipped to ±δ.",
    "BCE": "−[y log p + (1 − y) log(1 − p)] on a probability p: a **confident mistake** (p → 0 when y = 1) costs "
    "without bound and its gradient −1/p explodes, while a confident right answer costs almost nothing.",
    "Cross-entropy": "log Σⱼ e^zⱼ − z_true on logits: it only cares about the **true class's share** of the softmax. "
    "Confidently wrong costs about (max other logit − z_true), a straight line with slope −1; once the true class "
    "wins by a margin the loss and its gradient fade to 0.",
}


@dataclass
class LossCurves:
    """Losses and their gradients ∂L/∂(prediction) over one prediction axis."""

    x: torch.Tensor  # (N,) the prediction axis: ŷ, p or the true class's logit
    loss: dict[str, torch.Tensor]  # name → (N,) loss at each x
    grad: dict[str, torch.Tensor]  # name → (N,) ∂loss/∂x at each x, by autograd


def _curve(loss_fn: nn.Module, x: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-point loss and autograd gradient of a reduction='none' loss at every x."""
    x = x.clone().requires_grad_(True)
    loss = loss_fn(x, target)
    # Each loss term depends on its own x only, so the gradient of the sum holds every ∂Lᵢ/∂xᵢ at once.
    (grad,) = torch.autograd.grad(loss.sum(), x)
    return loss.detach(), grad


def regression_curves(target: float, lo: float, hi: float, delta: float = 1.0, n: int = 401) -> LossCurves:
    """nn.MSELoss, nn.L1Loss and nn.HuberLoss(delta) against the prediction ŷ in [lo, hi] for target y."""
    if not lo < hi:
        raise ValueError(f"the prediction range needs lo < hi, got {lo} and {hi}")
    if delta <= 0:
        raise ValueError(f"Huber's δ must be positive, got {delta}")
    x = torch.linspace(lo, hi, n, dtype=torch.float64)
    y = torch.full_like(x, target)
    losses = {
        "MSE": nn.MSELoss(reduction="none"),
        "L1": nn.L1Loss(reduction="none"),
        "Huber": nn.HuberLoss(reduction="none", delta=delta),
    }
    curves = {name: _curve(fn, x, y) for name, fn in losses.items()}
    return LossCurves(x, {k: v[0] for k, v in curves.items()}, {k: v[1] for k, v in curves.items()})


def bce_curves(target: int, n: int = 401) -> LossCurves:
    """nn.BCELoss against the predicted probability p in (0, 1) for a target of 0 or 1."""
    if target not in (0, 1):
        raise ValueError(f"a BCE target is 0 or 1, got {target}")
    p = torch.linspace(P_MARGIN, 1 - P_MARGIN, n, dtype=torch.float64)
    loss, grad = _curve(nn.BCELoss(reduction="none"), p, torch.full_like(p, float(target)))
    return LossCurves(p, {"BCE": loss}, {"BCE": grad})


def cross_entropy_curves(other_logits: Sequence[float], lo: float, hi: float, n: int = 401) -> LossCurves:
    """nn.CrossEntropyLoss of class 0 as its logit z₀ sweeps [lo, hi], the other classes' logits held fixed."""
    if not lo < hi:
        raise ValueError(f"the logit range needs lo < hi, got {lo} and {hi}")
    if len(other_logits) == 0:
        raise ValueError("cross-entropy needs at least one other class")
    z0 = torch.linspace(lo, hi, n, dtype=torch.float64).requires_grad_(True)
    others = torch.tensor(list(other_logits), dtype=torch.float64).expand(n, -1)  # (N, K-1)
    logits = torch.cat([z0[:, None], others], dim=1)  # (N, K): the true class first
    loss = nn.CrossEntropyLoss(reduction="none")(logits, torch.zeros(n, dtype=torch.long))
    (grad,) = torch.autograd.grad(loss.sum(), z0)
    return LossCurves(z0.detach(), {"Cross-entropy": loss.detach()}, {"Cross-entropy": grad})


def loss_code(target: float, span: tuple[float, float], delta: float, bce_target: int, other_logits: Sequence[float],
              logit_span: tuple[float, float]) -> str:
    """The torch.nn calls behind the curves, with the current settings."""
    others = ", ".join(f"{v:g}" for v in other_logits)
    return f"""
import torch
import torch.nn as nn

y_hat = torch.linspace({span[0]:g}, {span[1]:g}, 401, requires_grad=True)  # the prediction axis
y = torch.full_like(y_hat, {target:g})                                # the target
for loss_fn in (nn.MSELoss(reduction="none"), nn.L1Loss(reduction="none"),
                nn.HuberLoss(reduction="none", delta={delta:g})):
    loss = loss_fn(y_hat, y)                          # one loss per point
    grad, = torch.autograd.grad(loss.sum(), y_hat)    # ∂loss/∂y_hat at every point

p = torch.linspace(0.001, 0.999, 401, requires_grad=True)   # BCE wants a probability
bce = nn.BCELoss(reduction="none")(p, torch.full_like(p, {float(bce_target):g}))
# In a model, use nn.BCEWithLogitsLoss on the raw logit: it applies the sigmoid stably.

z_true = torch.linspace({logit_span[0]:g}, {logit_span[1]:g}, 401, requires_grad=True)  # the true class's logit
others = torch.tensor([{others}]).expand(401, -1)   # (N, K-1) the other logits, held fixed
logits = torch.cat([z_true[:, None], others], dim=1)  # (N, K), the true class is class 0
ce = nn.CrossEntropyLoss(reduction="none")(logits, torch.zeros(401, dtype=torch.long))
grad, = torch.autograd.grad(ce.sum(), z_true)       # = softmax(logits)[:, 0] - 1
"""


# ----- losses the training lab can train with ---------------------------------------------------------------------
class LogSoftmaxNLLLoss(nn.Module):
    """nn.NLLLoss on F.log_softmax of the logits: cross-entropy taken apart into its two steps."""

    def forward(self, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.nll_loss(F.log_softmax(y_hat, dim=1), y)


class OneHotMSELoss(nn.Module):
    """nn.MSELoss between the softmax probabilities and the one-hot target: regression on class probabilities."""

    def forward(self, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        target = F.one_hot(y, num_classes=y_hat.shape[1]).to(y_hat.dtype)  # (B,) → (B, C)
        return F.mse_loss(F.softmax(y_hat, dim=1), target)


LAB_LOSSES: dict[str, type[nn.Module]] = {
    "Cross-entropy": nn.CrossEntropyLoss,
    "NLL on log-softmax": LogSoftmaxNLLLoss,
    "MSE on one-hot": OneHotMSELoss,
}
# Why each of the lab's losses is there (and why BCE, L1 or Huber are not: they do not fit 10 classes).
LAB_LOSS_NOTES: dict[str, str] = {
    "Cross-entropy": "the standard for classification: `nn.CrossEntropyLoss` takes the raw logits, applies log-softmax "
    "itself and punishes confident mistakes hard.",
    "NLL on log-softmax": "`F.log_softmax` then `nn.NLLLoss` — exactly cross-entropy split in two, so the curves match "
    "the first choice. Models that end in `nn.LogSoftmax` use this pair.",
    "MSE on one-hot": "treats the 10 softmax probabilities as a regression target (the one-hot vector). Its gradient "
    "passes through the softmax and fades when a prediction is confidently wrong, so it usually learns more slowly.",
}
LAB_LOSS_CODE: dict[str, str] = {
    "Cross-entropy": "nn.CrossEntropyLoss()",
    "NLL on log-softmax": "lambda y_hat, y: nn.NLLLoss()(F.log_softmax(y_hat, dim=1), y)",
    "MSE on one-hot": "lambda y_hat, y: nn.MSELoss()(F.softmax(y_hat, dim=1), F.one_hot(y, {classes}).float())",
}


def make_lab_loss(name: str) -> nn.Module:
    """A fresh loss module by display name (a key of LAB_LOSSES)."""
    try:
        return LAB_LOSSES[name]()
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LAB_LOSSES)}") from None
