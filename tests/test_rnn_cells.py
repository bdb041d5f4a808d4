"""The hand-written cells equal nn.RNN, nn.LSTM and nn.GRU on the modules' own weights."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlplay.lessons.rnn.cells import unroll, unroll_layer
from dlplay.models.init import seeded_init_


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_stepper_equals_nn_rnn(batch_first, nonlinearity):
    rnn = seeded_init_(nn.RNN(3, 5, batch_first=batch_first, nonlinearity=nonlinearity), 1)
    x = torch.randn(4, 9, 3, generator=torch.Generator().manual_seed(0))
    x_in = x if batch_first else x.transpose(0, 1)
    output, h_n = rnn(x_in)
    steps = unroll_layer(rnn, x_in)
    expected = output if batch_first else output.transpose(0, 1)
    torch.testing.assert_close(steps.outputs, expected)
    torch.testing.assert_close(steps.h[-1], h_n[0])
    act = torch.tanh if nonlinearity == "tanh" else torch.relu
    torch.testing.assert_close(act(steps.gate("pre")), expected)


def test_lstm_cell_equals_nn_lstm_with_two_layers():
    lstm = seeded_init_(nn.LSTM(3, 6, num_layers=2, batch_first=True), 2).eval()
    x = torch.randn(2, 12, 3, generator=torch.Generator().manual_seed(1))
    output, (h_n, c_n) = lstm(x)
    layers = unroll(lstm, x)
    torch.testing.assert_close(layers[-1].outputs, output)
    for layer, steps in enumerate(layers):
        torch.testing.assert_close(steps.h[-1], h_n[layer])
        torch.testing.assert_close(steps.gate("cell")[:, -1], c_n[layer])
    gates = layers[0]
    for name in ("input", "forget", "output"):
        g = gates.gate(name)
        assert g.shape == (2, 12, 6) and bool(((g > 0) & (g < 1)).all())
    # h_t = o_t · tanh(c_t), the LSTM's read-out of its memory
    torch.testing.assert_close(gates.outputs, gates.gate("output") * torch.tanh(gates.gate("cell")))


def test_gru_cell_equals_nn_gru():
    gru = seeded_init_(nn.GRU(4, 5, batch_first=True), 3)
    x = torch.randn(3, 8, 4, generator=torch.Generator().manual_seed(2))
    h0 = torch.randn(3, 5, generator=torch.Generator().manual_seed(3))
    output, h_n = gru(x, h0[None])
    steps = unroll_layer(gru, x, h0=h0)
    torch.testing.assert_close(steps.outputs, output)
    torch.testing.assert_close(steps.h[-1], h_n[0])
    assert set(steps.gates) == {"reset", "update", "candidate"}


def test_gradients_flow_through_the_hand_written_steps_as_through_the_module():
    lstm = seeded_init_(nn.LSTM(2, 4, batch_first=True), 4)
    x = torch.randn(1, 6, 2, generator=torch.Generator().manual_seed(4))
    lstm(x)[0][:, -1].sum().backward()
    expected = [p.grad.clone() for p in lstm.parameters()]
    lstm.zero_grad()
    unroll_layer(lstm, x).h[-1].sum().backward()
    for actual, reference in zip((p.grad for p in lstm.parameters()), expected):
        torch.testing.assert_close(actual, reference)


def test_bidirectional_is_refused():
    with pytest.raises(ValueError, match="one direction"):
        unroll_layer(nn.LSTM(2, 3, bidirectional=True), torch.zeros(1, 2, 2))
