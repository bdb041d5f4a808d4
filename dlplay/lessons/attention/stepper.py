"""Self-attention stepped matrix by matrix, from the weights of the curriculum's SelfAttention."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from dlplay.models.attention import SelfAttention, causal_mask
from dlplay.models.init import seeded_init_

STEPS = ("Embeddings X", "Q, K, V", "Scores QKᵀ", "Scaling ÷ √d", "Mask", "Softmax", "Output AV")


@dataclass
class AttentionSteps:
    """Every intermediate matrix of one self-attention forward pass (T tokens, width C)."""

    X: torch.Tensor  # (T, C) the token vectors
    Q: torch.Tensor  # (T, C) queries X W_qᵀ + b_q
    K: torch.Tensor  # (T, C) keys
    V: torch.Tensor  # (T, C) values
    scores: torch.Tensor  # (T, T) Q Kᵀ: how well query i matches key j
    scaled: torch.Tensor  # (T, T) scores ÷ √C (or unchanged when scaling is off)
    masked: torch.Tensor  # (T, T) scaled with -inf where a query may not look
    weights: torch.Tensor  # (T, T) softmax of each row of masked ÷ temperature: rows sum to 1
    output: torch.Tensor  # (T, C) weights V: each token's new vector, a weighted mix of the values
    divisor: float  # what the scores were divided by: √C, or 1 without scaling
    temperature: float  # softmax temperature: < 1 sharpens, > 1 flattens

    def peak(self) -> torch.Tensor:
        """(T,) the largest weight of each row: near 1 means the softmax has saturated on one key."""
        return self.weights.max(dim=-1).values


def softmax_rows(z: torch.Tensor) -> torch.Tensor:
    """Softmax of each row, written out: e^(z - max) / Σ e^(z - max) (subtracting the max keeps e^z finite)."""
    e = torch.exp(z - z.max(dim=-1, keepdim=True).values)  # (T, T); a -inf entry becomes 0
    return e / e.sum(dim=-1, keepdim=True)


@torch.no_grad()
def step_attention(
    X: torch.Tensor, module: SelfAttention, *, scale: bool = True, causal: bool = False, temperature: float = 1.0
) -> AttentionSteps:
    """The matrices SelfAttention computes on X (T, C), one at a time, with its own weights."""
    if temperature <= 0:
        raise ValueError("the softmax temperature must be positive")
    Q = X @ module.query.weight.T + module.query.bias  # (T, C)
    K = X @ module.key.weight.T + module.key.bias  # (T, C)
    V = X @ module.value.weight.T + module.value.bias  # (T, C)
    scores = Q @ K.T  # (T, T)
    divisor = module.scale if scale else 1.0
    scaled = scores / divisor
    masked = scaled.masked_fill(causal_mask(len(X)), float("-inf")) if causal else scaled.clone()
    weights = softmax_rows(masked / temperature)  # (T, T)
    output = weights @ V  # (T, C)
    return AttentionSteps(X, Q, K, V, scores, scaled, masked, weights, output, float(divisor), float(temperature))


DEMO_GAIN = 2.0  # W_q, W_k drawn this much wider than PyTorch's default: untrained attention is otherwise near-uniform


def demo_self_attention(embed_dim: int, seed: int, gain: float = DEMO_GAIN) -> SelfAttention:
    """The curriculum's SelfAttention with seeded weights, W_q and W_k scaled by `gain` so that its patterns show."""
    module = seeded_init_(SelfAttention(embed_dim), seed)
    with torch.no_grad():
        module.query.weight.mul_(gain)
        module.key.weight.mul_(gain)
    return module
