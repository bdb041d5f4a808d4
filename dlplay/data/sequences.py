"""Sequence data sets made by the project: sine series, the adding problem, copy memory and sentences where order matters."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch

SERIES_KINDS = ("sine", "sum of sines")


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ----- next-value prediction ---------------------------------------------------------------------------------------------
def series(kind: str, length: int, *, phases: torch.Tensor | None = None, dt: float = 0.25) -> torch.Tensor:
    """Noise-free values (N, length) of one series kind: a sine of period ≈ 25 steps, or that plus a faster, smaller one."""
    if kind not in SERIES_KINDS:
        raise ValueError(f"unknown series {kind!r}; choose one of {', '.join(SERIES_KINDS)}")
    phases = torch.zeros(1, 2) if phases is None else phases  # (N, 2): a phase per component
    t = torch.arange(length, dtype=torch.float32) * dt  # (T,)
    x = torch.sin(t[None, :] + phases[:, :1])  # (N, T): period 2π/dt ≈ 25 steps
    if kind == "sum of sines":
        # A second component 2.7× faster and half as large: the series no longer repeats every period.
        x = 0.6 * x + 0.4 * torch.sin(2.7 * t[None, :] + phases[:, 1:])  # (N, T)
    return x


def make_series(kind: str = "sine", n_samples: int = 512, seq_len: int = 20, *, noise: float = 0.0,
                seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Windows of a series and the value after each: X (N, T, 1), y (N,) — next-value prediction."""
    if seq_len < 1 or n_samples < 1:
        raise ValueError("seq_len and n_samples must be at least 1")
    g = _generator(seed)
    phases = torch.rand(n_samples, 2, generator=g) * 2 * math.pi  # (N, 2) each window starts somewhere else
    values = series(kind, seq_len + 1, phases=phases)  # (N, T + 1)
    values = values + noise * torch.randn(values.shape, generator=g)
    return values[:, :seq_len, None], values[:, seq_len]  # (N, T, 1), (N,)


