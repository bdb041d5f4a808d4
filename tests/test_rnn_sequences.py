"""The sequence data sets: shapes, determinism, and that each one poses the problem it claims to."""

from __future__ import annotations

import math

import pytest
import torch

from dlplay.data.sequences import (
    NEGATIVE,
    POSITIVE,
    WordVocab,
    make_adding,
    make_copy_memory,
    make_sentences,
    make_series,
    series,
    tokenize,
)


@pytest.mark.parametrize("kind", ["sine", "sum of sines"])
def test_series_windows_and_next_values(kind):
    X, y = make_series(kind, n_samples=64, seq_len=12, seed=3)
    assert X.shape == (64, 12, 1) and y.shape == (64,)
    X2, y2 = make_series(kind, n_samples=64, seq_len=12, seed=3)
    assert torch.equal(X, X2) and torch.equal(y, y2)
    assert not torch.equal(X, make_series(kind, n_samples=64, seq_len=12, seed=4)[0])
    assert float(X.abs().max()) <= 1.0 + 1e-6
    # Noise-free, y is the series one step on: a sine obeys x_{t+1} = 2 cos(dt) x_t − x_{t−1}.
    if kind == "sine":
        predicted = 2 * math.cos(0.25) * X[:, -1, 0] - X[:, -2, 0]
        torch.testing.assert_close(predicted, y, atol=1e-5, rtol=0)


def test_series_rejects_unknown_kind():
    with pytest.raises(ValueError, match="unknown series"):
        series("square", 5)


def test_adding_problem_targets_are_the_marked_sums():
    X, y = make_adding(100, seq_len=20, seed=1)
    assert X.shape == (100, 20, 2) and y.shape == (100,)
    markers = X[:, :, 1]
    assert bool((markers.sum(dim=1) == 2).all())
    assert bool((markers[:, :10].sum(dim=1) == 1).all())  # one marker in each half
    torch.testing.assert_close(y, (X[:, :, 0] * markers).sum(dim=1))
    # Answering 1.0 always scores about 1/6.
    assert abs(float(((y - 1.0) ** 2).mean()) - 1 / 6) < 0.05
    with pytest.raises(ValueError):
        make_adding(4, seq_len=1)


@pytest.mark.parametrize("delay", [0, 1, 25])
def test_copy_memory_layout(delay):
    data = make_copy_memory(50, delay=delay, n_symbols=3, n_categories=4, seed=2)
    assert data.seq_len == 6 + delay and data.X.shape == (50, 6 + delay, 6) and data.y.shape == (50, 3)
    assert torch.equal(data.tokens[:, :3], data.y)
    assert bool((data.tokens[:, 3 + delay] == data.delimiter).all())
    rest = torch.cat([data.tokens[:, 3 : 3 + delay], data.tokens[:, 4 + delay :]], dim=1)
    assert bool((rest == data.blank).all())
    assert torch.equal(data.X.argmax(dim=2), data.tokens)
    assert int(data.y.max()) < 4


def test_sentences_are_balanced_and_word_order_decides():
    sentences, labels = make_sentences(600, seed=0)
    assert len(sentences) == 600 and labels.shape == (600,)
    assert 0.4 < float(labels.float().mean()) < 0.6
    assert any(" not " in s for s in sentences) and any(" but " in s for s in sentences)
    assert sentences == make_sentences(600, seed=0)[0]
    # The label follows a rule we can check by hand on simple clauses: 'not' flips the adjective.
    for s, label in zip(sentences, labels.tolist()):
        words = s.split()
        if " but " in s or " and " in s or words[0] != "the":
            continue
        positive = words[-1] in POSITIVE
        assert words[-1] in POSITIVE + NEGATIVE
        assert label == int(positive != ("not" in words)), s
    # Some pairs share the same words but not the same label: a bag of words cannot solve the set.
    bags = {}
    for s, label in zip(*make_sentences(3000, seed=1)):
        bags.setdefault(tuple(sorted(s.split())), set()).add(int(label))
    assert any(len(found) == 2 for found in bags.values())


def test_tokenize_and_word_vocab():
    assert tokenize("The soup WASN'T good!") == ["the", "soup", "was", "not", "good"]
    assert tokenize("I didn’t like it, 10/10") == ["i", "did", "not", "like", "it"]
    vocab = WordVocab.from_sentences(["the film was good", "the soup was bad"])
    assert vocab.words[:2] == ("<pad>", "<unk>") and vocab.size == 8
    ids = vocab.encode(["the film was good", "bad", "", "zebra"])
    assert ids.shape == (4, 4)
    assert vocab.words[int(ids[1, 0])] == "bad" and bool((ids[1, 1:] == WordVocab.PAD).all())
    assert int(ids[2, 0]) == WordVocab.UNK and int(ids[3, 0]) == WordVocab.UNK
    assert vocab.unknown("the zebra was good") == ["zebra"]
