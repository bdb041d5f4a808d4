"""The embedded text corpus and the character vocabulary."""

from __future__ import annotations

import pytest
import torch

from dlplay.data.text_corpus import CharVocab, load_corpus, normalize_text


def test_corpus_is_plain_ascii_prose_of_tens_of_kilobytes():
    text = load_corpus()
    assert len(text) >= 30_000
    assert all(c == "\n" or " " <= c <= "~" for c in text)
    words = text.split()
    assert len(words) > 5_000
    # English prose: the commonest words are there, many times.
    for w in ("the", "and", "of"):
        assert words.count(w) > 100


def test_vocab_round_trip_on_the_corpus():
    text = load_corpus()
    vocab = CharVocab.from_text(text)
    ids = vocab.encode(text)
    assert ids.dtype == torch.long and ids.shape == (len(text),)
    assert int(ids.min()) >= 0 and int(ids.max()) < vocab.size
    assert vocab.decode(ids) == text
    assert vocab.size == len(set(text))
    assert list(vocab.chars) == sorted(vocab.chars)


def test_unknown_characters_encode_as_the_fallback():
    vocab = CharVocab.from_text("ab c")
    assert vocab.fallback == " "
    assert vocab.encode("a#b").tolist() == [vocab.chars.index("a"), vocab.fallback_id, vocab.chars.index("b")]
    assert vocab.unknown("a#b!") == {"#", "!"}
    # Without a space, the fallback is the first character.
    assert CharVocab.from_text("zyx").fallback == "x"


def test_vocab_rejects_bad_construction():
    with pytest.raises(ValueError):
        CharVocab(())
    with pytest.raises(ValueError):
        CharVocab(("a", "a"))
    with pytest.raises(ValueError):
        CharVocab(("a", "b"), fallback="c")


def test_decode_accepts_lists_and_2d_tensors():
    vocab = CharVocab.from_text("hello")
    ids = vocab.encode("hello")
    assert vocab.decode(ids.tolist()) == "hello"
    assert vocab.decode(ids.reshape(1, -1)) == "hello"


def test_normalize_text_maps_typography_and_drops_the_rest():
    text, dropped = normalize_text("\u201cCaf\u00e9\u201d \u2014 ok\u2026\tyes \U0001f600\r\n")
    assert text == '"Cafe" - ok... yes \n'
    assert dropped == 1
    assert normalize_text("plain text\n") == ("plain text\n", 0)
