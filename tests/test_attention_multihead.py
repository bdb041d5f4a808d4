"""The multi-head view equals nn.MultiheadAttention with the same weights: per-head maps, masks, output."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlplay.lessons.attention.multihead import attention_mask, demo_multihead, head_view
from dlplay.models.init import seeded_init_


def _module(width: int, heads: int, seed: int = 0) -> nn.MultiheadAttention:
    mha = seeded_init_(nn.MultiheadAttention(width, heads), seed).eval()
    with torch.no_grad():  # non-zero biases, so that they are checked too
        mha.in_proj_bias.normal_(generator=torch.Generator().manual_seed(seed))
        mha.out_proj.bias.normal_(generator=torch.Generator().manual_seed(seed + 1))
    return mha


@pytest.mark.parametrize(("width", "heads"), [(8, 1), (12, 3), (16, 4), (32, 8)])
@pytest.mark.parametrize(("causal", "padded"), [(False, False), (True, False), (False, True), (True, True)])
def test_head_view_equals_multihead_attention(width, heads, causal, padded):
    T = 7
    X = torch.randn(T, width, generator=torch.Generator().manual_seed(width))
    padding = torch.tensor([False] * 5 + [True] * 2) if padded else None
    mha = _module(width, heads)
    view = head_view(X, mha, causal=causal, padding=padding)
    x = X.unsqueeze(1)  # (T, 1, C): sequence-first
    with torch.no_grad():
        out, weights = mha(x, x, x, attn_mask=attention_mask(T, causal=True) if causal else None,
                           key_padding_mask=padding.unsqueeze(0) if padded else None, need_weights=True,
                           average_attn_weights=False)
    torch.testing.assert_close(view.weights, weights[0])  # (H, T, T)
    torch.testing.assert_close(view.output, out[:, 0])
    d = width // heads
    assert view.Q.shape == view.K.shape == view.V.shape == view.heads.shape == (heads, T, d)
    for h in range(heads):  # the concatenation puts head h in columns h·d … (h+1)·d
        torch.testing.assert_close(view.concat[:, h * d : (h + 1) * d], view.heads[h])
    if padded:
        assert torch.all(view.weights[..., 5:] == 0)


def test_attention_mask_combines_causal_and_padding():
    padding = torch.tensor([False, False, True])
    assert attention_mask(3).sum() == 0
    assert attention_mask(3, padding=padding).tolist() == [[False, False, True]] * 3
    assert attention_mask(3, causal=True, padding=padding).tolist() == [[False, True, True], [False, False, True],
                                                                        [False, False, True]]


def test_demo_module_scales_queries_and_keys_only():
    plain = seeded_init_(nn.MultiheadAttention(8, 2), 3)
    demo = demo_multihead(8, 2, 3, gain=2.0)
    torch.testing.assert_close(demo.in_proj_weight[:16], 2 * plain.in_proj_weight[:16])
    torch.testing.assert_close(demo.in_proj_weight[16:], plain.in_proj_weight[16:])
    assert not demo.training
