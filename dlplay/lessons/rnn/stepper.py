"""The unrolled RNN, one step at a time: hₜ = tanh(Wₓₕxₜ + Wₕₕhₜ₋₁ + b) on a short series, every term kept."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from dlplay.data.sequences import SERIES_KINDS, make_series, series
from dlplay.lessons.rnn.cells import layer_weights, unroll_layer
from dlplay.models.init import seeded_init_
from dlplay.models.rnn import SimpleRNN

MAX_STEPS = 40  # the longest sequence the stepper shows: one heatmap column per step stays readable
TRAIN_STEPS = 200  # Adam steps of "trained" weights: a fraction of a second on one CPU thread


@dataclass(frozen=True)
class StepperSetup:
    """The small RNN and sequence the stepper walks through."""

    kind: str = "sine"  # one of SERIES_KINDS
    seq_len: int = 20  # T: steps to unroll (at most MAX_STEPS)
    hidden_size: int = 6  # units: few enough to read each one's row
    trained: bool = True  # weights after TRAIN_STEPS of next-value prediction, or PyTorch's random initial weights
    seed: int = 0  # initial weights, training windows and the sequence's phase


def build_stepper_model(setup: StepperSetup) -> SimpleRNN:
    """SimpleRNN(1, hidden_size, 1), read out at every step, trained to predict the next value when setup.trained."""
    if setup.kind not in SERIES_KINDS:
        raise ValueError(f"unknown series {setup.kind!r}; choose one of {', '.join(SERIES_KINDS)}")
    model = seeded_init_(SimpleRNN(1, setup.hidden_size, 1, per_step=True), setup.seed)
    if setup.trained:
        X, y = make_series(setup.kind, 256, 24, seed=setup.seed)
        targets = torch.cat([X[:, 1:, 0], y[:, None]], dim=1)  # (N, T): the value after each step
        optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
        batches = torch.Generator().manual_seed(setup.seed)
        for _ in range(TRAIN_STEPS):
            index = torch.randint(0, len(X), (32,), generator=batches)
            loss = F.mse_loss(model(X[index]).squeeze(-1), targets[index])  # (B, T) vs (B, T)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval()


@dataclass
class Unrolling:
    """Every term of every step: the stepper's frames."""

    x: np.ndarray  # (T,) the inputs xₜ
    target: np.ndarray  # (T,) the value after each step, x_{t+1}
    input_term: np.ndarray  # (T, H) Wₓₕxₜ + b_ih
    recurrent_term: np.ndarray  # (T, H) Wₕₕhₜ₋₁ + b_hh
    pre: np.ndarray  # (T, H) their sum, before tanh
    h: np.ndarray  # (T, H) hₜ
    y_hat: np.ndarray  # (T,) the read-out Wₕᵧhₜ + b: the prediction of x_{t+1}
    reference: np.ndarray  # (T, H) nn.RNN's own outputs on the same weights, for the page to compare

    @property
    def steps(self) -> int:
        return len(self.x)

    def h_prev(self, t: int) -> np.ndarray:
        """hₜ₋₁ (zeros before the first step), t counted from 0."""
        return self.h[t - 1] if t > 0 else np.zeros_like(self.h[0])


def unroll_sequence(model: SimpleRNN, setup: StepperSetup) -> Unrolling:
    """Unroll the model by hand over one sequence of the setup's series; nn.RNN's outputs come along for comparison."""
    T = int(min(max(setup.seq_len, 1), MAX_STEPS))
    phase = torch.rand(1, 2, generator=torch.Generator().manual_seed(setup.seed + 7)) * 2 * np.pi  # (1, 2)
    values = series(setup.kind, T + 1, phases=phase)[0]  # (T + 1,)
    x = values[:T].reshape(1, T, 1)  # (B=1, T, 1)
    with torch.no_grad():
        steps = unroll_layer(model.rnn, x)
        w_ih, w_hh, b_ih, b_hh = layer_weights(model.rnn)
        h = steps.outputs[0]  # (T, H)
        h_prev = torch.cat([torch.zeros_like(h[:1]), h[:-1]])  # (T, H)
        input_term = x[0] @ w_ih.T + b_ih  # (T, 1) @ (1, H) → (T, H)
        recurrent_term = h_prev @ w_hh.T + b_hh  # (T, H)
        y_hat = model.fc(h).squeeze(-1)  # (T,)
        reference = model.rnn(x)[0][0]  # (T, H): nn.RNN on the same weights
    return Unrolling(x[0, :, 0].numpy(), values[1:].numpy(), input_term.numpy(), recurrent_term.numpy(),
                     steps.gate("pre")[0].numpy(), h.numpy(), y_hat.numpy(), reference.numpy())


def stepper_code(setup: StepperSetup) -> str:
    """The code of the stepper: the curriculum's recurrence written out, checked against nn.RNN."""
    return f'''
import torch
from torch import nn

rnn = nn.RNN(input_size=1, hidden_size={setup.hidden_size}, batch_first=True)
fc = nn.Linear({setup.hidden_size}, 1)
x = torch.sin(torch.arange({setup.seq_len}) * 0.25).reshape(1, {setup.seq_len}, 1)  # (B, T, 1)

W_xh, W_hh = rnn.weight_ih_l0, rnn.weight_hh_l0  # ({setup.hidden_size}, 1), ({setup.hidden_size}, {setup.hidden_size})
b = rnn.bias_ih_l0 + rnn.bias_hh_l0  # PyTorch keeps two biases; only their sum matters
h = torch.zeros(1, {setup.hidden_size})  # h_0
hs = []
for t in range({setup.seq_len}):
    h = torch.tanh(x[:, t] @ W_xh.T + h @ W_hh.T + b)  # h_t = tanh(W_xh x_t + W_hh h_(t-1) + b)
    hs.append(h)
    y_t = fc(h)  # the prediction of x_(t+1)

output, hidden = rnn(x)  # all steps at once
torch.testing.assert_close(torch.stack(hs, dim=1), output)  # the same numbers
'''
