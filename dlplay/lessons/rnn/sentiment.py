"""Sentence classification with the curriculum's LSTMModel on generated reviews where word order decides."""

from __future__ import annotations

from dataclasses import astuple, dataclass

import numpy as np
import torch
import torch.nn.functional as F

from dlplay.data.sequences import SENTIMENTS, WordVocab, make_sentences, tokenize
from dlplay.models.init import seeded_init_
from dlplay.models.rnn import LSTMModel
from dlplay.training.run import RunConfig, TrainingRun

MAX_WORDS = 40  # a typed sentence is cut here: the model never saw sentences half as long


@dataclass(frozen=True)
class SentimentSetup:
    """The LSTMModel and its training."""

    embed_dim: int = 32  # size of each word's vector
    hidden_dim: int = 32  # units per direction and layer
    cell: str = "LSTM"  # "GRU" swaps in 6.3's cell, same layers otherwise
    n_train: int = 2000  # generated training sentences
    n_val: int = 500  # generated validation sentences
    batch_size: int = 32  # sentences per step
    lr: float = 3e-3  # Adam's learning rate, applied live
    seed: int = 0  # sentences, initial weights and batch order


class SentimentRun(TrainingRun):
    """A TrainingRun of an LSTMModel that also holds its word vocabulary and the validation sentences."""

    vocab: WordVocab
    val_sentences: list[str]


def build_sentiment_run(setup: SentimentSetup, device: torch.device | str = "cpu") -> SentimentRun:
    """LSTMModel(vocab, embed, hidden, 2) — 2 layers, dropout 0.5, bidirectional — packed over the padding."""
    sentences, labels = make_sentences(setup.n_train + setup.n_val, seed=setup.seed)
    vocab = WordVocab.from_sentences(sentences)
    X = vocab.encode(sentences)  # (N, T) padded with WordVocab.PAD
    n = setup.n_train
    model = seeded_init_(LSTMModel(vocab.size, setup.embed_dim, setup.hidden_dim, len(SENTIMENTS), cell=setup.cell,
                                   pad_idx=WordVocab.PAD), setup.seed)
    config = RunConfig(batch_size=setup.batch_size, eval_every=50, eval_samples=min(setup.n_val, 256), seed=setup.seed)
    run = SentimentRun(model, X[:n], labels[:n], X[n:], labels[n:], optimizer=_adam(setup.lr), config=config, device=device)
    run.vocab, run.val_sentences = vocab, sentences[n:]
    return run


def _adam(lr: float):
    return lambda params: torch.optim.Adam(params, lr=lr)


def sentiment_signature(setup: SentimentSetup, device: object) -> tuple:
    """Everything that needs a new model; the learning rate applies live."""
    return tuple(v for k, v in zip(SentimentSetup.__dataclass_fields__, astuple(setup)) if k != "lr"), str(device)


@dataclass
class Reading:
    """The model's reading of one sentence: the prediction, and how it changed word by word."""

    words: list[str]  # the sentence's words as the model reads them (cut at MAX_WORDS)
    unknown: list[str]  # words the model never saw: each is read as <unk>
    probs: np.ndarray  # (2,) P(negative), P(positive) of the whole sentence
    prefix_positive: np.ndarray  # (n_words,) P(positive) after the first 1, 2, … words
    truncated: bool  # the sentence had more than MAX_WORDS words


def read_sentence(run: SentimentRun, sentence: str) -> Reading:
    """Classify a typed sentence and every prefix of it (so a 'not' is seen flipping the prediction)."""
    words = tokenize(sentence)
    truncated = len(words) > MAX_WORDS
    words = words[:MAX_WORDS]
    if not words:
        raise ValueError("the sentence has no words the model can read (letters a–z)")
    prefixes = [" ".join(words[: i + 1]) for i in range(len(words))]
    X = run.vocab.encode(prefixes)  # (n_words, n_words) every prefix, padded
    with run.locked():
        probs = F.softmax(run.predict(X), dim=1).numpy()  # (n_words, 2)
    return Reading(words, run.vocab.unknown(" ".join(words)), probs[-1], probs[:, 1], truncated)


