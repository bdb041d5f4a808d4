"""The project's embedded English text corpus and a character vocabulary for character-level models."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import torch

CORPUS_PATH = Path(__file__).with_name("corpus") / "dlplay_corpus.txt"

# Typographic characters people paste from word processors, mapped to the ASCII a corpus uses.
_ASCII_EQUIVALENTS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u2026": "...", "\u00a0": " ", "\t": " ", "\r": "",
}


@lru_cache(maxsize=1)
def load_corpus() -> str:
    """The corpus written for this project: short English essays, plain ASCII, about 40 KB."""
    return CORPUS_PATH.read_text(encoding="ascii")


def normalize_text(text: str) -> tuple[str, int]:
    """Text reduced to printable ASCII and newlines, and how many characters were dropped on the way."""
    out: list[str] = []
    dropped = 0
    for ch in text:
        ch = _ASCII_EQUIVALENTS.get(ch, ch)
        if len(ch) == 1 and not ch.isascii():
            # Accents fall away (é → e); what has no ASCII form at all is dropped and counted.
            ch = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii")
            dropped += ch == ""
        for c in ch:
            if c == "\n" or " " <= c <= "~":
                out.append(c)
            else:
                dropped += 1
    return "".join(out), dropped


@dataclass(frozen=True)
class CharVocab:
    """A character ↔ index mapping; characters not in it encode as the fallback character."""

    chars: tuple[str, ...]  # the characters, sorted; the index of a character is its position here
    fallback: str = field(default="")  # what unknown characters encode as: " " when the vocabulary has it, else chars[0]

    def __post_init__(self) -> None:
        if not self.chars:
            raise ValueError("a vocabulary needs at least one character")
        if len(set(self.chars)) != len(self.chars):
            raise ValueError("vocabulary characters must be distinct")
        if not self.fallback:
            object.__setattr__(self, "fallback", " " if " " in self.chars else self.chars[0])
        if self.fallback not in self.chars:
            raise ValueError(f"fallback {self.fallback!r} is not in the vocabulary")
        object.__setattr__(self, "_index", {c: i for i, c in enumerate(self.chars)})

    @classmethod
    def from_text(cls, text: str | Iterable[str]) -> CharVocab:
        """The vocabulary of every distinct character of `text`, sorted."""
        return cls(tuple(sorted(set(text))))

    @property
    def size(self) -> int:
        """Number of characters, the model's vocab_size."""
        return len(self.chars)

    @property
    def fallback_id(self) -> int:
        """Index that unknown characters encode to."""
        return self._index[self.fallback]

    def __len__(self) -> int:
        return self.size

    def __contains__(self, ch: str) -> bool:
        return ch in self._index

    def encode(self, text: str) -> torch.Tensor:
        """Indices of the characters of `text` as a LongTensor (T,); unknown characters give fallback_id."""
        fb = self.fallback_id
        return torch.tensor([self._index.get(c, fb) for c in text], dtype=torch.long)

    def decode(self, ids: torch.Tensor | Iterable[int]) -> str:
        """The string of indices `ids` (any shape is flattened)."""
        if isinstance(ids, torch.Tensor):
            ids = ids.reshape(-1).tolist()  # (T,)
        return "".join(self.chars[int(i)] for i in ids)

    def unknown(self, text: str) -> set[str]:
        """Characters of `text` that this vocabulary does not hold."""
        return set(text) - set(self._index)