# ----- the adding problem ----------------------------------------------------------------------------------------------
def make_adding(n_samples: int = 1024, seq_len: int = 30, *, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """The adding problem (Hochreiter & Schmidhuber): X (N, T, 2) of (value, marker); y (N,) the sum of the 2 marked values.

    One marker falls in the first half and one in the second, so the first must be carried across at least T/2 steps.
    Always answering 1 (the mean of the sum) scores an MSE of 1/6 ≈ 0.167: the line a model must beat."""
    if seq_len < 2:
        raise ValueError(f"the adding problem needs at least 2 steps, got {seq_len}")
    g = _generator(seed)
    values = torch.rand(n_samples, seq_len, generator=g)  # (N, T) uniform in [0, 1)
    half = seq_len // 2
    first = torch.randint(0, half, (n_samples,), generator=g)  # (N,)
    second = torch.randint(half, seq_len, (n_samples,), generator=g)  # (N,)
    markers = torch.zeros(n_samples, seq_len)
    rows = torch.arange(n_samples)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    X = torch.stack([values, markers], dim=2)  # (N, T, 2)
    return X, (values * markers).sum(dim=1)  # (N,)


# ----- copy memory -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CopyMemory:
    """A copy-memory set: remember n_symbols symbols across a delay, recall them after the delimiter."""

    X: torch.Tensor  # (N, T, n_categories + 2) one-hot inputs: symbols, blanks, the delimiter
    y: torch.Tensor  # (N, n_symbols) the symbols to recall, in order
    tokens: torch.Tensor  # (N, T) the input as ids: 0…n_categories−1 symbols, BLANK, DELIMITER
    n_symbols: int  # how many symbols to remember (K)
    n_categories: int  # the alphabet size: chance accuracy is 1 / n_categories
    delay: int  # blank steps between the last symbol and the delimiter

    @property
    def blank(self) -> int:
        """Token id of the blank input."""
        return self.n_categories

    @property
    def delimiter(self) -> int:
        """Token id of the 'recall now' input."""
        return self.n_categories + 1

    @property
    def seq_len(self) -> int:
        """T = 2K + delay: K symbols, the delay, the delimiter, K − 1 blanks while recalling."""
        return self.X.shape[1]


def make_copy_memory(n_samples: int = 1024, delay: int = 10, *, n_symbols: int = 3, n_categories: int = 4,
                     seed: int = 0) -> CopyMemory:
    """K random symbols, `delay` blanks, a delimiter, K − 1 blanks; the model must output the symbols at the last K steps.

    Symbol i is recalled K + delay steps after it was seen, whatever i: every recall spans the same distance."""
    if delay < 0 or n_symbols < 1 or n_categories < 2:
        raise ValueError("need delay ≥ 0, n_symbols ≥ 1 and n_categories ≥ 2")
    g = _generator(seed)
    symbols = torch.randint(0, n_categories, (n_samples, n_symbols), generator=g)  # (N, K)
    blank, delimiter = n_categories, n_categories + 1
    tokens = torch.full((n_samples, 2 * n_symbols + delay), blank, dtype=torch.long)  # (N, T)
    tokens[:, :n_symbols] = symbols
    tokens[:, n_symbols + delay] = delimiter
    X = torch.nn.functional.one_hot(tokens, n_categories + 2).float()  # (N, T, C + 2)
    return CopyMemory(X, symbols, tokens, n_symbols, n_categories, delay)


# ----- sentences where word order matters ------------------------------------------------------------------------------
NOUNS = ("food", "film", "service", "room", "music", "coffee", "book", "hotel", "staff", "weather", "soup", "bread",
         "game", "show", "trip", "concert", "garden", "train", "lesson", "city")
POSITIVE = ("good", "great", "lovely", "fine", "pleasant", "excellent", "tasty", "friendly", "clean", "fresh",
            "wonderful", "nice")
NEGATIVE = ("bad", "awful", "terrible", "poor", "boring", "dull", "rude", "dirty", "stale", "bland", "slow", "nasty")
ADVERBS = ("very", "really", "quite", "rather", "so")
VERBS = (("liked", "like", 1), ("loved", "love", 1), ("enjoyed", "enjoy", 1), ("hated", "hate", 0), ("disliked", "dislike", 0))
SENTIMENTS = ("negative", "positive")  # label 0, label 1


def _clause(g: torch.Generator, polarity: int) -> str:
    """One clause with the given meaning: 'the soup was not very good' (negative), 'i did not hate the film' (positive)."""
    def pick(options: Sequence) -> object:
        return options[int(torch.randint(len(options), (1,), generator=g))]

    negated = bool(torch.rand(1, generator=g) < 0.5)
    noun = pick(NOUNS)
    if torch.rand(1, generator=g) < 0.7:
        # "not" flips the adjective's meaning: a negated clause takes an adjective of the opposite polarity.
        adjective = pick(POSITIVE if polarity != negated else NEGATIVE)
        adverb = f"{pick(ADVERBS)} " if torch.rand(1, generator=g) < 0.4 else ""
        tense = pick(("was", "is"))
        return f"the {noun} {tense} {'not ' if negated else ''}{adverb}{adjective}"
    past, base, verb_polarity = pick([v for v in VERBS if (v[2] == polarity) != negated])
    return f"i did not {base} the {noun}" if negated else f"i {past} the {noun}"


def make_sentences(n_samples: int = 2000, *, seed: int = 0) -> tuple[list[str], torch.Tensor]:
    """Short reviews and their sentiment (0 negative, 1 positive) that a bag of words cannot read.

    A clause may be negated ("not good" is negative); two clauses joined by "but" take the second one's meaning, so
    "the soup was good but the bread was not good" and "the soup was not good but the bread was good" hold the same
    words and opposite labels. Clauses joined by "and" agree."""
    g = _generator(seed)
    sentences, labels = [], []
    for _ in range(n_samples):
        label = int(torch.randint(2, (1,), generator=g))
        form = float(torch.rand(1, generator=g))
        if form < 0.4:
            sentence = _clause(g, label)
        elif form < 0.8:
            first = int(torch.randint(2, (1,), generator=g)) if form < 0.5 else 1 - label  # mostly a real contrast
            sentence = f"{_clause(g, first)} but {_clause(g, label)}"
        else:
            sentence = f"{_clause(g, label)} and {_clause(g, label)}"
        sentences.append(sentence)
        labels.append(label)
    return sentences, torch.tensor(labels, dtype=torch.long)


_WORD = re.compile(r"[a-z]+")


def tokenize(sentence: str) -> list[str]:
    """Lower-case words; "n't" becomes "not" (wasn't → was not, didn't → did not), punctuation and digits are dropped."""
    text = sentence.lower().replace("\u2019", "'").replace("can't", "can not").replace("won't", "will not")
    text = text.replace("n't", " not")
    return _WORD.findall(text)


@dataclass(frozen=True)
class WordVocab:
    """Word ↔ id: PAD = 0 fills short sentences, UNK = 1 stands for any word the set never used."""

    words: tuple[str, ...]  # index → word; words[0] = "<pad>", words[1] = "<unk>"

    PAD = 0
    UNK = 1

    @classmethod
    def from_sentences(cls, sentences: Iterable[str]) -> WordVocab:
        """Every word of the sentences, sorted, after <pad> and <unk>."""
        return cls(("<pad>", "<unk>", *sorted({w for s in sentences for w in tokenize(s)})))

    @property
    def size(self) -> int:
        return len(self.words)

    def index(self, word: str) -> int:
        """The word's id, UNK when unknown."""
        return self._lookup().get(word, self.UNK)

    def _lookup(self) -> dict[str, int]:
        lookup = self.__dict__.get("_cache")
        if lookup is None:
            lookup = {w: i for i, w in enumerate(self.words)}
            object.__setattr__(self, "_cache", lookup)
        return lookup

    def unknown(self, sentence: str) -> list[str]:
        """The words of a sentence this vocabulary does not hold, in order."""
        lookup = self._lookup()
        return [w for w in tokenize(sentence) if w not in lookup]

    def encode(self, sentences: Sequence[str], max_len: int | None = None) -> torch.Tensor:
        """Ids (N, T) padded with PAD to the longest sentence (or cut at max_len); an empty sentence is one UNK."""
        rows = [[self.index(w) for w in tokenize(s)][:max_len] or [self.UNK] for s in sentences]
        width = max((len(r) for r in rows), default=1)
        ids = torch.full((len(rows), width), self.PAD, dtype=torch.long)  # (N, T)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = torch.tensor(row)
        return ids
