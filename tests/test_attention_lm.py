"""The tiny language model: text preparation, windows, training, sampling with temperature and top-k, attention."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dlplay.lessons.attention.language_model import (
    LMConfig,
    attention_over_context,
    build_lm,
    build_lm_run,
    generate,
    next_distribution,
    prepare_text,
    windows,
)

TINY = LMConfig(context=16, num_layers=1, num_heads=2, embed_dim=32, tokens_per_batch=128, dropout=0.0)
PASTED = "The quick brown fox jumps over the lazy dog. " * 10


def test_prepare_text_from_the_corpus_and_from_pasted_text():
    corpus = prepare_text("corpus", context=64)
    assert len(corpus.text) > 10_000 and corpus.vocab.size < 100
    assert len(corpus.train) + len(corpus.val) == len(corpus.text) and len(corpus.val) > 64
    pasted = prepare_text("pasted", PASTED.replace("fox", "fox\u2014"), context=16)  # a dash a word processor would type
    assert "-" in pasted.text and pasted.dropped == 0
    assert pasted.vocab.decode(torch.cat([pasted.train, pasted.val])) == pasted.text
    with pytest.raises(ValueError, match="at least"):
        prepare_text("pasted", "too short", context=16)
    with pytest.raises(ValueError, match="at least"):
        prepare_text("pasted", PASTED, context=128)  # the held-out tenth could not hold one window


def test_batches_hold_the_same_number_of_characters_at_any_context():
    assert LMConfig().batch_size == 32 and LMConfig(context=128).batch_size == 16 and TINY.batch_size == 8


def test_windows_pair_each_character_with_the_next():
    ids = torch.arange(100)
    X, y = windows(ids, torch.tensor([0, 10, 50]), 8)
    assert X.shape == y.shape == (3, 8)
    assert X[1].tolist() == list(range(10, 18)) and torch.equal(y, X + 1)


def test_training_starts_near_uniform_and_the_loss_falls():
    text = prepare_text("pasted", PASTED, context=16)
    run = build_lm_run(TINY, text)
    run.step(1)
    first = run.latest("val_loss")
    assert abs(first - math.log(text.vocab.size)) < 1.0  # an untrained model is close to a uniform guess
    run.step(99)
    assert run.latest("val_loss") < first - 0.5
    with pytest.raises(ValueError, match="do not divide"):
        build_lm_run(LMConfig(embed_dim=32, num_heads=3), text)


def test_next_distribution_temperature_and_top_k():
    logits = torch.tensor([2.0, 1.0, 0.5, -1.0])
    probs = next_distribution(logits)
    torch.testing.assert_close(probs, torch.softmax(logits, -1))
    assert next_distribution(logits, 0.1).max() > probs.max() > next_distribution(logits, 5.0).max()
    top2 = next_distribution(logits, top_k=2)
    assert torch.all(top2[2:] == 0) and top2.sum().item() == pytest.approx(1.0)
    assert next_distribution(logits, top_k=1).tolist() == [1.0, 0.0, 0.0, 0.0]
    with pytest.raises(ValueError):
        next_distribution(logits, 0.0)


def test_generate_is_seeded_and_greedy_with_top_1():
    text = prepare_text("pasted", PASTED, context=16)
    model = build_lm(TINY, text.vocab.size).eval()
    a = generate(model, text.vocab, "The ", 40, temperature=0.8, seed=3)  # more than the context: the window slides
    assert a.startswith("The ") and len(a) == 44
    assert a == generate(model, text.vocab, "The ", 40, temperature=0.8, seed=3)
    greedy = generate(model, text.vocab, "The", 5, top_k=1)
    ids = text.vocab.encode("The").tolist()
    with torch.no_grad():
        for _ in range(5):
            ids.append(int(model(torch.tensor([ids[-16:]]))[0, -1].argmax()))
    assert greedy == text.vocab.decode(ids)
    assert len(generate(model, text.vocab, "", 3)) == 4  # an empty prompt starts from the fallback character


def test_attention_over_context_is_the_querys_row():
    text = prepare_text("pasted", PASTED, context=16)
    model = build_lm(TINY, text.vocab.size).eval()
    written = "The quick brown fox jumps"
    context, weights = attention_over_context(model, text.vocab, written, 20)
    assert context == written[4:20] and weights.shape == (1, 2, 16)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)
    context, weights = attention_over_context(model, text.vocab, written, 3)
    assert context == "The" and weights.shape == (1, 2, 3)
    with pytest.raises(ValueError):
        attention_over_context(model, text.vocab, written, 0)
