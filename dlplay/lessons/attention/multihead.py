"""nn.MultiheadAttention opened up: the split into heads, one map per head, the concatenation and the output projection."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from dlplay.lessons.attention.stepper import DEMO_GAIN, softmax_rows
from dlplay.models.attention import causal_mask
from dlplay.models.init import seeded_init_


@dataclass
class HeadView:
    """Every intermediate of one multi-head self-attention pass over T tokens of width C in H heads of d = C / H."""

    Q: torch.Tensor  # (H, T, d) each head's queries: its own d columns of X W_qᵀ + b_q
    K: torch.Tensor  # (H, T, d)
    V: torch.Tensor  # (H, T, d)
    scores: torch.Tensor  # (H, T, T) Q Kᵀ / √d, masked with -inf
    weights: torch.Tensor  # (H, T, T) softmax rows: one attention map per head
    heads: torch.Tensor  # (H, T, d) each head's output, weights V
    concat: torch.Tensor  # (T, C) the heads side by side
    output: torch.Tensor  # (T, C) concat W_oᵀ + b_o


def attention_mask(length: int, *, causal: bool = False, padding: torch.Tensor | None = None) -> torch.Tensor:
    """(T, T) bool, True where query i may not look at key j: the future (causal) and/or padded keys (padding (T,) bool)."""
    mask = causal_mask(length) if causal else torch.zeros(length, length, dtype=torch.bool)
    if padding is not None:
        mask = mask | padding.unsqueeze(0)  # (1, T) → every query ignores the padded keys
    return mask


@torch.no_grad()
def head_view(
    X: torch.Tensor, mha: nn.MultiheadAttention, *, causal: bool = False, padding: torch.Tensor | None = None
) -> HeadView:
    """What mha(X, X, X) computes on X (T, C) with its own weights, head by head; padding (T,) True marks pad keys."""
    T, C = X.shape
    H = mha.num_heads
    d = C // H
    W_q, W_k, W_v = mha.in_proj_weight.chunk(3)  # each (C, C): the three projections are stored stacked
    b_q, b_k, b_v = mha.in_proj_bias.chunk(3)  # each (C,)
    Q = (X @ W_q.T + b_q).view(T, H, d).transpose(0, 1)  # (T, C) → (T, H, d) → (H, T, d)
    K = (X @ W_k.T + b_k).view(T, H, d).transpose(0, 1)  # (H, T, d)
    V = (X @ W_v.T + b_v).view(T, H, d).transpose(0, 1)  # (H, T, d)
    scores = Q @ K.transpose(-2, -1) / math.sqrt(d)  # (H, T, T): each head scales by its own width
    scores = scores.masked_fill(attention_mask(T, causal=causal, padding=padding), float("-inf"))
    weights = softmax_rows(scores)  # (H, T, T)
    heads = weights @ V  # (H, T, d)
    concat = heads.transpose(0, 1).reshape(T, C)  # (H, T, d) → (T, H, d) → (T, C)
    output = concat @ mha.out_proj.weight.T + mha.out_proj.bias  # (T, C)
    return HeadView(Q, K, V, scores, weights, heads, concat, output)


def demo_multihead(embed_dim: int, num_heads: int, seed: int, gain: float = DEMO_GAIN) -> nn.MultiheadAttention:
    """nn.MultiheadAttention with seeded weights (eval mode), W_q and W_k scaled by `gain` so that its patterns show."""
    mha = seeded_init_(nn.MultiheadAttention(embed_dim, num_heads), seed).eval()
    with torch.no_grad():
        mha.in_proj_weight[: 2 * embed_dim].mul_(gain)  # rows 0…2C-1 of the stacked [W_q; W_k; W_v]
    return mha
