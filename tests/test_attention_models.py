"""The chapter's models: the curriculum's SelfAttention and TransformerBlock exactly, and the sequence model's behaviour."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlplay.models.attention import (
    SelfAttention,
    SequenceTransformer,
    TransformerBlock,
    causal_mask,
    sinusoidal_encoding,
)
from dlplay.models.init import seeded_init_


# ----- the curriculum's classes, verbatim (chapter 9.1 and 9.2): the reference ----------------------------------------
class CurriculumSelfAttention(nn.Module):
    def __init__(self, embed_dim):
        super().__init__()
        self.query = nn.Linear(embed_dim, embed_dim)
        self.key = nn.Linear(embed_dim, embed_dim)
        self.value = nn.Linear(embed_dim, embed_dim)
        self.scale = embed_dim**0.5

    def forward(self, x):
        Q = self.query(x)
        K = self.key(x)
        V = self.value(x)
        scores = torch.matmul(Q, K.transpose(-2, -1)) / self.scale
        attention = F.softmax(scores, dim=-1)
        return torch.matmul(attention, V)


class CurriculumTransformerBlock(nn.Module):
    def __init__(self, embed_dim, num_heads, ff_dim, dropout=0.1):
        super().__init__()
        self.attention = nn.MultiheadAttention(embed_dim, num_heads)
        self.norm1 = nn.LayerNorm(embed_dim)
        self.norm2 = nn.LayerNorm(embed_dim)
        self.ff = nn.Sequential(nn.Linear(embed_dim, ff_dim), nn.GELU(), nn.Linear(ff_dim, embed_dim))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        attn_out, _ = self.attention(x, x, x)
        x = self.norm1(x + self.dropout(attn_out))
        ff_out = self.ff(x)
        x = self.norm2(x + self.dropout(ff_out))
        return x


def count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("embed_dim", [8, 64, 512])
def test_self_attention_matches_the_curriculum(embed_dim):
    ours, reference = SelfAttention(embed_dim), CurriculumSelfAttention(embed_dim)
    assert count(ours) == count(reference) == 3 * (embed_dim * embed_dim + embed_dim)
    assert list(ours.state_dict()) == list(reference.state_dict())
    reference.load_state_dict(ours.state_dict())
    X = torch.randn(2, 5, embed_dim)
    torch.testing.assert_close(ours(X), reference(X))
    assert ours.last_attention.shape == (2, 5, 5)
    torch.testing.assert_close(ours.last_attention.sum(-1), torch.ones(2, 5))


@pytest.mark.parametrize(("embed_dim", "num_heads", "ff_dim"), [(512, 8, 2048), (64, 4, 256), (12, 3, 7)])
def test_transformer_block_matches_the_curriculum(embed_dim, num_heads, ff_dim):
    ours, reference = TransformerBlock(embed_dim, num_heads, ff_dim), CurriculumTransformerBlock(embed_dim, num_heads, ff_dim)
    # 4C² + 4C attention, 2 × 2C layer norms, C·F + F + F·C + C feed-forward
    expected = 4 * embed_dim**2 + 4 * embed_dim + 4 * embed_dim + 2 * embed_dim * ff_dim + ff_dim + embed_dim
    assert count(ours) == count(reference) == expected
    assert list(ours.state_dict()) == list(reference.state_dict())
    assert ours.dropout.p == 0.1 and isinstance(ours.ff[1], nn.GELU) and not ours.attention.batch_first
    reference.load_state_dict(ours.state_dict())
    ours.eval(), reference.eval()
    X = torch.randn(6, 3, embed_dim)  # (T, B, C): sequence-first, as the curriculum's nn.MultiheadAttention
    torch.testing.assert_close(ours(X), reference(X))
    assert ours.last_attention.shape == (3, num_heads, 6, 6)  # per head, not averaged
    torch.testing.assert_close(ours.last_attention.mean(1), reference.attention(X, X, X)[1])


def test_block_masks_reach_the_attention():
    block = seeded_init_(TransformerBlock(8, 2, 16, dropout=0.0), 0).eval()
    X = torch.randn(5, 2, 8)
    block(X, attn_mask=causal_mask(5), key_padding_mask=torch.tensor([[False] * 4 + [True]] * 2))
    weights = block.last_attention  # (B, H, T, T)
    assert torch.all(weights.triu(1) == 0) and torch.all(weights[..., 4] == 0)


def test_sinusoidal_encoding_follows_the_formula():
    for embed_dim in (6, 7):
        pe = sinusoidal_encoding(10, embed_dim)
        for p in (0, 3, 9):
            for i in range(embed_dim):
                angle = p / 10000 ** ((i - i % 2) / embed_dim)
                expected = torch.tensor(angle).sin() if i % 2 == 0 else torch.tensor(angle).cos()
                torch.testing.assert_close(pe[p, i], expected.float())


def _model(**kwargs) -> SequenceTransformer:
    defaults = dict(vocab_size=10, embed_dim=16, num_heads=4, ff_dim=32, num_layers=2, max_len=12, dropout=0.0)
    return seeded_init_(SequenceTransformer(**{**defaults, **kwargs}), 0).eval()


def test_sequence_model_shapes_and_kept_attention():
    model = _model(out_size=17)
    logits = model(torch.randint(0, 10, (3, 7)))
    assert logits.shape == (3, 7, 17)
    maps = model.attention_maps()
    assert maps.shape == (2, 3, 4, 7, 7)  # (L, B, H, T, T)
    torch.testing.assert_close(maps.sum(-1), torch.ones(2, 3, 4, 7))
    assert count(_model()) == count(_model(positional="none")) == count(_model(positional="learned")) - 12 * 16


def test_causal_model_never_looks_ahead():
    model = _model(causal=True, positional="learned")
    tokens = torch.randint(0, 10, (2, 9))
    changed = tokens.clone()
    changed[:, 5:] = (changed[:, 5:] + 1) % 10
    torch.testing.assert_close(model(tokens)[:, :5], model(changed)[:, :5])
    assert torch.all(model.attention_maps().triu(1) == 0)


def test_without_positions_the_model_is_permutation_equivariant():
    tokens = torch.randint(0, 10, (2, 8))
    order = torch.randperm(8, generator=torch.Generator().manual_seed(1))
    plain = _model(positional="none")
    torch.testing.assert_close(plain(tokens[:, order]), plain(tokens)[:, order])
    positioned = _model(positional="sinusoidal")
    assert not torch.allclose(positioned(tokens[:, order]), positioned(tokens)[:, order], atol=1e-3)


def test_bad_configurations_raise_plainly():
    with pytest.raises(ValueError, match="do not divide"):
        _model(embed_dim=10, num_heads=4)
    with pytest.raises(ValueError, match="positional"):
        _model(positional="rotary")
    with pytest.raises(ValueError, match="maximum length"):
        _model()(torch.zeros(1, 13, dtype=torch.long))


@pytest.mark.parametrize("positional", ["sinusoidal", "learned"])
def test_seeded_weights_equal_pytorch_default_init(positional):
    def build():
        return SequenceTransformer(10, 16, 4, 32, 2, max_len=12, positional=positional)

    torch.manual_seed(7)
    reference = build()
    ours = seeded_init_(build(), 7)
    for (name, expected), actual in zip(reference.state_dict().items(), ours.state_dict().values()):
        torch.testing.assert_close(actual, expected, rtol=0, atol=0, msg=name)
