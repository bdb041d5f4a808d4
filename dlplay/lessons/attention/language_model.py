"""A tiny character-level language model: causal self-attention trained on the project's corpus or pasted text."""

from __future__ import annotations

import html
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dlplay.data.text_corpus import CharVocab, load_corpus, normalize_text
from dlplay.lessons.attention.run import SequenceRun
from dlplay.models.attention import SequenceTransformer
from dlplay.models.init import seeded_init_
from dlplay.training.limits import MAX_STEPS

SOURCES = ("corpus", "pasted")
MIN_TEXT = 200  # characters a pasted text needs: enough for training windows and a held-out tenth
EVAL_WINDOWS = 64  # held-out windows every evaluation scores


@dataclass(frozen=True)
class LMConfig:
    """Text, model and training settings of the tiny language model."""

    source: str = "corpus"  # "corpus" (the project's essays) or "pasted"
    context: int = 64  # characters the model sees at once (its maximum length)
    num_layers: int = 2  # transformer blocks
    num_heads: int = 4  # heads per block; must divide embed_dim
    embed_dim: int = 64  # width of every character vector
    positional: str = "learned"  # sinusoidal, learned or none
    dropout: float = 0.1  # the blocks' dropout
    lr: float = 3e-3  # Adam's learning rate (applies live)
    tokens_per_batch: int = 2048  # characters per step, whatever the context: a step costs about the same at any context
    seed: int = 0  # initial weights, windows and the held-out split

    @property
    def batch_size(self) -> int:
        """Windows per step: tokens_per_batch / context (32 at the default context of 64)."""
        return max(1, self.tokens_per_batch // self.context)


@dataclass(frozen=True)
class Text:
    """The training text, its vocabulary and its encoding, split 90 / 10."""

    text: str
    vocab: CharVocab
    train: torch.Tensor  # (N_train,) character ids
    val: torch.Tensor  # (N_val,) character ids
    dropped: int  # characters of a pasted text that had no plain-ASCII form


def prepare_text(source: str, pasted: str = "", context: int = 64) -> Text:
    """The corpus or a pasted text, normalized and encoded; ValueError with a plain reason when it cannot train."""
    if source not in SOURCES:
        raise ValueError(f"unknown text source {source!r}")
    text, dropped = (load_corpus(), 0) if source == "corpus" else normalize_text(pasted)
    need = max(MIN_TEXT, 10 * (context + 1))  # the held-out tenth must hold at least one window
    if len(text) < need:
        raise ValueError(f"The text has {len(text)} usable characters; a context of {context} needs at least {need}. "
                         f"Paste more text, shorten the context, or use the corpus.")
    vocab = CharVocab.from_text(text)
    ids = vocab.encode(text)  # (N,)
    cut = int(0.9 * len(ids))
    return Text(text, vocab, ids[:cut], ids[cut:], dropped)


def signature(config: LMConfig, text: Text, device: torch.device) -> tuple:
    """Every setting that needs a new model (all but the learning rate), and the text itself."""
    settings = asdict(config)
    settings.pop("lr")
    return tuple(sorted(settings.items())) + (hash(text.text), str(device))


def windows(ids: torch.Tensor, starts: torch.Tensor, context: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(X, y), both (B, context): the windows at `starts`, and the same shifted by one (each next character)."""
    index = starts.unsqueeze(1) + torch.arange(context)  # (B, 1) + (T,) → (B, T)
    return ids[index], ids[index + 1]


def build_lm(config: LMConfig, vocab_size: int) -> SequenceTransformer:
    """The causal transformer with seeded initial weights."""
    model = SequenceTransformer(vocab_size, config.embed_dim, config.num_heads, 2 * config.embed_dim, config.num_layers,
                                max_len=config.context, positional=config.positional, causal=True, dropout=config.dropout)
    return seeded_init_(model, config.seed)


def build_lm_run(config: LMConfig, text: Text, device: torch.device | str = "cpu") -> SequenceRun:
    """A SequenceRun: random windows of the training text each step, loss on fixed held-out windows."""
    if config.embed_dim % config.num_heads:
        raise ValueError(f"{config.num_heads} heads do not divide the width {config.embed_dim}.")
    T = config.context
    g = torch.Generator().manual_seed(config.seed + 7)
    X_val, y_val = windows(text.val, torch.randint(0, len(text.val) - T, (EVAL_WINDOWS,), generator=g), T)
    X_val, y_val = X_val.to(device), y_val.to(device)

    def sample_batch(generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        return windows(text.train, torch.randint(0, len(text.train) - T, (config.batch_size,), generator=generator), T)

    def evaluate(model: nn.Module) -> dict[str, float]:
        logits = model(X_val)  # (B, T, V)
        loss = F.cross_entropy(logits.flatten(0, 1), y_val.flatten())
        return {"val_loss": float(loss), "val_acc": float((logits.argmax(-1) == y_val).float().mean())}

    run = SequenceRun(build_lm(config, text.vocab.size), sample_batch, evaluate, lr=config.lr, device=device, eval_every=50,
                      seed=config.seed, max_steps=MAX_STEPS)
    run.config, run.text = config, text
    return run


def next_distribution(logits: torch.Tensor, temperature: float = 1.0, top_k: int = 0) -> torch.Tensor:
    """(V,) probabilities of the next character: softmax(logits / temperature), keeping only the top_k (0 = all)."""
    if temperature <= 0:
        raise ValueError("the temperature must be positive")
    logits = logits.float() / temperature
    if 0 < top_k < len(logits):
        kth = torch.topk(logits, top_k).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))  # only the k likeliest characters stay possible
    return torch.softmax(logits, dim=-1)


@torch.no_grad()
def generate(model: SequenceTransformer, vocab: CharVocab, prompt: str, length: int, *, temperature: float = 1.0,
             top_k: int = 0, seed: int = 0) -> str:
    """The prompt followed by `length` sampled characters (each from at most the last max_len characters)."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    generator = torch.Generator().manual_seed(seed)
    ids = vocab.encode(prompt or vocab.fallback).tolist()
    for _ in range(length):
        context = torch.tensor(ids[-model.max_len :], device=device).unsqueeze(0)  # (1, T)
        probs = next_distribution(model(context)[0, -1].cpu(), temperature, top_k)  # (V,) from the last position
        ids.append(int(torch.multinomial(probs, 1, generator=generator)))
    model.train(was_training)
    return vocab.decode(ids)


@torch.no_grad()
def attention_over_context(model: SequenceTransformer, vocab: CharVocab, text: str, index: int) -> tuple[str, np.ndarray]:
    """(context, weights (L, H, T)): how the query that predicted text[index] attended over the characters before it."""
    if not 1 <= index < len(text):
        raise ValueError("choose a character after the first")
    context = text[max(0, index - model.max_len) : index]  # the characters the model saw when it chose text[index]
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    model(vocab.encode(context).unsqueeze(0).to(device))  # (1, T) → keeps the maps
    weights = model.attention_maps()[:, 0, :, -1, :]  # (L, 1, H, T, T) → the last query's row: (L, H, T)
    model.train(was_training)
    return context, weights.float().cpu().numpy()


def highlighted(text: str, index: int) -> str:
    """The text as HTML in a monospace block, character `index` highlighted (everything escaped)."""
    before, char, after = (html.escape(part) for part in (text[:index], text[index], text[index + 1 :]))
    mark = char if char.strip() else "␣"
    return (f"<div style='font-family: monospace; white-space: pre-wrap; font-size: 1.05rem'>{before}"
            f"<span style='background: #ffd54f; outline: 2px solid #d62728'>{mark}</span>{after}</div>")


def most_attended(context: str, weights: np.ndarray, k: int = 3) -> str:
    """The k context characters with the most weight on average over layers and heads: "'e' (3 back), …"."""
    top = np.argsort(weights.mean(axis=(0, 1)))[::-1][:k]
    shown = {" ": "␣", "\n": "⏎"}
    return ", ".join(f"{shown.get(context[i], context[i])!r} ({len(context) - i} back)" for i in top)


class LiveSample:
    """A short sample of a run's model, redrawn at most every `every` seconds while it trains (sampling holds it up)."""

    def __init__(self, every: float = 4.0, length: int = 80):
        self.every, self.length = every, length
        self._key: tuple | None = None  # (run, steps) of the sample held
        self._when, self._text = 0.0, ""

    def text(self, run: SequenceRun) -> str:
        """The sample for the run as it is now, or the held one when it is recent enough and the run is playing."""
        now = time.monotonic()
        same_run = self._key is not None and self._key[0] is run
        if not same_run or (self._key[1] != run.steps and (not run.playing or now - self._when > self.every)):
            self._text = generate(run.model, run.text.vocab, "The ", self.length, temperature=0.8, top_k=10, seed=run.steps)
            self._key, self._when = (run, run.steps), now
        return self._text
