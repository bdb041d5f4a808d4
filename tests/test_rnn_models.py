"""The curriculum's recurrent models: exact layers and parameter counts, generalizations, what they keep for the page."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlplay.models.init import seeded_init_
from dlplay.models.rnn import CharModel, LSTMModel, SimpleRNN, make_recurrent


class CurriculumSimpleRNN(nn.Module):  # chapter 6.1, verbatim
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.rnn = nn.RNN(input_size, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        output, hidden = self.rnn(x)
        return self.fc(hidden.squeeze(0))


class CurriculumLSTMModel(nn.Module):  # chapter 6.2, verbatim
    def __init__(self, vocab_size, embed_dim, hidden_dim, output_dim):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_dim, num_layers=2, dropout=0.5, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(hidden_dim * 2, output_dim)

    def forward(self, x):
        embedded = self.embedding(x)
        output, (hidden, cell) = self.lstm(embedded)
        hidden = torch.cat([hidden[-2], hidden[-1]], dim=1)
        return self.fc(hidden)


def _count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("sizes", [(1, 8, 1), (10, 20, 5), (28, 128, 10)])
def test_simple_rnn_is_the_curriculums_model(sizes):
    ours, reference = SimpleRNN(*sizes), CurriculumSimpleRNN(*sizes)
    assert _count(ours) == _count(reference)
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == [(k, v.shape) for k, v in reference.state_dict().items()]
    reference.load_state_dict(ours.state_dict())
    x = torch.randn(3, 7, sizes[0])
    torch.testing.assert_close(ours(x), reference(x))
    assert ours.last_hidden_states.shape == (3, 7, sizes[1])


@pytest.mark.parametrize("sizes", [(100, 32, 64, 2), (1000, 50, 128, 3)])
def test_lstm_model_is_the_curriculums_model(sizes):
    ours, reference = LSTMModel(*sizes), CurriculumLSTMModel(*sizes)
    assert _count(ours) == _count(reference)
    assert ours.lstm.num_layers == 2 and ours.lstm.dropout == 0.5 and ours.lstm.bidirectional
    reference.load_state_dict(ours.state_dict())
    ours.eval(), reference.eval()
    x = torch.randint(0, sizes[0], (4, 9))
    torch.testing.assert_close(ours(x), reference(x))
    assert ours.last_outputs.shape == (4, 9, 2 * sizes[2])


def test_lstm_model_packs_padding_away():
    """With pad_idx, a padded sentence gives exactly the prediction of the same sentence alone."""
    model = seeded_init_(LSTMModel(20, 6, 5, 2, pad_idx=0), 0).eval()
    short = torch.tensor([[4, 7, 3]])
    padded = torch.tensor([[4, 7, 3, 0, 0], [5, 6, 7, 8, 9]])
    alone = model(short)
    torch.testing.assert_close(model(padded)[:1], alone)
    assert model.last_outputs.shape == (2, 5, 10)
    assert bool((model.last_outputs[0, 3:] == 0).all())  # no state is computed over the padding


def test_lstm_model_generalizes_to_one_direction_and_the_gru():
    model = LSTMModel(30, 8, 16, 3, bidirectional=False, num_layers=1, cell="GRU")
    assert isinstance(model.lstm, nn.GRU) and model.fc.in_features == 16 and model.lstm.dropout == 0.0
    assert model(torch.randint(0, 30, (2, 5))).shape == (2, 3)


@pytest.mark.parametrize("cell", ["RNN", "LSTM", "GRU"])
def test_simple_rnn_cells_and_per_step_read_out(cell):
    model = SimpleRNN(3, 6, 4, cell=cell, per_step=True)
    assert type(model.rnn) is {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}[cell]
    x = torch.randn(2, 5, 3)
    y_hat = model(x)
    assert y_hat.shape == (2, 5, 4)
    torch.testing.assert_close(y_hat, model.fc(model.rnn(x)[0]))
    last = SimpleRNN(3, 6, 4, cell=cell)
    last.load_state_dict(model.state_dict())
    torch.testing.assert_close(last(x), y_hat[:, -1])  # the last hidden state is the last step's output


def test_gru_follows_the_curriculums_gru_layer():
    gru = SimpleRNN(10, 20, 1, cell="GRU").rnn
    reference = nn.GRU(10, 20, batch_first=True)  # chapter 6.3
    assert _count(gru) == _count(reference) and gru.batch_first


def test_char_model_shapes_and_state():
    model = CharModel(40, embed_dim=8, hidden_size=16, cell="LSTM", num_layers=2)
    x = torch.randint(0, 40, (3, 11))
    logits = model(x)
    assert logits.shape == (3, 11, 40)
    h, c = model.state
    assert h.shape == (2, 3, 16) and not h.requires_grad
    # Feeding the sequence in two parts with the carried state gives the same logits.
    first, second = model(x[:, :5]), model(x[:, 5:], model.state)
    torch.testing.assert_close(torch.cat([first, second], dim=1), logits)


def test_unknown_cell_is_refused():
    with pytest.raises(ValueError, match="unknown cell"):
        make_recurrent("Transformer", 3, 4)
