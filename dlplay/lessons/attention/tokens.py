"""A typed sentence as tokens, and a fixed random vector for every distinct token."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import torch

TOKENIZERS = ("words", "characters")
SPACE = "␣"  # how a space looks as a character token


@dataclass(frozen=True)
class Tokens:
    """The tokens kept, and how many past the cap were left out."""

    tokens: list[str]
    dropped: int  # tokens beyond the cap, not shown


def tokenize(text: str, mode: str = "words", cap: int = 12) -> Tokens:
    """Split on whitespace ("words") or into characters; keep the first `cap`; raise ValueError on an empty text."""
    if mode not in TOKENIZERS:
        raise ValueError(f"unknown tokenizer {mode!r}; choose one of {', '.join(TOKENIZERS)}")
    text = text.strip()
    if not text:
        raise ValueError("The sentence is empty: type a few words to see attention between them.")
    tokens = text.split() if mode == "words" else [SPACE if c.isspace() else c for c in " ".join(text.split())]
    return Tokens(tokens[:cap], max(0, len(tokens) - cap))


def token_embeddings(tokens: list[str], embed_dim: int, seed: int = 0) -> torch.Tensor:
    """(T, embed_dim): each distinct token gets one N(0, 1) vector drawn from a generator seeded by (seed, the token).

    Why per token: the same word keeps the same vector whatever sentence it is in, as a trained embedding table would."""
    rows = []
    for token in tokens:
        # a stable 32-bit hash (Python's hash() changes between processes; torch's CPU generator keeps 32 seed bits)
        generator = torch.Generator().manual_seed(zlib.crc32(f"{seed}:{token}".encode()))
        rows.append(torch.randn(embed_dim, generator=generator))
    return torch.stack(rows)  # (T, C)


def unique_labels(tokens: list[str]) -> list[str]:
    """Axis labels for tokens, made distinct ('the', 'cat', 'the·2') so a heatmap keeps repeated tokens apart."""
    seen: dict[str, int] = {}
    labels = []
    for token in tokens:
        seen[token] = seen.get(token, 0) + 1
        labels.append(token if seen[token] == 1 else f"{token}·{seen[token]}")
    return labels
