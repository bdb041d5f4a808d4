"""Gradients through time: ∂L/∂hₜ at every step (real autograd through the hand-written cells), and clipping."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.utils import clip_grad_norm_

from dlplay.data.sequences import make_adding
from dlplay.lessons.rnn.cells import unroll_layer
from dlplay.lessons.rnn.race import build_model
from dlplay.models.rnn import CELLS, SimpleRNN

LENGTHS = (5, 10, 20, 40, 60, 80, 100)  # sequence lengths of the 'against length' curve
BATCH = 32  # sequences averaged in each gradient measurement


@dataclass(frozen=True)
class BPTTSetup:
    """The untrained models and data the gradients are measured on."""

    seq_len: int = 50  # T of the profile
    hidden_size: int = 32  # units per cell
    recurrent_scale: float = 1.0  # W_hh multiplied by this after PyTorch's init: > 1 lets gradients grow, < 1 shrink faster
    seed: int = 0  # weights and data


def scaled_model(cell: str, setup: BPTTSetup) -> SimpleRNN:
    """An untrained adding-problem SimpleRNN with its recurrent weights W_hh scaled by setup.recurrent_scale."""
    model = build_model("Adding problem", cell, setup.hidden_size, setup.seed)
    with torch.no_grad():
        model.rnn.weight_hh_l0.mul_(setup.recurrent_scale)
    return model


def hidden_gradients(model: SimpleRNN, X: torch.Tensor, y: torch.Tensor, loss_fn=F.mse_loss) -> np.ndarray:
    """‖∂L/∂hₜ‖ for t = 1…T (mean over the batch) of the model's loss on (X, y): real autograd, no shortcut.

    nn.RNN runs all steps as one operation, so its per-step outputs are not nodes the loss flows through; the
    hand-written unroll (tested equal to nn.RNN) makes every hₜ a node, and retain_grad() keeps its gradient."""
    model = copy.deepcopy(model).cpu().eval()  # a live model keeps training undisturbed
    steps = unroll_layer(model.rnn, X.cpu())
    for h in steps.h:
        h.retain_grad()
    y_hat = model.fc(steps.outputs) if model.per_step else model.fc(steps.h[-1])  # (B, T, O) or (B, O)
    loss = loss_fn(y_hat.squeeze(-1) if y_hat.dim() == 2 else y_hat, y.cpu())
    loss.backward()
    return np.array([float(h.grad.norm(dim=1).mean()) for h in steps.h])  # (T,)


def gradient_profiles(setup: BPTTSetup) -> dict[str, np.ndarray]:
    """{cell: ‖∂L/∂hₜ‖ for t = 1…T} for RNN, LSTM and GRU on the same adding-problem batch."""
    X, y = make_adding(BATCH, max(setup.seq_len, 2), seed=setup.seed)
    return {cell: hidden_gradients(scaled_model(cell, setup), X, y) for cell in CELLS}


def gradient_vs_length(setup: BPTTSetup, lengths: tuple[int, ...] = LENGTHS) -> dict[str, np.ndarray]:
    """{cell: ‖∂L/∂h₁‖ / ‖∂L/∂h_T‖ for each length}: the share of the gradient that reaches the first step."""
    result: dict[str, list[float]] = {cell: [] for cell in CELLS}
    for T in lengths:
        profiles = gradient_profiles(BPTTSetup(T, setup.hidden_size, setup.recurrent_scale, setup.seed))
        for cell, norms in profiles.items():
            result[cell].append(norms[0] / norms[-1] if norms[-1] > 0 else np.nan)
    return {cell: np.array(v) for cell, v in result.items()}


@dataclass
class ClipTrace:
    """One short training run: the loss and the gradient norm (before any clipping) at every step."""

    loss: np.ndarray  # (steps,)
    grad_norm: np.ndarray  # (steps,) ‖∇θL‖ as computed, before clipping
    diverged_at: int | None  # the step where the loss stopped being finite, if it did


def clipping_runs(cell: str, setup: BPTTSetup, *, lr: float = 0.1, max_norm: float = 1.0, steps: int = 60,
                  ) -> dict[str, ClipTrace]:
    """{'without clipping', 'with clipping'}: the same model, data and SGD steps, once with clip_grad_norm_(max_norm)."""
    X, y = make_adding(512, max(setup.seq_len, 2), seed=setup.seed)
    order = torch.randint(0, len(X), (steps, BATCH), generator=torch.Generator().manual_seed(setup.seed))
    traces = {}
    for name, clip in (("without clipping", 0.0), ("with clipping", max_norm)):
        model = scaled_model(cell, setup)
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        losses, norms, diverged = [], [], None
        for step, index in enumerate(order):
            loss = F.mse_loss(model(X[index]).squeeze(-1), y[index])  # (B,) vs (B,)
            optimizer.zero_grad()
            loss.backward()
            norm = clip_grad_norm_(model.parameters(), clip if clip > 0 else float("inf"))  # inf: measure only
            losses.append(loss.item())
            norms.append(float(norm))
            if not (np.isfinite(losses[-1]) and np.isfinite(norms[-1])):
                diverged = step
                break
            optimizer.step()
        traces[name] = ClipTrace(np.array(losses), np.array(norms), diverged)
    return traces
