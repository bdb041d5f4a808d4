"""Hand-written RNN, LSTM and GRU cells that run on an nn.RNN / nn.LSTM / nn.GRU's own weights, keeping every gate."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn


@dataclass
class Unrolled:
    """One layer unrolled over T steps: the hidden state of every step and, per cell type, what produced it."""

    cell: str  # "RNN", "LSTM" or "GRU"
    h: list[torch.Tensor]  # T tensors (B, H): h_1 … h_T (autograd nodes: retain_grad() on them gives ∂L/∂h_t)
    gates: dict[str, list[torch.Tensor]] = field(default_factory=dict)  # name → T tensors (B, H)

    @property
    def outputs(self) -> torch.Tensor:
        """(B, T, H): h_t at every step, as nn.RNN's `output`."""
        return torch.stack(self.h, dim=1)

    def gate(self, name: str) -> torch.Tensor:
        """(B, T, H) of one recorded quantity, e.g. "forget" or "cell"."""
        return torch.stack(self.gates[name], dim=1)


def layer_weights(module: nn.RNNBase, layer: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """(W_ih, W_hh, b_ih, b_hh) of one layer of a unidirectional nn.RNN / nn.LSTM / nn.GRU."""
    if module.bidirectional:
        raise ValueError("the hand-written cells unroll one direction: use a unidirectional module")
    bias = (getattr(module, f"bias_ih_l{layer}"), getattr(module, f"bias_hh_l{layer}")) if module.bias else (None, None)
    return getattr(module, f"weight_ih_l{layer}"), getattr(module, f"weight_hh_l{layer}"), *bias


def _affine(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    return x @ weight.T + (bias if bias is not None else 0.0)  # (B, in) @ (in, out) → (B, out)


def rnn_step(x_t, h, w_ih, w_hh, b_ih, b_hh, nonlinearity: str = "tanh") -> tuple[torch.Tensor, torch.Tensor]:
    """(pre-activation, h_t) of hₜ = tanh(W_ih·xₜ + b_ih + W_hh·hₜ₋₁ + b_hh)."""
    pre = _affine(x_t, w_ih, b_ih) + _affine(h, w_hh, b_hh)  # (B, H)
    return pre, torch.tanh(pre) if nonlinearity == "tanh" else torch.relu(pre)


def lstm_step(x_t, h, c, w_ih, w_hh, b_ih, b_hh) -> dict[str, torch.Tensor]:
    """One LSTM step in nn.LSTM's gate order (i, f, g, o): every gate, the new cell state c_t and h_t."""
    i, f, g, o = (_affine(x_t, w_ih, b_ih) + _affine(h, w_hh, b_hh)).chunk(4, dim=1)  # 4 × (B, H)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c = f * c + i * g  # forget part of the old memory, write the gated candidate
    return {"input": i, "forget": f, "candidate": g, "output": o, "cell": c, "h": o * torch.tanh(c)}


def gru_step(x_t, h, w_ih, w_hh, b_ih, b_hh) -> dict[str, torch.Tensor]:
    """One GRU step in nn.GRU's gate order (r, z, n): reset, update, candidate and h_t."""
    xr, xz, xn = _affine(x_t, w_ih, b_ih).chunk(3, dim=1)  # 3 × (B, H)
    hr, hz, hn = _affine(h, w_hh, b_hh).chunk(3, dim=1)
    r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
    n = torch.tanh(xn + r * hn)  # the reset gate scales what the past contributes to the candidate
    return {"reset": r, "update": z, "candidate": n, "h": (1 - z) * n + z * h}  # z keeps the old state, 1 − z takes the new


def unroll_layer(module: nn.RNNBase, x: torch.Tensor, layer: int = 0, h0: torch.Tensor | None = None,
                 c0: torch.Tensor | None = None) -> Unrolled:
    """Run one layer of `module` over x (B, T, I) step by step with its own weights; equals the module's layer output."""
    cell = {nn.RNN: "RNN", nn.LSTM: "LSTM", nn.GRU: "GRU"}[type(module)]
    if not module.batch_first:
        x = x.transpose(0, 1)  # (T, B, I) → (B, T, I)
    weights = layer_weights(module, layer)
    B = x.shape[0]
    h = h0 if h0 is not None else x.new_zeros(B, module.hidden_size)  # (B, H)
    c = c0 if c0 is not None else x.new_zeros(B, module.hidden_size)
    result = Unrolled(cell, [])
    for t in range(x.shape[1]):
        if cell == "RNN":
            pre, h = rnn_step(x[:, t], h, *weights, nonlinearity=module.nonlinearity)
            parts = {"pre": pre}
        elif cell == "LSTM":
            parts = lstm_step(x[:, t], h, c, *weights)
            h, c = parts.pop("h"), parts["cell"]
        else:
            parts = gru_step(x[:, t], h, *weights)
            h = parts.pop("h")
        result.h.append(h)
        for name, value in parts.items():
            result.gates.setdefault(name, []).append(value)
    return result


def unroll(module: nn.RNNBase, x: torch.Tensor) -> list[Unrolled]:
    """Every layer of a unidirectional module unrolled by hand, from zero states; the last one's outputs equal module(x)[0].

    Dropout between layers is not applied (as nn.RNN in eval mode)."""
    layers = []
    for layer in range(module.num_layers):
        layers.append(unroll_layer(module, x, layer))
        x = layers[-1].outputs if module.batch_first else layers[-1].outputs.transpose(0, 1)
    return layers
