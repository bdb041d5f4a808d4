"""The task lab: a small transformer trained live on a toy digit task, its attention maps, and heads switched off."""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from dlplay.lessons.attention.run import SequenceRun
from dlplay.lessons.attention.tasks import DIGITS, MAX_LENGTH, OUT_SIZE, TASKS, sample
from dlplay.models.attention import SequenceTransformer
from dlplay.models.init import seeded_init_
from dlplay.training.limits import MAX_STEPS

EVAL_SIZE = 512  # held-out sequences every evaluation scores (fixed, so the curves are comparable)


@dataclass(frozen=True)
class LabConfig:
    """Task, model and training settings of the lab."""

    task: str = "reverse"  # one of TASKS
    length: int = 8  # digits per sequence
    num_layers: int = 2  # transformer blocks
    num_heads: int = 4  # heads per block; must divide embed_dim
    embed_dim: int = 64  # width C of every token vector
    positional: str = "sinusoidal"  # sinusoidal, learned or none
    dropout: float = 0.1  # the blocks' dropout (the curriculum's default)
    lr: float = 3e-3  # Adam's learning rate (applies live)
    batch_size: int = 64  # fresh random sequences per step
    seed: int = 0  # initial weights, batches and the held-out set

    @property
    def ff_dim(self) -> int:
        """The feed-forward's hidden width: twice the model width."""
        return 2 * self.embed_dim


def problems(config: LabConfig) -> list[str]:
    """Plain reasons a configuration cannot be built (empty when it can)."""
    found = []
    if config.task not in TASKS:
        found.append(f"Unknown task {config.task!r}.")
    if not 2 <= config.length <= MAX_LENGTH:
        found.append(f"The sequence length must be between 2 and {MAX_LENGTH}.")
    if config.embed_dim % config.num_heads:
        found.append(f"{config.num_heads} heads do not divide the width {config.embed_dim}: every head gets "
                     f"width / heads dimensions, so pick a number of heads that divides it.")
    return found


def head_choices(width: int, candidates: tuple[int, ...] = (1, 2, 3, 4, 6, 8)) -> list[int]:
    """Numbers of heads that divide the width (each head gets width / heads dimensions)."""
    return [h for h in candidates if width % h == 0]


def head_names(num_layers: int, num_heads: int) -> list[str]:
    """'layer 1 · head 1', … in layer-major order: name index i is (layer, head) = divmod(i, num_heads)."""
    return [f"layer {layer + 1} · head {head + 1}" for layer in range(num_layers) for head in range(num_heads)]


def signature(config: LabConfig, device: torch.device) -> tuple:
    """Every setting that needs a new model (all but the learning rate)."""
    settings = asdict(config)
    settings.pop("lr")
    return tuple(sorted(settings.items())) + (str(device),)


def build_model(config: LabConfig) -> SequenceTransformer:
    """The lab's transformer, with seeded initial weights."""
    model = SequenceTransformer(DIGITS, config.embed_dim, config.num_heads, config.ff_dim, config.num_layers, max_len=MAX_LENGTH,
                                out_size=OUT_SIZE, positional=config.positional, dropout=config.dropout)
    return seeded_init_(model, config.seed)


def held_out(config: LabConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """The fixed evaluation set: EVAL_SIZE sequences from their own seeded generator."""
    return sample(config.task, EVAL_SIZE, config.length, torch.Generator().manual_seed(config.seed + 1_000_003))


def scores(y_hat: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
    """Token accuracy, sequence accuracy (every position right) and accuracy per position (pos_0 …)."""
    right = (y_hat == y).float()  # (B, T)
    metrics = {"val_acc": float(right.mean()), "seq_acc": float(right.min(dim=1).values.mean())}
    metrics.update({f"pos_{i}": float(a) for i, a in enumerate(right.mean(dim=0))})
    return metrics


def build_lab_run(config: LabConfig, device: torch.device | str = "cpu") -> SequenceRun:
    """A SequenceRun of the lab: fresh random sequences each step, scored on a fixed held-out set."""
    problem = problems(config)
    if problem:
        raise ValueError(" ".join(problem))
    X_val, y_val = (t.to(device) for t in held_out(config))

    def evaluate(model: nn.Module) -> dict[str, float]:
        logits = model(X_val)  # (B, T, OUT_SIZE)
        loss = nn.functional.cross_entropy(logits.flatten(0, 1), y_val.flatten())
        return {"val_loss": float(loss), **scores(logits.argmax(-1), y_val)}

    run = SequenceRun(build_model(config), lambda g: sample(config.task, config.batch_size, config.length, g), evaluate,
                      lr=config.lr, device=device, eval_every=25, seed=config.seed, max_steps=MAX_STEPS)
    run.X_val, run.y_val, run.config = X_val, y_val, config
    return run


def position_accuracy(run: SequenceRun) -> np.ndarray:
    """(T,) the latest evaluation's accuracy at every position."""
    T = run.config.length
    return np.array([run.latest(f"pos_{i}") for i in range(T)])


@torch.no_grad()
def look(model: SequenceTransformer, X: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """(prediction (T,), attention maps (L, H, T, T)) of one sequence X (T,), in eval mode."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    logits = model(X.unsqueeze(0).to(device))  # (1, T, OUT_SIZE)
    maps = model.attention_maps()[:, 0]  # (L, 1, H, T, T) → (L, H, T, T)
    model.train(was_training)
    return logits[0].argmax(-1).cpu().numpy(), maps.float().cpu().numpy()


def heads_off(model: SequenceTransformer, heads: list[tuple[int, int]]) -> SequenceTransformer:
    """A copy of the model with the given (layer, head) pairs switched off: their columns of W_o set to zero.

    Why W_o: the heads' outputs are concatenated and multiplied by W_o, so zeroing a head's d columns removes exactly
    its contribution and nothing else."""
    ablated = copy.deepcopy(model).eval()
    for layer, head in heads:
        attention = ablated.blocks[layer].attention
        d = attention.embed_dim // attention.num_heads
        with torch.no_grad():
            attention.out_proj.weight[:, head * d : (head + 1) * d] = 0.0
    return ablated


@torch.no_grad()
def sequence_accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of sequences with every position right (eval mode)."""
    was_training = model.training
    model.eval()
    accuracy = float((model(X).argmax(-1) == y).all(dim=1).float().mean())
    model.train(was_training)
    return accuracy


def head_ablation(run: SequenceRun) -> np.ndarray:
    """(L, H) sequence accuracy on the held-out set with one head at a time switched off."""
    with run.locked():  # a stable copy of the weights, even if another thread is training
        model = copy.deepcopy(run.model).eval()
    L, H = len(model.blocks), model.num_heads
    accuracy = np.zeros((L, H))
    for layer, block in enumerate(model.blocks):
        weight = block.attention.out_proj.weight  # (C, C): column block h·d … (h+1)·d reads head h's output
        d = weight.shape[1] // H
        for head in range(H):
            saved = weight[:, head * d : (head + 1) * d].clone()
            with torch.no_grad():
                weight[:, head * d : (head + 1) * d] = 0.0  # as heads_off does, without a copy per head
            accuracy[layer, head] = sequence_accuracy(model, run.X_val, run.y_val)
            with torch.no_grad():
                weight[:, head * d : (head + 1) * d] = saved
    return accuracy
