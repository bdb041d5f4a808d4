"""Self-attention stepped: every matrix equals the curriculum's SelfAttention internals with the same weights."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from dlplay.lessons.attention.stepper import STEPS, demo_self_attention, softmax_rows, step_attention
from dlplay.lessons.attention.tokens import SPACE, token_embeddings, tokenize, unique_labels
from dlplay.models.attention import SelfAttention, causal_mask
from dlplay.models.init import seeded_init_


def _internals(module: SelfAttention, X: torch.Tensor, **kwargs) -> dict[str, torch.Tensor]:
    """Q, K, V as the module's own Linear layers produce them (forward hooks), its weights and its output."""
    seen = {}
    hooks = [getattr(module, name).register_forward_hook(lambda m, i, o, name=name: seen.__setitem__(name, o))
             for name in ("query", "key", "value")]
    with torch.no_grad():
        seen["output"] = module(X, **kwargs)
    for hook in hooks:
        hook.remove()
    seen["weights"] = module.last_attention
    return seen


@pytest.mark.parametrize("dim", [4, 8, 16])
def test_stepped_matrices_equal_the_modules_internals(dim):
    X = token_embeddings("the cat sat on the mat".split(), dim, seed=3)
    module = seeded_init_(SelfAttention(dim), 5)
    s = step_attention(X, module)
    inside = _internals(module, X)
    torch.testing.assert_close(s.Q, inside["query"])
    torch.testing.assert_close(s.K, inside["key"])
    torch.testing.assert_close(s.V, inside["value"])
    torch.testing.assert_close(s.scaled, s.Q @ s.K.T / math.sqrt(dim))
    torch.testing.assert_close(s.weights, inside["weights"])
    torch.testing.assert_close(s.output, inside["output"])
    assert s.divisor == pytest.approx(math.sqrt(dim))


def test_causal_steps_equal_the_masked_module_and_pytorch_sdpa():
    X = token_embeddings(list("attention"), 8, seed=0)
    module = demo_self_attention(8, seed=1)
    s = step_attention(X, module, causal=True)
    inside = _internals(module, X, attn_mask=causal_mask(len(X)))
    torch.testing.assert_close(s.weights, inside["weights"])
    torch.testing.assert_close(s.output, inside["output"])
    assert torch.isneginf(s.masked.triu(1)[causal_mask(len(X))]).all() and torch.all(s.weights.triu(1) == 0)
    reference = F.scaled_dot_product_attention(s.Q[None], s.K[None], s.V[None], is_causal=True)[0]
    torch.testing.assert_close(s.output, reference)


def test_without_scaling_and_with_temperature():
    X = token_embeddings("a b c d e".split(), 8)
    module = demo_self_attention(8, seed=2)
    unscaled = step_attention(X, module, scale=False)
    torch.testing.assert_close(unscaled.scaled, unscaled.scores)
    scaled = step_attention(X, module)
    assert unscaled.peak().mean() > scaled.peak().mean()  # larger scores: a more saturated softmax
    hot = step_attention(X, module, temperature=2.0)
    torch.testing.assert_close(hot.weights, F.softmax(scaled.scaled / 2.0, dim=-1))
    cold = step_attention(X, module, temperature=0.1)
    assert cold.peak().mean() > scaled.peak().mean() > hot.peak().mean()
    with pytest.raises(ValueError):
        step_attention(X, module, temperature=0.0)


def test_softmax_rows_equals_pytorch_and_handles_minus_infinity():
    z = torch.randn(5, 7) * 30
    torch.testing.assert_close(softmax_rows(z), F.softmax(z, dim=-1))
    z[:, 3:] = float("-inf")
    assert torch.all(softmax_rows(z)[:, 3:] == 0) and torch.isfinite(softmax_rows(z)).all()


def test_demo_weights_are_the_seeded_module_scaled():
    plain, demo = seeded_init_(SelfAttention(8), 4), demo_self_attention(8, 4, gain=2.0)
    torch.testing.assert_close(demo.query.weight, 2 * plain.query.weight)
    torch.testing.assert_close(demo.key.weight, 2 * plain.key.weight)
    torch.testing.assert_close(demo.value.weight, plain.value.weight)
    assert len(STEPS) == 7


def test_tokenize_words_characters_cap_and_empty():
    assert tokenize("  the cat  sat ", "words").tokens == ["the", "cat", "sat"]
    assert tokenize("ab c", "characters").tokens == ["a", "b", SPACE, "c"]
    capped = tokenize("one two three four five", "words", cap=3)
    assert capped.tokens == ["one", "two", "three"] and capped.dropped == 2
    for empty in ("", "   \n"):
        with pytest.raises(ValueError, match="empty"):
            tokenize(empty)


def test_token_embeddings_are_fixed_per_token_and_seed():
    a = token_embeddings(["the", "cat", "the"], 6, seed=1)
    torch.testing.assert_close(a[0], a[2])
    torch.testing.assert_close(token_embeddings(["cat"], 6, seed=1)[0], a[1])  # the same in any sentence
    assert not torch.allclose(token_embeddings(["cat"], 6, seed=2)[0], a[1])
    assert unique_labels(["the", "cat", "the", "the"]) == ["the", "cat", "the·2", "the·3"]
