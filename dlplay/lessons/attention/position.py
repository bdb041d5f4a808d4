"""Position: the sinusoidal encoding, how alike two positions look, and why attention alone ignores order."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from dlplay.models.attention import TransformerBlock, sinusoidal_encoding
from dlplay.models.init import seeded_init_


def position_similarity(encoding: torch.Tensor) -> torch.Tensor:
    """(T, T) cosine similarity between the encodings of every pair of positions."""
    unit = F.normalize(encoding, dim=-1)  # (T, C), each row of length 1
    return unit @ unit.T


def shuffle_order(length: int, seed: int) -> torch.Tensor:
    """A random permutation of 0…T-1 that moves at least one token (when T > 1), from a seeded generator."""
    generator = torch.Generator().manual_seed(seed)
    for _ in range(20):
        order = torch.randperm(length, generator=generator)
        if length < 2 or not torch.equal(order, torch.arange(length)):
            return order
    return torch.arange(length).roll(1)


@dataclass
class PermutationCheck:
    """A block's outputs for tokens in their order and shuffled, and how far f(shuffled X) is from shuffled f(X)."""

    order: torch.Tensor  # (T,) shuffled position k holds the token from position order[k]
    output: torch.Tensor  # (T, C) f(X + P)
    shuffled_output: torch.Tensor  # (T, C) f(X[order] + P)
    gap: float  # max |f(X[order] + P) − f(X + P)[order]|: 0 means the outputs moved exactly with the tokens


@torch.no_grad()
def permutation_check(
    X: torch.Tensor, order: torch.Tensor, num_heads: int = 2, *, positions: bool, seed: int = 0
) -> PermutationCheck:
    """Run one seeded TransformerBlock (eval mode) on X (T, C) and on X shuffled, with or without sinusoidal positions."""
    T, C = X.shape
    block = seeded_init_(TransformerBlock(C, num_heads, 2 * C), seed).eval()
    P = sinusoidal_encoding(T, C) if positions else torch.zeros(T, C)  # (T, C): added by position, not by token
    output = block((X + P).unsqueeze(1)).squeeze(1)  # (T, C) → (T, 1, C) sequence-first → (T, C)
    shuffled_output = block((X[order] + P).unsqueeze(1)).squeeze(1)  # (T, C)
    gap = float((shuffled_output - output[order]).abs().max())
    return PermutationCheck(order, output, shuffled_output, gap)
