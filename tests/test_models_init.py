"""seeded_init_: the same weights as PyTorch's own init under torch.manual_seed, without touching the global state."""

from __future__ import annotations

import threading

import pytest
import torch
from torch import nn

from dlplay.models.init import seeded_init_


def _builders():
    return {
        "linear stack": lambda: nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3, bias=False)),
        "conv + batch norm": lambda: nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ConvTranspose2d(4, 2, 2)),
        "embedding + lstm": lambda: nn.ModuleList([nn.Embedding(11, 6, padding_idx=0), nn.LSTM(6, 5, num_layers=2, bidirectional=True)]),
        "gru + rnn cells": lambda: nn.ModuleList([nn.GRU(3, 4), nn.RNN(3, 4), nn.LSTMCell(3, 2), nn.GRUCell(3, 2)]),
        "attention + layer norm": lambda: nn.ModuleList([nn.MultiheadAttention(8, 2), nn.LayerNorm(8), nn.Linear(8, 8)]),
        "transformer layer": lambda: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0),
        "prelu": lambda: nn.Sequential(nn.Linear(2, 2), nn.PReLU()),
    }


@pytest.mark.parametrize("name", list(_builders()))
def test_equals_pytorch_default_init_under_the_same_seed(name):
    build = _builders()[name]
    torch.manual_seed(123)
    reference = build()
    ours = build()
    state = torch.get_rng_state()
    seeded_init_(ours, 123)
    assert torch.equal(state, torch.get_rng_state())
    for (key, expected), actual in zip(reference.state_dict().items(), ours.state_dict().values()):
        torch.testing.assert_close(actual, expected, rtol=0, atol=0, msg=key)


def test_leaves_the_global_random_state_alone():
    layer = nn.Linear(10, 10)
    before = torch.get_rng_state()
    seeded_init_(layer, 1)
    assert torch.equal(before, torch.get_rng_state())


def test_two_threads_at_once_each_equal_their_single_threaded_build():
    build = _builders()["transformer layer"]
    expected = {seed: seeded_init_(build(), seed).state_dict() for seed in (1, 2)}
    results, barrier = {}, threading.Barrier(2)

    def worker(seed):
        barrier.wait()
        for _ in range(20):
            results[seed] = seeded_init_(build(), seed).state_dict()

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for seed in (1, 2):
        for key, value in expected[seed].items():
            torch.testing.assert_close(results[seed][key], value, rtol=0, atol=0)


def test_unknown_module_without_reset_is_refused():
    class Odd(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(3))

    with pytest.raises(TypeError, match="seeded init"):
        seeded_init_(Odd(), 0)