def validation_mistakes(run: SentimentRun, limit: int = 8) -> list[tuple[str, str, float]]:
    """Up to `limit` validation sentences the model gets wrong: (sentence, true label, P(positive))."""
    with run.locked():
        probs = F.softmax(run.predict(run.X_val), dim=1)[:, 1]  # (N,)
    wrong = ((probs > 0.5).long() != run.y_val.cpu()).nonzero().flatten()[:limit]
    return [(run.val_sentences[i], SENTIMENTS[int(run.y_val[i])], float(probs[i])) for i in wrong.tolist()]


def bag_of_words_accuracy(setup: SentimentSetup, steps: int = 100) -> float:
    """Validation accuracy of logistic regression on word counts: what ignoring word order can reach on this set."""
    sentences, labels = make_sentences(setup.n_train + setup.n_val, seed=setup.seed)
    vocab = WordVocab.from_sentences(sentences)
    ids = vocab.encode(sentences)  # (N, T)
    counts = torch.zeros(len(sentences), vocab.size).scatter_add_(1, ids, torch.ones_like(ids, dtype=torch.float))
    counts[:, WordVocab.PAD] = 0  # (N, V) how often each word occurs; order forgotten
    n = setup.n_train
    linear = seeded_init_(torch.nn.Linear(vocab.size, 2), setup.seed)
    optimizer = torch.optim.Adam(linear.parameters(), lr=0.1)
    for _ in range(steps):
        loss = F.cross_entropy(linear(counts[:n]), labels[:n])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        return float((linear(counts[n:]).argmax(dim=1) == labels[n:]).float().mean())


def sentiment_code(setup: SentimentSetup) -> str:
    """The curriculum's LSTMModel trained on the generated sentences, for these settings."""
    layer = "nn.LSTM" if setup.cell == "LSTM" else "nn.GRU"
    return f'''
import torch
from torch import nn
import torch.nn.functional as F
from dlplay.data.sequences import WordVocab, make_sentences

sentences, labels = make_sentences({setup.n_train + setup.n_val}, seed={setup.seed})  # 0 negative, 1 positive
vocab = WordVocab.from_sentences(sentences)
X = vocab.encode(sentences)  # (N, T) word ids, padded with 0


class LSTMModel(nn.Module):  # chapter 6.2
    def __init__(self, vocab_size, embed_dim, hidden_dim, output_dim):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.lstm = {layer}(embed_dim, hidden_dim, num_layers=2, dropout=0.5, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(hidden_dim * 2, output_dim)

    def forward(self, x):
        embedded = self.embedding(x)  # (B, T, E)
        lengths = (x != 0).sum(dim=1).cpu()  # pack: each direction stops at the last real word
        packed = nn.utils.rnn.pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False)
        output, hidden = self.lstm(packed)
        hidden = hidden[0] if isinstance(hidden, tuple) else hidden  # the LSTM returns (h, c)
        hidden = torch.cat([hidden[-2], hidden[-1]], dim=1)  # (B, 2H): forward and backward final states
        return self.fc(hidden)


model = LSTMModel(vocab.size, {setup.embed_dim}, {setup.hidden_dim}, 2)
optimizer = torch.optim.Adam(model.parameters(), lr={setup.lr:g})
X_train, y_train = X[:{setup.n_train}], labels[:{setup.n_train}]
for epoch in range(5):
    model.train()  # dropout between the two layers
    for index in torch.randperm(len(X_train)).split({setup.batch_size}):
        loss = F.cross_entropy(model(X_train[index]), y_train[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

model.eval()
with torch.no_grad():
    p = F.softmax(model(vocab.encode(["the soup was not good"])), dim=1)
print("P(positive) =", p[0, 1].item())
'''
