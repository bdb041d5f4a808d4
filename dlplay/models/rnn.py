"""The curriculum's recurrent models (chapter 6): SimpleRNN (RNN / LSTM / GRU cell), LSTMModel, and a character model."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

CELLS = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}  # the recurrent layers of 6.1, 6.2 and 6.3


def make_recurrent(cell: str, input_size: int, hidden_size: int, **kwargs) -> nn.RNNBase:
    """nn.RNN, nn.LSTM or nn.GRU by name, batch_first as in the curriculum."""
    try:
        layer = CELLS[cell]
    except KeyError:
        raise ValueError(f"unknown cell {cell!r}; choose one of {', '.join(CELLS)}") from None
    return layer(input_size, hidden_size, batch_first=True, **kwargs)


def last_hidden(hidden: torch.Tensor | tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """The top layer's final hidden state h_T (B, H) of an RNN/GRU hidden or an LSTM (h, c) pair."""
    h = hidden[0] if isinstance(hidden, tuple) else hidden  # (layers·dirs, B, H)
    return h[-1]  # (B, H)


class SimpleRNN(nn.Module):
    """6.1's SimpleRNN: a recurrent layer, then a linear read-out; SimpleRNN(i, h, o) is the curriculum's model exactly."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        *,
        cell: str = "RNN",  # "RNN" (6.1), "LSTM" (6.2) or "GRU" (6.3): the same model with another recurrent cell
        num_layers: int = 1,  # stacked recurrent layers (the curriculum's one)
        per_step: bool = False,  # read out every step (B, T, O) instead of the last hidden state only (B, O)
    ):
        super().__init__()
        self.cell = cell
        self.per_step = per_step
        self.rnn = make_recurrent(cell, input_size, hidden_size, num_layers=num_layers)
        self.fc = nn.Linear(hidden_size, output_size)
        self.last_hidden_states: torch.Tensor | None = None  # (B, T, H) the top layer's h_t of the latest forward

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (B, T, input_size)
        output, hidden = self.rnn(x)  # output (B, T, H): h_t of the top layer at every step
        self.last_hidden_states = output.detach()
        if self.per_step:
            return self.fc(output)  # (B, T, O)
        return self.fc(last_hidden(hidden))  # (B, O): the curriculum's fc(hidden.squeeze(0))


class LSTMModel(nn.Module):
    """6.2's LSTMModel: embedding, a 2-layer bidirectional LSTM with dropout 0.5, a linear layer on both final states."""

    def __init__(
        self,
        vocab_size: int,
        embed_dim: int,
        hidden_dim: int,
        output_dim: int,
        *,
        num_layers: int = 2,  # the curriculum's 2 stacked layers
        dropout: float = 0.5,  # between the stacked layers, as in the curriculum
        bidirectional: bool = True,  # a forward and a backward pass over the sentence
        cell: str = "LSTM",  # "GRU" swaps in 6.3's cell
        pad_idx: int | None = None,  # a padding token: sequences are packed to their true length (None: no padding)
    ):
        super().__init__()
        self.pad_idx = pad_idx
        self.bidirectional = bidirectional
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_idx)
        self.lstm = make_recurrent(cell, embed_dim, hidden_dim, num_layers=num_layers,
                                   dropout=dropout if num_layers > 1 else 0.0, bidirectional=bidirectional)
        self.fc = nn.Linear(hidden_dim * (2 if bidirectional else 1), output_dim)
        self.last_outputs: torch.Tensor | None = None  # (B, T, dirs·H) the top layer's states per token, latest forward

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (B, T) token ids
        embedded = self.embedding(x)  # (B, T, E)
        if self.pad_idx is None:
            output, hidden = self.lstm(embedded)  # output (B, T, dirs·H)
        else:
            # Packing makes each direction stop at the sentence's last real token, so padding never reaches h_T.
            lengths = (x != self.pad_idx).sum(dim=1).clamp(min=1).cpu()  # (B,)
            packed = pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False)
            output, hidden = self.lstm(packed)
            output, _ = pad_packed_sequence(output, batch_first=True, total_length=x.shape[1])  # (B, T, dirs·H)
        self.last_outputs = output.detach()
        h = hidden[0] if isinstance(hidden, tuple) else hidden  # (layers·dirs, B, H)
        if self.bidirectional:
            h_T = torch.cat([h[-2], h[-1]], dim=1)  # (B, 2H): the top layer's forward and backward final states
        else:
            h_T = h[-1]  # (B, H)
        return self.fc(h_T)  # (B, output_dim)


class CharModel(nn.Module):
    """A character-level language model: embedding, RNN / LSTM / GRU, a linear layer giving next-character logits."""

    def __init__(
        self,
        vocab_size: int,
        embed_dim: int = 32,  # size of each character's learned vector
        hidden_size: int = 128,  # units of each recurrent layer
        *,
        cell: str = "LSTM",  # "RNN", "LSTM" or "GRU"
        num_layers: int = 1,  # stacked recurrent layers
        dropout: float = 0.0,  # between stacked layers
    ):
        super().__init__()
        self.cell = cell
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.rnn = make_recurrent(cell, embed_dim, hidden_size, num_layers=num_layers,
                                  dropout=dropout if num_layers > 1 else 0.0)
        self.fc = nn.Linear(hidden_size, vocab_size)
        self.last_hidden_states: torch.Tensor | None = None  # (B, T, H) the top layer's h_t of the latest forward
        self.state: object = None  # the final hidden state (an (h, c) pair for the LSTM) of the latest forward, detached

    def forward(self, x: torch.Tensor, hidden: object = None) -> torch.Tensor:
        """Next-character logits (B, T, V) for character ids x (B, T), starting from `hidden` (None: zeros)."""
        output, state = self.rnn(self.embedding(x), hidden)  # (B, T, E) → (B, T, H)
        self.last_hidden_states = output.detach()
        self.state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
        return self.fc(output)  # (B, T, V)
