"""The curriculum's SelfAttention and TransformerBlock (chapter 9), and a small sequence model built from the blocks."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

POSITIONAL = ("sinusoidal", "learned", "none")


class SelfAttention(nn.Module):
    """Single-head scaled dot-product self-attention; SelfAttention(embed_dim) is the curriculum's module exactly."""

    def __init__(self, embed_dim: int):
        super().__init__()
        self.query = nn.Linear(embed_dim, embed_dim)
        self.key = nn.Linear(embed_dim, embed_dim)
        self.value = nn.Linear(embed_dim, embed_dim)
        self.scale = embed_dim**0.5
        self.last_attention: torch.Tensor | None = None  # (..., T, T) softmax weights of the latest forward

    def forward(self, x: torch.Tensor, attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        """x (..., T, C) → (..., T, C); attn_mask (T, T) bool, True where a query may NOT look (as nn.MultiheadAttention)."""
        Q = self.query(x)  # (..., T, C)
        K = self.key(x)  # (..., T, C)
        V = self.value(x)  # (..., T, C)

        # Attention scores
        scores = torch.matmul(Q, K.transpose(-2, -1)) / self.scale  # (..., T, T): row i = query i against every key
        if attn_mask is not None:
            scores = scores.masked_fill(attn_mask, float("-inf"))  # e^-inf = 0: a masked key gets no weight
        attention = F.softmax(scores, dim=-1)  # (..., T, T), each row sums to 1
        self.last_attention = attention.detach()

        return torch.matmul(attention, V)  # (..., T, C)


class TransformerBlock(nn.Module):
    """Multi-head self-attention and a GELU feed-forward, each with a post-norm residual (the curriculum's block).

    As in the curriculum, nn.MultiheadAttention is sequence-first: x is (T, B, C) unless batch_first=True."""

    def __init__(self, embed_dim: int, num_heads: int, ff_dim: int, dropout: float = 0.1, *, batch_first: bool = False):
        super().__init__()
        self.attention = nn.MultiheadAttention(embed_dim, num_heads, batch_first=batch_first)
        self.norm1 = nn.LayerNorm(embed_dim)
        self.norm2 = nn.LayerNorm(embed_dim)
        self.ff = nn.Sequential(
            nn.Linear(embed_dim, ff_dim),
            nn.GELU(),
            nn.Linear(ff_dim, embed_dim),
        )
        self.dropout = nn.Dropout(dropout)
        self.last_attention: torch.Tensor | None = None  # (B, H, T, T) per-head weights of the latest forward

    def forward(
        self, x: torch.Tensor, attn_mask: torch.Tensor | None = None, key_padding_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """x (T, B, C) (or (B, T, C) when batch_first) → the same shape; masks as nn.MultiheadAttention takes them."""
        # Self-attention with residual; per-head weights kept for the page (need_weights costs nothing extra here)
        attn_out, weights = self.attention(
            x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=True, average_attn_weights=False
        )
        self.last_attention = weights.detach()  # (B, H, T, T)
        x = self.norm1(x + self.dropout(attn_out))

        # Feed-forward with residual
        ff_out = self.ff(x)
        x = self.norm2(x + self.dropout(ff_out))

        return x


def sinusoidal_encoding(max_len: int, embed_dim: int) -> torch.Tensor:
    """(max_len, embed_dim): PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d))."""
    position = torch.arange(max_len, dtype=torch.float32).unsqueeze(1)  # (T, 1)
    frequency = torch.exp(torch.arange(0, embed_dim, 2, dtype=torch.float32) * (-math.log(10000.0) / embed_dim))  # (⌈C/2⌉,)
    angles = position * frequency  # (T, ⌈C/2⌉)
    encoding = torch.zeros(max_len, embed_dim)
    encoding[:, 0::2] = torch.sin(angles)
    encoding[:, 1::2] = torch.cos(angles[:, : embed_dim // 2])  # an odd width has one cosine fewer
    return encoding


def causal_mask(length: int, device: torch.device | str | None = None) -> torch.Tensor:
    """(T, T) bool, True above the diagonal: query i may not look at any key j > i (the future)."""
    return torch.triu(torch.ones(length, length, dtype=torch.bool, device=device), diagonal=1)


class SequenceTransformer(nn.Module):
    """Token embedding + positional encoding + num_layers TransformerBlocks + a linear head: logits for every position."""

    def __init__(
        self,
        vocab_size: int,
        embed_dim: int = 64,  # width C of every token vector
        num_heads: int = 4,  # heads per block; must divide embed_dim
        ff_dim: int = 128,  # hidden width of each feed-forward
        num_layers: int = 2,  # transformer blocks stacked
        *,
        max_len: int = 64,  # longest sequence the positional encoding covers
        out_size: int | None = None,  # classes predicted per position; None = vocab_size (a language model)
        positional: str = "sinusoidal",  # one of POSITIONAL
        causal: bool = False,  # True: position i sees only positions ≤ i (a language model)
        dropout: float = 0.1,  # the blocks' dropout (the curriculum's default)
    ):
        super().__init__()
        if positional not in POSITIONAL:
            raise ValueError(f"unknown positional encoding {positional!r}; choose one of {', '.join(POSITIONAL)}")
        if embed_dim % num_heads:
            raise ValueError(f"{num_heads} heads do not divide the width {embed_dim}: each head gets embed_dim / num_heads "
                             "dimensions")
        self.max_len, self.positional, self.causal = max_len, positional, causal
        self.num_heads = num_heads
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        if positional == "learned":
            self.position = nn.Embedding(max_len, embed_dim)
        else:  # a fixed table (zeros for "none"), not a parameter
            table = sinusoidal_encoding(max_len, embed_dim) if positional == "sinusoidal" else torch.zeros(max_len, embed_dim)
            self.register_buffer("position_table", table, persistent=False)
        self.blocks = nn.ModuleList(TransformerBlock(embed_dim, num_heads, ff_dim, dropout) for _ in range(num_layers))
        self.head = nn.Linear(embed_dim, out_size or vocab_size)

    def positions(self, length: int) -> torch.Tensor:
        """(T, C) the vectors added to the token embeddings at positions 0…T-1."""
        if self.positional == "learned":
            return self.position.weight[:length]
        return self.position_table[:length]

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens (B, T) int → logits (B, T, out_size)."""
        _, T = tokens.shape
        if T > self.max_len:
            raise ValueError(f"a sequence of {T} tokens is longer than the model's maximum length {self.max_len}")
        h = self.embedding(tokens) + self.positions(T)  # (B, T, C)
        h = h.transpose(0, 1)  # (T, B, C): the blocks are sequence-first, like the curriculum's
        mask = causal_mask(T, tokens.device) if self.causal else None
        for block in self.blocks:
            h = block(h, attn_mask=mask)  # (T, B, C)
        h = h.transpose(0, 1)  # (B, T, C)
        return self.head(h)  # (B, T, out_size)

    def attention_maps(self) -> torch.Tensor:
        """(L, B, H, T, T): every layer's per-head weights from the latest forward."""
        return torch.stack([block.last_attention for block in self.blocks])
